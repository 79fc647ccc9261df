//! `vh5 diff`: what changed from version A to version B, like a git diff
//! summary; `--cells` lists the changed cells, paged.

use std::io::IsTerminal;

use serde_json::{json, Map, Value as Json};

use super::output::{print_json, print_text};
use crate::engine::diff::{AttrDiff, Change, ChangedCells, DatasetChange, Depth, VersionDiff};
use crate::engine::{Result, Version, Vh5File};

pub struct DiffArgs {
    pub path: String,
    pub json: bool,
    pub cells: bool,
    pub limit: usize,
    pub offset: usize,
}

fn attrs_json(a: &AttrDiff) -> Json {
    let values: Map<String, Json> = a
        .changed
        .iter()
        .map(|(k, x, y)| (k.clone(), json!([x, y])))
        .collect();
    json!({
        "added": a.added,
        "removed": a.removed,
        "changed": a.changed.iter().map(|(k, _, _)| k).collect::<Vec<_>>(),
        "changed_values": values,
    })
}

fn change_json(c: &Change) -> Json {
    match c {
        Change::Group { path, attrs } => {
            json!({"path": path, "kind": "group", "attrs": attrs_json(attrs)})
        }
        Change::Dataset(d) => {
            let chunks = d.chunk_diff.as_ref();
            json!({
                "path": d.path,
                "kind": "dataset",
                "shape": [d.shape.0, d.shape.1],
                "dtype": [d.dtype.0, d.dtype.1],
                "attrs": attrs_json(&d.attrs),
                "chunks_changed": chunks.map(|c| c.changed()),
                "chunks_total": chunks.map(|c| c.total),
                "elements_changed": d.elements_changed,
                "chunks": [d.chunks.0, d.chunks.1],
                "fillvalue": [d.fill.0, d.fill.1],
                "compression": [d.compression.0, d.compression.1],
            })
        }
    }
}

pub fn diff_json(diff: &VersionDiff) -> Json {
    json!({
        "a": diff.a,
        "b": diff.b,
        "added": diff.added.iter().map(|n| &n.path).collect::<Vec<_>>(),
        "removed": diff.removed.iter().map(|n| &n.path).collect::<Vec<_>>(),
        "modified": diff.modified.iter().map(change_json).collect::<Vec<_>>(),
    })
}

/// One page of a dataset's changed cells.
fn cell_page(
    file: &Vh5File,
    a: &Version,
    b: &Version,
    d: &DatasetChange,
    args: &DiffArgs,
) -> Result<(Vec<Json>, bool)> {
    let (da, db) = (file.dataset(a, &d.path)?, file.dataset(b, &d.path)?);
    let Some(chunks) = &d.chunk_diff else {
        return Ok((Vec::new(), false));
    };
    let mut cells = ChangedCells::new(&da, &db, chunks).skip(args.offset);
    let mut page = Vec::new();
    for cell in cells.by_ref().take(args.limit) {
        let cell = cell?;
        page.push(json!({
            "index": cell.index,
            "old": cell.old.map(|v| v.to_json_shortest()),
            "new": cell.new.map(|v| v.to_json_shortest()),
        }));
    }
    Ok((page, cells.next().is_some()))
}

pub fn run(file: &Vh5File, a: &Version, b: &Version, args: DiffArgs) -> Result<()> {
    let diff = file.diff(a, b, &args.path, Depth::Cells)?;
    if args.json {
        let mut doc = diff_json(&diff);
        if args.cells {
            for (entry, change) in doc["modified"]
                .as_array_mut()
                .into_iter()
                .flatten()
                .zip(&diff.modified)
            {
                if let Change::Dataset(d) = change {
                    let (page, more) = cell_page(file, a, b, d, &args)?;
                    entry["cells"] = json!(page);
                    entry["cells_truncated"] = json!(more);
                }
            }
        }
        return print_json(&doc);
    }
    let paint = Paint(std::io::stdout().is_terminal());
    let mut out = format!("diff {} -> {}\n", diff.a, diff.b);
    for (nodes, sign) in [
        (&diff.added, paint.green("A")),
        (&diff.removed, paint.red("D")),
    ] {
        for n in nodes {
            out.push_str(&format!("{sign} {}  ({})\n", n.path, n.kind.as_str()));
        }
    }
    for c in &diff.modified {
        out.push_str(&format!(
            "{} {}  {}\n",
            paint.yellow("M"),
            c.path(),
            summary(c)
        ));
        if let (true, Change::Dataset(d)) = (args.cells, c) {
            let (page, more) = cell_page(file, a, b, d, &args)?;
            for cell in &page {
                let show = |v: &Json| {
                    if v.is_null() {
                        "(absent)".to_string()
                    } else {
                        v.to_string()
                    }
                };
                let index: Vec<String> = cell["index"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| i.to_string())
                    .collect();
                out.push_str(&format!(
                    "    [{}]: {} -> {}\n",
                    index.join(", "),
                    show(&cell["old"]),
                    show(&cell["new"])
                ));
            }
            if more {
                out.push_str(&format!(
                    "    ... more (--offset {})\n",
                    args.offset + args.limit
                ));
            }
        }
    }
    if diff.added.is_empty() && diff.removed.is_empty() && diff.modified.is_empty() {
        out.push_str("no changes\n");
    }
    print_text(&out)
}

/// One line: what changed in a node.
fn summary(c: &Change) -> String {
    let attrs = |a: &AttrDiff| {
        let mut parts: Vec<String> = a.added.iter().map(|k| format!("+{k}")).collect();
        parts.extend(a.removed.iter().map(|k| format!("-{k}")));
        parts.extend(a.changed.iter().map(|(k, x, y)| format!("{k}: {x} -> {y}")));
        if parts.is_empty() {
            String::new()
        } else {
            format!("attrs {}", parts.join(", "))
        }
    };
    match c {
        Change::Group { attrs: a, .. } => attrs(a),
        Change::Dataset(d) => {
            let mut parts = Vec::new();
            if d.shape.0 != d.shape.1 {
                parts.push(format!("shape {:?} -> {:?}", d.shape.0, d.shape.1));
            }
            if d.dtype.0 != d.dtype.1 {
                parts.push(format!("dtype {} -> {}", d.dtype.0, d.dtype.1));
            }
            if let Some(ch) = &d.chunk_diff {
                parts.push(format!("{}/{} chunks", ch.changed(), ch.total));
            }
            if let Some(n) = d.elements_changed {
                parts.push(format!("{n} cells"));
            }
            let a = attrs(&d.attrs);
            if !a.is_empty() {
                parts.push(a);
            }
            parts.join("  ")
        }
    }
}

/// ANSI colours, only when writing to a terminal.
struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
}
