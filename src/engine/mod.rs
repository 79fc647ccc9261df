//! The versioning engine: everything vh5 knows about versioned-hdf5 files,
//! with no terminal or command-line code. The browser and the subcommands
//! are two faces of it.
//!
//! Layers, bottom up: `h5` (C calls), `dtype`/`value` (typed elements),
//! `file`/`versions` (opening, the version DAG, lookups), `tree`/`attrs`/
//! `dataset` (a version's nodes and metadata), `chunkmap`/`read` (slice
//! reads through the chunk map), `hash` (content addressing).

pub mod attrs;
pub mod cast;
pub mod chunkindex;
pub mod chunkmap;
pub mod commit;
pub mod dataset;
pub mod diff;
pub mod dtype;
pub mod encode;
pub mod error;
pub mod faults;
pub mod file;
pub mod grid;
pub mod h5;
pub mod h5raw;
pub mod h5write;
pub mod hash;
pub mod layout;
pub mod read;
pub mod replay;
pub mod resolve;
pub mod slice;
pub mod stage;
pub mod storage;
pub mod tree;
pub mod value;
pub mod versions;

pub use attrs::Attr;
pub use chunkmap::ChunkMap;
pub use dataset::{ChunkMapSummary, Dataset, DatasetMeta};
pub use dtype::Dtype;
pub use error::{Error, ErrorKind, Result};
pub use file::{FileKind, Vh5File};
pub use slice::{Selection, SliceExpr};
pub use tree::{Node, NodeKind};
pub use value::{Value, ValueGrid};
pub use versions::{Version, VersionGraph, VersionSpec};
