//! Global heap collections ("GCOL", version 1): one object by index.

use std::sync::Arc;

use super::bytes::Cursor;
use super::{RawError, RawFile};

/// Collections are never smaller than this (`H5HG_MINSIZE`).
const MIN_COLLECTION: u64 = 4096;
/// Collections kept after a read (`RawFile::collections`): a version list
/// or a diff reads many objects from a few collections.
const KEPT: usize = 8;
/// Larger collections are read each time rather than kept.
const KEPT_MAX_BYTES: usize = 4 << 20;

fn align8(n: u64) -> Option<u64> {
    n.checked_add(7).map(|v| v & !7)
}

/// One object of a collection, kept inside the collection's bytes.
#[derive(Debug)]
pub(crate) struct HeapObject {
    collection: Arc<[u8]>,
    range: std::ops::Range<usize>,
}

impl HeapObject {
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.collection[self.range.clone()]
    }
}

/// Object `index` of the collection at `addr`.
pub(crate) fn read_object(f: &RawFile, addr: u64, index: u32) -> Result<HeapObject, RawError> {
    let collection = match kept(f, addr) {
        Some(c) => c,
        None => {
            let c: Arc<[u8]> = read_collection(f, addr)?.into();
            keep(f, addr, &c);
            c
        }
    };
    let g = f.geometry();
    let range = f.noted(
        find_object(&collection, g.sizeof_size, index).map_err(|e| match e {
            RawError::Damaged(what) => {
                RawError::Damaged(format!("the global heap collection at {addr:#x} {what}"))
            }
            e => e,
        }),
    )?;
    Ok(HeapObject { collection, range })
}

fn kept(f: &RawFile, addr: u64) -> Option<Arc<[u8]>> {
    let kept = f.collections.lock().ok()?;
    kept.iter()
        .find(|(a, _)| *a == addr)
        .map(|(_, c)| c.clone())
}

fn keep(f: &RawFile, addr: u64, collection: &Arc<[u8]>) {
    if collection.len() > KEPT_MAX_BYTES {
        return;
    }
    if let Ok(mut kept) = f.collections.lock() {
        kept.insert(0, (addr, collection.clone()));
        kept.truncate(KEPT);
    }
}

/// The whole collection at `addr`, its header checked.
fn read_collection(f: &RawFile, addr: u64) -> Result<Vec<u8>, RawError> {
    let g = f.geometry();
    let ss = g.sizeof_size as u64;
    let head = f.read(addr, 8 + ss, "global heap collection")?;
    let mut c = Cursor::new(&head, "global heap collection header");
    if c.take(4)? != b"GCOL" {
        return Err(RawError::format(
            "global heap collection without GCOL signature",
        ));
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
    f.read(addr, size, "global heap collection")
}

/// Walks the objects of a whole collection image for `index`; returns
/// where its bytes are.
pub(crate) fn find_object(
    collection: &[u8],
    sizeof_size: usize,
    index: u32,
) -> Result<std::ops::Range<usize>, RawError> {
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
            align8(size)
                .and_then(|s| s.checked_add(obj_hdr))
                .ok_or_else(err)?
        } else if size == 0 {
            // HDF5 steps by this size: it would never get past it.
            return Err(RawError::Damaged(
                "is damaged (an empty entry HDF5 loops on forever)".into(),
            ));
        } else {
            // The free-space object's size includes its header.
            size
        };
        if need < obj_hdr {
            return Err(RawError::format(
                "global heap object smaller than its header",
            ));
        }
        let next = p.checked_add(need).ok_or_else(err)?;
        if next > end {
            return Err(RawError::format(
                "global heap object runs past its collection",
            ));
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
    let (start, size) =
        found.ok_or_else(|| RawError::format(format!("global heap object {index} not found")))?;
    // start + size <= next <= end, checked above.
    Ok(start as usize..(start + size) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(idx: u16, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(idx.to_le_bytes());
        v.extend(1u16.to_le_bytes());
        v.extend([0; 4]);
        v.extend((data.len() as u64).to_le_bytes());
        v.extend(data);
        v.resize(v.len().div_ceil(8) * 8, 0);
        v
    }

    fn collection(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut v = b"GCOL\x01\0\0\0".to_vec();
        v.extend(4096u64.to_le_bytes());
        for o in objects {
            v.extend(o);
        }
        // Free space: object 0, whose size includes its header.
        let free = 4096 - v.len() as u64;
        v.extend([0; 8]);
        v.extend(free.to_le_bytes());
        v.resize(4096, 0);
        v
    }

    #[test]
    fn finds_objects_and_refuses_bad_walks() {
        let c = collection(&[object(1, b"one"), object(3, b"three!!!x")]);
        assert_eq!(&c[find_object(&c, 8, 3).unwrap()], b"three!!!x");
        assert_eq!(&c[find_object(&c, 8, 1).unwrap()], b"one");
        assert!(find_object(&c, 8, 2).is_err());
        assert!(find_object(&c, 8, 0).is_err());
        let dup = collection(&[object(1, b"a"), object(1, b"b")]);
        assert!(find_object(&dup, 8, 1).is_err());
        let mut long = object(1, b"x");
        long[8..16].copy_from_slice(&5000u64.to_le_bytes());
        assert!(find_object(&collection(&[long]), 8, 1).is_err());
        let mut huge = object(1, b"x");
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(find_object(&collection(&[huge]), 8, 1).is_err());
        // A free-space object smaller than its header would never advance.
        let mut stuck = object(0, b"");
        stuck[8..16].copy_from_slice(&0u64.to_le_bytes());
        assert!(find_object(&collection(&[stuck, object(1, b"y")]), 8, 1).is_err());
    }
}
