//! The browser's write side (`Session`, and the worker's commands) against
//! the real versioned-hdf5: a commit through the session equals the same
//! commit by Python, a restore commits the restored version's content
//! without writing a chunk, a second writer is refused with the edits
//! kept, history writes equal the command line's, and a cancelled replay
//! leaves the file byte for byte as it was.
//!
//! The tests of this binary run one at a time: HDF5 opens files without
//! close-on-exec, so a Python child spawned while another test writes would
//! inherit that test's file lock.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use common::*;
use serde_json::{json, Value as Json};
use vh5::engine::commit::CommitOptions;
use vh5::engine::progress::never;
use vh5::engine::session::Session;
use vh5::engine::versions::parse_query_timestamp;
use vh5::engine::{AttrDtype, Edit, EditValue};
use vh5::tui::worker::{
    Answer, Command as WorkerCommand, CommandReply, Outcome, Reply, Request, Worker,
};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn demo_copy(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(repo_root().join("assets/demo.h5"), &p).unwrap();
    p
}

/// The current version's name.
fn current_of(session: &Session) -> String {
    let file = session.file().unwrap();
    file.current_version_name().unwrap().unwrap()
}

const T2: &str = "2030-01-02T00:00:00.000000Z";

/// A versioned file with float32 and int32 attributes: version v1.
const MAKE_BASE: &str = r#"
import sys, json, h5py, numpy as np, datetime as dt
from versioned_hdf5 import VersionedHDF5File
with h5py.File(sys.argv[1], "w") as f:
    vf = VersionedHDF5File(f)
    with vf.stage_version("v1", timestamp=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)) as g:
        x = g.create_dataset("x", data=np.arange(10, dtype="f4"), chunks=(4,))
        x.attrs["units"] = "m"
        g.create_dataset("m", data=np.arange(24, dtype="i4").reshape(6, 4), chunks=(2, 2))
        g.create_dataset("z", data=np.arange(16, dtype="f8"), chunks=(4,),
                         compression="gzip", shuffle=True, fletcher32=True)
        grp = g.create_group("g")
        grp.attrs["scale"] = np.float32(0.5)
        grp.attrs["count"] = np.int32(3)
        grp.attrs["label"] = "a"
print(json.dumps(True))
"#;

/// The same edits as `session_edits`, by versioned-hdf5.
const PYTHON_COMMIT: &str = r#"
import sys, json, h5py, numpy as np, datetime as dt
from versioned_hdf5 import VersionedHDF5File
with h5py.File(sys.argv[1], "r+") as f:
    vf = VersionedHDF5File(f)
    with vf.stage_version("v2", timestamp=dt.datetime(2030, 1, 2, tzinfo=dt.timezone.utc)) as g:
        g["x"][3] = 2.5
        g["m"][1:3, 0:2] = 7
        g["z"][5] = 9.5
        g["g"].attrs["scale"] = np.float32(0.25)
        g["g"].attrs["count"] = np.int32(7)
        g["x"].attrs["units"] = "km"
        del g["g"].attrs["label"]
        g.create_group("new")
        g["x"].resize((12,))
print(json.dumps(True))
"#;

fn session_edits() -> Vec<Edit> {
    let attr = |path: &str, name: &str, value: EditValue| Edit::SetAttr {
        path: path.into(),
        name: name.into(),
        value,
        dtype: AttrDtype::Keep,
    };
    vec![
        Edit::set("/x[3]", EditValue::Json(json!(2.5))).unwrap(),
        Edit::set("/m[1:3, 0:2]", EditValue::Json(json!(7))).unwrap(),
        Edit::set("/z[5]", EditValue::Json(json!(9.5))).unwrap(),
        attr("/g", "scale", EditValue::Json(json!(0.25))),
        attr("/g", "count", EditValue::Json(json!(7))),
        attr("/x", "units", EditValue::Text("km".into())),
        Edit::DelAttr {
            path: "/g".into(),
            name: "label".into(),
        },
        Edit::MkGroup {
            path: "/new".into(),
        },
        Edit::Resize {
            path: "/x".into(),
            shape: vec![12],
        },
    ]
}

fn commit_opts(name: &str) -> CommitOptions {
    CommitOptions {
        name: name.into(),
        timestamp: Some(parse_query_timestamp(T2).unwrap()),
        make_current: true,
    }
}

