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

pub fn run(file: &Vh5File, version: &Version, path: &str, json: bool) -> Result<()> {
    let entries = entries(file, version, path)?;
    if json {
        let list: Vec<Json> = entries.into_iter().map(|e| e.json).collect();
        return print_json(&json!({"version": version.name, "entries": list}));
    }
    let text: String = entries.iter().map(|e| format!("{}\n", e.text)).collect();
    print_text(&text)
}
