//! `vh5 blame` and `vh5 stats` against Python: on fixtures written by
//! versioned-hdf5 (tests/interop/blame_stats_cases.py: branches, resizes,
//! datasets deleted and re-created, versions deleted by `delete_versions`,
//! orphaned slots), blame equals a brute-force walk over each version's
//! `virtual_sources()`, stats equal Python's sums, and a version's
//! `bytes_unique` is what Python's `delete_versions` of it frees (and what
//! the browser's delete dialog announces).

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value as Json;
use vh5::engine::chunkindex::map_reads;
use vh5::engine::session::Session;
use vh5::engine::{progress, VersionSpec, Vh5File};

fn prepare(dir: &Path) -> Json {
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop/blame_stats_cases.py"))
        .args(["prepare", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "blame_stats_cases.py: {}",
        stderr(&out)
    );
    serde_json::from_slice(&std::fs::read(dir.join("blame_stats_expected.json")).unwrap()).unwrap()
}

#[test]
fn blame_and_stats_equal_python() {
    let dir = tempfile::tempdir().unwrap();
    let cases = prepare(dir.path());
    blame_equals_brute_force(dir.path(), &cases["blame"]);
    stats_equal_python_sums(dir.path(), &cases["stats"]);
    bytes_unique_is_what_delete_versions_frees(dir.path(), &cases["deletes"]);
    blame_reads_each_map_once(&dir.path().join("history.h5"));
    read_only_and_bad_input(&dir.path().join("history.h5"));
    plain_files_have_no_history(&dir.path().join("plain.h5"));
}

/// A plain HDF5 file: stats has its size and no version storage; blame
/// has no history to follow and says so.
fn plain_files_have_no_history(file: &Path) {
    let make = "import sys, h5py, numpy as np\n\
                with h5py.File(sys.argv[1], 'w') as f:\n\
                \x20   f.create_dataset('x', data=np.arange(10), chunks=(4,))\n\
                print('{}')";
    python_snippet_json(make, &[file.to_str().unwrap()]);
    let f = file.to_str().unwrap();
    let doc = vh5_json(&["stats", f, "--json"]);
    assert_eq!(doc["datasets"], serde_json::json!({}));
    assert_eq!(doc["versions"][0]["name"], ".");
    assert_eq!(
        doc["file_size"].as_u64(),
        Some(std::fs::metadata(file).unwrap().len())
    );
    let err = assert_bad_input(&["blame", f, "/x"]);
    assert!(err.contains("not a versioned dataset"), "{err}");
}

fn blame_equals_brute_force(dir: &Path, cases: &Json) {
    let cases = cases.as_array().unwrap();
    assert!(cases.len() > 200, "{} blame cases", cases.len());
    let mut open: HashMap<String, Vh5File> = HashMap::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case["file"].as_str().unwrap();
        let file = dir.join(name);
        let (version, path) = (
            case["version"].as_str().unwrap(),
            case["path"].as_str().unwrap(),
        );
        let what = format!("vh5 blame {name} --version {version} {path}");
        // Every 10th case through the binary, the rest in-process.
        let got = if i % 10 == 0 {
            let f = file.to_str().unwrap();
            vh5_json(&["blame", f, "--version", version, path, "--json"])
        } else {
            let f = open
                .entry(name.to_string())
                .or_insert_with(|| Vh5File::open(&file).unwrap());
            let v = f
                .resolve_version(Some(&VersionSpec::Name(version.into())))
                .unwrap();
            let blame = f.blame(&v, path, &progress::never).unwrap();
            vh5::cli::blame::blame_json(&blame)
        };
        if let Some(diff) = first_difference(&got, &case["expected"], "") {
            panic!("{what}: {diff}");
        }
    }
}

fn stats_equal_python_sums(dir: &Path, cases: &Json) {
    for case in cases.as_array().unwrap() {
        let file = dir.join(case["file"].as_str().unwrap());
        let got = vh5_json(&["stats", file.to_str().unwrap(), "--json"]);
        assert_contains(
            &got,
            &case["expected"],
            &format!("vh5 stats {}", case["file"]),
        );
        assert_eq!(
            got["file_size"].as_u64().unwrap(),
            std::fs::metadata(&file).unwrap().len()
        );
        let orphans: u64 = got["datasets"]
            .as_object()
            .unwrap()
            .values()
            .map(|d| d["orphaned_slots"].as_u64().unwrap())
            .sum();
        // Only the file with version groups deleted behind versioned-hdf5's
        // back has slots no version uses; its orphans' stored bytes count as
        // reclaimable.
        let orphaned_file = case["file"] == "orphans.h5";
        assert_eq!(orphans > 0, orphaned_file, "{}", case["file"]);
        assert_eq!(
            got["reclaimable_bytes"].as_u64().unwrap() > 0,
            orphaned_file,
            "{}",
            case["file"]
        );
    }
}