fn dumps(files: &[&Path]) -> Json {
    let mut args = vec!["dump-many"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    interop_json("check_files.py", &args)
}

/// The session stages typed edits (attributes keeping float32 and int32)
/// and commits; Python's `stage_version` does the same on a copy. Every
/// version reads the same in Python, the attributes keep their dtypes.
#[test]
fn session_commit_equals_python_commit() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.h5");
    let theirs = dir.path().join("theirs.h5");
    python_snippet_json(MAKE_BASE, &[ours.to_str().unwrap()]);
    std::fs::copy(&ours, &theirs).unwrap();
    python_snippet_json(PYTHON_COMMIT, &[theirs.to_str().unwrap()]);

    let mut session = Session::open(&ours).unwrap();
    for edit in session_edits() {
        session.apply("v1", edit).unwrap();
    }
    assert_eq!(session.pending().len(), 9);
    let mut steps = 0;
    let encoded = vh5::engine::codec::encoded_on_this_thread();
    let appended = vh5::engine::codec::lzf_appended_on_this_thread();
    let summary = session
        .commit(&commit_opts("v2"), &mut |_| steps += 1, &never)
        .unwrap();
    // Whole new chunks (of /m and of the gzip+shuffle+fletcher32 /z) were
    // encoded by `engine::codec` and stored as they are, and their hash
    // rows appended to the tables' LZF chunks (which Python reads below).
    assert!(vh5::engine::codec::encoded_on_this_thread() >= encoded + 2);
    assert!(vh5::engine::codec::lzf_appended_on_this_thread() >= appended + 2);
    assert!(steps > 0, "the commit reports progress");
    assert!(session.pending().is_empty(), "a commit empties the stage");
    assert_eq!(summary.version.name, "v2");
    assert!(
        summary.chunks_written >= 2 && summary.chunks_shared >= 1,
        "{summary:?}"
    );

    let both = dumps(&[&ours, &theirs]);
    let (a, b) = (
        &both[ours.to_str().unwrap()],
        &both[theirs.to_str().unwrap()],
    );
    for key in ["versions", "current_version", "trees"] {
        if let Some(d) = first_difference(&a[key], &b[key], key) {
            panic!("the session's commit reads differently in Python: {d}");
        }
    }
    let types = python_snippet_json(
        r#"
import sys, json, h5py
from versioned_hdf5 import VersionedHDF5File
with h5py.File(sys.argv[1], "r") as f:
    g = VersionedHDF5File(f)["v2"]["g"]
    print(json.dumps({k: str(g.attrs[k].dtype) for k in g.attrs}))
"#,
        &[ours.to_str().unwrap()],
    );
    assert_eq!(types, json!({"count": "int32", "scale": "float32"}));
}

/// A restored version committed on the current one holds exactly the
/// restored version's content, and no chunk was written for it.
#[test]
fn restore_commits_the_restored_content() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path(), "restore.h5");
    let before = dumps(&[&p])[p.to_str().unwrap()].clone();
    let mut session = Session::open(&p).unwrap();
    let current = current_of(&session);
    let restore = Edit::Restore {
        version: "initial-load".into(),
    };
    let row = session.apply(&current, restore).unwrap();
    assert_eq!(row.what, "restore initial-load");
    let summary = session
        .commit(&commit_opts("restored"), &mut |_| {}, &never)
        .unwrap();
    assert_eq!(summary.chunks_written, 0, "{summary:?}");
    assert_eq!(summary.version.prev.as_deref(), Some(current.as_str()));

    let after = dumps(&[&p])[p.to_str().unwrap()].clone();
    // Chunk-map counts compare a version with its parent and the others.
    let content = |name: &str| {
        let mut tree = after["trees"][name].clone();
        for entry in tree.as_array_mut().unwrap() {
            entry.as_object_mut().unwrap().remove("chunk_map");
        }
        tree
    };
    let (restored, original) = (content("restored"), content("initial-load"));
    if let Some(d) = first_difference(&restored, &original, "trees") {
        panic!("the restored version differs from initial-load: {d}");
    }
    for (path, raw) in before["raw"].as_object().unwrap() {
        assert_eq!(
            after["raw"][path]["raw_data_rows"], raw["raw_data_rows"],
            "{path}: raw_data grew"
        );
    }
    // Python keeps committing on top of it.
    let out = python_snippet_json(
        r#"
import sys, json, h5py
from versioned_hdf5 import VersionedHDF5File
with h5py.File(sys.argv[1], "r+") as f:
    vf = VersionedHDF5File(f)
    with vf.stage_version("py") as g:
        g["market/prices"][0, 0] = 1.0
    print(json.dumps(vf.current_version))
"#,
        &[p.to_str().unwrap()],
    );
    assert_eq!(out, json!("py"));
}

