//! Replays against versioned-hdf5's `delete_versions` and `modify_metadata`:
//! the same operations (tests/interop/replay_cases.py) applied by vh5 and by
//! Python on identical copies leave files whose every version reads the
//! same in Python, whose raw data holds the same set of chunks, and on
//! which Python can keep committing.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use serde_json::Value as Json;

fn python_json(args: &[&str]) -> Json {
    let out = Command::new(python()).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn vh5_replays_equal_python_replays() {
    let dir = tempfile::tempdir().unwrap();
    let script = repo_root().join("tests/interop/replay_cases.py");
    let prepared = python_json(&[
        script.to_str().unwrap(),
        "prepare",
        dir.path().to_str().unwrap(),
    ]);
    let cases = prepared.as_object().unwrap();
    assert!(cases.len() >= 20, "expected the whole case table");
    let mut vh5_files: Vec<PathBuf> = Vec::new();
    for (name, files) in cases {
        let f = dir.path().join(format!("{name}.vh5.h5"));
        std::fs::copy(files["base"].as_str().unwrap(), &f).unwrap();
        let ops: Json =
            serde_json::from_slice(&std::fs::read(files["ops"].as_str().unwrap()).unwrap())
                .unwrap();
        for op in ops.as_array().unwrap() {
            let args: Vec<&str> = op["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let mut all = vec![args[0], f.to_str().unwrap()];
            all.extend(&args[1..]);
            let out = vh5(&all);
            assert!(
                out.status.success(),
                "{name}: vh5 {all:?}: {}",
                stderr(&out)
            );
        }
        let cmp = python_json(&[
            script.to_str().unwrap(),
            "compare",
            f.to_str().unwrap(),
            files["python"].as_str().unwrap(),
        ]);
        assert_eq!(
            cmp["equal"], true,
            "{name}: vh5 and versioned-hdf5 differ: {:#}",
            cmp["differences"]
        );
        if name == "compact" {
            let base = std::fs::metadata(files["base"].as_str().unwrap())
                .unwrap()
                .len();
            assert!(
                std::fs::metadata(&f).unwrap().len() < base,
                "compact gave no space back"
            );
        }
        vh5_files.push(f);
    }
    // Python keeps committing on every replayed file.
    let check = repo_root().join("tests/interop/check_files.py");
    let mut args = vec![check.to_str().unwrap(), "continue-many", "after-replay"];
    args.extend(vh5_files.iter().map(|f| f.to_str().unwrap()));
    let continued = python_json(&args);
    for f in &vh5_files {
        let doc = &continued[f.to_str().unwrap()];
        assert_eq!(
            doc["rplus_mismatches"],
            serde_json::json!([]),
            "{}",
            f.display()
        );
        assert_eq!(doc["current_version"], "after-replay", "{}", f.display());
    }
}
