//! Typed, display-neutral values: a `ValueGrid` holds what a read returned,
//! in the file's byte layout; `Value` is one decoded element.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::os::raw::c_char;

use serde_json::{json, Number, Value as Json};

use super::dtype::{ordered, ByteOrder, Dtype, Integer, SEQ_SLOT, VLEN_SLOT};
use super::region::RefTarget;

/// A C-order array of elements in the file's own layout, with the bytes of
/// variable-length strings and sequences kept in a side heap (slot = heap
/// index + 1, 0 for NULL), and what the references among them point to.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueGrid {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    bytes: Vec<u8>,
    heap: Vec<Vec<u8>>,
    /// Targets of the references inside, by their stored bytes (filled by
    /// `refs::resolve`; a reference not here shows its bytes).
    targets: BTreeMap<Vec<u8>, RefTarget>,
}

impl ValueGrid {
    /// Takes a buffer filled by an HDF5 read whose variable-length slots hold
    /// `char*` pointers HDF5 allocated; the strings are copied into the heap
    /// and the pointers freed.
    ///
    /// # Safety
    /// Every non-null vlen slot must point to a NUL-terminated string that
    /// HDF5 allocated and nothing else will free.
    pub unsafe fn from_hdf5_buffer(dtype: Dtype, shape: Vec<usize>, mut bytes: Vec<u8>) -> Self {
        let mut heap = Vec::new();
        if dtype.has_vlen() {
            let size = dtype.size();
            super::h5::locked(|| {
                for element in bytes.chunks_exact_mut(size) {
                    adopt_strings(&dtype, element, &mut heap);
                }
            });
        }
        ValueGrid {
            dtype,
            shape,
            bytes,
            heap,
            targets: BTreeMap::new(),
        }
    }

    /// A grid of fixed-size elements from plain bytes.
    pub fn from_bytes(dtype: Dtype, shape: Vec<usize>, bytes: Vec<u8>) -> Self {
        debug_assert!(!dtype.has_vlen());
        ValueGrid {
            dtype,
            shape,
            bytes,
            heap: Vec::new(),
            targets: BTreeMap::new(),
        }
    }

