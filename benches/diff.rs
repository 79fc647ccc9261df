//! Diff benchmark: a cell-level diff of two versions of a dataset of 10^8
//! elements that differ in 3 chunks reads those 3 chunks in each version,
//! not the dataset.
//!
//!     cargo bench --bench diff
//!
//! The file is made once, into `target/bench-data/diff1e8.h5`, by running
//! `benches/make_diff_file.py` with the Python from `VH5_PYTHON`, else
//! `.venv/bin/python`, else `python3` (it needs versioned-hdf5 2.6.0; see
//! `scripts/setup.sh --test`): `/x`, 10^8 uint8 in chunks of 10^6 (100
//! chunks, 100 MB), in version `v1`, and `v2` on top of it changing one cell
//! in each of chunks 0, 42 and 99. `VH5_DIFF_FILE` uses another file instead
//! (one with the same layout). The file is only read.
//!
//! Before timing, one diff is checked: `/x` is reported modified with 3 of
//! 100 chunks and 3 elements changed, and the diff reads exactly 6 chunks
//! (`vh5::engine::read::chunk_reads()`: the 3 changed chunks in each
//! version). Both facts are printed on stderr.
//!
//! The timed operation, from a closed file: open, resolve `v1` and `v2`,
//! diff them at `Depth::Cells` below `/` (what `vh5 diff v1 v2` computes).
//! `benches/compare.sh` puts the figure next to versioned-hdf5 loading both
//! versions and comparing them in Python (`benches/py_diff_bench.py`).
//!
//! Two more operations time the cell comparison itself, on float data 100
//! versions apart: `v000` and `v099` of the replay bench's file,
//! `target/bench-data/replay100.h5` (or `VH5_REPLAY_FILE`, made by
//! `benches/make_replay_file.py` if missing): `/data`, 200,000 float64 in
//! chunks of 4096, three cells changed per version. From a closed file each:
//! the diff at `Depth::Cells` below `/` (what `vh5 diff v000 v099` counts),
//! and every changed cell of `/data` listed with its two values (what
//! `vh5 diff --cells` pages through). Checked first: the listing has exactly
//! as many cells as the count, and the count is not 0.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use common::{check, Res, DIFF1E8, REPLAY100};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use vh5::engine::diff::{chunk_diff, ChangedCell, ChangedCells, Depth, VersionDiff};
use vh5::engine::{read::chunk_reads, VersionSpec, Vh5File};

/// Must match `benches/make_diff_file.py` and `benches/py_diff_bench.py`.
const X: &str = "/x";
const V1: &str = "v1";
const V2: &str = "v2";
const CHUNKS_TOTAL: u64 = 100;
const CHUNKS_CHANGED: u64 = 3;
const ELEMENTS_CHANGED: u64 = 3;
/// The criterion name, also the row of `benches/compare.sh`'s table.
const OP: &str = "diff of 10^8 elements, 3 changed chunks";
/// Must match `benches/make_replay_file.py`.
const DATA: &str = "/data";
const FAR_A: &str = "v000";
const FAR_B: &str = "v099";
const OP_FAR: &str = "diff of 200,000 float64 100 versions apart";
const OP_FAR_CELLS: &str = "changed cells of 200,000 float64 100 versions apart";

/// The timed operation: open, resolve both versions, diff them to the cells.
fn diff(path: &Path) -> Res<VersionDiff> {
    let f = Vh5File::open(path)?;
    let a = f.resolve_version(Some(&VersionSpec::Name(V1.into())))?;
    let b = f.resolve_version(Some(&VersionSpec::Name(V2.into())))?;
    let d = f.diff(&a, &b, "/", Depth::Cells)?;
    Ok(d)
}

/// `v000` -> `v099` of the replay file, to the cells.
fn far_diff(path: &Path) -> Res<VersionDiff> {
    let f = Vh5File::open(path)?;
    let a = f.resolve_version(Some(&VersionSpec::Name(FAR_A.into())))?;
    let b = f.resolve_version(Some(&VersionSpec::Name(FAR_B.into())))?;
    Ok(f.diff(&a, &b, "/", Depth::Cells)?)
}

