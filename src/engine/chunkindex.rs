//! Every version's chunk maps, read once per process, and the history
//! questions they answer without reopening anything: which `raw_data`
//! regions a version shares with the others, which only it holds.
//!
//! A committed version's chunk maps never change while a file is open
//! read-only, so the cache lives as long as the `Vh5File`; writable
//! handles (commit, replay) do not cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::chunkmap::{ChunkMap, MapBuilder};
use super::chunkmemo::RegionList;
pub use super::chunkmemo::RegionUse;
use super::error::{Error, Result};
use super::file::Vh5File;
use super::h5::Block;
use super::h5::{self, ObjType};
use super::h5raw::{MappingView, RawError, RawFile, VdsLayout};
use super::layout;
use super::storage::raw_chunks;
use super::versions::Version;

/// Chunk maps read through HDF5 rather than the byte reader since the
/// process started: lets tests prove the fast path is taken.
static HDF5_MAP_READS: AtomicU64 = AtomicU64::new(0);

pub fn hdf5_map_reads() -> u64 {
    HDF5_MAP_READS.load(Ordering::Relaxed)
}

/// Chunk maps read from the file (not from the memo) since the process
/// started, either way: lets tests prove scans share what was read.
static MAP_READS: AtomicU64 = AtomicU64::new(0);

pub fn map_reads() -> u64 {
    MAP_READS.load(Ordering::Relaxed)
}

use super::pool::pipelined;
use super::progress::Cancel;

impl Vh5File {
    /// The chunk map of the versioned dataset at `path` in `version`, `None`
    /// when that version has no versioned dataset there. Read once per
    /// process (from the file's bytes where possible), then shared by every
    /// command and scan.
    pub fn chunk_map_of(&self, version: &str, path: &str) -> Result<Option<Arc<ChunkMap>>> {
        if let Some(known) = self.index.map(version, path) {
            return Ok(known);
        }
        let map = self.read_chunk_map(version, path)?;
        MAP_READS.fetch_add(1, Ordering::Relaxed);
        if self.caches() {
            self.index.remember(version, path, map.clone());
        }
        Ok(map)
    }

    /// [`Vh5File::chunk_map_of`] without remembering the map: a scan of
    /// every version's maps (`check`) keeps none of them.
    pub fn chunk_map_once(&self, version: &str, path: &str) -> Result<Option<Arc<ChunkMap>>> {
        match self.index.map(version, path) {
            Some(known) => Ok(known),
            None => self.read_chunk_map(version, path),
        }
    }

    /// Reads a map without the memo: the byte reader first, then HDF5.
    fn read_chunk_map(&self, version: &str, path: &str) -> Result<Option<Arc<ChunkMap>>> {
        if !self.is_versioned() {
            return Ok(None);
        }
        if let Some(map) = self.raw_chunk_map(version, path) {
            return Ok(Some(map));
        }
        if !self.has_dataset(version, path) {
            return Ok(None);
        }
        HDF5_MAP_READS.fetch_add(1, Ordering::Relaxed);
        let v = stand_in(version);
        let ds = self.dataset(&v, path)?;
        Ok(ds.chunk_map()?.map(|m| Arc::new(m.clone())))
    }