    /// A grid of variable-length strings.
    pub fn from_strings(shape: Vec<usize>, strings: Vec<Option<Vec<u8>>>, utf8: bool) -> Self {
        let mut heap = Vec::new();
        let mut bytes = Vec::with_capacity(strings.len() * VLEN_SLOT);
        for s in strings {
            let slot = match s {
                Some(s) => {
                    heap.push(s);
                    heap.len()
                }
                None => 0,
            };
            bytes.extend_from_slice(&slot.to_ne_bytes());
        }
        ValueGrid {
            dtype: Dtype::VarString { utf8 },
            shape,
            bytes,
            heap,
            targets: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.bytes.len() / self.dtype.size().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Raw bytes of element `i` (vlen slots hold heap indices).
    pub fn element_bytes(&self, i: usize) -> &[u8] {
        let size = self.dtype.size();
        &self.bytes[i * size..(i + 1) * size]
    }

    /// The whole buffer in file layout (fixed-size types only).
    pub fn raw_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes of the variable-length string in element `i`, `None` for NULL.
    pub fn string_bytes(&self, i: usize) -> Option<&[u8]> {
        self.heap_entry(self.element_bytes(i))
    }

    /// The string a variable-length slot of this grid's elements points
    /// to (a slot inside any element, e.g. a record's field), `None` for NULL.
    pub fn heap_entry(&self, slot: &[u8]) -> Option<&[u8]> {
        let index = usize::from_ne_bytes(slot.get(..VLEN_SLOT)?.try_into().ok()?);
        index.checked_sub(1).map(|i| self.heap[i].as_slice())
    }

    pub fn get(&self, i: usize) -> Value {
        self.decode(&self.dtype, self.element_bytes(i))
    }

    fn decode(&self, dtype: &Dtype, b: &[u8]) -> Value {
        match dtype {
            // h5py hands ASCII-set strings out as bytes; read them as Latin-1
            // like fixed-length bytes, so no byte is lost.
            Dtype::VarString { utf8 } => {
                let s = self.heap_entry(b).unwrap_or_default();
                Value::Str(if *utf8 {
                    String::from_utf8_lossy(s).into_owned()
                } else {
                    latin1(s)
                })
            }
            Dtype::Compound { fields, .. } => Value::Record(
                fields
                    .iter()
                    .map(|f| {
                        let end = f.offset + f.dtype.size();
                        (f.name.clone(), self.decode(&f.dtype, &b[f.offset..end]))
                    })
                    .collect(),
            ),
            Dtype::Array { base, .. } => Value::List(
                b.chunks_exact(base.size())
                    .map(|e| self.decode(base, e))
                    .collect(),
            ),
            Dtype::VarSeq { base } => Value::List(
                self.heap_entry(b)
                    .unwrap_or_default()
                    .chunks_exact(base.size().max(1))
                    .map(|e| self.decode(base, e))
                    .collect(),
            ),
            Dtype::Reference { .. } if b.iter().all(|&x| x == 0) => Value::Ref(None),
            Dtype::Reference { .. } => match self.targets.get(b) {
                Some(t) => Value::Ref(Some(t.clone())),
                None => Value::Raw(b.to_vec()),
            },
            fixed => decode_fixed(fixed, b),
        }
    }

    /// Calls `f` with the bytes of every reference inside element bytes
    /// `b` of type `dtype` (and whether it is a region reference).
    pub fn visit_refs(&self, dtype: &Dtype, b: &[u8], f: &mut dyn FnMut(bool, &[u8])) {
        match dtype {
            Dtype::Reference { region, .. } => f(*region, b),
            Dtype::Compound { fields, .. } => {
                for fd in fields {
                    self.visit_refs(&fd.dtype, &b[fd.offset..fd.offset + fd.dtype.size()], f);
                }
            }
            Dtype::Array { base, .. } => {
                for e in b.chunks_exact(base.size().max(1)) {
                    self.visit_refs(base, e, f);
                }
            }
            Dtype::VarSeq { base } => {
                for e in self
                    .heap_entry(b)
                    .unwrap_or_default()
                    .chunks_exact(base.size().max(1))
                {
                    self.visit_refs(base, e, f);
                }
            }
            _ => {}
        }
    }

    /// Every distinct reference in the grid: (is a region reference, bytes).
    pub fn references(&self) -> Vec<(bool, Vec<u8>)> {
        let mut seen = BTreeMap::new();
        if self.dtype.has_refs() {
            for i in 0..self.len() {
                self.visit_refs(&self.dtype, self.element_bytes(i), &mut |region, b| {
                    seen.entry(b.to_vec()).or_insert(region);
                });
            }
        }
        seen.into_iter().map(|(b, region)| (region, b)).collect()
    }

    /// Records what the reference with stored bytes `bytes` points to.
    pub fn set_target(&mut self, bytes: Vec<u8>, target: RefTarget) {
        self.targets.insert(bytes, target);
    }

    /// Nested JSON lists in C order, a bare value for a 0-d grid.
    pub fn to_json(&self) -> Json {
        let mut next = 0;
        self.nest_json(0, &mut next, Value::to_json)
    }

    /// As `to_json`, floats narrower than 8 bytes written as their shortest
    /// text at their own width (`Value::to_json_shortest`).
    pub fn to_json_shortest(&self) -> Json {
        let mut next = 0;
        self.nest_json(0, &mut next, Value::to_json_shortest)
    }

    fn nest_json(&self, axis: usize, next: &mut usize, each: fn(&Value) -> Json) -> Json {
        if axis == self.shape.len() {
            let v = each(&self.get(*next));
            *next += 1;
            return v;
        }
        Json::Array(
            (0..self.shape[axis])
                .map(|_| self.nest_json(axis + 1, next, each))
                .collect(),
        )
    }
}

/// Replaces each `char*` inside an element with a heap index, freeing it.
/// Runs under the HDF5 lock (`H5free_memory` is a library call).
unsafe fn adopt_strings(dtype: &Dtype, element: &mut [u8], heap: &mut Vec<Vec<u8>>) {
    match dtype {
        Dtype::VarString { .. } => {
            let ptr =
                usize::from_ne_bytes(element[..VLEN_SLOT].try_into().unwrap()) as *const c_char;
            let slot = if ptr.is_null() {
                0
            } else {
                heap.push(CStr::from_ptr(ptr).to_bytes().to_vec());
                hdf5_sys::h5::H5free_memory(ptr as *mut std::os::raw::c_void);
                heap.len()
            };
            element[..VLEN_SLOT].copy_from_slice(&slot.to_ne_bytes());
        }
        Dtype::Compound { fields, .. } => {
            for f in fields {
                let end = f.offset + f.dtype.size();
                adopt_strings(&f.dtype, &mut element[f.offset..end], heap);
            }
        }
        Dtype::Array { base, .. } => {
            for e in element.chunks_exact_mut(base.size()) {
                adopt_strings(base, e, heap);
            }
        }
        Dtype::VarSeq { base } => {
            // An `hvl_t`: the element count, then the elements HDF5 allocated.
            let len = usize::from_ne_bytes(element[..VLEN_SLOT].try_into().unwrap());
            let ptr =
                usize::from_ne_bytes(element[VLEN_SLOT..SEQ_SLOT].try_into().unwrap()) as *mut u8;
            let slot = if ptr.is_null() {
                0
            } else {
                heap.push(std::slice::from_raw_parts(ptr, len * base.size()).to_vec());
                hdf5_sys::h5::H5free_memory(ptr as *mut std::os::raw::c_void);
                heap.len()
            };
            element.fill(0);
            element[..VLEN_SLOT].copy_from_slice(&slot.to_ne_bytes());
        }
        _ => {}
    }
}

/// One decoded element.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    UInt(u64),
    /// A float and the byte width it was stored with (for shortest printing).
    Float(f64, usize),
    Complex(f64, f64, usize),
    /// Fixed-length bytes, trailing NULs removed.
    Bytes(Vec<u8>),
    Str(String),
    Enum(i64, Option<String>),
    Record(Vec<(String, Value)>),
    List(Vec<Value>),
    /// What a reference points to; `None` for a null reference.
    Ref(Option<RefTarget>),
    /// Unresolved references, opaque and unknown data: raw bytes.
    Raw(Vec<u8>),
}

fn decode_fixed(dtype: &Dtype, b: &[u8]) -> Value {
    match *dtype {
        Dtype::Int {
            size,
            signed,
            order,
        } => decode_integer(b, size, signed, order),
        Dtype::Float { size, order } => match decode_float(b, size, order) {
            Some(v) => Value::Float(v, size),
            None => Value::Raw(b.to_vec()),
        },
        Dtype::Bool => Value::Bool(b[0] != 0),
        Dtype::Complex { part_size, order } => {
            let re = decode_float(&b[..part_size], part_size, order);
            let im = decode_float(&b[part_size..], part_size, order);
            match (re, im) {
                (Some(re), Some(im)) => Value::Complex(re, im, part_size),
                _ => Value::Raw(b.to_vec()),
            }
        }
        Dtype::FixedString { .. } => {
            let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
            Value::Bytes(b[..end].to_vec())
        }
        Dtype::Enum {
            ref base,
            ref members,
        } => {
            let v = base.int_value(b).unwrap_or(0);
            let name = members
                .iter()
                .find(|(_, m)| *m == v)
                .map(|(n, _)| n.clone());
            Value::Enum(v, name)
        }
        _ => Value::Raw(b.to_vec()),
    }
}

fn decode_integer(b: &[u8], size: usize, signed: bool, order: ByteOrder) -> Value {
    match Integer::decode(b, size, signed, order) {
        Some(Integer::Signed(v)) => Value::Int(v),
        Some(Integer::Unsigned(v)) => Value::UInt(v),
        None => Value::Raw(b.to_vec()),
    }
}

fn decode_float(b: &[u8], size: usize, order: ByteOrder) -> Option<f64> {
    Some(match size {
        2 => half::f16::from_bits(u16::from_le_bytes(ordered(b, order))).to_f64(),
        4 => f32::from_le_bytes(ordered(b, order)) as f64,
        8 => f64::from_le_bytes(ordered(b, order)),
        // x87 80-bit extended precision, padded to 12 or 16 bytes (NumPy longdouble).
        12 | 16 if order == ByteOrder::Little => x87_to_f64(b),
        _ => return None,
    })
}

fn x87_to_f64(b: &[u8]) -> f64 {
    let mantissa = u64::from_le_bytes(b[..8].try_into().unwrap());
    let se = u16::from_le_bytes([b[8], b[9]]);
    let sign = if se & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = (se & 0x7fff) as i32;
    if exp == 0x7fff {
        return if mantissa << 1 == 0 {
            sign * f64::INFINITY
        } else {
            f64::NAN
        };
    }
    sign * (mantissa as f64) * 2f64.powi(exp - 16383 - 63)
}

impl Value {
    /// The CLI contract's JSON rendering (Precise rules 4).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Bool(v) => json!(v),
            Value::Int(v) => json!(v),
            Value::UInt(v) => json!(v),
            Value::Float(v, _) => float_json(*v),
            Value::Complex(re, im, _) => json!([float_json(*re), float_json(*im)]),
            Value::Bytes(b) => Json::String(latin1(b)),
            Value::Str(s) => Json::String(s.clone()),
            Value::Enum(v, _) => json!(v),
            Value::Record(fields) => Json::Array(fields.iter().map(|(_, v)| v.to_json()).collect()),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Ref(Some(t)) => Json::String(t.to_string()),
            Value::Ref(None) => Json::Null,
            Value::Raw(b) => Json::String(hex::encode(b)),
        }
    }

    /// As `to_json`, but a float32 (or float16) is written as the shortest
    /// text that reads back as the same value at its width (`0.1`, not its
    /// float64 widening `0.10000000149011612`): for people reading it. The
    /// contract allows either.
    pub fn to_json_shortest(&self) -> Json {
        match self {
            Value::Float(v, size) => sized_float_json(*v, *size),
            Value::Complex(re, im, size) => {
                json!([sized_float_json(*re, *size), sized_float_json(*im, *size)])
            }
            Value::Record(fields) => {
                Json::Array(fields.iter().map(|(_, v)| v.to_json_shortest()).collect())
            }
            Value::List(items) => Json::Array(items.iter().map(Value::to_json_shortest).collect()),
            other => other.to_json(),
        }
    }

    /// The first reference target inside (the value itself, a record's
    /// field, a list's item).
    pub fn first_ref(&self) -> Option<&RefTarget> {
        match self {
            Value::Ref(t) => t.as_ref(),
            Value::Record(fields) => fields.iter().find_map(|(_, v)| v.first_ref()),
            Value::List(items) => items.iter().find_map(Value::first_ref),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(v, _) => Some(v),
            Value::Int(v) => Some(v as f64),
            Value::UInt(v) => Some(v as f64),
            Value::Bool(v) => Some(v as u8 as f64),
            Value::Enum(v, _) => Some(v as f64),
            _ => None,
        }
    }
}

