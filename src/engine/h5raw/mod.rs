//! A small reader of exactly the HDF5 file bytes that hold a virtual
//! dataset's mappings: superblock, object header (dataspace and layout
//! messages), global heap object, serialized selections. It is a fast path
//! beside the C library (opening a VDS through `H5Dopen2` decodes every
//! mapping into dataspaces, milliseconds for a large version): anything it
//! does not fully understand is an error, never a guess, and the caller then
//! asks the C library.
//!
//! Encodings follow the HDF5 file-format specification and the 2.x sources
//! (`H5Fsuper_cache.c`, `H5Ocache.c`, `H5Osdspace.c`, `H5Olayout.c`,
//! `H5HGcache.c`, `H5Dvirtual.c`, `H5Shyper.c`, `H5Sall.c`).
//!
//! Every read is bounded by the file length, every loop by the bytes it
//! walks or by an explicit cap, and all arithmetic on file values is checked.

mod bytes;
mod gheap;
mod objheader;
mod selection;
mod vds;

pub(crate) use vds::MappingView;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::h5::{Block, VirtualMapping};
use bytes::Cursor;
use objheader::AttrValue;

use objheader::Layout;

/// Why the raw reader gave up. Every case but `Damaged` is a reason to
/// fall back to the C library, not a verdict on the file.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    #[error("HDF5 raw read: {0}")]
    Io(#[from] std::io::Error),
    /// Bytes that do not decode, or contradict each other.
    #[error("HDF5 raw read: malformed: {0}")]
    Format(String),
    /// Valid HDF5 this reader does not handle (or cannot represent exactly).
    #[error("HDF5 raw read: unsupported: {0}")]
    Unsupported(String),
    /// The object is a dataset, but its layout is not virtual.
    #[error("HDF5 raw read: not a virtual dataset (layout class {0})")]
    NotVirtual(u8),
    /// Damage the C library would hang or crash on (`RawFile::damage`):
    /// a verdict on the file.
    #[error("{0}")]
    Damaged(String),
}

impl RawError {
    pub(crate) fn format(msg: impl Into<String>) -> RawError {
        RawError::Format(msg.into())
    }
    pub(crate) fn unsupported(msg: impl Into<String>) -> RawError {
        RawError::Unsupported(msg.into())
    }
}

/// Refuses to go on through HDF5 once the byte reader has found damage
/// HDF5 would hang or crash on (`RawFile::damage`): what falls back to
/// HDF5 may read it.
pub(crate) fn refuse_known_damage(reader: Option<&RawFile>) -> crate::engine::Result<()> {
    match reader.and_then(RawFile::damage) {
        Some(what) => {
            let damage = crate::engine::Error::bad_file(what);
            Err(match reader.and_then(RawFile::path) {
                Some(path) => damage.context(path.display()),
                None => damage,
            })
        }
        None => Ok(()),
    }
}

/// The dataspace and mappings of one virtual dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VdsLayout {
    pub shape: Vec<u64>,
    /// `None` = unlimited.
    pub maxshape: Vec<Option<u64>>,
    pub mappings: Vec<RawMapping>,
    /// The user-defined fill value's bytes (in the dataset's own type);
    /// `None`: HDF5's default, zero bytes.
    pub fill: Option<Vec<u8>>,
}

/// A virtual dataset's dataspace and fill value, with its mapping list
/// still encoded.
pub(crate) struct VdsHeader {
    pub shape: Vec<u64>,
    pub maxshape: Vec<Option<u64>>,
    pub fill: Option<Vec<u8>>,
    mapping_list: Option<gheap::HeapObject>,
    geometry: Geometry,
}

impl VdsHeader {
    /// Decodes the mappings, handing each to `each` in file order.
    pub(crate) fn visit_mappings(
        &self,
        each: impl FnMut(MappingView<'_>) -> Result<(), RawError>,
    ) -> Result<(), RawError> {
        match &self.mapping_list {
            None => Ok(()),
            Some(list) => vds::visit(
                list.bytes(),
                self.geometry,
                &self.shape,
                &self.maxshape,
                each,
            ),
        }
    }
}

/// One mapping, its selections reduced to the single block each one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMapping {
    /// As stored (`"."` = the same file); printf-style `%` sequences are
    /// returned verbatim, as `H5Pget_virtual_filename` does.
    /// Shared by the mappings that name the same file or dataset.
    pub source_file: Arc<str>,
    pub source_dataset: Arc<str>,
    pub virtual_block: Block,
    pub source_block: Block,
}