    /// How many versions (every version group, as versioned-hdf5 counts)
    /// use each `raw_data` region of `path`: one chunk-map read per version,
    /// once per process (the counts are kept, the maps are not).
    pub fn region_use(&self, path: &str, cancel: Cancel) -> Result<Arc<RegionUse>> {
        if let Some(known) = self.index.region_use.borrow().get(path) {
            return Ok(known.clone());
        }
        let mut counts = RegionUse::default();
        let names: Vec<String> = self.graph()?.all().iter().map(|v| v.name.clone()).collect();
        // No map is kept: a scan of every version would hold every map;
        // only the counts stay. Headers are found through HDF5 on this
        // thread and decoded on every core.
        let reader = self.raw_reader();
        let mut todo = names.iter().enumerate();
        let mut through_hdf5 = Vec::new();
        pipelined(
            || {
                let (k, name) = todo.next()?;
                if cancel() {
                    return Some(Err(Error::cancelled()));
                }
                Some(Ok(match self.index.map(name, path) {
                    Some(known) => Scan::Read(k, known.map(|m| regions_of_map(&m))),
                    None => match reader.and_then(|_| self.dataset_header(name, path)) {
                        Some(addr) => Scan::Header(k, addr),
                        None => Scan::ThroughHdf5(k),
                    },
                }))
            },
            |scan| {
                Ok(match (scan, reader) {
                    (Scan::Header(k, addr), Some(r)) => match single_source_regions(r, addr) {
                        Some(regions) => Scan::Read(k, Some(regions)),
                        None => Scan::ThroughHdf5(k),
                    },
                    (scan, _) => scan,
                })
            },
            |scan| match scan {
                Scan::Read(k, Some(regions)) => counts.add(k, &regions),
                Scan::Read(_, None) => {}
                Scan::Header(k, _) | Scan::ThroughHdf5(k) => through_hdf5.push(k),
            },
        )?;
        for k in through_hdf5 {
            if let Some(map) = self.read_chunk_map(&names[k], path)? {
                counts.add(k, &regions_of_map(&map));
            }
        }
        let counts = Arc::new(counts);
        if self.caches() {
            self.index
                .region_use
                .borrow_mut()
                .insert(path.to_string(), counts.clone());
        }
        Ok(counts)
    }
}

/// The VDS whose header is at `addr`, when all its mappings read one
/// `raw_data` of this file (versioned-hdf5's layout), with that path.
/// Touches only the byte reader: any thread may call it.
fn single_source_vds(reader: &RawFile, addr: u64, path: &str) -> Option<(VdsLayout, String)> {
    let vds = reader.vds_layout(addr).ok()?;
    let raw_path = match vds.mappings.first() {
        Some(first) => first.source_dataset.to_string(),
        None => layout::raw_data_path(path),
    };
    let one_source = vds
        .mappings
        .iter()
        .all(|m| &*m.source_file == "." && *m.source_dataset == *raw_path);
    one_source.then_some((vds, raw_path))
}

/// What a dataset's bytes in two versions tell a diff before anything is
/// opened (`Vh5File::dataset_bytes_verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesVerdict {
    /// Equal header and mapping list: nothing about it differs.
    Same,
    /// Equal attribute messages (so equal attributes); the rest may differ.
    SameAttrs,
    /// The bytes do not tell.
    Unknown,
}

/// The `raw_data` regions of the VDS whose header is at `addr`, when all
/// its mappings read one `raw_data` of this file (versioned-hdf5's layout);
/// decoded without a `Block` per mapping. Touches only the byte reader.
fn single_source_regions(reader: &RawFile, addr: u64) -> Option<RegionList> {
    let head = reader.vds_header(addr).ok()?;
    let mut list = RegionList::new(head.shape.len());
    let mut raw: Option<Arc<str>> = None;
    let visited = head.visit_mappings(|m| {
        one_raw_data(&mut raw, &m)?;
        let b = m.source_block;
        if b.start().len() != head.shape.len() {
            return Err(not_ours());
        }
        list.push(b.start(), b.count());
        Ok(())
    });
    reader.noted(visited).ok()?;
    Some(list)
}

fn not_ours() -> RawError {
    RawError::unsupported("not versioned-hdf5's layout")
}

/// Checks that a mapping reads from this file the one `raw_data` the first
/// mapping (`first`, set by it) names: versioned-hdf5's layout.
fn one_raw_data<'a>(
    first: &'a mut Option<Arc<str>>,
    m: &MappingView,
) -> std::result::Result<&'a Arc<str>, RawError> {
    let raw = first.get_or_insert_with(|| m.source_dataset.clone());
    if &**m.source_file != "." || **raw != **m.source_dataset {
        return Err(not_ours());
    }
    Ok(raw)
}