pub fn float_json(v: f64) -> Json {
    if v.is_nan() {
        json!("NaN")
    } else if v.is_infinite() {
        json!(if v > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        Json::Number(Number::from_f64(v).expect("finite"))
    }
}

/// A float of `size` bytes as JSON, written with its shortest text.
fn sized_float_json(v: f64, size: usize) -> Json {
    if size >= 8 || !v.is_finite() {
        return float_json(v);
    }
    match format_float(v, size).parse::<f64>() {
        Ok(short) => float_json(short),
        Err(_) => float_json(v),
    }
}

fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

/// Shortest text that reads back as the same value at the stored width.
pub fn format_float(v: f64, size: usize) -> String {
    let mut text = String::new();
    let _ = write_float(&mut text, v, size);
    text
}

/// `format_float`, written straight into `out` (a page of numbers is
/// formatted without a string per cell).
pub fn write_float(out: &mut impl std::fmt::Write, v: f64, size: usize) -> std::fmt::Result {
    if v.is_nan() {
        return out.write_str("nan");
    }
    if v.is_infinite() {
        return out.write_str(if v > 0.0 { "inf" } else { "-inf" });
    }
    // Rust prints 1e300 in full; switch to scientific for very large/small.
    let scientific = v != 0.0 && (v.abs() >= 1e16 || v.abs() < 1e-5);
    match (size, scientific) {
        (4, true) => write!(out, "{:e}", v as f32),
        (_, true) => write!(out, "{v:e}"),
        (2, false) => write!(out, "{}", half::f16::from_f64(v)),
        (4, false) => write!(out, "{}", v as f32),
        _ => write!(out, "{v}"),
    }
}

/// Human rendering, as the text output and the browser show a value.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bool(v) => write!(f, "{}", if *v { "true" } else { "false" }),
            Value::Int(v) => write!(f, "{v}"),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Float(v, size) => write_float(f, *v, *size),
            Value::Complex(re, im, size) => {
                let sign = if *im < 0.0 || (*im == 0.0 && im.is_sign_negative()) {
                    "-"
                } else {
                    "+"
                };
                write!(
                    f,
                    "{}{sign}{}j",
                    format_float(*re, *size),
                    format_float(im.abs(), *size)
                )
            }
            Value::Bytes(b) => write!(f, "b{:?}", latin1(b)),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Enum(v, Some(name)) => write!(f, "{name}({v})"),
            Value::Enum(v, None) => write!(f, "{v}"),
            Value::Record(fields) => {
                write!(f, "(")?;
                for (i, (name, v)) in fields.iter().enumerate() {
                    write!(f, "{}{name}={v}", if i > 0 { ", " } else { "" })?;
                }
                write!(f, ")")
            }
            Value::List(items) => {
                write!(f, "[")?;
                for (i, v) in items.iter().enumerate() {
                    write!(f, "{}{v}", if i > 0 { ", " } else { "" })?;
                }
                write!(f, "]")
            }
            Value::Ref(Some(t)) => write!(f, "{t}"),
            Value::Ref(None) => write!(f, "(null reference)"),
            Value::Raw(b) => write!(f, "0x{}", hex::encode(b)),
        }
    }
}

