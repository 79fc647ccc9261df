//! `vh5 check` on files made by versioned-hdf5 and then damaged on purpose
//! (tests/interop/damage.py): each damage found, named, exit 2; the
//! originals sound (exit 0); `--repair` (and `compact` for unused slots)
//! leaves files versioned-hdf5 lists and reads in full. And writes killed
//! at random moments lose nothing and leave nothing the next write does
//! not clear.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value as Json;

fn damage_script() -> PathBuf {
    repo_root().join("tests/interop/damage.py")
}

/// Runs damage.py; its JSON output, `Null` when it prints none.
fn damage(args: &[&str]) -> Json {
    let out = Command::new(python())
        .arg(damage_script())
        .args(args)
        .output()
        .expect("run python");
    assert!(out.status.success(), "damage.py {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or(Json::Null)
}

/// versioned-hdf5 lists every version and reads every dataset in full:
/// `{version: {path: sha256}}`, `None` when it cannot.
fn python_reads(file: &Path) -> Option<Json> {
    let out = Command::new(python())
        .arg(damage_script())
        .arg("readall")
        .arg(file)
        .output()
        .expect("run python");
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `vh5 check --json` (plus `extra` flags): exit code and document.
fn check(file: &Path, extra: &[&str]) -> (i32, Json) {
    let mut args = vec!["check", s(file), "--json"];
    args.extend_from_slice(extra);
    let out = vh5(&args);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check {file:?}: bad JSON ({e}): {}", stderr(&out)));
    (out.status.code().unwrap(), doc)
}

fn kinds(doc: &Json) -> Vec<String> {
    doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The only problem of `kind`.
fn problem<'a>(doc: &'a Json, kind: &str) -> &'a Json {
    let found: Vec<&Json> = (doc["problems"].as_array().unwrap().iter())
        .filter(|p| p["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} expected: {doc}");
    found[0]
}

/// Per version, the chunk positions of `path` that read raw slot `slot`
/// (chunks `c0` rows apart), by versioned-hdf5's own reading of the VDSs.
fn python_readers(file: &Path, path: &str, slot: u64, c0: u64) -> BTreeSet<(String, String)> {
    let all = interop_json("check_files.py", &["hashes-all", s(file)]);
    let mut out = BTreeSet::new();
    for (version, paths) in all[s(file)].as_object().unwrap() {
        for entry in paths[path].as_array().into_iter().flatten() {
            if entry[2][0].as_u64() == Some(slot * c0) {
                out.insert((version.clone(), entry[0].to_string()));
            }
        }
    }
    out
}

fn vh5_readers(p: &Json) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for r in p["readers"].as_array().unwrap() {
        for chunk in r["chunks"].as_array().unwrap() {
            out.insert((
                r["version"].as_str().unwrap().to_string(),
                chunk.to_string(),
            ));
        }
    }
    out
}

/// A copy of the fixture with one damage applied.
fn damaged(dir: &Path, base: &Path, name: &str, how: &[&str]) -> PathBuf {
    let f = dir.join(format!("{name}.h5"));
    std::fs::copy(base, &f).unwrap();
    let mut args = vec![how[0], s(&f)];
    args.extend_from_slice(&how[1..]);
    damage(&args);
    f
}

/// Checking never writes, whatever it finds.
fn check_read_only(file: &Path) -> (i32, Json) {
    let before = file_fingerprint(file);
    let result = check(file, &[]);
    assert_eq!(file_fingerprint(file), before, "check wrote {file:?}");
    result
}

#[test]
fn check_names_each_damage_and_repair_leaves_sound_files() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.h5");
    let made = damage(&["make", s(&base)]);
    let (code, doc) = check_read_only(&base);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["sound"], true);
    assert!(doc["problems"].as_array().unwrap().is_empty());
    let slots = made["plain_slots"].as_u64().unwrap() + made["gz_slots"].as_u64().unwrap();
    assert_eq!(doc["chunks_checked"].as_u64(), Some(slots), "{doc}");
    assert!(doc["bytes_checked"].as_u64().unwrap() > 0);
    let original = python_reads(&base).expect("python reads the original");

    // One flipped bit in an uncompressed chunk: another hash.
    let f = damaged(dir.path(), &base, "flip_plain", &["flip", "/plain", "1"]);
    let (code, doc) = check_read_only(&f);
    assert_eq!((code, kinds(&doc)), (2, vec!["hash_mismatch".to_string()]));
    let p = problem(&doc, "hash_mismatch");
    assert_eq!(
        (p["dataset"].as_str(), p["slot"].as_u64()),
        (Some("/plain"), Some(1))
    );
    let expected = python_readers(&base, "/plain", 1, 4);
    assert_eq!(expected.len(), 3, "slot 1 is shared by the three versions");
    assert_eq!(vh5_readers(p), expected);
    assert_eq!(p["versions"], serde_json::json!(["v1", "v2", "v3"]));

    // In a gzip chunk: it no longer inflates (or inflates to other data).
    let f = damaged(dir.path(), &base, "flip_gz", &["flip", "/gz", "0"]);
    let (code, doc) = check_read_only(&f);
    assert_eq!(code, 2, "{doc}");
    let p = &doc["problems"][0];
    assert_eq!(doc["problems"].as_array().unwrap().len(), 1, "{doc}");
    assert!(
        ["unreadable_chunk", "hash_mismatch"].contains(&p["kind"].as_str().unwrap()),
        "{doc}"
    );
    assert_eq!(
        (p["dataset"].as_str(), p["slot"].as_u64()),
        (Some("/gz"), Some(0))
    );
    assert_eq!(vh5_readers(p), python_readers(&base, "/gz", 0, 4));

    let f = damaged(dir.path(), &base, "row", &["row-outside", "/plain", "2"]);
    let (code, doc) = check_read_only(&f);
    assert_eq!(code, 2);
    let p = problem(&doc, "hash_row_outside_raw_data");
    assert_eq!(p["dataset"], "/plain");
    assert_eq!(p["rows"][0]["row"], 2);
    // The versions reading that slot now read rows no row describes.
    assert!(kinds(&doc).contains(&"mapping_without_hash_row".to_string()));

    // raw_data cut short: the last slot's mappings point past its end.
    let f = damaged(dir.path(), &base, "shrink", &["shrink", "/plain"]);
    let (code, doc) = check_read_only(&f);
    assert_eq!(code, 2);
    let last = made["plain_slots"].as_u64().unwrap() - 1;
    let p = problem(&doc, "hash_row_outside_raw_data");
    assert_eq!(p["rows"][0]["start"].as_u64(), Some(last * 4), "{doc}");
    let outside: Vec<&Json> = (doc["problems"].as_array().unwrap().iter())
        .filter(|p| p["kind"] == "mapping_outside_raw_data")
        .collect();
    let readers = python_readers(&base, "/plain", last, 4);
    assert_eq!(outside.len(), readers.len(), "{doc}");
    for p in outside {
        assert_eq!(p["dataset"], "/plain");
        let chunk = p["chunks"][0].to_string();
        assert!(readers.contains(&(p["version"].as_str().unwrap().to_string(), chunk)));
    }

    let f = damaged(dir.path(), &base, "parent", &["missing-parent", "v2"]);
    let (code, doc) = check_read_only(&f);
    assert_eq!((code, kinds(&doc)), (2, vec!["missing_parent".to_string()]));
    let p = problem(&doc, "missing_parent");
    assert_eq!(
        (p["version"].as_str(), p["parent"].as_str()),
        (Some("v2"), Some("ghost"))
    );

    // A never-committed version group: versioned-hdf5 lists it, then
    // cannot open it; --repair removes it and nothing else.
    let f = damaged(dir.path(), &base, "uncommitted", &["uncommitted", "v4"]);
    let (code, doc) = check_read_only(&f);
    assert_eq!(
        (code, kinds(&doc)),
        (2, vec!["uncommitted_version".to_string()])
    );
    assert_eq!(problem(&doc, "uncommitted_version")["version"], "v4");
    assert!(
        python_reads(&f).is_none(),
        "versioned-hdf5 read the uncommitted group"
    );
    let (code, doc) = check(&f, &["--repair"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        doc["repaired"]["uncommitted_versions"],
        serde_json::json!(["v4"])
    );
    assert_eq!(python_reads(&f).as_ref(), Some(&original));

    // A slot no version reads: named with its bytes; compact gives it back.
    let f = damaged(dir.path(), &base, "orphan", &["orphan", "/gz"]);
    let (code, doc) = check_read_only(&f);
    assert_eq!((code, kinds(&doc)), (2, vec!["orphaned_slots".to_string()]));
    let p = problem(&doc, "orphaned_slots");
    assert_eq!(p["dataset"], "/gz");
    assert_eq!(p["slots"], serde_json::json!([made["gz_slots"]]));
    assert!(p["bytes"].as_u64().unwrap() > 0);
    let (code, _) = check(&f, &["--repair"]);
    assert_eq!(code, 2, "--repair never touches chunks");
    assert!(vh5(&["compact", s(&f)]).status.success());
    assert_eq!(check(&f, &[]).0, 0);
    assert_eq!(python_reads(&f).as_ref(), Some(&original));

    // A rewrite's temporary file: stale once its process is gone, left
    // alone while it runs.
    let f = dir.path().join("temp.h5");
    std::fs::copy(&base, &f).unwrap();
    let stale = dir.path().join(format!(".temp.h5.vh5-{}.tmp", dead_pid()));
    let live = dir
        .path()
        .join(format!(".temp.h5.vh5-{}.tmp", std::process::id()));
    std::fs::write(&stale, b"half a file").unwrap();
    std::fs::write(&live, b"in progress").unwrap();
    let (code, doc) = check_read_only(&f);
    assert_eq!(
        (code, kinds(&doc)),
        (2, vec!["stale_temporary_file".to_string()])
    );
    let p = problem(&doc, "stale_temporary_file");
    assert!(p["file"]
        .as_str()
        .unwrap()
        .ends_with(stale.file_name().unwrap().to_str().unwrap()));
    assert_eq!(p["bytes"], 11);
    let (code, doc) = check(&f, &["--repair"]);
    assert_eq!(code, 0, "{doc}");
    assert!(!stale.exists() && live.exists());
    assert_eq!(python_reads(&f).as_ref(), Some(&original));
}