/// Every changed cell of `/data` from `v000` to `v099`, with both values.
fn far_cells(path: &Path) -> Res<Vec<ChangedCell>> {
    let f = Vh5File::open(path)?;
    let a = f.resolve_version(Some(&VersionSpec::Name(FAR_A.into())))?;
    let b = f.resolve_version(Some(&VersionSpec::Name(FAR_B.into())))?;
    let (da, db) = (f.dataset(&a, DATA)?, f.dataset(&b, DATA)?);
    let diff = chunk_diff(&da, &db)?;
    let cells = ChangedCells::new(&da, &db, &diff).collect::<Result<Vec<_>, _>>()?;
    Ok(cells)
}

/// Both far operations once, untimed: the listing matches the count.
fn check_far(path: &Path) {
    let d = check("far diff", far_diff(path));
    let doc = vh5::cli::diff::diff_json(&d);
    let m = &doc["modified"][0];
    let cells = check("far cells", far_cells(path));
    eprintln!(
        "diff bench: {} {FAR_A} -> {FAR_B}: path {}, chunks_changed {} of {}, \
         elements_changed {}, {} cells listed",
        path.display(),
        m["path"],
        m["chunks_changed"],
        m["chunks_total"],
        m["elements_changed"],
        cells.len()
    );
    assert_eq!(m["path"], DATA, "the modified node");
    assert_eq!(m["elements_changed"], cells.len(), "count and listing");
    assert!(!cells.is_empty(), "cells changed from {FAR_A} to {FAR_B}");
}

/// Diffs once, untimed, and checks the result and the chunks it read.
fn check_diff(path: &Path) {
    let before = chunk_reads();
    let d = check("diff", diff(path));
    let reads = chunk_reads() - before;
    let doc = vh5::cli::diff::diff_json(&d);
    let m = &doc["modified"][0];
    eprintln!(
        "diff bench: {} {V1} -> {V2}: {} modified, path {}, chunks_changed {}, \
         chunks_total {}, elements_changed {}; the diff read {reads} chunk(s) \
         (chunk_reads() delta)",
        path.display(),
        doc["modified"].as_array().map_or(0, |a| a.len()),
        m["path"],
        m["chunks_changed"],
        m["chunks_total"],
        m["elements_changed"],
    );
    assert_eq!(doc["added"], serde_json::json!([]), "added nodes");
    assert_eq!(doc["removed"], serde_json::json!([]), "removed nodes");
    assert_eq!(
        doc["modified"].as_array().map(|a| a.len()),
        Some(1),
        "modified nodes: {}",
        doc["modified"]
    );
    assert_eq!(m["path"], X, "the modified node");
    assert_eq!(m["chunks_changed"], CHUNKS_CHANGED, "chunks_changed");
    assert_eq!(m["chunks_total"], CHUNKS_TOTAL, "chunks_total");
    assert_eq!(m["elements_changed"], ELEMENTS_CHANGED, "elements_changed");
    assert_eq!(
        reads,
        2 * CHUNKS_CHANGED,
        "the diff must read the changed chunks of both versions, and nothing else"
    );
}

fn benches(c: &mut Criterion) {
    let path = DIFF1E8.ensure("diff", Some("diff file"));

    check_diff(&path);

    let mut g = c.benchmark_group("diff");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function(OP, |b| b.iter(|| black_box(check("diff", diff(&path)))));

    let far = REPLAY100.ensure("diff", Some("replay file"));
    check_far(&far);
    g.bench_function(OP_FAR, |b| {
        b.iter(|| black_box(check("far diff", far_diff(&far))))
    });
    g.bench_function(OP_FAR_CELLS, |b| {
        b.iter(|| black_box(check("far cells", far_cells(&far))))
    });
    g.finish();
}

criterion_group!(diff_bench, benches);
criterion_main!(diff_bench);
