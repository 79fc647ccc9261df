//! Object headers, versions 1 and 2, reduced to the messages vh5 reads
//! without HDF5: a VDS's dataspace (0x0001), fill value (0x0005) and data
//! layout (0x0008), and small attributes stored in the header (0x000C),
//! such as a version group's `committed` flag.

use std::collections::HashSet;
use std::collections::VecDeque;

use super::bytes::{verify_checksum, Cursor};
use super::{Geometry, RawError, RawFile};

const MSG_NULL: u16 = 0x0000;
const MSG_DATASPACE: u16 = 0x0001;
const MSG_FILL_OLD: u16 = 0x0004;
const MSG_FILL: u16 = 0x0005;
pub(crate) const MSG_LAYOUT: u16 = 0x0008;
pub(crate) const MSG_ATTR: u16 = 0x000C;
const MSG_ATTR_INFO: u16 = 0x0015;
const MSG_CONTINUATION: u16 = 0x0010;
const MSG_MTIME_OLD: u16 = 0x000E;
const MSG_MTIME: u16 = 0x0012;
/// What `Want::Everything` leaves out of `Messages::others`: framing, the
/// layout (decoded on its own) and modification times.
const NOT_OTHERS: [u16; 5] = [
    MSG_NULL,
    MSG_CONTINUATION,
    MSG_LAYOUT,
    MSG_MTIME_OLD,
    MSG_MTIME,
];
/// Message types the C library knows are below this.
const MSG_UNKNOWN: u16 = 0x0019;

const FLAG_SHARED: u8 = 0x02;
const FLAG_DONTSHARE: u8 = 0x04;
const FLAG_FAIL_IF_UNKNOWN_WRITE: u8 = 0x08;
const FLAG_MARK_IF_UNKNOWN: u8 = 0x10;
const FLAG_WAS_UNKNOWN: u8 = 0x20;
const FLAG_FAIL_IF_UNKNOWN_ALWAYS: u8 = 0x80;

const HDR_CHUNK0_SIZE: u8 = 0x03;
const HDR_CRT_ORDER_TRACKED: u8 = 0x04;
const HDR_CRT_ORDER_INDEXED: u8 = 0x08;
const HDR_PHASE_CHANGE: u8 = 0x10;
const HDR_STORE_TIMES: u8 = 0x20;
const HDR_ALL_FLAGS: u8 = HDR_CHUNK0_SIZE
    | HDR_CRT_ORDER_TRACKED
    | HDR_CRT_ORDER_INDEXED
    | HDR_PHASE_CHANGE
    | HDR_STORE_TIMES;

/// Most continuation chunks one header may chain (HDF5 writes a handful).
const MAX_CHUNKS: usize = 4096;

/// Bytes read at a header's address before knowing its size.
const SPECULATIVE_READ: u64 = 1024;

/// A dataset's extent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataspace {
    pub shape: Vec<u64>,
    pub maxshape: Vec<Option<u64>>,
}

/// The part of a layout message this reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The global heap object holding the mappings (`None`: no mappings).
    Virtual { heap_addr: Option<u64>, index: u32 },
    /// Compact (0), contiguous (1) or chunked (2).
    Other(u8),
}

/// An attribute's stored value: the first 8 bytes of its datatype message
/// (class, class bits, element size) and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrValue {
    pub dtype_head: [u8; 8],
    pub data: Vec<u8>,
    /// Where `data` starts in the message.
    pub data_at: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Messages {
    pub dataspace: Option<Dataspace>,
    pub layout: Option<Layout>,
    /// The fill value message's user-defined bytes (`Some(None)`: a message
    /// with no user value: HDF5's default, zero bytes).
    pub fill: Option<Option<Vec<u8>>>,
    /// The same from the pre-1.6 fill value message, used when there is no
    /// newer one (as HDF5 does).
    pub fill_old: Option<Option<Vec<u8>>>,
    /// Attributes stored in the header, by name: their value, or `None`
    /// for a form this reader does not decode (shared parts).
    pub attrs: Vec<(Vec<u8>, Option<AttrValue>)>,
    /// Some attributes are not in `attrs` (dense storage, or a message
    /// this reader does not decode): only HDF5 can tell them.
    pub dense_attrs: bool,
    /// With `Want::Everything`: every other message as stored (kind,
    /// bytes) in header order, attributes included; not the layout, the
    /// framing (null, continuation) or modification times.
    pub others: Vec<(u16, Vec<u8>)>,
}

