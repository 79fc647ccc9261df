//! Commit: writes a stage as a new version, exactly as versioned-hdf5's
//! `stage_version` lays it out on disk (format notes §8).
//!
//! Order: version group (uncommitted) → groups → per dataset: chunks,
//! hash rows, `largest_index`, then the virtual dataset → `committed` →
//! timestamp → `current_version` last (safer than Python's first). A flush
//! separates each write from the ones that must not reach the disk before
//! it: new chunks before the hash rows that point at them, those before
//! `largest_index`, the whole new version before its `committed` flag,
//! that before `current_version`.
//! So a crash anywhere leaves every earlier version intact; a failure
//! removes the half-written version group.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use hdf5::Group;

use super::chunkmap::ChunkMap;
use super::codec::Encoder;
use super::error::{bad_input, Result};
use super::faults::Faults;
use super::file::{FileKind, Vh5File};
use super::h5::{self, Block};
use super::h5write::{self, FilterSpec, Target};
use super::hash::{digest, fill_digest, ChunkDigest};
use super::layout::{
    self, attr, format_timestamp, HashRow, DATA_VERSION, FILTER_DEFLATE, FILTER_FLETCHER32,
    FILTER_SHUFFLE, FIRST_VERSION, HASH_TABLE, RAW_DATA, VERSION_DATASET_SYSTEM_ATTRS,
};
use super::progress::{Progress, ProgressFn};
use super::stage::{Stage, StagedDataset, StagedNode};
use super::storage::{self, RawDataSpec, Vds};
use super::tree::NodeKind;
use super::value::ValueGrid;
use super::versions::{Version, VersionSpec};

/// What a commit wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitSummary {
    pub version: Version,
    /// Chunks stored anew in `raw_data`.
    pub chunks_written: usize,
    /// Changed chunks whose content was already stored (the hash table's
    /// deduplication): mapped to the existing slot.
    pub chunks_deduplicated: usize,
    /// Chunks of changed datasets left as they were: their mappings carried.
    pub chunks_shared: usize,
    /// Unchanged datasets, carried whole (their chunks shared).
    pub datasets_unchanged: usize,
}

/// Chunk counts, summed over the datasets a commit writes.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    written: usize,
    deduplicated: usize,
    shared: usize,
    unchanged: usize,
}

#[derive(Debug, Clone)]
pub struct CommitOptions {
    pub name: String,
    /// Commit time; now when `None`.
    pub timestamp: Option<DateTime<Utc>>,
    pub make_current: bool,
}

/// Checks a new version name the way versioned-hdf5 would accept it.
pub fn check_version_name(file: &Vh5File, name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        bad_input!("version name {name:?}: must be non-empty and contain no '/'");
    }
    if name == FIRST_VERSION {
        bad_input!("version name {FIRST_VERSION} is reserved");
    }
    if VersionSpec::parse(name)
        .map(|s| !matches!(s, VersionSpec::Name(_)))
        .unwrap_or(true)
    {
        bad_input!("version name {name:?} would read as a version number or time");
    }
    if file.version(name)?.is_some_and(|v| v.committed) {
        bad_input!("version {name:?} already exists");
    }
    Ok(())
}

/// Writes `stage` into the file at `path` as version `opts.name`,
/// reporting a step per node written.
pub fn commit(
    path: &Path,
    stage: &Stage,
    opts: &CommitOptions,
    progress: ProgressFn,
) -> Result<CommitSummary> {
    let mut file = Vh5File::open_rw(path)?;
    match file.kind {
        FileKind::Plain => bad_input!("{}: not a versioned file; vh5 writes only versioned-hdf5 files", path.display()),
        FileKind::Versioned { data_version } if data_version != DATA_VERSION => bad_input!(
            "{}: data_version {data_version}; open it once with versioned-hdf5 to upgrade before writing",
            path.display()
        ),
        _ => {}
    }
    check_version_name(&file, &opts.name)?;
    file.remove_debris()?;
    let versions = file.versions_group()?;
    if versions.link_exists(&opts.name) {
        // An uncommitted leftover of a crashed commit: not a version, ours to replace.
        versions.unlink(&opts.name)?;
    }
    let previous_current = super::attrs::string_attr(&versions, attr::CURRENT_VERSION)?;
    let new_storage = new_storage_roots(&file, stage)?;
    let mut faults = Faults::from_env();
    let written = write_version(&file, &versions, stage, opts, &mut faults, progress);
    if written.is_err() {
        // Like versioned-hdf5: drop the half-written version, restore the
        // current one; and the storage this commit began.
        if versions.link_exists(&opts.name) {
            let _ = versions.unlink(&opts.name);
        }
        for group in &new_storage {
            let _ = file.h5.unlink(group);
        }
        if let Some(prev) = previous_current {
            let _ = h5write::write_string_attr(
                Target::this(versions.id()),
                attr::CURRENT_VERSION,
                &prev,
            );
        }
        let _ = file.h5.flush();
    }
    written
}

