//! `vh5 diff` against Python: on fixtures made by versioned-hdf5
//! (tests/interop/diff_cases.py), the added/removed/modified sets, chunk
//! counts and changed-cell counts equal what Python computes by loading
//! both versions with NumPy, and every slice versioned-hdf5's `get_diff`
//! reports lies in a chunk vh5 calls changed.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value as Json;
use vh5::engine::diff::{chunk_diff, ChangedCells};
use vh5::engine::{VersionSpec, Vh5File};

fn cases() -> (tempfile::TempDir, Vec<Json>) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop/diff_cases.py"))
        .args(["prepare", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "diff_cases.py: {}", stderr(&out));
    let cases: Json = serde_json::from_slice(&std::fs::read(dir.path().join("diff_expected.json")).unwrap()).unwrap();
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
        let (a, b, path) = (case["a"].as_str().unwrap(), case["b"].as_str().unwrap(), case["path"].as_str().unwrap());
        let what = format!("vh5 diff {} {a} {b} {path}", case["file"]);
        // Every 10th case through the binary, the rest in-process.
        let got = if i % 10 == 0 {
            vh5_json(&["diff", f, a, b, path, "--json"])
        } else {
            let file = Vh5File::open(&file).unwrap();
            let va = file.resolve_version(Some(&VersionSpec::parse(a).unwrap())).unwrap();
            let vb = file.resolve_version(Some(&VersionSpec::parse(b).unwrap())).unwrap();
            let d = file.diff(&va, &vb, path, vh5::engine::diff::Depth::Cells).unwrap();
            vh5::cli::diff::diff_json(&d)
        };
        assert_contains(&got, &case["expected"], &what);

        // get_diff's slices fall in chunks vh5 calls changed; cell lists match.
        let file = Vh5File::open(&file).unwrap();
        let va = file.resolve_version(Some(&VersionSpec::parse(a).unwrap())).unwrap();
        let vb = file.resolve_version(Some(&VersionSpec::parse(b).unwrap())).unwrap();
        for (ds_path, slices) in case["get_diff"].as_object().unwrap() {
            let (da, db) = (file.dataset(&va, ds_path).unwrap(), file.dataset(&vb, ds_path).unwrap());
            let diff = chunk_diff(&da, &db).unwrap();
            let chunks = da.meta.chunks.clone().unwrap();
            let common: Vec<usize> = da.meta.shape.iter().zip(&db.meta.shape).map(|(&x, &y)| x.min(y)).collect();
            for slice in slices.as_array().unwrap() {
                let starts: Vec<usize> = slice.as_array().unwrap().iter().map(|ax| ax[0].as_u64().unwrap() as usize).collect();
                let position: Vec<usize> = starts.iter().zip(&chunks).map(|(&s, &c)| s / c).collect();
                let in_common = position.iter().zip(&common).zip(&chunks).all(|((&p, &n), &c)| p * c < n);
                assert!(
                    !in_common || diff.changed_common.contains(&position),
                    "{what}: get_diff reports {slice} in {ds_path}, vh5 calls chunk {position:?} unchanged"
                );
            }
        }
        for (ds_path, cells) in case["cells"].as_object().unwrap() {
            let (da, db) = (file.dataset(&va, ds_path).unwrap(), file.dataset(&vb, ds_path).unwrap());
            let diff = chunk_diff(&da, &db).unwrap();
            let mut got: Vec<Json> = ChangedCells::new(&da, &db, &diff)
                .map(|c| {
                    let c = c.unwrap();
                    serde_json::json!([c.index, c.old.map(|v| v.to_json()), c.new.map(|v| v.to_json())])
                })
                .collect();
            let mut expected = cells.as_array().unwrap().clone();
            got.sort_by_key(|c| c.to_string());
            expected.sort_by_key(|c| c.to_string());
            assert_eq!(got, expected, "{what}: changed cells of {ds_path}");
        }
    }
}
