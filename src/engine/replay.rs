//! Replay: rewriting history (delete versions, modify a dataset's metadata
//! in every version, compact), with versioned-hdf5's visible results.
//!
//! Every replay writes a new file next to the original and renames it over
//! the original at the end, so an interruption at any point leaves the
//! original untouched (versioned-hdf5 rewrites in place, through temporary
//! groups); the new file also gives back the space HDF5 cannot free in
//! place. Objects a replay does not change are copied whole (H5Ocopy).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hdf5::{Group, LocationType};
use hdf5_sys::h5f::{H5Fclose, H5Fcreate, H5Fget_create_plist, H5F_ACC_EXCL};
use hdf5_sys::h5p::H5P_DEFAULT;

use super::cast::{cast_and_refill, cast_fill, check_castable};
use super::chunkindex::stand_in;
use super::chunkmap::ChunkMap;
use super::dataset::Dataset;
use super::debris::{remove_stale_temp_files, temp_path};
use super::dtype::Dtype;
use super::encode::grid_from_json;
use super::error::{bad_input, Error, Result};
use super::faults::Faults;
use super::file::Vh5File;
use super::grid::ChunkGrid;
use super::h5::{self, Block};
use super::h5write::{self, FilterSpec, Target};
use super::hash::{digest, fill_digest, ChunkDigest};
use super::layout::{
    self, attr, HashRow, FILTER_DEFLATE, FILTER_LZF, FIRST_VERSION, HASH_TABLE, RAW_DATA, VERSIONS,
    VERSION_DATA,
};
use super::slice::Selection;
use super::stage::filter_specs;
use super::storage::{self, RawDataSpec, Vds};
use super::value::ValueGrid;
use super::versions::{Version, VersionSpec};

pub use super::progress::{Cancel, Progress, ProgressFn};

/// A dataset's new metadata; `None` keeps the old setting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetadataChange {
    pub dtype: Option<Dtype>,
    pub chunks: Option<Vec<usize>>,
    /// `Some(None)` removes compression.
    pub compression: Option<Option<String>>,
    pub compression_opts: Option<u32>,
    pub fillvalue: Option<serde_json::Value>,
}

/// What a rewrite does to the history.
#[derive(Default)]
struct Plan {
    /// Version groups that go.
    deleted: HashSet<String>,
    /// New `prev_version` of survivors whose parent goes.
    prev: HashMap<String, String>,
    current: Option<String>,
    /// Storage paths whose raw data is compacted to what survivors use.
    compacted: HashSet<String>,
    /// Storage paths with no survivor: dropped.
    dropped: HashSet<String>,
    /// The dataset `modify_metadata` rewrites.
    modify: Option<(String, Modify)>,
}

/// A validated metadata change, resolved against the dataset.
struct Modify {
    dtype: Dtype,
    chunks: Vec<usize>,
    fill: ValueGrid,
    /// The old fill value in the new dtype: what unwritten cells read as.
    implicit: ValueGrid,
    /// The old fill value, when the fill changes (for the refill rule).
    refill: Option<super::value::Value>,
    filters: Vec<FilterSpec>,
}

