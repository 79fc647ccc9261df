//! The few HDF5 C calls the engine needs below hdf5-metno's high-level API:
//! type introspection, property lists (virtual mappings, filters, fill
//! values) and type-erased hyperslab reads.
//!
//! Every call goes through `hdf5::sync::sync`, the crate's global lock,
//! because the C library is not thread-safe and the high-level API uses the
//! same lock.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};

use hdf5_sys::h5::{haddr_t, herr_t, hsize_t, H5_index_t, H5_iter_order_t, H5free_memory};
use hdf5_sys::h5d::{
    H5D_layout_t, H5Dget_create_plist, H5Dget_space, H5Dget_type, H5Dread, H5Dread_chunk,
    H5Dwrite_chunk,
};
use hdf5_sys::h5i::{hid_t, H5Idec_ref};
use hdf5_sys::h5l::{H5L_info2_t, H5L_type_t, H5Lexists, H5Literate2};
use hdf5_sys::h5o::{H5O_info2_t, H5O_token_t, H5O_type_t, H5Oget_info_by_name3, H5O_INFO_BASIC};
use hdf5_sys::h5p::{
    H5Pfill_value_defined, H5Pget_chunk, H5Pget_fill_value, H5Pget_filter2, H5Pget_layout,
    H5Pget_nfilters, H5Pget_virtual_count, H5Pget_virtual_dsetname, H5Pget_virtual_filename,
    H5Pget_virtual_srcspace, H5Pget_virtual_vspace, H5P_DEFAULT,
};
use hdf5_sys::h5s::{
    H5S_class_t, H5S_sel_type, H5S_seloper_t, H5Screate, H5Screate_simple,
    H5Sget_regular_hyperslab, H5Sget_select_bounds, H5Sget_select_elem_npoints,
    H5Sget_select_elem_pointlist, H5Sget_select_hyper_blocklist, H5Sget_select_hyper_nblocks,
    H5Sget_select_type, H5Sget_simple_extent_dims, H5Sget_simple_extent_ndims,
    H5Sget_simple_extent_type, H5Sis_regular_hyperslab, H5Sselect_hyperslab,
};
use hdf5_sys::h5t::{H5Tequal, H5Tget_size};
use hdf5_sys::h5z::{H5Z_filter_t, H5Zfilter_avail};

use super::region::{AxisSlab, Region, Selected};
use super::watchdog::{self, Reading};

pub use hdf5_sys::h5d::H5D_fill_value_t;

/// An owned HDF5 identifier, released on drop.
#[derive(Debug)]
pub struct Handle(hid_t);

impl Handle {
    pub fn new(id: hid_t) -> hdf5::Result<Handle> {
        check_id(id).map(Handle)
    }
    /// Adopts a valid identifier (already checked).
    pub fn from_raw(id: hid_t) -> Handle {
        Handle(id)
    }
    pub fn id(&self) -> hid_t {
        self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        hdf5::sync::sync(|| unsafe {
            H5Idec_ref(self.0);
        });
    }
}

/// Runs a C call under the library lock and turns a negative result into
/// the error stack HDF5 recorded.
pub fn check_id(id: hid_t) -> hdf5::Result<hid_t> {
    hdf5::sync::sync(|| hdf5::h5check(id))
}

pub fn call<F: FnOnce() -> i32>(f: F) -> hdf5::Result<i32> {
    hdf5::sync::sync(|| hdf5::h5check(f()))
}

pub fn locked<T, F: FnOnce() -> T>(f: F) -> T {
    hdf5::sync::sync(f)
}

pub fn handle<F: FnOnce() -> hid_t>(f: F) -> hdf5::Result<Handle> {
    hdf5::sync::sync(|| Handle::new(f()))
}

/// Takes ownership of a C string HDF5 allocated.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string HDF5 allocated, not yet freed.
pub unsafe fn take_c_string(p: *mut c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
    H5free_memory(p as *mut c_void);
    Some(s)
}

/// What kind of object a link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjType {
    Group,
    Dataset,
    NamedDatatype,
    Other,
}

