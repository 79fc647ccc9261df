//! The global heap object that holds a VDS's mappings
//! (`H5D__virtual_store_layout`): an encoding version, the number of
//! entries, then per entry the source file and dataset names and the
//! source and virtual selections, then a checksum of everything before it.
//!
//! Version 1 (HDF5 2.x, when the file's low bound is 2.0) adds a flags
//! byte per entry: source file is "." (and not stored), or either name is
//! the index of an earlier entry with the same name.

use super::bytes::{verify_checksum, Cursor};
use super::selection::{self, Corner, Selection};
use super::{Block, Geometry, RawError, RawMapping};
use std::sync::Arc;

const SOURCE_FILE_SHARED: u8 = 0x01;
const SOURCE_DSET_SHARED: u8 = 0x02;
const SOURCE_SAME_FILE: u8 = 0x04;
const ALL_FLAGS: u8 = SOURCE_FILE_SHARED | SOURCE_DSET_SHARED | SOURCE_SAME_FILE;

/// The smallest entry: two 1-byte names (or a flag byte and one name) and
/// two 16-byte selections.
const MIN_ENTRY: usize = 2 + 32;

/// One mapping as decoded, lent to a visitor: names shared between
/// mappings, blocks inline, so that nothing is allocated per mapping.
pub(crate) struct MappingView<'a> {
    pub source_file: &'a Arc<str>,
    pub source_dataset: &'a Arc<str>,
    pub virtual_block: &'a Corner,
    pub source_block: &'a Corner,
}

impl MappingView<'_> {
    pub(crate) fn to_mapping(&self) -> RawMapping {
        RawMapping {
            source_file: self.source_file.clone(),
            source_dataset: self.source_dataset.clone(),
            virtual_block: to_block(self.virtual_block),
            source_block: to_block(self.source_block),
        }
    }
}

/// Decodes a mapping list for a VDS of extent `shape` / `maxshape`.
pub(crate) fn decode(
    blob: &[u8],
    g: Geometry,
    shape: &[u64],
    maxshape: &[Option<u64>],
) -> Result<Vec<RawMapping>, RawError> {
    let mut out = Vec::new();
    visit(blob, g, shape, maxshape, |m| {
        out.push(m.to_mapping());
        Ok(())
    })?;
    Ok(out)
}

/// Decodes a mapping list, handing each mapping to `each` in file order;
/// the first error (the list's or `each`'s) ends it.
pub(crate) fn visit(
    blob: &[u8],
    g: Geometry,
    shape: &[u64],
    maxshape: &[Option<u64>],
    mut each: impl FnMut(MappingView<'_>) -> Result<(), RawError>,
) -> Result<(), RawError> {
    verify_checksum(blob, "VDS mapping list").map_err(|e| {
        RawError::Damaged(format!("a virtual dataset's mapping list is damaged ({e})"))
    })?;
    let mut c = Cursor::new(&blob[..blob.len() - 4], "VDS mapping list");
    let version = c.u8()?;
    if version > 1 {
        return Err(RawError::unsupported(format!(
            "VDS mapping list encoding version {version}"
        )));
    }
    let n = c.uint(g.sizeof_size)?;
    let same_file: Arc<str> = Arc::from(".");
    // Each entry's (file, dataset) names, for later entries that share them.
    let mut names: Vec<(Arc<str>, Arc<str>)> =
        Vec::with_capacity((n as usize).min(c.remaining() / MIN_ENTRY));
    // Each entry consumes bytes or fails, so this ends with the buffer.
    for i in 0..n {
        if c.is_empty() {
            return Err(RawError::format("VDS mapping list truncated"));
        }
        let flags = if version >= 1 { c.u8()? } else { 0 };
        if flags & !ALL_FLAGS != 0 {
            return Err(RawError::format(format!("VDS mapping flags {flags:#04x}")));
        }
        let file = if flags & SOURCE_SAME_FILE != 0 {
            same_file.clone()
        } else if flags & SOURCE_FILE_SHARED != 0 {
            earlier(&names, c.uint(g.sizeof_size)?, i, "source file")?
                .0
                .clone()
        } else {
            interned(c.cstr()?, names.last().map(|m| &m.0))?
        };
        let dset = if flags & SOURCE_DSET_SHARED != 0 {
            earlier(&names, c.uint(g.sizeof_size)?, i, "source dataset")?
                .1
                .clone()
        } else {
            interned(c.cstr()?, names.last().map(|m| &m.1))?
        };
        let source = selection::decode(&mut c)?;
        let virt = selection::decode(&mut c)?;
        let (virtual_block, source_block) = blocks(source, virt, shape, maxshape)?;
        each(MappingView {
            source_file: &file,
            source_dataset: &dset,
            virtual_block: &virtual_block,
            source_block: &source_block,
        })?;
        names.push((file, dset));
    }
    if !c.is_empty() {
        return Err(RawError::format(format!(
            "{} bytes left after the VDS mapping list",
            c.remaining()
        )));
    }
    Ok(())
}

/// Entry `orig`'s names, which must come before entry `i`.
fn earlier<'a>(
    names: &'a [(Arc<str>, Arc<str>)],
    orig: u64,
    i: u64,
    what: &str,
) -> Result<&'a (Arc<str>, Arc<str>), RawError> {
    if orig >= i {
        return Err(RawError::format(format!(
            "{what} name of entry {i} refers to entry {orig}"
        )));
    }
    usize::try_from(orig)
        .ok()
        .and_then(|o| names.get(o))
        .ok_or_else(|| RawError::format(format!("{what} name refers to a missing entry")))
}