/// Deletes versions the way versioned-hdf5's `delete_versions` does.
pub fn delete_versions(
    path: &Path,
    specs: &[VersionSpec],
    progress: ProgressFn,
    cancel: Cancel,
) -> Result<Vec<String>> {
    let src = Vh5File::open(path)?;
    require_versioned(&src)?;
    let graph = src.graph()?;
    let mut deleted = HashSet::new();
    for spec in specs {
        if matches!(spec, VersionSpec::Name(n) if n == FIRST_VERSION) {
            bad_input!("{FIRST_VERSION} cannot be deleted");
        }
        let v = match spec {
            VersionSpec::Name(n) => graph
                .get(n)
                .cloned()
                .ok_or_else(|| Error::bad_input(format!("unknown version {n:?}")))?,
            other => src.resolve_version(Some(other))?,
        };
        deleted.insert(v.name);
    }
    if deleted.is_empty() {
        bad_input!("no versions given");
    }
    let parent = |name: &str| graph.get(name).and_then(|v| v.prev.clone());
    let surviving_ancestor = |mut name: Option<String>| {
        while let Some(n) = name.clone().filter(|n| deleted.contains(n)) {
            name = parent(&n);
        }
        name
    };
    let mut plan = Plan {
        deleted: deleted.clone(),
        ..Plan::default()
    };
    for v in graph.all().iter().filter(|v| !deleted.contains(&v.name)) {
        if v.prev.as_ref().is_some_and(|p| deleted.contains(p)) {
            plan.prev.insert(
                v.name.clone(),
                surviving_ancestor(v.prev.clone()).unwrap_or_else(|| FIRST_VERSION.into()),
            );
        }
    }
    plan.current = Some(match src.current_version_name()? {
        Some(c) => surviving_ancestor(Some(c)).unwrap_or_else(|| FIRST_VERSION.into()),
        None => FIRST_VERSION.into(),
    });
    // As versioned-hdf5: only datasets a deleted version holds with data are
    // compacted; those no survivor holds are dropped.
    // Never-committed groups are not copied (see `Rewriter::run`).
    let survivors: Vec<&Version> = graph
        .committed()
        .filter(|v| !deleted.contains(&v.name))
        .collect();
    for name in &deleted {
        for (p, shape0) in version_datasets(&src, name)? {
            if shape0 == 0 {
                continue;
            }
            let kept = survivors.iter().any(|v| src.has_dataset(&v.name, &p));
            if kept {
                plan.compacted.insert(p);
            } else {
                plan.dropped.insert(p);
            }
        }
    }
    let mut names: Vec<String> = deleted.into_iter().collect();
    names.sort();
    rewrite_in_place(&src, &plan, progress, cancel)?;
    Ok(names)
}

/// Rewrites one dataset in every version with new metadata, as
/// versioned-hdf5's `modify_metadata`.
pub fn modify_metadata(
    path: &Path,
    dataset: &str,
    change: &MetadataChange,
    progress: ProgressFn,
    cancel: Cancel,
) -> Result<()> {
    let src = Vh5File::open(path)?;
    require_versioned(&src)?;
    let dataset = super::tree::normalize_path(dataset)?;
    let Some(pinned) = src.storage_meta(&dataset)? else {
        bad_input!("no versioned dataset {dataset}");
    };
    let dtype = change.dtype.clone().unwrap_or_else(|| pinned.dtype.clone());
    check_castable(&pinned.dtype, &dtype).map_err(|e| e.context(&dataset))?;
    let chunks = change
        .chunks
        .clone()
        .unwrap_or_else(|| pinned.chunks.clone().unwrap_or_default());
    if chunks.len() != pinned.chunks.as_ref().map_or(0, |c| c.len()) || chunks.contains(&0) {
        bad_input!(
            "{dataset}: chunks {chunks:?} do not fit its {}-D data",
            pinned.shape.len()
        );
    }
    super::stage::check_chunk_size(&dataset, &dtype, &chunks)?;
    let (fill, refill) = match &change.fillvalue {
        Some(v) => {
            let new = grid_from_json(&dtype, v)
                .map_err(|e| e.context(format!("{dataset} fill value")))?;
            if new.shape.is_empty() {
                // versioned-hdf5 refills only when the value differs (so 0.0
                // to -0.0 changes nothing; NaN to NaN is a no-op either way).
                let old = pinned.fill.get(0);
                let refill = (!super::cast::same_value(&new.get(0), &old)).then_some(old);
                (new, refill)
            } else {
                bad_input!("{dataset}: the fill value must be a single value");
            }
        }
        None => (cast_fill(&pinned.fill, &dtype)?, None),
    };
    if dtype.is_vlen_string() && fill.string_bytes(0).is_some_and(|s| !s.is_empty()) {
        bad_input!("{dataset}: variable-length strings can only have the empty fill value");
    }
    let filters = changed_filters(filter_specs(&pinned), change)?;
    let plan = Plan {
        modify: Some((
            dataset,
            Modify {
                implicit: cast_fill(&pinned.fill, &dtype)?,
                dtype,
                chunks,
                fill,
                refill,
                filters,
            },
        )),
        current: src.current_version_name()?,
        ..Plan::default()
    };
    rewrite_in_place(&src, &plan, progress, cancel)
}

