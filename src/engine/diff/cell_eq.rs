//! When two cells of a diff are equal, decided on the raw element bytes:
//! NumPy's `a == b`, with NaN equal to NaN.
//!
//! A `CellEq` is built once per dtype: it cuts an element into parts that
//! compare as plain bytes (integers, bools, enums, fixed-length strings,
//! opaque data, and every other type where equal means same bytes), as
//! floats (bitwise equal, both NaN, or both zero: -0.0 == 0.0), or as
//! variable-length strings (by content; an empty string equals a NULL one).
//! Complex numbers are equal when both parts are, or when both are NaN (a
//! NaN in either part, as `np.isnan` says of a complex); records
//! are their fields (padding bytes between fields are not compared, as in
//! NumPy); arrays their elements.
//!
//! Wherever bytes are identical the cells are equal, except for
//! variable-length strings whose slots are heap indices: so without those, a
//! whole chunk is compared first, then 4 KiB blocks, and only the elements
//! of differing blocks are looked at one by one.

use crate::engine::dtype::{ByteOrder, Dtype, VLEN_SLOT};
use crate::engine::value::ValueGrid;

/// One part of an element, at a byte offset inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Equal exactly when the bytes are.
    Bytes { at: usize, len: usize },
    /// An IEEE binary float of 2, 4 or 8 bytes.
    Float { at: usize, width: usize, big: bool },
    /// A complex number: two IEEE floats of `width` bytes each.
    Complex { at: usize, width: usize, big: bool },
    /// x87 extended precision (NumPy's longdouble): 10 significant bytes,
    /// little-endian, padded to 12 or 16.
    X87 { at: usize },
    /// A variable-length string slot (a heap index in a `ValueGrid`).
    Str { at: usize },
}

/// Equality of the elements of one dtype, on their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellEq {
    size: usize,
    parts: Vec<Part>,
    /// Equal exactly when the element bytes are.
    bytewise: bool,
    /// Holds variable-length strings: bytes alone decide nothing.
    strings: bool,
}

/// Bytes compared at once before looking at single elements.
const BLOCK: usize = 4096;

impl CellEq {
    pub fn new(dtype: &Dtype) -> CellEq {
        let mut parts = Vec::new();
        push_parts(dtype, 0, &mut parts);
        let size = dtype.size();
        CellEq {
            size,
            bytewise: parts.iter().all(|p| matches!(p, Part::Bytes { .. }))
                && parts.iter().map(part_len).sum::<usize>() == size,
            strings: parts.iter().any(|p| matches!(p, Part::Str { .. })),
            parts,
        }
    }

    /// Whether element `i` of `a` equals element `j` of `b` (both of this
    /// dtype).
    pub fn eq(&self, a: &ValueGrid, i: usize, b: &ValueGrid, j: usize) -> bool {
        self.elements_eq(a.element_bytes(i), b.element_bytes(j), a, b)
    }

    /// How many elements differ between two grids of this dtype and the
    /// same length, element `i` against element `i`.
    pub fn count_unequal(&self, a: &ValueGrid, b: &ValueGrid) -> usize {
        let mut n = 0;
        self.for_each_unequal(a, b, |_| n += 1);
        n
    }

    /// The indices of the elements that differ, ascending.
    pub fn unequal(&self, a: &ValueGrid, b: &ValueGrid) -> Vec<usize> {
        let mut out = Vec::new();
        self.for_each_unequal(a, b, |i| out.push(i));
        out
    }

    /// Calls `f` with the index of each element that differs, ascending.
    fn for_each_unequal(&self, a: &ValueGrid, b: &ValueGrid, mut f: impl FnMut(usize)) {
        let n = a.len().min(b.len());
        if self.size == 0 || n == 0 {
            return;
        }
        if self.strings {
            for i in 0..n {
                if !self.eq(a, i, b, i) {
                    f(i);
                }
            }
            return;
        }
        let bytes = n * self.size;
        let (x, y) = (&a.raw_bytes()[..bytes], &b.raw_bytes()[..bytes]);
        if x == y {
            return;
        }
        let per_block = (BLOCK / self.size).max(1);
        let block = per_block * self.size;
        for (k, (xb, yb)) in x.chunks(block).zip(y.chunks(block)).enumerate() {
            if xb == yb {
                continue;
            }
            let elements = xb.chunks_exact(self.size).zip(yb.chunks_exact(self.size));
            for (e, (xe, ye)) in elements.enumerate() {
                let equal = if self.bytewise {
                    xe == ye
                } else {
                    self.elements_eq(xe, ye, a, b)
                };
                if !equal {
                    f(k * per_block + e);
                }
            }
        }
    }

