//! `vh5 delete-versions`, `modify-metadata`, `rename-version`, `compact`:
//! rewriting history, with a progress bar when stderr is a terminal.

use std::path::Path;

use serde_json::Value as Json;

use super::output::{print_text, with_progress};
use crate::engine::encode::parse_dtype;
use crate::engine::error::bad_input;
use crate::engine::progress::never;
use crate::engine::replay::{self, MetadataChange};
use crate::engine::{Error, Result, VersionSpec};

pub fn delete_versions(file: &Path, versions: &[String]) -> Result<()> {
    let specs = versions
        .iter()
        .map(|v| VersionSpec::parse(v))
        .collect::<Result<Vec<_>>>()?;
    let deleted = with_progress(|p| replay::delete_versions(file, &specs, p, &never))?;
    print_text(&format!("deleted {}\n", deleted.join(", ")))
}

pub struct ModifyArgs {
    pub dtype: Option<String>,
    pub chunks: Option<String>,
    pub compression: Option<String>,
    pub compression_opts: Option<String>,
    pub fillvalue: Option<String>,
}

fn json(text: &str, what: &str) -> Result<Json> {
    serde_json::from_str(text.trim())
        .map_err(|e| Error::bad_input(format!("{what}: {text:?} is not valid JSON ({e})")))
}

pub fn modify_metadata(file: &Path, path: &str, args: ModifyArgs) -> Result<()> {
    let chunks = match args.chunks.as_deref() {
        None => None,
        Some(text) => {
            let parsed = match json(text, "--chunks")? {
                Json::Array(items) => items
                    .iter()
                    .map(|v| v.as_u64().filter(|&n| n > 0).map(|n| n as usize))
                    .collect(),
                v => v.as_u64().filter(|&n| n > 0).map(|n| vec![n as usize]),
            };
            let Some(c) = parsed else {
                bad_input!("--chunks {text:?}: a list of positive integers")
            };
            Some(c)
        }
    };
    let compression_opts = match args.compression_opts.as_deref() {
        None => None,
        Some(t) => match t.trim().parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => bad_input!("--compression-opts {t:?}: an integer"),
        },
    };
    let change = MetadataChange {
        dtype: args.dtype.as_deref().map(parse_dtype).transpose()?,
        chunks,
        compression: args.compression.map(|c| (c != "none").then_some(c)),
        compression_opts,
        fillvalue: args
            .fillvalue
            .as_deref()
            .map(|t| json(t, "--fillvalue"))
            .transpose()?,
    };
    if change == MetadataChange::default() {
        bad_input!("nothing to change: give --dtype, --chunks, --compression, --compression-opts or --fillvalue");
    }
    with_progress(|p| replay::modify_metadata(file, path, &change, p, &never))?;
    print_text(&format!("modified {path} in every version\n"))
}

pub fn rename_version(file: &Path, old: &str, new: &str) -> Result<()> {
    replay::rename_version(file, old, new)?;
    print_text(&format!("renamed {old} to {new}\n"))
}

pub fn compact(file: &Path, out: Option<&Path>) -> Result<()> {
    let before = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    with_progress(|p| replay::compact(file, out, p, &never))?;
    let written = out.unwrap_or(file);
    let after = std::fs::metadata(written).map(|m| m.len()).unwrap_or(0);
    print_text(&format!(
        "{}: {before} -> {after} bytes\n",
        written.display()
    ))
}
