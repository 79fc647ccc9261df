//! `vh5 diff` against Python: on fixtures made by versioned-hdf5
//! (tests/interop/diff_cases.py), the added/removed/modified sets, chunk
//! counts and changed-cell counts equal what Python computes by loading
//! both versions with NumPy, and every slice versioned-hdf5's `get_diff`
//! reports lies in a chunk vh5 calls changed.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value as Json;
use vh5::engine::diff::{chunk_diff, diff_mask, ChangedCells};
use vh5::engine::{VersionSpec, Vh5File};

fn cases() -> (tempfile::TempDir, Vec<Json>) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop/diff_cases.py"))
        .args(["prepare", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "diff_cases.py: {}", stderr(&out));
    let cases: Json =
        serde_json::from_slice(&std::fs::read(dir.path().join("diff_expected.json")).unwrap())
            .unwrap();
    let list = cases.as_array().unwrap().clone();
    assert!(list.len() > 100);
    (dir, list)
}

#[test]
fn diff_equals_python_and_covers_get_diff() {
    let (dir, cases) = cases();
    for (i, case) in cases.iter().enumerate() {
        let file = dir.path().join(case["file"].as_str().unwrap());
        let f = file.to_str().unwrap();
        let (a, b, path) = (
            case["a"].as_str().unwrap(),
            case["b"].as_str().unwrap(),
            case["path"].as_str().unwrap(),
        );
        let what = format!("vh5 diff {} {a} {b} {path}", case["file"]);
        let file = Vh5File::open(&file).unwrap();
        let va = file
            .resolve_version(Some(&VersionSpec::parse(a).unwrap()))
            .unwrap();
        let vb = file
            .resolve_version(Some(&VersionSpec::parse(b).unwrap()))
            .unwrap();
        // Every 10th case through the binary, the rest in-process.
        let got = if i % 10 == 0 {
            vh5_json(&["diff", f, a, b, path, "--json"])
        } else {
            let d = file
                .diff(&va, &vb, path, vh5::engine::diff::Depth::Cells)
                .unwrap();
            vh5::cli::diff::diff_json(&d)
        };
        assert_contains(&got, &case["expected"], &what);

        // get_diff's slices fall in chunks vh5 calls changed; cell lists match.
        for (ds_path, slices) in case["get_diff"].as_object().unwrap() {
            let (da, db) = (
                file.dataset(&va, ds_path).unwrap(),
                file.dataset(&vb, ds_path).unwrap(),
            );
            let diff = chunk_diff(&da, &db).unwrap();
            let chunks = da.meta.chunks.clone().unwrap();
            let common: Vec<usize> = da
                .meta
                .shape
                .iter()
                .zip(&db.meta.shape)
                .map(|(&x, &y)| x.min(y))
                .collect();
            for slice in slices.as_array().unwrap() {
                let starts: Vec<usize> = slice
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|ax| ax[0].as_u64().unwrap() as usize)
                    .collect();
                let position: Vec<usize> =
                    starts.iter().zip(&chunks).map(|(&s, &c)| s / c).collect();
                let in_common = position
                    .iter()
                    .zip(&common)
                    .zip(&chunks)
                    .all(|((&p, &n), &c)| p * c < n);
                assert!(
                    !in_common || diff.changed_common.contains(&position),
                    "{what}: get_diff reports {slice} in {ds_path}, vh5 calls chunk {position:?} unchanged"
                );
            }
        }
        for (ds_path, cells) in case["cells"].as_object().unwrap() {
            let (da, db) = (
                file.dataset(&va, ds_path).unwrap(),
                file.dataset(&vb, ds_path).unwrap(),
            );
            let diff = chunk_diff(&da, &db).unwrap();
            let mut got: Vec<Json> = ChangedCells::new(&da, &db, &diff)
                .map(|c| {
                    let c = c.unwrap();
                    serde_json::json!([
                        c.index,
                        c.old.map(|v| v.to_json()),
                        c.new.map(|v| v.to_json())
                    ])
                })
                .collect();
            // Pages (`skip` passes over cells without making them) are
            // slices of the whole list.
            let n = got.len();
            for offset in [1, n / 2, n.saturating_sub(1), n, n + 1] {
                let page: Vec<Json> = ChangedCells::new(&da, &db, &diff)
                    .skip(offset)
                    .take(3)
                    .map(|c| {
                        let c = c.unwrap();
                        serde_json::json!([
                            c.index,
                            c.old.map(|v| v.to_json()),
                            c.new.map(|v| v.to_json())
                        ])
                    })
                    .collect();
                let want = &got[offset.min(n)..(offset + 3).min(n)];
                assert_eq!(page, want, "{what}: page at {offset} of {ds_path}");
            }
            let mut expected = cells.as_array().unwrap().clone();
            got.sort_by_key(|c| c.to_string());
            expected.sort_by_key(|c| c.to_string());
            assert_eq!(got, expected, "{what}: changed cells of {ds_path}");

            // The browser's mask over B's cells marks exactly the listed
            // cells that B holds: over all of B, and over B from 1 on.
            let changed_in_b: std::collections::BTreeSet<Vec<usize>> = expected
                .iter()
                .filter(|c| !c[2].is_null())
                .map(|c| {
                    let index = c[0].as_array().unwrap();
                    index.iter().map(|i| i.as_u64().unwrap() as usize).collect()
                })
                .collect();
            let shape = db.meta.shape.clone();
            let from_one: Vec<usize> = shape.iter().map(|&n| n.min(1)).collect();
            for start in [vec![0; shape.len()], from_one] {
                let count: Vec<usize> = shape.iter().zip(&start).map(|(n, s)| n - s).collect();
                let (mask, _) = diff_mask(&da, &db, &start, &count).unwrap();
                assert_eq!(mask.len(), count.iter().product::<usize>());
                for (k, &changed) in mask.iter().enumerate() {
                    let mut index = vec![0; count.len()];
                    let mut rest = k;
                    for d in (0..count.len()).rev() {
                        index[d] = start[d] + rest % count[d];
                        rest /= count[d];
                    }
                    assert_eq!(
                        changed,
                        changed_in_b.contains(&index),
                        "{what}: mask of {ds_path} from {start:?} at {index:?}"
                    );
                }
            }
        }
    }
}