/// Which messages to decode; the others are only framed (checked for
/// size and flags), which is what makes a scan of many headers cheap.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Want<'a> {
    All,
    /// Only the attributes of these names.
    Attrs(&'a [&'a [u8]]),
    /// All, and the bytes of every other message (`Messages::others`).
    Everything,
}

impl Want<'_> {
    /// Whether what was wanted is decoded already.
    fn found_in(self, out: &Messages) -> bool {
        match self {
            Want::All | Want::Everything => false,
            Want::Attrs(names) => names
                .iter()
                .all(|&name| out.attrs.iter().any(|(n, _)| n == name)),
        }
    }
}

/// One object header chunk still to decode.
#[derive(Debug, Clone, Copy)]
struct Continuation {
    addr: u64,
    size: u64,
}

/// How messages are framed in this header.
#[derive(Debug, Clone, Copy)]
struct Framing {
    version: u8,
    /// Version 2 headers that track attribute creation order add 2 bytes.
    crt_order: bool,
}

impl Framing {
    fn msg_header_size(self) -> usize {
        match (self.version, self.crt_order) {
            (1, _) => 8,
            (_, true) => 6,
            (_, false) => 4,
        }
    }
}

/// Reads the header at `addr` with all its continuation chunks and decodes
/// its dataspace, fill, layout and attribute messages.
pub(crate) fn read_messages(f: &RawFile, addr: u64) -> Result<Messages, RawError> {
    read_wanted(f, addr, Want::All)
}

/// Like `read_messages`, decoding only the messages `want` names.
pub(crate) fn read_wanted(f: &RawFile, addr: u64, want: Want) -> Result<Messages, RawError> {
    let g = f.geometry();
    // Any prefix (v2 is at most 4+1+1+16+4+8 bytes), and usually the
    // whole first chunk.
    let head = f.read_upto(addr, SPECULATIVE_READ, "object header")?;
    let mut out = Messages::default();
    let mut queue = VecDeque::new();
    let framing = if head.starts_with(b"OHDR") {
        let (prefix_len, chunk0, framing) = parse_v2_prefix(&head)?;
        let total = (prefix_len as u64)
            .checked_add(chunk0)
            .and_then(|n| n.checked_add(4))
            .ok_or_else(|| RawError::format("object header chunk size overflows"))?;
        let owned;
        let block: &[u8] = match head.get(..total as usize) {
            Some(b) if total <= SPECULATIVE_READ => b,
            _ => {
                owned = f.read(addr, total, "object header")?;
                &owned
            }
        };
        verify_checksum(block, "object header")?;
        let body = &block[prefix_len..block.len() - 4];
        decode_chunk(body, framing, g, want, &mut out, &mut queue)?;
        framing
    } else {
        let (nmesgs, chunk0) = parse_v1_prefix(&head)?;
        let framing = Framing {
            version: 1,
            crt_order: false,
        };
        let data_addr = addr
            .checked_add(16)
            .ok_or_else(|| RawError::format("object header address overflows"))?;
        let owned;
        let body: &[u8] = match head.get(16..).and_then(|h| h.get(..chunk0 as usize)) {
            Some(b) if chunk0 <= SPECULATIVE_READ => b,
            _ => {
                owned = f.read(data_addr, chunk0, "object header")?;
                &owned
            }
        };
        let n = decode_chunk(body, framing, g, want, &mut out, &mut queue)?;
        if n > usize::from(nmesgs) {
            return Err(RawError::format("bad object header message count"));
        }
        framing
    };
    let mut seen = HashSet::new();
    seen.insert(addr);
    let mut chunks = 1usize;
    while let Some(cont) = queue.pop_front() {
        if want.found_in(&out) {
            break; // names are unique in a header: the rest cannot change it
        }
        if !seen.insert(cont.addr) {
            return Err(RawError::format(format!(
                "object header continuation cycle at {:#x}",
                cont.addr
            )));
        }
        chunks += 1;
        if chunks > MAX_CHUNKS {
            return Err(RawError::unsupported("too many object header chunks"));
        }
        let block = f.read(cont.addr, cont.size, "object header continuation")?;
        if framing.version == 1 {
            decode_chunk(&block, framing, g, want, &mut out, &mut queue)?;
        } else {
            if block.len() < 8 || &block[..4] != b"OCHK" {
                return Err(RawError::format(
                    "object header continuation chunk without OCHK signature",
                ));
            }
            verify_checksum(&block, "object header continuation chunk")?;
            decode_chunk(
                &block[4..block.len() - 4],
                framing,
                g,
                want,
                &mut out,
                &mut queue,
            )?;
        }
    }
    Ok(out)
}

