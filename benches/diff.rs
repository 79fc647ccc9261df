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

mod common;

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use common::{check, Res, DIFF1E8};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use vh5::engine::{diff::Depth, diff::VersionDiff, read::chunk_reads, VersionSpec, Vh5File};

/// Must match `benches/make_diff_file.py` and `benches/py_diff_bench.py`.
const X: &str = "/x";
const V1: &str = "v1";
const V2: &str = "v2";
const CHUNKS_TOTAL: u64 = 100;
const CHUNKS_CHANGED: u64 = 3;
const ELEMENTS_CHANGED: u64 = 3;
/// The criterion name, also the row of `benches/compare.sh`'s table.
const OP: &str = "diff of 10^8 elements, 3 changed chunks";

/// The timed operation: open, resolve both versions, diff them to the cells.
fn diff(path: &Path) -> Res<VersionDiff> {
    let f = Vh5File::open(path)?;
    let a = f.resolve_version(Some(&VersionSpec::Name(V1.into())))?;
    let b = f.resolve_version(Some(&VersionSpec::Name(V2.into())))?;
    let d = f.diff(&a, &b, "/", Depth::Cells)?;
    Ok(d)
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
    g.finish();
}

criterion_group!(diff_bench, benches);
criterion_main!(diff_bench);
