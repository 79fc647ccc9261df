//! Chunk blame: for each chunk of a dataset in a version, the version that
//! last wrote it. Walks `prev_version` from the version, one chunk map per
//! ancestor (shared with every other history scan, see `chunkindex`), and
//! stops as soon as no chunk can be traced further back.

use std::sync::Arc;

use super::chunkmap::ChunkMap;
use super::error::{bad_input, Error, Result};
use super::file::Vh5File;
use super::grid::{flat, ChunkGrid};
use super::progress::Cancel;
use super::tree::NodeKind;
use super::versions::Version;

/// Who wrote each chunk-grid position of a dataset in one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Blame {
    /// The blamed version (`ancestry[0]`).
    pub version: Version,
    pub path: String,
    pub shape: Vec<usize>,
    pub chunks: Vec<usize>,
    /// The version and the ancestors the walk reached, newest first.
    pub ancestry: Vec<Version>,
    /// Per position in C order: the index in `ancestry` of its writer,
    /// `None` for a position that reads as fill value.
    writers: Vec<Option<u32>>,
}

/// Neighbouring positions (in C order) with the same writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlameRun {
    /// The first position's flat index (C order).
    pub first: usize,
    /// How many positions.
    pub len: usize,
    /// Index in `Blame::ancestry`; `None`: never written (fill).
    pub writer: Option<usize>,
}

impl Blame {
    pub fn grid_shape(&self) -> Vec<usize> {
        ChunkGrid::new(&self.shape, &self.chunks).grid_shape()
    }

    /// Number of chunk-grid positions.
    pub fn len(&self) -> usize {
        self.writers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writers.is_empty()
    }

    /// The writer of the position with flat index `k` (C order).
    pub fn writer(&self, k: usize) -> Option<&Version> {
        self.ancestry.get(self.writer_index(k)?)
    }

    /// The writer of position `k` as an index into `ancestry`.
    pub fn writer_index(&self, k: usize) -> Option<usize> {
        self.writers.get(k).copied().flatten().map(|i| i as usize)
    }

    /// The flat index (C order) of the chunk holding element `cell`,
    /// `None` outside the dataset.
    pub fn chunk_of(&self, cell: &[usize]) -> Option<usize> {
        if cell.len() != self.chunks.len() || cell.iter().zip(&self.shape).any(|(i, n)| i >= n) {
            return None;
        }
        let index: Vec<usize> = cell.iter().zip(&self.chunks).map(|(i, c)| i / c).collect();
        Some(flat(&index, &self.grid_shape()))
    }

    /// Every position's writer as an index into `ancestry`, C order.
    pub fn writer_indices(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        self.writers.iter().map(|w| w.map(|i| i as usize))
    }

    /// The positions grouped into runs of one writer, C order.
    pub fn runs(&self) -> Vec<BlameRun> {
        let mut runs: Vec<BlameRun> = Vec::new();
        for (k, w) in self.writer_indices().enumerate() {
            match runs.last_mut() {
                Some(run) if run.writer == w => run.len += 1,
                _ => runs.push(BlameRun {
                    first: k,
                    len: 1,
                    writer: w,
                }),
            }
        }
        runs
    }
}

impl Vh5File {
    /// Blames every chunk of the versioned dataset at `path` in `version`.
    /// For a position, walks back along `prev_version` while each version
    /// has the dataset and maps the position to the same `raw_data` region;
    /// the last version of that run wrote it. One chunk-map read per
    /// ancestor, at most (the walk ends once every trail has ended).
    pub fn blame(&self, version: &Version, path: &str, cancel: Cancel) -> Result<Blame> {
        let node = self.node(version, path)?;
        if node.kind != NodeKind::Dataset {
            bad_input!("{}: a group has no chunks to blame", node.path);
        }
        let Some(map) = self.chunk_map_of(&version.name, &node.path)? else {
            bad_input!(
                "{}: not a versioned dataset (blame follows versioned-hdf5's history)",
                node.path
            );
        };
        let mut writers = vec![None; map.total()];
        // Positions still traced (flat indices); all start at V.
        let mut open: Vec<usize> = map.stored_positions().collect();
        for &k in &open {
            writers[k] = Some(0);
        }
        let mut ancestry = vec![version.clone()];
        while !open.is_empty() {
            if cancel() {
                return Err(Error::cancelled());
            }
            let Some(parent) = self.parent_with(ancestry.last().expect("non-empty"), &node.path)?
            else {
                break;
            };
            let (older, pmap) = parent;
            let step = ancestry.len() as u32;
            open.retain(|&k| {
                let same = map.same_region(&pmap, k);
                if same {
                    writers[k] = Some(step);
                }
                same
            });
            ancestry.push(older);
        }
        Ok(Blame {
            version: version.clone(),
            path: node.path,
            shape: map.shape.clone(),
            chunks: map.chunks.clone(),
            ancestry,
            writers,
        })
    }

    /// A version's parent and the parent's map of `path`, `None` when there
    /// is no parent (or it is missing) or the parent has no versioned
    /// dataset there: where every blame trail ends.
    fn parent_with(&self, child: &Version, path: &str) -> Result<Option<(Version, Arc<ChunkMap>)>> {
        let Some(prev) = child.prev.as_deref() else {
            return Ok(None);
        };
        let Some(parent) = self.version(prev)? else {
            return Ok(None);
        };
        Ok(self.chunk_map_of(prev, path)?.map(|m| (parent, m)))
    }
}
