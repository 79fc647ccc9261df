//! `vh5 ls`: the groups and datasets below a path.

use serde_json::{json, Value as Json};

use super::output::{print_json, print_text};
use crate::engine::{NodeKind, Result, Version, Vh5File};

/// One `ls` entry: path and kind, with shape and dtype for datasets.
pub struct Entry {
    pub json: Json,
    pub text: String,
}

pub fn entries(file: &Vh5File, version: &Version, path: &str) -> Result<Vec<Entry>> {
    file.walk(version, path)?
        .into_iter()
        .map(|node| match node.kind {
            NodeKind::Group => Ok(Entry {
                json: json!({"path": node.path, "kind": "group"}),
                text: format!("{}/", node.path),
            }),
            NodeKind::Dataset => {
                let meta = file.dataset(version, &node.path)?.meta;
                Ok(Entry {
                    json: json!({"path": node.path, "kind": "dataset", "shape": meta.shape, "dtype": meta.dtype.numpy()}),
                    text: format!("{}  {:?} {}", node.path, meta.shape, meta.dtype),
                })
            }
        })
        .collect()
}

/// The `ls --json` document.
pub fn ls_json(file: &Vh5File, version: &Version, path: &str) -> Result<Json> {
    let list: Vec<Json> = entries(file, version, path)?
        .into_iter()
        .map(|e| e.json)
        .collect();
    Ok(json!({"version": version.name, "entries": list}))
}

pub fn run(file: &Vh5File, version: &Version, path: &str, json: bool) -> Result<()> {
    if json {
        return print_json(&ls_json(file, version, path)?);
    }
    let entries = entries(file, version, path)?;
    let text: String = entries.iter().map(|e| format!("{}\n", e.text)).collect();
    print_text(&text)
}
