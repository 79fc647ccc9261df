//! Where each chunk of a version's dataset lives in its `raw_data`.
//!
//! versioned-hdf5 reads every stored chunk from one slot of `raw_data`: the
//! block at `(slot * chunks[0], 0, ...)` as large as the chunk's
//! (edge-trimmed) extent. A map made only of such mappings keeps one slot
//! number per position, not the blocks: history scans keep every version's
//! map for the process's life (a 1,000-version file holds 600,000
//! positions), so a position must cost bytes, not allocations. Any other
//! map keeps its blocks as read.

use std::collections::BTreeMap;

use super::error::{Error, Result};
use super::grid::{unflat, ChunkGrid};
use super::h5::{Block, VirtualMapping};
use super::h5write::NewMapping;

/// Grids this small are kept dense whatever they store.
const DENSE_ALWAYS: usize = 4096;

/// A dense grid may hold this many positions per stored one at most.
const DENSE_RATIO: usize = 4;

/// How a map holds its positions' regions.
#[derive(Debug, Clone)]
enum Slots {
    /// Per grid position in C order: 0 for fill, `s + 1` for slot `s`.
    Dense(Vec<u32>),
    /// (flat index, slot) of the stored positions by flat index: a grid
    /// with far more positions than stored chunks.
    Sparse(Vec<(u32, u32)>),
    /// Any regions at all (a layout versioned-hdf5 does not write).
    General(BTreeMap<Vec<usize>, Block>),
}

/// For each chunk-grid position of a versioned dataset, the `raw_data`
/// region it reads from; positions without an entry read as fill value.
#[derive(Debug, Clone)]
pub struct ChunkMap {
    pub shape: Vec<usize>,
    pub chunks: Vec<usize>,
    /// Absolute path of the backing `raw_data` dataset.
    pub raw_data: String,
    slots: Slots,
}

impl PartialEq for ChunkMap {
    /// Same dataset, same regions, however each map holds them.
    fn eq(&self, other: &ChunkMap) -> bool {
        let same_slots = match (&self.slots, &other.slots) {
            (Slots::Dense(a), Slots::Dense(b)) => a == b,
            (Slots::Sparse(a), Slots::Sparse(b)) => a == b,
            _ => self.iter().eq(other.iter()),
        };
        self.shape == other.shape
            && self.chunks == other.chunks
            && self.raw_data == other.raw_data
            && same_slots
    }
}

impl Eq for ChunkMap {}

impl ChunkMap {
    pub fn empty(shape: Vec<usize>, chunks: Vec<usize>, raw_data: String) -> ChunkMap {
        let slots =
            compact_slots(&shape, &chunks, &[]).unwrap_or_else(|| Slots::General(BTreeMap::new()));
        ChunkMap {
            shape,
            chunks,
            raw_data,
            slots,
        }
    }

    /// Builds the map from a VDS's mappings, which versioned-hdf5 writes one
    /// per stored chunk, chunk-aligned. Anything else is not a versioned-hdf5
    /// layout and is refused (the caller then lets HDF5 read the VDS).
    /// Of two mappings of one position, the later one counts.
    pub fn from_mappings(
        shape: Vec<usize>,
        chunks: Vec<usize>,
        raw_data: String,
        mappings: &[VirtualMapping],
    ) -> Result<ChunkMap> {
        let mut builder = MapBuilder::new(shape, chunks, raw_data);
        for m in mappings {
            builder.add(&m.virtual_block, &m.source_block)?;
        }
        Ok(builder.finish())
    }

    /// The grid position and flat index of a block that covers exactly one
    /// chunk (as a versioned-hdf5 mapping does), without allocating.
    fn place(&self, start: &[usize], count: &[usize]) -> Result<usize> {
        let misplaced = || Error::bad_file(format!("misaligned chunk mapping at {start:?}"));
        if start.len() != self.shape.len() || count.len() != start.len() {
            return Err(misplaced());
        }
        let mut k = 0;
        for d in 0..start.len() {
            let (c, n) = (self.chunks[d], self.shape[d]);
            if c == 0 || !start[d].is_multiple_of(c) {
                return Err(misplaced());
            }
            if count[d] != c.min(n.saturating_sub(start[d])) {
                return Err(Error::bad_file(format!(
                    "mapping at {start:?} does not cover exactly one chunk"
                )));
            }
            k = k * n.div_ceil(c) + start[d] / c;
        }
        Ok(k)
    }