/// Version 1 prefix: version, reserved, message count, reference count,
/// chunk 0 size, 4 bytes of padding to 16.
fn parse_v1_prefix(head: &[u8]) -> Result<(u16, u64), RawError> {
    let mut c = Cursor::new(head, "object header prefix");
    let version = c.u8()?;
    if version != 1 {
        return Err(RawError::format(format!(
            "bad object header version {version}"
        )));
    }
    c.skip(1)?;
    let nmesgs = c.u16()?;
    let _refcount = c.u32()?;
    let chunk0 = c.u32()?;
    c.skip(4)?;
    if (nmesgs > 0 && chunk0 < 8) || (nmesgs == 0 && chunk0 > 0) {
        return Err(RawError::format("bad object header chunk size"));
    }
    Ok((nmesgs, chunk0.into()))
}

/// Version 2 prefix: "OHDR", version, flags, optional times, optional
/// attribute phase change values, chunk 0 size in 1/2/4/8 bytes.
/// Returns the prefix length, chunk 0's data size and the framing.
fn parse_v2_prefix(head: &[u8]) -> Result<(usize, u64, Framing), RawError> {
    let mut c = Cursor::new(head, "object header prefix");
    c.skip(4)?;
    let version = c.u8()?;
    if version != 2 {
        return Err(RawError::format(format!(
            "bad object header version {version}"
        )));
    }
    let flags = c.u8()?;
    if flags & !HDR_ALL_FLAGS != 0 {
        return Err(RawError::format(format!(
            "unknown object header flags {flags:#04x}"
        )));
    }
    if flags & HDR_STORE_TIMES != 0 {
        c.skip(16)?;
    }
    if flags & HDR_PHASE_CHANGE != 0 {
        let max_compact = c.u16()?;
        let min_dense = c.u16()?;
        if max_compact < min_dense {
            return Err(RawError::format(
                "bad object header attribute phase change values",
            ));
        }
    }
    let chunk0 = c.uint(1 << (flags & HDR_CHUNK0_SIZE))?;
    let framing = Framing {
        version: 2,
        crt_order: flags & HDR_CRT_ORDER_TRACKED != 0,
    };
    if chunk0 > 0 && chunk0 < framing.msg_header_size() as u64 {
        return Err(RawError::format("bad object header chunk size"));
    }
    Ok((c.pos(), chunk0, framing))
}

