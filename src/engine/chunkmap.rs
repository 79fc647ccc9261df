//! Where each chunk of a version's dataset lives in its `raw_data`.

use std::collections::BTreeMap;

use super::error::{Error, Result};
use super::grid::ChunkGrid;
use super::h5::{Block, VirtualMapping};
use super::h5write::NewMapping;

/// For each chunk-grid position of a versioned dataset, the `raw_data`
/// region it reads from; positions without an entry read as fill value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMap {
    pub shape: Vec<usize>,
    pub chunks: Vec<usize>,
    /// Absolute path of the backing `raw_data` dataset.
    pub raw_data: String,
    slots: BTreeMap<Vec<usize>, Block>,
}

impl ChunkMap {
    pub fn empty(shape: Vec<usize>, chunks: Vec<usize>, raw_data: String) -> ChunkMap {
        ChunkMap {
            shape,
            chunks,
            raw_data,
            slots: BTreeMap::new(),
        }
    }

    /// Builds the map from a VDS's mappings, which versioned-hdf5 writes one
    /// per stored chunk, chunk-aligned. Anything else is not a versioned-hdf5
    /// layout and is refused (the caller then lets HDF5 read the VDS).
    pub fn from_mappings(
        shape: Vec<usize>,
        chunks: Vec<usize>,
        raw_data: String,
        mappings: &[VirtualMapping],
    ) -> Result<ChunkMap> {
        let mut map = ChunkMap::empty(shape, chunks, raw_data);
        for m in mappings {
            let index = map
                .grid()
                .aligned_index(&m.virtual_block.start)
                .ok_or_else(|| {
                    Error::bad_file(format!(
                        "misaligned chunk mapping at {:?}",
                        m.virtual_block.start
                    ))
                })?;
            if m.virtual_block.count != map.chunk_extent(&index) {
                return Err(Error::bad_file(format!(
                    "mapping at {:?} does not cover exactly one chunk",
                    m.virtual_block.start
                )));
            }
            map.slots.insert(index, m.source_block.clone());
        }
        Ok(map)
    }

    /// The dataset's chunk grid.
    pub fn grid(&self) -> ChunkGrid<'_> {
        ChunkGrid::new(&self.shape, &self.chunks)
    }

    pub(crate) fn remove(&mut self, index: &[usize]) {
        self.slots.remove(index);
    }

    pub(crate) fn insert(&mut self, index: Vec<usize>, region: Block) {
        self.slots.insert(index, region);
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
        self.slots.len()
    }

    /// The `raw_data` region of a position, `None` for fill.
    pub fn get(&self, index: &[usize]) -> Option<&Block> {
        self.slots.get(index)
    }

    /// Stored positions and their regions, in C order of the grid.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<usize>, &Block)> {
        self.slots.iter()
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
                virtual_start: self.chunk_start(index),
                count: block.count.clone(),
                source_start: block.start.clone(),
            })
            .collect()
    }
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