    /// The slot the region `start`/`count` is, read by a chunk of extent
    /// `chunk_count`, if it is one in versioned-hdf5's layout: a whole slot,
    /// trimmed as the chunk is.
    fn slot_for(&self, start: &[usize], count: &[usize], chunk_count: &[usize]) -> Option<u32> {
        let (&c0, (&row, rest)) = (self.chunks.first()?, start.split_first()?);
        let aligned = c0 > 0 && row % c0 == 0 && rest.iter().all(|&s| s == 0);
        let slot = u32::try_from(row / c0.max(1))
            .ok()
            .filter(|&s| s < u32::MAX)?;
        (aligned && start.len() == self.shape.len() && count == chunk_count).then_some(slot)
    }

    /// The dataset's chunk grid.
    pub fn grid(&self) -> ChunkGrid<'_> {
        ChunkGrid::new(&self.shape, &self.chunks)
    }

    pub(crate) fn remove(&mut self, index: &[usize]) {
        let k = self.flat_of(index);
        match (&mut self.slots, k) {
            (Slots::Dense(codes), Some(k)) => codes[k] = 0,
            (Slots::Sparse(pairs), Some(k)) => {
                if let Ok(at) = pairs.binary_search_by_key(&(k as u32), |p| p.0) {
                    pairs.remove(at);
                }
            }
            (Slots::General(blocks), _) => {
                blocks.remove(index);
            }
            _ => {}
        }
    }

    /// Maps a position to a region; a region versioned-hdf5 would not
    /// write there turns the map general.
    pub(crate) fn insert(&mut self, index: Vec<usize>, region: Block) {
        let place = self.flat_of(&index).zip(self.slot_of(&index, &region));
        match (&mut self.slots, place) {
            (Slots::Dense(codes), Some((k, slot))) => codes[k] = slot + 1,
            (Slots::Sparse(pairs), Some((k, slot))) => {
                let k = k as u32;
                match pairs.binary_search_by_key(&k, |p| p.0) {
                    Ok(at) => pairs[at].1 = slot,
                    Err(at) => pairs.insert(at, (k, slot)),
                }
            }
            (Slots::General(blocks), _) => {
                blocks.insert(index, region);
            }
            _ => {
                self.slots = Slots::General(self.iter().collect());
                self.insert(index, region);
            }
        }
    }

    /// Chunks along each axis.
    pub fn grid_shape(&self) -> Vec<usize> {
        self.grid().grid_shape()
    }

    /// Number of chunk-grid positions.
    pub fn total(&self) -> usize {
        self.grid().total()
    }

    /// Positions backed by `raw_data`.
    pub fn stored(&self) -> usize {
        match &self.slots {
            Slots::Dense(codes) => codes.iter().filter(|&&c| c != 0).count(),
            Slots::Sparse(pairs) => pairs.len(),
            Slots::General(blocks) => blocks.len(),
        }
    }

    /// The `raw_data` region of a position, `None` for fill.
    pub fn get(&self, index: &[usize]) -> Option<Block> {
        match &self.slots {
            Slots::General(blocks) => blocks.get(index).cloned(),
            _ => {
                let slot = self.slot_at(self.flat_of(index)?)?;
                Some(self.region(index, slot))
            }
        }
    }

    /// Stored positions and their regions, in C order of the grid.
    pub fn iter(&self) -> impl Iterator<Item = (Vec<usize>, Block)> + '_ {
        let grid = self.grid_shape();
        let compact = self.compact_entries().map(move |(k, slot)| {
            let index = unflat(k, &grid);
            let region = self.region(&index, slot);
            (index, region)
        });
        let general = match &self.slots {
            Slots::General(blocks) => Some(blocks.iter().map(|(i, b)| (i.clone(), b.clone()))),
            _ => None,
        };
        compact.chain(general.into_iter().flatten())
    }

    /// The flat indices (C order) of the stored positions inside the grid,
    /// ascending: [`ChunkMap::iter`] without building regions.
    pub fn stored_positions(&self) -> impl Iterator<Item = usize> + '_ {
        let general = match &self.slots {
            Slots::General(blocks) => Some(blocks.keys().filter_map(|i| self.flat_of(i))),
            _ => None,
        };
        let compact = self.compact_entries().map(|(k, _)| k);
        compact.chain(general.into_iter().flatten())
    }

    /// The `raw_data` slot the position with flat index `k` reads, `None`
    /// for fill, outside the grid, or a general map (no slots).
    pub fn slot_at(&self, k: usize) -> Option<u32> {
        self.code_at(k)?.checked_sub(1)
    }

    /// Whether `other` maps the position with flat index `k` (in this map's
    /// grid) to the same region as this map, or both read it as fill.
    pub fn same_region(&self, other: &ChunkMap, k: usize) -> bool {
        if self.shape == other.shape && self.chunks == other.chunks {
            if let (Some(a), Some(b)) = (self.code_at(k), other.code_at(k)) {
                return a == b;
            }
        }
        let index = unflat(k, &self.grid_shape());
        self.get(&index) == other.get(&index)
    }

    /// The flat indices (C order) where two maps of one grid differ, `None`
    /// unless both keep slots (the caller then compares regions).
    pub fn changed_positions(&self, other: &ChunkMap) -> Option<Vec<usize>> {
        if self.shape != other.shape || self.chunks != other.chunks {
            return None;
        }
        match (&self.slots, &other.slots) {
            (Slots::General(_), _) | (_, Slots::General(_)) => None,
            (Slots::Dense(a), Slots::Dense(b)) => {
                Some((0..a.len()).filter(|&k| a[k] != b[k]).collect())
            }
            _ => {
                let mut ks: Vec<usize> = self.stored_positions().collect();
                ks.extend(other.stored_positions());
                ks.sort_unstable();
                ks.dedup();
                ks.retain(|&k| self.code_at(k) != other.code_at(k));
                Some(ks)
            }
        }
    }

    /// The edge-trimmed extent of the chunk at a grid position.
    pub fn chunk_extent(&self, index: &[usize]) -> Vec<usize> {
        self.grid().extent(index)
    }

    /// The first element of the chunk at a grid position.
    pub fn chunk_start(&self, index: &[usize]) -> Vec<usize> {
        self.grid().start(index)
    }

    /// The map as VDS mappings, one per stored chunk.
    pub fn mappings(&self) -> Vec<NewMapping> {
        self.iter()
            .map(|(index, block)| NewMapping {
                virtual_start: self.chunk_start(&index),
                count: block.count,
                source_start: block.start,
            })
            .collect()
    }

    /// The flat index (C order) of a position, `None` outside the grid.
    fn flat_of(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() || self.chunks.len() != self.shape.len() {
            return None;
        }
        let mut k = 0;
        for ((&i, &n), &c) in index.iter().zip(&self.shape).zip(&self.chunks) {
            let along = n.div_ceil(c.max(1));
            if i >= along {
                return None;
            }
            k = k * along + i;
        }
        Some(k)
    }

    /// The slot `region` is, if it is what versioned-hdf5 maps `index` to.
    fn slot_of(&self, index: &[usize], region: &Block) -> Option<u32> {
        self.slot_for(&region.start, &region.count, &self.chunk_extent(index))
    }

    /// The region of slot `slot` as the chunk at `index` reads it.
    fn region(&self, index: &[usize], slot: u32) -> Block {
        let mut start = vec![0; self.shape.len()];
        start[0] = slot as usize * self.chunks[0];
        Block {
            start,
            count: self.chunk_extent(index),
        }
    }

    /// The code (0 fill, `s + 1` slot `s`) at flat index `k`; `None` for
    /// a general map.
    fn code_at(&self, k: usize) -> Option<u32> {
        match &self.slots {
            Slots::Dense(codes) => Some(codes.get(k).copied().unwrap_or(0)),
            Slots::Sparse(pairs) => Some(
                u32::try_from(k)
                    .ok()
                    .and_then(|k| pairs.binary_search_by_key(&k, |p| p.0).ok())
                    .map_or(0, |at| pairs[at].1 + 1),
            ),
            Slots::General(_) => None,
        }
    }

    /// (flat index, slot) of the stored positions, ascending; none for a
    /// general map.
    fn compact_entries(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        let (dense, sparse): (&[u32], &[(u32, u32)]) = match &self.slots {
            Slots::Dense(codes) => (codes, &[]),
            Slots::Sparse(pairs) => (&[], pairs),
            Slots::General(_) => (&[], &[]),
        };
        let dense = dense
            .iter()
            .enumerate()
            .filter(|(_, &c)| c != 0)
            .map(|(k, &c)| (k, c - 1));
        dense.chain(sparse.iter().map(|&(k, s)| (k as usize, s)))
    }
}