    /// Two elements' bytes; `sa` and `sb` hold the strings their
    /// variable-length slots point to.
    fn elements_eq(&self, x: &[u8], y: &[u8], sa: &ValueGrid, sb: &ValueGrid) -> bool {
        if self.bytewise {
            return x == y;
        }
        self.parts.iter().all(|p| match *p {
            Part::Bytes { at, len } => x[at..at + len] == y[at..at + len],
            Part::Float { at, width, big } => float_eq(&x[at..at + width], &y[at..at + width], big),
            Part::Complex { at, width, big } => {
                complex_eq(&x[at..at + 2 * width], &y[at..at + 2 * width], big)
            }
            Part::X87 { at } => x87_eq(&x[at..at + 10], &y[at..at + 10]),
            Part::Str { at } => {
                let (u, v) = (&x[at..at + VLEN_SLOT], &y[at..at + VLEN_SLOT]);
                sa.heap_entry(u).unwrap_or_default() == sb.heap_entry(v).unwrap_or_default()
            }
        })
    }
}

fn part_len(p: &Part) -> usize {
    match *p {
        Part::Bytes { len, .. } => len,
        Part::Float { width, .. } => width,
        Part::Complex { width, .. } => 2 * width,
        Part::X87 { .. } => 10,
        Part::Str { .. } => VLEN_SLOT,
    }
}

/// The parts of an element of `dtype` that starts at byte `at`.
fn push_parts(dtype: &Dtype, at: usize, out: &mut Vec<Part>) {
    match dtype {
        Dtype::Float {
            size: width @ (2 | 4 | 8),
            order,
        } => out.push(Part::Float {
            at,
            width: *width,
            big: *order == ByteOrder::Big,
        }),
        Dtype::Float {
            size: 12 | 16,
            order: ByteOrder::Little,
        } => out.push(Part::X87 { at }),
        Dtype::Complex { part_size, order } if matches!(part_size, 2 | 4 | 8) => {
            out.push(Part::Complex {
                at,
                width: *part_size,
                big: *order == ByteOrder::Big,
            })
        }
        Dtype::Complex { part_size, order } => {
            let part = Dtype::Float {
                size: *part_size,
                order: *order,
            };
            push_parts(&part, at, out);
            push_parts(&part, at + part_size, out);
        }
        Dtype::VarString { .. } => out.push(Part::Str { at }),
        Dtype::Compound { fields, .. } => {
            let mut fields: Vec<_> = fields.iter().collect();
            fields.sort_by_key(|f| f.offset);
            for f in fields {
                push_parts(&f.dtype, at + f.offset, out);
            }
        }
        Dtype::Array { base, dims } => {
            let n: usize = dims.iter().product();
            for k in 0..n {
                push_parts(base, at + k * base.size(), out);
            }
        }
        // Integers, bools, enums, fixed-length strings (NUL-padded to the
        // same size, so equal after NumPy strips trailing NULs exactly when
        // the bytes are), references, opaque data, floats of other layouts.
        other => push_bytes(at, other.size(), out),
    }
}

/// Adds a byte range, merged into the previous one where they touch.
fn push_bytes(at: usize, len: usize, out: &mut Vec<Part>) {
    if len == 0 {
        return;
    }
    if let Some(Part::Bytes { at: start, len: l }) = out.last_mut() {
        if *start + *l == at {
            *l += len;
            return;
        }
    }
    out.push(Part::Bytes { at, len });
}

/// IEEE floats of 2, 4 or 8 bytes: bitwise equal, both NaN or both zero.
fn float_eq(x: &[u8], y: &[u8], big: bool) -> bool {
    let (u, v) = (load(x, big), load(y, big));
    if u == v {
        return true;
    }
    let (abs, inf) = float_masks(x.len());
    let (u, v) = (u & abs, v & abs);
    (u > inf && v > inf) || (u == 0 && v == 0)
}

