//! `vh5 log`: every committed version, oldest first.

use serde_json::{json, Value as Json};

use super::output::{print_json, print_text};
use crate::engine::{Result, Version, Vh5File};

pub fn run(file: &Vh5File, json: bool) -> Result<()> {
    let doc = log_json(file)?;
    if json {
        return print_json(&doc);
    }
    let current = file.current_version_name()?;
    let mut text = String::new();
    for v in file.graph()?.committed() {
        let marker = if current.as_deref() == Some(&v.name) {
            "*"
        } else {
            " "
        };
        let parent = v
            .prev
            .as_deref()
            .map(|p| format!("  <- {p}"))
            .unwrap_or_default();
        let ts = v.timestamp_iso().unwrap_or_else(|| "-".into());
        text.push_str(&format!("{marker} {ts}  {}{parent}\n", v.name));
    }
    print_text(&text)
}

pub fn version_json(v: &Version) -> Json {
    json!({"name": v.name, "prev_version": v.prev, "timestamp": v.timestamp_iso()})
}

pub fn log_json(file: &Vh5File) -> Result<Json> {
    let versions: Vec<Json> = file.graph()?.committed().map(version_json).collect();
    Ok(json!({"current_version": file.current_version_name()?, "versions": versions}))
}