/// Builds a map one mapping at a time, in the compact form while every
/// region is a versioned-hdf5 slot (nothing allocated per mapping), else
/// in the general form.
pub(crate) struct MapBuilder {
    map: ChunkMap,
    /// (flat index, slot) so far; `None` once a region is not a slot.
    compact: Option<Vec<(usize, u32)>>,
}

impl MapBuilder {
    pub(crate) fn new(shape: Vec<usize>, chunks: Vec<usize>, raw_data: String) -> MapBuilder {
        MapBuilder {
            map: ChunkMap {
                shape,
                chunks,
                raw_data,
                slots: Slots::General(BTreeMap::new()),
            },
            compact: Some(Vec::new()),
        }
    }

    /// Adds the mapping of the chunk `virt` covers to the `raw_data`
    /// region `source`; a later mapping of one position replaces it.
    pub(crate) fn add(&mut self, virt: &Block, source: &Block) -> Result<()> {
        self.add_parts(&virt.start, &virt.count, &source.start, &source.count)
    }

    pub(crate) fn add_parts(
        &mut self,
        vstart: &[usize],
        vcount: &[usize],
        sstart: &[usize],
        scount: &[usize],
    ) -> Result<()> {
        let k = self.map.place(vstart, vcount)?;
        let slot = self.map.slot_for(sstart, scount, vcount);
        match (&mut self.compact, slot) {
            (Some(entries), Some(slot)) => entries.push((k, slot)),
            (compact, _) => {
                if let Some(entries) = compact.take() {
                    self.spill(&entries);
                }
                let region = Block {
                    start: sstart.to_vec(),
                    count: scount.to_vec(),
                };
                self.map.insert(unflat(k, &self.map.grid_shape()), region);
            }
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> ChunkMap {
        if let Some(entries) = self.compact.take() {
            match compact_slots(&self.map.shape, &self.map.chunks, &entries) {
                Some(slots) => self.map.slots = slots,
                None => self.spill(&entries),
            }
        }
        self.map
    }

    /// Puts compact entries into the general map, in order.
    fn spill(&mut self, entries: &[(usize, u32)]) {
        let grid = self.map.grid_shape();
        for &(k, slot) in entries {
            let index = unflat(k, &grid);
            let region = self.map.region(&index, slot);
            self.map.insert(index, region);
        }
    }
}

/// Slots holding `entries` (flat index, slot; a later entry for a position
/// wins) in the grid of `shape` and `chunks`: dense unless the grid has far
/// more positions than entries, `None` where slots cannot describe the grid.
fn compact_slots(shape: &[usize], chunks: &[usize], entries: &[(usize, u32)]) -> Option<Slots> {
    if shape.is_empty() || chunks.len() != shape.len() || chunks.contains(&0) {
        return None;
    }
    let total = ChunkGrid::new(shape, chunks).total();
    if total <= DENSE_ALWAYS || total <= DENSE_RATIO * entries.len() {
        let mut codes = vec![0; total];
        for &(k, slot) in entries {
            codes[k] = slot + 1;
        }
        return Some(Slots::Dense(codes));
    }
    u32::try_from(total).ok()?;
    let mut sorted: Vec<(u32, u32)> = entries.iter().map(|&(k, s)| (k as u32, s)).collect();
    sorted.sort_by_key(|p| p.0); // stable: a later entry stays after
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(sorted.len());
    for pair in sorted {
        match pairs.last_mut() {
            Some(last) if last.0 == pair.0 => *last = pair,
            _ => pairs.push(pair),
        }
    }
    Some(Slots::Sparse(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(vstart: Vec<usize>, count: Vec<usize>, slot_row: usize) -> VirtualMapping {
        let mut sstart = vec![0; vstart.len()];
        sstart[0] = slot_row;
        VirtualMapping {
            virtual_block: Block {
                start: vstart,
                count: count.clone(),
            },
            source_block: Block {
                start: sstart,
                count,
            },
        }
    }

    #[test]
    fn grid_edges_and_lookup() {
        // m = arange(12).reshape(3, 4), chunks (2, 3): the format doc's example.
        let maps = [
            mapping(vec![0, 0], vec![2, 3], 0),
            mapping(vec![0, 3], vec![2, 1], 4),
            mapping(vec![2, 0], vec![1, 3], 2),
        ];
        let map = ChunkMap::from_mappings(vec![3, 4], vec![2, 3], "/r".into(), &maps).unwrap();
        assert_eq!(map.grid_shape(), vec![2, 2]);
        assert_eq!(map.total(), 4);
        assert_eq!(map.stored(), 3);
        assert_eq!(map.chunk_extent(&[1, 1]), vec![1, 1]);
        assert_eq!(map.get(&[0, 1]).unwrap().start, vec![4, 0]);
        assert!(map.get(&[1, 1]).is_none());
    }

    #[test]
    fn merged_or_misaligned_mappings_are_refused() {
        let merged = [mapping(vec![0], vec![8], 0)];
        assert!(ChunkMap::from_mappings(vec![10], vec![4], "/r".into(), &merged).is_err());
        let misaligned = [mapping(vec![2], vec![4], 0)];
        assert!(ChunkMap::from_mappings(vec![10], vec![4], "/r".into(), &misaligned).is_err());
    }

    #[test]
    fn empty_dataset_has_no_positions() {
        let map = ChunkMap::empty(vec![0, 5], vec![4, 4], "/r".into());
        assert_eq!(map.total(), 0);
    }
}

/// Every representation against the plain map of blocks the engine used to
/// keep (`Model`): same regions, positions, counts and mappings.
#[cfg(test)]
mod equivalence {
    use super::*;
    use crate::engine::grid::{flat, grid_positions};

    /// The old representation: every stored position's block.
    type Model = BTreeMap<Vec<usize>, Block>;

    /// xorshift64: reproducible random maps without a dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }

        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
    }

    fn kind(map: &ChunkMap) -> &'static str {
        match map.slots {
            Slots::Dense(_) => "dense",
            Slots::Sparse(_) => "sparse",
            Slots::General(_) => "general",
        }
    }

    /// What versioned-hdf5 maps `index` to for slot `slot`; `odd` bends it
    /// one of the ways only other writers could.
    fn region(grid: ChunkGrid, index: &[usize], slot: usize, odd: Option<usize>) -> Block {
        let mut start = vec![0; index.len()];
        start[0] = slot * grid.chunks[0];
        let mut count = grid.extent(index);
        match odd {
            Some(0) if grid.chunks[0] > 1 => start[0] += 1,
            Some(1) if index.len() > 1 => start[1] = 3,
            Some(_) => count[0] += 1,
            None => {}
        }
        Block { start, count }
    }

    fn mapping(grid: ChunkGrid, index: &[usize], source: Block) -> VirtualMapping {
        VirtualMapping {
            virtual_block: Block {
                start: grid.start(index),
                count: grid.extent(index),
            },
            source_block: source,
        }
    }

    /// Mappings of about `percent`% of the positions (a few twice), a few
    /// of them odd when `odd_percent` > 0.
    fn mappings(
        rng: &mut Rng,
        grid: ChunkGrid,
        percent: usize,
        odd_percent: usize,
    ) -> Vec<VirtualMapping> {
        let mut out = Vec::new();
        for index in grid.positions() {
            if !rng.chance(percent) {
                continue;
            }
            let odd = rng.chance(odd_percent).then(|| rng.below(3));
            let slot = rng.below(40);
            out.push(mapping(grid, &index, region(grid, &index, slot, odd)));
            if rng.chance(5) {
                let again = region(grid, &index, rng.below(40), None);
                out.push(mapping(grid, &index, again));
            }
        }
        out
    }

    fn model_of(grid: ChunkGrid, maps: &[VirtualMapping]) -> Model {
        maps.iter()
            .map(|m| {
                let index = grid.aligned_index(&m.virtual_block.start).unwrap();
                (index, m.source_block.clone())
            })
            .collect()
    }

    fn assert_same(map: &ChunkMap, model: &Model) {
        let grid = map.grid_shape();
        assert_eq!(map.stored(), model.len());
        assert_eq!(map.total(), grid.iter().product::<usize>());
        let listed: Vec<(Vec<usize>, Block)> = map.iter().collect();
        let expected: Vec<(Vec<usize>, Block)> = model.clone().into_iter().collect();
        assert_eq!(listed, expected);
        for index in grid_positions(&grid) {
            assert_eq!(map.get(&index), model.get(&index).cloned(), "{index:?}");
        }
        // Past the grid's last position, and one axis too many.
        if !grid.is_empty() {
            assert_eq!(map.get(&grid), None);
            assert_eq!(map.get(&vec![0; grid.len() + 1]), None);
        }
        let flats: Vec<usize> = model.keys().map(|i| flat(i, &grid)).collect();
        assert_eq!(map.stored_positions().collect::<Vec<_>>(), flats);
        let old_mappings: Vec<(Vec<usize>, Vec<usize>, Vec<usize>)> = model
            .iter()
            .map(|(i, b)| (map.chunk_start(i), b.count.clone(), b.start.clone()))
            .collect();
        let new_mappings: Vec<(Vec<usize>, Vec<usize>, Vec<usize>)> = map
            .mappings()
            .into_iter()
            .map(|m| (m.virtual_start, m.count, m.source_start))
            .collect();
        assert_eq!(new_mappings, old_mappings);
    }

    fn random_grid(rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
        let rank = 1 + rng.below(3);
        let shape = (0..rank).map(|_| rng.below(13)).collect();
        let chunks = (0..rank).map(|_| 1 + rng.below(5)).collect();
        (shape, chunks)
    }

    #[test]
    fn random_maps_read_as_their_blocks() {
        let mut rng = Rng(0x5eed_0001);
        let mut kinds = BTreeMap::new();
        for round in 0..400 {
            let (shape, chunks) = random_grid(&mut rng);
            let grid = ChunkGrid::new(&shape, &chunks);
            let odd_percent = if round % 3 == 0 { 10 } else { 0 };
            let percent = rng.below(101);
            let maps = mappings(&mut rng, grid, percent, odd_percent);
            let model = model_of(grid, &maps);
            let map =
                ChunkMap::from_mappings(shape.clone(), chunks.clone(), "/r".into(), &maps).unwrap();
            assert_same(&map, &model);
            let odd = maps.iter().any(|m| {
                let index = grid.aligned_index(&m.virtual_block.start).unwrap();
                m.source_block != region(grid, &index, m.source_block.start[0] / chunks[0], None)
            });
            assert_eq!(kind(&map) == "general", odd, "{shape:?} {chunks:?}");
            *kinds.entry(kind(&map)).or_insert(0) += 1;
        }
        assert!(kinds["dense"] > 100 && kinds["general"] > 30, "{kinds:?}");
    }

    #[test]
    fn sparse_grids_keep_pairs() {
        let mut rng = Rng(0x5eed_0002);
        for (shape, chunks) in [(vec![50_003], vec![7]), (vec![301, 299], vec![4, 4])] {
            let grid = ChunkGrid::new(&shape, &chunks);
            let maps = mappings(&mut rng, grid, 2, 0);
            let model = model_of(grid, &maps);
            let map = ChunkMap::from_mappings(shape, chunks, "/r".into(), &maps).unwrap();
            assert_eq!(kind(&map), "sparse");
            assert_same(&map, &model);
        }
        let (shape, chunks) = (vec![50_003], vec![7]);
        let grid = ChunkGrid::new(&shape, &chunks);
        let maps = mappings(&mut rng, grid, 60, 0);
        let map = ChunkMap::from_mappings(shape, chunks, "/r".into(), &maps).unwrap();
        assert_eq!(kind(&map), "dense", "a well filled grid stays dense");
    }

    #[test]
    fn rank_zero_and_empty_maps_are_general_or_empty() {
        let scalar = [VirtualMapping {
            virtual_block: Block {
                start: vec![],
                count: vec![],
            },
            source_block: Block {
                start: vec![],
                count: vec![],
            },
        }];
        let map = ChunkMap::from_mappings(vec![], vec![], "/r".into(), &scalar).unwrap();
        assert_eq!(kind(&map), "general");
        assert_same(
            &map,
            &BTreeMap::from([(vec![], scalar[0].source_block.clone())]),
        );
        let map = ChunkMap::from_mappings(vec![0, 4], vec![2, 2], "/r".into(), &[]).unwrap();
        assert_same(&map, &Model::new());
    }

    /// Random inserts and removals, some of regions slots cannot hold.
    #[test]
    fn edits_match_the_model() {
        let mut rng = Rng(0x5eed_0003);
        for round in 0..150 {
            let (shape, chunks) = if round % 5 == 0 {
                (vec![40_000], vec![3])
            } else {
                random_grid(&mut rng)
            };
            let grid = ChunkGrid::new(&shape, &chunks);
            let positions = grid.positions();
            let mut map = ChunkMap::empty(shape.clone(), chunks.clone(), "/r".into());
            let mut model = Model::new();
            for _ in 0..rng.below(60) {
                if positions.is_empty() {
                    break;
                }
                let index = positions[rng.below(positions.len())].clone();
                if rng.chance(25) {
                    map.remove(&index);
                    model.remove(&index);
                    continue;
                }
                let odd = rng.chance(4).then(|| rng.below(3));
                let block = region(grid, &index, rng.below(30), odd);
                map.insert(index.clone(), block.clone());
                model.insert(index, block);
            }
            assert_same(&map, &model);
        }
    }

    fn two_maps(rng: &mut Rng, same_shape: bool, odd_percent: usize) -> (ChunkMap, ChunkMap) {
        let (shape, chunks) = random_grid(rng);
        let other: Vec<usize> = match same_shape {
            true => shape.clone(),
            false => shape.iter().map(|&n| n + rng.below(4)).collect(),
        };
        let build = |rng: &mut Rng, shape: &[usize]| {
            let grid = ChunkGrid::new(shape, &chunks);
            let maps = mappings(rng, grid, 50, odd_percent);
            ChunkMap::from_mappings(shape.to_vec(), chunks.clone(), "/r".into(), &maps).unwrap()
        };
        (build(rng, &shape), build(rng, &other))
    }

    #[test]
    fn same_region_agrees_with_blocks() {
        let mut rng = Rng(0x5eed_0004);
        for round in 0..300 {
            let (a, b) = two_maps(&mut rng, round % 2 == 0, 5 * (round % 3));
            let grid = a.grid_shape();
            for (k, index) in grid_positions(&grid).into_iter().enumerate() {
                assert_eq!(a.same_region(&b, k), a.get(&index) == b.get(&index));
                assert_eq!(
                    a.slot_at(k).is_some(),
                    kind(&a) != "general" && a.get(&index).is_some()
                );
            }
        }
    }

    #[test]
    fn changed_positions_are_the_differing_blocks() {
        let mut rng = Rng(0x5eed_0005);
        for round in 0..300 {
            let (a, b) = two_maps(&mut rng, true, 5 * (round % 2));
            let grid = a.grid_shape();
            let brute: Vec<usize> = grid_positions(&grid)
                .iter()
                .enumerate()
                .filter(|(_, i)| a.get(i) != b.get(i))
                .map(|(k, _)| k)
                .collect();
            match (kind(&a), kind(&b)) {
                ("general", _) | (_, "general") => assert_eq!(a.changed_positions(&b), None),
                _ => assert_eq!(a.changed_positions(&b), Some(brute)),
            }
        }
        let (a, b) = two_maps(&mut rng, false, 0);
        if a.shape != b.shape {
            assert_eq!(a.changed_positions(&b), None);
        }
    }

    #[test]
    fn sparse_and_dense_maps_compare_with_general_ones() {
        let mut rng = Rng(0x5eed_0006);
        for (shape, chunks) in [(vec![9, 7], vec![2, 3]), (vec![40_000], vec![3])] {
            let grid = ChunkGrid::new(&shape, &chunks);
            let percent = 1 + rng.below(30);
            let maps = mappings(&mut rng, grid, percent, 0);
            let map =
                ChunkMap::from_mappings(shape.clone(), chunks.clone(), "/r".into(), &maps).unwrap();
            // The same regions held as blocks: one odd region turns the
            // map general, and taking it out leaves it general.
            let mut general = map.clone();
            let odd = vec![0; shape.len()];
            let kept = general.get(&odd);
            general.insert(odd.clone(), region(grid, &odd, 1, Some(2)));
            assert_eq!(kind(&general), "general");
            assert_ne!(general, map);
            match kept {
                Some(block) => general.insert(odd, block),
                None => general.remove(&odd),
            }
            assert_eq!(general, map);
            assert_eq!(map, general);
        }
    }
}
