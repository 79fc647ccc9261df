//! `vh5 commit` against versioned-hdf5's `stage_version`: the same edit
//! scripts (tests/interop/commit_cases.py) applied once by each on
//! identical copies must leave files that read the same in Python, store the
//! same chunks with the digests Python computes, and on which Python can
//! keep committing; vh5 then reads Python's result.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value as Json;

fn python_json(script: &str, args: &[&str]) -> Json {
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop").join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{script} {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

struct Case {
    name: String,
    python_dump: Json,
    vh5_file: PathBuf,
}

/// Every case, prepared once per test run: Python applies the commits to
/// one copy, vh5 to another.
fn cases() -> &'static [Case] {
    static CASES: std::sync::OnceLock<Vec<Case>> = std::sync::OnceLock::new();
    CASES.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("vh5-commit")
            .tempdir()
            .unwrap()
            .keep();
        run_cases(&dir)
    })
}

fn run_cases(dir: &Path) -> Vec<Case> {
    let prepared = python_json("commit_cases.py", &["prepare", dir.to_str().unwrap()]);
    let mut cases = Vec::new();
    for (name, files) in prepared.as_object().unwrap() {
        let vh5_file = dir.join(format!("{name}.vh5.h5"));
        std::fs::copy(files["base"].as_str().unwrap(), &vh5_file).unwrap();
        let edits: Json =
            serde_json::from_slice(&std::fs::read(files["edits"].as_str().unwrap()).unwrap())
                .unwrap();
        for commit in edits.as_array().unwrap() {
            let args: Vec<&str> = commit["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let mut all = vec!["commit", vh5_file.to_str().unwrap()];
            all.extend(&args);
            let out = vh5(&all);
            assert!(
                out.status.success(),
                "{name}: vh5 {all:?}: {}",
                stderr(&out)
            );
        }
        let python_dump =
            serde_json::from_slice(&std::fs::read(files["python_dump"].as_str().unwrap()).unwrap())
                .unwrap();
        cases.push(Case {
            name: name.clone(),
            python_dump,
            vh5_file,
        });
    }
    cases
}

/// Hash-table rows as a multiset: slot order may differ from Python's
/// (it allocates partly written chunks first), the stored set may not.
fn normalize_raw(raw: &Json) -> Json {
    let mut raw = raw.clone();
    for entry in raw.as_object_mut().unwrap().values_mut() {
        let rows = entry["hash_rows"].as_array().unwrap();
        let mut by_digest: Vec<(String, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_string(),
                    r[2].as_i64().unwrap() - r[1].as_i64().unwrap(),
                )
            })
            .collect();
        by_digest.sort();
        entry["hash_rows"] = serde_json::json!(by_digest);
    }
    raw
}

#[test]
fn vh5_commits_equal_python_commits() {
    let cases = cases();
    assert!(
        cases.len() >= 20,
        "expected the whole case table, got {}",
        cases.len()
    );
    let files: Vec<&str> = cases.iter().map(|c| c.vh5_file.to_str().unwrap()).collect();
    let mut args = vec!["dump-many"];
    args.extend(&files);
    let dumps = python_json("check_files.py", &args);
    for case in cases {
        let vh5_side = &dumps[case.vh5_file.to_str().unwrap()];
        let py = &case.python_dump;
        for key in ["versions", "current_version", "trees"] {
            if let Some(d) = first_difference(&vh5_side[key], &py[key], key) {
                panic!(
                    "{}: every version must read the same in Python: {d}",
                    case.name
                );
            }
        }
        // Same stored chunks (raw_data does not grow on duplicates), same
        // pinned properties, same digests.
        if let Some(d) = first_difference(
            &normalize_raw(&vh5_side["raw"]),
            &normalize_raw(&py["raw"]),
            "raw",
        ) {
            panic!("{}: storage differs: {d}", case.name);
        }
    }
}

