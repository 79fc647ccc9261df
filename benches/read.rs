//! Read-side benchmarks on a 1,000-version file written by the real
//! versioned-hdf5 (see `benches/make_bench_file.py`).
//!
//!     cargo bench --bench read
//!
//! The file is made once, into `target/bench-data/bench1000.h5`, by running
//! `benches/make_bench_file.py` with the Python from `VH5_PYTHON`, else
//! `.venv/bin/python`, else `python3` (it needs versioned-hdf5 2.6.0; see
//! `scripts/setup.sh --test`). `VH5_BENCH_FILE` uses another file instead
//! (one with the same layout). `benches/compare.sh` puts these figures next
//! to versioned-hdf5 doing the same in Python (`benches/py_bench.py`).
//!
//! Operations, each starting from a closed file:
//! * `open+log`: open, count the committed versions, read the current
//!   version's name (what `vh5 log` does);
//! * `page 50x20 of an old version`: open, resolve `v0010`, read
//!   `/large[1000:1050, 200:220]` (one chunk);
//! * `show`: open, resolve the current version, open `/large` and compute
//!   its chunk-map summary, which scans every version (what `vh5 show` does).

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use common::{check, Res, BENCH1000};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use vh5::engine::{slice::parse_slice, Selection, VersionSpec, Vh5File};

/// Must match `benches/make_bench_file.py`.
const VERSIONS: usize = 1000;
const LARGE: &str = "/large";
const OLD_VERSION: &str = "v0010";
const CURRENT_VERSION: &str = "v0999";
const PAGE: &str = "1000:1050, 200:220";

/// `vh5 log`: the committed versions and the current one.
fn open_log(path: &Path) -> Res<(usize, Option<String>)> {
    let file = Vh5File::open(path)?;
    let n = file.graph()?.committed().count();
    let current = file.current_version_name()?;
    Ok((n, current))
}

/// A 50 x 20 page of an old version of the large dataset.
fn page(path: &Path) -> Res<usize> {
    let file = Vh5File::open(path)?;
    let v = file.resolve_version(Some(&VersionSpec::Name(OLD_VERSION.into())))?;
    let ds = file.dataset(&v, LARGE)?;
    let sel = Selection::resolve(Some(&parse_slice(PAGE)?), &ds.meta.shape)?;
    let grid = ds.read(&sel)?;
    Ok(grid.len())
}

/// `vh5 show`: the current version's metadata and chunk-map summary.
fn show(path: &Path) -> Res<vh5::engine::ChunkMapSummary> {
    let file = Vh5File::open(path)?;
    let v = file.resolve_version(None)?;
    let ds = file.dataset(&v, LARGE)?;
    let summary = file
        .chunk_map_summary(&v, &ds, &vh5::engine::progress::never)?
        .ok_or("chunk_map_summary returned None for a versioned dataset")?;
    Ok(summary)
}

fn benches(c: &mut Criterion) {
    let path = BENCH1000.ensure("read", Some("bench file"));

    // Check once that every operation works and gives what the file holds.
    let (n, current) = check("open+log", open_log(&path));
    assert_eq!(n, VERSIONS, "committed versions");
    assert_eq!(current.as_deref(), Some(CURRENT_VERSION), "current version");
    assert_eq!(check("page", page(&path)), 1000, "page cells");
    let summary = check("show", show(&path));
    eprintln!(
        "read bench: {} ({n} versions), /large summary in {CURRENT_VERSION}: {summary:?}",
        path.display()
    );

    let mut g = c.benchmark_group("read");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("open+log", |b| {
        b.iter(|| black_box(check("open+log", open_log(&path))))
    });
    g.bench_function("page 50x20 of an old version", |b| {
        b.iter(|| black_box(check("page", page(&path))))
    });
    // The slow one: one iteration per sample, as few samples as criterion allows.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("show", |b| b.iter(|| black_box(check("show", show(&path)))));
    g.finish();
}

criterion_group!(read, benches);
criterion_main!(read);
