//! Helpers shared by the integration tests: run the real binary, find the
//! Python peer.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn vh5(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vh5"))
        .args(args)
        .output()
        .expect("run vh5")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs vh5 expecting success and parses its JSON output.
pub fn vh5_json(args: &[&str]) -> serde_json::Value {
    let out = vh5(args);
    assert!(
        out.status.success(),
        "vh5 {args:?} failed: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("vh5 {args:?}: bad JSON ({e})"))
}

/// Asserts the contract for bad input: exit 2, one line on stderr, no panic.
pub fn assert_bad_input(args: &[&str]) -> String {
    let out = vh5(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "vh5 {args:?}: expected exit 2, stderr: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "vh5 {args:?}: expected one stderr line, got: {err}"
    );
    assert!(err.starts_with("vh5: "), "vh5 {args:?}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "vh5 {args:?}: {err}"
    );
    assert!(
        out.stdout.is_empty(),
        "vh5 {args:?}: wrote to stdout on error"
    );
    err
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with the real versioned-hdf5: `VH5_PYTHON`, else the
/// project's `.venv` (made by `scripts/setup.sh --test`).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VH5_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with versioned-hdf5: run scripts/setup.sh --test (or set VH5_PYTHON)"
    );
    venv
}

/// Runs a Python script of the project with the peer's interpreter.
pub fn run_python(script: &Path, args: &[&str]) {
    let out = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn file_fingerprint(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let bytes = std::fs::read(path).unwrap();
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    (bytes, mtime)
}

/// The first place two JSON documents differ, as a readable path.
pub fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(u), Some(v)) => first_difference(u, v, &format!("{at}.{k}")),
                (u, v) => Some(format!("{at}.{k}: vh5 {u:?} vs python {v:?}")),
            })
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: vh5 {a} vs python {b}")),
    }
}

/// vh5 may add keys (the contract allows it); every key Python has must match.
pub fn assert_contains(vh5: &serde_json::Value, python: &serde_json::Value, what: &str) {
    let projected = project(vh5, python);
    if let Some(diff) = first_difference(&projected, python, "") {
        panic!("{what}: {diff}");
    }
}

/// `vh5` restricted to the object keys `python` has, recursively.
pub fn project(vh5: &serde_json::Value, python: &serde_json::Value) -> serde_json::Value {
    match (vh5, python) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => serde_json::Value::Object(
            x.iter()
                .filter(|(k, _)| y.contains_key(*k))
                .map(|(k, v)| (k.clone(), project(v, &y[k])))
                .collect(),
        ),
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) if x.len() == y.len() => {
            serde_json::Value::Array(x.iter().zip(y).map(|(u, v)| project(u, v)).collect())
        }
        _ => vh5.clone(),
    }
}

/// Runs Python (`args`: a script or `-c` and code, then its arguments) and
/// parses the JSON it prints.
fn python_json_of(args: &[&str]) -> serde_json::Value {
    let out = Command::new(python())
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python {:?}: {}",
        args.first(),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("python: bad JSON ({e})"))
}

/// Runs a Python snippet (`sys.argv[1:]` = `args`) and parses its JSON.
pub fn python_snippet_json(script: &str, args: &[&str]) -> serde_json::Value {
    python_json_of(&[&["-c", script], args].concat())
}

/// Runs one of tests/interop/'s scripts and parses the JSON it prints.
pub fn interop_json(script: &str, args: &[&str]) -> serde_json::Value {
    let path = repo_root().join("tests/interop").join(script);
    python_json_of(&[&[path.to_str().unwrap()], args].concat())
}