extern "C" {
    // Native VOL call (HDF5 >= 1.12) that hdf5-metno-sys does not bind.
    fn H5VLnative_token_to_addr(loc_id: hid_t, token: H5O_token_t, addr: *mut haddr_t) -> herr_t;
    // HDF5 >= 1.10.2, not bound either.
    fn H5Fget_eoa(file_id: hid_t, eoa: *mut haddr_t) -> herr_t;
    fn H5Dget_chunk_storage_size(
        dset_id: hid_t,
        offset: *const hsize_t,
        size: *mut hsize_t,
    ) -> herr_t;
}

/// The stored (still filtered) bytes of the chunk of a chunked dataset that
/// starts at `offset`, with its filter mask; `None` when it is not allocated.
/// Copying chunks this way spares an inflate and a deflate per chunk.
pub fn read_stored_chunk(ds: hid_t, offset: &[usize]) -> hdf5::Result<Option<(Vec<u8>, u32)>> {
    let size = stored_chunk_size(ds, offset)?;
    if size == 0 {
        return Ok(None);
    }
    let offset: Vec<hsize_t> = offset.iter().map(|&o| o as hsize_t).collect();
    let mut buf = vec![0u8; size as usize];
    let mut len = buf.len();
    let mut mask = 0u32;
    call(|| unsafe {
        H5Dread_chunk(
            ds,
            H5P_DEFAULT,
            offset.as_ptr(),
            &mut mask,
            buf.as_mut_ptr() as *mut c_void,
            &mut len,
        )
    })?;
    buf.truncate(len);
    Ok(Some((buf, mask)))
}

/// The end of the space HDF5 has allocated in an open file (its EOA),
/// which the next flush writes into the superblock as the file's end.
pub fn allocated_end(file: hid_t) -> hdf5::Result<u64> {
    let mut eoa: haddr_t = 0;
    call(|| unsafe { H5Fget_eoa(file, &mut eoa) })?;
    Ok(eoa)
}

/// The bytes the chunk of a chunked dataset that starts at `offset` takes
/// in the file (after its filters), 0 when it is not allocated.
pub fn stored_chunk_size(ds: hid_t, offset: &[usize]) -> hdf5::Result<u64> {
    let offset: Vec<hsize_t> = offset.iter().map(|&o| o as hsize_t).collect();
    let mut size: hsize_t = 0;
    call(|| unsafe { H5Dget_chunk_storage_size(ds, offset.as_ptr(), &mut size) })?;
    Ok(size)
}

/// Bytes HDF5's free-space managers of an open file track as free (only
/// what this session freed, or what the file persists across closes).
pub fn file_free_space(file: hid_t) -> hdf5::Result<u64> {
    let n = locked(|| hdf5::h5check(unsafe { hdf5_sys::h5f::H5Fget_freespace(file) }))?;
    Ok(n as u64)
}

/// Writes a chunk's stored bytes as read by `read_stored_chunk` into a
/// dataset with the same filters and chunk shape.
pub fn write_stored_chunk(
    ds: hid_t,
    offset: &[usize],
    mask: u32,
    bytes: &[u8],
) -> hdf5::Result<()> {
    let offset: Vec<hsize_t> = offset.iter().map(|&o| o as hsize_t).collect();
    call(|| unsafe {
        H5Dwrite_chunk(
            ds,
            H5P_DEFAULT,
            mask,
            offset.as_ptr(),
            bytes.len(),
            bytes.as_ptr() as *const c_void,
        )
    })?;
    Ok(())
}

