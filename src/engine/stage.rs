//! Staging: edits on top of a version, held in memory until commit.
//!
//! Only touched chunks are kept (whole datasets only when created whole);
//! every edit is validated when staged, so a refused edit never reaches
//! the file. Reads through the stage show the staged values.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::attrs::Attr;
use super::chunkmap::ChunkMap;
use super::dataset::{Dataset, DatasetMeta};
use super::dtype::Dtype;
use super::encode::{grid_from_json, infer_dtype};
use super::error::{bad_input, Error, Result};
use super::file::Vh5File;
use super::grid::{flat, grid_positions, selection_parts, ChunkGrid};
use super::h5write::FilterSpec;
use super::layout::{
    self, FILTER_DEFLATE, FILTER_FLETCHER32, FILTER_LZF, FILTER_SHUFFLE, RESERVED_LEAVES, VERSIONS,
    VERSION_DATASET_SYSTEM_ATTRS, VERSION_GROUP_SYSTEM_ATTRS,
};
use super::slice::{parse_target, Selection};
use super::tree::{join, normalize_path, NodeKind};
use super::value::ValueGrid;
use super::versions::Version;

/// A chunk staged for writing, with the order it was first touched in
/// (versioned-hdf5 allocates new slots in that order).
#[derive(Debug, Clone)]
pub struct StagedChunk {
    pub order: u64,
    pub data: ValueGrid,
}

/// A dataset that this stage creates or changes.
#[derive(Debug, Clone)]
pub struct StagedDataset {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub chunks: Vec<usize>,
    /// One element: the fill value.
    pub fill: ValueGrid,
    /// Filters for a brand-new `raw_data` (ignored when it exists).
    pub filters: Vec<FilterSpec>,
    /// Mappings of the base version still valid for this dataset.
    pub carried: Option<ChunkMap>,
    pub touched: BTreeMap<Vec<usize>, StagedChunk>,
    /// Created (or re-created) in this stage: no attributes carry over.
    pub created: bool,
}

impl StagedDataset {
    /// A base dataset about to change; its chunk map must be versioned-hdf5's
    /// (one mapping per chunk), or carrying unchanged chunks would lose data.
    fn from_base(ds: &Dataset) -> Result<StagedDataset> {
        let m = &ds.meta;
        let carried = match ds.chunk_map()? {
            Some(map) => map.clone(),
            None => ChunkMap::empty(
                m.shape.clone(),
                m.chunks.clone().unwrap_or_default(),
                String::new(),
            ),
        };
        Ok(StagedDataset {
            dtype: m.dtype.clone(),
            shape: m.shape.clone(),
            chunks: m.chunks.clone().unwrap_or_else(|| m.shape.clone()),
            fill: m.fill.clone(),
            filters: filter_specs(m),
            carried: Some(carried),
            touched: BTreeMap::new(),
            created: false,
        })
    }

    /// The trimmed extent of the chunk at a grid position.
    pub fn extent(&self, index: &[usize]) -> Vec<usize> {
        self.grid().extent(index)
    }

    fn grid(&self) -> ChunkGrid<'_> {
        ChunkGrid::new(&self.shape, &self.chunks)
    }
}

/// A dataset's filter pipeline as creation specs.
pub fn filter_specs(meta: &DatasetMeta) -> Vec<FilterSpec> {
    meta.filters
        .iter()
        .map(|f| match f.id {
            FILTER_SHUFFLE => FilterSpec::Shuffle,
            FILTER_DEFLATE => FilterSpec::Deflate(f.cd_values.first().copied().unwrap_or(4)),
            FILTER_LZF => FilterSpec::Lzf,
            FILTER_FLETCHER32 => FilterSpec::Fletcher32,
            id => FilterSpec::Other(id, f.cd_values.clone()),
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Overlay {
    Deleted,
    /// A group made in this stage (it hides whatever the base had there).
    Group,
    Dataset(Box<StagedDataset>),
}

/// What the staged view holds at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagedNode {
    BaseGroup,
    BaseDataset,
    NewGroup,
    Dataset,
}

impl StagedNode {
    pub fn kind(self) -> NodeKind {
        match self {
            StagedNode::BaseGroup | StagedNode::NewGroup => NodeKind::Group,
            StagedNode::BaseDataset | StagedNode::Dataset => NodeKind::Dataset,
        }
    }
}

/// Options of a dataset created by a stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateOptions {
    pub dtype: Option<Dtype>,
    pub chunks: Option<Vec<usize>>,
    pub compression: Option<String>,
    pub compression_opts: Option<u32>,
    pub shuffle: bool,
    pub fletcher32: bool,
    pub fillvalue: Option<Json>,
}

/// One pending change, for listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub path: String,
    pub what: String,
}