/// Decodes the messages of one chunk's message area; returns how many.
fn decode_chunk(
    body: &[u8],
    framing: Framing,
    g: Geometry,
    want: Want,
    out: &mut Messages,
    queue: &mut VecDeque<Continuation>,
) -> Result<usize, RawError> {
    let mut c = Cursor::new(body, "object header message");
    let hdr = framing.msg_header_size();
    let mut count = 0usize;
    let mut nulls = 0usize;
    while !c.is_empty() {
        if c.remaining() < hdr {
            // A gap: only in version 2, and only in chunks without nulls.
            if framing.version == 1 {
                return Err(RawError::format("gap in a version 1 object header"));
            }
            if nulls > 0 {
                return Err(RawError::format("gap in a chunk with null messages"));
            }
            break;
        }
        let kind = if framing.version == 1 {
            c.u16()?
        } else {
            u16::from(c.u8()?)
        };
        let size = usize::from(c.u16()?);
        if framing.version == 1 && size % 8 != 0 {
            return Err(RawError::format("object header message not aligned"));
        }
        let flags = c.u8()?;
        check_message_flags(flags)?;
        if framing.version == 1 {
            c.skip(3)?;
        } else if framing.crt_order {
            c.skip(2)?;
        }
        let data = c.take(size)?;
        count += 1;
        if matches!(want, Want::Everything) && !NOT_OTHERS.contains(&kind) {
            out.others.push((kind, data.to_vec()));
        }
        let skip = match want {
            Want::All | Want::Everything => false,
            Want::Attrs(names) => match kind {
                MSG_ATTR => attr_name(data).is_ok_and(|n| !names.contains(&n)),
                MSG_DATASPACE | MSG_FILL | MSG_FILL_OLD | MSG_LAYOUT => true,
                _ => false,
            },
        };
        if skip {
            continue;
        }
        match kind {
            MSG_NULL => nulls += 1,
            MSG_DATASPACE => {
                if flags & FLAG_SHARED != 0 {
                    return Err(RawError::unsupported("shared dataspace message"));
                }
                if out.dataspace.is_some() {
                    return Err(RawError::format("two dataspace messages"));
                }
                out.dataspace = Some(decode_dataspace(data, g)?);
            }
            MSG_FILL | MSG_FILL_OLD => {
                if flags & FLAG_SHARED != 0 {
                    return Err(RawError::unsupported("shared fill value message"));
                }
                let slot = if kind == MSG_FILL {
                    &mut out.fill
                } else {
                    &mut out.fill_old
                };
                if slot.is_some() {
                    return Err(RawError::format("two fill value messages"));
                }
                *slot = Some(if kind == MSG_FILL {
                    decode_fill(data)?
                } else {
                    decode_fill_old(data)?
                });
            }
            MSG_LAYOUT => {
                if flags & FLAG_SHARED != 0 {
                    return Err(RawError::format("layout message flagged as shared"));
                }
                if out.layout.is_some() {
                    return Err(RawError::format("two layout messages"));
                }
                out.layout = Some(decode_layout(data, g)?);
            }
            // An attribute this reader cannot decode makes the header's
            // attributes uncertain, not the rest of the header wrong.
            MSG_ATTR => match decode_attr(data, g) {
                Ok(a) if flags & FLAG_SHARED == 0 => out.attrs.push(a),
                _ => out.dense_attrs = true,
            },
            MSG_ATTR_INFO => out.dense_attrs |= has_dense_attrs(data, g).unwrap_or(true),
            MSG_CONTINUATION => {
                let mut m = Cursor::new(data, "continuation message");
                let addr = m.uint(g.sizeof_addr)?;
                let size = m.uint(g.sizeof_size)?;
                if size == 0 {
                    return Err(RawError::format("continuation chunk of size 0"));
                }
                if is_undef(addr, g.sizeof_addr) {
                    return Err(RawError::format("continuation to an undefined address"));
                }
                queue.push_back(Continuation { addr, size });
            }
            k if k >= MSG_UNKNOWN && flags & FLAG_FAIL_IF_UNKNOWN_ALWAYS != 0 => {
                return Err(RawError::unsupported(format!(
                    "unknown message type {k:#06x} marked fail-if-unknown"
                )));
            }
            _ => {}
        }
    }
    Ok(count)
}

