//! `vh5 blame`: which version wrote each chunk of a dataset.

use serde_json::{json, Value as Json};

use super::output::{print_json, print_text, table};
use crate::engine::blame::Blame;
use crate::engine::grid::grid_positions;
use crate::engine::{progress, Result, Version, Vh5File};

pub fn run(file: &Vh5File, version: &Version, path: &str, json: bool) -> Result<()> {
    let blame = file.blame(version, path, &progress::never)?;
    if json {
        return print_json(&blame_json(&blame));
    }
    print_text(&human(&blame))
}

/// The `blame --json` document: one entry per chunk position, C order.
pub fn blame_json(blame: &Blame) -> Json {
    let entries: Vec<Json> = grid_positions(&blame.grid_shape())
        .into_iter()
        .enumerate()
        .map(|(k, index)| json!({"chunk": index, "version": blame.writer(k).map(|v| &v.name)}))
        .collect();
    json!({
        "version": blame.version.name,
        "path": blame.path,
        "chunks": blame.chunks,
        "blame": entries,
    })
}

/// One line per run of neighbouring positions (C order) with one writer:
/// its first and last chunk, how many, the first element, who and when.
fn human(blame: &Blame) -> String {
    let positions = grid_positions(&blame.grid_shape());
    let mut rows = vec![[
        "chunks".to_string(),
        "count".into(),
        "from element".into(),
        "version".into(),
        "timestamp".into(),
    ]];
    for run in blame.runs() {
        let first = &positions[run.first];
        let last = &positions[run.first + run.len - 1];
        let span = match run.len {
            1 => format!("{first:?}"),
            _ => format!("{first:?}..{last:?}"),
        };
        let start: Vec<usize> = first
            .iter()
            .zip(&blame.chunks)
            .map(|(i, c)| i * c)
            .collect();
        let (name, ts) = match run.writer.map(|w| &blame.ancestry[w]) {
            Some(v) => (
                v.name.clone(),
                v.timestamp_iso().unwrap_or_else(|| "-".into()),
            ),
            None => ("-".into(), "never written (fill value)".into()),
        };
        rows.push([span, run.len.to_string(), format!("{start:?}"), name, ts]);
    }
    let title = format!(
        "{} in {}: shape {:?}, chunks {:?}, {} chunk positions\n",
        blame.path,
        blame.version.name,
        blame.shape,
        blame.chunks,
        positions.len()
    );
    title + &table(&rows, &[false, true, false, false, false])
}