/// Edits on top of a version (or on nothing, for a root version).
#[derive(Debug, Clone, Default)]
pub struct Stage {
    pub base: Option<Version>,
    overlay: BTreeMap<String, Overlay>,
    /// Per node, attribute name → new value (`None`: deleted), in order.
    attr_edits: BTreeMap<String, BTreeMap<String, Option<ValueGrid>>>,
    next_order: u64,
}

impl Stage {
    pub fn new(base: Option<Version>) -> Stage {
        Stage {
            base,
            ..Stage::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.overlay.is_empty() && self.attr_edits.is_empty()
    }

    /// What is at `path` in the staged view.
    pub fn lookup(&self, file: &Vh5File, path: &str) -> Result<Option<StagedNode>> {
        let path = normalize_path(path)?;
        if path == "/" {
            return Ok(Some(if self.base.is_some() {
                StagedNode::BaseGroup
            } else {
                StagedNode::NewGroup
            }));
        }
        let mut prefix = path.as_str();
        loop {
            if let Some(o) = self.overlay.get(prefix) {
                return Ok(match (prefix == path, o) {
                    (true, Overlay::Group) => Some(StagedNode::NewGroup),
                    (true, Overlay::Dataset(_)) => Some(StagedNode::Dataset),
                    // Below a deleted, new or dataset node, nothing of the base shows.
                    _ => None,
                });
            }
            match prefix.rfind('/') {
                Some(0) | None => break,
                Some(i) => prefix = &prefix[..i],
            }
        }
        let Some(base) = &self.base else {
            return Ok(None);
        };
        Ok(match file.node(base, &path) {
            Ok(n) if n.kind == NodeKind::Group => Some(StagedNode::BaseGroup),
            Ok(_) => Some(StagedNode::BaseDataset),
            Err(_) => None,
        })
    }

    fn require(&self, file: &Vh5File, path: &str) -> Result<StagedNode> {
        self.lookup(file, path)?
            .ok_or_else(|| Error::bad_input(format!("no such path {path}")))
    }

    /// Children of a group in the staged view, sorted by name bytes.
    pub fn children(&self, file: &Vh5File, path: &str) -> Result<Vec<(String, NodeKind)>> {
        let path = normalize_path(path)?;
        let node = self.require(file, &path)?;
        let mut names = BTreeSet::new();
        if let (StagedNode::BaseGroup, Some(base)) = (node, &self.base) {
            names.extend(file.children(base, &path)?.into_iter().map(|n| n.path));
        }
        let lower = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        for key in self.overlay.range(lower.clone()..).map(|(k, _)| k) {
            if !key.starts_with(&lower) {
                break;
            }
            if !key[lower.len()..].contains('/') {
                names.insert(key.clone());
            }
        }
        let mut out = Vec::new();
        for child in names {
            if let Some(n) = self.lookup(file, &child)? {
                out.push((child, n.kind()));
            }
        }
        out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(out)
    }

    /// The staged dataset at `path`, if this stage changes it.
    pub fn staged(&self, path: &str) -> Option<&StagedDataset> {
        match self.overlay.get(path) {
            Some(Overlay::Dataset(d)) => Some(d),
            _ => None,
        }
    }

    /// The base version's copy of a dataset the stage may change (`None`
    /// for one created in this stage); refuses groups and missing paths.
    fn base_dataset(&self, file: &Vh5File, path: &str) -> Result<Option<Dataset>> {
        let from_base = match self.require(file, path)? {
            StagedNode::BaseDataset => true,
            StagedNode::Dataset => self.staged(path).is_some_and(|d| !d.created),
            _ => bad_input!("{path} is a group, not a dataset"),
        };
        match (&self.base, from_base) {
            (Some(base), true) => Ok(Some(file.dataset(base, path)?)),
            _ => Ok(None),
        }
    }

    /// Shape and dtype of a dataset in the staged view, staging nothing.
    fn dataset_layout(&self, path: &str, base: Option<&Dataset>) -> Result<(Vec<usize>, Dtype)> {
        let (shape, dtype) = match (self.staged(path), base) {
            (Some(d), _) => (d.shape.clone(), d.dtype.clone()),
            (None, Some(b)) => (b.meta.shape.clone(), b.meta.dtype.clone()),
            (None, None) => bad_input!("{path} is not a dataset"),
        };
        if dtype.has_vlen() && !dtype.is_vlen_string() {
            bad_input!("{path}: datasets of {dtype} cannot be edited");
        }
        Ok((shape, dtype))
    }

    /// The dtype of a dataset in the staged view; refuses groups, missing
    /// paths and datasets that cannot be edited.
    pub fn dataset_dtype(&self, file: &Vh5File, path: &str) -> Result<Dtype> {
        let path = normalize_path(path)?;
        let base = self.base_dataset(file, &path)?;
        Ok(self.dataset_layout(&path, base.as_ref())?.1)
    }

    /// Stages a base dataset for changes (or returns the staged one).
    fn dataset_mut(&mut self, path: &str, base: Option<&Dataset>) -> Result<&mut StagedDataset> {
        if self.staged(path).is_none() {
            let Some(b) = base else {
                bad_input!("{path} is not a dataset")
            };
            let staged = StagedDataset::from_base(b)?;
            self.overlay
                .insert(path.to_string(), Overlay::Dataset(Box::new(staged)));
        }
        match self.overlay.get_mut(path) {
            Some(Overlay::Dataset(d)) => Ok(d),
            _ => unreachable!("staged above"),
        }
    }

    fn take_order(&mut self) -> u64 {
        self.next_order += 1;
        self.next_order
    }

    /// `PATH[INDEX] = VALUE`: a JSON value, a scalar broadcasts.
    pub fn set(&mut self, file: &Vh5File, target: &str, value: &Json) -> Result<()> {
        let (path, slice) = parse_target(target)?;
        let path = normalize_path(&path)?;
        // Validate everything before staging anything.
        let base = self.base_dataset(file, &path)?;
        let (shape, dtype) = self.dataset_layout(&path, base.as_ref())?;
        let sel = Selection::resolve(slice.as_ref(), &shape)?;
        let values = grid_from_json(&dtype, value).map_err(|e| e.context(&path))?;
        let out_shape = sel.out_shape();
        let broadcast = Broadcast::new(&values.shape, &out_shape).ok_or_else(|| {
            Error::bad_input(format!(
                "{path}: cannot assign a value of shape {:?} to a selection of shape {out_shape:?}",
                values.shape
            ))
        })?;
        let mut order = self.next_order;
        let ds = self.dataset_mut(&path, base.as_ref())?;
        let chunks = ds.chunks.clone();
        visit_chunks(&sel, &shape, &chunks, |index, pairs| {
            let chunk = load_chunk(ds, base.as_ref(), index, &mut order)?;
            for &(local, out) in pairs {
                chunk.data.set_from(local, &values, broadcast.source(out));
            }
            Ok(())
        })?;
        self.next_order = order;
        Ok(())
    }

    /// Resizes a dataset; the chunks whose extent changes are rewritten
    /// (trimmed, or padded with the fill value), as versioned-hdf5 does.
    pub fn resize(&mut self, file: &Vh5File, path: &str, new_shape: &[usize]) -> Result<()> {
        let path = normalize_path(path)?;
        let base = self.base_dataset(file, &path)?;
        let (shape, _) = self.dataset_layout(&path, base.as_ref())?;
        if new_shape.len() != shape.len() {
            bad_input!(
                "{path}: cannot resize {}-D data to {new_shape:?}",
                shape.len()
            );
        }
        let mut order = self.next_order;
        let ds = self.dataset_mut(&path, base.as_ref())?;
        let old_shape = ds.shape.clone();
        let common: Vec<usize> = old_shape
            .iter()
            .zip(new_shape)
            .map(|(&a, &b)| a.min(b))
            .collect();
        let chunks = ds.chunks.clone();
        let (old_grid, new_grid) = (
            ChunkGrid::new(&old_shape, &chunks),
            ChunkGrid::new(new_shape, &chunks),
        );
        for index in ChunkGrid::new(&common, &chunks).positions() {
            let old_extent = old_grid.extent(&index);
            let new_extent = new_grid.extent(&index);
            if old_extent == new_extent {
                continue;
            }
            let old = load_chunk(ds, base.as_ref(), &index, &mut order)?
                .data
                .clone();
            let mut fresh = ValueGrid::filled(&ds.fill, new_extent.clone());
            let overlap: Vec<usize> = old_extent
                .iter()
                .zip(&new_extent)
                .map(|(&a, &b)| a.min(b))
                .collect();
            for local in grid_positions(&overlap) {
                fresh.set_from(flat(&local, &new_extent), &old, flat(&local, &old_extent));
            }
            ds.touched.get_mut(&index).expect("loaded").data = fresh;
        }
        let inside = |index: &Vec<usize>| new_grid.contains(index);
        ds.touched.retain(|i, _| inside(i));
        if let Some(map) = &mut ds.carried {
            *map = map.retain_within(new_shape, |i| inside(i));
        }
        ds.shape = new_shape.to_vec();
        self.next_order = order;
        Ok(())
    }

    /// Creates a dataset from data (all chunks staged) with NumPy's and
    /// versioned-hdf5's defaults; re-creating a path must match its storage.
    pub fn create(
        &mut self,
        file: &Vh5File,
        path: &str,
        data: &Json,
        opts: &CreateOptions,
    ) -> Result<()> {
        let path = normalize_path(path)?;
        let dtype = match &opts.dtype {
            Some(d) => d.clone(),
            None => infer_dtype(data)?,
        };
        let grid = grid_from_json(&dtype, data).map_err(|e| e.context(&path))?;
        self.create_from_grid(file, &path, grid, opts)
    }

    /// Creates a dataset of `shape` holding only the fill value: no chunk is
    /// stored until written (versioned-hdf5's `create_dataset(shape=...)`).
    pub fn create_sparse(
        &mut self,
        file: &Vh5File,
        path: &str,
        shape: &[usize],
        opts: &CreateOptions,
    ) -> Result<()> {
        let path = normalize_path(path)?;
        let dtype = opts.dtype.clone().unwrap_or(Dtype::Float {
            size: 8,
            order: super::dtype::ByteOrder::Little,
        });
        let ds = self.new_dataset(file, &path, dtype, shape, opts)?;
        self.attr_edits.remove(&path);
        self.overlay.insert(path, Overlay::Dataset(Box::new(ds)));
        Ok(())
    }

    /// Validates a new dataset (name, chunks, fill value, and the storage a
    /// re-created path pinned) and makes its parent groups.
    fn new_dataset(
        &mut self,
        file: &Vh5File,
        path: &str,
        dtype: Dtype,
        shape: &[usize],
        opts: &CreateOptions,
    ) -> Result<StagedDataset> {
        check_dataset_name(path)?;
        if self.lookup(file, path)?.is_some() {
            bad_input!("{path} already exists");
        }
        if shape.is_empty() {
            bad_input!("{path}: scalar (0-d) datasets are not supported by versioned-hdf5");
        }
        let fill = match &opts.fillvalue {
            Some(v) => {
                grid_from_json(&dtype, v).map_err(|e| e.context(format!("{path} fill value")))?
            }
            None => ValueGrid::default_fill(&dtype),
        };
        if !fill.shape.is_empty() {
            bad_input!("{path}: the fill value must be a single value");
        }
        if dtype.is_vlen_string() && fill.string_bytes(0).is_some_and(|s| !s.is_empty()) {
            bad_input!("{path}: variable-length strings can only have the empty fill value");
        }
        // As versioned-hdf5's create_dataset: 1-D defaults to 4096 even where
        // the path's storage pinned other chunks (the check below refuses).
        let chunks = match (&opts.chunks, shape.len()) {
            (Some(c), _) => c.clone(),
            (None, 1) => vec![4096],
            (None, _) => bad_input!("{path}: chunks must be given for multi-dimensional datasets"),
        };
        if chunks.len() != shape.len() || chunks.contains(&0) {
            bad_input!("{path}: chunks {chunks:?} do not fit shape {shape:?}");
        }
        let filters = creation_filters(opts)?;
        if let Some(p) = file.storage_meta(path)? {
            check_matches_storage(path, &p, &dtype, &chunks, &fill, &filters)?;
        }
        self.make_parents(file, path)?;
        Ok(StagedDataset {
            dtype,
            shape: shape.to_vec(),
            chunks,
            fill,
            filters,
            carried: None,
            touched: BTreeMap::new(),
            created: true,
        })
    }

    pub fn create_from_grid(
        &mut self,
        file: &Vh5File,
        path: &str,
        data: ValueGrid,
        opts: &CreateOptions,
    ) -> Result<()> {
        let path = normalize_path(path)?;
        let mut ds = self.new_dataset(file, &path, data.dtype.clone(), &data.shape, opts)?;
        let positions = ds.grid().positions();
        for index in positions {
            let extent = ds.extent(&index);
            let start = ds.grid().start(&index);
            let mut chunk = ValueGrid::filled(&ds.fill, extent.clone());
            for local in grid_positions(&extent) {
                let at: Vec<usize> = local.iter().zip(&start).map(|(&l, &s)| l + s).collect();
                chunk.set_from(flat(&local, &extent), &data, flat(&at, &data.shape));
            }
            let order = self.take_order();
            ds.touched.insert(index, StagedChunk { order, data: chunk });
        }
        self.attr_edits.remove(&path);
        self.overlay.insert(path, Overlay::Dataset(Box::new(ds)));
        Ok(())
    }

    /// Makes a group (and any missing parents).
    pub fn mkgroup(&mut self, file: &Vh5File, path: &str) -> Result<()> {
        let path = normalize_path(path)?;
        if self.lookup(file, &path)?.is_some() {
            bad_input!("{path} already exists");
        }
        check_first_component(&path)?;
        self.make_parents(file, &path)?;
        self.attr_edits.remove(&path);
        self.overlay.insert(path, Overlay::Group);
        Ok(())
    }

    fn make_parents(&mut self, file: &Vh5File, path: &str) -> Result<()> {
        let mut parent = String::new();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        for part in &parts[..parts.len() - 1] {
            parent = join(if parent.is_empty() { "/" } else { &parent }, part);
            match self.lookup(file, &parent)? {
                None => {
                    self.overlay.insert(parent.clone(), Overlay::Group);
                }
                Some(n) if n.kind() == NodeKind::Dataset => {
                    bad_input!("{parent} is a dataset, not a group")
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Deletes a dataset or a group with everything below it.
    pub fn delete(&mut self, file: &Vh5File, path: &str) -> Result<()> {
        let path = normalize_path(path)?;
        if path == "/" {
            bad_input!("the version's root group cannot be deleted");
        }
        self.require(file, &path)?;
        let below = format!("{path}/");
        self.overlay.retain(|k, _| !k.starts_with(&below));
        self.attr_edits
            .retain(|k, _| *k != path && !k.starts_with(&below));
        self.overlay.insert(path, Overlay::Deleted);
        Ok(())
    }

    /// Sets an attribute on `/` (the version group), a group or a dataset.
    pub fn set_attr(&mut self, file: &Vh5File, path: &str, name: &str, value: &Json) -> Result<()> {
        let path = normalize_path(path)?;
        let node = self.require(file, &path)?;
        check_attr_name(&path, node, name)?;
        // Rule 11: a str is a str, "NaN" included (h5py stores it as text).
        let dtype = match value {
            Json::String(_) => Dtype::VarString { utf8: true },
            _ => infer_dtype(value)?,
        };
        let grid = grid_from_json(&dtype, value)?;
        self.attr_edits
            .entry(path)
            .or_default()
            .insert(name.to_string(), Some(grid));
        Ok(())
    }

    pub fn del_attr(&mut self, file: &Vh5File, path: &str, name: &str) -> Result<()> {
        let path = normalize_path(path)?;
        let node = self.require(file, &path)?;
        check_attr_name(&path, node, name)?;
        if !self.attrs(file, &path)?.iter().any(|a| a.name == name) {
            bad_input!("{path} has no attribute {name:?}");
        }
        self.attr_edits
            .entry(path)
            .or_default()
            .insert(name.to_string(), None);
        Ok(())
    }

    /// Whether the node's attributes start from the base version's.
    fn inherits_attrs(&self, file: &Vh5File, path: &str) -> Result<bool> {
        Ok(path != "/"
            && match self.lookup(file, path)? {
                Some(StagedNode::BaseGroup | StagedNode::BaseDataset) => true,
                Some(StagedNode::Dataset) => self.staged(path).is_some_and(|d| !d.created),
                _ => false,
            })
    }

    /// User attributes of a node in the staged view.
    pub fn attrs(&self, file: &Vh5File, path: &str) -> Result<Vec<Attr>> {
        let path = normalize_path(path)?;
        let node = self.require(file, &path)?;
        let mut attrs = match (&self.base, self.inherits_attrs(file, &path)?) {
            (Some(base), true) if node.kind() == NodeKind::Group => {
                file.group_attrs(base, &path)?
            }
            (Some(base), true) => file.dataset(base, &path)?.meta.attrs,
            _ => Vec::new(),
        };
        for (name, edit) in self.attr_edits.get(&path).into_iter().flatten() {
            attrs.retain(|a| a.name != *name);
            if let Some(value) = edit {
                attrs.push(Attr {
                    name: name.clone(),
                    value: value.clone(),
                });
            }
        }
        Ok(attrs)
    }

    /// The attribute edits on one node (for the writer).
    pub fn attr_edits(&self, path: &str) -> impl Iterator<Item = (&String, &Option<ValueGrid>)> {
        self.attr_edits.get(path).into_iter().flatten()
    }

    /// Reads a selection of a dataset as the stage sees it.
    pub fn read(&self, file: &Vh5File, path: &str, sel: &Selection) -> Result<ValueGrid> {
        let path = normalize_path(path)?;
        let Some(ds) = self.staged(&path) else {
            return match (&self.base, self.require(file, &path)?) {
                (Some(base), StagedNode::BaseDataset) => file.dataset(base, &path)?.read(sel),
                _ => bad_input!("{path} is a group, not a dataset"),
            };
        };
        let base = if ds.created {
            None
        } else {
            self.base_dataset(file, &path)?
        };
        let mut out = ValueGrid::filled(&ds.fill, sel.out_shape());
        visit_chunks(sel, &ds.shape, &ds.chunks, |index, pairs| {
            let chunk = match ds.touched.get(index) {
                Some(c) => c.data.clone(),
                None => read_base_chunk(ds, base.as_ref(), index)?,
            };
            for &(local, o) in pairs {
                out.set_from(o, &chunk, local);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// What is pending, per node.
    pub fn pending(&self) -> Vec<Pending> {
        let mut out: Vec<Pending> = self
            .overlay
            .iter()
            .map(|(path, o)| Pending {
                path: path.clone(),
                what: match o {
                    Overlay::Deleted => "delete".into(),
                    Overlay::Group => "new group".into(),
                    Overlay::Dataset(d) if d.created => {
                        format!("new dataset {:?} {}", d.shape, d.dtype)
                    }
                    Overlay::Dataset(d) => {
                        format!("{} chunk(s) changed, shape {:?}", d.touched.len(), d.shape)
                    }
                },
            })
            .collect();
        for (path, edits) in &self.attr_edits {
            for (name, edit) in edits {
                let what = match edit {
                    Some(v) => format!("attribute {name} = {}", v.to_json()),
                    None => format!("delete attribute {name}"),
                };
                out.push(Pending {
                    path: path.clone(),
                    what,
                });
            }
        }
        out
    }

    /// Paths of every node the staged version holds, groups before their
    /// children (for the writer).
    pub fn walk(&self, file: &Vh5File) -> Result<Vec<(String, NodeKind)>> {
        let mut out = Vec::new();
        let mut pending = vec!["/".to_string()];
        while let Some(dir) = pending.pop() {
            for (child, kind) in self.children(file, &dir)? {
                if kind == NodeKind::Group {
                    pending.push(child.clone());
                }
                out.push((child, kind));
            }
        }
        out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(out)
    }
}

/// Gets a staged chunk, loading it from the base version (or as fill) on
/// first touch.
fn load_chunk<'a>(
    ds: &'a mut StagedDataset,
    base: Option<&Dataset>,
    index: &[usize],
    order: &mut u64,
) -> Result<&'a mut StagedChunk> {
    if !ds.touched.contains_key(index) {
        let data = read_base_chunk(ds, base, index)?;
        *order += 1;
        ds.touched.insert(
            index.to_vec(),
            StagedChunk {
                order: *order,
                data,
            },
        );
    }
    Ok(ds.touched.get_mut(index).expect("inserted"))
}

/// A chunk as the base version has it (fill when unmapped).
fn read_base_chunk(
    ds: &StagedDataset,
    base: Option<&Dataset>,
    index: &[usize],
) -> Result<ValueGrid> {
    let extent = ds.extent(index);
    let mapped = ds.carried.as_ref().is_some_and(|m| m.get(index).is_some());
    match base {
        Some(b) if mapped => b.read_chunked(&Selection::block(&ds.grid().start(index), &extent)),
        _ => Ok(ValueGrid::filled(&ds.fill, extent)),
    }
}

/// Walks a selection chunk by chunk: for each touched chunk, the pairs
/// (element inside the chunk, position in the selection's output).
fn visit_chunks(
    sel: &Selection,
    shape: &[usize],
    chunks: &[usize],
    mut f: impl FnMut(&[usize], &[(usize, usize)]) -> Result<()>,
) -> Result<()> {
    if sel.is_empty() {
        return Ok(());
    }
    let (asc, flip) = sel.ascending();
    let counts: Vec<usize> = asc.axes.iter().map(|a| a.count).collect();
    let grid = ChunkGrid::new(shape, chunks);
    for combo in selection_parts(&asc, chunks) {
        let index: Vec<usize> = combo.iter().map(|p| p.chunk).collect();
        let (origin, extent) = (grid.start(&index), grid.extent(&index));
        let span: Vec<usize> = combo.iter().map(|p| p.hi - p.lo).collect();
        let mut pairs = Vec::with_capacity(span.iter().product());
        for p in grid_positions(&span) {
            let mut local = vec![0; p.len()];
            let mut out = vec![0; p.len()];
            for d in 0..p.len() {
                let k = combo[d].lo + p[d];
                let at = asc.axes[d].start + k * asc.axes[d].step as usize;
                local[d] = at - origin[d];
                out[d] = if flip[d] { counts[d] - 1 - k } else { k };
            }
            pairs.push((flat(&local, &extent), flat(&out, &counts)));
        }
        f(&index, &pairs)?;
    }
    Ok(())
}

/// NumPy broadcasting of a value onto a selection's output shape.
struct Broadcast {
    value_shape: Vec<usize>,
    out_shape: Vec<usize>,
}

impl Broadcast {
    fn new(value: &[usize], out: &[usize]) -> Option<Broadcast> {
        if value.len() > out.len() && value[..value.len() - out.len()].iter().any(|&d| d != 1) {
            return None;
        }
        let value: Vec<usize> = value[value.len().saturating_sub(out.len())..].to_vec();
        let offset = out.len() - value.len();
        let fits = value
            .iter()
            .enumerate()
            .all(|(i, &v)| v == 1 || v == out[offset + i]);
        fits.then(|| Broadcast {
            value_shape: value,
            out_shape: out.to_vec(),
        })
    }

    /// The value element for output element `out`.
    fn source(&self, out: usize) -> usize {
        let offset = self.out_shape.len() - self.value_shape.len();
        let mut rest = out;
        let mut idx = vec![0; self.out_shape.len()];
        for d in (0..self.out_shape.len()).rev() {
            idx[d] = rest % self.out_shape[d].max(1);
            rest /= self.out_shape[d].max(1);
        }
        self.value_shape.iter().enumerate().fold(0, |acc, (i, &v)| {
            acc * v + if v == 1 { 0 } else { idx[offset + i] }
        })
    }
}

fn creation_filters(opts: &CreateOptions) -> Result<Vec<FilterSpec>> {
    let mut filters = Vec::new();
    if opts.shuffle {
        filters.push(FilterSpec::Shuffle);
    }
    match opts.compression.as_deref() {
        None | Some("none") => {
            if opts.compression_opts.is_some() {
                bad_input!("--compression-opts needs --compression");
            }
        }
        Some("gzip") => {
            let level = opts.compression_opts.unwrap_or(4);
            if level > 9 {
                bad_input!("gzip level {level} is not in 0..=9");
            }
            filters.push(FilterSpec::Deflate(level));
        }
        Some("lzf") => filters.push(FilterSpec::Lzf),
        Some(other) => bad_input!("unknown compression {other:?} (gzip, lzf or none)"),
    }
    if opts.fletcher32 {
        filters.push(FilterSpec::Fletcher32);
    }
    Ok(filters)
}

/// A re-created path must match the storage its first creation pinned.
fn check_matches_storage(
    path: &str,
    pinned: &DatasetMeta,
    dtype: &Dtype,
    chunks: &[usize],
    fill: &ValueGrid,
    filters: &[FilterSpec],
) -> Result<()> {
    let same_strings = pinned.dtype.is_vlen_string() && dtype.is_vlen_string();
    if pinned.dtype != *dtype && !same_strings {
        bad_input!(
            "{path}: dtype {dtype} does not match its stored dtype {}",
            pinned.dtype
        );
    }
    if pinned.chunks.as_deref() != Some(chunks) {
        bad_input!(
            "{path}: chunks {chunks:?} do not match its stored chunks {:?}",
            pinned.chunks
        );
    }
    if !dtype.has_vlen() && !fill.element_eq(0, &pinned.fill, 0) {
        bad_input!(
            "{path}: fill value {} does not match its stored fill value {}",
            fill.get(0),
            pinned.fill.get(0)
        );
    }
    let stored = filter_specs(pinned);
    if stored != filters {
        bad_input!("{path}: compression settings do not match the stored ones ({stored:?})");
    }
    Ok(())
}

fn check_first_component(path: &str) -> Result<()> {
    if path.trim_start_matches('/').split('/').next() == Some(VERSIONS) {
        bad_input!("{path}: '{VERSIONS}' cannot be the first component of a path");
    }
    Ok(())
}

fn check_dataset_name(path: &str) -> Result<()> {
    check_first_component(path)?;
    let leaf = path.rsplit('/').next().unwrap_or("");
    if RESERVED_LEAVES.contains(&leaf) {
        bad_input!("{path}: '{leaf}' is a name versioned-hdf5 uses for its own storage");
    }
    Ok(())
}

fn check_attr_name(path: &str, node: StagedNode, name: &str) -> Result<()> {
    if name.is_empty() {
        bad_input!("empty attribute name");
    }
    let reserved: &[&str] = match (path, node.kind()) {
        ("/", _) => &VERSION_GROUP_SYSTEM_ATTRS,
        (_, NodeKind::Dataset) => &VERSION_DATASET_SYSTEM_ATTRS,
        _ => &[],
    };
    if reserved.contains(&name) {
        bad_input!("{path}@{name}: versioned-hdf5 keeps this attribute for itself");
    }
    Ok(())
}

impl ChunkMap {
    /// The map after a resize: positions outside the new shape dropped.
    pub fn retain_within(&self, shape: &[usize], keep: impl Fn(&Vec<usize>) -> bool) -> ChunkMap {
        let mut map = ChunkMap::empty(shape.to_vec(), self.chunks.clone(), self.raw_data.clone());
        for (index, block) in self.iter() {
            if keep(index) {
                map.insert(index.clone(), block.clone());
            }
        }
        map
    }
}

impl Vh5File {
    /// The metadata of the `raw_data` that pins a path's dtype, chunks,
    /// fill value and filters, if the path was ever created.
    pub fn storage_meta(&self, path: &str) -> Result<Option<DatasetMeta>> {
        if !self.is_versioned() {
            return Ok(None);
        }
        let raw = layout::raw_data_path(path);
        if !self.h5.link_exists(&layout::storage_path(path)) || !self.h5.link_exists(&raw[1..]) {
            return Ok(None);
        }
        let ds = self.h5.dataset(&raw)?;
        Ok(Some(super::dataset::raw_data_meta(path, &raw, ds)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert!(Broadcast::new(&[], &[2, 3]).is_some());
        assert!(Broadcast::new(&[3], &[2, 3]).is_some());
        assert!(Broadcast::new(&[2, 1], &[2, 3]).is_some());
        assert!(Broadcast::new(&[2], &[2, 3]).is_none());
        assert!(Broadcast::new(&[1, 2, 3], &[2, 3]).is_some());
        let b = Broadcast::new(&[3], &[2, 3]).unwrap();
        assert_eq!(
            (0..6).map(|o| b.source(o)).collect::<Vec<_>>(),
            vec![0, 1, 2, 0, 1, 2]
        );
        let b = Broadcast::new(&[2, 1], &[2, 3]).unwrap();
        assert_eq!(
            (0..6).map(|o| b.source(o)).collect::<Vec<_>>(),
            vec![0, 0, 0, 1, 1, 1]
        );
        let scalar = Broadcast::new(&[], &[]).unwrap();
        assert_eq!(scalar.source(0), 0);
    }

    #[test]
    fn chunk_visits_cover_a_reversed_strided_selection() {
        let expr = super::super::slice::parse_slice("::-2, 1").unwrap();
        let sel = Selection::resolve(Some(&expr), &[5, 3]).unwrap();
        let mut seen = Vec::new();
        visit_chunks(&sel, &[5, 3], &[2, 2], |index, pairs| {
            seen.extend(pairs.iter().map(|&(l, o)| (index.to_vec(), l, o)));
            Ok(())
        })
        .unwrap();
        // rows 4, 2, 0 at column 1 -> outputs 0, 1, 2.
        seen.sort_by_key(|s| s.2);
        assert_eq!(
            seen,
            vec![(vec![2, 0], 1, 0), (vec![1, 0], 1, 1), (vec![0, 0], 1, 2)]
        );
    }
}