/// Every mapping of every version points at a hash-table row whose digest
/// is what Python computes for that chunk's data.
#[test]
fn hash_rows_vh5_writes_are_pythons_digests() {
    let cases = cases();
    let files: Vec<&str> = cases.iter().map(|c| c.vh5_file.to_str().unwrap()).collect();
    let mut args = vec!["hashes-all"];
    args.extend(&files);
    let hashes = python_json("check_files.py", &args);
    let mut args = vec!["dump-many"];
    args.extend(&files);
    let dumps = python_json("check_files.py", &args);
    let mut checked = 0;
    for case in cases {
        let f = case.vh5_file.to_str().unwrap();
        let raw = &dumps[f]["raw"];
        for (version, paths) in hashes[f].as_object().unwrap() {
            for (path, chunks) in paths.as_object().unwrap() {
                let table: BTreeMap<i64, &str> = raw[path]["hash_rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| (r[1].as_i64().unwrap(), r[0].as_str().unwrap()))
                    .collect();
                for chunk in chunks.as_array().unwrap() {
                    let start = chunk[2][0].as_i64().unwrap();
                    assert_eq!(
                        table.get(&start).copied(),
                        chunk[1].as_str(),
                        "{}: {version} {path} chunk {}: hash row differs from Python's digest",
                        case.name,
                        chunk[0]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} chunks checked");
}

/// Python commits on top of vh5's files; vh5 then reads Python's result
/// exactly as Python does.
#[test]
fn python_continues_on_vh5_files_and_vh5_reads_the_result() {
    // Python changes the files in place: work on copies.
    let copies: Vec<PathBuf> = cases()
        .iter()
        .map(|c| {
            let copy = c.vh5_file.with_extension("continued.h5");
            std::fs::copy(&c.vh5_file, &copy).unwrap();
            copy
        })
        .collect();
    let mut args = vec!["continue-many", "py-next"];
    args.extend(copies.iter().map(|p| p.to_str().unwrap()));
    let continued = python_json("check_files.py", &args);
    for (case, copy) in cases().iter().zip(&copies) {
        let f = copy.to_str().unwrap();
        let doc = &continued[f];
        assert_eq!(
            doc["rplus_mismatches"],
            serde_json::json!([]),
            "{}: Python's r+ reading differs",
            case.name
        );
        assert_eq!(doc["current_version"], "py-next", "{}", case.name);
        let ours = vh5_json(&["dump", f, "--json"]);
        for key in ["versions", "current_version", "trees"] {
            assert_contains(
                &ours[key],
                &doc[key],
                &format!("{}: vh5 reading Python's continuation: {key}", case.name),
            );
        }
    }
}

fn demo_copy(dir: &Path) -> PathBuf {
    let p = dir.join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &p).unwrap();
    p
}

/// Runs a Python snippet (argv[1] = the file) and parses what it prints.
fn python_snippet(script: &str, file: &Path) -> Json {
    let out = Command::new(python())
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// String values without JSON quotes, where the target holds strings: a new
/// attribute, an existing string attribute, a string dataset. versioned-hdf5
/// reads them back as Python str; JSON values keep their JSON meaning.
#[test]
fn bare_strings_commit_as_strings_python_reads() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path());
    let f = p.to_str().unwrap();
    let out = vh5(&[
        "commit",
        f,
        "--name",
        "bare",
        "--attr",
        "/market/prices@note=hello",
        "--attr",
        "/market@currency=EUR",
        "--attr",
        "/@why=NaN",
        "--attr",
        "/market@quoted=\"7\"",
        "--attr",
        "/market@number=7",
        "--set",
        "/market/tickers[0]=ZZZ X",
        "--set",
        "/notes/journal[1:3]=fixed tick",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = r#"
import sys, json, h5py
from versioned_hdf5 import VersionedHDF5File

def py(x):
    x = x.decode() if isinstance(x, bytes) else x
    return [type(x).__name__, x if isinstance(x, str) else x.item()]

with h5py.File(sys.argv[1], "r") as f:
    v = VersionedHDF5File(f)["bare"]
    print(json.dumps({
        "note": py(v["market/prices"].attrs["note"]),
        "currency": py(v["market"].attrs["currency"]),
        "why": py(v.attrs["why"]),
        "quoted": py(v["market"].attrs["quoted"]),
        "number": py(v["market"].attrs["number"]),
        "ticker": py(v["market/tickers"][0]),
        "journal": [py(x) for x in v["notes/journal"][0:4]],
    }))
"#;
    let got = python_snippet(script, &p);
    let journal = &got["journal"];
    assert_eq!(got["note"], serde_json::json!(["str", "hello"]));
    assert_eq!(got["currency"], serde_json::json!(["str", "EUR"]));
    assert_eq!(got["why"], serde_json::json!(["str", "NaN"]));
    assert_eq!(got["quoted"], serde_json::json!(["str", "7"]));
    assert_eq!(got["number"], serde_json::json!(["int64", 7]));
    assert_eq!(got["ticker"], serde_json::json!(["str", "ZZZ X"]));
    assert_eq!(journal[1], serde_json::json!(["str", "fixed tick"]));
    assert_eq!(journal[2], serde_json::json!(["str", "fixed tick"]));
    assert_ne!(journal[0], serde_json::json!(["str", "fixed tick"]));
}

/// A commit without edits is refused (file byte-identical) unless
/// `--allow-empty`; then versioned-hdf5 sees the new version, with its
/// parent's content.
#[test]
fn empty_commit_needs_allow_empty() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path());
    let f = p.to_str().unwrap();
    let before = file_fingerprint(&p);
    let args = ["commit", f, "--name", "empty"];
    let err = assert_bad_input(&args);
    assert!(err.contains("--allow-empty"), "{err}");
    assert_eq!(file_fingerprint(&p), before, "a refused commit wrote");

    let out = vh5(&[&args[..], &["--allow-empty"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let script = r#"
import sys, json, h5py
import numpy as np
from versioned_hdf5 import VersionedHDF5File

with h5py.File(sys.argv[1], "r") as f:
    vf = VersionedHDF5File(f)
    v, prev = vf["empty"], vf["eod-2025-05-30"]
    print(json.dumps({
        "current": vf.current_version,
        "prev": v.attrs["prev_version"],
        "same": bool(np.array_equal(v["market/prices"][:], prev["market/prices"][:], equal_nan=True)),
    }))
"#;
    let got = python_snippet(script, &p);
    assert_eq!(got["current"], "empty");
    assert_eq!(got["prev"], "eod-2025-05-30");
    assert_eq!(got["same"], true);
}