/// An attribute message's name, without decoding the rest.
fn attr_name(data: &[u8]) -> Result<&[u8], RawError> {
    let mut c = Cursor::new(data, "attribute message");
    let version = c.u8()?;
    c.skip(1)?;
    let name_len = usize::from(c.u16()?);
    c.skip(4)?;
    if version == 3 {
        c.skip(1)?;
    }
    let name = c.take(name_len)?;
    Ok(name.split(|&b| b == 0).next().unwrap_or(&[]))
}

/// An attribute message: its name, and its data when the datatype and
/// dataspace are stored in it (not shared).
pub(crate) fn decode_attr(
    data: &[u8],
    g: Geometry,
) -> Result<(Vec<u8>, Option<AttrValue>), RawError> {
    let mut c = Cursor::new(data, "attribute message");
    let version = c.u8()?;
    let flags = c.u8()?;
    let name_len = usize::from(c.u16()?);
    let type_len = usize::from(c.u16()?);
    let space_len = usize::from(c.u16()?);
    // Version 1 pads each part to 8 bytes; version 3 adds the name's encoding.
    let padded = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    match version {
        1 | 2 => {}
        3 => c.skip(1)?,
        v => return Err(RawError::format(format!("attribute message version {v}"))),
    }
    let name = c.take(padded(name_len))?;
    let name = name[..name_len]
        .split(|&b| b == 0)
        .next()
        .unwrap_or(&[])
        .to_vec();
    let dtype = c.take(padded(type_len))?;
    let space = c.take(padded(space_len))?;
    if version > 1 && flags & 0x03 != 0 {
        return Ok((name, None));
    }
    let dtype_head: [u8; 8] = match dtype.get(..8) {
        Some(b) => b.try_into().expect("8 bytes"),
        None => return Err(RawError::format("attribute datatype truncated")),
    };
    let element = u64::from(u32::from_le_bytes(
        dtype_head[4..8].try_into().expect("4 bytes"),
    ));
    let count: u64 = decode_dataspace(space, g)?.shape.iter().product();
    let bytes = count
        .checked_mul(element)
        .filter(|&n| n <= c.remaining() as u64)
        .ok_or_else(|| RawError::format("attribute data truncated"))?;
    let data_at = c.pos();
    let data = c.take(bytes as usize)?.to_vec();
    Ok((
        name,
        Some(AttrValue {
            dtype_head,
            data,
            data_at,
        }),
    ))
}

/// Whether an attribute info message points to dense attribute storage.
fn has_dense_attrs(data: &[u8], g: Geometry) -> Result<bool, RawError> {
    let mut c = Cursor::new(data, "attribute info message");
    let _version = c.u8()?;
    let flags = c.u8()?;
    if flags & 0x01 != 0 {
        c.skip(2)?; // maximum creation index
    }
    let heap = c.uint(g.sizeof_addr)?;
    Ok(!is_undef(heap, g.sizeof_addr))
}

fn check_message_flags(flags: u8) -> Result<(), RawError> {
    let bad = (flags & FLAG_SHARED != 0 && flags & FLAG_DONTSHARE != 0)
        || (flags & FLAG_WAS_UNKNOWN != 0 && flags & FLAG_FAIL_IF_UNKNOWN_WRITE != 0)
        || (flags & FLAG_WAS_UNKNOWN != 0 && flags & FLAG_MARK_IF_UNKNOWN == 0);
    if bad {
        return Err(RawError::format(format!(
            "bad message flag combination {flags:#04x}"
        )));
    }
    Ok(())
}