/// Python holds the file open for writing: the session's commit is refused
/// in one line naming why, the edits stay staged, and once Python closes
/// the file the same commit goes through.
#[test]
fn a_commit_while_python_holds_the_file_is_refused_and_kept() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path(), "locked.h5");
    let mut session = Session::open(&p).unwrap();
    let current = current_of(&session);
    let edit = Edit::set("/market/prices[0, 0]", EditValue::Json(json!(1.5))).unwrap();
    session.apply(&current, edit).unwrap();

    let mut holder = Command::new(python())
        .args([
            "-c",
            "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); print('open', flush=True); \
             sys.stdin.readline(); f.close(); print('closed', flush=True)",
        ])
        .arg(&p)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "open");
    let bytes = std::fs::read(&p).unwrap();

    let err = session
        .commit(&commit_opts("blocked"), &mut |_| {}, &never)
        .unwrap_err();
    assert!(err.message.contains("in use by another program"), "{err}");
    assert_eq!(err.message.lines().count(), 1, "{err}");
    assert_eq!(session.pending().len(), 1, "the edit stays staged");
    assert_eq!(std::fs::read(&p).unwrap(), bytes, "nothing was written");

    writeln!(holder.stdin.as_mut().unwrap()).unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), "closed");
    holder.wait().unwrap();
    let summary = session
        .commit(&commit_opts("after"), &mut |_| {}, &never)
        .unwrap();
    assert_eq!(summary.chunks_written, 1);
    let v = vh5_json(&[
        "cat",
        p.to_str().unwrap(),
        "--version",
        "after",
        "/market/prices[0, 0]",
        "--json",
    ]);
    assert_eq!(v["data"], json!(1.5));
}

/// Refused commits keep the staged edits: a name taken, and the base
/// version deleted by another program (the edits no longer apply until
/// discarded); then a new stage commits.
#[test]
fn refused_commits_keep_the_edits() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path(), "refused.h5");
    let mut session = Session::open(&p).unwrap();
    let edit = Edit::set("/market/prices[0, 0]", EditValue::Json(json!(4))).unwrap();
    session.apply("scenario-hedged", edit.clone()).unwrap();
    let err = session
        .commit(&commit_opts("rebalance"), &mut |_| {}, &never)
        .unwrap_err();
    assert!(err.message.contains("already exists"), "{err}");
    assert_eq!(session.pending().len(), 1);

    python_snippet_json(
        r#"
import sys, json, h5py
from versioned_hdf5.replay import delete_versions
with h5py.File(sys.argv[1], "r+") as f:
    delete_versions(f, ["scenario-hedged"])
print(json.dumps(True))
"#,
        &[p.to_str().unwrap()],
    );
    let err = session
        .commit(&commit_opts("gone"), &mut |_| {}, &never)
        .unwrap_err();
    assert!(err.message.contains("changed on disk"), "{err}");
    assert_eq!(err.message.lines().count(), 1);
    assert_eq!(session.pending().len(), 1, "the edits stay staged");
    let err = session.apply("scenario-hedged", edit.clone()).unwrap_err();
    assert!(err.message.contains("no longer apply"), "{err}");

    assert_eq!(session.discard_all(), 1);
    session.apply("rebalance", edit).unwrap();
    session
        .commit(&commit_opts("on-rebalance"), &mut |_| {}, &never)
        .unwrap();
}