/// Building and editing grids: what staging needs.
impl ValueGrid {
    /// HDF5's default fill for a dtype (one element): zero bytes, or the
    /// empty string.
    pub fn default_fill(dtype: &Dtype) -> ValueGrid {
        if dtype.has_vlen() {
            // Safety: all-zero slots are NULL pointers, never dereferenced.
            unsafe { ValueGrid::from_hdf5_buffer(dtype.clone(), vec![], vec![0u8; dtype.size()]) }
        } else {
            ValueGrid::from_bytes(dtype.clone(), vec![], vec![0u8; dtype.size()])
        }
    }

    /// A grid of `shape` with every element equal to `fill` (one element).
    pub fn filled(fill: &ValueGrid, shape: Vec<usize>) -> ValueGrid {
        let n: usize = shape.iter().product();
        if !fill.dtype.has_vlen() {
            return ValueGrid::from_bytes(
                fill.dtype.clone(),
                shape,
                fill.element_bytes(0).repeat(n),
            );
        }
        let mut grid = ValueGrid {
            dtype: fill.dtype.clone(),
            shape,
            bytes: Vec::with_capacity(n * fill.dtype.size()),
            heap: Vec::new(),
            targets: BTreeMap::new(),
        };
        for _ in 0..n {
            grid.push_from(fill, 0);
        }
        grid
    }

