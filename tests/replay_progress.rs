//! Long replays report progress through a callback.
//!
//! In its own test binary on purpose: HDF5 opens files without close-on-exec,
//! so a child process another test thread spawns would inherit this
//! process's file lock on the rewritten file and make the reopen fail.

mod common;

use common::*;

/// Long replays report progress step by step up to the total (the browser
/// draws it as a gauge; the CLI as a bar on a terminal).
#[test]
fn replays_report_progress_to_completion() {
    use vh5::engine::progress::never;
    use vh5::engine::replay::{compact, delete_versions, stored_chunk_copies, Progress};
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("progress.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &f).unwrap();
    for op in 0..2 {
        let mut seen: Vec<Progress> = Vec::new();
        let mut record = |p: &Progress| seen.push(p.clone());
        if op == 0 {
            compact(&f, None, &mut record, &never).unwrap();
        } else {
            let spec = vh5::engine::VersionSpec::Name("scenario-shock".into());
            delete_versions(&f, &[spec], &mut record, &never).unwrap();
        }
        assert!(seen.len() >= 5, "too few progress reports: {}", seen.len());
        assert!(seen
            .windows(2)
            .all(|w| w[1].done == w[0].done + 1 && w[1].total == w[0].total));
        let last = seen.last().unwrap();
        assert_eq!(last.done, last.total);
    }
    // The demo's numeric chunks moved as stored bytes, not re-compressed
    // (replay_interop proves the results equal versioned-hdf5's).
    assert!(
        stored_chunk_copies() > 0,
        "no chunk was moved as stored bytes"
    );
}