fn changed_filters(
    mut filters: Vec<FilterSpec>,
    change: &MetadataChange,
) -> Result<Vec<FilterSpec>> {
    let is_codec = |f: &FilterSpec| {
        matches!(
            f,
            FilterSpec::Deflate(_) | FilterSpec::Lzf | FilterSpec::Other(..)
        )
    };
    let at = filters.iter().position(is_codec).unwrap_or_else(|| {
        filters
            .iter()
            .position(|f| *f != FilterSpec::Shuffle)
            .unwrap_or(filters.len())
    });
    let codec = match (&change.compression, change.compression_opts) {
        (None, None) => return Ok(filters),
        (Some(None), Some(_)) => bad_input!("--compression-opts needs a compression"),
        (Some(None), None) => None,
        (Some(Some(c)), level) => Some(codec_spec(c, level)?),
        (None, Some(level)) => match filters.iter().find(|f| is_codec(f)) {
            Some(FilterSpec::Deflate(_)) => Some(FilterSpec::Deflate(check_level(level)?)),
            _ => bad_input!("--compression-opts applies to gzip compression"),
        },
    };
    filters.retain(|f| !is_codec(f));
    if let Some(codec) = codec {
        filters.insert(at.min(filters.len()), codec);
    }
    Ok(filters)
}

fn check_level(level: u32) -> Result<u32> {
    if level > 9 {
        bad_input!("gzip level {level} is not in 0..=9");
    }
    Ok(level)
}

fn codec_spec(name: &str, level: Option<u32>) -> Result<FilterSpec> {
    match (name, level) {
        ("gzip", l) => Ok(FilterSpec::Deflate(check_level(l.unwrap_or(4))?)),
        ("lzf", None) => Ok(FilterSpec::Lzf),
        ("lzf", Some(_)) => bad_input!("lzf takes no --compression-opts"),
        (other, _) => match other.parse::<i32>() {
            Ok(FILTER_DEFLATE) => codec_spec("gzip", level),
            Ok(FILTER_LZF) => codec_spec("lzf", level),
            _ => bad_input!("unknown compression {other:?} (gzip, lzf or none)"),
        },
    }
}

/// Renames a version in place: a second link first, then the children's
/// `prev_version` and `current_version`, then the old link goes. An
/// interruption leaves every version readable (at worst under both names).
pub fn rename_version(path: &Path, old: &str, new: &str) -> Result<()> {
    {
        let src = Vh5File::open(path)?;
        require_versioned(&src)?;
        match src.version(old)? {
            Some(v) if v.committed => {}
            _ => bad_input!("unknown version {old:?}"),
        }
        super::commit::check_version_name(&src, new)?;
        if src.version(new)?.is_some() {
            bad_input!("version {new:?} already exists");
        }
    }
    let mut file = Vh5File::open_rw(path)?;
    file.remove_debris()?;
    let versions = file.versions_group()?;
    let mut faults = Faults::from_env();
    versions.link_hard(old, new)?;
    faults.step(&file.h5, "second link")?;
    for v in file.graph()?.all() {
        if v.prev.as_deref() == Some(old) {
            let child = Target {
                loc: versions.id(),
                obj: &v.name,
            };
            h5write::write_string_attr(child, attr::PREV_VERSION, new)?;
            faults.step(&file.h5, &format!("{} prev_version", v.name))?;
        }
    }
    if file.current_version_name()?.as_deref() == Some(old) {
        h5write::write_string_attr(Target::this(versions.id()), attr::CURRENT_VERSION, new)?;
        faults.step(&file.h5, "current_version")?;
    }
    versions.unlink(old)?;
    faults.step(&file.h5, "old link")
}

