//! Staging: edits on top of a version, held in memory until commit.
//!
//! A stage is an ordered log of `Edit`s, each with an id and a row for the
//! pending list, and the content they give: only touched chunks are kept
//! (whole datasets only when created whole). Every edit is validated when
//! staged, so a refused edit never reaches the log or the file; undoing or
//! discarding one applies the rest again to a fresh stage of the same base.
//! Reads through the stage (`lookup`, `children`, `walk`, `attrs`,
//! `dataset_meta`, `read`, `staged_cells`) show the staged state.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::attrs::Attr;
use super::chunkmap::ChunkMap;
use super::dataset::{Dataset, DatasetMeta, Filter};
use super::dtype::Dtype;
use super::edit::{value_text, AttrDtype, CreateData, Edit, EditId, EditValue, PendingRow};
use super::encode::{grid_from_json, infer_dtype, read_npy};
use super::error::{bad_input, Error, ErrorKind, Result};
use super::file::Vh5File;
use super::grid::{flat, grid_positions, selection_parts, ChunkGrid};
use super::h5write::FilterSpec;
use super::layout::{
    self, FILTER_DEFLATE, FILTER_FLETCHER32, FILTER_LZF, FILTER_SHUFFLE, RESERVED_LEAVES, VERSIONS,
    VERSION_DATASET_SYSTEM_ATTRS, VERSION_GROUP_SYSTEM_ATTRS,
};
use super::slice::{Selection, SliceExpr};
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

/// One applied edit: as it was staged (values resolved where they came
/// from a file), its row in the pending list, and for a `Set` the cells
/// it wrote.
#[derive(Debug, Clone)]
struct Logged {
    edit: Edit,
    row: PendingRow,
    cells: Option<Selection>,
}

/// Edits on top of a version (or on nothing, for a root version): an
/// ordered log of edits, and the staged content they give. The content is
/// always exactly the log applied in order: undoing or discarding an edit
/// applies the rest again on a fresh stage of the same base.
#[derive(Debug, Clone, Default)]
pub struct Stage {
    /// The version the commit descends from.
    base: Option<Version>,
    /// Where unchanged nodes come from: the base, or a restored version.
    source: Option<Version>,
    overlay: BTreeMap<String, Overlay>,
    /// Per node, attribute name → new value (`None`: deleted), in order.
    attr_edits: BTreeMap<String, BTreeMap<String, Option<ValueGrid>>>,
    next_order: u64,
    log: Vec<Logged>,
    last_id: EditId,
}

impl Stage {
    pub fn new(base: Option<Version>) -> Stage {
        Stage {
            source: base.clone(),
            base,
            ..Stage::default()
        }
    }

    /// The version the edits are based on (the commit's parent).
    pub fn base(&self) -> Option<&Version> {
        self.base.as_ref()
    }

    /// The version unchanged nodes are read from: the base, or the version
    /// a `Restore` staged.
    pub fn source(&self) -> Option<&Version> {
        self.source.as_ref()
    }

    /// No edit staged.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// Validates `edit` and stages it; a refused edit changes nothing.
    pub fn apply(&mut self, file: &Vh5File, edit: Edit) -> Result<EditId> {
        let id = self.last_id + 1;
        match self.stage_logged(file, id, edit) {
            Ok(()) => {
                self.last_id = id;
                Ok(id)
            }
            Err(e) => {
                // Checks come first, so a refused edit changed nothing; an
                // I/O failure may have stopped one half-way: stage the log again.
                if e.kind != ErrorKind::BadInput {
                    let log = self.log.clone();
                    if let Ok(fresh) = self.replayed(file, log) {
                        *self = fresh;
                    }
                }
                Err(e)
            }
        }
    }