impl RawMapping {
    pub fn to_mapping(&self) -> VirtualMapping {
        VirtualMapping {
            virtual_block: self.virtual_block.clone(),
            source_block: self.source_block.clone(),
        }
    }
}

/// Where the bytes come from: a file, or a buffer (tests, fuzzing).
#[derive(Debug)]
enum Source {
    File(File),
    Memory(Vec<u8>),
}

/// Sizes the superblock fixes for the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    /// Size of offsets (addresses), bytes.
    pub sizeof_addr: usize,
    /// Size of lengths, bytes.
    pub sizeof_size: usize,
}

/// A version dataset as bytes (`RawFile::dataset_fingerprint`): its
/// attribute messages (sorted: their order in the header means nothing),
/// and every other message with its mapping list.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Fingerprint {
    pub attrs: Vec<Vec<u8>>,
    pub rest: Vec<(u16, Vec<u8>)>,
}

/// A version group's bookkeeping attributes (`RawFile::version_attrs`).
#[derive(Debug)]
pub(crate) struct VersionAttrs {
    pub prev: Option<String>,
    pub timestamp: Option<String>,
    pub committed: Option<Vec<u8>>,
}

/// An HDF5 file opened for raw metadata reads.
#[derive(Debug)]
pub struct RawFile {
    source: Source,
    /// The file's path (`None` for an image in memory), for messages.
    path: Option<PathBuf>,
    len: u64,
    /// Absolute offset of address 0 (where the superblock was found).
    base: u64,
    geometry: Geometry,
    superblock_version: u8,
    /// The first damage found that HDF5 would hang or crash on.
    damage: OnceLock<String>,
    /// Global heap collections read lately, by address, most recent first.
    collections: Mutex<Vec<(u64, Arc<[u8]>)>>,
}

/// Datatype classes (the low 4 bits of a datatype message's first byte).
const FIXED_STRING: u8 = 3;
const VARIABLE: u8 = 9;

