//! Replay benchmarks: rewriting history, next to versioned-hdf5's
//! `versioned_hdf5.replay` doing the same (`benches/py_replay_bench.py`).
//!
//!     cargo bench --bench replay
//!
//! Operations:
//! * `delete 10 of 1,000 versions`: `delete_versions` of v0100, v0200, ...,
//!   v0900 and v0999 (the current version) from the read bench's 1,000-version
//!   file, `target/bench-data/bench1000.h5` (or `VH5_BENCH_FILE`), made by
//!   `benches/make_bench_file.py` if missing;
//! * `dtype change on 100 versions`: `modify_metadata` of `/data` to `<f4`
//!   in `target/bench-data/replay100.h5` (or `VH5_REPLAY_FILE`), 100 versions
//!   of 200,000 float64 in chunks of 4096, made by
//!   `benches/make_replay_file.py` if missing.
//!
//! The files are made with the Python from `VH5_PYTHON`, else
//! `.venv/bin/python`, else `python3` (it needs versioned-hdf5 2.6.0; see
//! `scripts/setup.sh --test`).
//!
//! Both operations rewrite the whole file (into a new file renamed over the
//! original), so every iteration works on a fresh copy of the input, made
//! next to it (`*.replay-scratch-N.h5`) in criterion's untimed setup and
//! removed after the timing. Before timing, each operation is run once on a
//! copy and its result checked: the deleted versions are gone and the
//! current version is v0998; `/data` is `<f4` in every version afterwards.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{check, Res, Scratch, BENCH1000, REPLAY100};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, SamplingMode,
};
use vh5::engine::progress::never;
use vh5::engine::replay::{delete_versions, modify_metadata, MetadataChange, Progress};
use vh5::engine::{encode::parse_dtype, VersionSpec, Vh5File};

/// Must match `benches/make_bench_file.py` and `benches/py_replay_bench.py`.
const BENCH_VERSIONS: usize = 1000;
const DELETED: [&str; 10] = [
    "v0100", "v0200", "v0300", "v0400", "v0500", "v0600", "v0700", "v0800", "v0900", "v0999",
];
const CURRENT_AFTER_DELETE: &str = "v0998";
/// Must match `benches/make_replay_file.py` and `benches/py_replay_bench.py`.
const REPLAY_VERSIONS: usize = 100;
const DATA: &str = "/data";
const NEW_DTYPE: &str = "<f4";
/// The criterion names, also the rows of `benches/compare.sh`'s table.
const OP_DELETE: &str = "delete 10 of 1,000 versions";
const OP_DTYPE: &str = "dtype change on 100 versions";

/// Fresh copy number `n` of a source file, next to it, removed when dropped.
fn copy_of(source: &Path, n: u64) -> Scratch {
    let stem = source.file_stem().unwrap().to_string_lossy();
    Scratch::copy(
        source,
        source.with_file_name(format!("{stem}.replay-scratch-{n}.h5")),
    )
}

fn no_progress(_p: &Progress) {}

/// The timed delete.
fn delete(path: &Path) -> Res<Vec<String>> {
    let specs: Vec<VersionSpec> = DELETED
        .iter()
        .map(|n| VersionSpec::Name((*n).into()))
        .collect();
    Ok(delete_versions(path, &specs, &mut no_progress, &never)?)
}

/// The timed dtype change.
fn change_dtype(path: &Path) -> Res<()> {
    let change = MetadataChange {
        dtype: Some(parse_dtype(NEW_DTYPE)?),
        ..Default::default()
    };
    Ok(modify_metadata(
        path,
        DATA,
        &change,
        &mut no_progress,
        &never,
    )?)
}

/// The committed versions' names and the current version.
fn versions(path: &Path) -> Res<(Vec<String>, Option<String>)> {
    let file = Vh5File::open(path)?;
    let names = file.graph()?.committed().map(|v| v.name.clone()).collect();
    Ok((names, file.current_version_name()?))
}