    /// Appends element `i` of `src` (same dtype), copying any strings.
    fn push_from(&mut self, src: &ValueGrid, i: usize) {
        let element = self.adopt_element(src, i);
        self.bytes.extend_from_slice(&element);
    }

    /// Overwrites element `dst` with element `i` of `src` (same dtype).
    pub fn set_from(&mut self, dst: usize, src: &ValueGrid, i: usize) {
        let size = self.dtype.size();
        let element = self.adopt_element(src, i);
        self.bytes[dst * size..(dst + 1) * size].copy_from_slice(&element);
    }

    /// Element `i` of `src`, its strings copied into this grid's heap.
    fn adopt_element(&mut self, src: &ValueGrid, i: usize) -> Vec<u8> {
        let mut element = src.element_bytes(i).to_vec();
        if self.dtype.has_refs() {
            let mut found = Vec::new();
            src.visit_refs(&src.dtype, &element, &mut |_, b| found.push(b.to_vec()));
            for b in found {
                if let Some(t) = src.targets.get(&b) {
                    self.targets.insert(b, t.clone());
                }
            }
        }
        if self.dtype.has_vlen() {
            let dtype = self.dtype.clone();
            self.rehome_strings(&dtype, &mut element, src);
        }
        element
    }

    /// Rewrites the heap indices inside an element copied from `src` so
    /// they point into this grid's heap.
    fn rehome_strings(&mut self, dtype: &Dtype, element: &mut [u8], src: &ValueGrid) {
        match dtype {
            // A sequence's slot holds its heap index first, like a string's.
            Dtype::VarString { .. } | Dtype::VarSeq { .. } => {
                let slot = match src.heap_entry(element) {
                    Some(s) => {
                        self.heap.push(s.to_vec());
                        self.heap.len()
                    }
                    None => 0,
                };
                element[..VLEN_SLOT].copy_from_slice(&slot.to_ne_bytes());
            }
            Dtype::Compound { fields, .. } => {
                for f in fields {
                    let end = f.offset + f.dtype.size();
                    self.rehome_strings(&f.dtype, &mut element[f.offset..end], src);
                }
            }
            Dtype::Array { base, .. } => {
                for e in element.chunks_exact_mut(base.size()) {
                    self.rehome_strings(base, e, src);
                }
            }
            _ => {}
        }
    }

