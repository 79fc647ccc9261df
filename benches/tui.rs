//! Browser benchmarks: the TUI's `App` driven deterministically, as in
//! `tests/tui_snapshots.rs` (a synchronous `vh5::tui::worker::Service`
//! answering every request, a ratatui `TestBackend` of 120 x 34).
//!
//!     cargo bench --bench tui
//!
//! Files, made once if missing (see `benches/read.rs` and `benches/diff.rs`;
//! they need versioned-hdf5 2.6.0 in the Python from `VH5_PYTHON`, else
//! `.venv/bin/python`, else `python3`):
//! * `target/bench-data/bench1000.h5` (`VH5_BENCH_FILE`): 1,000 versions
//!   `v0000`..`v0999`, `/large` 20000 x 500 f8;
//! * `target/bench-data/diff1e8.h5` (`VH5_DIFF_FILE`): `/x`, 10^8 u1 in
//!   chunks of 10^6, versions `v1` and `v2`.
//!
//! Before timing, one untimed measurement of memory while paging: open
//! `diff1e8.h5`, show `/x` in the array pane, press PageDown 2,000 times
//! (every 50th press is a `:` go-to to a far index, every 250th a `G`), each
//! followed by a settle; the process's resident memory (VmRSS) before, the
//! largest seen after any settle, and after, go to stderr as
//! `tui bench: RSS before X MiB, max Y MiB, after Z MiB over N page-downs`.
//!
//! Timed:
//! * `first full frame (1,000 versions)`: `App::new` + `Service::open` to
//!   the first frame showing the versions in the timeline and the loaded
//!   tree (one settle; untimed, once, where that time goes is printed);
//! * `render one frame`: one `terminal.draw(|f| app.render(f))` with the
//!   state loaded and the array pane showing a page of `/large`;
//! * `page down (10^8 elements)`: one PageDown in `/x` and the settle after.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{BENCH1000, DIFF1E8};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use crossterm::event::KeyCode;
use vh5::tui::headless::Headless;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 34;
/// Key presses of the memory measurement.
const PRESSES: usize = 2000;
const GOTO_EVERY: usize = 50;
const END_EVERY: usize = 250;
/// Must match `benches/make_diff_file.py`.
const X_LEN: u64 = 100_000_000;

/// Opens a file in the headless browser (nothing rendered yet).
fn open(path: &Path) -> Headless {
    Headless::open(path, WIDTH, HEIGHT)
        .unwrap_or_else(|e| panic!("open {}: {}", path.display(), e.message))
}

/// Renders and answers until nothing is pending, or gives up loudly.
fn settle(h: &mut Headless) {
    assert!(
        h.settle(),
        "tui bench: requests still coming after many rounds:\n{}",
        h.screen()
    );
}

/// Opens the file, settles and shows `dataset` in the array pane.
fn showing(path: &Path, dataset: &str) -> Headless {
    let mut h = open(path);
    settle(&mut h);
    h.show(dataset);
    let s = h.screen();
    assert!(
        h.app.array.page.is_some() && s.contains(&format!("{dataset} @")),
        "tui bench: {dataset} is not shown in the array pane:\n{s}"
    );
    h
}