/// The object header address (relative to the file's base address, as in
/// the file format) and kind of the object at `name` from `loc`; `None`
/// when a link on the way does not exist.
pub fn object_addr(loc: hid_t, name: &str) -> hdf5::Result<Option<(u64, ObjType)>> {
    let cname = CString::new(name).map_err(|_| hdf5::Error::from("path contains NUL"))?;
    // SAFETY: plain C data; all zeros is a valid value.
    let mut info: H5O_info2_t = unsafe { std::mem::zeroed() };
    let mut addr: haddr_t = 0;
    let found = locked(|| unsafe {
        hdf5::h5check(H5Oget_info_by_name3(
            loc,
            cname.as_ptr(),
            &mut info,
            H5O_INFO_BASIC,
            H5P_DEFAULT,
        ))?;
        hdf5::h5check(H5VLnative_token_to_addr(loc, info.token, &mut addr))
    });
    if let Err(e) = found {
        // Missing is an answer, not an error: tell it from damage only on
        // this path, so that a lookup costs one traversal.
        return if path_exists(loc, name)? {
            Err(e)
        } else {
            Ok(None)
        };
    }
    let kind = match info.type_ {
        H5O_type_t::H5O_TYPE_GROUP => ObjType::Group,
        H5O_type_t::H5O_TYPE_DATASET => ObjType::Dataset,
        H5O_type_t::H5O_TYPE_NAMED_DATATYPE => ObjType::NamedDatatype,
        _ => ObjType::Other,
    };
    Ok(Some((addr, kind)))
}

/// A group's links in name order, each with the header address of the
/// object it points to (`None` for a soft or external link), from one
/// iteration: no lookup per name.
pub fn link_addresses(group: hid_t) -> hdf5::Result<Vec<(String, Option<u64>)>> {
    unsafe extern "C" fn collect(
        group: hid_t,
        name: *const std::os::raw::c_char,
        info: *const H5L_info2_t,
        data: *mut c_void,
    ) -> herr_t {
        // SAFETY: HDF5 passes a valid name and link info; `data` is the Vec below.
        let (out, mut info) = unsafe { (&mut *(data as *mut Vec<(String, Option<u64>)>), *info) };
        let name = unsafe { CStr::from_ptr(name) }
            .to_string_lossy()
            .into_owned();
        let mut addr: haddr_t = 0;
        let hard = info.type_ == H5L_type_t::H5L_TYPE_HARD
            && unsafe { H5VLnative_token_to_addr(group, *info.u.token(), &mut addr) } >= 0;
        out.push((name, hard.then_some(addr)));
        0
    }
    let mut out: Vec<(String, Option<u64>)> = Vec::new();
    let mut idx: hsize_t = 0;
    call(|| unsafe {
        H5Literate2(
            group,
            H5_index_t::H5_INDEX_NAME,
            H5_iter_order_t::H5_ITER_INC,
            &mut idx,
            Some(collect),
            &mut out as *mut _ as *mut c_void,
        )
    })?;
    Ok(out)
}

