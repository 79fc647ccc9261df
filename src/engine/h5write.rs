//! The HDF5 C calls for writing: datasets with exact creation properties,
//! virtual datasets, extents, hyperslab writes and typed attributes.

use std::ffi::CString;
use std::os::raw::c_void;

use hdf5_sys::h5::hsize_t;
use hdf5_sys::h5::{H5_index_t, H5_iter_order_t};
use hdf5_sys::h5a::{
    H5Acreate_by_name, H5Adelete_by_name, H5Aexists_by_name, H5Aget_name_by_idx, H5Aget_space,
    H5Aget_type, H5Aopen_by_name, H5Aread, H5Awrite,
};
use hdf5_sys::h5d::{H5D_alloc_time_t, H5D_layout_t, H5Dcreate2, H5Dset_extent, H5Dwrite};
use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5o::{H5O_info2_t, H5Oget_info_by_name3, H5O_INFO_NUM_ATTRS};
use hdf5_sys::h5p::{
    H5Pcreate, H5Pset_alloc_time, H5Pset_chunk, H5Pset_deflate, H5Pset_fill_value, H5Pset_filter,
    H5Pset_fletcher32, H5Pset_layout, H5Pset_shuffle, H5Pset_virtual, H5P_CLS_DATASET_CREATE,
    H5P_DEFAULT,
};
use hdf5_sys::h5s::{
    H5S_class_t, H5Screate, H5Screate_simple, H5Sget_simple_extent_type, H5S_UNLIMITED,
};

use super::dtype::Dtype;
use super::error::{Error, Result};
use super::h5::{self, call, handle, locked, Handle, Hyperslab};
use super::layout::FILTER_LZF;
use super::value::ValueGrid;

/// A filter to put on a new dataset, in h5py's pipeline order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterSpec {
    Shuffle,
    Deflate(u32),
    Lzf,
    Fletcher32,
    /// Any other registered filter, with its client data.
    Other(i32, Vec<u32>),
}

const FLAG_OPTIONAL: u32 = 1;

/// How to create a chunked dataset.
pub struct DatasetSpec<'a> {
    pub type_id: hid_t,
    pub shape: &'a [usize],
    /// `None` on an axis = unlimited.
    pub maxshape: &'a [Option<usize>],
    pub chunks: &'a [usize],
    /// Fill bytes in the dataset's type; `None` leaves HDF5's default.
    pub fill: Option<&'a [u8]>,
    pub filters: &'a [FilterSpec],
}

fn dims(v: &[usize]) -> Vec<hsize_t> {
    v.iter().map(|&d| d as hsize_t).collect()
}

fn c_name(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| Error::bad_input(format!("name {name:?} contains a NUL byte")))
}

fn space(shape: &[usize], maxshape: Option<&[Option<usize>]>) -> Result<Handle> {
    if shape.is_empty() {
        return Ok(handle(|| unsafe { H5Screate(H5S_class_t::H5S_SCALAR) })?);
    }
    let cur = dims(shape);
    let max: Option<Vec<hsize_t>> = maxshape.map(|m| {
        m.iter()
            .map(|d| d.map_or(H5S_UNLIMITED, |d| d as hsize_t))
            .collect()
    });
    let max_ptr = max.as_ref().map_or(std::ptr::null(), |m| m.as_ptr());
    Ok(handle(|| unsafe {
        H5Screate_simple(cur.len() as i32, cur.as_ptr(), max_ptr)
    })?)
}

fn select(space: &Handle, slab: &Hyperslab) -> Result<()> {
    Ok(h5::select(space, slab)?)
}

fn new_dcpl() -> Result<Handle> {
    Ok(handle(|| unsafe { H5Pcreate(*H5P_CLS_DATASET_CREATE) })?)
}

pub fn create_chunked(parent: hid_t, name: &str, spec: &DatasetSpec) -> Result<Handle> {
    let dcpl = new_dcpl()?;
    let chunks = dims(spec.chunks);
    call(|| unsafe { H5Pset_chunk(dcpl.id(), chunks.len() as i32, chunks.as_ptr()) })?;
    call(|| unsafe { H5Pset_alloc_time(dcpl.id(), H5D_alloc_time_t::H5D_ALLOC_TIME_INCR) })?;
    if let Some(fill) = spec.fill {
        call(|| unsafe {
            H5Pset_fill_value(dcpl.id(), spec.type_id, fill.as_ptr() as *const c_void)
        })?;
    }
    for f in spec.filters {
        add_filter(&dcpl, f)?;
    }
    let space = space(spec.shape, Some(spec.maxshape))?;
    let name = c_name(name)?;
    Ok(handle(|| unsafe {
        H5Dcreate2(
            parent,
            name.as_ptr(),
            spec.type_id,
            space.id(),
            H5P_DEFAULT,
            dcpl.id(),
            H5P_DEFAULT,
        )
    })?)
}

