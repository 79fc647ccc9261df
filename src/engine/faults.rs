//! Failure injection for the crash-safety tests: writers call `step` after
//! each durable step; `VH5_FAULT=error:N` makes the N-th step fail,
//! `crash:N` aborts the process there (no cleanup, like a power cut).

use super::error::{Error, Result};

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

    /// Flushes the file, then fails or aborts if this is the chosen step.
    pub fn step(&mut self, file: &hdf5::File, what: &str) -> Result<()> {
        file.flush()?;
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
