//! What a read-only file remembers of its chunk maps: the maps read so
//! far, the region counts of history scans, the byte reader and each
//! `raw_data`'s chunk shape. `chunkindex` fills it; `file` owns it.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use std::hash::{Hash, Hasher};

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use super::chunkmap::ChunkMap;
use super::dtype::Dtype;
use super::filter::Filter;
use super::h5::Block;
use super::h5raw::RawFile;
use super::value::ValueGrid;

/// For one dataset path: how many versions use each `raw_data` region.
/// Regions arrive as flat lists (`RegionList`) and are looked up by their
/// coordinates: only a region seen for the first time is allocated, not
/// each of the 600,000 mappings a scan of 1,000 versions reads.
#[derive(Debug, Default)]
pub struct RegionUse {
    /// Per region: versions using it, and the last version counted (a
    /// version naming a region twice counts once).
    table: HashTable<(Block, u32, usize)>,
}

impl RegionUse {
    /// Counts version `k`'s regions (all of one version at once: a region
    /// it names twice counts once).
    pub(crate) fn add(&mut self, k: usize, regions: &RegionList) {
        for (start, count) in regions.iter() {
            let hash = region_hash(start, count);
            let same = |e: &(Block, u32, usize)| e.0.start == start && e.0.count == count;
            match self.table.find_mut(hash, same) {
                Some((_, n, last)) if *last != k => (*n, *last) = (*n + 1, k),
                Some(_) => {}
                None => {
                    let block = Block {
                        start: start.to_vec(),
                        count: count.to_vec(),
                    };
                    let rehash = |e: &(Block, u32, usize)| region_hash(&e.0.start, &e.0.count);
                    self.table.insert_unique(hash, (block, 1, k), rehash);
                }
            }
        }
    }

    /// Versions whose map of the path names `region` (each counted once).
    pub fn users(&self, region: &Block) -> u32 {
        let hash = region_hash(&region.start, &region.count);
        self.table
            .find(hash, |e| e.0 == *region)
            .map_or(0, |&(_, n, _)| n)
    }

    /// Every region some version uses.
    pub fn regions(&self) -> impl Iterator<Item = &Block> {
        self.table.iter().map(|e| &e.0)
    }

    /// How many stored positions of `map` read a region no other version
    /// uses (`map` must be the map of one of the versions counted).
    pub fn unique_positions_in(&self, map: &ChunkMap) -> usize {
        map.iter().filter(|(_, b)| self.users(b) <= 1).count()
    }
}

fn region_hash(start: &[usize], count: &[usize]) -> u64 {
    let mut h = FxHasher::default();
    start.hash(&mut h);
    count.hash(&mut h);
    h.finish()
}

/// The regions of one version's dataset, flat: per region its start then
/// its count, `rank` values each (one allocation for all of them).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RegionList {
    rank: usize,
    coords: Vec<usize>,
}

impl RegionList {
    pub(crate) fn new(rank: usize) -> RegionList {
        RegionList {
            rank,
            coords: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, start: &[usize], count: &[usize]) {
        debug_assert!(start.len() == self.rank && count.len() == self.rank);
        self.coords.extend_from_slice(start);
        self.coords.extend_from_slice(count);
    }

    /// (start, count) of each region, in the order pushed.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[usize], &[usize])> {
        let rank = self.rank.max(1);
        self.coords
            .chunks_exact(2 * rank)
            .map(move |r| r.split_at(rank))
    }

    pub(crate) fn from_blocks<'a>(blocks: impl IntoIterator<Item = &'a Block>) -> RegionList {
        let mut list: Option<RegionList> = None;
        for b in blocks {
            list.get_or_insert_with(|| RegionList::new(b.start.len()))
                .push(&b.start, &b.count);
        }
        list.unwrap_or_default()
    }
}

/// What one `raw_data` fixes for every version that reads it.
#[derive(Debug)]
pub(crate) struct RawDataFacts {
    pub dtype: Dtype,
    pub filters: Vec<Filter>,
    pub shape: Vec<usize>,
    /// Its own fill value where versions read it, not their own: for
    /// fixed-length strings (pitfall 9).
    pub fill: Option<ValueGrid>,
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
    /// The rest of what a `raw_data` fixes, by its path.
    pub(crate) raw_facts: RefCell<HashMap<String, Arc<RawDataFacts>>>,
    /// A version dataset's object header address (`None`: no dataset
    /// there), as the last lookup found it: a diff asks twice.
    pub(crate) headers: RefCell<HashMap<VersionPath, Option<u64>>>,
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
