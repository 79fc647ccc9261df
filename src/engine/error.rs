//! Engine errors, classified by what the caller should do about them.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request was wrong: unknown version or path, malformed slice or
    /// value, a refused edit. Nothing was touched.
    BadInput,
    /// The file cannot be read as asked: missing, not HDF5, truncated,
    /// damaged or of an unsupported format.
    BadFile,
    /// Something failed while working (I/O while writing, HDF5 internals).
    Runtime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

const CANCELLED: &str = "cancelled";

impl Error {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::BadInput,
            message: message.into(),
        }
    }
    pub fn bad_file(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::BadFile,
            message: message.into(),
        }
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Runtime,
            message: message.into(),
        }
    }
    /// A long scan stopped because its answer is no longer wanted.
    pub fn cancelled() -> Self {
        Error::runtime(CANCELLED)
    }
    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Runtime && self.message == CANCELLED
    }
    /// Prefixes the message with where the failure happened.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// HDF5 failures while reading mean the file's content is not what it
/// claims (truncated, damaged); the message keeps HDF5's own words on one line.
impl From<hdf5::Error> for Error {
    fn from(e: hdf5::Error) -> Self {
        let text = e.to_string();
        Error::bad_file(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

impl From<super::slice::SliceError> for Error {
    fn from(e: super::slice::SliceError) -> Self {
        Error::bad_input(e.0)
    }
}

/// Shorthand for early returns with a bad-input error.
macro_rules! bad_input {
    ($($arg:tt)*) => { return Err($crate::engine::error::Error::bad_input(format!($($arg)*))) };
}
pub(crate) use bad_input;