/// Everything but the sign bit, and infinity's bits (above it is NaN), of
/// a float `width` bytes wide.
fn float_masks(width: usize) -> (u64, u64) {
    match width {
        2 => (0x7fff, 0x7c00),
        4 => (0x7fff_ffff, 0x7f80_0000),
        _ => (0x7fff_ffff_ffff_ffff, 0x7ff0_0000_0000_0000),
    }
}

fn is_nan(x: &[u8], big: bool) -> bool {
    let (abs, inf) = float_masks(x.len());
    load(x, big) & abs > inf
}

/// NumPy's `a == b` on complex numbers (part by part, NaN unequal), or
/// both NaN in either part.
fn complex_eq(x: &[u8], y: &[u8], big: bool) -> bool {
    let w = x.len() / 2;
    let (xr, xi, yr, yi) = (&x[..w], &x[w..], &y[..w], &y[w..]);
    let nan_x = is_nan(xr, big) || is_nan(xi, big);
    let nan_y = is_nan(yr, big) || is_nan(yi, big);
    if nan_x || nan_y {
        return nan_x && nan_y;
    }
    float_eq(xr, yr, big) && float_eq(xi, yi, big)
}

/// Up to 8 bytes as an unsigned integer.
fn load(b: &[u8], big: bool) -> u64 {
    let mut a = [0u8; 8];
    if big {
        a[8 - b.len()..].copy_from_slice(b);
        u64::from_be_bytes(a)
    } else {
        a[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(a)
    }
}

/// x87 extended values: equal as numbers (any encoding of one value, both
/// zeros) or both NaN. The padding after the 10 bytes is not compared.
fn x87_eq(x: &[u8], y: &[u8]) -> bool {
    x == y || x87_key(x) == x87_key(y)
}

/// A canonical form of an x87 value: `None` for NaN; otherwise sign,
/// exponent and mantissa normalized so that one value has one key.
fn x87_key(b: &[u8]) -> Option<(bool, i32, u64)> {
    let mantissa = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
    let se = u16::from_le_bytes([b[8], b[9]]);
    let negative = se & 0x8000 != 0;
    let exp = (se & 0x7fff) as i32;
    if exp == 0x7fff {
        // Infinity when the fraction (below the explicit integer bit) is 0.
        return (mantissa << 1 == 0).then_some((negative, i32::MAX, 0));
    }
    if mantissa == 0 {
        return Some((false, 0, 0));
    }
    // Denormals have exponent 0 but scale as exponent 1.
    let shift = mantissa.leading_zeros();
    Some((negative, exp.max(1) - shift as i32, mantissa << shift))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dtype::Field;
    use crate::engine::value::Value;

    const LE: ByteOrder = ByteOrder::Little;
    const BE: ByteOrder = ByteOrder::Big;

    fn grid(dtype: &Dtype, elements: &[Vec<u8>]) -> ValueGrid {
        ValueGrid::from_bytes(dtype.clone(), vec![elements.len()], elements.concat())
    }

    /// Element `i` of `a` against element `i` of `b`, by `eq` and by the
    /// counting path (which must agree).
    fn equal(dtype: &Dtype, x: Vec<u8>, y: Vec<u8>) -> bool {
        let (a, b) = (grid(dtype, &[x]), grid(dtype, &[y]));
        let eq = CellEq::new(dtype);
        let single = eq.eq(&a, 0, &b, 0);
        assert_eq!(eq.count_unequal(&a, &b), usize::from(!single), "{dtype:?}");
        single
    }

    fn f2(order: ByteOrder) -> Dtype {
        Dtype::Float { size: 2, order }
    }
    fn f4(order: ByteOrder) -> Dtype {
        Dtype::Float { size: 4, order }
    }
    fn f8(order: ByteOrder) -> Dtype {
        Dtype::Float { size: 8, order }
    }
    fn i4() -> Dtype {
        Dtype::Int {
            size: 4,
            signed: true,
            order: LE,
        }
    }

    fn bytes16(v: f32, order: ByteOrder) -> Vec<u8> {
        let h = half::f16::from_f32(v);
        match order {
            BE => h.to_be_bytes().to_vec(),
            _ => h.to_le_bytes().to_vec(),
        }
    }
    fn bytes32(v: f32, order: ByteOrder) -> Vec<u8> {
        match order {
            BE => v.to_be_bytes().to_vec(),
            _ => v.to_le_bytes().to_vec(),
        }
    }
    fn bytes64(v: f64, order: ByteOrder) -> Vec<u8> {
        match order {
            BE => v.to_be_bytes().to_vec(),
            _ => v.to_le_bytes().to_vec(),
        }
    }

    #[test]
    fn floats_nan_equals_nan_and_zeros_are_equal() {
        for order in [LE, BE] {
            // A quiet NaN and a NaN with another payload and the sign set.
            let nan64 = f64::from_bits(0xfff8_0000_0000_0001);
            let nan32 = f32::from_bits(0xffc0_0001);
            for (dtype, enc) in [
                (
                    f8(order),
                    &(|v: f64| bytes64(v, order)) as &dyn Fn(f64) -> Vec<u8>,
                ),
                (f4(order), &|v: f64| bytes32(v as f32, order)),
                (f2(order), &|v: f64| bytes16(v as f32, order)),
            ] {
                assert!(equal(&dtype, enc(f64::NAN), enc(f64::NAN)), "{dtype:?}");
                assert!(equal(&dtype, enc(-0.0), enc(0.0)), "{dtype:?}");
                assert!(equal(&dtype, enc(1.5), enc(1.5)), "{dtype:?}");
                assert!(!equal(&dtype, enc(1.5), enc(-1.5)), "{dtype:?}");
                assert!(!equal(&dtype, enc(f64::NAN), enc(0.0)), "{dtype:?}");
                assert!(!equal(&dtype, enc(0.0), enc(f64::NAN)), "{dtype:?}");
                assert!(!equal(&dtype, enc(f64::INFINITY), enc(f64::NAN)));
                assert!(!equal(&dtype, enc(f64::INFINITY), enc(f64::NEG_INFINITY)));
                assert!(equal(&dtype, enc(f64::INFINITY), enc(f64::INFINITY)));
            }
            assert!(equal(
                &f8(order),
                bytes64(nan64, order),
                bytes64(f64::NAN, order)
            ));
            assert!(equal(
                &f4(order),
                bytes32(nan32, order),
                bytes32(f32::NAN, order)
            ));
            // Smallest subnormal against zero.
            assert!(!equal(
                &f8(order),
                bytes64(f64::from_bits(1), order),
                bytes64(0.0, order)
            ));
        }
        // Byte order matters: 1.0 big-endian is not 1.0 read little-endian.
        assert!(!equal(&f8(LE), bytes64(1.0, BE), bytes64(1.0, LE)));
        // A big-endian NaN whose low byte (in memory, last) is what differs.
        let mut nan_be = bytes64(f64::NAN, BE);
        nan_be[7] = 1;
        assert!(equal(&f8(BE), nan_be.clone(), bytes64(f64::NAN, BE)));
        // The same bytes read little-endian: 0x01..f87f, a tiny number.
        assert!(!equal(&f8(LE), nan_be, bytes64(f64::NAN, BE)));
    }

    #[test]
    fn complex_parts_compare_as_floats() {
        for order in [LE, BE] {
            let c = Dtype::Complex {
                part_size: 8,
                order,
            };
            let z = |re: f64, im: f64| [bytes64(re, order), bytes64(im, order)].concat();
            assert!(equal(&c, z(1.0, 2.0), z(1.0, 2.0)));
            assert!(!equal(&c, z(1.0, 2.0), z(1.0, -2.0)));
            assert!(equal(&c, z(-0.0, 0.0), z(0.0, -0.0)));
            assert!(equal(&c, z(f64::NAN, 1.0), z(f64::NAN, 1.0)));
            assert!(equal(&c, z(f64::NAN, f64::NAN), z(f64::NAN, f64::NAN)));
            // np.isnan of a complex: a NaN in either part.
            assert!(equal(&c, z(f64::NAN, 1.0), z(1.0, f64::NAN)));
            assert!(!equal(&c, z(f64::NAN, 1.0), z(1.0, 1.0)));
            let c8 = Dtype::Complex {
                part_size: 4,
                order,
            };
            let z8 = |re: f32, im: f32| [bytes32(re, order), bytes32(im, order)].concat();
            assert!(equal(&c8, z8(f32::NAN, -0.0), z8(f32::NAN, 0.0)));
            assert!(!equal(&c8, z8(1.0, 0.0), z8(0.0, 1.0)));
        }
    }

    fn record(fields: Vec<(usize, Dtype)>, size: usize) -> Dtype {
        Dtype::Compound {
            size,
            fields: fields
                .into_iter()
                .enumerate()
                .map(|(k, (offset, dtype))| Field {
                    name: format!("f{k}"),
                    offset,
                    dtype,
                })
                .collect(),
        }
    }

    #[test]
    fn records_with_float_fields() {
        let r = record(vec![(0, i4()), (4, f8(LE)), (12, f4(BE))], 16);
        let e = |a: i32, b: f64, c: f32| {
            [a.to_le_bytes().to_vec(), bytes64(b, LE), bytes32(c, BE)].concat()
        };
        assert!(equal(&r, e(1, f64::NAN, -0.0), e(1, f64::NAN, 0.0)));
        assert!(!equal(&r, e(1, f64::NAN, 0.0), e(2, f64::NAN, 0.0)));
        assert!(!equal(&r, e(1, 1.0, 0.0), e(1, f64::NAN, 0.0)));
        assert!(!equal(&r, e(1, 1.0, 2.0), e(1, 1.0, 3.0)));
        let eq = CellEq::new(&r);
        assert!(!eq.bytewise);
        // An array field of floats.
        let arr = Dtype::Array {
            base: Box::new(f8(LE)),
            dims: vec![2],
        };
        let ra = record(vec![(0, arr)], 16);
        let e = |a: f64, b: f64| [bytes64(a, LE), bytes64(b, LE)].concat();
        assert!(equal(&ra, e(f64::NAN, -0.0), e(f64::NAN, 0.0)));
        assert!(!equal(&ra, e(f64::NAN, 1.0), e(f64::NAN, 0.0)));
    }

    #[test]
    fn records_without_floats_are_bytes_and_padding_is_ignored() {
        let packed = record(vec![(0, i4()), (4, Dtype::Bool)], 5);
        assert!(CellEq::new(&packed).bytewise);
        let padded = record(vec![(0, Dtype::Bool), (4, i4())], 8);
        let eq = CellEq::new(&padded);
        assert!(!eq.bytewise);
        // Like NumPy: fields equal, padding bytes differ -> equal.
        assert!(equal(
            &padded,
            vec![1, 0xff, 0xff, 0xff, 2, 0, 0, 0],
            vec![1, 0, 0, 0, 2, 0, 0, 0]
        ));
        assert!(!equal(
            &padded,
            vec![1, 0, 0, 0, 2, 0, 0, 0],
            vec![1, 0, 0, 0, 3, 0, 0, 0]
        ));
        // Arrays of integers merge into one byte range.
        let arr = Dtype::Array {
            base: Box::new(i4()),
            dims: vec![3, 4],
        };
        assert_eq!(
            CellEq::new(&arr).parts,
            vec![Part::Bytes { at: 0, len: 48 }]
        );
    }

    #[test]
    fn fixed_strings_with_trailing_nuls() {
        // NumPy: S4 b"ab" == b"ab\0\0" (same stored bytes), b"ab\0x" !=
        // b"ab\0y" (a NUL inside is kept), b"a" == b"a\0".
        let s4 = Dtype::FixedString {
            size: 4,
            utf8: false,
        };
        assert!(equal(&s4, b"ab\0\0".to_vec(), b"ab\0\0".to_vec()));
        assert!(!equal(&s4, b"ab\0x".to_vec(), b"ab\0y".to_vec()));
        assert!(!equal(&s4, b"ab\0\0".to_vec(), b"ab \0".to_vec()));
        assert!(!equal(&s4, b"abcd".to_vec(), b"abc\0".to_vec()));
        assert!(CellEq::new(&s4).bytewise);
    }

    #[test]
    fn variable_length_strings_by_content() {
        let a = ValueGrid::from_strings(
            vec![4],
            vec![
                Some(b"x".to_vec()),
                None,
                Some(b"same".to_vec()),
                Some("\u{e9}".as_bytes().to_vec()),
            ],
            true,
        );
        // Same contents, other heap order; NULL against "".
        let b = ValueGrid::from_strings(
            vec![4],
            vec![
                Some(b"y".to_vec()),
                Some(Vec::new()),
                Some(b"same".to_vec()),
                Some("e".as_bytes().to_vec()),
            ],
            true,
        );
        let eq = CellEq::new(&a.dtype);
        assert_eq!(eq.unequal(&a, &b), vec![0, 3]);
        assert!(eq.eq(&a, 2, &b, 2));
        assert!(!eq.eq(&a, 0, &b, 2));
        // Identical slot bytes, different strings: still unequal.
        let c = ValueGrid::from_strings(vec![1], vec![Some(b"p".to_vec())], true);
        let d = ValueGrid::from_strings(vec![1], vec![Some(b"q".to_vec())], true);
        assert_eq!(c.raw_bytes(), d.raw_bytes());
        assert_eq!(eq.count_unequal(&c, &d), 1);
    }

    #[test]
    fn strings_inside_records() {
        // {s: str, v: f8}: the slot bytes are heap indices into the grids
        // that `elements_eq` is given.
        let r = record(
            vec![(0, Dtype::VarString { utf8: true }), (VLEN_SLOT, f8(LE))],
            VLEN_SLOT + 8,
        );
        let eq = CellEq::new(&r);
        assert!(eq.strings);
        // Heap a: 1 -> "k"; heap b: 1 -> "", 2 -> "k" (slot 0 is NULL).
        let heap_a = ValueGrid::from_strings(vec![2], vec![Some(b"k".to_vec()), None], true);
        let heap_b =
            ValueGrid::from_strings(vec![2], vec![Some(Vec::new()), Some(b"k".to_vec())], true);
        let e = |slot: usize, v: f64| [slot.to_ne_bytes().to_vec(), bytes64(v, LE)].concat();
        // "k" against "k" in other slots, NaN against NaN.
        assert!(eq.elements_eq(&e(1, f64::NAN), &e(2, f64::NAN), &heap_a, &heap_b));
        // NULL against "", -0.0 against 0.0: equal.
        assert!(eq.elements_eq(&e(0, -0.0), &e(1, 0.0), &heap_a, &heap_b));
        // Same slot bytes, different strings ("k" against "").
        assert!(!eq.elements_eq(&e(1, 1.0), &e(1, 1.0), &heap_a, &heap_b));
        assert!(!eq.elements_eq(&e(1, 1.0), &e(2, 2.0), &heap_a, &heap_b));
    }

    #[test]
    fn long_double_compares_exactly() {
        let ld = Dtype::Float {
            size: 16,
            order: LE,
        };
        let x87 = |mantissa: u64, se: u16, pad: u8| {
            let mut b = vec![pad; 16];
            b[..8].copy_from_slice(&mantissa.to_le_bytes());
            b[8..10].copy_from_slice(&se.to_le_bytes());
            b
        };
        let one = 0x8000_0000_0000_0000;
        // 1.0 == 1.0 whatever the padding; 1.0 != 1.0 + eps (the old f64
        // conversion called those equal).
        assert!(equal(&ld, x87(one, 16383, 0), x87(one, 16383, 0xaa)));
        assert!(!equal(&ld, x87(one, 16383, 0), x87(one + 1, 16383, 0)));
        assert!(equal(&ld, x87(0, 0x8000, 0), x87(0, 0, 0)));
        let nan = 0xc000_0000_0000_0000;
        assert!(equal(&ld, x87(nan, 0x7fff, 0), x87(nan | 5, 0xffff, 0)));
        assert!(!equal(&ld, x87(nan, 0x7fff, 0), x87(one, 0x7fff, 0)));
        assert!(equal(&ld, x87(one, 0x7fff, 0), x87(one, 0x7fff, 1)));
        assert!(!equal(&ld, x87(one, 0x7fff, 0), x87(one, 0xffff, 0)));
        // A pseudo-denormal (exponent 0, integer bit set) is the smallest
        // normal.
        assert!(equal(&ld, x87(one, 0, 0), x87(one, 1, 0)));
        // Big-endian long doubles are opaque bytes.
        let be = Dtype::Float {
            size: 16,
            order: BE,
        };
        assert_eq!(CellEq::new(&be).parts, vec![Part::Bytes { at: 0, len: 16 }]);
    }

    /// NumPy's comparison with NaN equal to NaN (`np.isnan` of a complex is
    /// a NaN in either part), records field by field, on `Value`s: the
    /// oracle for the fixed-size floats.
    fn old_equal(a: &Value, b: &Value) -> bool {
        let feq = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
        match (a, b) {
            (Value::Float(x, _), Value::Float(y, _)) => feq(*x, *y),
            (Value::Complex(xr, xi, _), Value::Complex(yr, yi, _)) => {
                let (nx, ny) = (xr.is_nan() || xi.is_nan(), yr.is_nan() || yi.is_nan());
                if nx || ny {
                    nx && ny
                } else {
                    feq(*xr, *yr) && feq(*xi, *yi)
                }
            }
            (Value::Record(x), Value::Record(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|((_, u), (_, v))| old_equal(u, v))
            }
            (Value::List(x), Value::List(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(u, v)| old_equal(u, v))
            }
            _ => a == b,
        }
    }

    #[test]
    fn agrees_with_the_value_comparison() {
        let specials64 = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1.5,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            65504.0,
            1e-7,
        ];
        let complex = |order| Dtype::Complex {
            part_size: 4,
            order,
        };
        let rec = record(vec![(0, f2(BE)), (2, i4()), (6, f4(LE))], 10);
        for dtype in [
            f2(LE),
            f2(BE),
            f4(LE),
            f4(BE),
            f8(LE),
            f8(BE),
            complex(LE),
            complex(BE),
            rec,
        ] {
            // Every element built from the specials, in the dtype's layout.
            let mut elements: Vec<Vec<u8>> = Vec::new();
            for (k, &v) in specials64.iter().enumerate() {
                let w = specials64[(k * 5 + 3) % specials64.len()];
                elements.push(match &dtype {
                    Dtype::Float { size: 2, order } => bytes16(v as f32, *order),
                    Dtype::Float { size: 4, order } => bytes32(v as f32, *order),
                    Dtype::Float { order, .. } => bytes64(v, *order),
                    Dtype::Complex { order, .. } => {
                        [bytes32(v as f32, *order), bytes32(w as f32, *order)].concat()
                    }
                    _ => [
                        bytes16(v as f32, BE),
                        (k as i32 % 3).to_le_bytes().to_vec(),
                        bytes32(w as f32, LE),
                    ]
                    .concat(),
                });
            }
            let n = elements.len();
            let a = grid(&dtype, &elements);
            let eq = CellEq::new(&dtype);
            for (i, element) in elements.iter().enumerate() {
                // Every element against every other: a grid of `n` copies of
                // element i against the whole list.
                let b = grid(&dtype, &vec![element.clone(); n]);
                let expected: Vec<usize> = (0..n)
                    .filter(|&j| !old_equal(&a.get(j), &b.get(j)))
                    .collect();
                assert_eq!(eq.unequal(&a, &b), expected, "{dtype:?}, against {i}");
                for j in 0..n {
                    assert_eq!(
                        eq.eq(&a, j, &b, j),
                        !expected.contains(&j),
                        "{dtype:?} {i} {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn chunks_blocks_and_elements() {
        // 10,000 uint16: more than one block; differences at the edges of
        // blocks and at the very end.
        let u2 = Dtype::Int {
            size: 2,
            signed: false,
            order: LE,
        };
        let a: Vec<u8> = (0..10_000u16).flat_map(|v| v.to_le_bytes()).collect();
        let mut b = a.clone();
        let changed = [0, 2047, 2048, 4095, 9999];
        for &i in &changed {
            b[2 * i + 1] ^= 0x80;
        }
        let ga = ValueGrid::from_bytes(u2.clone(), vec![10_000], a.clone());
        let gb = ValueGrid::from_bytes(u2.clone(), vec![10_000], b);
        let eq = CellEq::new(&u2);
        assert_eq!(eq.unequal(&ga, &gb), changed);
        assert_eq!(eq.count_unequal(&ga, &ga.clone()), 0);
        // Floats over several blocks: NaN payloads and signed zeros differ
        // in bytes only.
        let f = f8(LE);
        let xs: Vec<f64> = (0..3000).map(|i| i as f64).collect();
        let mut ys = xs.clone();
        ys[0] = -0.0;
        ys[700] = 700.5;
        ys[2999] = -1.0;
        let mut xs2 = xs.clone();
        xs2[1500] = f64::NAN;
        ys[1500] = -f64::NAN;
        let enc = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let ga = ValueGrid::from_bytes(f.clone(), vec![3000], enc(&xs2));
        let gb = ValueGrid::from_bytes(f.clone(), vec![3000], enc(&ys));
        assert_eq!(CellEq::new(&f).unequal(&ga, &gb), vec![700, 2999]);
    }
}