/// A field of /proc/self/status in KiB (VmRSS, VmHWM).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The untimed memory measurement while paging through `/x`.
fn measure_paging(path: &Path) {
    let before = status_kib("VmRSS");
    let t0 = Instant::now();
    let mut h = showing(path, "/x");
    let mut max = status_kib("VmRSS").max(before);
    let (mut page_downs, mut gotos, mut ends) = (0usize, 0usize, 0usize);
    let reads0 = vh5::engine::read::chunk_reads();
    let pages0 = h.stats.pages;
    let mut samples = Vec::with_capacity(PRESSES);
    for i in 1..=PRESSES {
        if i % END_EVERY == 0 {
            h.keys(&[KeyCode::Char('G')]);
            ends += 1;
        } else if i % GOTO_EVERY == 0 {
            // Far indices spread over the whole dataset (and its 100 chunks).
            let target = (i as u64 * 7_368_787_u64) % X_LEN;
            h.keys(&[KeyCode::Char(':')]);
            h.text(&target.to_string());
            h.keys(&[KeyCode::Enter]);
            assert_eq!(
                h.app.array.cursor[0] as u64, target,
                "tui bench: go-to {target} did not move the cursor"
            );
            gotos += 1;
        } else {
            h.keys(&[KeyCode::PageDown]);
            page_downs += 1;
        }
        let rss = status_kib("VmRSS");
        max = max.max(rss);
        samples.push(rss);
    }
    let after = status_kib("VmRSS");
    let hwm = status_kib("VmHWM");
    let reads = vh5::engine::read::chunk_reads() - reads0;
    let pages = h.stats.pages - pages0;
    let cursor = h.app.array.cursor;
    assert!(
        h.app.array.value_at(cursor[0], cursor[1]).is_some(),
        "tui bench: no value shown at the cursor {cursor:?} after paging:\n{}",
        h.screen()
    );
    drop(h);
    let dropped = status_kib("VmRSS");
    eprintln!(
        "tui bench: RSS before {:.1} MiB, max {:.1} MiB, after {:.1} MiB over {page_downs} page-downs",
        mib(before),
        mib(max),
        mib(after)
    );
    let at = |k: usize| mib(samples[k.min(samples.len() - 1)]);
    eprintln!(
        "tui bench: paging details: {PRESSES} presses ({page_downs} PageDown, {gotos} `:` go-to, \
         {ends} `G`) in {:.1}s; {pages} page requests, {reads} chunk reads; final cursor \
         {cursor:?}; RSS after press 100 / 500 / 1000 / 1500 / 2000: {:.1} / {:.1} / {:.1} / \
         {:.1} / {:.1} MiB; VmHWM {:.1} MiB; RSS after dropping the app {:.1} MiB",
        t0.elapsed().as_secs_f64(),
        at(99),
        at(499),
        at(999),
        at(1499),
        at(1999),
        mib(hwm),
        mib(dropped),
    );
}

fn benches(c: &mut Criterion) {
    let bench = BENCH1000.ensure("tui", None);
    let diff = DIFF1E8.ensure("tui", None);

    measure_paging(&diff);

    // Check once what the first frame shows, and where its time goes.
    let t0 = Instant::now();
    let mut first = open(&bench);
    let opened = t0.elapsed();
    settle(&mut first);
    let total = t0.elapsed();
    let s = first.screen();
    assert!(
        first.app.timeline.rows.len() == 1000 && s.contains("v0999") && s.contains("large"),
        "tui bench: the first frame lacks the versions or the tree:\n{s}"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let parts: Vec<String> = first
        .stats
        .spent
        .iter()
        .map(|(k, n, d)| format!("{k} x{n} {:.1} ms", ms(*d)))
        .collect();
    eprintln!(
        "tui bench: one first full frame took {:.1} ms: open {:.1} ms, {} (of {:?}), \
         rendering {:.1} ms",
        ms(total),
        ms(opened),
        parts.join(", "),
        first.app.tree.selected_path().unwrap_or_default(),
        ms(first.stats.render)
    );
    drop(first);

    let mut g = group(c, 12);
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function("first full frame (1,000 versions)", |b| {
        b.iter(|| {
            let mut h = open(&bench);
            settle(&mut h);
            black_box(h.app.timeline.rows.len())
        })
    });
    g.finish();

    let mut h = showing(&bench, "/large");
    let mut g = group(c, 3);
    g.bench_function("render one frame", |b| {
        b.iter(|| {
            h.terminal.draw(|f| h.app.render(f)).unwrap();
        })
    });
    g.finish();
    drop(h);

    let mut h = showing(&diff, "/x");
    let mut g = group(c, 5);
    g.bench_function("page down (10^8 elements)", |b| {
        b.iter(|| h.keys(&[KeyCode::PageDown]))
    });
    g.finish();
}

/// The `tui` group, warming up for 500 ms and measuring for `secs` seconds.
fn group(c: &mut Criterion, secs: u64) -> BenchmarkGroup<'_, WallTime> {
    let mut g = c.benchmark_group("tui");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(secs));
    g
}

criterion_group!(tui_bench, benches);
criterion_main!(tui_bench);