fn add_filter(dcpl: &Handle, f: &FilterSpec) -> Result<()> {
    match f {
        FilterSpec::Shuffle => call(|| unsafe { H5Pset_shuffle(dcpl.id()) }),
        FilterSpec::Deflate(level) => call(|| unsafe { H5Pset_deflate(dcpl.id(), *level) }),
        FilterSpec::Fletcher32 => call(|| unsafe { H5Pset_fletcher32(dcpl.id()) }),
        // The registered LZF filter's set_local fills in {4, 261, chunk bytes}.
        FilterSpec::Lzf => call(|| unsafe {
            H5Pset_filter(dcpl.id(), FILTER_LZF, FLAG_OPTIONAL, 0, std::ptr::null())
        }),
        FilterSpec::Other(id, cd) => {
            call(|| unsafe { H5Pset_filter(dcpl.id(), *id, FLAG_OPTIONAL, cd.len(), cd.as_ptr()) })
        }
    }?;
    Ok(())
}

/// Creates a dataset with a copy of another's creation properties (same
/// chunks, fill value, filters), growable along axis 0.
pub fn create_with_dcpl(
    parent: hid_t,
    name: &str,
    type_id: hid_t,
    shape: &[usize],
    dcpl: hid_t,
) -> Result<Handle> {
    let maxshape: Vec<Option<usize>> = std::iter::once(None)
        .chain(shape[1..].iter().map(|&d| Some(d)))
        .collect();
    let space = space(shape, Some(&maxshape))?;
    let name = c_name(name)?;
    Ok(handle(|| unsafe {
        H5Dcreate2(
            parent,
            name.as_ptr(),
            type_id,
            space.id(),
            H5P_DEFAULT,
            dcpl,
            H5P_DEFAULT,
        )
    })?)
}

/// The dataset a new virtual dataset reads from (in the same file), its
/// current shape, and the mappings.
pub struct VirtualSource<'a> {
    pub dataset: &'a str,
    pub shape: &'a [usize],
    pub mappings: &'a [NewMapping],
}

/// One mapping of a new virtual dataset: a block of the virtual space and
/// where in the source it comes from (same extent).
pub struct NewMapping {
    pub virtual_start: Vec<usize>,
    pub count: Vec<usize>,
    pub source_start: Vec<usize>,
}

