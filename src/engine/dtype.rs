//! Element types, as HDF5 stores them and as NumPy names them.
//!
//! A `Dtype` describes one element of a buffer read with the dataset's own
//! file type as memory type, so the bytes are exactly the file layout (what
//! the chunk hash needs). Variable-length strings are the exception: in a
//! `ValueGrid` their slot holds an index into the grid's string heap.

use std::fmt;

use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5t::{
    H5T_class_t, H5T_cset_t, H5T_order_t, H5T_sign_t, H5Tget_array_dims2, H5Tget_array_ndims,
    H5Tget_class, H5Tget_cset, H5Tget_member_name, H5Tget_member_offset, H5Tget_member_type,
    H5Tget_member_value, H5Tget_nmembers, H5Tget_order, H5Tget_sign, H5Tget_size, H5Tget_super,
    H5Tget_tag, H5Tis_variable_str,
};
use serde_json::{json, Value as Json};

use super::h5::{self, handle, locked, take_c_string, Handle};

type Result<T> = hdf5::Result<T>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
    /// Single bytes and strings, where order does not apply.
    NotApplicable,
}

/// An element's `N` bytes in little-endian order.
pub(crate) fn ordered<const N: usize>(b: &[u8], order: ByteOrder) -> [u8; N] {
    let mut a: [u8; N] = b[..N].try_into().expect("element width");
    if order == ByteOrder::Big {
        a.reverse();
    }
    a
}

/// A decoded integer element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integer {
    Signed(i64),
    Unsigned(u64),
}