/// The storage groups a commit would create, the outermost missing one
/// per new dataset path.
fn new_storage_roots(file: &Vh5File, stage: &Stage) -> Result<Vec<String>> {
    let mut roots = Vec::new();
    for (path, kind) in stage.walk(file)? {
        if kind != NodeKind::Dataset || stage.staged(&path).is_none() {
            continue;
        }
        let mut at = layout::VERSION_DATA.to_string();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at = format!("{at}/{part}");
            if !file.h5.link_exists(&at) {
                if !roots.contains(&at) {
                    roots.push(at.clone());
                }
                break;
            }
        }
    }
    Ok(roots)
}

fn write_version(
    file: &Vh5File,
    versions: &Group,
    stage: &Stage,
    opts: &CommitOptions,
    faults: &mut Faults,
    progress: ProgressFn,
) -> Result<CommitSummary> {
    let now = Utc::now();
    let prev = stage.base().map_or(FIRST_VERSION, |b| b.name.as_str());
    let group = versions.create_group(&opts.name)?;
    let this = Target::this(group.id());
    h5write::write_string_attr(this, attr::PREV_VERSION, prev)?;
    h5write::write_bool_attr(this, attr::COMMITTED, false)?;
    h5write::write_string_attr(this, attr::TIMESTAMP, &format_timestamp(&now))?;
    faults.step(&file.h5, "version group")?;

    for (name, edit) in stage.attr_edits("/") {
        if let Some(value) = edit {
            h5write::write_attr(this, name, value)?;
        }
    }
    // Unchanged nodes come from the stage's source (its base, or the
    // version it restored).
    let base_root = match stage.source() {
        Some(b) => Some(file.version_root(&b.name)?),
        None => None,
    };
    let nodes = stage.walk(file)?;
    let mut counts = Counts::default();
    for (done, (path, kind)) in nodes.iter().enumerate() {
        let path = path.as_str();
        let kind = *kind;
        let rel = &path[1..];
        match (kind, stage.lookup(file, path)?) {
            (NodeKind::Group, node) => {
                drop(group.create_group(rel)?);
                let base = inherited(&base_root, node == Some(StagedNode::BaseGroup), rel);
                write_node_attrs(
                    stage,
                    path,
                    Target {
                        loc: group.id(),
                        obj: rel,
                    },
                    base,
                )?;
            }
            // Unchanged: versioned-hdf5 copies the VDS object (H5Ocopy).
            (NodeKind::Dataset, Some(StagedNode::BaseDataset)) => {
                let root = base_root.as_ref().expect("base dataset has a base");
                let to = Target {
                    loc: group.id(),
                    obj: rel,
                };
                h5write::copy_object(
                    Target {
                        loc: root.id(),
                        obj: rel,
                    },
                    to,
                )?;
                apply_attr_edits(stage, path, to)?;
                counts.unchanged += 1;
            }
            (NodeKind::Dataset, _) => {
                let ds = stage.staged(path).expect("staged dataset");
                let base = inherited(&base_root, !ds.created, rel);
                write_dataset(file, &group, stage, path, ds, base, faults, &mut counts)?;
            }
        }
        faults.point(path)?;
        progress(&Progress {
            done: done + 1,
            total: nodes.len(),
            message: path.to_string(),
        });
    }
    faults.step(&file.h5, "version written")?;
    h5write::write_bool_attr(this, attr::COMMITTED, true)?;
    faults.point("committed")?;
    let when = opts.timestamp.unwrap_or(now);
    let text = format_timestamp(&when);
    h5write::write_string_attr(this, attr::TIMESTAMP, &text)?;
    faults.step(&file.h5, "timestamp")?;
    if opts.make_current {
        h5write::write_string_attr(
            Target::this(versions.id()),
            attr::CURRENT_VERSION,
            &opts.name,
        )?;
    }
    faults.step(&file.h5, "current_version")?;
    Ok(CommitSummary {
        version: Version {
            name: opts.name.clone(),
            prev: stage.base().map(|b| b.name.clone()),
            timestamp_text: Some(text),
            timestamp: Some(when),
            committed: true,
        },
        chunks_written: counts.written,
        chunks_deduplicated: counts.deduplicated,
        chunks_shared: counts.shared,
        datasets_unchanged: counts.unchanged,
    })
}

/// Where a node's inherited attributes live: the base version's root
/// group and the node's path under it.
struct Inherited<'a> {
    root: &'a Group,
    rel: &'a str,
}