/// Delete (after its dry run), rename and set-current through the session
/// leave the file the command line leaves; the dry run's count of freed
/// chunks is what the rewrite frees.
#[test]
fn history_writes_through_the_session_equal_the_cli() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let ours = demo_copy(dir.path(), "ours.h5");
    let cli = demo_copy(dir.path(), "cli.h5");
    let rows = |d: &Json| -> i64 {
        d["raw"]
            .as_object()
            .unwrap()
            .values()
            .map(|r| r["largest_index"].as_i64().unwrap())
            .sum()
    };
    let before = rows(&dumps(&[&ours])[ours.to_str().unwrap()]);

    let mut session = Session::open(&ours).unwrap();
    let doomed = vec!["scenario-shock".to_string(), "scenario-hedged".to_string()];
    let plan = session.delete_plan(&doomed, &never).unwrap();
    assert_eq!(plan.versions, vec!["scenario-hedged", "scenario-shock"]);
    assert!(plan.chunks_freed > 0 && plan.bytes_freed > 0, "{plan:?}");
    let mut reports = Vec::new();
    let deleted = session
        .delete_versions(&doomed, &mut |p| reports.push(p.fraction()), &never)
        .unwrap();
    assert_eq!(deleted, vec!["scenario-hedged", "scenario-shock"]);
    assert_eq!(reports.last(), Some(&1.0));
    session.rename_version("rebalance", "rebalanced").unwrap();
    session.set_current("fix-bad-tick").unwrap();
    // The session reads the new state at once.
    let file = session.file().unwrap();
    assert_eq!(
        file.current_version_name().unwrap().as_deref(),
        Some("fix-bad-tick")
    );
    assert!(file.version("rebalanced").unwrap().is_some());

    let f = cli.to_str().unwrap();
    for args in [
        vec!["delete-versions", f, "scenario-shock", "scenario-hedged"],
        vec!["rename-version", f, "rebalance", "rebalanced"],
        vec!["set-current", f, "fix-bad-tick"],
    ] {
        let out = vh5(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let both = dumps(&[&ours, &cli]);
    let (a, b) = (&both[ours.to_str().unwrap()], &both[f]);
    for key in ["versions", "current_version", "trees", "raw"] {
        if let Some(d) = first_difference(&a[key], &b[key], key) {
            panic!("the session's history writes differ from the CLI's: {d}");
        }
    }
    assert_eq!(
        before - rows(a),
        plan.chunks_freed as i64,
        "the dry run counts the chunks the rewrite frees"
    );
}

/// A replay cancelled half-way leaves the file byte for byte as it was,
/// and the session goes on reading it.
#[test]
fn a_cancelled_replay_leaves_the_file_untouched() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path(), "cancel.h5");
    let before = file_fingerprint(&p);
    let mut session = Session::open(&p).unwrap();
    let steps = std::cell::Cell::new(0);
    let err = session
        .delete_versions(
            &["scenario-shock".to_string()],
            &mut |_| steps.set(steps.get() + 1),
            &|| steps.get() >= 3,
        )
        .unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert_eq!(file_fingerprint(&p), before, "the file changed");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "cancel.h5")
        .collect();
    assert!(leftovers.is_empty(), "temporary file left: {leftovers:?}");
    assert!(session
        .file()
        .unwrap()
        .version("scenario-shock")
        .unwrap()
        .is_some());
}

/// Waits for the next `Done` (progress skipped).
fn next_done(worker: &Worker) -> CommandReply {
    loop {
        let r = worker
            .command_replies
            .recv_timeout(Duration::from_secs(60))
            .expect("a command reply");
        if matches!(r, CommandReply::Done { .. }) {
            return r;
        }
    }
}

/// Waits for the answer to query `seq`.
fn answer(worker: &Worker, seq: u64) -> Answer {
    loop {
        let a = worker
            .answers
            .recv_timeout(Duration::from_secs(60))
            .expect("an answer");
        if a.seq == seq {
            return a;
        }
    }
}

