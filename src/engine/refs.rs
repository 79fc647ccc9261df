//! Object and region references (as h5py stores them: HDF5's original
//! 8-byte object and 12-byte region references): what they point to.
//!
//! A read keeps the stored bytes (equality, hashing and copies work on
//! them); `resolve` records, per distinct reference, the target's path and
//! region, so that the value shows and prints as `/group/ds[0:5, 2]`.

use std::os::raw::{c_char, c_void};

use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5r::{H5R_type_t, H5Rget_name, H5Rget_region};

use super::h5::{self, handle, locked};
use super::region::RefTarget;
use super::value::ValueGrid;

/// Stored sizes of the two reference kinds h5py writes.
const OBJECT_REF_SIZE: usize = 8;
const REGION_REF_SIZE: usize = 12;

/// Resolves every reference inside `grid` through `loc` (any object of the
/// file the grid was read from). A reference that does not resolve (a
/// dangling one, a kind this build does not read) keeps showing its bytes.
pub fn resolve(grid: &mut ValueGrid, loc: hid_t) {
    for (region, bytes) in grid.references() {
        if bytes.iter().all(|&b| b == 0) {
            continue;
        }
        if let Some(target) = target_of(loc, region, &bytes) {
            grid.set_target(bytes, target);
        }
    }
}

/// What one stored reference points to.
pub fn target_of(loc: hid_t, region: bool, bytes: &[u8]) -> Option<RefTarget> {
    let kind = match (region, bytes.len()) {
        (false, OBJECT_REF_SIZE) => H5R_type_t::H5R_OBJECT1,
        (true, REGION_REF_SIZE) => H5R_type_t::H5R_DATASET_REGION1,
        _ => return None,
    };
    let path = object_path(loc, kind, bytes)?;
    let region = if region {
        let space = handle(|| unsafe { H5Rget_region(loc, kind, bytes.as_ptr().cast()) }).ok()?;
        Some(h5::space_region(space.id()).ok()?)
    } else {
        None
    };
    Some(RefTarget { path, region })
}

/// The path of the object a reference points to (one of its names).
fn object_path(loc: hid_t, kind: H5R_type_t, bytes: &[u8]) -> Option<String> {
    let r = bytes.as_ptr() as *const c_void;
    let len = locked(|| unsafe { H5Rget_name(loc, kind, r, std::ptr::null_mut(), 0) });
    let len = usize::try_from(len).ok().filter(|&n| n > 0)?;
    let mut name = vec![0u8; len + 1];
    let got = locked(|| unsafe {
        H5Rget_name(loc, kind, r, name.as_mut_ptr() as *mut c_char, name.len())
    });
    if got < 0 {
        return None;
    }
    name.truncate(len);
    String::from_utf8(name).ok()
}