    /// Applies `edit` under `id` and logs it.
    fn stage_logged(&mut self, file: &Vh5File, id: EditId, mut edit: Edit) -> Result<()> {
        let path = edit.normalize()?;
        let (edit, what, before, after, cells) = self.stage_edit(file, edit)?;
        let row = PendingRow {
            id,
            path,
            what,
            before,
            after,
        };
        self.log.push(Logged { edit, row, cells });
        Ok(())
    }

    /// A fresh stage of the same base with `log` applied in order.
    fn replayed(&self, file: &Vh5File, log: Vec<Logged>) -> Result<Stage> {
        let mut fresh = Stage::new(self.base.clone());
        fresh.last_id = self.last_id;
        for l in log {
            let row = l.row.clone();
            fresh
                .stage_logged(file, row.id, l.edit)
                .map_err(|e| e.context(format!("edit {} ({} {})", row.id, row.what, row.path)))?;
        }
        Ok(fresh)
    }

    /// Stages the same edits again against `file` (after the file changed
    /// on disk, or a version was renamed): `base` is the base's record now,
    /// `renamed` an (old, new) version name that restores follow.
    pub fn rebased(
        &self,
        file: &Vh5File,
        base: Option<Version>,
        renamed: Option<(&str, &str)>,
    ) -> Result<Stage> {
        let mut on = Stage::new(base);
        on.last_id = self.last_id;
        let mut log = self.log.clone();
        for l in &mut log {
            if let (Edit::Restore { version }, Some((old, new))) = (&mut l.edit, renamed) {
                if version == old {
                    *version = new.to_string();
                }
            }
        }
        on.replayed(file, log)
    }

    /// Undoes the newest edit; `None` when nothing is staged.
    pub fn undo_last(&mut self, file: &Vh5File) -> Result<Option<PendingRow>> {
        let Some(last) = self.log.last() else {
            return Ok(None);
        };
        let row = last.row.clone();
        let rest = self.log[..self.log.len() - 1].to_vec();
        *self = self.replayed(file, rest)?;
        Ok(Some(row))
    }

    /// Discards one edit. Refused (the stage unchanged) when a later edit
    /// needs it (a `Set` on a dataset the discarded edit created).
    pub fn discard(&mut self, file: &Vh5File, id: EditId) -> Result<PendingRow> {
        let Some(at) = self.log.iter().position(|l| l.row.id == id) else {
            bad_input!("no staged edit {id}");
        };
        let row = self.log[at].row.clone();
        let mut rest = self.log.clone();
        rest.remove(at);
        *self = self.replayed(file, rest).map_err(|e| {
            Error::bad_input(format!(
                "cannot discard edit {id} ({} {}): {}",
                row.what, row.path, e.message
            ))
        })?;
        Ok(row)
    }

    /// Discards every edit.
    pub fn discard_all(&mut self) {
        let last_id = self.last_id;
        *self = Stage::new(self.base.clone());
        self.last_id = last_id;
    }

    /// Every staged edit, oldest first.
    pub fn pending(&self) -> Vec<PendingRow> {
        self.log.iter().map(|l| l.row.clone()).collect()
    }

    /// The staged edits themselves, oldest first.
    pub fn edits(&self) -> impl Iterator<Item = (EditId, &Edit)> {
        self.log.iter().map(|l| (l.row.id, &l.edit))
    }

