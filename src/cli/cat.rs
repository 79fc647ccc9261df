//! `vh5 cat`: the values of a dataset or a slice of it.

use std::fmt::Write;

use serde_json::json;

use super::output::{print_json, print_text};
use crate::engine::error::bad_input;
use crate::engine::slice::parse_target;
use crate::engine::{Result, Selection, Value, ValueGrid, Version, Vh5File};

/// Reads above this many elements need `--force`, however the selection
/// is spelled (`/x`, `/x[:]`, `/x[...]`).
pub const MAX_UNFORCED: usize = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
}

/// Reads `PATH[SLICE]`, refusing reads above the limit unless forced.
pub fn read_target(
    file: &Vh5File,
    version: &Version,
    target: &str,
    force: bool,
) -> Result<ValueGrid> {
    let (path, slice) = parse_target(target)?;
    // Values only: no attributes or dimension scales to read.
    let ds = file.open_dataset(version, &path, false)?;
    let sel = Selection::resolve(slice.as_ref(), &ds.meta.shape)?;
    if sel.len() > MAX_UNFORCED && !force {
        let what = match slice {
            None => "has",
            Some(_) => "selects",
        };
        bad_input!(
            "{target} {what} {} elements; give a smaller slice or --force to read more than {MAX_UNFORCED}",
            sel.len()
        );
    }
    ds.read(&sel)
}

/// The `cat --json` document.
pub fn cat_json(grid: &ValueGrid) -> serde_json::Value {
    // Built by hand: `json!` would serialize the data tree a second time.
    let mut doc = serde_json::Map::new();
    doc.insert("shape".into(), json!(grid.shape));
    doc.insert("dtype".into(), json!(grid.dtype.numpy()));
    doc.insert("data".into(), grid.to_json());
    serde_json::Value::Object(doc)
}

pub fn run(
    file: &Vh5File,
    version: &Version,
    target: &str,
    format: Format,
    force: bool,
) -> Result<()> {
    let grid = read_target(file, version, target, force)?;
    match format {
        Format::Json => print_json(&cat_json(&grid)),
        Format::Csv => print_text(&csv(&grid)),
        Format::Text => print_text(&text(&grid)),
    }
}

/// One line per row of the last axis; scalars and 1-D data one value a line.
fn csv(grid: &ValueGrid) -> String {
    let width = match grid.shape.len() {
        0 | 1 => 1,
        _ => *grid.shape.last().unwrap_or(&1),
    };
    let mut out = String::new();
    for i in 0..grid.len() {
        out.push_str(&csv_field(&grid.get(i)));
        out.push(if width == 0 || (i + 1) % width.max(1) == 0 {
            '\n'
        } else {
            ','
        });
    }
    out
}

fn csv_field(v: &Value) -> String {
    let text = match v {
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => b.iter().map(|&c| c as char).collect(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// NumPy-like nested brackets, one innermost row per line.
fn text(grid: &ValueGrid) -> String {
    if grid.shape.is_empty() {
        return format!("{}\n", grid.get(0));
    }
    let mut out = String::new();
    let mut next = 0;
    nest(grid, 0, &mut next, &mut out);
    out.push('\n');
    out
}

fn nest(grid: &ValueGrid, axis: usize, next: &mut usize, out: &mut String) {
    let n = grid.shape[axis];
    out.push('[');
    for i in 0..n {
        if axis + 1 == grid.shape.len() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}", grid.get(*next));
            *next += 1;
        } else {
            if i > 0 {
                out.push_str(",\n");
                out.push_str(&" ".repeat(axis + 1));
            }
            nest(grid, axis + 1, next, out);
        }
    }
    out.push(']');
}
