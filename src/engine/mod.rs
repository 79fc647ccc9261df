//! The versioning engine: everything vh5 knows about versioned-hdf5 files,
//! with no terminal or command-line code. The browser and the subcommands
//! are two faces of it.
//!
//! Layers, bottom up; a module imports only from its own layer or below:
//! 1. `error`, `faults`, `progress` (progress reports, cancel), `pool`
//!    (work on every core beside HDF5), `prefault` (heap pages for HDF5
//!    populated on another core), `watchdog` (a timer on the HDF5 reads a
//!    damaged heap can hang), `slice` (selections), `grid`
//!    (chunk-grid arithmetic), `region` (HDF5 selections as slice text,
//!    reference targets).
//! 2. `h5` (C calls), `h5raw` (a VDS's mappings read from the file's
//!    bytes), `codec` (a stored chunk's bytes decoded without HDF5, so
//!    that chunks inflate on every core), `filter` (pipeline entries and
//!    their names), then typed elements: `dtype`,
//!    `value`, `refs` (what references point to), `hash` (content
//!    addressing), `encode`, `cast`.
//! 3. The on-disk layout: `layout` (versioned-hdf5's paths, attribute
//!    names, timestamp text, filter ids, slots and hash rows; no file
//!    access), `h5write` and `attrs` (HDF5 writes, attribute reads), then
//!    `storage` (creating and reading `raw_data`, hash tables and VDSs).
//! 4. The model: `versions` (the DAG), `chunkmap`, `chunkmemo` (what an
//!    open file remembers of its maps), `file` (opening), `chunkindex`
//!    (every version's maps, read once, and region counts), `debris`
//!    (leftovers of killed writes), `resolve` (naming a version), `tree`,
//!    `features` (plain VDS mappings, dimension scales),
//!    `dataset`, then the history scans that read only chunk maps:
//!    `blame` (who wrote each chunk) and `stats` (where the bytes are).
//! 5. Reads (`read`); 6. writes (`edit`, the vocabulary, then `stage`, then
//!    `commit`); 7. history (`replay`), `diff` and `check` (verifying a
//!    file); 8. `session`, the write side of the browser (one read handle,
//!    writes, reopening).
//!
//! No import cycles.

pub mod attrs;
pub mod blame;
pub mod cast;
pub mod check;
pub mod chunkindex;
pub mod chunkmap;
pub mod chunkmemo;
pub mod codec;
pub mod commit;
pub mod dataset;
pub mod debris;
pub mod diff;
pub mod dtype;
pub mod edit;
pub mod encode;
pub mod error;
pub mod faults;
pub mod features;
pub mod file;
pub mod filter;
pub mod grid;
pub mod h5;
pub mod h5raw;
pub mod h5write;
pub mod hash;
pub mod layout;
pub mod pool;
pub mod prefault;
pub mod progress;
pub mod read;
pub mod refs;
pub mod region;
pub mod replay;
pub mod resolve;
pub mod session;
pub mod slice;
pub mod stage;
pub mod stats;
pub mod storage;
pub mod tree;
pub mod value;
pub mod versions;
pub mod watchdog;

pub use attrs::Attr;
pub use chunkindex::BytesVerdict;
pub use chunkmap::ChunkMap;
pub use dataset::{ChunkMapSummary, Dataset, DatasetMeta};
pub use dtype::Dtype;
pub use edit::{AttrDtype, CreateData, Edit, EditId, EditValue, PendingRow};
pub use error::{Error, ErrorKind, Result};
pub use file::{FileKind, Vh5File};
pub use slice::{Selection, SliceExpr};
pub use tree::{Node, NodeKind};
pub use value::{Value, ValueGrid};
pub use versions::{Version, VersionGraph, VersionSpec};