impl Integer {
    /// Decodes an integer of 1, 2, 4 or 8 bytes; `None` for other widths.
    pub(crate) fn decode(b: &[u8], size: usize, signed: bool, order: ByteOrder) -> Option<Integer> {
        let unsigned = match size {
            1 => b[0] as u64,
            2 => u16::from_le_bytes(ordered(b, order)) as u64,
            4 => u32::from_le_bytes(ordered(b, order)) as u64,
            8 => u64::from_le_bytes(ordered(b, order)),
            _ => return None,
        };
        if !signed {
            return Some(Integer::Unsigned(unsigned));
        }
        let shift = 64 - 8 * size as u32;
        Some(Integer::Signed(((unsigned << shift) as i64) >> shift))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub offset: usize,
    pub dtype: Dtype,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dtype {
    Int {
        size: usize,
        signed: bool,
        order: ByteOrder,
    },
    Float {
        size: usize,
        order: ByteOrder,
    },
    /// h5py's bool: an 8-bit enum with members FALSE = 0 and TRUE = 1.
    Bool,
    /// h5py's complex: a compound of two floats named `r` and `i`.
    Complex {
        part_size: usize,
        order: ByteOrder,
    },
    FixedString {
        size: usize,
        utf8: bool,
    },
    VarString {
        utf8: bool,
    },
    Compound {
        size: usize,
        fields: Vec<Field>,
    },
    Enum {
        base: Box<Dtype>,
        members: Vec<(String, i64)>,
    },
    Array {
        base: Box<Dtype>,
        dims: Vec<usize>,
    },
    Reference {
        region: bool,
        size: usize,
    },
    Opaque {
        size: usize,
        tag: String,
    },
    /// A variable-length sequence of fixed-size elements (h5py's
    /// `vlen_dtype`; dimension-scale lists are sequences of references).
    VarSeq {
        base: Box<Dtype>,
    },
    /// Anything else HDF5 can describe (bitfield, time, vlen sequences):
    /// shown as raw bytes.
    Other {
        size: usize,
        class: String,
    },
}

/// Size of the slot a variable-length string takes in a read buffer
/// (a `char*` as HDF5 hands it out, or a heap index in a `ValueGrid`).
pub const VLEN_SLOT: usize = std::mem::size_of::<*const u8>();

/// Size of a variable-length sequence's slot: HDF5's `hvl_t` (length,
/// pointer), or a heap index and zeros in a `ValueGrid`.
pub const SEQ_SLOT: usize = std::mem::size_of::<hdf5_sys::h5t::hvl_t>();

impl Dtype {
    /// Reads the description of an HDF5 datatype.
    pub fn from_type_id(tid: hid_t) -> Result<Dtype> {
        let class = locked(|| unsafe { H5Tget_class(tid) });
        let size = h5::type_size(tid);
        Ok(match class {
            H5T_class_t::H5T_INTEGER => Dtype::Int {
                size,
                signed: locked(|| unsafe { H5Tget_sign(tid) }) != H5T_sign_t::H5T_SGN_NONE,
                order: order_of(tid, size),
            },
            H5T_class_t::H5T_FLOAT => Dtype::Float {
                size,
                order: order_of(tid, size),
            },
            H5T_class_t::H5T_STRING => {
                let utf8 = locked(|| unsafe { H5Tget_cset(tid) }) == H5T_cset_t::H5T_CSET_UTF8;
                if locked(|| unsafe { H5Tis_variable_str(tid) }) > 0 {
                    Dtype::VarString { utf8 }
                } else {
                    Dtype::FixedString { size, utf8 }
                }
            }
            H5T_class_t::H5T_COMPOUND => compound(tid, size)?,
            H5T_class_t::H5T_ENUM => enumeration(tid)?,
            H5T_class_t::H5T_ARRAY => {
                let base = handle(|| unsafe { H5Tget_super(tid) })?;
                let ndim = h5::call(|| unsafe { H5Tget_array_ndims(tid) })? as usize;
                let mut dims = vec![0u64; ndim];
                h5::call(|| unsafe { H5Tget_array_dims2(tid, dims.as_mut_ptr()) })?;
                Dtype::Array {
                    base: Box::new(Dtype::from_type_id(base.id())?),
                    dims: dims.iter().map(|&d| d as usize).collect(),
                }
            }
            H5T_class_t::H5T_VLEN => {
                let base = handle(|| unsafe { H5Tget_super(tid) })?;
                let base = Dtype::from_type_id(base.id())?;
                // Sequences of sequences or strings stay raw bytes.
                if base.has_vlen() || matches!(base, Dtype::Other { .. }) {
                    Dtype::Other {
                        size,
                        class: "vlen".into(),
                    }
                } else {
                    Dtype::VarSeq {
                        base: Box::new(base),
                    }
                }
            }
            H5T_class_t::H5T_REFERENCE => Dtype::Reference {
                region: size != 8,
                size,
            },
            H5T_class_t::H5T_OPAQUE => Dtype::Opaque {
                size,
                tag: unsafe { take_c_string(locked(|| H5Tget_tag(tid))) }.unwrap_or_default(),
            },
            other => Dtype::Other {
                size,
                class: format!("{other:?}")
                    .trim_start_matches("H5T_")
                    .to_lowercase(),
            },
        })
    }

    /// An integer or bool element's value; `None` for other types, widths
    /// over 8 bytes and unsigned values past `i64::MAX`.
    pub fn int_value(&self, b: &[u8]) -> Option<i64> {
        match *self {
            Dtype::Int {
                size,
                signed,
                order,
            } => match Integer::decode(b, size, signed, order)? {
                Integer::Signed(v) => Some(v),
                Integer::Unsigned(v) => i64::try_from(v).ok(),
            },
            Dtype::Bool => Some((b[0] != 0) as i64),
            _ => None,
        }
    }

    /// Bytes one element takes in a read buffer.
    pub fn size(&self) -> usize {
        match self {
            Dtype::Int { size, .. }
            | Dtype::Float { size, .. }
            | Dtype::FixedString { size, .. }
            | Dtype::Compound { size, .. }
            | Dtype::Reference { size, .. }
            | Dtype::Opaque { size, .. }
            | Dtype::Other { size, .. } => *size,
            Dtype::Bool => 1,
            Dtype::Complex { part_size, .. } => 2 * part_size,
            Dtype::VarString { .. } => VLEN_SLOT,
            Dtype::VarSeq { .. } => SEQ_SLOT,
            Dtype::Enum { base, .. } => base.size(),
            Dtype::Array { base, dims } => base.size() * dims.iter().product::<usize>(),
        }
    }

    /// Whether an element holds variable-length data anywhere inside.
    pub fn has_vlen(&self) -> bool {
        match self {
            Dtype::VarString { .. } | Dtype::VarSeq { .. } => true,
            Dtype::Compound { fields, .. } => fields.iter().any(|f| f.dtype.has_vlen()),
            Dtype::Array { base, .. } => base.has_vlen(),
            _ => false,
        }
    }

    /// Whether element bytes may point elsewhere in their file (variable-
    /// length data, references, types vh5 does not know): such bytes cannot
    /// move to another file as they are.
    pub fn points_into_file(&self) -> bool {
        match self {
            Dtype::VarString { .. }
            | Dtype::VarSeq { .. }
            | Dtype::Reference { .. }
            | Dtype::Other { .. } => true,
            Dtype::Compound { fields, .. } => fields.iter().any(|f| f.dtype.points_into_file()),
            Dtype::Array { base, .. } | Dtype::Enum { base, .. } => base.points_into_file(),
            _ => false,
        }
    }

    /// Whether an element holds an object or region reference anywhere inside.
    pub fn has_refs(&self) -> bool {
        match self {
            Dtype::Reference { .. } => true,
            Dtype::Compound { fields, .. } => fields.iter().any(|f| f.dtype.has_refs()),
            Dtype::Array { base, .. } | Dtype::VarSeq { base } => base.has_refs(),
            _ => false,
        }
    }

    pub fn is_vlen_string(&self) -> bool {
        matches!(self, Dtype::VarString { .. })
    }

    /// NumPy's `dtype.str`, `"str"` for variable-length strings, and a list
    /// of `[field, dtype]` pairs for compounds (the CLI contract's notation).
    pub fn numpy(&self) -> Json {
        match self {
            Dtype::Compound { fields, .. } => Json::Array(
                fields
                    .iter()
                    .map(|f| json!([f.name, f.dtype.numpy()]))
                    .collect(),
            ),
            Dtype::VarString { .. } => json!("str"),
            _ => Json::String(self.numpy_str()),
        }
    }

    fn numpy_str(&self) -> String {
        let order = |o: &ByteOrder, size: usize| match (o, size) {
            (_, 1) | (ByteOrder::NotApplicable, _) => '|',
            (ByteOrder::Little, _) => '<',
            (ByteOrder::Big, _) => '>',
        };
        match self {
            Dtype::Int {
                size,
                signed,
                order: o,
            } => format!(
                "{}{}{}",
                order(o, *size),
                if *signed { 'i' } else { 'u' },
                size
            ),
            Dtype::Float { size, order: o } => format!("{}f{}", order(o, *size), size),
            Dtype::Bool => "|b1".into(),
            Dtype::Complex {
                part_size,
                order: o,
            } => {
                format!("{}c{}", order(o, *part_size), 2 * part_size)
            }
            Dtype::FixedString { size, .. } => format!("|S{size}"),
            Dtype::VarString { .. } => "str".into(),
            Dtype::Enum { base, .. } => base.numpy_str(),
            Dtype::Reference { .. } | Dtype::VarSeq { .. } => "|O".into(),
            Dtype::Compound { size, .. }
            | Dtype::Opaque { size, .. }
            | Dtype::Other { size, .. } => format!("|V{size}"),
            Dtype::Array { .. } => format!("|V{}", self.size()),
        }
    }
}

impl Dtype {
    /// A new HDF5 datatype for this dtype, laid out as h5py lays it out.
    pub fn to_type_id(&self) -> Result<Handle> {
        use hdf5_sys::h5t::*;
        // The H5T_* globals are valid only once the library is initialized.
        locked(|| ());
        let h = |id: hid_t| h5::check_id(id).map(Handle::from_raw);
        let set_order = |t: &Handle, order: &ByteOrder| -> Result<()> {
            if *order == ByteOrder::Big {
                h5::call(|| unsafe { H5Tset_order(t.id(), H5T_order_t::H5T_ORDER_BE) })?;
            }
            Ok(())
        };
        Ok(match self {
            Dtype::Int {
                size,
                signed,
                order,
            } => {
                let base = match (size, signed) {
                    (1, true) => *H5T_STD_I8LE,
                    (2, true) => *H5T_STD_I16LE,
                    (4, true) => *H5T_STD_I32LE,
                    (8, true) => *H5T_STD_I64LE,
                    (1, false) => *H5T_STD_U8LE,
                    (2, false) => *H5T_STD_U16LE,
                    (4, false) => *H5T_STD_U32LE,
                    (8, false) => *H5T_STD_U64LE,
                    _ => return Err(unsupported(self)),
                };
                let t = h(locked(|| unsafe { H5Tcopy(base) }))?;
                set_order(&t, order)?;
                t
            }
            Dtype::Float { size, order } => {
                let t = match size {
                    2 => half_float()?,
                    4 => h(locked(|| unsafe { H5Tcopy(*H5T_IEEE_F32LE) }))?,
                    8 => h(locked(|| unsafe { H5Tcopy(*H5T_IEEE_F64LE) }))?,
                    _ => return Err(unsupported(self)),
                };
                set_order(&t, order)?;
                t
            }
            Dtype::Bool => {
                let t = h(locked(|| unsafe { H5Tenum_create(*H5T_NATIVE_INT8) }))?;
                for (name, v) in [(c"FALSE", 0i8), (c"TRUE", 1i8)] {
                    h5::call(|| unsafe {
                        H5Tenum_insert(t.id(), name.as_ptr(), &v as *const i8 as *const _)
                    })?;
                }
                t
            }
            Dtype::Complex { part_size, order } => {
                let part = Dtype::Float {
                    size: *part_size,
                    order: *order,
                }
                .to_type_id()?;
                let t = h(locked(|| unsafe {
                    H5Tcreate(H5T_class_t::H5T_COMPOUND, 2 * part_size)
                }))?;
                for (name, off) in [(c"r", 0), (c"i", *part_size)] {
                    h5::call(|| unsafe { H5Tinsert(t.id(), name.as_ptr(), off, part.id()) })?;
                }
                t
            }
            Dtype::FixedString { size, utf8 } => {
                string_type(*size, *utf8, H5T_str_t::H5T_STR_NULLPAD)?
            }
            Dtype::VarString { utf8 } => {
                string_type(H5T_VARIABLE, *utf8, H5T_str_t::H5T_STR_NULLTERM)?
            }
            Dtype::Compound { size, fields } => {
                let t = h(locked(|| unsafe {
                    H5Tcreate(H5T_class_t::H5T_COMPOUND, *size)
                }))?;
                for f in fields {
                    let ft = f.dtype.to_type_id()?;
                    let name =
                        std::ffi::CString::new(f.name.as_str()).map_err(|_| unsupported(self))?;
                    h5::call(|| unsafe { H5Tinsert(t.id(), name.as_ptr(), f.offset, ft.id()) })?;
                }
                t
            }
            Dtype::Enum { base, members } => {
                let bt = base.to_type_id()?;
                let t = h(locked(|| unsafe { H5Tenum_create(bt.id()) }))?;
                for (name, v) in members {
                    let name =
                        std::ffi::CString::new(name.as_str()).map_err(|_| unsupported(self))?;
                    let mut raw = (*v as u64).to_le_bytes()[..base.size()].to_vec();
                    if matches!(
                        **base,
                        Dtype::Int {
                            order: ByteOrder::Big,
                            ..
                        }
                    ) {
                        raw.reverse();
                    }
                    h5::call(|| unsafe {
                        H5Tenum_insert(t.id(), name.as_ptr(), raw.as_ptr() as *const _)
                    })?;
                }
                t
            }
            Dtype::Array { base, dims } => {
                let bt = base.to_type_id()?;
                let d: Vec<u64> = dims.iter().map(|&x| x as u64).collect();
                h(locked(|| unsafe {
                    H5Tarray_create2(bt.id(), d.len() as u32, d.as_ptr())
                }))?
            }
            Dtype::Opaque { size, tag } => {
                let t = h(locked(|| unsafe {
                    H5Tcreate(H5T_class_t::H5T_OPAQUE, *size)
                }))?;
                if !tag.is_empty() {
                    let tag =
                        std::ffi::CString::new(tag.as_str()).map_err(|_| unsupported(self))?;
                    h5::call(|| unsafe { H5Tset_tag(t.id(), tag.as_ptr()) })?;
                }
                t
            }
            Dtype::VarSeq { base } => {
                let bt = base.to_type_id()?;
                h(locked(|| unsafe { H5Tvlen_create(bt.id()) }))?
            }
            Dtype::Reference { .. } | Dtype::Other { .. } => return Err(unsupported(self)),
        })
    }
}

fn unsupported(dtype: &Dtype) -> hdf5::Error {
    hdf5::Error::from(format!("cannot create datasets of {dtype}"))
}

/// h5py's float16: IEEE half precision, built from a float32 copy.
fn half_float() -> Result<Handle> {
    use hdf5_sys::h5t::*;
    let t = Handle::from_raw(h5::check_id(locked(|| unsafe {
        H5Tcopy(*H5T_IEEE_F32LE)
    }))?);
    h5::call(|| unsafe { H5Tset_fields(t.id(), 15, 10, 5, 0, 10) })?;
    h5::call(|| unsafe { H5Tset_size(t.id(), 2) })?;
    h5::call(|| unsafe { H5Tset_ebias(t.id(), 15) })?;
    Ok(t)
}

fn string_type(size: usize, utf8: bool, pad: hdf5_sys::h5t::H5T_str_t) -> Result<Handle> {
    use hdf5_sys::h5t::*;
    let t = Handle::from_raw(h5::check_id(locked(|| unsafe { H5Tcopy(*H5T_C_S1) }))?);
    h5::call(|| unsafe { H5Tset_size(t.id(), size) })?;
    h5::call(|| unsafe { H5Tset_strpad(t.id(), pad) })?;
    let cset = if utf8 {
        H5T_cset_t::H5T_CSET_UTF8
    } else {
        H5T_cset_t::H5T_CSET_ASCII
    };
    h5::call(|| unsafe { H5Tset_cset(t.id(), cset) })?;
    Ok(t)
}

fn order_of(tid: hid_t, size: usize) -> ByteOrder {
    if size == 1 {
        return ByteOrder::NotApplicable;
    }
    match locked(|| unsafe { H5Tget_order(tid) }) {
        H5T_order_t::H5T_ORDER_BE => ByteOrder::Big,
        H5T_order_t::H5T_ORDER_LE => ByteOrder::Little,
        _ => ByteOrder::NotApplicable,
    }
}

fn member_name(tid: hid_t, i: u32) -> String {
    unsafe { take_c_string(locked(|| H5Tget_member_name(tid, i))) }.unwrap_or_default()
}

fn compound(tid: hid_t, size: usize) -> hdf5::Result<Dtype> {
    let n = h5::call(|| unsafe { H5Tget_nmembers(tid) })? as u32;
    let mut fields = Vec::with_capacity(n as usize);
    for i in 0..n {
        let member = handle(|| unsafe { H5Tget_member_type(tid, i) })?;
        fields.push(Field {
            name: member_name(tid, i),
            offset: locked(|| unsafe { H5Tget_member_offset(tid, i) }),
            dtype: Dtype::from_type_id(member.id())?,
        });
    }
    Ok(as_complex(&fields, size).unwrap_or(Dtype::Compound { size, fields }))
}

/// h5py stores complex numbers as `{r, i}` compounds of equal floats.
fn as_complex(fields: &[Field], size: usize) -> Option<Dtype> {
    match fields {
        [r, i] if r.name == "r" && i.name == "i" && r.dtype == i.dtype => match r.dtype {
            Dtype::Float { size: part, order }
                if r.offset == 0 && i.offset == part && size == 2 * part =>
            {
                Some(Dtype::Complex {
                    part_size: part,
                    order,
                })
            }
            _ => None,
        },
        _ => None,
    }
}

fn enumeration(tid: hid_t) -> hdf5::Result<Dtype> {
    let base_id = handle(|| unsafe { H5Tget_super(tid) })?;
    let base = Dtype::from_type_id(base_id.id())?;
    let n = h5::call(|| unsafe { H5Tget_nmembers(tid) })? as u32;
    let base_size = locked(|| unsafe { H5Tget_size(base_id.id()) });
    let mut members = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut raw = [0u8; 16];
        h5::call(|| unsafe { H5Tget_member_value(tid, i, raw.as_mut_ptr() as *mut _) })?;
        let value = base.int_value(&raw[..base_size]).unwrap_or(0);
        members.push((member_name(tid, i), value));
    }
    let is_bool = base_size == 1
        && members.len() == 2
        && members.contains(&("FALSE".to_string(), 0))
        && members.contains(&("TRUE".to_string(), 1));
    Ok(if is_bool {
        Dtype::Bool
    } else {
        Dtype::Enum {
            base: Box::new(base),
            members,
        }
    })
}

/// Short human names for the browser and the text output.
impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let be = |o: &ByteOrder| {
            if *o == ByteOrder::Big {
                " (big-endian)"
            } else {
                ""
            }
        };
        match self {
            Dtype::Int {
                size,
                signed,
                order,
            } => write!(
                f,
                "{}int{}{}",
                if *signed { "" } else { "u" },
                size * 8,
                be(order)
            ),
            Dtype::Float { size, order } => write!(f, "float{}{}", size * 8, be(order)),
            Dtype::Bool => write!(f, "bool"),
            Dtype::Complex { part_size, order } => {
                write!(f, "complex{}{}", part_size * 16, be(order))
            }
            Dtype::FixedString { size, utf8 } => {
                write!(f, "bytes[{size}]{}", if *utf8 { " utf-8" } else { "" })
            }
            Dtype::VarString { utf8 } => write!(f, "str{}", if *utf8 { "" } else { " (ascii)" }),
            Dtype::Compound { fields, .. } => {
                write!(f, "{{")?;
                for (i, field) in fields.iter().enumerate() {
                    let sep = if i > 0 { ", " } else { "" };
                    write!(f, "{sep}{}: {}", field.name, field.dtype)?;
                }
                write!(f, "}}")
            }
            Dtype::Enum { base, members } => {
                let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
                write!(f, "enum<{base}>({})", names.join("|"))
            }
            Dtype::Array { base, dims } => {
                let d: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
                write!(f, "{base}[{}]", d.join("x"))
            }
            Dtype::Reference { region, .. } => {
                write!(
                    f,
                    "{}",
                    if *region {
                        "region reference"
                    } else {
                        "object reference"
                    }
                )
            }
            Dtype::VarSeq { base } => write!(f, "vlen<{base}>"),
            Dtype::Opaque { size, tag } if tag.is_empty() => write!(f, "opaque[{size}]"),
            Dtype::Opaque { size, tag } => write!(f, "opaque[{size}] \"{tag}\""),
            Dtype::Other { size, class } => write!(f, "{class}[{size}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_notation() {
        let le = ByteOrder::Little;
        let cases = [
            (
                Dtype::Int {
                    size: 4,
                    signed: true,
                    order: le,
                },
                "<i4",
            ),
            (
                Dtype::Int {
                    size: 1,
                    signed: false,
                    order: ByteOrder::NotApplicable,
                },
                "|u1",
            ),
            (
                Dtype::Int {
                    size: 8,
                    signed: false,
                    order: ByteOrder::Big,
                },
                ">u8",
            ),
            (Dtype::Float { size: 2, order: le }, "<f2"),
            (Dtype::Bool, "|b1"),
            (
                Dtype::Complex {
                    part_size: 8,
                    order: le,
                },
                "<c16",
            ),
            (
                Dtype::FixedString {
                    size: 5,
                    utf8: false,
                },
                "|S5",
            ),
            (Dtype::VarString { utf8: true }, "str"),
        ];
        for (dtype, expected) in cases {
            assert_eq!(dtype.numpy(), json!(expected), "{dtype:?}");
        }
        let compound = record_i4_f8();
        assert_eq!(compound.numpy(), json!([["a", "<i4"], ["b", "<f8"]]));
        assert_eq!(compound.size(), 12);
    }

    #[test]
    fn hdf5_types_round_trip() {
        let le = ByteOrder::Little;
        let all = [
            Dtype::Int {
                size: 1,
                signed: true,
                order: ByteOrder::NotApplicable,
            },
            Dtype::Int {
                size: 2,
                signed: false,
                order: le,
            },
            Dtype::Int {
                size: 8,
                signed: false,
                order: ByteOrder::Big,
            },
            Dtype::Float { size: 2, order: le },
            Dtype::Float {
                size: 4,
                order: ByteOrder::Big,
            },
            Dtype::Float { size: 8, order: le },
            Dtype::Bool,
            Dtype::Complex {
                part_size: 4,
                order: le,
            },
            Dtype::FixedString {
                size: 5,
                utf8: false,
            },
            Dtype::VarString { utf8: true },
            record_i4_f8(),
            Dtype::Enum {
                base: Box::new(Dtype::Int {
                    size: 1,
                    signed: false,
                    order: ByteOrder::NotApplicable,
                }),
                members: vec![("RED".into(), 0), ("BLUE".into(), 7)],
            },
            Dtype::Array {
                base: Box::new(cases_i4()),
                dims: vec![2, 3],
            },
            Dtype::Opaque {
                size: 4,
                tag: "blob".into(),
            },
        ];
        for dtype in all {
            let t = dtype.to_type_id().unwrap();
            assert_eq!(Dtype::from_type_id(t.id()).unwrap(), dtype);
        }
    }

    /// `[("a", "<i4"), ("b", "<f8")]`, packed.
    fn record_i4_f8() -> Dtype {
        let le = ByteOrder::Little;
        let field = |name: &str, offset, dtype| Field {
            name: name.into(),
            offset,
            dtype,
        };
        Dtype::Compound {
            size: 12,
            fields: vec![
                field("a", 0, cases_i4()),
                field("b", 4, Dtype::Float { size: 8, order: le }),
            ],
        }
    }

    fn cases_i4() -> Dtype {
        Dtype::Int {
            size: 4,
            signed: true,
            order: ByteOrder::Little,
        }
    }
}
