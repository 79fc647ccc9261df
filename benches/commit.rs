//! Write-side benchmark: a one-cell commit on a dataset of 10^7 elements
//! reads and writes one chunk, not the dataset.
//!
//!     cargo bench --bench commit
//!
//! The source file is made once, into `target/bench-data/big1e7.h5`, by
//! running `benches/make_big_file.py` with the Python from `VH5_PYTHON`, else
//! `.venv/bin/python`, else `python3` (it needs versioned-hdf5 2.6.0; see
//! `scripts/setup.sh --test`): one version `v0` holding `/big`, 10^7 float64
//! in chunks of 4096 (2,442 chunks, 80 MB). `VH5_BIG_FILE` uses another file
//! instead (one with the same layout). It is copied once to a scratch file
//! (`big1e7.scratch.h5` next to it) and only the copy is written.
//!
//! Before timing, one commit is checked: staging `/big[1234567] = 42.0` reads
//! exactly one chunk (`vh5::engine::read::chunk_reads()`), and the commit
//! grows `/_version_data/big/raw_data` by exactly one chunk. Both facts are
//! printed on stderr.
//!
//! The timed operation, from a closed file: open read-only, resolve the
//! current version, stage one cell of `/big`, close, commit a new version on
//! top of the current one (the commit reopens read-write) and make it
//! current. Every iteration writes a different value (42 + i), so that every
//! commit really writes a new chunk rather than finding the last one in the
//! hash table. `benches/compare.sh` puts the figure next to versioned-hdf5
//! doing the same in Python (`benches/py_commit_bench.py`).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{check, Res, Scratch, BIG1E7};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use vh5::engine::{
    commit::{commit, CommitOptions},
    read::chunk_reads,
    slice::parse_slice,
    stage::Stage,
    Edit, EditValue, Selection, Value, Vh5File,
};

/// Must match `benches/make_big_file.py` and `benches/py_commit_bench.py`.
const BIG: &str = "/big";
const RAW_DATA: &str = "/_version_data/big/raw_data";
const LEN: usize = 10_000_000;
const CHUNK: usize = 4096;
const CELL: usize = 1234567;
const BASE_VERSION: &str = "v0";
/// The criterion name, also the row of `benches/compare.sh`'s table.
const OP: &str = "one-cell commit on 10^7 elements";

/// Stages `/big[CELL] = value` on the current version; returns the stage and
/// the number of chunks read while staging.
fn stage_one_cell(path: &Path, value: f64) -> Res<(Stage, u64)> {
    let file = Vh5File::open(path)?;
    let base = file.resolve_version(None)?;
    let mut stage = Stage::new(Some(base));
    let before = chunk_reads();
    let target = format!("{BIG}[{CELL}]");
    let value = EditValue::Json(serde_json::json!(value));
    stage.apply(&file, Edit::set(&target, value)?)?;
    let reads = chunk_reads() - before;
    drop(file); // the commit reopens read-write
    Ok((stage, reads))
}

/// The timed operation: stage one cell and commit it as version `name`.
fn one_cell_commit(path: &Path, name: String, value: f64) -> Res<()> {
    let (stage, _) = stage_one_cell(path, value)?;
    commit(
        path,
        &stage,
        &CommitOptions {
            name,
            timestamp: None,
            make_current: true,
        },
        &mut |_| {},
    )?;
    Ok(())
}

/// `raw_data`'s rows, read with the hdf5 crate directly.
fn raw_rows(path: &Path) -> Res<usize> {
    let f = hdf5::File::open(path)?;
    let shape = f.dataset(RAW_DATA)?.shape();
    Ok(shape[0])
}

/// The current version's name, `/big[CELL]` in it and raw_data's storage size.
fn current_cell(path: &Path) -> Res<(String, f64, u64)> {
    let file = Vh5File::open(path)?;
    let v = file.resolve_version(None)?;
    let ds = file.dataset(&v, BIG)?;
    assert_eq!(ds.meta.shape, vec![LEN], "/big shape");
    let sel = Selection::resolve(Some(&parse_slice(&CELL.to_string())?), &ds.meta.shape)?;
    let grid = ds.read(&sel)?;
    let value = match grid.get(0) {
        Value::Float(v, _) => v,
        other => return Err(format!("{BIG}[{CELL}] is {other:?}, not a float").into()),
    };
    Ok((v.name, value, ds.storage_size()))
}

/// Commits once, untimed, and checks that it read and wrote one chunk.
fn check_one_chunk(path: &Path) {
    let (v0, _, size0) = check("read the base", current_cell(path));
    assert_eq!(v0, BASE_VERSION, "the scratch file's current version");
    let rows0 = check("raw_data rows", raw_rows(path));

    let (stage, reads) = check("stage.set", stage_one_cell(path, 42.0));
    let reads_before_commit = chunk_reads();
    check(
        "commit",
        commit(
            path,
            &stage,
            &CommitOptions {
                name: "check".into(),
                timestamp: None,
                make_current: true,
            },
            &mut |_| {},
        )
        .map_err(Into::into),
    );
    let commit_reads = chunk_reads() - reads_before_commit;
    let rows1 = check("raw_data rows", raw_rows(path));
    let (v1, value, size1) = check("read back", current_cell(path));

    eprintln!(
        "commit bench: stage.set({BIG}[{CELL}] = 42.0) on {LEN} elements read {reads} chunk(s) \
         (chunk_reads() delta; the commit itself read {commit_reads})"
    );
    eprintln!(
        "commit bench: the commit grew {RAW_DATA} from {rows0} to {rows1} rows \
         ({:+} = {} chunk(s) of {CHUNK}); storage_size {size0} -> {size1} bytes ({:+})",
        rows1 as i64 - rows0 as i64,
        (rows1 as f64 - rows0 as f64) / CHUNK as f64,
        size1 as i64 - size0 as i64,
    );
    assert_eq!(reads, 1, "stage.set must read exactly one chunk");
    assert_eq!(
        rows1,
        rows0 + CHUNK,
        "raw_data must grow by exactly one chunk"
    );
    assert_eq!(v1, "check", "current version after the commit");
    assert_eq!(value, 42.0, "{BIG}[{CELL}] after the commit");
}

fn benches(c: &mut Criterion) {
    let source = BIG1E7.ensure("commit", Some("big file"));
    // Removed at the end (or on a panic).
    let scratch_file = Scratch(source.with_file_name("big1e7.scratch.h5"));
    let scratch = scratch_file.0.as_path();
    std::fs::copy(&source, scratch).expect("copy the big file to the scratch file");
    eprintln!(
        "commit bench: {} copied to {}",
        source.display(),
        scratch.display()
    );

    check_one_chunk(scratch);

    let mut i = 0u64;
    let mut g = c.benchmark_group("commit");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    g.bench_function(OP, |b| {
        b.iter(|| {
            i += 1;
            let name = format!("c{i}");
            let what = name.clone();
            check(&what, one_cell_commit(scratch, name, 42.0 + i as f64))
        })
    });
    g.finish();

    let rows = check("raw_data rows", raw_rows(scratch));
    let (v, value, _) = check("read back", current_cell(scratch));
    eprintln!(
        "commit bench: {i} timed/warm-up commits; current {v}, {BIG}[{CELL}] = {value}, \
         raw_data {rows} rows"
    );
    assert_eq!(
        value,
        42.0 + i as f64,
        "{BIG}[{CELL}] after the last commit"
    );
    drop(scratch_file);
}

criterion_group!(commit_bench, benches);
criterion_main!(commit_bench);