fn inherited<'a>(
    base_root: &'a Option<Group>,
    inherits: bool,
    rel: &'a str,
) -> Option<Inherited<'a>> {
    match (base_root, inherits) {
        (Some(root), true) => Some(Inherited { root, rel }),
        _ => None,
    }
}

/// Inherited attributes copied with their exact types, then the edits.
fn write_node_attrs(stage: &Stage, path: &str, dst: Target, base: Option<Inherited>) -> Result<()> {
    if let Some(base) = base {
        let from = Target {
            loc: base.root.id(),
            obj: base.rel,
        };
        for name in h5write::attr_names(from)? {
            let edited = stage.attr_edits(path).any(|(n, _)| *n == name);
            if !edited && !VERSION_DATASET_SYSTEM_ATTRS.contains(&name.as_str()) {
                h5write::copy_attr(from, dst, &name)?;
            }
        }
    }
    apply_attr_edits(stage, path, dst)
}

fn apply_attr_edits(stage: &Stage, path: &str, dst: Target) -> Result<()> {
    for (name, edit) in stage.attr_edits(path) {
        match edit {
            Some(value) => h5write::write_attr(dst, name, value)?,
            None => h5write::delete_attr(dst, name)?,
        }
    }
    Ok(())
}

/// The hash table of one dataset: digest → slot, for deduplication.
struct HashTable {
    ds: hdf5::Dataset,
    slots: HashMap<ChunkDigest, usize>,
    largest_index: usize,
}

impl HashTable {
    /// Loads rows `[0, largest_index)`, refusing a table whose rows do not
    /// describe slots in order (what `rebuild_hashtables()` leaves): Python
    /// appends at `largest_index` and would overwrite live data there.
    fn load(ds: hdf5::Dataset, chunks: &[usize], path: &str) -> Result<HashTable> {
        let rows = storage::read_hash_rows(&ds, path)?;
        let mut slots = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            if row.start != layout::slot_row(i, chunks) as i64 {
                bad_input!(
                    "{path}: its hash table was rebuilt out of slot order (versioned-hdf5's \
                     rebuild_hashtables); refusing to write to it"
                );
            }
            slots.entry(row.digest).or_insert(i);
        }
        Ok(HashTable {
            ds,
            slots,
            largest_index: rows.len(),
        })
    }
}

/// `raw_data` and `hash_table` of a path, created on first use. Debris of
/// a crashed first commit (a group without both members) is replaced.
fn open_storage(
    file: &Vh5File,
    path: &str,
    ds: &StagedDataset,
) -> Result<(hdf5::Dataset, hdf5::Dataset)> {
    let group_path = layout::storage_path(path);
    let complete =
        file.h5.link_exists(&group_path) && storage::is_complete(&file.h5.group(&group_path)?);
    if complete {
        let g = file.h5.group(&group_path)?;
        return Ok((g.dataset(RAW_DATA)?, g.dataset(HASH_TABLE)?));
    }
    let g = match file.h5.link_exists(&group_path) {
        true => {
            let g = file.h5.group(&group_path)?;
            for member in [RAW_DATA, HASH_TABLE] {
                if g.link_exists(member) {
                    g.unlink(member)?;
                }
            }
            g
        }
        false => storage::create_storage_group(&file.h5, path)?,
    };
    let spec = RawDataSpec {
        dtype: &ds.dtype,
        chunks: &ds.chunks,
        fill: &ds.fill,
        filters: &ds.filters,
    };
    let raw = storage::create_raw_data(&g, &spec)?;
    let table = storage::create_hash_table(&g, &[])?;
    drop((raw, table));
    Ok((g.dataset(RAW_DATA)?, g.dataset(HASH_TABLE)?))
}

