//! Replays interrupted at any step leave the original file intact (they
//! write a new file and rename it over the original at the end); a rename
//! interrupted anywhere leaves every version readable by versioned-hdf5.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn run_with_fault(args: &[&str], fault: Option<String>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vh5"));
    cmd.args(args);
    if let Some(f) = fault {
        cmd.env("VH5_FAULT", f);
    }
    cmd.output().unwrap()
}

fn demo_copy(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(repo_root().join("assets/demo.h5"), &p).unwrap();
    p
}

/// Crash (abort) or fail at every step of each replay: the file stays
/// byte-identical, no temporary file is left by a failure, and running the
/// replay again succeeds.
#[test]
fn interrupted_replays_leave_the_original_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let ops: &[&[&str]] = &[
        &["delete-versions", "FILE", "fix-bad-tick", "scenario-shock"],
        &[
            "modify-metadata",
            "FILE",
            "/market/prices",
            "--dtype",
            "<f4",
            "--chunks",
            "[16, 4]",
        ],
        &["compact", "FILE"],
    ];
    for op in ops {
        let mut steps = 0;
        for step in 1.. {
            let f = demo_copy(dir.path(), "work.h5");
            let before = file_fingerprint(&f);
            let args: Vec<&str> = op
                .iter()
                .map(|a| if *a == "FILE" { f.to_str().unwrap() } else { a })
                .collect();
            let kind = if step % 2 == 0 { "error" } else { "crash" };
            let out = run_with_fault(&args, Some(format!("{kind}:{step}")));
            if out.status.success() {
                break;
            }
            assert!(
                stderr(&out).contains(&format!("step {step}")),
                "{op:?} {kind}:{step}: {}",
                stderr(&out)
            );
            assert_eq!(
                file_fingerprint(&f),
                before,
                "{op:?}: {kind} at step {step} changed the original"
            );
            if kind == "error" {
                let leftovers: Vec<_> = std::fs::read_dir(dir.path())
                    .unwrap()
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                    .collect();
                assert!(
                    leftovers.is_empty(),
                    "{op:?}: a failed replay left {leftovers:?}"
                );
            }
            let again = run_with_fault(&args, None);
            assert!(
                again.status.success(),
                "{op:?} after {kind} at {step}: {}",
                stderr(&again)
            );
            steps = step;
            for e in std::fs::read_dir(dir.path()).unwrap().flatten() {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
        assert!(steps >= 5, "{op:?}: expected several steps, saw {steps}");
    }
}

/// A rename cut short anywhere leaves every version readable by Python.
#[test]
fn interrupted_rename_keeps_every_version_readable() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for step in 1..=6 {
        let f = demo_copy(dir.path(), &format!("rename{step}.h5"));
        let out = run_with_fault(
            &[
                "rename-version",
                f.to_str().unwrap(),
                "eod-2025-05-30",
                "may",
            ],
            Some(format!("crash:{step}")),
        );
        if out.status.success() {
            break;
        }
        files.push(f);
    }
    assert!(
        files.len() >= 3,
        "rename has at least link, prev, current steps"
    );
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop/check_files.py"))
        .arg("dump-many")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python could not read an interrupted rename: {}",
        stderr(&out)
    );
    let dumps: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in &files {
        let d = &dumps[f.to_str().unwrap()];
        let names: Vec<&str> = d["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"may") || names.contains(&"eod-2025-05-30"),
            "{names:?}"
        );
        assert!(
            names.len() >= 10,
            "{}: lost versions: {names:?}",
            f.display()
        );
    }
}