/// The fill value message (versions 1 to 3): the user-defined value's
/// bytes, `None` when undefined or HDF5's default.
fn decode_fill(data: &[u8]) -> Result<Option<Vec<u8>>, RawError> {
    let mut c = Cursor::new(data, "fill value message");
    let version = c.u8()?;
    let defined_size = match version {
        1 | 2 => {
            c.skip(2)?; // allocation and write times
            if c.u8()? == 0 {
                return Ok(None);
            }
            c.u32()?
        }
        3 => {
            let flags = c.u8()?;
            const UNDEFINED: u8 = 0x10;
            const HAVE_VALUE: u8 = 0x20;
            if flags & !0x3f != 0 || flags & (UNDEFINED | HAVE_VALUE) == UNDEFINED | HAVE_VALUE {
                return Err(RawError::format(format!("fill value flags {flags:#04x}")));
            }
            if flags & HAVE_VALUE == 0 {
                return Ok(None);
            }
            c.u32()?
        }
        v => return Err(RawError::format(format!("fill value message version {v}"))),
    };
    match defined_size {
        0 => Ok(None),
        n => Ok(Some(c.take(n as usize)?.to_vec())),
    }
}

/// The pre-1.6 fill value message: a size and the value.
fn decode_fill_old(data: &[u8]) -> Result<Option<Vec<u8>>, RawError> {
    let mut c = Cursor::new(data, "old fill value message");
    match c.u32()? {
        0 => Ok(None),
        n => Ok(Some(c.take(n as usize)?.to_vec())),
    }
}

/// An address of all 0xff bytes is HDF5's "undefined address".
pub(crate) fn is_undef(value: u64, width: usize) -> bool {
    let all = if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    };
    value == all
}

/// The dataspace message, versions 1 and 2.
fn decode_dataspace(data: &[u8], g: Geometry) -> Result<Dataspace, RawError> {
    let mut c = Cursor::new(data, "dataspace message");
    let version = c.u8()?;
    if !(1..=2).contains(&version) {
        return Err(RawError::format(format!(
            "dataspace message version {version}"
        )));
    }
    let rank = usize::from(c.u8()?);
    if rank > 32 {
        return Err(RawError::format(format!("dataspace rank {rank}")));
    }
    let flags = c.u8()?;
    if version == 2 {
        match c.u8()? {
            // scalar, simple
            0 | 1 => {}
            2 => return Err(RawError::unsupported("null dataspace")),
            t => return Err(RawError::format(format!("dataspace class {t}"))),
        }
    } else {
        c.skip(5)?;
    }
    let mut shape = Vec::with_capacity(rank);
    for _ in 0..rank {
        shape.push(c.uint(g.sizeof_size)?);
    }
    let maxshape = if flags & 0x01 != 0 {
        let mut max = Vec::with_capacity(rank);
        for &dim in &shape {
            let m = c.uint(g.sizeof_size)?;
            if m == u64::MAX {
                max.push(None);
            } else if is_undef(m, g.sizeof_size) {
                return Err(RawError::unsupported(
                    "all-ones maximum dimension in short lengths",
                ));
            } else if dim > m {
                return Err(RawError::format("dataspace dimension above its maximum"));
            } else {
                max.push(Some(m));
            }
        }
        max
    } else {
        shape.iter().map(|&d| Some(d)).collect()
    };
    Ok(Dataspace { shape, maxshape })
}

/// The layout message: which class, and for a virtual layout (message
/// versions 4 and 5) the global heap object that holds the mappings.
fn decode_layout(data: &[u8], g: Geometry) -> Result<Layout, RawError> {
    let mut c = Cursor::new(data, "layout message");
    let version = c.u8()?;
    if !(1..=5).contains(&version) {
        return Err(RawError::format(format!(
            "layout message version {version}"
        )));
    }
    let class = if version < 3 {
        c.skip(1)?; // dimensionality
        c.u8()?
    } else {
        c.u8()?
    };
    match class {
        0..=2 => Ok(Layout::Other(class)),
        3 if version < 4 => Err(RawError::format(format!(
            "virtual layout in a version {version} layout message"
        ))),
        3 => {
            let addr = c.uint(g.sizeof_addr)?;
            let index = c.u32()?;
            let heap_addr = (!is_undef(addr, g.sizeof_addr)).then_some(addr);
            Ok(Layout::Virtual { heap_addr, index })
        }
        k => Err(RawError::format(format!("layout class {k}"))),
    }
}