/// A name, shared with the previous mapping's when it is the same (every
/// mapping of a versioned-hdf5 VDS names one `raw_data`).
fn interned(bytes: &[u8], previous: Option<&Arc<str>>) -> Result<Arc<str>, RawError> {
    match previous {
        Some(p) if p.as_bytes() == bytes => Ok(p.clone()),
        _ => name(bytes).map(Arc::from),
    }
}

fn name(bytes: &[u8]) -> Result<String, RawError> {
    let s =
        std::str::from_utf8(bytes).map_err(|_| RawError::unsupported("non-UTF-8 source name"))?;
    if s.contains('%') {
        // printf-style names (`%b`, `%%`) are expanded by HDF5.
        return Err(RawError::unsupported("source name with '%'"));
    }
    Ok(s.to_string())
}

fn to_block(b: &Corner) -> Block {
    Block {
        start: b.start().to_vec(),
        count: b.count().to_vec(),
    }
}

/// The virtual and source blocks of a mapping, checked against each other
/// and the VDS's extent.
fn blocks(
    source: Selection,
    virt: Selection,
    shape: &[u64],
    maxshape: &[Option<u64>],
) -> Result<(Corner, Corner), RawError> {
    let nv = virt.count_in(shape);
    let ns = source.count_in(&[]);
    let virt = match virt {
        Selection::All => {
            if shape.is_empty() || shape.contains(&0) {
                return Err(RawError::unsupported("'all' selection of an empty extent"));
            }
            Corner::extent(shape)?
        }
        Selection::Block(b) => b,
    };
    if virt.start().len() != shape.len() {
        return Err(RawError::format(format!(
            "virtual selection of rank {} in a dataspace of rank {}",
            virt.start().len(),
            shape.len()
        )));
    }
    for ((&s, &n), &max) in virt.start().iter().zip(virt.count()).zip(maxshape) {
        if let Some(max) = max {
            if (s as u128 + n as u128) > u128::from(max) {
                return Err(RawError::format(
                    "virtual selection beyond the maximum extent",
                ));
            }
        }
    }
    let source = match source {
        Selection::All => {
            return Err(RawError::unsupported(
                "'all' source selection (source extent unknown)",
            ))
        }
        Selection::Block(b) => b,
    };
    match (nv, ns) {
        (Some(a), Some(b)) if a == b => {}
        (Some(_), Some(_)) => {
            return Err(RawError::format(
                "virtual and source selections differ in size",
            ))
        }
        _ => return Err(RawError::unsupported("selection size overflows")),
    }
    Ok((virt, source))
}

#[cfg(test)]
pub(crate) mod encode {
    //! An encoder for tests, from the layout in `H5D__virtual_store_layout`.
    use super::super::bytes::lookup3;

