//! The browser's blame toggle with its real worker thread: how long `b`
//! takes to colour `/series` of the newest version of `series1000.h5`
//! (1,000 versions, 600 chunks; a cold walk reads up to 1,000 chunk maps),
//! how long `B` then takes to show the blame of the writer's version (its
//! ancestors' maps already read), and how long a timeline keypress takes
//! to bring the next version's tree and metadata while a cold blame runs.
//!
//!     cargo bench --bench blame
//!
//! File: `series1000.h5` (`VH5_SERIES_FILE`; made by
//! `benches/make_series_file.py` if missing).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::SERIES1000;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vh5::tui::app::{App, Start};
use vh5::tui::worker::Worker;

const ROUNDS: usize = 5;
const LIMIT: Duration = Duration::from_secs(120);

/// Sends what the app asks and hands it every answer, as the event loop
/// does, until `done` holds.
fn pump(app: &mut App, worker: &Worker, done: impl Fn(&App) -> bool) {
    let t = Instant::now();
    loop {
        for (seq, req) in app.take_requests() {
            worker.send(seq, req);
        }
        app.want_page();
        if done(app) {
            return;
        }
        assert!(t.elapsed() < LIMIT, "blame bench: gave up after {LIMIT:?}");
        if let Ok(a) = worker.answers.recv_timeout(Duration::from_millis(1)) {
            app.on_answer(a);
        }
    }
}

fn key(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
}

/// A fresh browser at v0999 on /series, every answer in (the chunk-map
/// counts' scan included: it reads no maps that blame could reuse).
fn opened(path: &Path) -> (App, Worker) {
    let start = Start {
        version: "v0999".into(),
        path: Some("/series".into()),
    };
    let mut app = App::at("series1000.h5".into(), Some(start));
    let worker = Worker::spawn(path.to_path_buf()).expect("open the bench file");
    pump(&mut app, &worker, |a| {
        a.array.meta.is_some() && a.array.page.is_some() && !a.busy()
    });
    (app, worker)
}

fn blamed(app: &App) -> bool {
    app.array.blame_note().is_some()
}

/// `b` cold, then `B` to the writer of the cursor's chunk.
fn toggle(path: &Path) -> (Duration, Duration) {
    let (mut app, worker) = opened(path);
    key(&mut app, '4');
    let t = Instant::now();
    key(&mut app, 'b');
    pump(&mut app, &worker, blamed);
    let cold = t.elapsed();
    let t = Instant::now();
    key(&mut app, 'B');
    let writer = app.timeline.selected_name().map(String::from);
    pump(&mut app, &worker, |a| {
        blamed(a) && a.array.version == writer && !a.requests.waiting_for("blame")
    });
    (cold, t.elapsed())
}

/// `b`, then at once `j` in the timeline: the next version's tree and
/// metadata, and whether the blame was still running then.
fn navigation_during_blame(path: &Path) -> (Duration, bool) {
    let (mut app, worker) = opened(path);
    key(&mut app, '4');
    key(&mut app, 'b');
    for (seq, req) in app.take_requests() {
        worker.send(seq, req);
    }
    key(&mut app, '1');
    let t = Instant::now();
    key(&mut app, 'j');
    pump(&mut app, &worker, |a| {
        a.tree.version.as_deref() == Some("v0998")
            && !a.requests.waiting_for("tree")
            && !a.requests.waiting_for("meta")
            && a.meta.info.is_some()
    });
    (t.elapsed(), app.requests.waiting_for("blame"))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let path = SERIES1000.ensure("blame", Some("series1000.h5"));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut toggles: Vec<(Duration, Duration)> = (0..ROUNDS).map(|_| toggle(&path)).collect();
    toggles.sort();
    let mut jumps: Vec<Duration> = toggles.iter().map(|t| t.1).collect();
    jumps.sort();
    println!(
        "blame bench: b on /series @ v0999 (cold, up to 1,000 maps): median {:.0} ms, \
         worst {:.0} ms; B to the writer and its blame: median {:.0} ms ({ROUNDS} rounds)",
        ms(toggles[ROUNDS / 2].0),
        ms(toggles[ROUNDS - 1].0),
        ms(jumps[ROUNDS / 2]),
    );
    let mut keys: Vec<(Duration, bool)> = (0..ROUNDS)
        .map(|_| navigation_during_blame(&path))
        .collect();
    keys.sort();
    let during = keys.iter().filter(|k| k.1).count();
    println!(
        "blame bench: j in the timeline right after b: the next version's tree and \
         metadata in median {:.1} ms, worst {:.1} ms ({during} of {ROUNDS} while the \
         blame still ran)",
        ms(keys[ROUNDS / 2].0),
        ms(keys[ROUNDS - 1].0),
    );
}
