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
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use vh5::tui::app::App;
use vh5::tui::worker::{Answer, Request, Service};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 34;
/// Rounds of render + answer a settle may take before the bench gives up.
const MAX_ROUNDS: usize = 100;
/// Key presses of the memory measurement.
const PRESSES: usize = 2000;
const GOTO_EVERY: usize = 50;
const END_EVERY: usize = 250;
/// Must match `benches/make_diff_file.py`.
const X_LEN: u64 = 100_000_000;

/// The browser with a synchronous service, as in `tests/tui_snapshots.rs`.
struct Harness {
    app: App,
    service: Service,
    terminal: Terminal<TestBackend>,
    /// Page requests answered so far.
    pages: u64,
    /// Time spent answering, per request kind (`summary:*` as `summary`),
    /// with counts; and in rendering.
    spent: Vec<(String, usize, Duration)>,
    render: Duration,
}

impl Harness {
    /// Opens the file and the app; nothing rendered or answered yet.
    fn open(path: &Path) -> Harness {
        let service = Service::open(path)
            .unwrap_or_else(|e| panic!("open {}: {}", path.display(), e.message));
        let label = path.file_name().unwrap().to_string_lossy().into_owned();
        Harness {
            app: App::new(label),
            service,
            terminal: Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap(),
            pages: 0,
            spent: Vec::new(),
            render: Duration::ZERO,
        }
    }

    /// Renders and answers requests until nothing is pending; panics if
    /// requests keep coming after `MAX_ROUNDS` rounds.
    fn settle(&mut self) {
        for _ in 0..MAX_ROUNDS {
            let t = Instant::now();
            self.terminal.draw(|f| self.app.render(f)).unwrap();
            self.render += t.elapsed();
            self.app.want_summaries();
            self.app.want_page();
            let requests = self.app.take_requests();
            if requests.is_empty() {
                return;
            }
            for (seq, req) in requests {
                if matches!(req, Request::Page { .. }) {
                    self.pages += 1;
                }
                let t = Instant::now();
                let reply = self.service.handle(&req).map_err(|e| e.message);
                let kind = req.kind();
                let kind = kind.split(':').next().unwrap_or_default();
                match self.spent.iter_mut().find(|(k, _, _)| k == kind) {
                    Some((_, n, d)) => {
                        *n += 1;
                        *d += t.elapsed();
                    }
                    None => self.spent.push((kind.to_string(), 1, t.elapsed())),
                }
                self.app.on_answer(Answer {
                    seq,
                    kind: req.kind(),
                    reply,
                });
            }
        }
        let pending = self.app.take_requests();
        panic!(
            "tui bench: requests still coming after {MAX_ROUNDS} rounds: {pending:?}\n{}",
            self.screen()
        );
    }

    fn keys(&mut self, keys: &[KeyCode]) {
        for &k in keys {
            self.app.on_key(KeyEvent::new(k, KeyModifiers::NONE));
            self.settle();
        }
    }

    fn text(&mut self, s: &str) {
        let codes: Vec<KeyCode> = s.chars().map(KeyCode::Char).collect();
        self.keys(&codes);
    }

    fn screen(&self) -> String {
        let buf = self.terminal.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Opens the file, settles and shows `dataset` in the array pane.
    fn showing(path: &Path, dataset: &str) -> Harness {
        let mut h = Harness::open(path);
        h.settle();
        h.show(dataset);
        h
    }

    /// Tab to the tree, find `path`, open it in the array pane.
    fn show(&mut self, path: &str) {
        self.keys(&[KeyCode::Tab]);
        self.text(path);
        self.keys(&[KeyCode::Enter, KeyCode::Enter]);
        let s = self.screen();
        assert!(
            self.app.array.page.is_some() && s.contains(&format!("{path} @")),
            "tui bench: {path} is not shown in the array pane:\n{s}"
        );
    }
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
    let mut h = Harness::showing(path, "/x");
    let mut max = status_kib("VmRSS").max(before);
    let (mut page_downs, mut gotos, mut ends) = (0usize, 0usize, 0usize);
    let reads0 = vh5::engine::read::chunk_reads();
    let pages0 = h.pages;
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
    let pages = h.pages - pages0;
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
    let mut first = Harness::open(&bench);
    let opened = t0.elapsed();
    first.settle();
    let total = t0.elapsed();
    let s = first.screen();
    assert!(
        first.app.timeline.rows.len() == 1000 && s.contains("v0999") && s.contains("large"),
        "tui bench: the first frame lacks the versions or the tree:\n{s}"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let parts: Vec<String> = first
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
        ms(first.render)
    );
    drop(first);

    let mut g = group(c, 12);
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function("first full frame (1,000 versions)", |b| {
        b.iter(|| {
            let mut h = Harness::open(&bench);
            h.settle();
            black_box(h.app.timeline.rows.len())
        })
    });
    g.finish();

    let mut h = Harness::showing(&bench, "/large");
    let mut g = group(c, 3);
    g.bench_function("render one frame", |b| {
        b.iter(|| {
            h.terminal.draw(|f| h.app.render(f)).unwrap();
        })
    });
    g.finish();
    drop(h);

    let mut h = Harness::showing(&diff, "/x");
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
