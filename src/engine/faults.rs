//! Failure injection for the crash-safety tests: writers call `step` after
//! each durable step; `VH5_FAULT=error:N` makes the N-th step fail,
//! `crash:N` aborts the process there (no cleanup, like a power cut).

use std::fs::OpenOptions;

use super::error::{Error, Result};
use super::h5;

/// Room past the allocated end for what a flush itself allocates.
const FLUSH_SLACK: u64 = 1 << 20;

/// Makes the file on disk at least as long as the space HDF5 has allocated
/// (plus slack) before a flush. HDF5's flush writes the superblock, whose
/// end-of-file address is that allocated end, before it extends the file
/// to it; a process killed in between would leave a file HDF5 refuses to
/// open as truncated.
fn cover_allocated(file: &hdf5::File) -> Result<()> {
    let end = h5::allocated_end(file.id())? + FLUSH_SLACK;
    resize(file, |len| (len < end).then_some(end))
}

/// Trims the slack `cover_allocated` added after the flush. HDF5 trims the
/// file to its allocated end only when that moved since its last flush.
fn trim_to_allocated(file: &hdf5::File) -> Result<()> {
    let end = h5::allocated_end(file.id())?;
    resize(file, |len| (len > end).then_some(end))
}

/// Sets the file's length to what `to` says for its current length, if
/// anything.
fn resize(file: &hdf5::File, to: impl Fn(u64) -> Option<u64>) -> Result<()> {
    let apply = || -> std::io::Result<()> {
        let disk = OpenOptions::new().write(true).open(file.filename())?;
        if let Some(len) = to(disk.metadata()?.len()) {
            disk.set_len(len)?;
        }
        Ok(())
    };
    apply().map_err(|e| Error::runtime(format!("{}: {e}", file.filename())))
}

pub struct Faults {
    at: Option<(bool, usize)>,
    step: usize,
}

impl Faults {
    pub fn from_env() -> Faults {
        let at = std::env::var("VH5_FAULT").ok().and_then(|v| {
            let (kind, n) = v.split_once(':')?;
            Some((kind == "crash", n.parse().ok()?))
        });
        Faults { at, step: 0 }
    }

    /// Flushes the file, then fails or aborts if this is the chosen step:
    /// what came before is durable before anything after it is written.
    pub fn step(&mut self, file: &hdf5::File, what: &str) -> Result<()> {
        cover_allocated(file)?;
        file.flush()?;
        trim_to_allocated(file)?;
        self.point(what)
    }

    /// A step that needs no flush of its own (its writes may reach the disk
    /// in any order with the next ones): fails or aborts if chosen.
    pub fn point(&mut self, what: &str) -> Result<()> {
        self.step += 1;
        match self.at {
            Some((true, n)) if n == self.step => {
                eprintln!("vh5: injected crash at step {n} ({what})");
                std::process::abort();
            }
            Some((false, n)) if n == self.step => Err(Error::runtime(format!(
                "injected failure at step {n} ({what})"
            ))),
            _ => Ok(()),
        }
    }
}