/// Writes the file anew (to `out`, or in place), giving back the space
/// replays freed inside it.
pub fn compact(
    path: &Path,
    out: Option<&Path>,
    progress: ProgressFn,
    cancel: Cancel,
) -> Result<()> {
    let src = Vh5File::open(path)?;
    require_versioned(&src)?;
    let mut plan = Plan {
        current: src.current_version_name()?,
        ..Plan::default()
    };
    plan_unused_slots(&src, &mut plan)?;
    match out {
        Some(out) => {
            if out.exists() && same_file(path, out) {
                bad_input!("{}: the output must differ from the input", out.display());
            }
            if out.exists() {
                bad_input!("{} already exists", out.display());
            }
            rewrite(&src, &plan, out, progress, cancel)
        }
        None => rewrite_in_place(&src, &plan, progress, cancel),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn require_versioned(file: &Vh5File) -> Result<()> {
    if !file.is_versioned() {
        bad_input!("{}: not a versioned file", file.path.display());
    }
    Ok(())
}

/// Gives back the slots no committed version reads (what interrupted
/// commits leave): storage holding some is compacted, storage no version
/// holds is dropped.
fn plan_unused_slots(src: &Vh5File, plan: &mut Plan) -> Result<()> {
    let mut used: HashMap<String, HashSet<usize>> = HashMap::new();
    for v in src.graph()?.committed() {
        for node in src.walk(v, "/")? {
            if node.kind != super::tree::NodeKind::Dataset {
                continue;
            }
            if let Some(map) = src.chunk_map_once(&v.name, &node.path)? {
                let rows = used.entry(node.path).or_default();
                rows.extend(map.iter().map(|(_, block)| block.start[0]));
            }
        }
    }
    for group in storage::storage_groups(&src.h5)? {
        if !group.is_complete() {
            continue;
        }
        let Some(rows) = used.get(&group.path) else {
            plan.dropped.insert(group.path);
            continue;
        };
        let raw_path = layout::raw_data_path(&group.path);
        let raw = src.raw_data(&raw_path)?;
        let chunks = storage::raw_chunks(&raw, &raw_path)?;
        let slots = h5::dataset_extent(raw.id())?.0[0].div_ceil(chunks[0]);
        if rows.len() < slots {
            plan.compacted.insert(group.path);
        }
    }
    Ok(())
}

/// Every dataset of a version group, with its first extent.
fn version_datasets(file: &Vh5File, version: &str) -> Result<Vec<(String, usize)>> {
    let root = file.version_root(version)?;
    let mut out = Vec::new();
    storage::walk_group(&root, "", &mut |path, kind| {
        if kind == LocationType::Dataset {
            let ds = root.dataset(&path[1..])?;
            let (shape, _) = h5::dataset_extent(ds.id())?;
            out.push((path.to_string(), shape.first().copied().unwrap_or(1)));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Writes the result next to the original, then renames it over it. The
/// rename is the point of no return: cancelled before it, the original is
/// left byte for byte as it was.
fn rewrite_in_place(
    src: &Vh5File,
    plan: &Plan,
    progress: ProgressFn,
    cancel: Cancel,
) -> Result<()> {
    let path = src.path.clone();
    remove_stale_temp_files(&path);
    let tmp: PathBuf = temp_path(&path, std::process::id());
    let result = rewrite(src, plan, &tmp, progress, cancel).and_then(|()| {
        if cancel() {
            return Err(Error::cancelled());
        }
        Ok(())
    });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Ok(meta) = std::fs::metadata(&path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::runtime(e.to_string()))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::runtime(format!("{}: {e}", path.display())))
}

/// Builds the rewritten file at `out`.
fn rewrite(
    src: &Vh5File,
    plan: &Plan,
    out: &Path,
    progress: ProgressFn,
    cancel: Cancel,
) -> Result<()> {
    let dst = create_like(src, out)?;
    let writer = Rewriter {
        src,
        dst: &dst,
        plan,
    };
    writer.run(progress, cancel)?;
    dst.flush()?;
    Ok(())
}

/// A new file with the original's creation properties (sizes, userblock).
fn create_like(src: &Vh5File, out: &Path) -> Result<hdf5::File> {
    let fcpl = h5::handle(|| unsafe { H5Fget_create_plist(src.h5.id()) })?;
    let name = std::ffi::CString::new(out.to_string_lossy().as_bytes())
        .map_err(|_| Error::bad_input("bad output path"))?;
    let id =
        h5::handle(|| unsafe { H5Fcreate(name.as_ptr(), H5F_ACC_EXCL, fcpl.id(), H5P_DEFAULT) })
            .map_err(|e| {
                Error::runtime(format!(
                    "{}: cannot create ({})",
                    out.display(),
                    Error::from(e)
                ))
            })?;
    h5::call(|| unsafe { H5Fclose(id.id()) })?;
    std::mem::forget(id);
    Ok(hdf5::File::open_rw(out)?)
}

struct Rewriter<'a> {
    src: &'a Vh5File,
    dst: &'a hdf5::File,
    plan: &'a Plan,
}

/// Where each kept chunk of a compacted dataset moved: old axis-0 start →
/// new axis-0 start.
type Remap = HashMap<usize, usize>;

impl Rewriter<'_> {
    fn run(&self, progress: ProgressFn, cancel: Cancel) -> Result<()> {
        let src_root = self.src.h5.group("/")?;
        let dst_root = self.dst.group("/")?;
        copy_attrs(
            Target::this(src_root.id()),
            Target::this(dst_root.id()),
            &[],
        )?;
        for name in src_root.member_names()? {
            if name != VERSION_DATA {
                h5write::copy_object(
                    Target {
                        loc: src_root.id(),
                        obj: &name,
                    },
                    Target {
                        loc: dst_root.id(),
                        obj: &name,
                    },
                )?;
            }
        }
        let versions = self
            .dst
            .create_group(VERSION_DATA)?
            .create_group(VERSIONS)?;
        let src_versions = self.src.versions_group()?;
        copy_attrs(
            Target::this(src_versions.id()),
            Target::this(versions.id()),
            &[],
        )?;
        // Never-committed version groups are debris: not copied.
        let gone: HashSet<String> = (self.src.uncommitted_versions()?.into_iter())
            .map(|v| v.name)
            .chain(self.plan.deleted.iter().cloned())
            .collect();
        if let Some(current) = &self.plan.current {
            h5write::write_string_attr(
                Target::this(versions.id()),
                attr::CURRENT_VERSION,
                &self.surviving(current, &gone)?,
            )?;
        }
        let paths = self.storage_paths()?;
        let survivors: Vec<String> = src_versions
            .member_names()?
            .into_iter()
            .filter(|v| !gone.contains(v))
            .collect();
        let total = paths.len() + survivors.len();
        let mut done = 0;
        let mut faults = Faults::from_env();
        let mut tick = |message: String, progress: &mut dyn FnMut(&Progress)| -> Result<()> {
            if cancel() {
                return Err(Error::cancelled());
            }
            faults.step(self.dst, &message)?;
            done += 1;
            progress(&Progress {
                done,
                total,
                message,
            });
            Ok(())
        };
        let mut remaps: HashMap<String, Remap> = HashMap::new();
        let mut modified: Option<ModifiedStorage> = None;
        for p in &paths {
            if self.plan.dropped.contains(p) {
                // No survivor holds it; like versioned-hdf5, its parent groups stay.
                if let Some((parent, _)) =
                    p.rsplit_once('/').filter(|(parent, _)| !parent.is_empty())
                {
                    storage::create_storage_group(self.dst, parent)?;
                }
            } else if self.plan.modify.as_ref().is_some_and(|(m, _)| m == p) {
                modified = Some(self.new_storage(p)?);
            } else if self.plan.compacted.contains(p) {
                remaps.insert(p.clone(), self.compact_storage(p, &survivors)?);
            } else {
                let group = storage::create_storage_group(self.dst, p)?;
                let from = self.src.h5.group(&layout::storage_path(p))?;
                for member in [RAW_DATA, HASH_TABLE] {
                    h5write::copy_object(
                        Target {
                            loc: from.id(),
                            obj: member,
                        },
                        Target {
                            loc: group.id(),
                            obj: member,
                        },
                    )?;
                }
            }
            tick(format!("storage {p}"), progress)?;
        }
        for name in &survivors {
            self.copy_version(name, &versions, &remaps, modified.as_mut())?;
            tick(format!("version {name}"), progress)?;
        }
        if let Some(m) = modified {
            m.finish()?;
        }
        Ok(())
    }

    /// `name`, or its nearest ancestor not in `gone` (`__first_version__`
    /// when there is none).
    fn surviving(&self, name: &str, gone: &HashSet<String>) -> Result<String> {
        let graph = self.src.graph()?;
        let mut at = Some(name.to_string());
        for _ in 0..=graph.all().len() {
            match at {
                Some(n) if n == FIRST_VERSION => break,
                Some(n) if !gone.contains(&n) => return Ok(n),
                Some(n) => at = graph.get(&n).and_then(|v| v.prev.clone()),
                None => break,
            }
        }
        Ok(FIRST_VERSION.to_string())
    }

    /// Paths of every dataset storage group (`raw_data` + `hash_table`).
    fn storage_paths(&self) -> Result<Vec<String>> {
        storage::storage_paths(&self.src.h5)
    }

    /// Keeps only the chunks surviving versions use, in their old slot
    /// order, as versioned-hdf5 does; the hash table keeps their digests.
    fn compact_storage(&self, p: &str, survivors: &[String]) -> Result<Remap> {
        let mut keep: BTreeMap<usize, Block> = BTreeMap::new();
        for v in survivors {
            if let Some(map) = self.chunk_map(v, p)? {
                for (_, block) in map.iter() {
                    keep.insert(block.start[0], block);
                }
            }
        }
        let from = self.src.h5.group(&layout::storage_path(p))?;
        let raw = from.dataset(RAW_DATA)?;
        let old_digests = digests_by_start(&from.dataset(HASH_TABLE)?)?;
        let chunks = storage::raw_chunks_if_any(&raw)?
            .ok_or_else(|| Error::bad_file("raw_data is not chunked"))?;
        let group = storage::create_storage_group(self.dst, p)?;
        let tid = h5::dataset_type(raw.id())?;
        let dcpl = h5::dataset_dcpl(raw.id())?;
        let shape = layout::raw_shape(keep.len(), &chunks);
        let new_raw = h5write::create_with_dcpl(group.id(), RAW_DATA, tid.id(), &shape, dcpl.id())?;
        copy_attrs(
            Target {
                loc: from.id(),
                obj: RAW_DATA,
            },
            Target::this(new_raw.id()),
            &[],
        )?;
        // Slots that are whole HDF5 chunks with a known digest move as
        // stored bytes: no inflate, no deflate (same filters, same chunks),
        // unless their elements point into the old file (vlen, references).
        let movable = !Dtype::from_type_id(tid.id())?.points_into_file()
            && h5::chunk_dims(dcpl.id())?.as_deref() == Some(chunks.as_slice());
        let mut remap = Remap::new();
        let mut rows = Vec::new();
        for (slot, (old_start, block)) in keep.iter().enumerate() {
            let start = layout::slot_start(slot, &chunks);
            let known = old_digests.get(old_start).copied();
            let stored = match known {
                Some(_) if movable && layout::is_slot_start(&block.start, &chunks) => {
                    h5::read_stored_chunk(raw.id(), &block.start)?
                }
                _ => None,
            };
            let d = match (stored, known) {
                (Some((bytes, mask)), Some(d)) => {
                    h5::write_stored_chunk(new_raw.id(), &start, mask, &bytes)?;
                    STORED_COPIES.fetch_add(1, Ordering::Relaxed);
                    d
                }
                _ => {
                    let data = storage::read_block(&raw, &block.start, &block.count)?;
                    h5write::write_block(new_raw.id(), tid.id(), &start, &data)?;
                    match known {
                        Some(d) => d,
                        None => digest(&data)?,
                    }
                }
            };
            rows.push(HashRow::for_slot(d, slot, &chunks, block.count[0]));
            remap.insert(*old_start, start[0]);
        }
        storage::create_hash_table(&group, &rows)?;
        Ok(remap)
    }

    /// The source version's chunk map of `p`, if it has that dataset (read
    /// from the file's bytes where it can, once per process).
    fn chunk_map(&self, version: &str, p: &str) -> Result<Option<Arc<ChunkMap>>> {
        self.src.chunk_map_of(version, p)
    }

    /// Through HDF5: the copy takes the VDS's own creation properties.
    fn open(&self, version: &str, p: &str) -> Result<Dataset> {
        self.src.dataset_via_hdf5(&stand_in(version), p)
    }

    /// Empty storage for the dataset `modify_metadata` rewrites.
    fn new_storage(&self, p: &str) -> Result<ModifiedStorage> {
        let (_, m) = self.plan.modify.as_ref().expect("modify plan");
        let group = storage::create_storage_group(self.dst, p)?;
        let spec = RawDataSpec {
            dtype: &m.dtype,
            chunks: &m.chunks,
            fill: &m.fill,
            filters: &m.filters,
        };
        let raw = storage::create_raw_data(&group, &spec)?;
        let fill_digest = fill_digest(&m.fill, &m.chunks)?;
        Ok(ModifiedStorage {
            group,
            raw_path: layout::raw_data_path(p),
            raw,
            tid: m.dtype.to_type_id()?,
            rows: Vec::new(),
            slots: HashMap::new(),
            fill_digest,
            memo: HashMap::new(),
        })
    }

    /// Recreates one version group with its subgroups and datasets.
    fn copy_version(
        &self,
        name: &str,
        versions: &Group,
        remaps: &HashMap<String, Remap>,
        mut modified: Option<&mut ModifiedStorage>,
    ) -> Result<()> {
        let src = self.src.version_root(name)?;
        let dst = versions.create_group(name)?;
        copy_attrs(
            Target::this(src.id()),
            Target::this(dst.id()),
            &[attr::PREV_VERSION],
        )?;
        let prev = match self.plan.prev.get(name) {
            Some(p) => Some(p.clone()),
            None => super::attrs::string_attr(&src, attr::PREV_VERSION)?,
        };
        if let Some(prev) = prev {
            h5write::write_string_attr(Target::this(dst.id()), attr::PREV_VERSION, &prev)?;
        }
        storage::walk_group(&src, "", &mut |path, kind| {
            let rel = &path[1..];
            let (from, to) = (
                Target {
                    loc: src.id(),
                    obj: rel,
                },
                Target {
                    loc: dst.id(),
                    obj: rel,
                },
            );
            match kind {
                LocationType::Group => {
                    drop(dst.create_group(rel)?);
                    copy_attrs(from, to, &[])
                }
                LocationType::Dataset if self.plan.dropped.contains(path) => Ok(()),
                LocationType::Dataset
                    if modified.is_some()
                        && self.plan.modify.as_ref().is_some_and(|(m, _)| m == path) =>
                {
                    let ds = self.open(name, path)?;
                    let (_, m) = self.plan.modify.as_ref().expect("modify plan");
                    modified
                        .as_deref_mut()
                        .expect("modified storage")
                        .add_version(&ds, m, &dst, rel, from)
                }
                LocationType::Dataset => match remaps.get(path) {
                    Some(remap) => self.remapped_vds(name, path, remap, &dst, from),
                    None => h5write::copy_object(from, to),
                },
                _ => Ok(()),
            }
        })
    }

    /// The VDS with its mappings moved to the compacted slots: from the
    /// file's bytes where the byte reader applies (HDF5 would decode and
    /// deep-copy every mapping just to open it), else through HDF5.
    fn remapped_vds(
        &self,
        version: &str,
        p: &str,
        remap: &Remap,
        dst: &Group,
        from: Target,
    ) -> Result<()> {
        let raw_path = layout::raw_data_path(p);
        let raw = self.dst.dataset(&raw_path)?;
        let tid = h5::dataset_type(raw.id())?;
        let (map, fill) = match self.src.raw_vds(version, p) {
            // As `vds_fill_bytes`: no fill stored for variable-length types.
            Some(v) if Dtype::from_type_id(tid.id())?.has_vlen() => (v.map, None),
            Some(v) => (v.map, v.fill),
            None => {
                let ds = self.open(version, p)?;
                let Some(map) = ds.chunk_map()? else {
                    return h5write::copy_object(
                        from,
                        Target {
                            loc: dst.id(),
                            obj: &p[1..],
                        },
                    );
                };
                (Arc::new(map.clone()), vds_fill_bytes(&ds)?)
            }
        };
        let mut mappings = map.mappings();
        for m in &mut mappings {
            let old = m.source_start[0];
            m.source_start[0] = *remap
                .get(&old)
                .ok_or_else(|| Error::runtime(format!("{p}: chunk at {old} not kept")))?;
        }
        let at = Target {
            loc: dst.id(),
            obj: &p[1..],
        };
        let vds = Vds {
            type_id: tid.id(),
            shape: &map.shape,
            fill: fill.as_deref(),
            mappings: &mappings,
        };
        storage::create_vds(at, &raw_path, raw.id(), &vds)?;
        copy_attrs(from, at, &[])
    }
}

/// The fill bytes stored in a version dataset's own property list.
fn vds_fill_bytes(ds: &Dataset) -> Result<Option<Vec<u8>>> {
    if ds.meta.dtype.has_vlen() {
        return Ok(None);
    }
    let dcpl = h5::dataset_dcpl(ds.h5.id())?;
    let tid = h5::dataset_type(ds.h5.id())?;
    Ok(h5::fill_value(dcpl.id(), tid.id())?)
}

/// A new chunk (grid index, extent) and the old regions it is read from.
type MemoKey = (Vec<usize>, Vec<usize>, Vec<(Vec<usize>, Option<Block>)>);

/// New storage for a dataset `modify_metadata` rewrites, filled version by
/// version with the commit algorithm (fill chunks dropped, dedup).
struct ModifiedStorage {
    group: Group,
    raw_path: String,
    raw: h5::Handle,
    tid: h5::Handle,
    rows: Vec<HashRow>,
    slots: HashMap<ChunkDigest, usize>,
    fill_digest: ChunkDigest,
    /// New chunks already computed, by the old regions they came from.
    memo: HashMap<MemoKey, Option<Block>>,
}

impl ModifiedStorage {
    fn add_version(
        &mut self,
        ds: &Dataset,
        m: &Modify,
        dst: &Group,
        rel: &str,
        from: Target,
    ) -> Result<()> {
        let shape = ds.meta.shape.clone();
        let old_map = ds.chunk_map()?.cloned();
        let grid = ChunkGrid::new(&shape, &m.chunks);
        let mut new_map = ChunkMap::empty(shape.clone(), m.chunks.clone(), self.raw_path.clone());
        for index in grid.positions() {
            let start = grid.start(&index);
            let extent = grid.extent(&index);
            let key = (
                index.clone(),
                extent.clone(),
                old_sources(old_map.as_ref(), &start, &extent),
            );
            let block = match self.memo.get(&key) {
                Some(b) => b.clone(),
                None => {
                    let b = self.store_chunk(ds, m, &start, &extent)?;
                    self.memo.insert(key, b.clone());
                    b
                }
            };
            if let Some(b) = block {
                new_map.insert(index, b);
            }
        }
        let to = Target {
            loc: dst.id(),
            obj: rel,
        };
        let vds = Vds {
            type_id: self.tid.id(),
            shape: &shape,
            fill: storage::stored_fill(&m.dtype, &m.fill),
            mappings: &new_map.mappings(),
        };
        storage::create_vds(to, &self.raw_path, self.raw.id(), &vds)?;
        copy_attrs(from, to, &[attr::CHUNKS])?;
        storage::write_chunks_attr(to, &m.chunks)
    }

    /// Reads, casts and refills one new chunk; stores it unless it is a full
    /// chunk of fill or already stored.
    fn store_chunk(
        &mut self,
        ds: &Dataset,
        m: &Modify,
        start: &[usize],
        extent: &[usize],
    ) -> Result<Option<Block>> {
        let sel = Selection::block(start, extent);
        // Stored values convert as HDF5 converts them (what h5py's astype
        // on a dataset does); unwritten cells are the old fill cast as NumPy would.
        let cast = ds
            .read_converted(&sel, &m.dtype, &m.implicit)
            .map_err(|e| e.context(&ds.meta.path))?;
        let refill = m.refill.as_ref().map(|old_fill| (old_fill, &m.fill));
        let data = cast_and_refill(&cast, &m.dtype, refill)?;
        let d = digest(&data)?;
        if extent == m.chunks.as_slice() && d == self.fill_digest {
            return Ok(None);
        }
        let slot = match self.slots.get(&d) {
            Some(&s) => s,
            None => {
                let s = self.rows.len();
                h5write::set_extent(self.raw.id(), &layout::raw_shape(s + 1, &m.chunks))?;
                let at = layout::slot_start(s, &m.chunks);
                h5write::write_block(self.raw.id(), self.tid.id(), &at, &data)?;
                self.rows
                    .push(HashRow::for_slot(d, s, &m.chunks, extent[0]));
                self.slots.insert(d, s);
                s
            }
        };
        Ok(Some(Block {
            start: layout::slot_start(slot, &m.chunks),
            count: extent.to_vec(),
        }))
    }

    fn finish(self) -> Result<()> {
        storage::create_hash_table(&self.group, &self.rows).map(drop)
    }
}

/// The old chunks (and where they were stored) a new chunk region reads.
fn old_sources(
    map: Option<&ChunkMap>,
    start: &[usize],
    extent: &[usize],
) -> Vec<(Vec<usize>, Option<Block>)> {
    let Some(map) = map else { return Vec::new() };
    map.grid()
        .overlapping(start, extent)
        .into_iter()
        .map(|index| {
            let block = map.get(&index);
            (index, block)
        })
        .collect()
}

/// Chunks moved as stored bytes (not inflated and deflated again) since the
/// process started: lets tests prove the fast path is taken.
static STORED_COPIES: AtomicU64 = AtomicU64::new(0);

pub fn stored_chunk_copies() -> u64 {
    STORED_COPIES.load(Ordering::Relaxed)
}

fn copy_attrs(from: Target, to: Target, skip: &[&str]) -> Result<()> {
    for name in h5write::attr_names(from)? {
        if !skip.contains(&name.as_str()) {
            h5write::copy_attr(from, to, &name)?;
        }
    }
    Ok(())
}

/// Digest of each valid hash-table row, by the row's slot start.
fn digests_by_start(table: &hdf5::Dataset) -> Result<HashMap<usize, ChunkDigest>> {
    let rows = storage::read_hash_rows(table, &table.name())?;
    Ok(rows
        .into_iter()
        .map(|row| (row.start.max(0) as usize, row.digest))
        .collect())
}
