//! A commit that fails or crashes at any step leaves every earlier version
//! readable by versioned-hdf5, and the next commit succeeds.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value as Json;

/// Python's reading of every committed version of each file (one Python
/// process for all of them: the real library, not a mock).
fn python_dumps(files: &[PathBuf]) -> Json {
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop/check_files.py"))
        .arg("dump-many")
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python could not read the files: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every version `before` has must read exactly as before (chunk-map
/// counts aside: an uncommitted leftover may share regions with them).
fn assert_earlier_versions_intact(before: &Json, after: &Json, what: &str) {
    for v in before["versions"].as_array().unwrap() {
        assert!(
            after["versions"].as_array().unwrap().contains(v),
            "{what}: lost version {v}"
        );
        let name = v["name"].as_str().unwrap();
        let strip = |t: &Json| -> Json {
            let mut t = t.clone();
            for e in t.as_array_mut().unwrap() {
                e.as_object_mut().unwrap().remove("chunk_map");
            }
            t
        };
        assert_eq!(
            strip(&after["trees"][name]),
            strip(&before["trees"][name]),
            "{what}: version {name} changed"
        );
    }
}

const EDITS: &[&str] = &[
    "--set",
    "/market/prices[0:3, 0:2]=7.5",
    "--attr",
    "/market/prices@checked=true",
    "--create",
    "/extra/new=[[1, 2], [3, 4], [5, 6]]",
    "--chunks",
    "[2, 2]",
    "--mkgroup",
    "/extra/empty",
    "--attr",
    "/@note=\"faulty\"",
    "--delete",
    "/notes",
];

fn commit(file: &Path, name: &str, fault: Option<String>) -> std::process::Output {
    commit_with(file, name, EDITS, fault)
}

fn commit_with(
    file: &Path,
    name: &str,
    edits: &[&str],
    fault: Option<String>,
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vh5"));
    cmd.args([
        "commit",
        file.to_str().unwrap(),
        "--name",
        name,
        "--timestamp",
        "2030-01-01T00:00:00Z",
    ]);
    cmd.args(edits);
    if let Some(f) = fault {
        cmd.env("VH5_FAULT", f);
    }
    cmd.output().unwrap()
}

#[test]
fn failure_or_crash_at_every_step_keeps_earlier_versions() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &base).unwrap();
    // Fail, or abort the process, at step 1, 2, ... until the commit completes.
    let mut broken = Vec::new();
    'steps: for step in 1.. {
        for kind in ["error", "crash"] {
            let f = dir.path().join(format!("{kind}{step}.h5"));
            std::fs::copy(&base, &f).unwrap();
            let out = commit(&f, "next", Some(format!("{kind}:{step}")));
            if out.status.success() {
                break 'steps;
            }
            let err = stderr(&out);
            assert!(
                err.contains(&format!("step {step}")),
                "step {step} {kind}: {err}"
            );
            broken.push((kind, step, f));
        }
    }
    assert!(
        broken.len() >= 20,
        "expected many commit steps, saw {}",
        broken.len() / 2
    );
    let mut files = vec![base.clone()];
    files.extend(broken.iter().map(|(_, _, f)| f.clone()));
    let dumps = python_dumps(&files);
    let before = &dumps[base.to_str().unwrap()];
    let mut retried = Vec::new();
    for (kind, step, f) in &broken {
        let what = format!("{kind} at step {step}");
        let after = &dumps[f.to_str().unwrap()];
        assert_earlier_versions_intact(before, after, &what);
        let committed = after["trees"].as_object().unwrap().contains_key("next");
        if *kind == "error" {
            assert!(
                !committed,
                "{what}: a failed commit left its version behind"
            );
            assert_eq!(
                after["current_version"], before["current_version"],
                "{what}"
            );
        }
        // The next commit goes through (replacing an uncommitted leftover;
        // on top of the crashed one where it had already committed).
        let retry_on_next = ["--prev", "next", "--attr", "/@retry=1"];
        let (name, edits) = if committed {
            ("again", &retry_on_next[..])
        } else {
            ("next", EDITS)
        };
        let retry = commit_with(f, name, edits, None);
        assert!(
            retry.status.success(),
            "{what}: retry failed: {}",
            stderr(&retry)
        );
        retried.push((what, name, f.clone()));
    }
    let files: Vec<PathBuf> = retried.iter().map(|(_, _, f)| f.clone()).collect();
    let dumps = python_dumps(&files);
    for (what, name, f) in &retried {
        let done = &dumps[f.to_str().unwrap()];
        assert_eq!(done["current_version"], *name, "{what}");
        let tree = done["trees"][*name].as_array().unwrap();
        assert!(tree.iter().any(|e| e["path"] == "/extra/new"), "{what}");
        assert!(!tree.iter().any(|e| e["path"] == "/notes"), "{what}");
        assert_earlier_versions_intact(before, done, &format!("{what}, after retry"));
    }
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("locked.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &f).unwrap();
    // Python holds the file open for writing while vh5 tries to commit.
    let mut holder = Command::new(python())
        .args(["-c", "import h5py, sys, time; f = h5py.File(sys.argv[1], 'r+'); print('open', flush=True); time.sleep(30)"])
        .arg(&f)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "open");
    let out = commit(&f, "blocked", None);
    holder.kill().unwrap();
    holder.wait().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("in use by another program"), "{err}");
}
