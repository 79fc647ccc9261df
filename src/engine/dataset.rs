//! A dataset of one version: its metadata and where its data comes from.

use std::cell::OnceCell;
use std::sync::Arc;

use hdf5_sys::h5d::H5Dget_storage_size;

use super::attrs::{self, Attr};
use super::chunkmap::ChunkMap;
use super::chunkmemo::RawDataFacts;
use super::dtype::Dtype;
use super::error::{bad_input, Error, Result};
use super::features::{self, Dimension, VirtualView};
use super::file::Vh5File;
pub use super::filter::Filter;
use super::grid::ChunkGrid;
use super::h5::{self, Handle, Layout, RawFilter};
use super::h5raw::refuse_known_damage;
use super::layout::{
    self, attr, FILTER_DEFLATE, FILTER_FLETCHER32, FILTER_LZF, FILTER_SCALEOFFSET, FILTER_SHUFFLE,
    FILTER_SZIP, VERSION_DATASET_SYSTEM_ATTRS,
};
use super::progress::Cancel;
use super::storage::{raw_chunks, raw_chunks_if_any};
use super::tree::{normalize_path, NodeKind};
use super::value::{Value, ValueGrid};
use super::versions::Version;

/// Where a dataset's values are read from.
#[derive(Debug)]
pub(crate) enum Source {
    /// An ordinary HDF5 dataset: HDF5 reads the selection.
    Plain,
    /// A versioned-hdf5 VDS over `raw_data`. The chunk map is parsed on
    /// first use: plain reads let HDF5 follow the mappings, as Python does.
    Chunked {
        raw: hdf5::Dataset,
        /// The VDS's creation property list (`None` when the dataset was
        /// opened from the file's bytes, its map already known).
        dcpl: Option<Handle>,
        map: OnceCell<Arc<ChunkMap>>,
    },
    /// A version dataset with no data (old HDF5 wrote unallocated
    /// contiguous placeholders): every cell is the fill value.
    AllFill,
}

/// Everything the engine knows about a dataset in one version.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetMeta {
    pub path: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub maxshape: Vec<Option<usize>>,
    pub chunks: Option<Vec<usize>>,
    /// One element: the value unwritten cells read as.
    pub fill: ValueGrid,
    pub filters: Vec<Filter>,
    /// Bytes allocated in the file for this dataset's own storage (for a
    /// versioned dataset: its whole `raw_data`, shared by all versions).
    /// `None` until measured (`Dataset::measure_storage`): HDF5 walks the
    /// whole chunk index to answer, which a read does not need.
    pub storage_size: Option<u64>,
    pub layout: &'static str,
    /// For a versioned dataset, the absolute path of its `raw_data`.
    pub raw_data: Option<String>,
    /// Shape of that `raw_data` (all versions' chunks, uncompressed).
    pub raw_shape: Option<Vec<usize>>,
    pub attrs: Vec<Attr>,
    /// A plain virtual dataset's mappings (versioned-hdf5's own VDSs are
    /// described by their chunk map instead).
    pub virtual_view: Option<Arc<VirtualView>>,
    /// Labels and dimension scales per axis; empty when it has none.
    pub dims: Vec<Dimension>,
}

impl DatasetMeta {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn fill_value(&self) -> Value {
        self.fill.get(0)
    }

    /// h5py's `compression`: the codec's name, or the filter id of an unknown codec.
    pub fn compression(&self) -> Option<serde_json::Value> {
        self.codec().map(|f| match f.id {
            FILTER_DEFLATE => "gzip".into(),
            FILTER_LZF => "lzf".into(),
            FILTER_SZIP => "szip".into(),
            id => id.into(),
        })
    }

    /// h5py's `compression_opts`: the gzip level, none for lzf, else the
    /// codec's parameters.
    pub fn compression_opts(&self) -> Option<serde_json::Value> {
        let f = self.codec()?;
        match f.id {
            FILTER_DEFLATE => f.cd_values.first().map(|&l| l.into()),
            FILTER_LZF => None,
            _ if f.cd_values.is_empty() => None,
            _ => Some(f.cd_values.clone().into()),
        }
    }

    fn codec(&self) -> Option<&Filter> {
        self.filters
            .iter()
            .find(|f| ![FILTER_SHUFFLE, FILTER_FLETCHER32, FILTER_SCALEOFFSET].contains(&f.id))
    }