    /// The bytes HDF5 should write: vlen slots become `char*` pointers into
    /// the returned strings, which must outlive the write, and sequence
    /// slots `hvl_t`s pointing into this grid's heap (keep the grid
    /// unchanged until the write is done).
    pub fn hdf5_write_buffer(&self) -> (Vec<u8>, Vec<std::ffi::CString>) {
        let mut bytes = self.bytes.clone();
        let mut strings = Vec::new();
        if self.dtype.has_vlen() {
            let size = self.dtype.size();
            for element in bytes.chunks_exact_mut(size) {
                self.point_strings(&self.dtype, element, &mut strings);
            }
        }
        (bytes, strings)
    }

    fn point_strings(&self, dtype: &Dtype, element: &mut [u8], out: &mut Vec<std::ffi::CString>) {
        match dtype {
            Dtype::VarString { .. } => {
                let s = self.heap_entry(element).unwrap_or_default();
                // HDF5 strings end at the first NUL; keep what precedes it.
                let upto = s.iter().position(|&b| b == 0).unwrap_or(s.len());
                let c = std::ffi::CString::new(&s[..upto]).expect("no NUL inside");
                element.copy_from_slice(&(c.as_ptr() as usize).to_ne_bytes());
                out.push(c);
            }
            Dtype::Compound { fields, .. } => {
                for f in fields {
                    let end = f.offset + f.dtype.size();
                    self.point_strings(&f.dtype, &mut element[f.offset..end], out);
                }
            }
            Dtype::Array { base, .. } => {
                for e in element.chunks_exact_mut(base.size()) {
                    self.point_strings(base, e, out);
                }
            }
            Dtype::VarSeq { base } => {
                let seq = self.heap_entry(element).unwrap_or_default();
                let ptr = if seq.is_empty() {
                    0
                } else {
                    seq.as_ptr() as usize
                };
                element[..VLEN_SLOT]
                    .copy_from_slice(&(seq.len() / base.size().max(1)).to_ne_bytes());
                element[VLEN_SLOT..SEQ_SLOT].copy_from_slice(&ptr.to_ne_bytes());
            }
            _ => {}
        }
    }