const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Cap on any one metadata block read (object header chunk, heap
/// collection): far above what HDF5 writes, far below memory trouble.
pub(crate) const MAX_BLOCK: u64 = 1 << 30;

impl RawFile {
    pub fn open(path: impl AsRef<Path>) -> Result<RawFile, RawError> {
        let file = File::open(path.as_ref())?;
        let len = file.metadata()?.len();
        let mut raw = RawFile::with_source(Source::File(file), len)?;
        raw.path = Some(path.as_ref().to_path_buf());
        Ok(raw)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A file image held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<RawFile, RawError> {
        let len = bytes.len() as u64;
        RawFile::with_source(Source::Memory(bytes), len)
    }

    fn with_source(source: Source, len: u64) -> Result<RawFile, RawError> {
        let mut raw = RawFile {
            source,
            path: None,
            len,
            base: 0,
            geometry: Geometry {
                sizeof_addr: 8,
                sizeof_size: 8,
            },
            superblock_version: 0,
            damage: OnceLock::new(),
            collections: Mutex::new(Vec::new()),
        };
        raw.read_superblock()?;
        Ok(raw)
    }

    pub fn superblock_version(&self) -> u8 {
        self.superblock_version
    }

    /// Damage met so far that HDF5 2.x would hang or crash on, where it
    /// decodes before it checks:
    /// - a global heap collection with an entry of index 0 (free space) and
    ///   size 0, which a zeroed block makes: `H5HG__cache_heap_deserialize`
    ///   advances by that size forever (HDFGroup/hdf5#1707), whatever in
    ///   the collection is read;
    /// - a virtual dataset's mapping list that fails its checksum:
    ///   `H5D__virtual_load_layout` decodes it first, and freeing what it
    ///   half decoded can crash.
    ///
    /// Whoever would fall back to HDF5 after the byte reader failed must
    /// refuse the file instead.
    pub fn damage(&self) -> Option<&str> {
        self.damage.get().map(String::as_str)
    }

    /// `r`, with its damage (if it is one) remembered for `damage`.
    pub(crate) fn noted<T>(&self, r: Result<T, RawError>) -> Result<T, RawError> {
        if let Err(RawError::Damaged(what)) = &r {
            let _ = self.damage.set(what.clone());
        }
        r
    }

    /// The dataspace and mappings of the virtual dataset whose object header
    /// is at `header_addr` (an address as HDF5 reports it, relative to the
    /// base address: `H5VLnative_token_to_addr` of the object's token).
    pub fn vds_layout(&self, header_addr: u64) -> Result<VdsLayout, RawError> {
        let head = self.vds_header(header_addr)?;
        let mappings = match &head.mapping_list {
            None => Vec::new(),
            Some(list) => self.noted(vds::decode(
                list.bytes(),
                self.geometry,
                &head.shape,
                &head.maxshape,
            ))?,
        };
        Ok(VdsLayout {
            shape: head.shape,
            maxshape: head.maxshape,
            mappings,
            fill: head.fill,
        })
    }

    /// A virtual dataset's object header, its mapping list read but not
    /// yet decoded (`VdsHeader::visit_mappings` decodes it).
    pub(crate) fn vds_header(&self, header_addr: u64) -> Result<VdsHeader, RawError> {
        let msgs = objheader::read_messages(self, header_addr)?;
        let space = msgs.dataspace.ok_or_else(|| {
            RawError::format("object header has no dataspace message (not a dataset?)")
        })?;
        let layout = msgs
            .layout
            .ok_or_else(|| RawError::format("object header has no layout message"))?;
        let mapping_list = match layout {
            // No heap object: a VDS without mappings.
            Layout::Virtual {
                heap_addr: None, ..
            } => None,
            Layout::Virtual {
                heap_addr: Some(addr),
                index,
            } => Some(gheap::read_object(self, addr, index)?),
            Layout::Other(class) => return Err(RawError::NotVirtual(class)),
        };
        Ok(VdsHeader {
            shape: space.shape,
            maxshape: space.maxshape,
            fill: msgs.fill.or(msgs.fill_old).flatten(),
            mapping_list,
            geometry: self.geometry,
        })
    }

    /// What makes a version dataset what it is, as bytes: every message of
    /// its header but the layout, the framing and modification times, in
    /// header order but the attributes (sorted; vh5 lists them by name),
    /// variable-length string attributes with their strings read from the
    /// global heap; then its mapping list. Equal
    /// fingerprints mean equal datasets in all vh5 shows or compares:
    /// shape, type, fill, attributes, mappings and the `raw_data` they
    /// read. Unequal ones may still be equal (a value held differently, in
    /// another order): HDF5 must tell.
    pub(crate) fn dataset_fingerprint(&self, header_addr: u64) -> Result<Fingerprint, RawError> {
        let msgs = objheader::read_wanted(self, header_addr, objheader::Want::Everything)?;
        if msgs.dense_attrs {
            return Err(RawError::unsupported("attributes outside the header"));
        }
        let mappings = match msgs.layout {
            Some(Layout::Virtual {
                heap_addr: None, ..
            }) => Vec::new(),
            Some(Layout::Virtual {
                heap_addr: Some(addr),
                index,
            }) => gheap::read_object(self, addr, index)?.bytes().to_vec(),
            Some(Layout::Other(class)) => return Err(RawError::NotVirtual(class)),
            None => return Err(RawError::format("object header has no layout message")),
        };
        let mut out = Fingerprint::default();
        for (kind, bytes) in msgs.others {
            match kind {
                objheader::MSG_ATTR => out.attrs.push(self.attr_with_strings(bytes)?),
                _ => out.rest.push((kind, bytes)),
            }
        }
        out.rest.push((objheader::MSG_LAYOUT, mappings));
        // HDF5 places attribute messages wherever a header has room, so two
        // versions with the same attributes may hold them in another order.
        out.attrs.sort_unstable();
        Ok(out)
    }

    /// An attribute message with its variable-length strings' heap
    /// references replaced by the strings; others as they are.
    fn attr_with_strings(&self, message: Vec<u8>) -> Result<Vec<u8>, RawError> {
        let (_, value) = objheader::decode_attr(&message, self.geometry)?;
        let Some(v) = value else {
            return Err(RawError::unsupported("attribute with shared parts"));
        };
        if v.dtype_head[0] & 0x0f != VARIABLE {
            return Ok(message);
        }
        if v.dtype_head[1] & 0x0f != 1 {
            return Err(RawError::unsupported("variable-length sequence attribute"));
        }
        let element = 8 + self.geometry.sizeof_addr;
        let mut out = message[..v.data_at].to_vec();
        for one in v.data.chunks(element) {
            let text = self.heap_string(one)?;
            out.extend((text.len() as u64).to_le_bytes());
            out.extend(text);
        }
        Ok(out)
    }

    /// The data bytes of the attribute `name` of the object whose header
    /// is at `header_addr`, `None` when it has no such attribute; an
    /// attribute this reader cannot see for certain (stored densely, or
    /// with shared parts) is `Unsupported`.
    pub fn small_attr(&self, header_addr: u64, name: &str) -> Result<Option<Vec<u8>>, RawError> {
        let [value] = self.attr_values(header_addr, [name])?;
        Ok(value.map(|v| v.data))
    }

    /// A string attribute as HDF5 would read it into a C string: a
    /// variable-length string (from the global heap) or a fixed-length one
    /// up to its first NUL. Other types are `Unsupported`.
    pub fn string_attr(&self, header_addr: u64, name: &str) -> Result<Option<String>, RawError> {
        let [value] = self.attr_values(header_addr, [name])?;
        value.map(|v| self.string_of(v)).transpose()
    }

    /// A version group's `prev_version` and `timestamp` (as `string_attr`)
    /// and `committed` bytes (as `small_attr`), in one read of its header.
    pub(crate) fn version_attrs(
        &self,
        header_addr: u64,
        [prev, timestamp, committed]: [&str; 3],
    ) -> Result<VersionAttrs, RawError> {
        let [p, t, c] = self.attr_values(header_addr, [prev, timestamp, committed])?;
        Ok(VersionAttrs {
            prev: p.map(|v| self.string_of(v)).transpose()?,
            timestamp: t.map(|v| self.string_of(v)).transpose()?,
            committed: c.map(|v| v.data),
        })
    }

    fn string_of(&self, v: AttrValue) -> Result<String, RawError> {
        let (class, bits) = (v.dtype_head[0] & 0x0f, v.dtype_head[1]);
        let bytes = match class {
            // Null-terminated or null-padded (space-padded ones HDF5 trims).
            FIXED_STRING if bits & 0x0f <= 1 => {
                v.data.split(|&b| b == 0).next().unwrap_or(&[]).to_vec()
            }
            VARIABLE if bits & 0x0f == 1 => self.heap_string(&v.data)?,
            _ => return Err(RawError::unsupported("attribute is not a plain string")),
        };
        String::from_utf8(bytes).map_err(|_| RawError::unsupported("attribute string is not UTF-8"))
    }

    /// A variable-length string's bytes: its length, then its global heap
    /// object (collection address, index).
    fn heap_string(&self, data: &[u8]) -> Result<Vec<u8>, RawError> {
        let mut c = Cursor::new(data, "variable-length string");
        let len = c.u32()? as usize;
        let addr = c.uint(self.geometry.sizeof_addr)?;
        let index = c.u32()?;
        if len == 0 {
            return Ok(Vec::new());
        }
        let object = gheap::read_object(self, addr, index)?;
        object
            .bytes()
            .get(..len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| RawError::format("string longer than its heap object"))
    }

    /// The attributes `names` of one object, read in one pass over its
    /// header (which stops once all are found).
    fn attr_values<const N: usize>(
        &self,
        header_addr: u64,
        names: [&str; N],
    ) -> Result<[Option<AttrValue>; N], RawError> {
        let wanted = names.map(str::as_bytes);
        let msgs = objheader::read_wanted(self, header_addr, objheader::Want::Attrs(&wanted))?;
        let mut found = msgs.attrs;
        let mut out = [const { None }; N];
        for (slot, name) in out.iter_mut().zip(wanted) {
            *slot = match found.iter().position(|(n, _)| n == name) {
                Some(i) => match found.swap_remove(i).1 {
                    Some(value) => Some(value),
                    None => return Err(RawError::unsupported("attribute with shared parts")),
                },
                None if msgs.dense_attrs => {
                    return Err(RawError::unsupported("dense attribute storage"))
                }
                None => None,
            };
        }
        Ok(out)
    }

    pub(crate) fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// The absolute file offset of a relative address, checked against the
    /// file length for a read of `size` bytes.
    fn span(&self, addr: u64, size: u64, what: &str) -> Result<u64, RawError> {
        let start = self
            .base
            .checked_add(addr)
            .ok_or_else(|| RawError::format(format!("{what}: address {addr:#x} overflows")))?;
        match start.checked_add(size) {
            Some(end) if end <= self.len => Ok(start),
            _ => Err(RawError::format(format!(
                "{what}: {size} bytes at address {addr:#x} run past the end of the file ({} bytes)",
                self.len
            ))),
        }
    }

    /// Reads `size` bytes at a relative address; the size is capped by the
    /// file length and [`MAX_BLOCK`] before anything is allocated.
    pub(crate) fn read(&self, addr: u64, size: u64, what: &str) -> Result<Vec<u8>, RawError> {
        if size > MAX_BLOCK {
            return Err(RawError::unsupported(format!(
                "{what}: {size}-byte block is larger than this reader handles"
            )));
        }
        let start = self.span(addr, size, what)?;
        self.read_abs(start, size as usize)
    }

    /// Reads up to `size` bytes (fewer at the end of the file).
    pub(crate) fn read_upto(&self, addr: u64, size: u64, what: &str) -> Result<Vec<u8>, RawError> {
        let start = self.span(addr, 0, what)?;
        let n = size.min(self.len - start).min(MAX_BLOCK);
        self.read_abs(start, n as usize)
    }

    fn read_abs(&self, start: u64, n: usize) -> Result<Vec<u8>, RawError> {
        match &self.source {
            Source::File(f) => {
                let mut buf = vec![0u8; n];
                f.read_exact_at(&mut buf, start)?;
                Ok(buf)
            }
            Source::Memory(m) => {
                // `span`/`read_upto` already bounded start + n by the length.
                let s = usize::try_from(start)
                    .map_err(|_| RawError::format("offset beyond memory image"))?;
                m.get(s..s + n)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| RawError::format("read beyond memory image"))
            }
        }
    }

    /// Finds the signature at 0, 512, 1024, 2048, ... and takes the sizes
    /// from the superblock there; that offset becomes the base address, as
    /// the C library does.
    fn read_superblock(&mut self) -> Result<(), RawError> {
        let mut at = 0u64;
        loop {
            if at.checked_add(8).is_none_or(|end| end > self.len) {
                return Err(RawError::format("no HDF5 signature found"));
            }
            if self.read_abs(at, 8)? == SIGNATURE {
                break;
            }
            at = match at {
                0 => 512,
                _ => at
                    .checked_mul(2)
                    .ok_or_else(|| RawError::format("no HDF5 signature found"))?,
            };
        }
        // The largest superblock prefix we decode: version 0/1 fixed part.
        let head = {
            let n = (self.len - at).min(96) as usize;
            self.read_abs(at, n)?
        };
        let (geometry, version, size) = parse_superblock(&head)?;
        if version >= 2 {
            bytes::verify_checksum(&head[..size], "superblock")?;
        }
        self.base = at;
        self.geometry = geometry;
        self.superblock_version = version;
        Ok(())
    }
}

/// Decodes the superblock prefix: its sizes, version and (for versions 2
/// and 3) its length including the checksum.
fn parse_superblock(b: &[u8]) -> Result<(Geometry, u8, usize), RawError> {
    let mut c = bytes::Cursor::new(b, "superblock");
    c.skip(8)?;
    let version = c.u8()?;
    let (sizeof_addr, sizeof_size) = match version {
        0 | 1 => {
            // free-space, root-group, reserved, shared-header versions
            c.skip(4)?;
            (c.u8()?, c.u8()?)
        }
        2 | 3 => (c.u8()?, c.u8()?),
        v => return Err(RawError::unsupported(format!("superblock version {v}"))),
    };
    for (what, s) in [("offsets", sizeof_addr), ("lengths", sizeof_size)] {
        match s {
            2 | 4 | 8 => {}
            16 | 32 => {
                return Err(RawError::unsupported(format!("{s}-byte size of {what}")));
            }
            _ => return Err(RawError::format(format!("bad size of {what}: {s}"))),
        }
    }
    let geometry = Geometry {
        sizeof_addr: sizeof_addr.into(),
        sizeof_size: sizeof_size.into(),
    };
    let size = match version {
        // signature, version, 2 sizes, flags, 4 addresses, checksum
        2 | 3 => 8 + 1 + 2 + 1 + 4 * geometry.sizeof_addr + 4,
        _ => 0,
    };
    if size > b.len() {
        return Err(RawError::format("superblock truncated"));
    }
    Ok((geometry, version, size))
}

#[cfg(test)]
mod testfile;
