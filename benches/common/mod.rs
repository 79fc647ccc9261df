//! What the benchmarks share (`mod common;` in each of them): the data
//! files and how they are found or made, the scratch copies some of them
//! write to, and the error handling of the operations they time.
//!
//! A data file is `target/bench-data/<name>` (under `CARGO_TARGET_DIR` when
//! that is set, taken relative to the repository when it is relative), or
//! the file an environment variable names instead. A missing one is made by
//! a script in `benches/`, run with the Python from `VH5_PYTHON`, else
//! `.venv/bin/python`, else `python3` (it needs versioned-hdf5 2.6.0; see
//! `scripts/setup.sh --test`).

// Each benchmark compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub type Res<T> = Result<T, Box<dyn Error>>;

/// The value of a checked operation; panics with `what` if it failed.
pub fn check<T>(what: &str, r: Res<T>) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// A benchmark's data file.
pub struct DataFile {
    /// The environment variable that names another file (of the same
    /// layout) instead.
    pub env: &'static str,
    /// The file's name in `target/bench-data`.
    pub name: &'static str,
    /// The script in `benches/` that makes it, given its path.
    pub script: &'static str,
}

/// 1,000 versions `v0000`..`v0999`, `/small` and `/large` (read, replay, tui).
pub const BENCH1000: DataFile = DataFile {
    env: "VH5_BENCH_FILE",
    name: "bench1000.h5",
    script: "make_bench_file.py",
};

/// One version `v0` holding `/big`, 10^7 float64 (commit).
pub const BIG1E7: DataFile = DataFile {
    env: "VH5_BIG_FILE",
    name: "big1e7.h5",
    script: "make_big_file.py",
};

/// `/x`, 10^8 uint8, in versions `v1` and `v2` (diff, tui).
pub const DIFF1E8: DataFile = DataFile {
    env: "VH5_DIFF_FILE",
    name: "diff1e8.h5",
    script: "make_diff_file.py",
};

/// 100 versions of `/data`, 200,000 float64 (replay).
pub const REPLAY100: DataFile = DataFile {
    env: "VH5_REPLAY_FILE",
    name: "replay100.h5",
    script: "make_replay_file.py",
};

/// 1,000 versions of `/series`, 3M float64 gzip in chunks of 5,000 (600
/// mappings a version), and `/grid` (browser latency).
pub const SERIES1000: DataFile = DataFile {
    env: "VH5_SERIES_FILE",
    name: "series1000.h5",
    script: "make_series_file.py",
};

impl DataFile {
    /// The file's path, made first if it is missing. `bench` starts the
    /// messages on stderr (`"read"`: `read bench: making ...`); `label` names
    /// the file in the last one (`<bench> bench: <label> made in 1.0s`), its
    /// path when `None`.
    pub fn ensure(&self, bench: &str, label: Option<&str>) -> PathBuf {
        let path = self.path();
        if !path.exists() {
            self.make(&path, bench, label);
        }
        path
    }

    fn path(&self) -> PathBuf {
        if let Some(p) = std::env::var_os(self.env) {
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
        target.join("bench-data").join(self.name)
    }

    fn make(&self, path: &Path, bench: &str, label: Option<&str>) {
        std::fs::create_dir_all(path.parent().unwrap()).expect("create the bench-data directory");
        let py = python();
        let script = repo().join("benches").join(self.script);
        eprintln!(
            "{bench} bench: making {} with {} ...",
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
        let path = path.display().to_string();
        eprintln!(
            "{bench} bench: {} made in {:.1}s",
            label.unwrap_or(&path),
            t0.elapsed().as_secs_f64()
        );
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// A scratch file, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh copy of `source` at `path`.
    pub fn copy(source: &Path, path: PathBuf) -> Scratch {
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