    /// Uncompressed bytes over bytes stored, for the dataset's own storage
    /// (for a versioned dataset: its `raw_data`, shared by all versions).
    pub fn compression_ratio(&self) -> Option<f64> {
        let elements: usize = self
            .raw_shape
            .as_ref()
            .unwrap_or(&self.shape)
            .iter()
            .product();
        let logical = (elements * self.dtype.size()) as f64;
        let stored = self.storage_size.filter(|&s| s > 0)?;
        (!self.dtype.has_vlen()).then(|| logical / stored as f64)
    }

    pub fn has_filter(&self, id: i32) -> bool {
        self.filters.iter().any(|f| f.id == id)
    }

    /// The first filter of the pipeline this build cannot apply.
    pub fn unavailable_filter(&self) -> Option<&Filter> {
        self.filters.iter().find(|f| !f.available)
    }
}

/// An open dataset of one version, ready for reads.
#[derive(Debug)]
pub struct Dataset {
    pub meta: DatasetMeta,
    pub(crate) h5: hdf5::Dataset,
    pub(crate) source: Source,
}

impl Dataset {
    /// Bytes allocated for the dataset's own storage (`raw_data` for a
    /// versioned dataset), as `meta.storage_size` holds once measured.
    pub fn storage_size(&self) -> u64 {
        match &self.source {
            _ if self.meta.storage_size.is_some() => self.meta.storage_size.unwrap_or(0),
            Source::Chunked { raw, .. } => storage_size(raw),
            Source::Plain => storage_size(&self.h5),
            Source::AllFill => 0,
        }
    }

    /// Fills `meta.storage_size`, for the views that show it.
    pub fn measure_storage(&mut self) {
        self.meta.storage_size = Some(self.storage_size());
    }

    /// Whether this version dataset was opened from the file's bytes rather
    /// than through HDF5's virtual-dataset machinery.
    pub fn opened_from_bytes(&self) -> bool {
        matches!(self.source, Source::Chunked { dcpl: None, .. })
    }

    /// The chunk map of a versioned dataset (parsed once, on first use).
    pub fn chunk_map(&self) -> Result<Option<&ChunkMap>> {
        let Source::Chunked { dcpl, map, .. } = &self.source else {
            return Ok(None);
        };
        if let Some(m) = map.get() {
            return Ok(Some(m.as_ref()));
        }
        // Opened from bytes means the map was set; only HDF5's VDS lacks it.
        let Some(dcpl) = dcpl else {
            return Ok(None);
        };
        let chunks = self.meta.chunks.clone().unwrap_or_default();
        let raw_path = self.meta.raw_data.clone().unwrap_or_default();
        let mappings = h5::virtual_mappings(dcpl.id())?;
        let parsed = ChunkMap::from_mappings(self.meta.shape.clone(), chunks, raw_path, &mappings)
            .map_err(|e| e.context(&self.meta.path))?;
        Ok(Some(map.get_or_init(|| Arc::new(parsed))))
    }
}

impl Vh5File {
    /// Opens the dataset at `path` in a version. A versioned dataset is read
    /// from the file's bytes where it can (HDF5 would decode every mapping
    /// of its VDS to open it), through HDF5 otherwise.
    pub fn dataset(&self, version: &Version, path: &str) -> Result<Dataset> {
        self.open_dataset(version, path, true)
    }

    /// As `dataset`, but with no attributes (and so no dimension scales)
    /// unless `with_attrs`: a diff whose bytes tell that both sides'
    /// attributes are equal need not read them.
    pub(crate) fn open_dataset(
        &self,
        version: &Version,
        path: &str,
        with_attrs: bool,
    ) -> Result<Dataset> {
        let path = normalize_path(path)?;
        if self.is_versioned() {
            if let Some(mut ds) = self.dataset_from_bytes(version, &path, with_attrs)? {
                self.add_dimensions(&mut ds.meta);
                return Ok(ds);
            }
        }
        let mut ds = self.dataset_via_hdf5(version, &path)?;
        if !with_attrs {
            ds.meta.attrs.clear();
            ds.meta.dims.clear();
        }
        Ok(ds)
    }

    fn add_dimensions(&self, meta: &mut DatasetMeta) {
        meta.dims = features::dimensions(&self.h5, &meta.attrs, meta.shape.len());
    }