/// `/data`'s dtype in every committed version.
fn data_dtypes(path: &Path) -> Res<Vec<(String, String)>> {
    let file = Vh5File::open(path)?;
    let mut out = Vec::new();
    for v in file.graph()?.committed() {
        let ds = file.dataset(v, DATA)?;
        out.push((v.name.clone(), ds.meta.dtype.numpy().to_string()));
    }
    Ok(out)
}

fn check_delete(source: &Path) {
    let (before, _) = check("versions before", versions(source));
    assert_eq!(before.len(), BENCH_VERSIONS, "committed versions before");
    let copy = copy_of(source, 0);
    let t0 = Instant::now();
    let mut deleted = check(OP_DELETE, delete(&copy.0));
    let took = t0.elapsed();
    deleted.sort();
    assert_eq!(deleted, DELETED, "delete_versions' answer");
    let (after, current) = check("versions after", versions(&copy.0));
    for name in DELETED {
        assert!(
            !after.iter().any(|n| n == name),
            "{name} is still there after delete_versions"
        );
    }
    assert_eq!(
        after.len(),
        BENCH_VERSIONS - DELETED.len(),
        "committed versions after"
    );
    assert_eq!(
        current.as_deref(),
        Some(CURRENT_AFTER_DELETE),
        "current version after"
    );
    eprintln!(
        "replay bench: deleted {} of {} versions ({:.2}s untimed check run); \
         {} left, current {CURRENT_AFTER_DELETE}; {} -> {} bytes",
        DELETED.len(),
        before.len(),
        took.as_secs_f64(),
        after.len(),
        std::fs::metadata(source).unwrap().len(),
        std::fs::metadata(&copy.0).unwrap().len(),
    );
}

fn check_dtype(source: &Path) {
    let before = check("dtypes before", data_dtypes(source));
    assert_eq!(before.len(), REPLAY_VERSIONS, "committed versions");
    assert!(
        before.iter().all(|(_, d)| d == "\"<f8\""),
        "{DATA} is <f8 before: {before:?}"
    );
    let copy = copy_of(source, 0);
    let t0 = Instant::now();
    check(OP_DTYPE, change_dtype(&copy.0));
    let took = t0.elapsed();
    let after = check("dtypes after", data_dtypes(&copy.0));
    assert_eq!(after.len(), REPLAY_VERSIONS, "committed versions after");
    for (v, d) in &after {
        assert_eq!(
            d,
            &format!("\"{NEW_DTYPE}\""),
            "{DATA} in {v} after modify_metadata"
        );
    }
    eprintln!(
        "replay bench: {DATA} <f8 -> {NEW_DTYPE} in all {} versions ({:.2}s untimed check run); \
         {} -> {} bytes",
        after.len(),
        took.as_secs_f64(),
        std::fs::metadata(source).unwrap().len(),
        std::fs::metadata(&copy.0).unwrap().len(),
    );
}

fn benches(c: &mut Criterion) {
    let bench1000 = BENCH1000.ensure("replay", None);
    let replay100 = REPLAY100.ensure("replay", None);

    check_delete(&bench1000);
    check_dtype(&replay100);

    let mut n = 0u64;
    let mut g = c.benchmark_group("replay");
    // One iteration per sample, as few samples as criterion allows.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(1));
    bench_on_copies(&mut g, OP_DELETE, &bench1000, &mut n, delete);
    bench_on_copies(&mut g, OP_DTYPE, &replay100, &mut n, change_dtype);
    g.finish();
}

/// Times `op` on a fresh copy of `source` per iteration, made in the untimed
/// setup (numbered from `n` on) and removed after the timing.
fn bench_on_copies<T>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    source: &Path,
    n: &mut u64,
    op: fn(&Path) -> Res<T>,
) {
    g.bench_function(name, |b| {
        b.iter_batched(
            || {
                *n += 1;
                copy_of(source, *n)
            },
            |copy| {
                check(name, op(&copy.0));
                copy // removed after the timing
            },
            BatchSize::PerIteration,
        )
    });
}

criterion_group!(replay, benches);
criterion_main!(replay);