fn regions_of_map(map: &ChunkMap) -> RegionList {
    let blocks: Vec<Block> = map.iter().map(|(_, b)| b).collect();
    RegionList::from_blocks(&blocks)
}

/// One version's part of a region count, on its way through `pipelined`.
enum Scan {
    /// The regions it reads (`None`: it has no dataset there).
    Read(usize, Option<RegionList>),
    /// Its dataset's object header, to decode.
    Header(usize, u64),
    /// Left to HDF5, after the others.
    ThroughHdf5(usize),
}

/// What a version's dataset reads from its `raw_data`, without the grid
/// positions (`Vh5File::regions_of`).
pub(crate) struct VersionRegions {
    pub shape: Vec<usize>,
    /// One region per stored chunk; a region read twice appears twice.
    pub blocks: Vec<Block>,
}

/// A version dataset read from the file's bytes (`Vh5File::raw_vds`).
pub(crate) struct RawVds {
    pub map: Arc<ChunkMap>,
    pub maxshape: Vec<Option<usize>>,
    /// The user-defined fill value's bytes; `None`: zero bytes.
    pub fill: Option<Vec<u8>>,
}

/// A version record with just the name, for opening its datasets.
pub(crate) fn stand_in(name: &str) -> Version {
    Version::bare(name, None)
}

impl Vh5File {
    /// The map read straight from the file's bytes; `None` when the byte
    /// reader does not apply (a writable handle, whose newest bytes may sit
    /// in HDF5's cache) or anything in the bytes is unexpected: the caller
    /// then asks HDF5, which also reports real damage.
    pub(crate) fn raw_chunk_map(&self, version: &str, path: &str) -> Option<Arc<ChunkMap>> {
        self.raw_vds(version, path).map(|v| v.map)
    }

    /// A version dataset as its object header describes it, read from the
    /// file's bytes: what opening it through HDF5 would tell, without
    /// decoding every mapping twice. `None` as for `raw_chunk_map`.
    pub(crate) fn raw_vds(&self, version: &str, path: &str) -> Option<RawVds> {
        let reader = self.raw_reader()?;
        let head = reader
            .vds_header(self.dataset_header(version, path)?)
            .ok()?;
        let shape: Vec<usize> = head.shape.iter().map(|&d| d as usize).collect();
        // Started at the first mapping, which names the one `raw_data`.
        let mut raw: Option<Arc<str>> = None;
        let mut builder: Option<MapBuilder> = None;
        let visited = head.visit_mappings(|m| {
            let raw = one_raw_data(&mut raw, &m)?;
            let map = match &mut builder {
                Some(b) => b,
                None => {
                    let chunks = self.raw_chunks(raw).map_err(|_| not_ours())?;
                    builder.insert(MapBuilder::new(shape.clone(), chunks, raw.to_string()))
                }
            };
            let (v, s) = (m.virtual_block, m.source_block);
            map.add_parts(v.start(), v.count(), s.start(), s.count())
                .map_err(|_| not_ours())
        });
        reader.noted(visited).ok()?;
        let map = match builder {
            Some(map) => map.finish(),
            None => {
                let raw = layout::raw_data_path(path);
                let chunks = self.raw_chunks(&raw).ok()?;
                MapBuilder::new(shape, chunks, raw).finish()
            }
        };
        Some(RawVds {
            map: Arc::new(map),
            maxshape: head
                .maxshape
                .iter()
                .map(|m| m.map(|d| d as usize))
                .collect(),
            fill: head.fill,
        })
    }

    /// Whether a dataset is the same in two versions by its header's and
    /// mapping list's bytes (`RawFile::dataset_fingerprint`): then nothing
    /// about it can differ, and a diff need not open either side. `false`
    /// says only that the bytes do not tell.
    pub fn same_dataset_bytes(&self, a: &str, b: &str, path: &str) -> bool {
        self.dataset_bytes_verdict(a, b, path) == BytesVerdict::Same
    }