    /// Opens the dataset through HDF5 alone (replays copy the VDS's own
    /// creation properties, which only HDF5 gives).
    pub fn dataset_via_hdf5(&self, version: &Version, path: &str) -> Result<Dataset> {
        let path = normalize_path(path)?;
        refuse_known_damage(self.raw_reader())?;
        let node = self.node(version, &path)?;
        if node.kind != NodeKind::Dataset {
            bad_input!("{path} is a group, not a dataset");
        }
        let root = self.version_root(&version.name)?;
        let h5 = root.dataset(path.trim_start_matches('/'))?;
        let context = format!("{path} in version {}", version.name);
        let opened = if self.is_versioned() {
            open_versioned(self, path, h5)
        } else {
            open_plain(path, h5)
        };
        let mut ds = opened.map_err(|e| e.context(&context))?;
        self.add_dimensions(&mut ds.meta);
        if matches!(ds.source, Source::Plain) && ds.meta.layout == layout_name(Layout::Virtual) {
            let dcpl = h5::dataset_dcpl(ds.h5.id())?;
            let view = self.virtual_view(&ds.meta.path, &dcpl);
            ds.meta.virtual_view = Some(Arc::new(view.map_err(|e| e.context(&context))?));
        }
        if let Source::Chunked { map, .. } = &ds.source {
            // A map already read (or cheap to read from the file's bytes)
            // spares HDF5's decoding of every mapping.
            let known = self.index.map(&version.name, &ds.meta.path).flatten();
            if let Some(m) = known.or_else(|| self.raw_chunk_map(&version.name, &ds.meta.path)) {
                let _ = map.set(m);
            }
        }
        Ok(ds)
    }

    /// A version dataset from its object header's bytes, its `raw_data` and
    /// its attributes read by index: what `open_versioned` gives, without
    /// HDF5 opening the VDS. `None` where the byte reader does not apply.
    fn dataset_from_bytes(
        &self,
        version: &Version,
        path: &str,
        with_attrs: bool,
    ) -> Result<Option<Dataset>> {
        let Some(vds) = self.raw_vds(&version.name, path) else {
            return Ok(None);
        };
        let map = vds.map;
        if map.chunks.len() != map.shape.len() || map.chunks.contains(&0) {
            return Ok(None);
        }
        let raw_path = map.raw_data.clone();
        let context = |e: Error| e.context(format!("{path} in version {}", version.name));
        let raw = self.raw_data(&raw_path).map_err(context)?;
        let facts = self.raw_data_facts(&raw_path, &raw).map_err(context)?;
        let dtype = facts.dtype.clone();
        // As `fill_of`: raw_data's fill for fixed-length strings (pitfall 9),
        // NULL strings for variable-length data, else the VDS's own bytes.
        let fill = match (vds.fill, &facts.fill) {
            (_, Some(raw_fill)) => raw_fill.clone(),
            _ if dtype.has_vlen() => ValueGrid::default_fill(&dtype),
            (Some(bytes), _) if bytes.len() == dtype.size() => {
                ValueGrid::from_bytes(dtype.clone(), vec![], bytes)
            }
            (Some(_), _) => return Ok(None),
            (None, _) => ValueGrid::from_bytes(dtype.clone(), vec![], vec![0u8; dtype.size()]),
        };
        let attrs = match with_attrs {
            true => {
                let root = self.version_root(&version.name).map_err(context)?;
                let rel = path.trim_start_matches('/');
                attrs::read_attrs_of(&root, rel, &VERSION_DATASET_SYSTEM_ATTRS).map_err(context)?
            }
            false => Vec::new(),
        };
        let meta = DatasetMeta {
            path: path.to_string(),
            fill,
            shape: map.shape.clone(),
            maxshape: vds.maxshape,
            chunks: Some(map.chunks.clone()),
            filters: facts.filters.clone(),
            storage_size: None,
            layout: layout_name(Layout::Virtual),
            raw_shape: Some(facts.shape.clone()),
            raw_data: Some(raw_path),
            attrs,
            dtype,
            virtual_view: None,
            dims: Vec::new(),
        };
        Ok(Some(Dataset {
            meta,
            h5: raw.clone(),
            source: Source::Chunked {
                raw,
                dcpl: None,
                map: OnceCell::from(map),
            },
        }))
    }

