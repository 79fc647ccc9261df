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

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use vh5::engine::replay::{delete_versions, modify_metadata, MetadataChange, Progress};
use vh5::engine::{encode::parse_dtype, VersionSpec, Vh5File};

type Res<T> = Result<T, Box<dyn Error>>;

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

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bench_data(env: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let target = if target.is_relative() {
        repo().join(target)
    } else {
        target
    };
    target.join("bench-data").join(name)
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VH5_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = repo().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Makes `path` with `benches/<script>` if it is missing.
fn ensure_file(path: &Path, script: &str) {
    if path.exists() {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).expect("create the bench-data directory");
    let py = python();
    let script = repo().join("benches").join(script);
    eprintln!(
        "replay bench: making {} with {} ...",
        path.display(),
        py.display()
    );
    let t0 = Instant::now();
    let status = Command::new(&py)
        .arg(&script)
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", py.display()));
    assert!(
        status.success(),
        "{} {} failed ({status}); it needs versioned-hdf5 2.6.0 \
         (set VH5_PYTHON or run scripts/setup.sh --test)",
        py.display(),
        script.display()
    );
    eprintln!(
        "replay bench: {} made in {:.1}s",
        path.display(),
        t0.elapsed().as_secs_f64()
    );
}

/// A fresh copy of a source file, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn copy_of(source: &Path, n: u64) -> Scratch {
        let stem = source.file_stem().unwrap().to_string_lossy();
        let path = source.with_file_name(format!("{stem}.replay-scratch-{n}.h5"));
        std::fs::copy(source, &path)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", source.display(), path.display()));
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn no_progress(_p: &Progress) {}

/// The timed delete.
fn delete(path: &Path) -> Res<Vec<String>> {
    let specs: Vec<VersionSpec> = DELETED
        .iter()
        .map(|n| VersionSpec::Name((*n).into()))
        .collect();
    Ok(delete_versions(path, &specs, &mut no_progress)?)
}

/// The timed dtype change.
fn change_dtype(path: &Path) -> Res<()> {
    let change = MetadataChange {
        dtype: Some(parse_dtype(NEW_DTYPE)?),
        ..Default::default()
    };
    Ok(modify_metadata(path, DATA, &change, &mut no_progress)?)
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

fn check<T>(what: &str, r: Res<T>) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn check_delete(source: &Path) {
    let (before, _) = check("versions before", versions(source));
    assert_eq!(before.len(), BENCH_VERSIONS, "committed versions before");
    let copy = Scratch::copy_of(source, 0);
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
    let copy = Scratch::copy_of(source, 0);
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
    let bench1000 = bench_data("VH5_BENCH_FILE", "bench1000.h5");
    ensure_file(&bench1000, "make_bench_file.py");
    let replay100 = bench_data("VH5_REPLAY_FILE", "replay100.h5");
    ensure_file(&replay100, "make_replay_file.py");

    check_delete(&bench1000);
    check_dtype(&replay100);

    let mut n = 0u64;
    let mut g = c.benchmark_group("replay");
    // One iteration per sample, as few samples as criterion allows.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(1));
    g.bench_function(OP_DELETE, |b| {
        b.iter_batched(
            || {
                n += 1;
                Scratch::copy_of(&bench1000, n)
            },
            |copy| {
                check(OP_DELETE, delete(&copy.0));
                copy // removed after the timing
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function(OP_DTYPE, |b| {
        b.iter_batched(
            || {
                n += 1;
                Scratch::copy_of(&replay100, n)
            },
            |copy| {
                check(OP_DTYPE, change_dtype(&copy.0));
                copy // removed after the timing
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(replay, benches);
criterion_main!(replay);