/// Creates a virtual dataset reading from `source` (in the same file),
/// written as versioned-hdf5 writes it: selections with `count = n,
/// block = 1`, maxshape = shape. With no mapping and an HDF5 that cannot
/// create an empty VDS, an unallocated contiguous dataset stands in (what
/// older versions of the library wrote; readers treat it as all fill).
pub fn create_virtual(
    at: Target,
    type_id: hid_t,
    shape: &[usize],
    fill: Option<&[u8]>,
    source: &VirtualSource,
) -> Result<Handle> {
    let (parent, name, mappings) = (at.loc, at.obj, source.mappings);
    let (source, source_shape) = (source.dataset, source.shape);
    let dcpl = new_dcpl()?;
    if let Some(fill) = fill {
        call(|| unsafe { H5Pset_fill_value(dcpl.id(), type_id, fill.as_ptr() as *const c_void) })?;
    }
    let vspace = space(
        shape,
        Some(&shape.iter().map(|&d| Some(d)).collect::<Vec<_>>()),
    )?;
    let src_name = c_name(source)?;
    let dot = c_name(".")?;
    // One pair of dataspaces, reselected per mapping: `H5Pset_virtual`
    // keeps copies of them.
    let (v, s) = (space(shape, None)?, space(source_shape, None)?);
    for m in mappings {
        select(
            &v,
            &Hyperslab {
                start: m.virtual_start.clone(),
                stride: vec![1; shape.len()],
                count: m.count.clone(),
            },
        )?;
        select(
            &s,
            &Hyperslab {
                start: m.source_start.clone(),
                stride: vec![1; shape.len()],
                count: m.count.clone(),
            },
        )?;
        call(|| unsafe {
            H5Pset_virtual(dcpl.id(), v.id(), dot.as_ptr(), src_name.as_ptr(), s.id())
        })?;
    }
    if mappings.is_empty() {
        call(|| unsafe { H5Pset_layout(dcpl.id(), H5D_layout_t::H5D_VIRTUAL) })?;
    }
    let c = c_name(name)?;
    let create = || {
        handle(|| unsafe {
            H5Dcreate2(
                parent,
                c.as_ptr(),
                type_id,
                vspace.id(),
                H5P_DEFAULT,
                dcpl.id(),
                H5P_DEFAULT,
            )
        })
    };
    match create() {
        Ok(ds) => Ok(ds),
        Err(_) if mappings.is_empty() => {
            call(|| unsafe { H5Pset_layout(dcpl.id(), H5D_layout_t::H5D_CONTIGUOUS) })?;
            call(|| unsafe {
                H5Pset_alloc_time(dcpl.id(), H5D_alloc_time_t::H5D_ALLOC_TIME_LATE)
            })?;
            Ok(create()?)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn set_extent(ds: hid_t, shape: &[usize]) -> Result<()> {
    let d = dims(shape);
    call(|| unsafe { H5Dset_extent(ds, d.as_ptr()) })?;
    Ok(())
}

/// Writes a grid into the block of `ds` starting at `start`.
pub fn write_block(ds: hid_t, type_id: hid_t, start: &[usize], grid: &ValueGrid) -> Result<()> {
    if grid.is_empty() {
        return Ok(());
    }
    // The strings the buffer points into live until the write returns.
    let (buf, _strings) = grid.hdf5_write_buffer();
    write_bytes(ds, type_id, start, &grid.shape, &buf)
}

/// Writes raw bytes (already in `type_id`'s layout) into a block.
pub fn write_bytes(
    ds: hid_t,
    type_id: hid_t,
    start: &[usize],
    count: &[usize],
    bytes: &[u8],
) -> Result<()> {
    let (file_shape, _) = h5::dataset_extent(ds)?;
    let fspace = space(&file_shape, None)?;
    select(
        &fspace,
        &Hyperslab {
            start: start.to_vec(),
            stride: vec![1; start.len()],
            count: count.to_vec(),
        },
    )?;
    let mspace = space(count, None)?;
    call(|| unsafe {
        H5Dwrite(
            ds,
            type_id,
            mspace.id(),
            fspace.id(),
            H5P_DEFAULT,
            bytes.as_ptr() as *const c_void,
        )
    })?;
    Ok(())
}

/// An object named relative to a location (`"."`: the location itself).
/// Attributes are written by name so that no dataset is ever opened: opening
/// a virtual dataset copies its whole mapping list.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub loc: hid_t,
    pub obj: &'a str,
}

impl Target<'_> {
    pub fn this(loc: hid_t) -> Target<'static> {
        Target { loc, obj: "." }
    }
}

pub fn delete_attr(at: Target, name: &str) -> Result<()> {
    let (o, c) = (c_name(at.obj)?, c_name(name)?);
    if locked(|| unsafe { H5Aexists_by_name(at.loc, o.as_ptr(), c.as_ptr(), H5P_DEFAULT) }) > 0 {
        call(|| unsafe { H5Adelete_by_name(at.loc, o.as_ptr(), c.as_ptr(), H5P_DEFAULT) })?;
    }
    Ok(())
}

/// (Re)writes an attribute with the grid's dtype and shape.
pub fn write_attr(at: Target, name: &str, value: &ValueGrid) -> Result<()> {
    let t = value.dtype.to_type_id()?;
    let sp = space(&value.shape, None)?;
    let (buf, _strings) = value.hdf5_write_buffer();
    create_attr(at, name, t.id(), sp.id(), &buf)
}

fn create_attr(at: Target, name: &str, type_id: hid_t, space_id: hid_t, buf: &[u8]) -> Result<()> {
    delete_attr(at, name)?;
    let (o, c) = (c_name(at.obj)?, c_name(name)?);
    let attr = handle(|| unsafe {
        H5Acreate_by_name(
            at.loc,
            o.as_ptr(),
            c.as_ptr(),
            type_id,
            space_id,
            H5P_DEFAULT,
            H5P_DEFAULT,
            H5P_DEFAULT,
        )
    })?;
    if !buf.is_empty() {
        call(|| unsafe { H5Awrite(attr.id(), type_id, buf.as_ptr() as *const c_void) })?;
    }
    Ok(())
}