    /// What a `raw_data` fixes for every version: read once per
    /// read-only handle (a diff opens each twice, a dump once a version).
    fn raw_data_facts(&self, raw_path: &str, raw: &hdf5::Dataset) -> Result<Arc<RawDataFacts>> {
        if let Some(known) = self.index.raw_facts.borrow().get(raw_path) {
            return Ok(known.clone());
        }
        let (tid, dtype) = dataset_type(raw)?;
        let dcpl = h5::dataset_dcpl(raw.id())?;
        let fixed_string = matches!(dtype, Dtype::FixedString { .. });
        let facts = Arc::new(RawDataFacts {
            fill: match fixed_string {
                true => Some(fill_of(&dcpl, &tid, &dtype)?),
                false => None,
            },
            filters: filters_of(&dcpl)?,
            shape: h5::dataset_extent(raw.id())?.0,
            dtype,
        });
        if self.caches() {
            let mut memo = self.index.raw_facts.borrow_mut();
            memo.insert(raw_path.to_string(), facts.clone());
        }
        Ok(facts)
    }

    /// The chunk-map counts of CLI Precise rules 5. "Unique" asks every
    /// version's map of the path (read once per process, see `chunkindex`).
    pub fn chunk_map_summary(
        &self,
        version: &Version,
        ds: &Dataset,
        cancel: Cancel,
    ) -> Result<Option<ChunkMapSummary>> {
        let Some(map) = ds.chunk_map()? else {
            return Ok(ds
                .meta
                .raw_data
                .as_ref()
                .map(|_| ChunkMapSummary::all_fill(&ds.meta)));
        };
        let path = &ds.meta.path;
        let prev_map = match version.prev.as_deref() {
            Some(prev) => self.chunk_map_of(prev, path)?,
            None => None,
        };
        let shared_with_prev = prev_map.as_ref().map_or(0, |p| {
            map.stored_positions()
                .filter(|&k| map.same_region(p, k))
                .count()
        });
        let uses = self.region_use(path, cancel)?;
        Ok(Some(ChunkMapSummary {
            total: map.total(),
            stored: map.stored(),
            unique_in_version: uses.unique_positions_in(map),
            shared_with_prev,
        }))
    }
}

/// Chunk-map counts for one dataset in one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMapSummary {
    pub total: usize,
    pub stored: usize,
    pub unique_in_version: usize,
    pub shared_with_prev: usize,
}

impl ChunkMapSummary {
    fn all_fill(meta: &DatasetMeta) -> ChunkMapSummary {
        let chunks = meta.chunks.clone().unwrap_or_default();
        ChunkMapSummary {
            total: ChunkGrid::new(&meta.shape, &chunks).total(),
            stored: 0,
            unique_in_version: 0,
            shared_with_prev: 0,
        }
    }
}

fn dataset_type(h5: &hdf5::Dataset) -> Result<(Handle, Dtype)> {
    let tid = h5::dataset_type(h5.id())?;
    let dtype = Dtype::from_type_id(tid.id())?;
    Ok((tid, dtype))
}

fn filters_of(dcpl: &Handle) -> Result<Vec<Filter>> {
    Ok(h5::filters(dcpl.id())?
        .into_iter()
        .map(
            |RawFilter {
                 id,
                 name,
                 cd_values,
                 ..
             }| Filter::new(id, &name, cd_values),
        )
        .collect())
}

/// The fill value as one element; HDF5's default (zero bytes, NULL strings)
/// when the property list defines none.
fn fill_of(dcpl: &Handle, tid: &Handle, dtype: &Dtype) -> Result<ValueGrid> {
    let bytes = match h5::fill_value(dcpl.id(), tid.id())? {
        Some(b) if !dtype.has_vlen() => b,
        _ => vec![0u8; dtype.size()],
    };
    // Variable-length data gets NULL strings (read as "").
    Ok(if dtype.has_vlen() {
        ValueGrid::default_fill(dtype)
    } else {
        ValueGrid::from_bytes(dtype.clone(), vec![], bytes)
    })
}

fn layout_name(layout: Layout) -> &'static str {
    match layout {
        Layout::Compact => "compact",
        Layout::Contiguous => "contiguous",
        Layout::Chunked => "chunked",
        Layout::Virtual => "virtual",
        Layout::Other => "other",
    }
}

pub(crate) fn storage_size(h5: &hdf5::Dataset) -> u64 {
    h5::locked(|| unsafe { H5Dget_storage_size(h5.id()) })
}