/// Whether every link of `name` exists (H5Lexists fails on a missing
/// intermediate group, so each prefix is tested).
fn path_exists(loc: hid_t, name: &str) -> hdf5::Result<bool> {
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let lead = if name.starts_with('/') { "/" } else { "" };
    for i in 1..=parts.len() {
        let prefix = CString::new(format!("{lead}{}", parts[..i].join("/")))
            .map_err(|_| hdf5::Error::from("path contains NUL"))?;
        let exists =
            locked(|| unsafe { hdf5::h5check(H5Lexists(loc, prefix.as_ptr(), H5P_DEFAULT)) })?;
        if exists == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

pub fn dataset_type(ds: hid_t) -> hdf5::Result<Handle> {
    handle(|| unsafe { H5Dget_type(ds) })
}

pub fn dataset_dcpl(ds: hid_t) -> hdf5::Result<Handle> {
    handle(|| unsafe { H5Dget_create_plist(ds) })
}

/// Whether two datatypes are the same (HDF5's `H5Tequal`); `false` when
/// HDF5 cannot tell.
pub fn types_equal(a: hid_t, b: hid_t) -> bool {
    locked(|| unsafe { H5Tequal(a, b) }) > 0
}

pub fn type_size(tid: hid_t) -> usize {
    locked(|| unsafe { H5Tget_size(tid) })
}

/// Shape and maxshape of a dataset's dataspace (`None` = unlimited).
pub fn dataset_extent(ds: hid_t) -> hdf5::Result<(Vec<usize>, Vec<Option<usize>>)> {
    let space = handle(|| unsafe { H5Dget_space(ds) })?;
    space_extent(space.id())
}

pub fn space_extent(space: hid_t) -> hdf5::Result<(Vec<usize>, Vec<Option<usize>>)> {
    locked(|| unsafe {
        let ndim = hdf5::h5check(H5Sget_simple_extent_ndims(space))? as usize;
        let mut dims = vec![0 as hsize_t; ndim];
        let mut maxdims = vec![0 as hsize_t; ndim];
        hdf5::h5check(H5Sget_simple_extent_dims(
            space,
            dims.as_mut_ptr(),
            maxdims.as_mut_ptr(),
        ))?;
        let shape = dims.iter().map(|&d| d as usize).collect();
        let max = maxdims
            .iter()
            .map(|&d| {
                if d == hsize_t::MAX {
                    None
                } else {
                    Some(d as usize)
                }
            })
            .collect();
        Ok((shape, max))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Compact,
    Contiguous,
    Chunked,
    Virtual,
    Other,
}

pub fn layout(dcpl: hid_t) -> Layout {
    match locked(|| unsafe { H5Pget_layout(dcpl) }) {
        H5D_layout_t::H5D_COMPACT => Layout::Compact,
        H5D_layout_t::H5D_CONTIGUOUS => Layout::Contiguous,
        H5D_layout_t::H5D_CHUNKED => Layout::Chunked,
        H5D_layout_t::H5D_VIRTUAL => Layout::Virtual,
        _ => Layout::Other,
    }
}

pub fn chunk_dims(dcpl: hid_t) -> hdf5::Result<Option<Vec<usize>>> {
    if layout(dcpl) != Layout::Chunked {
        return Ok(None);
    }
    let mut dims = [0 as hsize_t; 32];
    let n = call(|| unsafe { H5Pget_chunk(dcpl, 32, dims.as_mut_ptr()) })?;
    Ok(Some(
        dims[..n as usize].iter().map(|&d| d as usize).collect(),
    ))
}

/// One entry of a filter pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFilter {
    pub id: i32,
    pub name: String,
    pub flags: u32,
    pub cd_values: Vec<u32>,
}

pub fn filters(dcpl: hid_t) -> hdf5::Result<Vec<RawFilter>> {
    let n = call(|| unsafe { H5Pget_nfilters(dcpl) })?;
    (0..n as u32).map(|i| filter_at(dcpl, i)).collect()
}

fn filter_at(dcpl: hid_t, index: u32) -> hdf5::Result<RawFilter> {
    let mut flags = 0u32;
    let mut n_cd: libc::size_t = 32;
    let mut cd = [0u32; 32];
    let mut name = [0 as c_char; 256];
    let mut config = 0u32;
    let id: H5Z_filter_t = locked(|| unsafe {
        H5Pget_filter2(
            dcpl,
            index,
            &mut flags,
            &mut n_cd,
            cd.as_mut_ptr(),
            name.len(),
            name.as_mut_ptr(),
            &mut config,
        )
    });
    hdf5::sync::sync(|| hdf5::h5check(id))?;
    let name = unsafe { CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    Ok(RawFilter {
        id,
        name,
        flags,
        cd_values: cd[..n_cd.min(32)].to_vec(),
    })
}

/// Whether this build can apply a filter (built in, or a plugin HDF5 finds
/// on its plugin path), as `H5Zfilter_avail` says.
pub fn filter_available(id: i32) -> bool {
    locked(|| unsafe { H5Zfilter_avail(id) }) > 0
}

/// The fill value bytes in the layout of `tid`, or `None` when the property
/// list holds no fill value (HDF5's default: zero bytes / NULL pointers).
pub fn fill_value(dcpl: hid_t, tid: hid_t) -> hdf5::Result<Option<Vec<u8>>> {
    let mut status = H5D_fill_value_t::H5D_FILL_VALUE_UNDEFINED;
    call(|| unsafe { H5Pfill_value_defined(dcpl, &mut status) })?;
    if status != H5D_fill_value_t::H5D_FILL_VALUE_USER_DEFINED {
        return Ok(None);
    }
    let mut buf = vec![0u8; type_size(tid)];
    call(|| unsafe { H5Pget_fill_value(dcpl, tid, buf.as_mut_ptr() as *mut c_void) })?;
    Ok(Some(buf))
}

/// A hyperslab block: start and extent per axis.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Block {
    pub start: Vec<usize>,
    pub count: Vec<usize>,
}

/// One mapping of a virtual dataset, reduced to the bounding boxes of its
/// selections (versioned-hdf5 only writes single-block hyperslabs). The
/// source is not read: like Python, the engine takes it from the dataset's
/// `raw_data` attribute, and skipping it halves the cost of a large map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualMapping {
    pub virtual_block: Block,
    pub source_block: Block,
}

/// Reads every mapping through the low-level calls: hdf5-metno's
/// `get_virtual_map()` rejects the `count=1, block=n` form that HDF5 returns
/// for these selections after a reopen.
pub fn virtual_mappings(dcpl: hid_t) -> hdf5::Result<Vec<VirtualMapping>> {
    let mut n: libc::size_t = 0;
    call(|| unsafe { H5Pget_virtual_count(dcpl, &mut n) })?;
    (0..n).map(|i| virtual_mapping(dcpl, i)).collect()
}

fn virtual_mapping(dcpl: hid_t, i: usize) -> hdf5::Result<VirtualMapping> {
    let vspace = handle(|| unsafe { H5Pget_virtual_vspace(dcpl, i) })?;
    let sspace = handle(|| unsafe { H5Pget_virtual_srcspace(dcpl, i) })?;
    Ok(VirtualMapping {
        virtual_block: selection_bounds(vspace.id())?,
        source_block: selection_bounds(sspace.id())?,
    })
}

/// One mapping of a VDS as HDF5 describes it: source file and dataset
/// names as stored (`"."` = the same file) and both selections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualSource {
    pub file: String,
    pub dataset: String,
    pub source: Region,
    pub virtual_sel: Region,
}

/// Every mapping's count, and the first `limit` mappings with their names
/// and selections (the general path, for any VDS).
pub fn virtual_sources(dcpl: hid_t, limit: usize) -> hdf5::Result<(usize, Vec<VirtualSource>)> {
    let mut n: libc::size_t = 0;
    call(|| unsafe { H5Pget_virtual_count(dcpl, &mut n) })?;
    let shown = (0..n.min(limit))
        .map(|i| {
            let vspace = handle(|| unsafe { H5Pget_virtual_vspace(dcpl, i) })?;
            let sspace = handle(|| unsafe { H5Pget_virtual_srcspace(dcpl, i) })?;
            Ok(VirtualSource {
                file: virtual_name(dcpl, i, H5Pget_virtual_filename)?,
                dataset: virtual_name(dcpl, i, H5Pget_virtual_dsetname)?,
                // Until the source is opened HDF5 knows no source extent
                // (it reports the selection's own bounds as one).
                source: Region {
                    extent: None,
                    ..space_region(sspace.id())?
                },
                virtual_sel: space_region(vspace.id())?,
            })
        })
        .collect::<hdf5::Result<Vec<_>>>()?;
    Ok((n, shown))
}

/// The source file names of every mapping (checking them all for missing
/// files costs a string each).
pub fn virtual_file_names(dcpl: hid_t) -> hdf5::Result<Vec<(String, Region)>> {
    let mut n: libc::size_t = 0;
    call(|| unsafe { H5Pget_virtual_count(dcpl, &mut n) })?;
    (0..n)
        .map(|i| {
            let vspace = handle(|| unsafe { H5Pget_virtual_vspace(dcpl, i) })?;
            Ok((
                virtual_name(dcpl, i, H5Pget_virtual_filename)?,
                space_region(vspace.id())?,
            ))
        })
        .collect()
}

type NameGetter = unsafe extern "C" fn(hid_t, libc::size_t, *mut c_char, libc::size_t) -> isize;

fn virtual_name(dcpl: hid_t, i: usize, get: NameGetter) -> hdf5::Result<String> {
    let len = locked(|| unsafe { get(dcpl, i, std::ptr::null_mut(), 0) });
    let len = usize::try_from(len).map_err(|_| hdf5::Error::from("unreadable VDS source name"))?;
    let mut buf = vec![0u8; len + 1];
    locked(|| unsafe { get(dcpl, i, buf.as_mut_ptr().cast(), buf.len()) });
    buf.truncate(len);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// A dataspace's selection; its extent when the space has one (a VDS
/// source space does not until its file is opened).
pub fn space_region(space: hid_t) -> hdf5::Result<Region> {
    let simple = locked(|| unsafe { H5Sget_simple_extent_type(space) }) == H5S_class_t::H5S_SIMPLE;
    let extent = if simple {
        let (shape, _) = space_extent(space)?;
        Some(shape.iter().map(|&d| d as u64).collect::<Vec<u64>>())
    } else {
        None
    };
    let rank = locked(|| unsafe { H5Sget_simple_extent_ndims(space) }).max(0) as usize;
    let selected = match locked(|| unsafe { H5Sget_select_type(space) }) {
        H5S_sel_type::H5S_SEL_NONE => Selected::None,
        H5S_sel_type::H5S_SEL_POINTS => point_list(space, rank)?,
        H5S_sel_type::H5S_SEL_HYPERSLABS => hyperslab(space, rank)?,
        H5S_sel_type::H5S_SEL_ALL => Selected::All,
        _ => return Err(hdf5::Error::from("unknown selection type")),
    };
    // An unknown source extent reads as rank 0: say "unknown" rather than "scalar".
    let extent = extent.filter(|e| !e.is_empty() || matches!(selected, Selected::All));
    Ok(Region { extent, selected })
}

/// Most boxes or points read from one selection (what is shown is fewer).
const MAX_LISTED: usize = 64;

fn hyperslab(space: hid_t, rank: usize) -> hdf5::Result<Selected> {
    let regular = locked(|| unsafe { H5Sis_regular_hyperslab(space) }) > 0;
    if regular {
        let mut v = vec![vec![0 as hsize_t; rank]; 4];
        let [start, stride, count, block] = &mut v[..] else {
            unreachable!("four vectors")
        };
        call(|| unsafe {
            H5Sget_regular_hyperslab(
                space,
                start.as_mut_ptr(),
                stride.as_mut_ptr(),
                count.as_mut_ptr(),
                block.as_mut_ptr(),
            )
        })?;
        return Ok(Selected::Slab(
            (0..rank)
                .map(|d| AxisSlab {
                    start: v[0][d],
                    stride: v[1][d],
                    count: v[2][d],
                    block: v[3][d],
                })
                .collect(),
        ));
    }
    let n = locked(|| unsafe { H5Sget_select_hyper_nblocks(space) });
    let n = usize::try_from(n).map_err(|_| hdf5::Error::from("unreadable hyperslab"))?;
    let take = n.min(MAX_LISTED);
    let mut buf = vec![0 as hsize_t; take * 2 * rank];
    if take > 0 {
        call(|| unsafe {
            H5Sget_select_hyper_blocklist(space, 0, take as hsize_t, buf.as_mut_ptr())
        })?;
    }
    // Each block: its first corner, then its last (inclusive).
    let boxes = buf
        .chunks_exact(2 * rank.max(1))
        .map(|b| {
            let (lo, hi) = b.split_at(rank);
            (
                lo.to_vec(),
                lo.iter().zip(hi).map(|(l, h)| h - l + 1).collect(),
            )
        })
        .collect();
    Ok(Selected::Blocks { boxes, total: n })
}

fn point_list(space: hid_t, rank: usize) -> hdf5::Result<Selected> {
    let n = locked(|| unsafe { H5Sget_select_elem_npoints(space) });
    let n = usize::try_from(n).map_err(|_| hdf5::Error::from("unreadable point selection"))?;
    let take = n.min(MAX_LISTED);
    let mut buf = vec![0 as hsize_t; take * rank];
    if take > 0 {
        call(|| unsafe {
            H5Sget_select_elem_pointlist(space, 0, take as hsize_t, buf.as_mut_ptr())
        })?;
    }
    let points = buf.chunks_exact(rank.max(1)).map(<[u64]>::to_vec).collect();
    Ok(Selected::Points { points, total: n })
}

fn selection_bounds(space: hid_t) -> hdf5::Result<Block> {
    let ndim = locked(|| unsafe { hdf5::h5check(H5Sget_simple_extent_ndims(space)) })? as usize;
    let mut lo = vec![0 as hsize_t; ndim];
    let mut hi = vec![0 as hsize_t; ndim];
    call(|| unsafe { H5Sget_select_bounds(space, lo.as_mut_ptr(), hi.as_mut_ptr()) })?;
    Ok(Block {
        start: lo.iter().map(|&v| v as usize).collect(),
        count: lo
            .iter()
            .zip(&hi)
            .map(|(&l, &h)| (h - l + 1) as usize)
            .collect(),
    })
}

/// A regular hyperslab: `count` elements from `start`, `stride` apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperslab {
    pub start: Vec<usize>,
    pub stride: Vec<usize>,
    pub count: Vec<usize>,
}

impl Hyperslab {
    pub fn len(&self) -> usize {
        self.count.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn simple_space(shape: &[usize], slab: Option<&Hyperslab>) -> hdf5::Result<Handle> {
    if shape.is_empty() {
        // A 0-d dataset: a scalar space, which takes no hyperslab.
        return handle(|| unsafe { H5Screate(H5S_class_t::H5S_SCALAR) });
    }
    let dims: Vec<hsize_t> = shape.iter().map(|&d| d as hsize_t).collect();
    let space =
        handle(|| unsafe { H5Screate_simple(dims.len() as i32, dims.as_ptr(), std::ptr::null()) })?;
    if let Some(slab) = slab {
        select(&space, slab)?;
    }
    Ok(space)
}

/// Selects a regular hyperslab of a dataspace.
pub fn select(space: &Handle, slab: &Hyperslab) -> hdf5::Result<()> {
    let v = |x: &[usize]| x.iter().map(|&d| d as hsize_t).collect::<Vec<_>>();
    let (start, stride, count) = (v(&slab.start), v(&slab.stride), v(&slab.count));
    call(|| unsafe {
        H5Sselect_hyperslab(
            space.id(),
            H5S_seloper_t::H5S_SELECT_SET,
            start.as_ptr(),
            stride.as_ptr(),
            count.as_ptr(),
            std::ptr::null(),
        )
    })?;
    Ok(())
}

/// Reads the `file` hyperslab of a dataset into the `mem` hyperslab of a
/// C-order buffer of shape `mem_shape`, elements typed as `mem_type`.
pub fn read_hyperslab(
    ds: hid_t,
    mem_type: hid_t,
    file: &Hyperslab,
    mem_shape: &[usize],
    mem: &Hyperslab,
    buf: &mut [u8],
) -> hdf5::Result<()> {
    let (file_shape, _) = dataset_extent(ds)?;
    let fspace = simple_space(&file_shape, Some(file))?;
    let mspace = simple_space(mem_shape, Some(mem))?;
    let need = mem_shape.iter().product::<usize>() * type_size(mem_type);
    if buf.len() < need {
        return Err(hdf5::Error::from("read buffer smaller than its shape"));
    }
    let mut read = || {
        call(|| unsafe {
            H5Dread(
                ds,
                mem_type,
                mspace.id(),
                fspace.id(),
                H5P_DEFAULT,
                buf.as_mut_ptr() as *mut c_void,
            )
        })
    };
    if may_read_heaps(mem_type) {
        let elements = file.count.iter().product();
        watchdog::bounded(Reading::StringData, watchdog::budget_for(elements), read)?;
    } else {
        read()?;
    }
    Ok(())
}

/// Whether elements of this type may hold variable-length data, which
/// HDF5 reads from global heaps (it may loop on a damaged one).
fn may_read_heaps(mem_type: hid_t) -> bool {
    use hdf5_sys::h5t::{H5T_class_t as C, H5Tget_class};
    matches!(
        locked(|| unsafe { H5Tget_class(mem_type) }),
        C::H5T_STRING | C::H5T_VLEN | C::H5T_COMPOUND | C::H5T_ARRAY
    )
}
