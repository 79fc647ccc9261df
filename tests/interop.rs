//! vh5 against the real versioned-hdf5: fixtures made by the Python library
//! (tests/interop/make_fixtures.py) and Python's own reading of them as
//! JSON; every log, ls, show, cat and dump output must equal it.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use serde_json::Value as Json;
use vh5::cli::{cat, ls};
use vh5::engine::{VersionSpec, Vh5File};

const FIXTURES: [&str; 5] = ["linear", "branches", "dtypes", "multidim", "plain"];

/// Fixtures are generated once per test run by the real library.
fn fixture_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("vh5-interop")
            .tempdir()
            .unwrap()
            .keep();
        let script = repo_root().join("tests/interop/make_fixtures.py");
        run_python(&script, &[dir.to_str().unwrap()]);
        dir
    })
}

fn fixture(name: &str) -> (String, Json) {
    let dir = fixture_dir();
    let expected = std::fs::read(dir.join(format!("{name}.expected.json"))).unwrap();
    let file = dir.join(format!("{name}.h5")).to_str().unwrap().to_string();
    (file, serde_json::from_slice(&expected).unwrap())
}

#[test]
fn log_equals_python() {
    for name in FIXTURES {
        let (file, expected) = fixture(name);
        let got = vh5_json(&["log", &file, "--json"]);
        assert_contains(&got, &expected["log"], &format!("{name}: log"));
    }
}

#[test]
fn dump_equals_python_for_every_version() {
    for name in FIXTURES {
        let (file, expected) = fixture(name);
        let got = vh5_json(&["dump", &file, "--json"]);
        assert_contains(&got, &expected["dump"], &format!("{name}: dump"));
    }
}

#[test]
fn ls_equals_python_for_every_version() {
    for name in FIXTURES {
        let (file, expected) = fixture(name);
        let f = Vh5File::open(&file).unwrap();
        for (version, doc) in expected["ls"].as_object().unwrap() {
            let v = f
                .resolve_version(Some(&VersionSpec::Name(version.clone())))
                .unwrap();
            let got = ls::ls_json(&f, &v, "/").unwrap();
            assert_contains(&got, doc, &format!("{name}: ls --version {version}"));
        }
        // And once through the binary, for the current version.
        let current = expected["log"]["current_version"].as_str().unwrap_or(".");
        let got = vh5_json(&["ls", &file, "--json"]);
        assert_contains(&got, &expected["ls"][current], &format!("{name}: vh5 ls"));
    }
}

#[test]
fn cat_equals_python_for_every_dataset_and_slice() {
    let inflated = vh5::engine::codec::inflated_on_this_thread();
    for name in FIXTURES {
        let (file, expected) = fixture(name);
        let f = Vh5File::open(&file).unwrap();
        let cases = expected["cats"].as_array().unwrap();
        assert!(!cases.is_empty());
        for (i, case) in cases.iter().enumerate() {
            let version = case["version"].as_str().unwrap();
            let target = case["target"].as_str().unwrap();
            let what = format!("{name}: cat --version {version} '{target}'");
            let v = f
                .resolve_version(Some(&VersionSpec::Name(version.into())))
                .unwrap();
            let grid =
                cat::read_target(&f, &v, target, true).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_contains(&cat::cat_json(&grid), &case["result"], &what);
            // The chunk-map reader (staging, diff) reads the same values.
            let (path, slice) = vh5::engine::slice::parse_target(target).unwrap();
            let ds = f.dataset(&v, &path).unwrap();
            let sel = vh5::engine::Selection::resolve(slice.as_ref(), &ds.meta.shape).unwrap();
            assert_eq!(
                ds.read_chunked(&sel).unwrap(),
                grid,
                "{what}: chunk-map read"
            );
            if i % 25 == 0 {
                let got = vh5_json(&["cat", &file, target, "--version", version, "--json"]);
                assert_contains(&got, &case["result"], &format!("{what} (binary)"));
            }
        }
    }
    // The gzip chunks were decoded by `engine::codec`, not HDF5's pipeline
    // (counted on this thread only: other tests read beside this one).
    assert!(vh5::engine::codec::inflated_on_this_thread() > inflated);
}

#[test]
fn slices_numpy_refuses_are_refused() {
    for name in FIXTURES {
        let (file, expected) = fixture(name);
        for case in expected["bad_slices"].as_array().unwrap() {
            let target = case["target"].as_str().unwrap();
            let version = case["version"].as_str().unwrap();
            let mut args = vec!["cat", &file, target];
            if version != "." {
                args.extend(["--version", version]);
            }
            assert_bad_input(&args);
        }
    }
}

/// Integer and timestamp lookups follow prev_version and the stored times
/// exactly as Python's log describes them.
#[test]
fn version_lookups_follow_python_semantics() {
    let (file, expected) = fixture("linear");
    let log = &expected["log"];
    let versions = log["versions"].as_array().unwrap();
    let by_name = |n: &str| versions.iter().find(|v| v["name"] == n).unwrap().clone();
    let mut walk = log["current_version"].as_str().unwrap().to_string();
    for steps in 0..versions.len() {
        let got = vh5_json(&["ls", &file, "--version", &format!("-{steps}"), "--json"]);
        assert_eq!(got["version"], walk.as_str(), "--version -{steps}");
        match by_name(&walk)["prev_version"].as_str() {
            Some(prev) => walk = prev.to_string(),
            None => {
                assert_bad_input(&["ls", &file, "--version", &format!("-{}", steps + 1)]);
                break;
            }
        }
    }
    for v in versions {
        let ts = v["timestamp"].as_str().unwrap();
        let got = vh5_json(&["ls", &file, "--version", &format!("@{ts}"), "--json"]);
        assert_eq!(got["version"], v["name"], "@{ts}");
        // One microsecond later still finds it (at or before).
        let later = bump_microsecond(ts);
        let got = vh5_json(&["ls", &file, "--version", &format!("@{later}"), "--json"]);
        assert_eq!(got["version"], v["name"], "@{later}");
    }
    assert_bad_input(&["ls", &file, "--version", "@1970-01-01T00:00:00Z"]);
}

fn bump_microsecond(ts: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(ts).unwrap() + chrono::Duration::microseconds(1);
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Read-only subcommands leave the file byte-identical, mtime included.
#[test]
fn reading_never_writes() {
    let (file, _) = fixture("branches");
    let before = file_fingerprint(Path::new(&file));
    for args in [
        vec!["log", file.as_str()],
        vec!["ls", file.as_str(), "--version", "b1"],
        vec!["show", file.as_str(), "/a"],
        vec!["dump", file.as_str(), "--json"],
    ] {
        assert!(vh5(&args).status.success(), "{args:?}");
    }
    assert_eq!(file_fingerprint(Path::new(&file)), before);
}
