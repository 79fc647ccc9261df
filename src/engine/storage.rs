//! versioned-hdf5's storage objects (see `layout`), made and read as it
//! makes and reads them: a dataset path's storage group with its
//! `raw_data` and `hash_table`, and the virtual dataset each version holds
//! at the path.

use hdf5::{Group, LocationType};
use hdf5_sys::h5i::hid_t;

use super::attrs;
use super::codec;
use super::dtype::Dtype;
use super::error::{Error, Result};
use super::h5::{self, Handle, Hyperslab};
use super::h5write::{self, DatasetSpec, FilterSpec, NewMapping, Target, VirtualSource};
use super::layout::{
    attr, raw_shape, storage_path, HashRow, FILTER_LZF, HASH_ROW_BYTES, HASH_TABLE,
    HASH_TABLE_CHUNK, RAW_DATA, TMP, VERSIONS, VERSION_DATA,
};
use super::value::ValueGrid;

/// What a path's `raw_data` pins for all its versions.
pub struct RawDataSpec<'a> {
    pub dtype: &'a Dtype,
    pub chunks: &'a [usize],
    /// One element.
    pub fill: &'a ValueGrid,
    pub filters: &'a [FilterSpec],
}

/// A dataset path's storage group, made with any missing parents.
pub fn create_storage_group(file: &hdf5::File, path: &str) -> Result<Group> {
    let mut g: Group = file.group("/")?;
    for part in storage_path(path).split('/').filter(|p| !p.is_empty()) {
        g = match g.link_exists(part) {
            true => g.group(part)?,
            false => g.create_group(part)?,
        };
    }
    Ok(g)
}

/// Whether a storage group holds both its `raw_data` and `hash_table`.
pub fn is_complete(group: &Group) -> bool {
    group.link_exists(RAW_DATA) && group.link_exists(HASH_TABLE)
}

/// An empty `raw_data` (no slots yet), growable along axis 0, with its
/// `chunks` attribute.
pub fn create_raw_data(group: &Group, spec: &RawDataSpec) -> Result<Handle> {
    let tid = spec.dtype.to_type_id()?;
    let maxshape: Vec<Option<usize>> = std::iter::once(None)
        .chain(spec.chunks[1..].iter().map(|&c| Some(c)))
        .collect();
    let raw = h5write::create_chunked(
        group.id(),
        RAW_DATA,
        &DatasetSpec {
            type_id: tid.id(),
            shape: &raw_shape(0, spec.chunks),
            maxshape: &maxshape,
            chunks: spec.chunks,
            fill: stored_fill(spec.dtype, spec.fill),
            filters: spec.filters,
        },
    )?;
    write_chunks_attr(Target::this(raw.id()), spec.chunks)?;
    Ok(raw)
}

/// A fill value as versioned-hdf5 puts it in a property list: not at all
/// for variable-length types.
pub fn stored_fill<'a>(dtype: &Dtype, fill: &'a ValueGrid) -> Option<&'a [u8]> {
    (!dtype.has_vlen()).then(|| fill.raw_bytes())
}

/// The `chunks` attribute of a `raw_data` or a version dataset.
pub fn write_chunks_attr(at: Target, chunks: &[usize]) -> Result<()> {
    let chunks: Vec<i64> = chunks.iter().map(|&c| c as i64).collect();
    h5write::write_i64_attr(at, attr::CHUNKS, &chunks, false)
}

/// The chunk shape of every version of a path: its `raw_data`'s `chunks`
/// attribute, else the `raw_data`'s own chunking (`raw_path` names it in
/// the error when it has neither).
pub fn raw_chunks(raw: &hdf5::Dataset, raw_path: &str) -> Result<Vec<usize>> {
    raw_chunks_if_any(raw)?.ok_or_else(|| Error::bad_file(format!("{raw_path} is not chunked")))
}

/// [`raw_chunks`], `None` when the `raw_data` is not chunked.
pub fn raw_chunks_if_any(raw: &hdf5::Dataset) -> Result<Option<Vec<usize>>> {
    match attrs::int_list_attr(raw, attr::CHUNKS)? {
        Some(c) => Ok(Some(c.into_iter().map(|v| v as usize).collect())),
        None => {
            let dcpl = h5::dataset_dcpl(raw.id())?;
            Ok(h5::chunk_dims(dcpl.id())?)
        }
    }
}