    /// Stages one normalized edit: the edit as logged, and its row's
    /// `what`, `before` and `after`, and for a `Set` the cells written.
    #[allow(clippy::type_complexity)]
    fn stage_edit(
        &mut self,
        file: &Vh5File,
        edit: Edit,
    ) -> Result<(Edit, String, String, String, Option<Selection>)> {
        const NONE: &str = "(none)";
        Ok(match edit {
            Edit::Set { path, index, value } => {
                let (sel, before, after) = self.set_cells(file, &path, index.as_ref(), &value)?;
                let what = match &index {
                    Some(i) => format!("set [{i}]"),
                    None => "set all".into(),
                };
                let edit = Edit::Set { path, index, value };
                (edit, what, before, after, Some(sel))
            }
            Edit::SetAttr {
                path,
                name,
                value,
                dtype,
            } => {
                let (old, new) = self.set_attr(file, &path, &name, &value, dtype)?;
                let after = match &old {
                    Some(o) if o.dtype == new.dtype => value_text(&new),
                    _ => format!("{} ({})", value_text(&new), new.dtype),
                };
                let before = old.as_ref().map_or(NONE.into(), value_text);
                let what = format!("attr {name}");
                let edit = Edit::SetAttr {
                    path,
                    name,
                    value,
                    dtype,
                };
                (edit, what, before, after, None)
            }
            Edit::DelAttr { path, name } => {
                let old = self.del_attr(file, &path, &name)?;
                let what = format!("del attr {name}");
                let edit = Edit::DelAttr { path, name };
                (edit, what, value_text(&old), "(deleted)".into(), None)
            }
            Edit::Resize { path, shape } => {
                let old = self.resize(file, &path, &shape)?;
                let (before, after) = (format!("{old:?}"), format!("{shape:?}"));
                (
                    Edit::Resize { path, shape },
                    "resize".into(),
                    before,
                    after,
                    None,
                )
            }
            Edit::Create { path, data, opts } => {
                let grid = match data {
                    CreateData::Json(v) => {
                        let dtype = match &opts.dtype {
                            Some(d) => d.clone(),
                            None => infer_dtype(&v)?,
                        };
                        grid_from_json(&dtype, &v).map_err(|e| e.context(&path))?
                    }
                    CreateData::Npy(p) => {
                        let grid = read_npy(&p)?;
                        if let Some(d) = opts.dtype.as_ref().filter(|d| **d != grid.dtype) {
                            bad_input!(
                                "{}: holds {}, not the --dtype {d}",
                                p.display(),
                                grid.dtype
                            );
                        }
                        grid
                    }
                    CreateData::Grid(g) => g,
                };
                let after = format!("{} {:?}", grid.dtype, grid.shape);
                self.create_from_grid(file, &path, grid.clone(), &opts)?;
                let edit = Edit::Create {
                    path,
                    data: CreateData::Grid(grid),
                    opts,
                };
                (edit, "create".into(), NONE.into(), after, None)
            }
            Edit::CreateSparse { path, shape, opts } => {
                self.create_sparse(file, &path, &shape, &opts)?;
                let ds = self.staged(&path).expect("created");
                let after = format!("{} {:?}, fill {}", ds.dtype, shape, value_text(&ds.fill));
                let edit = Edit::CreateSparse { path, shape, opts };
                (edit, "create".into(), NONE.into(), after, None)
            }
            Edit::MkGroup { path } => {
                self.mkgroup(file, &path)?;
                let edit = Edit::MkGroup { path };
                (edit, "mkgroup".into(), NONE.into(), "group".into(), None)
            }
            Edit::Delete { path } => {
                let before = self.describe(file, &path)?;
                self.delete(file, &path)?;
                let edit = Edit::Delete { path };
                (edit, "delete".into(), before, "(deleted)".into(), None)
            }
            Edit::Restore { version } => {
                let before = self
                    .source
                    .as_ref()
                    .map_or("(empty)".into(), |v| format!("content of {}", v.name));
                self.restore(file, &version)?;
                let what = format!("restore {version}");
                let after = format!("content of {version}");
                (Edit::Restore { version }, what, before, after, None)
            }
        })
    }

    /// `group`, or a dataset's dtype and shape, in the staged view.
    fn describe(&self, file: &Vh5File, path: &str) -> Result<String> {
        Ok(match self.require(file, path)?.kind() {
            NodeKind::Group => "group".into(),
            NodeKind::Dataset => {
                let base = self.base_dataset(file, path)?;
                let (shape, dtype) = self.dataset_layout(path, base.as_ref(), false)?;
                format!("{dtype} {shape:?}")
            }
        })
    }