/// Stores a staged dataset's chunks (deduplicated) and creates its VDS.
#[allow(clippy::too_many_arguments)]
fn write_dataset(
    file: &Vh5File,
    version: &Group,
    stage: &Stage,
    path: &str,
    ds: &StagedDataset,
    base: Option<Inherited>,
    faults: &mut Faults,
    counts: &mut Counts,
) -> Result<()> {
    let (raw, table_ds) = open_storage(file, path, ds)?;
    let raw_path = layout::raw_data_path(path);
    let mut table = HashTable::load(table_ds, &ds.chunks, path)?;
    let fill_digest = fill_digest(&ds.fill, &ds.chunks)?;
    let mut map = match &ds.carried {
        Some(m) => m.retain_within(&ds.shape, |_| true),
        None => ChunkMap::empty(ds.shape.clone(), ds.chunks.clone(), raw_path.clone()),
    };
    let mut touched: Vec<(&Vec<usize>, &ValueGrid)> =
        ds.touched.iter().map(|(i, c)| (i, &c.data)).collect();
    touched.sort_by_key(|(i, _)| ds.touched[*i].order);
    let mut new_chunks: Vec<(usize, &ValueGrid, ChunkDigest)> = Vec::new();
    counts.shared += map
        .iter()
        .filter(|(i, _)| !ds.touched.contains_key(i))
        .count();
    for (index, data) in touched {
        let d = digest(data)?;
        map.remove(index);
        if data.shape == ds.chunks && d == fill_digest {
            continue; // a full chunk of fill value is never stored
        }
        let slot = *table.slots.entry(d).or_insert_with(|| {
            new_chunks.push((table.largest_index + new_chunks.len(), data, d));
            table.largest_index + new_chunks.len() - 1
        });
        map.insert(
            index.clone(),
            Block {
                start: layout::slot_start(slot, &ds.chunks),
                count: data.shape.clone(),
            },
        );
    }
    counts.written += new_chunks.len();
    counts.deduplicated += map
        .iter()
        .filter(|(i, _)| ds.touched.contains_key(i))
        .count();
    counts.deduplicated -= new_chunks.len();
    let raw_type = h5::dataset_type(raw.id())?;
    if !new_chunks.is_empty() {
        let rows = table.largest_index + new_chunks.len();
        h5write::set_extent(raw.id(), &layout::raw_shape(rows, &ds.chunks))?;
        let encoder = chunk_encoder(ds);
        for (slot, data, _) in &new_chunks {
            let start = layout::slot_start(*slot, &ds.chunks);
            match &encoder {
                // A whole chunk: encoded here, stored as it is.
                Some(e) if data.shape == ds.chunks => {
                    h5::write_stored_chunk(raw.id(), &start, 0, &e.encode(data.raw_bytes())?)?
                }
                _ => h5write::write_block(raw.id(), raw_type.id(), &start, data)?,
            }
        }
        faults.step(&file.h5, &format!("{path} chunks"))?;
        let new_rows: Vec<HashRow> = new_chunks
            .iter()
            .map(|(slot, data, d)| HashRow::for_slot(*d, *slot, &ds.chunks, data.shape[0]))
            .collect();
        storage::write_hash_rows(table.ds.id(), table.largest_index, &new_rows)?;
        faults.step(&file.h5, &format!("{path} hash rows"))?;
        storage::set_largest_index(table.ds.id(), rows)?;
        faults.step(&file.h5, &format!("{path} largest_index"))?;
    }
    let vds = Target {
        loc: version.id(),
        obj: &path[1..],
    };
    let spec = Vds {
        type_id: raw_type.id(),
        shape: &ds.shape,
        fill: storage::stored_fill(&ds.dtype, &ds.fill),
        mappings: &map.mappings(),
    };
    storage::create_vds(vds, &raw_path, raw.id(), &spec)?;
    write_node_attrs(stage, path, vds, base)?;
    h5write::write_string_attr(vds, attr::RAW_DATA, &raw_path)?;
    storage::write_chunks_attr(vds, &ds.chunks)
}

/// The encoder of a dataset's new chunks when `codec` knows its filters
/// and its elements are stored as they are held (no strings or references
/// for HDF5 to convert).
fn chunk_encoder(ds: &StagedDataset) -> Option<Encoder> {
    if ds.dtype.has_vlen() || ds.dtype.has_refs() {
        return None;
    }
    let filters: Option<Vec<(i32, u32)>> = ds
        .filters
        .iter()
        .map(|f| match f {
            FilterSpec::Shuffle => Some((FILTER_SHUFFLE, 0)),
            FilterSpec::Deflate(level) => Some((FILTER_DEFLATE, *level)),
            FilterSpec::Fletcher32 => Some((FILTER_FLETCHER32, 0)),
            FilterSpec::Lzf | FilterSpec::Other(..) => None,
        })
        .collect();
    Encoder::new(&filters?, ds.dtype.size())
}

/// Makes a committed version the current one.
pub fn set_current(path: &Path, spec: &VersionSpec) -> Result<Version> {
    // Resolve read-only first: a refused request must not touch the file.
    let version = {
        let file = Vh5File::open(path)?;
        if !file.is_versioned() {
            bad_input!("{}: not a versioned file", path.display());
        }
        file.resolve_version(Some(spec))?
    };
    let mut file = Vh5File::open_rw(path)?;
    file.remove_debris()?;
    let versions = file.versions_group()?;
    h5write::write_string_attr(
        Target::this(versions.id()),
        attr::CURRENT_VERSION,
        &version.name,
    )?;
    file.h5.flush()?;
    Ok(version)
}
