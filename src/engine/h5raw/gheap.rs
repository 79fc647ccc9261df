//! Global heap collections ("GCOL", version 1): one object by index.

use super::bytes::Cursor;
use super::{RawError, RawFile};

/// Collections are never smaller than this (`H5HG_MINSIZE`).
const MIN_COLLECTION: u64 = 4096;

fn align8(n: u64) -> Option<u64> {
    n.checked_add(7).map(|v| v & !7)
}

/// The bytes of object `index` of the collection at `addr`.
pub(crate) fn read_object(f: &RawFile, addr: u64, index: u32) -> Result<Vec<u8>, RawError> {
    let g = f.geometry();
    let ss = g.sizeof_size as u64;
    let head = f.read(addr, 8 + ss, "global heap collection")?;
    let mut c = Cursor::new(&head, "global heap collection header");
    if c.take(4)? != b"GCOL" {
        return Err(RawError::format("global heap collection without GCOL signature"));
    }
    let version = c.u8()?;
    if version != 1 {
        return Err(RawError::format(format!("global heap version {version}")));
    }
    c.skip(3)?;
    let size = c.uint(g.sizeof_size)?;
    if size < MIN_COLLECTION {
        return Err(RawError::format("global heap collection too small"));
    }
    let collection = f.read(addr, size, "global heap collection")?;
    find_object(&collection, g.sizeof_size, index)
}

/// Walks the objects of a whole collection image for `index`.
pub(crate) fn find_object(
    collection: &[u8],
    sizeof_size: usize,
    index: u32,
) -> Result<Vec<u8>, RawError> {
    if index == 0 {
        return Err(RawError::format("global heap object index 0 (free space)"));
    }
    let ss = sizeof_size as u64;
    let err = || RawError::format("global heap collection size overflows");
    let hdr = align8(8 + ss).ok_or_else(err)?;
    let obj_hdr = align8(8 + ss).ok_or_else(err)?;
    let end = collection.len() as u64;
    let mut p = hdr;
    let mut found: Option<(u64, u64)> = None;
    while p < end {
        if p + obj_hdr > end {
            // Too small for an object header: trailing free space.
            break;
        }
        let mut c = Cursor::new(&collection[p as usize..], "global heap object");
        let idx = c.u16()?;
        let _nrefs = c.u16()?;
        c.skip(4)?;
        let size = c.uint(sizeof_size)?;
        let need = if idx > 0 {
            align8(size).and_then(|s| s.checked_add(obj_hdr)).ok_or_else(err)?
        } else {
            // The free-space object's size includes its header.
            size
        };
        if need < obj_hdr {
            return Err(RawError::format("global heap object smaller than its header"));
        }
        let next = p.checked_add(need).ok_or_else(err)?;
        if next > end {
            return Err(RawError::format("global heap object runs past its collection"));
        }
        if u32::from(idx) == index {
            if found.is_some() {
                return Err(RawError::format(format!(
                    "global heap object {index} appears twice"
                )));
            }
            found = Some((p + obj_hdr, size));
        }
        p = next;
    }
    let (start, size) = found.ok_or_else(|| {
        RawError::format(format!("global heap object {index} not found"))
    })?;
    // start + size <= next <= end, checked above.
    Ok(collection[start as usize..(start + size) as usize].to_vec())
}