    /// What is at `path` in the staged view.
    pub fn lookup(&self, file: &Vh5File, path: &str) -> Result<Option<StagedNode>> {
        let path = normalize_path(path)?;
        if path == "/" {
            return Ok(Some(if self.source.is_some() {
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
        let Some(source) = &self.source else {
            return Ok(None);
        };
        Ok(match file.node(source, &path) {
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
        if let (StagedNode::BaseGroup, Some(source)) = (node, &self.source) {
            names.extend(file.children(source, &path)?.into_iter().map(|n| n.path));
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

    /// About how many mappings the virtual datasets a commit of this
    /// stage creates hold: the chunks each staged dataset keeps, and
    /// those it touches.
    pub fn new_mappings(&self) -> usize {
        let datasets = self.overlay.values().filter_map(|o| match o {
            Overlay::Dataset(d) => Some(d),
            _ => None,
        });
        datasets
            .map(|d| d.carried.as_ref().map_or(0, |m| m.stored()) + d.touched.len())
            .sum()
    }

    /// The source version's copy of a dataset the stage may change (`None`
    /// for one created in this stage); refuses groups and missing paths.
    fn base_dataset(&self, file: &Vh5File, path: &str) -> Result<Option<Dataset>> {
        let from_source = match self.require(file, path)? {
            StagedNode::BaseDataset => true,
            StagedNode::Dataset => self.staged(path).is_some_and(|d| !d.created),
            _ => bad_input!("{path} is a group, not a dataset"),
        };
        match (&self.source, from_source) {
            (Some(source), true) => Ok(Some(file.dataset(source, path)?)),
            _ => Ok(None),
        }
    }

    /// Shape and dtype of a dataset in the staged view, staging nothing;
    /// `editable` refuses dtypes whose values cannot be edited.
    fn dataset_layout(
        &self,
        path: &str,
        base: Option<&Dataset>,
        editable: bool,
    ) -> Result<(Vec<usize>, Dtype)> {
        let (shape, dtype) = match (self.staged(path), base) {
            (Some(d), _) => (d.shape.clone(), d.dtype.clone()),
            (None, Some(b)) => (b.meta.shape.clone(), b.meta.dtype.clone()),
            (None, None) => bad_input!("{path} is not a dataset"),
        };
        if editable && dtype.has_vlen() && !dtype.is_vlen_string() {
            bad_input!("{path}: datasets of {dtype} cannot be edited");
        }
        Ok((shape, dtype))
    }

    /// Shape and dtype of a dataset in the staged view.
    pub fn shape_and_dtype(&self, file: &Vh5File, path: &str) -> Result<(Vec<usize>, Dtype)> {
        let path = normalize_path(path)?;
        let base = self.base_dataset(file, &path)?;
        self.dataset_layout(&path, base.as_ref(), false)
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

    /// `PATH[INDEX] = VALUE`, a scalar broadcasting; returns the cells and
    /// the before and after texts.
    fn set_cells(
        &mut self,
        file: &Vh5File,
        path: &str,
        index: Option<&SliceExpr>,
        value: &EditValue,
    ) -> Result<(Selection, String, String)> {
        // Validate everything before staging anything.
        let base = self.base_dataset(file, path)?;
        let (shape, dtype) = self.dataset_layout(path, base.as_ref(), true)?;
        let sel = Selection::resolve(index, &shape)?;
        let values = value.for_dataset(&dtype, path)?;
        let out_shape = sel.out_shape();
        let broadcast = Broadcast::new(&values.shape, &out_shape).ok_or_else(|| {
            Error::bad_input(format!(
                "{path}: cannot assign a value of shape {:?} to a selection of shape {out_shape:?}",
                values.shape
            ))
        })?;
        let mut order = self.next_order;
        let ds = self.dataset_mut(path, base.as_ref())?;
        let chunks = ds.chunks.clone();
        // A single cell's old value, taken from its chunk as it is loaded.
        let mut old = (sel.len() == 1).then(|| ValueGrid::filled(&ds.fill, vec![]));
        visit_chunks(&sel, &shape, &chunks, |index, pairs| {
            let chunk = load_chunk(ds, base.as_ref(), index, &mut order)?;
            for &(local, out) in pairs {
                if let Some(old) = &mut old {
                    old.set_from(0, &chunk.data, local);
                }
                chunk.data.set_from(local, &values, broadcast.source(out));
            }
            Ok(())
        })?;
        self.next_order = order;
        let (before, after) = match (old, sel.len()) {
            (Some(old), _) => (value_text(&old), value_text(&values)),
            (None, n) if values.shape.is_empty() => (format!("{n} cells"), value_text(&values)),
            (None, n) => (format!("{n} cells"), format!("{} values", values.len())),
        };
        Ok((sel, before, after))
    }

    /// Resizes a dataset; the chunks whose extent changes are rewritten
    /// (trimmed, or padded with the fill value), as versioned-hdf5 does.
    /// Returns the old shape.
    fn resize(&mut self, file: &Vh5File, path: &str, new_shape: &[usize]) -> Result<Vec<usize>> {
        let base = self.base_dataset(file, path)?;
        let (shape, _) = self.dataset_layout(path, base.as_ref(), true)?;
        if new_shape.len() != shape.len() {
            bad_input!(
                "{path}: cannot resize {}-D data to {new_shape:?}",
                shape.len()
            );
        }
        let mut order = self.next_order;
        let ds = self.dataset_mut(path, base.as_ref())?;
        check_shape_size(path, &ds.dtype, new_shape)?;
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
        Ok(old_shape)
    }

    /// Creates a dataset of `shape` holding only the fill value: no chunk is
    /// stored until written (versioned-hdf5's `create_dataset(shape=...)`).
    fn create_sparse(
        &mut self,
        file: &Vh5File,
        path: &str,
        shape: &[usize],
        opts: &CreateOptions,
    ) -> Result<()> {
        let dtype = opts.dtype.clone().unwrap_or(Dtype::Float {
            size: 8,
            order: super::dtype::ByteOrder::Little,
        });
        let ds = self.new_dataset(file, path, dtype, shape, opts)?;
        self.attr_edits.remove(path);
        self.overlay
            .insert(path.to_string(), Overlay::Dataset(Box::new(ds)));
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
        check_chunk_size(path, &dtype, &chunks)?;
        check_shape_size(path, &dtype, shape)?;
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

    fn create_from_grid(
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
    fn mkgroup(&mut self, file: &Vh5File, path: &str) -> Result<()> {
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
    fn delete(&mut self, file: &Vh5File, path: &str) -> Result<()> {
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

    /// Sets an attribute on `/` (the version group), a group or a dataset;
    /// returns the old value (if any) and the new one.
    fn set_attr(
        &mut self,
        file: &Vh5File,
        path: &str,
        name: &str,
        value: &EditValue,
        dtype: AttrDtype,
    ) -> Result<(Option<ValueGrid>, ValueGrid)> {
        let node = self.require(file, path)?;
        check_attr_name(path, node, name)?;
        let old = self
            .attrs(file, path)?
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| a.value);
        let what = format!("{path}@{name}");
        let keep = dtype == AttrDtype::Keep;
        let grid = value.for_attr(old.as_ref().map(|g| &g.dtype), keep, &what)?;
        self.attr_edits
            .entry(path.to_string())
            .or_default()
            .insert(name.to_string(), Some(grid.clone()));
        Ok((old, grid))
    }

    /// Deletes an attribute; returns its value.
    fn del_attr(&mut self, file: &Vh5File, path: &str, name: &str) -> Result<ValueGrid> {
        let node = self.require(file, path)?;
        check_attr_name(path, node, name)?;
        let Some(old) = self.attrs(file, path)?.into_iter().find(|a| a.name == name) else {
            bad_input!("{path} has no attribute {name:?}");
        };
        self.attr_edits
            .entry(path.to_string())
            .or_default()
            .insert(name.to_string(), None);
        Ok(old.value)
    }

    /// Replaces the staged content with a committed version's: its tree and
    /// datasets are read (and committed) from there, chunk maps as they are;
    /// its version group's own attributes are staged on `/`.
    fn restore(&mut self, file: &Vh5File, version: &str) -> Result<()> {
        if !file.is_versioned() {
            bad_input!("{}: not a versioned file", file.path.display());
        }
        let Some(v) = file.version(version)?.filter(|v| v.committed) else {
            bad_input!("unknown version {version:?}");
        };
        let root_attrs = file.group_attrs(&v, "/")?;
        self.overlay.clear();
        self.attr_edits.clear();
        self.source = Some(v);
        if !root_attrs.is_empty() {
            let root = self.attr_edits.entry("/".to_string()).or_default();
            for a in root_attrs {
                root.insert(a.name, Some(a.value));
            }
        }
        Ok(())
    }

    /// Whether the node's attributes start from the source version's.
    fn inherits_attrs(&self, file: &Vh5File, path: &str) -> Result<bool> {
        Ok(path != "/"
            && match self.lookup(file, path)? {
                Some(StagedNode::BaseGroup | StagedNode::BaseDataset) => true,
                Some(StagedNode::Dataset) => self.staged(path).is_some_and(|d| !d.created),
                _ => false,
            })
    }

    /// User attributes of a node in the staged view (`/`: those the new
    /// version group will have; versioned-hdf5 does not carry them over).
    pub fn attrs(&self, file: &Vh5File, path: &str) -> Result<Vec<Attr>> {
        let path = normalize_path(path)?;
        let node = self.require(file, &path)?;
        let mut attrs = match (&self.source, self.inherits_attrs(file, &path)?) {
            (Some(source), true) if node.kind() == NodeKind::Group => {
                file.group_attrs(source, &path)?
            }
            (Some(source), true) => file.dataset(source, &path)?.meta.attrs,
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

    /// A dataset's metadata in the staged view: shape, attributes, and for
    /// a dataset created here what its storage will be.
    pub fn dataset_meta(&self, file: &Vh5File, path: &str) -> Result<DatasetMeta> {
        let path = normalize_path(path)?;
        let base = self.base_dataset(file, &path)?.map(|mut b| {
            b.measure_storage();
            b
        });
        let mut meta = match (self.staged(&path), base) {
            (None, Some(b)) => b.meta,
            (Some(d), Some(b)) => DatasetMeta {
                shape: d.shape.clone(),
                ..b.meta
            },
            (Some(d), None) => created_meta(&path, d),
            (None, None) => bad_input!("{path} is not a dataset"),
        };
        meta.attrs = self.attrs(file, &path)?;
        Ok(meta)
    }

    /// Reads a selection of a dataset as the stage sees it.
    pub fn read(&self, file: &Vh5File, path: &str, sel: &Selection) -> Result<ValueGrid> {
        let path = normalize_path(path)?;
        let Some(ds) = self.staged(&path) else {
            return match (&self.source, self.require(file, &path)?) {
                (Some(source), StagedNode::BaseDataset) => file.dataset(source, &path)?.read(sel),
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

    /// Which cells of `window` (in the order `read` returns them) hold a
    /// value staged by an edit: set by a `Set`, or created with data.
    pub fn staged_cells(&self, path: &str, window: &Selection) -> Vec<bool> {
        let mut mask = vec![false; window.len()];
        let Ok(path) = normalize_path(path) else {
            return mask;
        };
        let below = |p: &str| p == path || path.starts_with(&format!("{p}/"));
        // Cells beyond a later shrink were cut, even if grown back since.
        let mut limit: Option<Vec<usize>> = None;
        let counts: Vec<usize> = window.axes.iter().map(|a| a.count).collect();
        let cells = grid_positions(&counts);
        let mut mark = |sel: Option<&Selection>, limit: &Option<Vec<usize>>| {
            for (m, k) in mask.iter_mut().zip(&cells) {
                let at: Vec<usize> = window.axes.iter().zip(k).map(|(a, &k)| a.at(k)).collect();
                let inside = limit
                    .as_ref()
                    .is_none_or(|l| at.iter().zip(l).all(|(i, n)| i < n));
                if inside && sel.is_none_or(|s| s.contains(&at)) {
                    *m = true;
                }
            }
        };
        for l in self.log.iter().rev() {
            match &l.edit {
                Edit::Set { path: p, .. } if *p == path => mark(l.cells.as_ref(), &limit),
                Edit::Resize { path: p, shape } if *p == path => {
                    limit = Some(match limit {
                        Some(l) => l.iter().zip(shape).map(|(a, b)| *a.min(b)).collect(),
                        None => shape.clone(),
                    })
                }
                Edit::Create { path: p, .. } if *p == path => {
                    mark(None, &limit);
                    break;
                }
                Edit::CreateSparse { path: p, .. } | Edit::Delete { path: p } if below(p) => break,
                Edit::Restore { .. } => break,
                _ => {}
            }
        }
        mask
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

/// A creation spec as the filter entry HDF5 will report.
fn filter_of(spec: &FilterSpec) -> Filter {
    let (id, name, cd_values) = match spec {
        FilterSpec::Shuffle => (FILTER_SHUFFLE, "shuffle", vec![]),
        FilterSpec::Deflate(level) => (FILTER_DEFLATE, "deflate", vec![*level]),
        FilterSpec::Lzf => (FILTER_LZF, "lzf", vec![]),
        FilterSpec::Fletcher32 => (FILTER_FLETCHER32, "fletcher32", vec![]),
        FilterSpec::Other(id, cd) => (*id, "", cd.clone()),
    };
    Filter::new(id, name, cd_values)
}

/// The metadata a dataset created in a stage will have.
fn created_meta(path: &str, d: &StagedDataset) -> DatasetMeta {
    DatasetMeta {
        path: path.to_string(),
        dtype: d.dtype.clone(),
        shape: d.shape.clone(),
        maxshape: vec![None; d.shape.len()],
        chunks: Some(d.chunks.clone()),
        fill: d.fill.clone(),
        filters: d.filters.iter().map(filter_of).collect(),
        storage_size: Some(0),
        layout: "virtual",
        raw_data: Some(layout::raw_data_path(path)),
        raw_shape: None,
        attrs: Vec::new(),
        virtual_view: None,
        dims: Vec::new(),
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

/// HDF5's limit on one chunk: under 4 GiB, each extent under 2^32.
const MAX_CHUNK_BYTES: u64 = u32::MAX as u64;

/// Refuses chunks HDF5 would refuse only once the commit had started
/// writing (a refused commit must leave the file untouched).
pub(crate) fn check_chunk_size(path: &str, dtype: &Dtype, chunks: &[usize]) -> Result<()> {
    let bytes = (chunks.iter()).try_fold(dtype.size() as u64, |b, &c| b.checked_mul(c as u64));
    let fits = bytes.is_some_and(|b| b <= MAX_CHUNK_BYTES)
        && chunks.iter().all(|&c| c as u64 <= MAX_CHUNK_BYTES);
    if !fits {
        bad_input!("{path}: chunks {chunks:?} of {dtype} exceed HDF5's limit of 4 GiB per chunk");
    }
    Ok(())
}

/// Refuses a shape whose size in bytes does not fit in 64 bits.
fn check_shape_size(path: &str, dtype: &Dtype, shape: &[usize]) -> Result<()> {
    let bytes =
        (shape.iter()).try_fold(dtype.size().max(1) as u64, |b, &n| b.checked_mul(n as u64));
    if bytes.is_none() {
        bad_input!("{path}: shape {shape:?} is too large");
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
            if keep(&index) {
                map.insert(index, block);
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