/// Names of an object's attributes, in name order, read by index: unlike
/// `H5Aiterate_by_name`, which opens the object (for a virtual dataset,
/// decoding every mapping), this reads only its header.
pub fn attr_names(at: Target) -> Result<Vec<String>> {
    let o = c_name(at.obj)?;
    // Safety: plain C data; all zeros is a valid value.
    let mut info: H5O_info2_t = unsafe { std::mem::zeroed() };
    call(|| unsafe {
        H5Oget_info_by_name3(
            at.loc,
            o.as_ptr(),
            &mut info,
            H5O_INFO_NUM_ATTRS,
            H5P_DEFAULT,
        )
    })?;
    (0..info.num_attrs)
        .map(|i| attr_name_at(at.loc, &o, i))
        .collect()
}

fn attr_name_at(loc: hid_t, obj: &CString, i: hsize_t) -> Result<String> {
    let name_by_idx = |buf: *mut std::os::raw::c_char, size: usize| unsafe {
        H5Aget_name_by_idx(
            loc,
            obj.as_ptr(),
            H5_index_t::H5_INDEX_NAME,
            H5_iter_order_t::H5_ITER_INC,
            i,
            buf,
            size,
            H5P_DEFAULT,
        )
    };
    let len = locked(|| name_by_idx(std::ptr::null_mut(), 0));
    let len = usize::try_from(len).map_err(|_| Error::bad_file("unreadable attribute name"))?;
    let mut buf = vec![0u8; len + 1];
    let got = locked(|| name_by_idx(buf.as_mut_ptr() as *mut _, buf.len()));
    if got < 0 {
        return Err(Error::bad_file("unreadable attribute name"));
    }
    buf.truncate(len);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Copies attribute `name` from one object to another, keeping its exact
/// HDF5 type (references included).
pub fn copy_attr(from: Target, to: Target, name: &str) -> Result<()> {
    let (o, c) = (c_name(from.obj)?, c_name(name)?);
    let attr = handle(|| unsafe {
        H5Aopen_by_name(from.loc, o.as_ptr(), c.as_ptr(), H5P_DEFAULT, H5P_DEFAULT)
    })?;
    let t = handle(|| unsafe { H5Aget_type(attr.id()) })?;
    let sp = handle(|| unsafe { H5Aget_space(attr.id()) })?;
    let null = locked(|| unsafe { H5Sget_simple_extent_type(sp.id()) }) == H5S_class_t::H5S_NULL;
    let (shape, _) = if null {
        (vec![0], vec![])
    } else {
        h5::space_extent(sp.id())?
    };
    let n: usize = shape.iter().product();
    let mut buf = vec![0u8; n * h5::type_size(t.id())];
    if n > 0 {
        call(|| unsafe { H5Aread(attr.id(), t.id(), buf.as_mut_ptr() as *mut c_void) })?;
    }
    create_attr(to, name, t.id(), sp.id(), &buf)?;
    // Give back the variable-length data the read allocated.
    let dtype = Dtype::from_type_id(t.id())?;
    if n > 0 && dtype.has_vlen() {
        // Safety: the buffer holds exactly what H5Aread allocated.
        drop(unsafe { ValueGrid::from_hdf5_buffer(dtype, shape, buf) });
    }
    Ok(())
}

/// A scalar variable-length UTF-8 string attribute, as h5py writes a `str`.
pub fn write_string_attr(at: Target, name: &str, value: &str) -> Result<()> {
    let grid = ValueGrid::from_strings(vec![], vec![Some(value.as_bytes().to_vec())], true);
    write_attr(at, name, &grid)
}

/// A scalar or 1-D `int64` attribute.
pub fn write_i64_attr(at: Target, name: &str, values: &[i64], scalar: bool) -> Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let shape = if scalar { vec![] } else { vec![values.len()] };
    let dtype = Dtype::Int {
        size: 8,
        signed: true,
        order: super::dtype::ByteOrder::Little,
    };
    write_attr(at, name, &ValueGrid::from_bytes(dtype, shape, bytes))
}

/// h5py's numpy bool: the FALSE/TRUE enum.
pub fn write_bool_attr(at: Target, name: &str, value: bool) -> Result<()> {
    write_attr(
        at,
        name,
        &ValueGrid::from_bytes(Dtype::Bool, vec![], vec![value as u8]),
    )
}

/// Copies an object (a dataset with its attributes) by name, without
/// opening it.
pub fn copy_object(from: Target, to: Target) -> Result<()> {
    let (a, b) = (c_name(from.obj)?, c_name(to.obj)?);
    call(|| unsafe {
        hdf5_sys::h5o::H5Ocopy(
            from.loc,
            a.as_ptr(),
            to.loc,
            b.as_ptr(),
            H5P_DEFAULT,
            H5P_DEFAULT,
        )
    })?;
    Ok(())
}
