//! Commit: writes a stage as a new version, exactly as versioned-hdf5's
//! `stage_version` lays it out on disk (format notes §8).
//!
//! Order: version group (uncommitted) → groups → per dataset: chunks,
//! hash rows, `largest_index`, then the virtual dataset → `committed` →
//! timestamp → `current_version` last (safer than Python's first). The file
//! is flushed after each step, so a crash anywhere leaves every earlier
//! version intact; a failure removes the half-written version group.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use hdf5::Group;

use super::chunkmap::ChunkMap;
use super::dtype::{ByteOrder, Dtype, Field};
use super::error::{bad_input, Error, Result};
use super::faults::Faults;
use super::file::{Vh5File, DATA_VERSION, FIRST_VERSION};
use super::h5::{self, Block, Hyperslab};
use super::h5write::{self, DatasetSpec, FilterSpec, NewMapping, Target, VirtualSource};
use super::hash::{digest, ChunkDigest};
use super::stage::{Stage, StagedDataset, StagedNode};
use super::tree::NodeKind;
use super::value::ValueGrid;
use super::versions::{Version, VersionSpec};

/// Rows of a hash table chunk (fixed by versioned-hdf5).
const HASH_TABLE_CHUNK: usize = 4096;
const STORED_TIME: &str = "%Y-%m-%d %H:%M:%S%.6f+0000";

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

/// Writes `stage` into the file at `path` as version `opts.name`.
pub fn commit(path: &Path, stage: &Stage, opts: &CommitOptions) -> Result<Version> {
    let file = Vh5File::open_rw(path)?;
    match file.kind {
        super::file::FileKind::Plain => bad_input!("{}: not a versioned file; vh5 writes only versioned-hdf5 files", path.display()),
        super::file::FileKind::Versioned { data_version } if data_version != DATA_VERSION => bad_input!(
            "{}: data_version {data_version}; open it once with versioned-hdf5 to upgrade before writing",
            path.display()
        ),
        _ => {}
    }
    check_version_name(&file, &opts.name)?;
    let versions = file.versions_group()?;
    if versions.link_exists(&opts.name) {
        // An uncommitted leftover of a crashed commit: not a version, ours to replace.
        versions.unlink(&opts.name)?;
    }
    let previous_current = super::attrs::string_attr(&versions, "current_version")?;
    let mut faults = Faults::from_env();
    let written = write_version(&file, &versions, stage, opts, &mut faults);
    if written.is_err() {
        // Like versioned-hdf5: drop the half-written version, restore the current one.
        if versions.link_exists(&opts.name) {
            let _ = versions.unlink(&opts.name);
        }
        if let Some(prev) = previous_current {
            let _ =
                h5write::write_string_attr(Target::this(versions.id()), "current_version", &prev);
        }
        let _ = file.h5.flush();
    }
    written
}