    /// Whether element `i` equals element `j` of `other` (same dtype),
    /// comparing strings by content and everything else by bytes.
    pub fn element_eq(&self, i: usize, other: &ValueGrid, j: usize) -> bool {
        if self.dtype.is_vlen_string() {
            return self.string_bytes(i).unwrap_or_default()
                == other.string_bytes(j).unwrap_or_default();
        }
        if self.dtype.has_vlen() {
            return self.get(i) == other.get(j);
        }
        self.element_bytes(i) == other.element_bytes(j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dtype::Field;

    fn int(size: usize, signed: bool, order: ByteOrder) -> Dtype {
        Dtype::Int {
            size,
            signed,
            order,
        }
    }

    #[test]
    fn float32_json_for_people_is_its_shortest_text() {
        let f = Value::Float(0.1f32 as f64, 4);
        assert_eq!(f.to_json().to_string(), "0.10000000149011612");
        assert_eq!(f.to_json_shortest().to_string(), "0.1");
        let rec = Value::Record(vec![("x".into(), f.clone()), ("y".into(), Value::Int(2))]);
        assert_eq!(rec.to_json_shortest().to_string(), "[0.1,2]");
        assert_eq!(Value::Float(0.1, 8).to_json_shortest().to_string(), "0.1");
        assert_eq!(
            Value::Float(f64::NAN, 4).to_json_shortest().to_string(),
            "\"NaN\""
        );
    }

    #[test]
    fn integers_of_every_width_and_order() {
        let le = ByteOrder::Little;
        assert_eq!(decode_fixed(&int(1, true, le), &[0xff]), Value::Int(-1));
        assert_eq!(
            decode_fixed(&int(2, true, le), &[0xfe, 0xff]),
            Value::Int(-2)
        );
        assert_eq!(
            decode_fixed(&int(4, false, ByteOrder::Big), &[0, 0, 1, 2]),
            Value::UInt(258)
        );
        let big = u64::MAX - 1;
        assert_eq!(
            decode_fixed(&int(8, false, le), &big.to_le_bytes()),
            Value::UInt(big)
        );
        assert_eq!(
            Value::UInt(big).to_json().to_string(),
            "18446744073709551614",
            "uint64 must not pass through a double"
        );
    }

    #[test]
    fn floats_json_and_text() {
        let f4 = Dtype::Float {
            size: 4,
            order: ByteOrder::Little,
        };
        let v = decode_fixed(&f4, &0.1f32.to_le_bytes());
        assert_eq!(v.to_string(), "0.1");
        assert_eq!(v.to_json(), json!(0.1f32 as f64));
        assert_eq!(float_json(f64::NAN), json!("NaN"));
        assert_eq!(float_json(f64::NEG_INFINITY), json!("-Infinity"));
        let f2 = Dtype::Float {
            size: 2,
            order: ByteOrder::Little,
        };
        assert_eq!(
            decode_fixed(&f2, &half::f16::from_f32(65504.0).to_le_bytes()).as_f64(),
            Some(65504.0)
        );
        assert_eq!(format_float(1e300, 8), "1e300");
        assert_eq!(format_float(-0.0, 8), "-0");
    }

    #[test]
    fn x87_long_double() {
        // 1.5 as x87: mantissa 0xC000..., exponent 16383.
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&0xC000_0000_0000_0000u64.to_le_bytes());
        b[8..10].copy_from_slice(&16383u16.to_le_bytes());
        assert_eq!(x87_to_f64(&b), 1.5);
    }

    #[test]
    fn fixed_strings_strip_trailing_nuls_as_latin1() {
        let s5 = Dtype::FixedString {
            size: 5,
            utf8: false,
        };
        assert_eq!(decode_fixed(&s5, b"ab\0\0\0").to_json(), json!("ab"));
        assert_eq!(decode_fixed(&s5, b"\xe9\0\0\0\0").to_json(), json!("é"));
    }

    #[test]
    fn compound_records_and_strings_grid() {
        let dtype = Dtype::Compound {
            size: 12,
            fields: vec![
                Field {
                    name: "a".into(),
                    offset: 0,
                    dtype: int(4, true, ByteOrder::Little),
                },
                Field {
                    name: "b".into(),
                    offset: 4,
                    dtype: Dtype::Float {
                        size: 8,
                        order: ByteOrder::Little,
                    },
                },
            ],
        };
        let mut bytes = (-3i32).to_le_bytes().to_vec();
        bytes.extend_from_slice(&4.5f64.to_le_bytes());
        let grid = ValueGrid::from_bytes(dtype, vec![], bytes);
        assert_eq!(grid.to_json(), json!([-3, 4.5]));

        let strings = ValueGrid::from_strings(vec![2], vec![Some(b"x".to_vec()), None], true);
        assert_eq!(strings.to_json(), json!(["x", ""]));
        assert_eq!(strings.string_bytes(1), None);
    }
}