    pub struct Entry {
        pub flags: u8,
        /// Name bytes or (shared) the 8-byte index of an earlier entry.
        pub file: Vec<u8>,
        pub dset: Vec<u8>,
        pub source: Vec<u8>,
        pub virt: Vec<u8>,
    }

    pub fn cstr(s: &str) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    }

    pub fn blob(version: u8, entries: &[Entry]) -> Vec<u8> {
        let mut v = vec![version];
        v.extend((entries.len() as u64).to_le_bytes());
        for e in entries {
            if version >= 1 {
                v.push(e.flags);
            }
            if e.flags & super::SOURCE_SAME_FILE == 0 {
                v.extend(&e.file);
            }
            v.extend(&e.dset);
            v.extend(&e.source);
            v.extend(&e.virt);
        }
        let sum = lookup3(&v);
        v.extend(sum.to_le_bytes());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::super::selection::encode::{all, irregular, regular};
    use super::encode::*;
    use super::*;

    const G: Geometry = Geometry {
        sizeof_addr: 8,
        sizeof_size: 8,
    };

    fn v0_entry(vstart: u64, slot: u64, n: u64) -> Entry {
        Entry {
            flags: 0,
            file: cstr("."),
            dset: cstr("/_version_data/x/raw_data"),
            source: regular(3, 4, &[(slot, 1, n, 1)]),
            virt: regular(3, 4, &[(vstart, 1, n, 1)]),
        }
    }

    fn blk(start: usize, count: usize) -> Block {
        Block {
            start: vec![start],
            count: vec![count],
        }
    }

    #[test]
    fn version0_list() {
        let b = blob(0, &[v0_entry(0, 8, 4), v0_entry(4, 0, 2)]);
        let m = decode(&b, G, &[6], &[Some(6)]).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(&*m[0].source_file, ".");
        assert_eq!(&*m[0].source_dataset, "/_version_data/x/raw_data");
        assert_eq!(m[0].virtual_block, blk(0, 4));
        assert_eq!(m[0].source_block, blk(8, 4));
        assert_eq!(m[1].to_mapping().virtual_block, blk(4, 2));
    }

    #[test]
    fn version1_shared_and_same_file_names() {
        let entries = [
            Entry {
                flags: SOURCE_SAME_FILE,
                file: vec![],
                dset: cstr("/_version_data/x/raw_data"),
                source: irregular(1, 4, 1, &[(vec![0], vec![3])]),
                virt: regular(2, 8, &[(0, 1, 1, 4)]),
            },
            Entry {
                flags: SOURCE_SAME_FILE | SOURCE_DSET_SHARED,
                file: vec![],
                dset: 0u64.to_le_bytes().to_vec(),
                source: regular(3, 2, &[(4, 1, 2, 1)]),
                virt: regular(3, 2, &[(4, 1, 2, 1)]),
            },
            Entry {
                flags: 0,
                file: cstr("other.h5"),
                dset: cstr("/d"),
                source: regular(3, 8, &[(0, 1, 2, 1)]),
                virt: regular(3, 8, &[(6, 1, 1, 2)]),
            },
            Entry {
                flags: SOURCE_FILE_SHARED | SOURCE_DSET_SHARED,
                file: 2u64.to_le_bytes().to_vec(),
                dset: 2u64.to_le_bytes().to_vec(),
                source: regular(3, 8, &[(2, 1, 2, 1)]),
                virt: regular(3, 8, &[(8, 1, 2, 1)]),
            },
        ];
        let m = decode(&blob(1, &entries), G, &[10], &[None]).unwrap();
        let names: Vec<_> = m
            .iter()
            .map(|m| (&*m.source_file, &*m.source_dataset))
            .collect();
        assert_eq!(
            names,
            [
                (".", "/_version_data/x/raw_data"),
                (".", "/_version_data/x/raw_data"),
                ("other.h5", "/d"),
                ("other.h5", "/d"),
            ]
        );
        assert_eq!(m[1].source_block, blk(4, 2));
        assert_eq!(m[3].virtual_block, blk(8, 2));
    }

    #[test]
    fn all_virtual_selection_is_the_extent() {
        let e = Entry {
            flags: 0,
            file: cstr("."),
            dset: cstr("/s"),
            source: regular(3, 4, &[(0, 1, 1, 3), (2, 1, 1, 4)]),
            virt: all(),
        };
        let m = decode(&blob(0, &[e]), G, &[3, 4], &[Some(3), Some(4)]).unwrap();
        assert_eq!(m[0].virtual_block.count, vec![3, 4]);
        assert_eq!(m[0].source_block.start, vec![0, 2]);
    }

    #[test]
    fn refusals() {
        // all source selection
        let mut e = v0_entry(0, 0, 2);
        e.source = all();
        assert!(decode(&blob(0, &[e]), G, &[6], &[Some(6)]).is_err());
        // sizes differ
        let mut e = v0_entry(0, 0, 2);
        e.source = regular(3, 4, &[(0, 1, 3, 1)]);
        assert!(decode(&blob(0, &[e]), G, &[6], &[Some(6)]).is_err());
        // rank differs from the dataspace
        assert!(decode(
            &blob(0, &[v0_entry(0, 0, 2)]),
            G,
            &[6, 1],
            &[Some(6), Some(1)]
        )
        .is_err());
        // beyond the maximum extent
        assert!(decode(&blob(0, &[v0_entry(4, 0, 4)]), G, &[6], &[Some(6)]).is_err());
        // shared name pointing forward
        let e = Entry {
            flags: SOURCE_SAME_FILE | SOURCE_DSET_SHARED,
            file: vec![],
            dset: 0u64.to_le_bytes().to_vec(),
            source: regular(3, 4, &[(0, 1, 2, 1)]),
            virt: regular(3, 4, &[(0, 1, 2, 1)]),
        };
        assert!(decode(&blob(1, &[e]), G, &[6], &[Some(6)]).is_err());
        // unknown flags, unknown version, printf names
        let mut e = v0_entry(0, 0, 2);
        e.flags = 0x08;
        assert!(decode(&blob(1, &[e]), G, &[6], &[Some(6)]).is_err());
        assert!(decode(&blob(2, &[v0_entry(0, 0, 2)]), G, &[6], &[Some(6)]).is_err());
        let mut e = v0_entry(0, 0, 2);
        e.dset = cstr("/src_%b");
        assert!(decode(&blob(0, &[e]), G, &[6], &[Some(6)]).is_err());
        // an entry count beyond the entries present
        let mut b = blob(0, &[v0_entry(0, 0, 2)]);
        b[1] = 2;
        let n = b.len() - 4;
        let sum = super::super::bytes::lookup3(&b[..n]);
        b[n..].copy_from_slice(&sum.to_le_bytes());
        assert!(decode(&b, G, &[6], &[Some(6)]).is_err());
        // a huge entry count
        let mut b = blob(0, &[v0_entry(0, 0, 2)]);
        b[1..9].copy_from_slice(&u64::MAX.to_le_bytes());
        let n = b.len() - 4;
        let sum = super::super::bytes::lookup3(&b[..n]);
        b[n..].copy_from_slice(&sum.to_le_bytes());
        assert!(decode(&b, G, &[6], &[Some(6)]).is_err());
    }

    #[test]
    fn checksum_mismatch_is_an_error() {
        let mut b = blob(0, &[v0_entry(0, 0, 2)]);
        let last = b.len() - 1;
        b[last] ^= 1;
        let e = decode(&b, G, &[6], &[Some(6)]).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        let mut b = blob(0, &[v0_entry(0, 0, 2)]);
        b[20] ^= 0x40;
        assert!(decode(&b, G, &[6], &[Some(6)]).is_err());
    }

    #[test]
    fn every_truncation_fails_and_flips_never_panic() {
        let b = blob(0, &[v0_entry(0, 8, 4), v0_entry(4, 0, 2)]);
        for cut in 0..b.len() {
            assert!(decode(&b[..cut], G, &[6], &[Some(6)]).is_err(), "cut {cut}");
        }
        for i in 0..b.len() - 4 {
            for bit in 0..8 {
                // Re-checksummed, so the decoder itself sees the flip.
                let mut f = b.clone();
                f[i] ^= 1 << bit;
                let n = f.len() - 4;
                let sum = super::super::bytes::lookup3(&f[..n]);
                f[n..].copy_from_slice(&sum.to_le_bytes());
                let _ = decode(&f, G, &[6], &[Some(6)]);
            }
        }
    }
}
