//! `vh5 show`: everything known about one node.

use serde_json::{json, Map, Value as Json};

use super::output::{print_json, print_text};
use crate::engine::features::{Dimension, VirtualView};
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
            .map(|f| json!({"id": f.id, "name": f.name, "options": f.cd_values, "available": f.available}))
            .collect(),
    );
    if let Some(v) = &m.virtual_view {
        obj.insert("virtual".into(), virtual_json(v));
    }
    if !m.dims.is_empty() {
        obj.insert("dims".into(), dims_json(&m.dims));
    }
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

/// A plain VDS: how many mappings, the first few, the source files HDF5
/// would not find.
fn virtual_json(v: &VirtualView) -> Json {
    json!({
        "total": v.total,
        "sources": v.sources.iter().map(|s| json!({
            "file": s.file,
            "dataset": s.dataset,
            "source": s.source.to_string(),
            "virtual": s.virtual_sel.to_string(),
        })).collect::<Vec<_>>(),
        "missing_files": v.missing.iter().map(|m| m.file.clone()).collect::<Vec<_>>(),
    })
}

fn dims_json(dims: &[Dimension]) -> Json {
    dims.iter()
        .map(|d| {
            json!({
                "label": d.label,
                "scales": d.scales.iter().map(|s| json!({"path": s.path, "name": s.name})).collect::<Vec<_>>(),
            })
        })
        .collect()
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
            ("filters", Json::Array(filters)) => text.push_str(&filters_text(filters)),
            ("virtual", v) => text.push_str(&virtual_text(v)),
            ("dims", Json::Array(dims)) => text.push_str(&dims_text(dims)),
            (_, Json::String(s)) => text.push_str(&format!("{key}: {s}\n")),
            _ => text.push_str(&format!("{key}: {value}\n")),
        }
    }
    text
}

/// `filters: shuffle (2), blosc (32001) NOT AVAILABLE in this build`.
fn filters_text(filters: &[Json]) -> String {
    let items: Vec<String> = filters
        .iter()
        .map(|f| {
            let missing = if f["available"] == false {
                " NOT AVAILABLE in this build"
            } else {
                ""
            };
            format!(
                "{} ({}) {}{missing}",
                f["name"].as_str().unwrap_or(""),
                f["id"],
                f["options"]
            )
        })
        .collect();
    match items.is_empty() {
        true => "filters: (none)\n".into(),
        false => format!("filters: {}\n", items.join(", ")),
    }
}

/// One line per shown mapping (`virtual ← file:dataset[source]`), then the
/// count of the rest and a warning per missing source file.
fn virtual_text(v: &Json) -> String {
    let total = v["total"].as_u64().unwrap_or(0) as usize;
    let plural = if total == 1 { "" } else { "s" };
    let mut text = format!("virtual: {total} mapping{plural}\n");
    let sources = v["sources"].as_array().cloned().unwrap_or_default();
    for s in &sources {
        let [virt, file, dataset, source] =
            ["virtual", "file", "dataset", "source"].map(|k| s[k].as_str().unwrap_or(""));
        text.push_str(&format!("  {virt} <- {file}:{dataset}{source}\n"));
    }
    let more = total.saturating_sub(sources.len());
    if more > 0 {
        text.push_str(&format!("  … and {more} more\n"));
    }
    for m in v["missing_files"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "warning: source file {} not found: its cells read as the fill value\n",
            m.as_str().unwrap_or("")
        ));
    }
    text
}

/// `dims:` then one line per axis: its label and attached scales.
fn dims_text(dims: &[Json]) -> String {
    let mut text = "dims:\n".to_string();
    for (i, d) in dims.iter().enumerate() {
        let scales: Vec<String> = d["scales"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| match s["name"].as_str().unwrap_or("") {
                "" => s["path"].as_str().unwrap_or("").to_string(),
                name => format!("{} ({name:?})", s["path"].as_str().unwrap_or("")),
            })
            .collect();
        let label = d["label"].as_str().unwrap_or("");
        text.push_str(&format!(
            "  {i}{}{}: {}\n",
            if label.is_empty() { "" } else { " " },
            label,
            if scales.is_empty() {
                "(no scale)".into()
            } else {
                scales.join(", ")
            }
        ));
    }
    text
}
