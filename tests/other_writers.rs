//! Living with other writers: while the browser shows a file (its real
//! worker thread, as `vh5 FILE` runs it minus the terminal), the real
//! versioned-hdf5 opens the same file for writing and commits; the browser
//! holds no lock that refuses it, and shows the new version within about two
//! seconds, keeping the user's selected version.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{python, repo_root};
use vh5::tui::app::App;
use vh5::tui::worker::Worker;

const COMMIT: &str = r#"
import sys, h5py, numpy as np
from versioned_hdf5 import VersionedHDF5File
with h5py.File(sys.argv[1], "r+") as f:
    vf = VersionedHDF5File(f)
    with vf.stage_version("from_python") as g:
        g["market/prices"][0, 0] = 12345.5
print("committed")
"#;

/// Sends the app's requests and hands it the answers until `done` holds;
/// false after `limit`.
fn pump(app: &mut App, worker: &Worker, limit: Duration, done: impl Fn(&App) -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        for (seq, req) in app.take_requests() {
            worker.send(seq, req);
        }
        if done(app) {
            return true;
        }
        if let Ok(a) = worker.answers.recv_timeout(Duration::from_millis(5)) {
            app.on_answer(a);
        }
    }
    false
}

fn names(app: &App) -> Vec<String> {
    app.timeline.rows.iter().map(|r| r.name.clone()).collect()
}

#[test]
fn python_commits_while_the_browser_is_open_and_the_browser_follows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &file).unwrap();
    let worker = Worker::spawn(file.clone()).expect("open the demo copy");
    let mut app = App::new("demo.h5".into());
    assert!(pump(&mut app, &worker, Duration::from_secs(30), |a| {
        !a.timeline.rows.is_empty() && a.tree.version.is_some() && !a.busy()
    }));
    // Select an older version: the reload must keep it selected.
    app.timeline.selected = 2;
    let kept = app.timeline.selected_name().unwrap().to_string();
    let before = names(&app);
    assert!(!before.contains(&"from_python".to_string()));

    let out = Command::new(python())
        .args(["-c", COMMIT])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Python could not commit while the browser was open: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = Instant::now();
    let seen = pump(&mut app, &worker, Duration::from_secs(10), |a| {
        names(a).contains(&"from_python".to_string())
    });
    let took = committed.elapsed();
    assert!(
        seen,
        "the browser never showed Python's version: {:?}",
        names(&app)
    );
    assert!(
        took < Duration::from_millis(2500),
        "the browser took {took:?} to show Python's version"
    );
    assert_eq!(names(&app).len(), before.len() + 1);
    assert_eq!(app.timeline.selected_name(), Some(kept.as_str()));
    assert_eq!(app.timeline.current.as_deref(), Some("from_python"));
    eprintln!("the browser showed Python's commit after {took:?}");
}