/// A `hash_table` holding `rows`, in versioned-hdf5's fixed layout
/// (4096-row chunks, LZF, at least one row) with its `largest_index`.
pub fn create_hash_table(group: &Group, rows: &[HashRow]) -> Result<Handle> {
    let ht = HashRow::dtype().to_type_id()?;
    let table = h5write::create_chunked(
        group.id(),
        HASH_TABLE,
        &DatasetSpec {
            type_id: ht.id(),
            shape: &[1],
            maxshape: &[None],
            chunks: &[HASH_TABLE_CHUNK],
            fill: None,
            filters: &[FilterSpec::Lzf],
        },
    )?;
    write_hash_rows(table.id(), 0, rows)?;
    set_largest_index(table.id(), rows.len())?;
    Ok(table)
}

/// Writes `rows` from row `at` on, growing the table to end with them.
/// `largest_index` is left to [`set_largest_index`], written after.
pub fn write_hash_rows(table: hid_t, at: usize, rows: &[HashRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    h5write::set_extent(table, &[at + rows.len()])?;
    let bytes = HashRow::encode(rows);
    if append_to_lzf_chunk(table, at, &bytes)? {
        return Ok(());
    }
    let tid = h5::dataset_type(table)?;
    h5write::write_bytes(table, tid.id(), &[at], &[rows.len()], &bytes)
}

/// Rows appended inside one stored LZF chunk: the chunk's stream is
/// extended (`codec::lzf_append`) rather than the whole chunk compressed
/// again by HDF5, which took 1.3 ms of a one-cell commit for a 4,096-row
/// chunk. `false` where that does not apply (another pipeline, rows across
/// chunks, a new chunk): HDF5 writes them.
fn append_to_lzf_chunk(table: hid_t, at: usize, rows: &[u8]) -> Result<bool> {
    let dcpl = h5::dataset_dcpl(table)?;
    let only_lzf = matches!(&h5::filters(dcpl.id())?[..], [f] if f.id == FILTER_LZF);
    let chunk_rows = match h5::chunk_dims(dcpl.id())?.as_deref() {
        Some(&[n]) if n > 0 => n,
        _ => return Ok(false),
    };
    let first = at / chunk_rows * chunk_rows;
    let ends_in_chunk = (at + rows.len() / HASH_ROW_BYTES) <= first + chunk_rows;
    if !only_lzf || !ends_in_chunk {
        return Ok(false);
    }
    let Some((stored, 0)) = h5::read_stored_chunk(table, &[first])? else {
        return Ok(false);
    };
    let size = chunk_rows * HASH_ROW_BYTES;
    let Some(mut chunk) = codec::lzf_decompress(&stored, size) else {
        return Ok(false);
    };
    let keep = (at - first) * HASH_ROW_BYTES;
    chunk[keep..keep + rows.len()].copy_from_slice(rows);
    chunk[keep + rows.len()..].fill(0);
    match codec::lzf_append(&stored, &chunk, keep) {
        Some(bytes) => {
            h5::write_stored_chunk(table, &[first], 0, &bytes)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Records how many rows of a `hash_table` are in use.
pub fn set_largest_index(table: hid_t, rows: usize) -> Result<()> {
    h5write::write_i64_attr(
        Target::this(table),
        attr::LARGEST_INDEX,
        &[rows as i64],
        true,
    )
}

/// The rows in use (the first `largest_index`). `owner` names the table in
/// the error for rows of an unexpected layout.
pub fn read_hash_rows(table: &hdf5::Dataset, owner: &str) -> Result<Vec<HashRow>> {
    let n = attrs::int_attr(table, attr::LARGEST_INDEX)?
        .unwrap_or(0)
        .max(0) as usize;
    if n == 0 {
        return Ok(Vec::new());
    }
    let tid = h5::dataset_type(table.id())?;
    if h5::type_size(tid.id()) != HASH_ROW_BYTES {
        return Err(Error::bad_file(format!(
            "{owner}: unexpected hash table layout"
        )));
    }
    let mut buf = vec![0u8; n * HASH_ROW_BYTES];
    let rows = Hyperslab {
        start: vec![0],
        stride: vec![1],
        count: vec![n],
    };
    h5::read_hyperslab(table.id(), tid.id(), &rows, &[n], &rows, &mut buf)?;
    Ok(HashRow::decode(&buf))
}

/// A version dataset as versioned-hdf5 writes it: a virtual dataset over
/// the path's `raw_data`, one mapping per stored chunk.
pub struct Vds<'a> {
    pub type_id: hid_t,
    pub shape: &'a [usize],
    /// The fill value's bytes (see [`stored_fill`]).
    pub fill: Option<&'a [u8]>,
    pub mappings: &'a [NewMapping],
}

/// Creates `vds` at `at`, reading from the `raw_data` `raw` at `raw_path`
/// (its extent as it is now).
pub fn create_vds(at: Target, raw_path: &str, raw: hid_t, vds: &Vds) -> Result<()> {
    let (raw_shape, _) = h5::dataset_extent(raw)?;
    let source = VirtualSource {
        dataset: raw_path,
        shape: &raw_shape,
        mappings: vds.mappings,
    };
    drop(h5write::create_virtual(
        at,
        vds.type_id,
        vds.shape,
        vds.fill,
        &source,
    )?);
    Ok(())
}

/// Visits every group and dataset below `group` (paths from its root),
/// parents first.
pub fn walk_group(
    group: &Group,
    prefix: &str,
    visit: &mut dyn FnMut(&str, LocationType) -> Result<()>,
) -> Result<()> {
    let mut names = group.member_names()?;
    names.sort();
    for name in names {
        let path = format!("{prefix}/{name}");
        let Ok(kind) = group.loc_type_by_name(&name) else {
            continue;
        };
        visit(&path, kind)?;
        if kind == LocationType::Group {
            walk_group(&group.group(&name)?, &path, visit)?;
        }
    }
    Ok(())
}

/// A group of `_version_data` (outside the versions) holding a dataset
/// path's `raw_data` or `hash_table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageGroup {
    /// The dataset path it stores (`/g/x` for `_version_data/g/x`).
    pub path: String,
    pub has_raw_data: bool,
    pub has_hash_table: bool,
}

impl StorageGroup {
    pub fn is_complete(&self) -> bool {
        self.has_raw_data && self.has_hash_table
    }
}

/// The dataset path of every complete storage group (`raw_data` and
/// `hash_table`) in `_version_data`: every path versioned-hdf5
/// keeps data for, whether or not a version still holds it.
pub fn storage_paths(file: &hdf5::File) -> Result<Vec<String>> {
    Ok(storage_groups(file)?
        .into_iter()
        .filter(|g| g.is_complete())
        .map(|g| g.path)
        .collect())
}

/// Every storage group of a versioned file, complete or not, by path.
pub fn storage_groups(file: &hdf5::File) -> Result<Vec<StorageGroup>> {
    let root = file.group(VERSION_DATA)?;
    let mut out = Vec::new();
    walk_group(&root, "", &mut |path, kind| {
        let rel = &path[1..];
        if kind != LocationType::Group || rel.split('/').next() == Some(VERSIONS) || rel == TMP {
            return Ok(());
        }
        let g = root.group(rel)?;
        let (has_raw_data, has_hash_table) = (g.link_exists(RAW_DATA), g.link_exists(HASH_TABLE));
        if has_raw_data || has_hash_table {
            out.push(StorageGroup {
                path: path.to_string(),
                has_raw_data,
                has_hash_table,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

/// Reads a block of any dataset into a grid of the dataset's own type.
pub fn read_block(ds: &hdf5::Dataset, start: &[usize], count: &[usize]) -> Result<ValueGrid> {
    let tid = h5::dataset_type(ds.id())?;
    let dtype = Dtype::from_type_id(tid.id())?;
    let n: usize = count.iter().product();
    let mut buf = vec![0u8; n * dtype.size()];
    let file = Hyperslab {
        start: start.to_vec(),
        stride: vec![1; start.len()],
        count: count.to_vec(),
    };
    let mem = Hyperslab {
        start: vec![0; start.len()],
        stride: vec![1; start.len()],
        count: count.to_vec(),
    };
    h5::read_hyperslab(ds.id(), tid.id(), &file, count, &mem, &mut buf)?;
    // Safety: vlen slots hold strings the read allocated.
    Ok(unsafe { ValueGrid::from_hdf5_buffer(dtype, count.to_vec(), buf) })
}