fn open_plain(path: String, h5: hdf5::Dataset) -> Result<Dataset> {
    let (tid, dtype) = dataset_type(&h5)?;
    let dcpl = h5::dataset_dcpl(h5.id())?;
    let (shape, maxshape) = h5::dataset_extent(h5.id())?;
    let layout = h5::layout(dcpl.id());
    let meta = DatasetMeta {
        path,
        fill: fill_of(&dcpl, &tid, &dtype)?,
        dtype,
        shape,
        maxshape,
        chunks: h5::chunk_dims(dcpl.id())?,
        filters: filters_of(&dcpl)?,
        storage_size: None,
        layout: layout_name(layout),
        raw_data: None,
        raw_shape: None,
        attrs: attrs::read_attrs(&h5, &[])?,
        virtual_view: None,
        dims: Vec::new(),
    };
    Ok(Dataset {
        meta,
        h5,
        source: Source::Plain,
    })
}

/// A version dataset: metadata as versioned-hdf5 reports it, which takes
/// chunks and filters from `raw_data` (the VDS itself has neither).
fn open_versioned(file: &Vh5File, path: String, h5: hdf5::Dataset) -> Result<Dataset> {
    let raw_path =
        attrs::string_attr(&h5, attr::RAW_DATA)?.unwrap_or_else(|| layout::raw_data_path(&path));
    let raw = file.raw_data(&raw_path)?;
    let (tid, dtype) = dataset_type(&h5)?;
    let dcpl = h5::dataset_dcpl(h5.id())?;
    let raw_dcpl = h5::dataset_dcpl(raw.id())?;
    let (shape, maxshape) = h5::dataset_extent(h5.id())?;
    let chunks = raw_chunks(&raw, &raw_path)?;
    if chunks.len() != shape.len() || chunks.contains(&0) {
        return Err(Error::bad_file(format!(
            "chunk shape {chunks:?} does not fit shape {shape:?}"
        )));
    }
    // h5py once stored a pointer as the VDS fill of fixed-length strings;
    // raw_data's fill is the reliable one there (format notes, pitfall 9).
    let fill_dcpl = if matches!(dtype, Dtype::FixedString { .. }) {
        &raw_dcpl
    } else {
        &dcpl
    };
    let fill = fill_of(fill_dcpl, &tid, &dtype)?;
    let layout = h5::layout(dcpl.id());
    // The VDS creation property list holds every mapping: fetch it once.
    let source = match layout {
        Layout::Virtual => Source::Chunked {
            raw,
            dcpl: Some(dcpl),
            map: OnceCell::new(),
        },
        _ => Source::AllFill,
    };
    let meta = DatasetMeta {
        path,
        fill,
        dtype,
        shape,
        maxshape,
        chunks: Some(chunks),
        filters: filters_of(&raw_dcpl)?,
        storage_size: None,
        layout: layout_name(layout),
        raw_shape: match &source {
            Source::Chunked { raw, .. } => Some(h5::dataset_extent(raw.id())?.0),
            _ => None,
        },
        raw_data: Some(raw_path),
        attrs: attrs::read_attrs(&h5, &VERSION_DATASET_SYSTEM_ATTRS)?,
        virtual_view: None,
        dims: Vec::new(),
    };
    Ok(Dataset { meta, h5, source })
}

/// What a `raw_data` pins for every version of its path: dtype, chunks,
/// fill value and filters.
pub(crate) fn raw_data_meta(path: &str, raw_path: &str, raw: hdf5::Dataset) -> Result<DatasetMeta> {
    let (tid, dtype) = dataset_type(&raw)?;
    let dcpl = h5::dataset_dcpl(raw.id())?;
    let (shape, maxshape) = h5::dataset_extent(raw.id())?;
    let chunks = raw_chunks_if_any(&raw)?;
    Ok(DatasetMeta {
        path: path.to_string(),
        fill: fill_of(&dcpl, &tid, &dtype)?,
        dtype,
        shape,
        maxshape,
        chunks,
        filters: filters_of(&dcpl)?,
        storage_size: Some(storage_size(&raw)),
        layout: "chunked",
        raw_data: Some(raw_path.to_string()),
        raw_shape: None,
        attrs: Vec::new(),
        virtual_view: None,
        dims: Vec::new(),
    })
}