fn write_version(
    file: &Vh5File,
    versions: &Group,
    stage: &Stage,
    opts: &CommitOptions,
    faults: &mut Faults,
) -> Result<Version> {
    let now = Utc::now();
    let prev = stage
        .base
        .as_ref()
        .map_or(FIRST_VERSION, |b| b.name.as_str());
    let group = versions.create_group(&opts.name)?;
    let this = Target::this(group.id());
    h5write::write_string_attr(this, "prev_version", prev)?;
    h5write::write_bool_attr(this, "committed", false)?;
    h5write::write_string_attr(this, "timestamp", &now.format(STORED_TIME).to_string())?;
    faults.step(&file.h5, "version group")?;

    for (name, edit) in stage.attr_edits("/") {
        if let Some(value) = edit {
            h5write::write_attr(this, name, value)?;
        }
    }
    let base_root = match &stage.base {
        Some(b) => Some(file.version_root(&b.name)?),
        None => None,
    };
    for (path, kind) in stage.walk(file)? {
        let rel = &path[1..];
        match (kind, stage.lookup(file, &path)?) {
            (NodeKind::Group, node) => {
                drop(group.create_group(rel)?);
                let base = inherited(&base_root, node == Some(StagedNode::BaseGroup), rel);
                write_node_attrs(
                    stage,
                    &path,
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
                apply_attr_edits(stage, &path, to)?;
            }
            (NodeKind::Dataset, _) => {
                let ds = stage.staged(&path).expect("staged dataset");
                let base = inherited(&base_root, !ds.created, rel);
                write_dataset(file, &group, stage, &path, ds, base, faults)?;
            }
        }
        faults.step(&file.h5, &path)?;
    }
    h5write::write_bool_attr(this, "committed", true)?;
    faults.step(&file.h5, "committed")?;
    let when = opts.timestamp.unwrap_or(now);
    let text = when.format(STORED_TIME).to_string();
    h5write::write_string_attr(this, "timestamp", &text)?;
    faults.step(&file.h5, "timestamp")?;
    if opts.make_current {
        h5write::write_string_attr(Target::this(versions.id()), "current_version", &opts.name)?;
    }
    faults.step(&file.h5, "current_version")?;
    Ok(Version {
        name: opts.name.clone(),
        prev: stage.base.as_ref().map(|b| b.name.clone()),
        timestamp_text: Some(text),
        timestamp: Some(when),
        committed: true,
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
        let skip = super::attrs::VERSION_DATASET_SYSTEM_ATTRS;
        for name in h5write::attr_names(from)? {
            let edited = stage.attr_edits(path).any(|(n, _)| *n == name);
            if !edited && !skip.contains(&name.as_str()) {
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

fn hash_table_dtype() -> Dtype {
    let u8_ = Dtype::Int {
        size: 1,
        signed: false,
        order: ByteOrder::NotApplicable,
    };
    let i64_ = Dtype::Int {
        size: 8,
        signed: true,
        order: ByteOrder::Little,
    };
    Dtype::Compound {
        size: 48,
        fields: vec![
            Field {
                name: "hash".into(),
                offset: 0,
                dtype: Dtype::Array {
                    base: Box::new(u8_),
                    dims: vec![32],
                },
            },
            Field {
                name: "shape".into(),
                offset: 32,
                dtype: Dtype::Array {
                    base: Box::new(i64_),
                    dims: vec![2],
                },
            },
        ],
    }
}

impl HashTable {
    /// Loads rows `[0, largest_index)`, refusing a table whose rows do not
    /// describe slots in order (what `rebuild_hashtables()` leaves): Python
    /// appends at `largest_index` and would overwrite live data there.
    fn load(ds: hdf5::Dataset, c0: usize, path: &str) -> Result<HashTable> {
        let largest_index = super::attrs::int_attr(&ds, "largest_index")?
            .unwrap_or(0)
            .max(0) as usize;
        let mut slots = HashMap::new();
        if largest_index > 0 {
            let tid = h5::dataset_type(ds.id())?;
            if h5::type_size(tid.id()) != 48 {
                return Err(Error::bad_file(format!(
                    "{path}: unexpected hash table layout"
                )));
            }
            let mut buf = vec![0u8; largest_index * 48];
            let slab = Hyperslab {
                start: vec![0],
                stride: vec![1],
                count: vec![largest_index],
            };
            h5::read_hyperslab(
                ds.id(),
                tid.id(),
                &slab,
                &[largest_index],
                &Hyperslab {
                    start: vec![0],
                    ..slab.clone()
                },
                &mut buf,
            )?;
            for (i, row) in buf.chunks_exact(48).enumerate() {
                let start = i64::from_le_bytes(row[32..40].try_into().unwrap());
                if start != (i * c0) as i64 {
                    bad_input!(
                        "{path}: its hash table was rebuilt out of slot order (versioned-hdf5's \
                         rebuild_hashtables); refusing to write to it"
                    );
                }
                slots.entry(row[..32].try_into().unwrap()).or_insert(i);
            }
        }
        Ok(HashTable {
            ds,
            slots,
            largest_index,
        })
    }
}

/// `raw_data` and `hash_table` of a path, created on first use. Debris of
/// a crashed first commit (a group without both members) is replaced.
fn storage(
    file: &Vh5File,
    path: &str,
    ds: &StagedDataset,
) -> Result<(hdf5::Dataset, hdf5::Dataset)> {
    let group_path = format!("_version_data{path}");
    let complete = file.h5.link_exists(&group_path)
        && file.h5.group(&group_path)?.link_exists("raw_data")
        && file.h5.group(&group_path)?.link_exists("hash_table");
    if complete {
        let g = file.h5.group(&group_path)?;
        return Ok((g.dataset("raw_data")?, g.dataset("hash_table")?));
    }
    let g = match file.h5.link_exists(&group_path) {
        true => {
            let g = file.h5.group(&group_path)?;
            for member in ["raw_data", "hash_table"] {
                if g.link_exists(member) {
                    g.unlink(member)?;
                }
            }
            g
        }
        false => ensure_groups(&file.h5, &group_path)?,
    };
    let tid = ds.dtype.to_type_id()?;
    let mut shape = ds.chunks.clone();
    shape[0] = 0;
    let maxshape: Vec<Option<usize>> = std::iter::once(None)
        .chain(ds.chunks[1..].iter().map(|&c| Some(c)))
        .collect();
    let fill = (!ds.dtype.has_vlen()).then(|| ds.fill.raw_bytes());
    let raw = h5write::create_chunked(
        g.id(),
        "raw_data",
        &DatasetSpec {
            type_id: tid.id(),
            shape: &shape,
            maxshape: &maxshape,
            chunks: &ds.chunks,
            fill,
            filters: &ds.filters,
        },
    )?;
    let chunks: Vec<i64> = ds.chunks.iter().map(|&c| c as i64).collect();
    h5write::write_i64_attr(Target::this(raw.id()), "chunks", &chunks, false)?;
    let table = create_hash_table(&g)?;
    h5write::write_i64_attr(Target::this(table.id()), "largest_index", &[0], true)?;
    drop((raw, table));
    Ok((g.dataset("raw_data")?, g.dataset("hash_table")?))
}

/// An empty hash table (one zero row), with versioned-hdf5's fixed layout:
/// 4096-row chunks, LZF.
pub(crate) fn create_hash_table(group: &Group) -> Result<super::h5::Handle> {
    let ht = hash_table_dtype().to_type_id()?;
    h5write::create_chunked(
        group.id(),
        "hash_table",
        &DatasetSpec {
            type_id: ht.id(),
            shape: &[1],
            maxshape: &[None],
            chunks: &[HASH_TABLE_CHUNK],
            fill: None,
            filters: &[FilterSpec::Lzf],
        },
    )
}

/// The groups of `path` (relative to the root), created where missing.
pub(crate) fn ensure_groups(file: &hdf5::File, path: &str) -> Result<Group> {
    let mut g: Group = file.group("/")?;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        g = match g.link_exists(part) {
            true => g.group(part)?,
            false => g.create_group(part)?,
        };
    }
    Ok(g)
}

/// Stores a staged dataset's chunks (deduplicated) and creates its VDS.
fn write_dataset(
    file: &Vh5File,
    version: &Group,
    stage: &Stage,
    path: &str,
    ds: &StagedDataset,
    base: Option<Inherited>,
    faults: &mut Faults,
) -> Result<()> {
    let (raw, table_ds) = storage(file, path, ds)?;
    let raw_path = format!("/_version_data{path}/raw_data");
    let c0 = ds.chunks[0];
    let mut table = HashTable::load(table_ds, c0, path)?;
    let fill_digest = digest(&ValueGrid::filled(&ds.fill, ds.chunks.clone()))?;
    let mut map = match &ds.carried {
        Some(m) => m.retain_within(&ds.shape, |_| true),
        None => ChunkMap::empty(ds.shape.clone(), ds.chunks.clone(), raw_path.clone()),
    };
    let mut touched: Vec<(&Vec<usize>, &ValueGrid)> =
        ds.touched.iter().map(|(i, c)| (i, &c.data)).collect();
    touched.sort_by_key(|(i, _)| ds.touched[*i].order);
    let mut new_chunks: Vec<(usize, &ValueGrid, ChunkDigest)> = Vec::new();
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
        let mut start = vec![0; ds.chunks.len()];
        start[0] = slot * c0;
        map.insert(
            index.clone(),
            Block {
                start,
                count: data.shape.clone(),
            },
        );
    }
    let raw_type = h5::dataset_type(raw.id())?;
    if !new_chunks.is_empty() {
        let mut raw_shape = ds.chunks.clone();
        raw_shape[0] = (table.largest_index + new_chunks.len()) * c0;
        h5write::set_extent(raw.id(), &raw_shape)?;
        for (slot, data, _) in &new_chunks {
            let mut start = vec![0; ds.chunks.len()];
            start[0] = slot * c0;
            h5write::write_block(raw.id(), raw_type.id(), &start, data)?;
        }
        faults.step(&file.h5, &format!("{path} chunks"))?;
        let rows = table.largest_index + new_chunks.len();
        h5write::set_extent(table.ds.id(), &[rows.max(1)])?;
        let mut bytes = Vec::with_capacity(new_chunks.len() * 48);
        for (slot, data, d) in &new_chunks {
            bytes.extend_from_slice(d);
            bytes.extend_from_slice(&((slot * c0) as i64).to_le_bytes());
            bytes.extend_from_slice(&((slot * c0 + data.shape[0]) as i64).to_le_bytes());
        }
        let ht = h5::dataset_type(table.ds.id())?;
        h5write::write_bytes(
            table.ds.id(),
            ht.id(),
            &[table.largest_index],
            &[new_chunks.len()],
            &bytes,
        )?;
        faults.step(&file.h5, &format!("{path} hash rows"))?;
        h5write::write_i64_attr(
            Target::this(table.ds.id()),
            "largest_index",
            &[rows as i64],
            true,
        )?;
        faults.step(&file.h5, &format!("{path} largest_index"))?;
    }
    let (raw_shape, _) = h5::dataset_extent(raw.id())?;
    let mappings: Vec<NewMapping> = map
        .iter()
        .map(|(index, block)| NewMapping {
            virtual_start: map.chunk_start(index),
            count: block.count.clone(),
            source_start: block.start.clone(),
        })
        .collect();
    let fill = (!ds.dtype.has_vlen()).then(|| ds.fill.raw_bytes());
    let source = VirtualSource {
        dataset: &raw_path,
        shape: &raw_shape,
        mappings: &mappings,
    };
    let at = Target {
        loc: version.id(),
        obj: &path[1..],
    };
    drop(h5write::create_virtual(
        at,
        raw_type.id(),
        &ds.shape,
        fill,
        &source,
    )?);
    let vds = Target {
        loc: version.id(),
        obj: &path[1..],
    };
    write_node_attrs(stage, path, vds, base)?;
    h5write::write_string_attr(vds, "raw_data", &raw_path)?;
    let chunks: Vec<i64> = ds.chunks.iter().map(|&c| c as i64).collect();
    h5write::write_i64_attr(vds, "chunks", &chunks, false)?;
    Ok(())
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
    let file = Vh5File::open_rw(path)?;
    let versions = file.versions_group()?;
    h5write::write_string_attr(
        Target::this(versions.id()),
        "current_version",
        &version.name,
    )?;
    file.h5.flush()?;
    Ok(version)
}