/// A diff reads only the changed chunks: 3 changed chunks of a dataset of
/// 10^7 elements in 100 chunks cost 6 chunk reads (3 per version).
#[test]
fn diff_reads_only_changed_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.h5");
    let script = r#"
import sys, datetime as dt, numpy as np, h5py
from versioned_hdf5 import VersionedHDF5File
with h5py.File(sys.argv[1], "w") as f:
    vf = VersionedHDF5File(f)
    t = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with vf.stage_version("v1", timestamp=t) as g:
        g.create_dataset("x", data=np.arange(10**7, dtype="u1"), chunks=(100000,))
    with vf.stage_version("v2", timestamp=t + dt.timedelta(hours=1)) as g:
        for i in (5, 4_200_000, 9_999_999):
            g["x"][i] = 255 - g["x"][i]
"#;
    let out = Command::new(python())
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let f = Vh5File::open(&file).unwrap();
    let (v1, v2) = (
        f.resolve_version(Some(&VersionSpec::parse("v1").unwrap()))
            .unwrap(),
        f.resolve_version(None).unwrap(),
    );
    let before = vh5::engine::read::chunk_reads();
    let d = f
        .diff(&v1, &v2, "/", vh5::engine::diff::Depth::Cells)
        .unwrap();
    let reads = vh5::engine::read::chunk_reads() - before;
    let json = vh5::cli::diff::diff_json(&d);
    assert_eq!(json["modified"][0]["chunks_changed"], 3);
    assert_eq!(json["modified"][0]["chunks_total"], 100);
    assert_eq!(json["modified"][0]["elements_changed"], 3);
    assert_eq!(
        reads, 6,
        "a diff must read only the 3 changed chunks, in both versions"
    );
}

/// `diff --cells` writes float32 values as their shortest text (`0.1`),
/// not their float64 widening, in text and in JSON.
#[test]
fn cells_of_float32_print_their_shortest_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &file).unwrap();
    let f = file.to_str().unwrap();
    for args in [
        vec![
            "--name",
            "f1",
            "--create",
            "/f32=[0.1, 0.2]",
            "--dtype",
            "<f4",
        ],
        vec!["--name", "f2", "--set", "/f32[0]=0.3"],
    ] {
        let mut all = vec!["commit", f];
        all.extend(args);
        let out = vh5(&all);
        assert!(out.status.success(), "{all:?}: {}", stderr(&out));
    }
    let out = vh5(&["diff", f, "f1", "f2", "--cells"]);
    let text = stdout(&out);
    assert!(
        text.contains("0.1") && text.contains("0.3") && !text.contains("0.10000000149"),
        "{text}"
    );
    let doc = vh5_json(&["diff", f, "f1", "f2", "--cells", "--json"]);
    let cells = doc["modified"][0]["cells"].to_string();
    assert_eq!(cells, r#"[{"index":[0],"old":0.1,"new":0.3}]"#, "{doc}");
}
