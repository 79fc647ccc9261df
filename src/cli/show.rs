//! `vh5 show`: everything known about one node.

use serde_json::{json, Map, Value as Json};

use super::output::{print_json, print_text};
use crate::engine::{Attr, Dataset, NodeKind, Result, Version, Vh5File};

pub fn attrs_json(attrs: &[Attr]) -> Json {
    Json::Object(
        attrs
            .iter()
            .map(|a| (a.name.clone(), a.to_json()))
            .collect(),
    )
}

/// The `show --json` object of a dataset (also used by `dump`).
pub fn dataset_json(file: &Vh5File, version: &Version, ds: &Dataset) -> Result<Json> {
    let m = &ds.meta;
    let mut obj = Map::new();
    obj.insert("path".into(), json!(m.path));
    obj.insert("kind".into(), json!("dataset"));
    obj.insert("shape".into(), json!(m.shape));
    obj.insert("dtype".into(), m.dtype.numpy());
    obj.insert("chunks".into(), json!(m.chunks));
    obj.insert("fillvalue".into(), m.fill_value().to_json());
    obj.insert("compression".into(), json!(m.compression()));
    obj.insert("compression_opts".into(), json!(m.compression_opts()));
    obj.insert(
        "shuffle".into(),
        json!(m.has_filter(crate::engine::layout::FILTER_SHUFFLE)),
    );
    obj.insert(
        "fletcher32".into(),
        json!(m.has_filter(crate::engine::layout::FILTER_FLETCHER32)),
    );
    obj.insert("attrs".into(), attrs_json(&m.attrs));
    obj.insert("maxshape".into(), json!(m.maxshape));
    obj.insert("layout".into(), json!(m.layout));
    obj.insert("storage_size".into(), json!(ds.storage_size()));
    obj.insert(
        "filters".into(),
        m.filters
            .iter()
            .map(|f| json!({"id": f.id, "name": f.name, "options": f.cd_values}))
            .collect(),
    );
    if let Some(raw) = &m.raw_data {
        obj.insert("raw_data".into(), json!(raw));
        if let Some(s) = file.chunk_map_summary(version, ds, &crate::engine::progress::never)? {
            obj.insert(
                "chunk_map".into(),
                json!({"total": s.total, "stored": s.stored,
                       "unique_in_version": s.unique_in_version, "shared_with_prev": s.shared_with_prev}),
            );
        }
    }
    Ok(Json::Object(obj))
}

/// The `show --json` object of any node.
pub fn node_json(file: &Vh5File, version: &Version, path: &str) -> Result<Json> {
    let node = file.node(version, path)?;
    match node.kind {
        NodeKind::Group => Ok(json!({
            "path": node.path,
            "kind": "group",
            "attrs": attrs_json(&file.group_attrs(version, &node.path)?),
        })),
        NodeKind::Dataset => dataset_json(file, version, &file.dataset(version, &node.path)?),
    }
}

pub fn run(file: &Vh5File, version: &Version, path: &str, json: bool) -> Result<()> {
    let doc = node_json(file, version, path)?;
    if json {
        return print_json(&doc);
    }
    print_text(&human(&doc))
}

/// `key: value` lines, attributes indented below.
fn human(doc: &Json) -> String {
    let mut text = String::new();
    let Json::Object(obj) = doc else { return text };
    for (key, value) in obj {
        match (key.as_str(), value) {
            ("attrs", Json::Object(attrs)) => {
                text.push_str(&format!(
                    "attrs: {}\n",
                    if attrs.is_empty() { "(none)" } else { "" }
                ));
                for (k, v) in attrs {
                    text.push_str(&format!("  {k} = {v}\n"));
                }
            }
            (_, Json::String(s)) => text.push_str(&format!("{key}: {s}\n")),
            _ => text.push_str(&format!("{key}: {value}\n")),
        }
    }
    text
}