/// The id of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn check_human_output_and_plain_files() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.h5");
    damage(&["make", s(&base)]);
    let f = damaged(dir.path(), &base, "flip", &["flip", "/plain", "1"]);
    let out = vh5(&["check", s(&f)]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("14 chunks read back"), "{text}");
    assert!(text.contains("MB/s"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("hash_mismatch: "))
        .unwrap();
    assert!(
        line.contains("/plain") && line.contains("slot 1") && line.contains("v3"),
        "{line}"
    );
    let out = vh5(&["check", s(&base)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).ends_with("sound\n"));

    // A plain HDF5 file: nothing versioned, nothing wrong.
    let plain = dir.path().join("plain.h5");
    let code = "import h5py, sys; h5py.File(sys.argv[1], 'w')['x'] = [1, 2, 3]";
    assert!(Command::new(python())
        .args(["-c", code])
        .arg(&plain)
        .status()
        .unwrap()
        .success());
    let (code, doc) = check(&plain, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        (doc["sound"].as_bool(), doc["versioned"].as_bool()),
        (Some(true), Some(false))
    );
    assert!(stdout(&vh5(&["check", s(&plain)])).contains("nothing versioned to check"));

    // Could not read: exit 1, one line.
    let out = vh5(&["check", s(&dir.path().join("missing.h5"))]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// A small pseudo-random sequence (no dependency; the seed is printed).
struct Lcg(u64);

impl Lcg {
    fn next_fraction(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn vh5_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vh5"));
    cmd.args(args);
    cmd
}

/// Runs `args`, killing the process (SIGKILL, by its id) after `after`
/// unless it ended first; whether it ran to the end.
fn run_and_kill(args: &[&str], after: Duration) -> bool {
    let mut child = vh5_cmd(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < after {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: the child is ours and not yet reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
    child.wait().unwrap().success()
}

fn timed(args: &[&str]) -> Duration {
    let started = Instant::now();
    let out: Output = vh5_cmd(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    started.elapsed()
}

fn versions_of(file: &Path) -> Vec<String> {
    let log = vh5_json(&["log", s(file), "--json"]);
    (log["versions"].as_array().unwrap().iter())
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

/// Every version `before` read reads the same now.
fn assert_versions_read_the_same(before: &Json, after: &Json, what: &str) {
    for (version, paths) in before.as_object().unwrap() {
        assert_eq!(&after[version], paths, "{what}: version {version} changed");
    }
}

/// A commit that rewrites every chunk of `/x`.
fn commit_args(file: &Path, name: &str, value: usize) -> Vec<String> {
    let set = format!("/x[::97]={value}");
    ["commit", s(file), "--name", name, "--set", &set]
        .iter()
        .map(|a| a.to_string())
        .collect()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn killed_commits_and_deletes_lose_nothing_and_leave_no_debris() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("kills.h5");
    damage(&["make-big", s(&f)]);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill test seed {seed}");
    let mut rng = Lcg(seed);
    // Uncontested runs time what the kills interrupt.
    let full = timed(&strs(&commit_args(&f, "probe", 1)));
    let whole = timed(&["delete-versions", s(&f), "probe"]);
    let before = python_reads(&f).expect("python reads the fixture");

    // What each kill left, as check names it.
    let mut left_by_commits = Vec::new();
    for k in 0..12 {
        let args = commit_args(&f, &format!("c{k}"), k + 2);
        let after = full.mul_f64(1.2 * rng.next_fraction());
        if !run_and_kill(&strs(&args), after) {
            left_by_commits.extend(kinds(&check(&f, &[]).1));
        }
    }
    let mut left_by_deletes = Vec::new();
    for k in 0..12 {
        let name = format!("d{k}");
        timed(&strs(&commit_args(&f, &name, 100 + k)));
        let after = whole.mul_f64(1.2 * rng.next_fraction());
        if !run_and_kill(&["delete-versions", s(&f), &name], after) {
            left_by_deletes.extend(kinds(&check(&f, &[]).1));
        }
    }
    eprintln!(
        "left by killed commits: {left_by_commits:?}; by killed deletes: {left_by_deletes:?}"
    );
    // The kills did interrupt the writes.
    assert!(left_by_commits.contains(&"uncommitted_version".to_string()));
    assert!(left_by_deletes.contains(&"stale_temporary_file".to_string()));

    // The next write goes through and clears what the kills left.
    timed(&strs(&commit_args(&f, "final", 7)));
    let (_, doc) = check(&f, &[]);
    let left: Vec<String> = kinds(&doc)
        .into_iter()
        .filter(|k| k != "orphaned_slots")
        .collect();
    assert!(left.is_empty(), "debris after the next commit: {doc}");
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
    let after = python_reads(&f).expect("versioned-hdf5 reads every version");
    assert_versions_read_the_same(&before, &after, "after the kills");
    assert!(versions_of(&f).contains(&"final".to_string()));
    // Slots of killed commits are given back by compact; then all is sound.
    assert!(vh5(&["compact", s(&f)]).status.success());
    let (code, doc) = check(&f, &[]);
    assert_eq!(code, 0, "{doc}");
    assert_versions_read_the_same(&before, &python_reads(&f).unwrap(), "after compact");
}

/// Writers extend the file before each flush so that a kill cannot leave
/// it shorter than its superblock says; once done, the file ends exactly
/// where HDF5's allocated space does (no slack left behind).
#[test]
fn finished_writes_leave_the_file_at_its_allocated_end() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("end.h5");
    damage(&["make-big", s(&f)]);
    let allocated_end = |f: &Path| {
        let h = hdf5::File::open(f).unwrap();
        vh5::engine::h5::allocated_end(h.id()).unwrap()
    };
    for (k, args) in [
        commit_args(&f, "e1", 3),
        commit_args(&f, "e2", 4),
        vec!["delete-versions".into(), s(&f).into(), "e1".into()],
    ]
    .iter()
    .enumerate()
    {
        let out = vh5(&strs(args));
        assert!(out.status.success(), "write {k}: {}", stderr(&out));
        let len = std::fs::metadata(&f).unwrap().len();
        assert_eq!(len, allocated_end(&f), "write {k} {args:?}");
    }
}
