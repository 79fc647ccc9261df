//! How long operations report how far they have come, and how they are
//! told to stop.

/// How far a long operation has come (the browser draws it as a gauge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub message: String,
}

impl Progress {
    /// `done / total`, 0 when the total is not known yet.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.done as f64 / self.total as f64
        }
    }
}

pub type ProgressFn<'a> = &'a mut dyn FnMut(&Progress);

/// Asked between two steps of a long operation: `true` stops it with
/// [`super::error::Error::cancelled`] (scans keep what they read so far;
/// writers stop only before their point of no return).
pub type Cancel<'a> = &'a dyn Fn() -> bool;

/// Never cancels.
pub fn never() -> bool {
    false
}
