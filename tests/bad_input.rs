//! Bad input gets one clear line, exit 2, no panic, and the file untouched.

mod common;

use common::*;

fn demo_copy(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let p = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &p).unwrap();
    p
}

#[test]
fn missing_and_non_hdf5_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.h5");
    let err = assert_bad_input(&["log", missing.to_str().unwrap()]);
    assert!(err.contains("no such file"), "{err}");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just some text\n").unwrap();
    let err = assert_bad_input(&["ls", text.to_str().unwrap()]);
    assert!(err.contains("not an HDF5 file"), "{err}");

    let empty = dir.path().join("empty.h5");
    std::fs::write(&empty, "").unwrap();
    assert_bad_input(&["dump", empty.to_str().unwrap(), "--json"]);

    assert_bad_input(&["show", dir.path().to_str().unwrap(), "/x"]);
}

#[test]
fn truncated_copies_fail_cleanly_at_every_cut() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(repo_root().join("assets/demo.h5")).unwrap();
    let len = full.len();
    let mut cuts: Vec<usize> = vec![0, 1, 8, 100, 511, 512, 1024, 2048, 4096];
    cuts.extend((1..24).map(|k| len * k / 24));
    cuts.extend([len - 4096, len - 100, len - 1]);
    for cut in cuts {
        let p = dir.path().join(format!("cut{cut}.h5"));
        std::fs::write(&p, &full[..cut]).unwrap();
        let before = file_fingerprint(&p);
        for args in [vec!["log"], vec!["dump", "--json"], vec!["ls"]] {
            let mut all = vec![args[0], p.to_str().unwrap()];
            all.extend(&args[1..]);
            let out = vh5(&all);
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "cut at {cut}: vh5 {all:?}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "cut at {cut}: {err}");
            assert!(!err.contains("panicked"), "cut at {cut}: {err}");
        }
        assert_eq!(file_fingerprint(&p), before, "cut at {cut}: file changed");
    }
}

#[test]
fn unknown_versions_paths_and_malformed_slices() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(&dir);
    let f = p.to_str().unwrap();
    let before = file_fingerprint(&p);
    let cases: &[&[&str]] = &[
        &["ls", f, "--version", "no-such-version"],
        &["ls", f, "--version", "3"],
        &["ls", f, "--version", "-9999"],
        &["ls", f, "--version", "@1990-01-01T00:00:00Z"],
        &["ls", f, "--version", "@yesterday"],
        &["ls", f, "--version", "/v1"],
        &["ls", f, "/no/such/group"],
        &["show", f, "/nope"],
        &["show", f, "/a//b"],
        &["cat", f, "/nope"],
        &["cat", f, "/market/prices[1:2"],
        &["cat", f, "/market/prices[a]"],
        &["cat", f, "/market/prices[1.5]"],
        &["cat", f, "/market/prices[::0]"],
        &["cat", f, "/market/prices[99999999]"],
        &["cat", f, "/market/prices[0,0,0,0,0,0]"],
        &["cat", f, "/market/prices[...,...]"],
        &["cat", f, "/market/prices[0]junk"],
        &["cat", f],
        &["log"],
        &["frobnicate", f],
        // The browser's start: checked before the terminal is touched
        // (these run without one, so a late check would fail otherwise).
        &[f, "--version", "no-such-version"],
        &[f, "--version", "-9999", "/market"],
        &[f, "--version", "@1990-01-01T00:00:00Z"],
        &[f, "--version", "@yesterday"],
        &[f, "--version", "initial-load", "/lab/station_b"],
        &[f, "/nope"],
        &[f, "--version", "0", "/a//b"],
    ];
    for args in cases {
        assert_bad_input(args);
    }
    assert_eq!(
        file_fingerprint(&p),
        before,
        "a read-only command changed the file"
    );
}

