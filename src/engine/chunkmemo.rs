//! What a read-only file remembers of its chunk maps: the maps read so
//! far, the region counts of history scans, the byte reader and each
//! `raw_data`'s chunk shape. `chunkindex` fills it; `file` owns it.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::chunkmap::ChunkMap;
use super::h5::Block;
use super::h5raw::RawFile;

/// For one dataset path: how many versions use each `raw_data` region.
#[derive(Debug, Default)]
pub struct RegionUse {
    /// Per region: versions using it, and the last version counted (a
    /// version naming a region twice counts once).
    pub(crate) versions_using: FxHashMap<Block, (u32, usize)>,
}

impl RegionUse {
    /// Counts version `k`'s regions (all of one version at once: a region
    /// it names twice counts once).
    pub(crate) fn add(&mut self, k: usize, regions: Vec<Block>) {
        for block in regions {
            match self.versions_using.get_mut(&block) {
                Some((n, last)) if *last != k => (*n, *last) = (*n + 1, k),
                Some(_) => {}
                None => {
                    self.versions_using.insert(block, (1, k));
                }
            }
        }
    }

    /// Versions whose map of the path names `region` (each counted once).
    pub fn users(&self, region: &Block) -> u32 {
        self.versions_using.get(region).map_or(0, |&(n, _)| n)
    }

    /// How many stored positions of `map` read a region no other version
    /// uses (`map` must be the map of one of the versions counted).
    pub fn unique_positions_in(&self, map: &ChunkMap) -> usize {
        map.iter().filter(|(_, b)| self.users(b) <= 1).count()
    }
}

/// A version's name and a dataset path in it.
type VersionPath = (String, String);

/// The process-wide memo of chunk maps and region counts of one file.
#[derive(Default)]
pub(crate) struct ChunkIndex {
    pub(crate) maps: RefCell<HashMap<VersionPath, Option<Arc<ChunkMap>>>>,
    pub(crate) region_use: RefCell<HashMap<String, Arc<RegionUse>>>,
    /// The byte reader, opened on first use (`None`: not usable).
    pub(crate) reader: OnceCell<Option<RawFile>>,
    /// Chunk shape by `raw_data` path.
    pub(crate) raw_chunks: RefCell<HashMap<String, Vec<usize>>>,
}

impl ChunkIndex {
    pub(crate) fn map(&self, version: &str, path: &str) -> Option<Option<Arc<ChunkMap>>> {
        self.maps
            .borrow()
            .get(&(version.to_string(), path.to_string()))
            .cloned()
    }

    pub(crate) fn remember(&self, version: &str, path: &str, map: Option<Arc<ChunkMap>>) {
        self.maps
            .borrow_mut()
            .insert((version.to_string(), path.to_string()), map);
    }
}