fn bytes_unique_is_what_delete_versions_frees(dir: &Path, cases: &Json) {
    let cases = cases.as_array().unwrap();
    assert!(cases.len() > 10);
    let mut stats: HashMap<String, Json> = HashMap::new();
    let mut sessions: HashMap<String, Session> = HashMap::new();
    let slots = |doc: &Json| -> u64 {
        let sets = doc["datasets"].as_object().unwrap().values();
        sets.map(|d| d["raw_slots"].as_u64().unwrap()).sum()
    };
    let mut freeing = 0;
    for case in cases {
        let name = case["file"].as_str().unwrap();
        let version = case["version"].as_str().unwrap();
        let before = stats
            .entry(name.to_string())
            .or_insert_with(|| vh5_json(&["stats", dir.join(name).to_str().unwrap(), "--json"]));
        let entry = before["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == version)
            .unwrap();
        let what = format!("{name}: deleting {version}");
        assert_eq!(entry["bytes_unique"], case["freed_bytes"], "{what}");
        // The browser's delete dialog says the same.
        let plan = sessions
            .entry(name.to_string())
            .or_insert_with(|| Session::open(&dir.join(name)).unwrap())
            .delete_plan(&[version.to_string()], &progress::never)
            .unwrap();
        assert_eq!(
            Some(plan.bytes_freed),
            case["freed_bytes"].as_u64(),
            "{what}"
        );
        // vh5 counts the slots Python's rebuilt raw_data lost.
        let copy = dir.join(case["copy"].as_str().unwrap());
        let after = vh5_json(&["stats", copy.to_str().unwrap(), "--json"]);
        let freed_slots = case["freed_slots"].as_u64().unwrap();
        assert_eq!(slots(before) - slots(&after), freed_slots, "{what}");
        freeing += (freed_slots > 0) as usize;
        // HDF5 does not give freed space back in place: the file never
        // shrinks (it grows by the rebuilt objects), so the freed bytes are
        // told by raw_data's slots, not by the file size (`compact` gives
        // the space back).
        assert!(
            case["size_after"].as_u64() >= case["size_before"].as_u64(),
            "{what}"
        );
    }
    assert!(freeing > 5, "only {freeing} deletes free anything");
}

/// One chunk-map read per version on the ancestry, once per open file.
fn blame_reads_each_map_once(file: &Path) {
    let f = Vh5File::open(file).unwrap();
    let v = f
        .resolve_version(Some(&VersionSpec::Name("h5".into())))
        .unwrap();
    let before = map_reads();
    let blame = f.blame(&v, "/m", &progress::never).unwrap();
    let reads = map_reads() - before;
    assert!(
        reads as usize <= blame.ancestry.len(),
        "{reads} reads for {} versions",
        blame.ancestry.len()
    );
    // A second blame, and the history scans after it, reuse the maps.
    let again = map_reads();
    f.blame(&v, "/m", &progress::never).unwrap();
    let h3 = f
        .resolve_version(Some(&VersionSpec::Name("h3".into())))
        .unwrap();
    f.blame(&h3, "/m", &progress::never).unwrap();
    assert_eq!(map_reads(), again);
}

fn read_only_and_bad_input(file: &Path) {
    let f = file.to_str().unwrap();
    let before = file_fingerprint(file);
    let text = stdout(&vh5(&["blame", f, "/m"]));
    // h5's /m: row 0 of chunks from h1 (h2 rewrote chunk [0, 0]), merged.
    assert!(
        text.starts_with("/m in h5: shape [9, 8], chunks [4, 3]"),
        "{text}"
    );
    assert!(
        text.contains("never written") || text.contains("h1"),
        "{text}"
    );
    let stats = stdout(&vh5(&["stats", f]));
    assert!(
        stats.contains("file size") && stats.contains("/m"),
        "{stats}"
    );
    assert_bad_input(&["blame", f, "/nope"]);
    assert_bad_input(&["blame", f, "/"]);
    assert_bad_input(&["blame", f, "--version", "zz", "/m"]);
    assert_bad_input(&["stats", "/no/such/file.h5"]);
    assert_eq!(
        file_fingerprint(file),
        before,
        "blame/stats wrote to the file"
    );
}
