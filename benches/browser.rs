//! The browser with its real worker thread, as `vh5 FILE` runs it minus the
//! terminal: how long a keypress takes to bring the new version's tree and
//! metadata while a history scan (the chunk-map counts of a dataset over
//! all 1,000 versions) is running, and the process's memory while paging.
//!
//!     cargo bench --bench browser
//!
//! File: `series1000.h5` (`VH5_SERIES_FILE`; made by
//! `benches/make_series_file.py` if missing): 1,000 versions of `/series`,
//! 3M float64 gzip in chunks of 5,000.
//!
//! Each round opens the file afresh (no chunk map read yet), starts at the
//! newest version on `/series` (its metadata asks for the chunk-map counts,
//! a cold scan of every version), then, while that scan runs, focuses the
//! timeline and presses `j`: timed from the key to the moment the tree and
//! the metadata of the version below are both in the app's state. Prints
//! the median and worst of the rounds, whether the scan was still running
//! when each answer arrived, and the scan's own duration; then a one-cell
//! commit as the commit dialog sends it (on scratch copies); then pages
//! through `/series` (PgDn 500 times) and prints the largest resident size,
//! then turns the blame layer on (`b`: every version's chunk map of
//! `/series` read and kept) and prints it again.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::SERIES1000;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vh5::engine::edit::{Edit, EditValue};
use vh5::tui::app::{App, Start};
use vh5::tui::worker::{Command, CommandReply, Worker};

const ROUNDS: usize = 9;
const PAGES: usize = 500;
const CHUNK_SUMMARY: &str = "chunk summary";

/// Sends what the app asks and hands it every answer that came, as the
/// event loop does, until `done` holds (or panics after `limit`).
fn pump(app: &mut App, worker: &Worker, limit: Duration, done: impl Fn(&App) -> bool) {
    let t = Instant::now();
    loop {
        for (seq, req) in app.take_requests() {
            worker.send(seq, req);
        }
        app.want_summaries();
        app.want_page();
        if done(app) {
            return;
        }
        assert!(
            t.elapsed() < limit,
            "browser bench: gave up after {limit:?}"
        );
        if let Ok(a) = worker.answers.recv_timeout(Duration::from_millis(1)) {
            app.on_answer(a);
        }
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// One round: the latency of `j` while the scan runs, whether the scan was
/// still running when the answer arrived, and how long the scan took.
fn round(path: &Path) -> (Duration, bool, Duration) {
    let start = Start {
        version: "v0999".into(),
        path: Some("/series".into()),
    };
    let mut app = App::at("series1000.h5".into(), Some(start));
    let worker = Worker::spawn(path.to_path_buf()).expect("open the bench file");
    let opened = Instant::now();
    let limit = Duration::from_secs(120);
    // The metadata of /series is in: its chunk-map counts are being asked.
    pump(&mut app, &worker, limit, |a| {
        a.tree.version.as_deref() == Some("v0999")
            && !a.requests.waiting_for("meta")
            && a.requests.waiting_for(CHUNK_SUMMARY)
    });
    key(&mut app, KeyCode::Char('1'));
    let pressed = Instant::now();
    key(&mut app, KeyCode::Char('j'));
    pump(&mut app, &worker, limit, |a| {
        a.tree.version.as_deref() == Some("v0998")
            && !a.requests.waiting_for("tree")
            && !a.requests.waiting_for("meta")
            && a.meta.info.is_some()
    });
    let latency = pressed.elapsed();
    let scanning = app.requests.waiting_for(CHUNK_SUMMARY);
    pump(&mut app, &worker, limit, |a| {
        !a.requests.waiting_for(CHUNK_SUMMARY)
    });
    (latency, scanning, opened.elapsed())
}

fn vm_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Pages through /series on the newest version, then blames it: RSS after
/// opening, the largest RSS while paging, the largest with the blame on.
fn paging_rss(path: &Path) -> (f64, f64, f64) {
    let start = Start {
        version: "v0999".into(),
        path: Some("/series".into()),
    };
    let mut app = App::at("series1000.h5".into(), Some(start));
    let worker = Worker::spawn(path.to_path_buf()).expect("open the bench file");
    let limit = Duration::from_secs(120);
    pump(&mut app, &worker, limit, |a| !a.busy());
    let before = vm_kib("VmRSS:") as f64 / 1024.0;
    key(&mut app, KeyCode::Char('4'));
    for _ in 0..PAGES {
        key(&mut app, KeyCode::PageDown);
        pump(&mut app, &worker, limit, |a| !a.busy());
    }
    let paging = vm_kib("VmHWM:") as f64 / 1024.0;
    key(&mut app, KeyCode::Char('b'));
    pump(&mut app, &worker, limit, |a| {
        a.array.blame.covers("v0999", "/series") && !a.busy()
    });
    (before, paging, vm_kib("VmHWM:") as f64 / 1024.0)
}

/// A one-cell edit staged and committed through the worker's ordered
/// commands, as the commit dialog does, on a scratch copy: the time from
/// the commit command to its answer (the file written and reopened).
fn dialog_commit(path: &Path) -> Duration {
    let dir = tempfile::tempdir().expect("scratch dir");
    let copy = dir.path().join("series1000.h5");
    std::fs::copy(path, &copy).expect("copy the bench file");
    let worker = Worker::spawn(copy).expect("open the copy");
    let value = EditValue::parse("1.5").expect("a value");
    let edit = Edit::set("/series[5]", value).expect("an edit");
    let done = |seq: u64| loop {
        match worker
            .command_replies
            .recv_timeout(Duration::from_secs(120))
        {
            Ok(CommandReply::Done {
                seq: s, outcome, ..
            }) if s == seq => {
                outcome.expect("the command succeeds");
                return;
            }
            Ok(_) => {}
            Err(e) => panic!("browser bench: no answer to command {seq}: {e}"),
        }
    };
    let base = "v0999".to_string();
    worker.command(1, Command::Apply { base, edit });
    done(1);
    let t = Instant::now();
    let name = "bench-commit".to_string();
    worker.command(
        2,
        Command::Commit {
            name,
            make_current: true,
            timestamp: None,
        },
    );
    done(2);
    t.elapsed()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo bench -- --list: nothing to enumerate
    }
    let path = SERIES1000.ensure("browser", Some("series1000.h5"));
    let mut rounds: Vec<(Duration, bool, Duration)> = (0..ROUNDS).map(|_| round(&path)).collect();
    rounds.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let during = rounds.iter().filter(|r| r.1).count();
    let mut scans: Vec<Duration> = rounds.iter().map(|r| r.2).collect();
    scans.sort();
    println!(
        "browser bench: keypress to the next version's tree and metadata while the \
         chunk-map scan runs: median {:.1} ms, worst {:.1} ms ({during} of {ROUNDS} \
         answered with the scan still running); the cold scan over 1,000 versions \
         took {:.0} ms (median)",
        ms(rounds[ROUNDS / 2].0),
        ms(rounds[ROUNDS - 1].0),
        ms(scans[ROUNDS / 2]),
    );
    let mut commits: Vec<Duration> = (0..3).map(|_| dialog_commit(&path)).collect();
    commits.sort();
    println!(
        "browser bench: a one-cell commit from the dialog (staged, then committed by the \
         worker, file reopened): median {:.0} ms of 3",
        ms(commits[1])
    );
    let (before, max, blamed) = paging_rss(&path);
    println!(
        "browser bench: paging /series {PAGES} times: RSS {before:.0} MiB after opening, \
         {max:.0} MiB at most; {blamed:.0} MiB at most once blamed (b)"
    );
}
