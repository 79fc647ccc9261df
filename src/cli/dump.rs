//! `vh5 dump --json`: the whole file, canonically, for comparison.

use serde_json::{json, Map, Value as Json};

use super::log::log_json;
use super::output::print_json;
use super::show::{dataset_json, node_json};
use crate::engine::hash::ChunkHasher;
use crate::engine::{FileKind, NodeKind, Result, Vh5File};

pub fn run(file: &Vh5File) -> Result<()> {
    print_json(&dump_json(file)?)
}

pub fn dump_json(file: &Vh5File) -> Result<Json> {
    let log = log_json(file)?;
    let mut trees = Map::new();
    for v in file.graph()?.committed() {
        let mut tree = vec![node_json(file, v, "/")?];
        for node in file.walk(v, "/")? {
            if node.kind == NodeKind::Dataset {
                let ds = file.dataset(v, &node.path)?;
                let mut obj = dataset_json(file, v, &ds)?;
                let mut hasher = ChunkHasher::new();
                ds.for_each_block(|grid| hasher.update(grid))?;
                obj["sha256"] = json!(hex::encode(hasher.finish(&ds.meta.shape)));
                tree.push(obj);
            } else {
                tree.push(node_json(file, v, &node.path)?);
            }
        }
        trees.insert(v.name.clone(), Json::Array(tree));
    }
    let (versioned, data_version) = match file.kind {
        FileKind::Plain => (false, None),
        FileKind::Versioned { data_version } => (true, Some(data_version)),
    };
    Ok(json!({
        "versioned": versioned,
        "data_version": data_version,
        "current_version": log["current_version"],
        "versions": log["versions"],
        "trees": trees,
    }))
}
