//! vh5: a terminal browser and command line for versioned HDF5 files.

pub mod cli;
pub mod engine;
pub mod tui;