/// A refused edit writes nothing: exit 2, one line, the file byte-identical.
#[test]
fn refused_commits_leave_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(&dir);
    let f = p.to_str().unwrap();
    let before = file_fingerprint(&p);
    let commit = |edits: &[&'static str]| -> Vec<&str> {
        let mut args = vec!["commit", f, "--name", "refused"];
        args.extend(edits);
        args
    };
    let cases: Vec<Vec<&str>> = vec![
        commit(&["--set", "/market/prices[999, 0]=1"]),
        commit(&["--set", "/market/prices[0, 0]=\"text\""]),
        commit(&["--set", "/market/prices[0:2, 0]=[1, 2, 3]"]),
        commit(&["--set", "/market/volume[0, 0]=1.5"]),
        commit(&["--set", "/market/volume[0, 0]=1e300"]),
        commit(&["--set", "/market/tickers[0]=5"]),
        commit(&["--set", "/lab/sensors/station[0]=\"much too long\""]),
        commit(&["--set", "/market/prices[0, 0]=not json"]),
        commit(&["--set", "/market/volume[0, 0]=NaN"]),
        commit(&["--set", "/market/tickers[0]=\"unterminated"]),
        commit(&["--attr", "/market/prices@corrections=oops"]),
        commit(&["--attr", "/market@x=[1, 2"]),
        commit(&["--attr", "/nope@x=word"]),
        commit(&[]),
        commit(&["--set", "/nope[0]=1"]),
        commit(&["--set", "/market[0]=1"]),
        commit(&[
            "--set",
            "/market/prices[0, 0]=1",
            "--resize",
            "/market/prices=[5]",
        ]),
        commit(&["--create", "/market/prices=[1, 2]"]),
        commit(&["--create", "/versions/x=[1, 2]"]),
        commit(&["--create", "/g/raw_data=[1, 2]"]),
        commit(&["--create", "/m2=[[1, 2], [3, 4]]"]),
        commit(&["--create", "/mixed=[1, \"a\"]"]),
        commit(&["--create", "/s=[\"a\"]", "--fillvalue", "\"x\""]),
        commit(&["--create", "/x=[1]", "--compression", "zstd"]),
        commit(&["--dtype", "<f8"]),
        commit(&["--mkgroup", "/market"]),
        commit(&["--delete", "/nope"]),
        commit(&["--delete", "/"]),
        commit(&["--del-attr", "/market@nope"]),
        commit(&["--attr", "/@timestamp=\"x\""]),
        commit(&["--attr", "/market/prices@raw_data=\"x\""]),
        commit(&["--attr", "/market@x=[1, \"a\"]"]),
        commit(&["--resize", "/market/prices=[-1, 2]"]),
        // Sizes HDF5 would refuse only once writing had begun.
        commit(&["--create", "/big=[1]", "--chunks", "[1000000000000000000]"]),
        commit(&["--create", "/big=[1]", "--chunks", "[600000000]"]),
        commit(&[
            "--create-sparse",
            "/big=[1000000000000000000, 100000000000]",
            "--chunks",
            "[10, 10]",
        ]),
        commit(&[
            "--resize",
            "/market/prices=[1000000000000000000, 100000000000]",
        ]),
        vec!["commit", f, "--name", "initial-load", "--attr", "/@x=1"],
        vec!["commit", f, "--name", "a/b"],
        vec!["commit", f, "--name", "-3"],
        vec!["commit", f, "--name", "__first_version__"],
        vec!["commit", f, "--name", "n", "--prev", "no-such-version"],
        vec!["commit", f, "--name", "n", "--timestamp", "yesterday"],
        vec!["set-current", f, "no-such-version"],
        vec!["set-current", f, "5"],
    ];
    for args in &cases {
        assert_bad_input(args);
        assert_eq!(file_fingerprint(&p), before, "{args:?} changed the file");
    }
    // A .npy file cut inside its header.
    let npy = dir.path().join("short.npy");
    std::fs::write(&npy, b"\x93NUMPY\x02\x00\x10\x00\x00").unwrap();
    let create = format!("/q=@{}", npy.display());
    assert_bad_input(&["commit", f, "--name", "npy", "--create", &create]);
    assert_eq!(file_fingerprint(&p), before);
}

/// Refused replays: exit 2, one line, the file byte-identical.
#[test]
fn refused_replays_leave_the_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(&dir);
    let f = p.to_str().unwrap();
    let before = file_fingerprint(&p);
    let cases: Vec<Vec<&str>> = vec![
        vec!["delete-versions", f, "no-such-version"],
        vec!["delete-versions", f, "__first_version__"],
        vec!["delete-versions", f, "initial-load", "no-such-version"],
        vec!["delete-versions", f, "5"],
        vec!["modify-metadata", f, "/nope", "--dtype", "<f4"],
        vec!["modify-metadata", f, "/market/prices", "--dtype", "str"],
        vec!["modify-metadata", f, "/market/tickers", "--dtype", "<i4"],
        vec!["modify-metadata", f, "/market/prices", "--dtype", "U5"],
        vec!["modify-metadata", f, "/market/prices", "--chunks", "[4]"],
        vec!["modify-metadata", f, "/market/prices", "--chunks", "[0, 4]"],
        vec![
            "modify-metadata",
            f,
            "/market/prices",
            "--chunks",
            "[100000, 100000]",
        ],
        vec![
            "modify-metadata",
            f,
            "/market/prices",
            "--fillvalue",
            "\"x\"",
        ],
        vec![
            "modify-metadata",
            f,
            "/market/prices",
            "--compression",
            "zstd",
        ],
        vec!["modify-metadata", f, "/market/prices"],
        vec![
            "modify-metadata",
            f,
            "/market/volume",
            "--dtype",
            "|u1",
            "--fillvalue",
            "-1",
        ],
        vec!["rename-version", f, "no-such-version", "x"],
        vec!["rename-version", f, "initial-load", "cleanup"],
        vec!["rename-version", f, "initial-load", "a/b"],
        vec!["compact", f, f],
    ];
    for args in &cases {
        assert_bad_input(args);
        assert_eq!(file_fingerprint(&p), before, "{args:?} changed the file");
    }
}

/// `cat`'s limit counts the elements a selection reads, however it is
/// spelled; a small slice of the same dataset reads.
#[test]
fn cat_limit_applies_to_every_spelling_of_a_large_selection() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(&dir);
    let f = p.to_str().unwrap();
    let made = vh5(&[
        "commit",
        f,
        "--name",
        "big",
        "--create-sparse",
        "/big=[12000000]",
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let before = file_fingerprint(&p);
    for target in [
        "/big",
        "/big[:]",
        "/big[...]",
        "/big[0:]",
        "/big[::1]",
        "/big[-12000000:]",
    ] {
        let err = assert_bad_input(&["cat", f, target]);
        assert!(
            err.contains("12000000 elements") && err.contains("--force"),
            "{err}"
        );
    }
    assert_eq!(file_fingerprint(&p), before);
    let out = vh5(&["cat", f, "/big[::2000000]", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["shape"], serde_json::json!([6]));
}