    /// What a dataset's header and mapping-list bytes in two versions tell
    /// before either is opened.
    pub fn dataset_bytes_verdict(&self, a: &str, b: &str, path: &str) -> BytesVerdict {
        let Some(reader) = self.raw_reader() else {
            return BytesVerdict::Unknown;
        };
        let (Some(ha), Some(hb)) = (self.dataset_header(a, path), self.dataset_header(b, path))
        else {
            return BytesVerdict::Unknown;
        };
        if ha == hb {
            return BytesVerdict::Same; // one object, linked from both versions
        }
        let (Ok(fa), Ok(fb)) = (
            reader.noted(reader.dataset_fingerprint(ha)),
            reader.noted(reader.dataset_fingerprint(hb)),
        ) else {
            return BytesVerdict::Unknown;
        };
        if fa == fb {
            BytesVerdict::Same
        } else if fa.attrs == fb.attrs {
            BytesVerdict::SameAttrs
        } else {
            BytesVerdict::Unknown
        }
    }

    /// The byte reader of this file, opened once; `None` for a writable
    /// handle (its newest bytes may sit in HDF5's cache).
    pub(crate) fn raw_reader(&self) -> Option<&RawFile> {
        if !self.caches() {
            return None;
        }
        self.index
            .reader
            .get_or_init(|| RawFile::open(&self.path).ok())
            .as_ref()
    }

    /// A version dataset's object header read by the byte reader, and the
    /// one `raw_data` all its mappings read from.
    fn raw_layout(&self, version: &str, path: &str) -> Option<(VdsLayout, String)> {
        let reader = self.raw_reader()?;
        single_source_vds(reader, self.dataset_header(version, path)?, path)
    }

    /// Where the object header of the dataset at `path` in `version` is
    /// (`None`: no dataset there, or not known for certain).
    fn dataset_header(&self, version: &str, path: &str) -> Option<u64> {
        let key = (version.to_string(), path.to_string());
        if let Some(known) = self.index.headers.borrow().get(&key) {
            return *known;
        }
        let root = self.version_root(version).ok()?;
        let (addr, kind) = h5::object_addr(root.id(), path.trim_start_matches('/')).ok()??;
        let found = (kind == ObjType::Dataset).then_some(addr);
        if self.caches() {
            self.index.headers.borrow_mut().insert(key, found);
        }
        found
    }

    /// Notes where a version dataset's header is, found by a tree lookup.
    pub(crate) fn note_dataset_header(&self, version: &str, path: &str, addr: u64) {
        if self.caches() {
            let key = (version.to_string(), path.to_string());
            self.index.headers.borrow_mut().insert(key, Some(addr));
        }
    }

    /// The `raw_data` regions a version's dataset reads (one per stored
    /// chunk, in no set order) and its shape, for counting: from a map
    /// already read, else straight from the mappings (no map built).
    pub(crate) fn regions_of(&self, version: &str, path: &str) -> Result<Option<VersionRegions>> {
        let known = match self.index.map(version, path) {
            Some(known) => known,
            None => match self.raw_layout(version, path) {
                Some((vds, _)) => {
                    return Ok(Some(VersionRegions {
                        shape: vds.shape.iter().map(|&d| d as usize).collect(),
                        blocks: vds.mappings.into_iter().map(|m| m.source_block).collect(),
                    }));
                }
                None => self.read_chunk_map(version, path)?,
            },
        };
        Ok(known.map(|m| VersionRegions {
            shape: m.shape.clone(),
            blocks: m.iter().map(|(_, b)| b).collect(),
        }))
    }

    /// The chunk shape a `raw_data` pins for every version, read once.
    fn raw_chunks(&self, raw_path: &str) -> Result<Vec<usize>> {
        if let Some(c) = self.index.raw_chunks.borrow().get(raw_path) {
            return Ok(c.clone());
        }
        let chunks = raw_chunks(&self.raw_data(raw_path)?, raw_path)?;
        self.index
            .raw_chunks
            .borrow_mut()
            .insert(raw_path.to_string(), chunks.clone());
        Ok(chunks)
    }
}