/// The worker runs commands in order, answers queries through the stage,
/// refuses edits on another version while edits are staged, reports a
/// commit's progress and outcome, then tells the app the file changed.
#[test]
fn the_worker_runs_commands_in_order_and_reads_through_the_stage() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path(), "worker.h5");
    let worker = Worker::spawn(p.clone()).unwrap();
    let base = "eod-2025-05-30".to_string();
    let edits = [
        Edit::set("/market/prices[0, 0]", EditValue::Json(json!(1))).unwrap(),
        Edit::set("/market/prices[0, 0]", EditValue::Json(json!(2))).unwrap(),
        Edit::set("/market/prices[0, 1]", EditValue::Json(json!(3))).unwrap(),
    ];
    for (i, e) in edits.iter().enumerate() {
        worker.command(
            i as u64 + 1,
            WorkerCommand::Apply {
                base: base.clone(),
                edit: e.clone(),
            },
        );
    }
    worker.command(4, WorkerCommand::Undo);
    worker.command(
        5,
        WorkerCommand::Apply {
            base: "initial-load".into(),
            edit: edits[0].clone(),
        },
    );
    for seq in 1..=5 {
        let CommandReply::Done {
            seq: got,
            outcome,
            pending,
            staged_on,
        } = next_done(&worker)
        else {
            unreachable!()
        };
        assert_eq!(got, seq, "commands answer in order");
        match seq {
            4 => assert!(matches!(outcome, Ok(Outcome::Undone(Some(_))))),
            5 => {
                let err = outcome.unwrap_err();
                assert!(err.contains("staged on version eod-2025-05-30"), "{err}");
                assert_eq!(pending.len(), 2);
            }
            _ => assert!(matches!(outcome, Ok(Outcome::Staged(_))), "{outcome:?}"),
        }
        assert_eq!(staged_on.as_deref(), Some(base.as_str()));
    }
    let sel = vh5::engine::Selection::block(&[0, 0], &[1, 2]);
    worker.send(
        10,
        Request::Page {
            version: base.clone(),
            path: "/market/prices".into(),
            sel,
        },
    );
    let Ok(Reply::Page { grid, staged, .. }) = answer(&worker, 10).reply else {
        panic!("no page")
    };
    // The second set wins; the third was undone.
    assert_eq!(grid.to_json()[0][0], json!(2.0));
    assert_ne!(grid.to_json()[0][1], json!(3.0));
    assert_eq!(staged, vec![true, false]);

    worker.command(
        6,
        WorkerCommand::Commit {
            name: "from-worker".into(),
            make_current: true,
            timestamp: None,
        },
    );
    let mut progress = 0;
    let done = loop {
        match worker
            .command_replies
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
        {
            CommandReply::Progress { .. } => progress += 1,
            done => break done,
        }
    };
    let CommandReply::Done {
        outcome, pending, ..
    } = done
    else {
        unreachable!()
    };
    let Ok(Outcome::Committed(summary)) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(progress > 0);
    assert_eq!(summary.chunks_written, 1);
    assert!(pending.is_empty());
    let changed = worker
        .answers
        .recv_timeout(Duration::from_secs(60))
        .unwrap();
    assert_eq!(changed.reply, Ok(Reply::FileChanged));
    worker.send(11, Request::Log);
    let Ok(Reply::Log { current, .. }) = answer(&worker, 11).reply else {
        panic!("no log")
    };
    assert_eq!(current.as_deref(), Some("from-worker"));
}

/// A command cancelled before it starts writes nothing and says so.
#[test]
fn the_worker_cancels_a_replay() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path(), "cancelled.h5");
    let before = file_fingerprint(&p);
    let worker = Worker::spawn(p.clone()).unwrap();
    worker.cancel(7);
    worker.command(
        7,
        WorkerCommand::DeleteVersions {
            versions: vec!["scenario-shock".into()],
        },
    );
    let CommandReply::Done { outcome, .. } = next_done(&worker) else {
        unreachable!()
    };
    assert!(outcome.unwrap_err().starts_with("cancelled"));
    assert_eq!(file_fingerprint(&p), before);
}

/// Plain HDF5 files stay read-only: no edit is staged on them.
#[test]
fn plain_files_stay_read_only() {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plain.h5");
    python_snippet_json(
        "import sys, json, h5py\nwith h5py.File(sys.argv[1], 'w') as f: f['x'] = [1, 2]\nprint(json.dumps(True))",
        &[p.to_str().unwrap()],
    );
    let before = file_fingerprint(&p);
    let mut session = Session::open(&p).unwrap();
    let edit = Edit::set("/x[0]", EditValue::Json(json!(5))).unwrap();
    let err = session.apply(".", edit).unwrap_err();
    assert!(err.message.contains("read-only"), "{err}");
    assert!(session.pending().is_empty());
    assert_eq!(file_fingerprint(&p), before);
}
