//! From the user's spelling to typed elements: dtype names, JSON values
//! (the CLI's edit syntax) and `.npy` files. Every value is checked against
//! the dtype here, so a refused edit never reaches the file.

use serde_json::Value as Json;

use super::dtype::{ByteOrder, Dtype, Field};
use super::error::{bad_input, Error, Result};
use super::value::ValueGrid;

/// A NumPy dtype string (`<f8`, `i4`, `float32`, `|S5`, `bool`, `str`,
/// `c16`) or a compound as a JSON list of `[name, dtype]` pairs.
pub fn parse_dtype(text: &str) -> Result<Dtype> {
    let text = text.trim();
    if text.starts_with('[') {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| Error::bad_input(format!("dtype {text}: {e}")))?;
        return compound_dtype(&json);
    }
    let named = match text {
        "bool" | "b1" | "|b1" | "?" => return Ok(Dtype::Bool),
        "str" | "O" | "|O" | "object" | "T" => return Ok(Dtype::VarString { utf8: true }),
        "float16" | "half" => "<f2",
        "float32" | "single" => "<f4",
        "float64" | "double" | "float" => "<f8",
        "int8" => "|i1",
        "int16" => "<i2",
        "int32" => "<i4",
        "int64" | "int" => "<i8",
        "uint8" => "|u1",
        "uint16" => "<u2",
        "uint32" => "<u4",
        "uint64" => "<u8",
        "complex64" => "<c8",
        "complex128" | "complex" => "<c16",
        other => other,
    };
    let (order, body) = match named.as_bytes().first() {
        Some(b'<') => (ByteOrder::Little, &named[1..]),
        Some(b'>') => (ByteOrder::Big, &named[1..]),
        Some(b'|') | Some(b'=') => (ByteOrder::Little, &named[1..]),
        _ => (ByteOrder::Little, named),
    };
    let (kind, size) = body.split_at(1.min(body.len()));
    let Ok(size) = size.parse::<usize>() else {
        bad_input!("unknown dtype {text:?}");
    };
    let order = if size == 1 {
        ByteOrder::NotApplicable
    } else {
        order
    };
    Ok(match (kind, size) {
        ("i", 1 | 2 | 4 | 8) => Dtype::Int {
            size,
            signed: true,
            order,
        },
        ("u", 1 | 2 | 4 | 8) => Dtype::Int {
            size,
            signed: false,
            order,
        },
        ("f", 2 | 4 | 8) => Dtype::Float { size, order },
        ("c", 8 | 16) => Dtype::Complex {
            part_size: size / 2,
            order,
        },
        ("S", 1..) => Dtype::FixedString { size, utf8: false },
        ("b", 1) => Dtype::Bool,
        _ => bad_input!("unsupported dtype {text:?}"),
    })
}

fn compound_dtype(json: &Json) -> Result<Dtype> {
    let Some(items) = json.as_array().filter(|a| !a.is_empty()) else {
        bad_input!("a compound dtype is a list of [name, dtype] pairs");
    };
    let mut fields = Vec::new();
    let mut offset = 0;
    for item in items {
        let (Some(name), Some(dtype)) = (item.get(0).and_then(Json::as_str), item.get(1)) else {
            bad_input!("compound field {item}: expected [name, dtype]");
        };
        let dtype = match dtype {
            Json::String(s) => parse_dtype(s)?,
            other => compound_dtype(other)?,
        };
        let size = dtype.size();
        fields.push(Field {
            name: name.to_string(),
            offset,
            dtype,
        });
        offset += size;
    }
    Ok(Dtype::Compound {
        size: offset,
        fields,
    })
}

/// NumPy's inference for a JSON value: ints `<i8`, floats `<f8`, strings
/// `str`, booleans `|b1`; mixed ints and floats give `<f8`.
pub fn infer_dtype(json: &Json) -> Result<Dtype> {
    let mut kinds = (false, false, false, false); // bool, int, float, str
    visit_leaves(json, &mut |leaf| {
        match leaf {
            Json::Bool(_) => kinds.0 = true,
            Json::Number(n) if n.is_i64() || n.is_u64() => kinds.1 = true,
            Json::Number(_) => kinds.2 = true,
            Json::String(s) if special_float(s).is_some() => kinds.2 = true,
            Json::String(_) => kinds.3 = true,
            _ => {
                return Err(Error::bad_input(format!(
                    "cannot store {leaf} in a dataset"
                )))
            }
        }
        Ok(())
    })?;
    let le = ByteOrder::Little;
    Ok(match kinds {
        (_, _, _, true) if kinds.0 || kinds.1 || kinds.2 => {
            bad_input!("a value mixes strings and numbers; give --dtype")
        }
        (_, _, _, true) => Dtype::VarString { utf8: true },
        (_, _, true, _) => Dtype::Float { size: 8, order: le },
        (_, true, _, _) => Dtype::Int {
            size: 8,
            signed: true,
            order: le,
        },
        (true, _, _, _) => Dtype::Bool,
        _ => Dtype::Float { size: 8, order: le },
    })
}

fn visit_leaves(json: &Json, f: &mut impl FnMut(&Json) -> Result<()>) -> Result<()> {
    match json {
        Json::Array(items) => items.iter().try_for_each(|i| visit_leaves(i, f)),
        leaf => f(leaf),
    }
}

/// A JSON value as a grid of `dtype`: nested lists give the shape, a bare
/// element gives shape `[]`.
pub fn grid_from_json(dtype: &Dtype, json: &Json) -> Result<ValueGrid> {
    let shape = shape_of(json, dtype)?;
    let mut elements = Vec::new();
    flatten(json, shape.len(), &mut elements);
    let mut strings = Vec::new();
    let mut bytes = Vec::with_capacity(elements.len() * dtype.size());
    for e in elements {
        encode_element(dtype, e, &mut bytes, &mut strings)?;
    }
    if dtype.is_vlen_string() {
        return Ok(ValueGrid::from_strings(
            shape,
            strings.into_iter().map(Some).collect(),
            true,
        ));
    }
    if dtype.has_vlen() {
        bad_input!("values of {dtype} cannot be given on the command line");
    }
    Ok(ValueGrid::from_bytes(dtype.clone(), shape, bytes))
}

/// Complex numbers and records are themselves lists; they end the nesting.
fn is_element(json: &Json, dtype: &Dtype) -> bool {
    match (json, dtype) {
        (Json::Array(a), Dtype::Complex { .. }) => a.len() == 2 && !a[0].is_array(),
        (Json::Array(a), Dtype::Compound { fields, .. }) => {
            a.len() == fields.len()
                && a.iter()
                    .zip(fields)
                    .all(|(v, f)| !v.is_array() || is_element(v, &f.dtype))
        }
        (Json::Array(_), Dtype::Array { .. }) => true,
        (Json::Array(_), _) => false,
        _ => true,
    }
}

fn shape_of(json: &Json, dtype: &Dtype) -> Result<Vec<usize>> {
    if is_element(json, dtype) {
        return Ok(vec![]);
    }
    let items = json.as_array().expect("non-element is a list");
    let inner = match items.first() {
        Some(first) => shape_of(first, dtype)?,
        None => vec![],
    };
    for item in items {
        if shape_of(item, dtype)? != inner {
            bad_input!("ragged nested list: every row must have the same shape");
        }
    }
    Ok(std::iter::once(items.len()).chain(inner).collect())
}

fn flatten<'a>(json: &'a Json, depth: usize, out: &mut Vec<&'a Json>) {
    match (depth, json) {
        (0, _) => out.push(json),
        (_, Json::Array(items)) => items.iter().for_each(|i| flatten(i, depth - 1, out)),
        _ => out.push(json),
    }
}

fn special_float(s: &str) -> Option<f64> {
    match s {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn as_float(json: &Json) -> Option<f64> {
    match json {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => special_float(s),
        Json::Bool(b) => Some(*b as u8 as f64),
        _ => None,
    }
}

fn put(bytes: &mut Vec<u8>, le: &[u8], order: ByteOrder) {
    if order == ByteOrder::Big {
        bytes.extend(le.iter().rev());
    } else {
        bytes.extend_from_slice(le);
    }
}

fn encode_element(
    dtype: &Dtype,
    json: &Json,
    bytes: &mut Vec<u8>,
    strings: &mut Vec<Vec<u8>>,
) -> Result<()> {
    let refuse = || Error::bad_input(format!("{json} is not a valid {dtype} value"));
    match dtype {
        Dtype::Int {
            size,
            signed,
            order,
        } => {
            let v = integer(json, *size, *signed)
                .ok_or_else(|| Error::bad_input(format!("{json} does not fit {dtype}")))?;
            put(bytes, &v.to_le_bytes()[..*size], *order);
        }
        Dtype::Float { size, order } => {
            let v = as_float(json).ok_or_else(refuse)?;
            put_float(v, *size, *order, bytes)
                .ok_or_else(|| Error::bad_input(format!("{json} does not fit {dtype}")))?;
        }
        Dtype::Bool => match json {
            Json::Bool(b) => bytes.push(*b as u8),
            Json::Number(n) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
                bytes.push(n.as_u64().unwrap() as u8)
            }
            _ => return Err(refuse()),
        },
        Dtype::Complex { part_size, order } => {
            let (re, im) = match json {
                Json::Array(a) if a.len() == 2 => (as_float(&a[0]), as_float(&a[1])),
                other => (as_float(other), Some(0.0)),
            };
            let (Some(re), Some(im)) = (re, im) else {
                return Err(refuse());
            };
            for part in [re, im] {
                put_float(part, *part_size, *order, bytes)
                    .ok_or_else(|| Error::bad_input(format!("{json} does not fit {dtype}")))?;
            }
        }
        Dtype::FixedString { size, .. } => {
            let s = json.as_str().ok_or_else(refuse)?;
            let raw: Option<Vec<u8>> = s.chars().map(|c| u8::try_from(c as u32).ok()).collect();
            let Some(mut raw) = raw else {
                bad_input!("{json}: fixed-length bytes hold only Latin-1 characters");
            };
            if raw.len() > *size {
                bad_input!("{json} is longer than {size} bytes");
            }
            raw.resize(*size, 0);
            bytes.extend_from_slice(&raw);
        }
        Dtype::VarString { .. } => {
            let s = json.as_str().ok_or_else(refuse)?;
            strings.push(s.as_bytes().to_vec());
            bytes.extend_from_slice(&[0u8; super::dtype::VLEN_SLOT]);
        }
        Dtype::Enum { base, members } => {
            let value = match json {
                Json::String(name) => members.iter().find(|(n, _)| n == name).map(|(_, v)| *v),
                other => other
                    .as_i64()
                    .filter(|v| members.iter().any(|(_, m)| m == v)),
            };
            let v = value
                .ok_or_else(|| Error::bad_input(format!("{json} is not a member of {dtype}")))?;
            encode_element(base, &Json::from(v), bytes, strings)?;
        }
        Dtype::Compound { size, fields } => {
            let start = bytes.len();
            bytes.resize(start + size, 0);
            for (i, f) in fields.iter().enumerate() {
                let v = match json {
                    Json::Array(a) if a.len() == fields.len() => &a[i],
                    Json::Object(o) => o.get(&f.name).ok_or_else(refuse)?,
                    _ => return Err(refuse()),
                };
                let mut field = Vec::new();
                encode_element(&f.dtype, v, &mut field, strings)?;
                bytes[start + f.offset..start + f.offset + field.len()].copy_from_slice(&field);
            }
        }
        Dtype::Array { base, dims } => {
            let grid = grid_from_json(base, json)?;
            if grid.shape != *dims {
                return Err(refuse());
            }
            bytes.extend_from_slice(grid.raw_bytes());
        }
        _ => bad_input!("values of {dtype} cannot be edited"),
    }
    Ok(())
}

/// Writes a float at its width; `None` when a finite value would overflow.
fn put_float(v: f64, size: usize, order: ByteOrder, bytes: &mut Vec<u8>) -> Option<()> {
    let (le, narrowed): (Vec<u8>, f64) = match size {
        2 => (
            half::f16::from_f64(v).to_le_bytes().to_vec(),
            half::f16::from_f64(v).to_f64(),
        ),
        4 => ((v as f32).to_le_bytes().to_vec(), v as f32 as f64),
        8 => (v.to_le_bytes().to_vec(), v),
        _ => return None,
    };
    if v.is_finite() && !narrowed.is_finite() {
        return None;
    }
    put(bytes, &le, order);
    Some(())
}

/// An integral JSON number within the range of the integer type, as its
/// two's complement bits.
fn integer(json: &Json, size: usize, signed: bool) -> Option<u64> {
    let n = json.as_number()?;
    let bits = 8 * size as u32;
    if let Some(u) = n.as_u64() {
        let max = if signed {
            (1u64 << (bits - 1)) - 1
        } else if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        return (u <= max).then_some(u);
    }
    if let Some(i) = n.as_i64() {
        let min = if bits == 64 {
            i64::MIN
        } else {
            -(1i64 << (bits - 1))
        };
        return (signed && i >= min).then_some(i as u64);
    }
    // 3.0 is accepted as 3; 3.5 is not an integer.
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15)
        .then(|| integer(&Json::from(f as i64), size, signed))
        .flatten()
}

/// Reads a `.npy` file (little- or big-endian numbers, bools, fixed bytes).
pub fn read_npy(path: &std::path::Path) -> Result<ValueGrid> {
    let data =
        std::fs::read(path).map_err(|e| Error::bad_input(format!("{}: {e}", path.display())))?;
    let bad = || Error::bad_input(format!("{}: not a readable .npy file", path.display()));
    if data.len() < 10 || &data[..6] != b"\x93NUMPY" {
        return Err(bad());
    }
    let (header_len, header_start) = match data[6] {
        1 => (u16::from_le_bytes([data[8], data[9]]) as usize, 10),
        2 | 3 => {
            let len: [u8; 4] = data
                .get(8..12)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(bad)?;
            (u32::from_le_bytes(len) as usize, 12)
        }
        _ => return Err(bad()),
    };
    let header = std::str::from_utf8(
        data.get(header_start..header_start + header_len)
            .ok_or_else(bad)?,
    )
    .map_err(|_| bad())?;
    let descr = npy_field(header, "descr").ok_or_else(bad)?;
    if npy_field(header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
        bad_input!(
            "{}: Fortran-ordered .npy files are not supported",
            path.display()
        );
    }
    let dtype = parse_dtype(descr.trim_matches(|c| c == '\'' || c == '"'))?;
    if dtype.has_vlen() {
        bad_input!("{}: object arrays in .npy cannot be read", path.display());
    }
    let shape_text = npy_field(header, "shape").ok_or_else(bad)?;
    let shape: Vec<usize> = shape_text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    let body = &data[header_start + header_len..];
    let n: usize = shape.iter().product();
    if body.len() != n * dtype.size() {
        return Err(bad());
    }
    Ok(ValueGrid::from_bytes(dtype, shape, body.to_vec()))
}

/// The text of one key's value in a `.npy` header dict.
fn npy_field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dtype_spellings() {
        assert_eq!(parse_dtype("<f8").unwrap().numpy(), json!("<f8"));
        assert_eq!(parse_dtype("float32").unwrap().numpy(), json!("<f4"));
        assert_eq!(parse_dtype(">u8").unwrap().numpy(), json!(">u8"));
        assert_eq!(parse_dtype("i1").unwrap().numpy(), json!("|i1"));
        assert_eq!(parse_dtype("S5").unwrap().numpy(), json!("|S5"));
        assert_eq!(parse_dtype("str").unwrap().numpy(), json!("str"));
        assert_eq!(parse_dtype("c16").unwrap().numpy(), json!("<c16"));
        assert_eq!(
            parse_dtype(r#"[["a","<i4"],["b","<f8"]]"#).unwrap().size(),
            12
        );
        assert!(parse_dtype("U5").is_err());
        assert!(parse_dtype("f3").is_err());
    }

    #[test]
    fn numpy_inference() {
        assert_eq!(infer_dtype(&json!([1, 2])).unwrap().numpy(), json!("<i8"));
        assert_eq!(infer_dtype(&json!([1, 2.5])).unwrap().numpy(), json!("<f8"));
        assert_eq!(infer_dtype(&json!(["a"])).unwrap().numpy(), json!("str"));
        assert_eq!(infer_dtype(&json!([true])).unwrap().numpy(), json!("|b1"));
        assert!(infer_dtype(&json!([1, "a"])).is_err());
    }

    #[test]
    fn values_are_checked_against_the_dtype() {
        let u1 = parse_dtype("u1").unwrap();
        assert_eq!(
            grid_from_json(&u1, &json!([0, 255])).unwrap().raw_bytes(),
            &[0, 255]
        );
        assert!(grid_from_json(&u1, &json!(256)).is_err());
        assert!(grid_from_json(&u1, &json!(-1)).is_err());
        assert!(grid_from_json(&u1, &json!(1.5)).is_err());
        let u8_ = parse_dtype("<u8").unwrap();
        let big = grid_from_json(&u8_, &json!(18446744073709551615u64)).unwrap();
        assert_eq!(big.raw_bytes(), &u64::MAX.to_le_bytes());
        let f4 = parse_dtype("f4").unwrap();
        assert!(grid_from_json(&f4, &json!(1e300)).is_err());
        assert!(grid_from_json(&f4, &json!("NaN"))
            .unwrap()
            .get(0)
            .as_f64()
            .unwrap()
            .is_nan());
        let s3 = parse_dtype("S3").unwrap();
        assert_eq!(
            grid_from_json(&s3, &json!("ab")).unwrap().raw_bytes(),
            b"ab\0"
        );
        assert!(grid_from_json(&s3, &json!("abcd")).is_err());
        let be = parse_dtype(">i4").unwrap();
        assert_eq!(
            grid_from_json(&be, &json!(1)).unwrap().raw_bytes(),
            &[0, 0, 0, 1]
        );
    }

    #[test]
    fn shapes_from_nesting_with_list_elements() {
        let c16 = parse_dtype("c16").unwrap();
        assert_eq!(
            grid_from_json(&c16, &json!([[1, 2], [3, 4]]))
                .unwrap()
                .shape,
            vec![2]
        );
        assert_eq!(
            grid_from_json(&c16, &json!([1, 2])).unwrap().shape,
            Vec::<usize>::new()
        );
        let rec = parse_dtype(r#"[["a","<i4"],["b","<f8"]]"#).unwrap();
        let g = grid_from_json(&rec, &json!([[1, 2.5], [3, 4.5]])).unwrap();
        assert_eq!(g.shape, vec![2]);
        assert_eq!(g.to_json(), json!([[1, 2.5], [3, 4.5]]));
        let i8_ = parse_dtype("i8").unwrap();
        assert_eq!(
            grid_from_json(&i8_, &json!([[1, 2, 3], [4, 5, 6]]))
                .unwrap()
                .shape,
            vec![2, 3]
        );
        assert!(grid_from_json(&i8_, &json!([[1, 2], [3]])).is_err());
        let s = grid_from_json(&Dtype::VarString { utf8: true }, &json!(["é", ""])).unwrap();
        assert_eq!(s.to_json(), json!(["é", ""]));
    }

    #[test]
    fn npy_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let header = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }";
        let mut data = b"\x93NUMPY\x01\x00".to_vec();
        let padded = format!("{header:<117}\n");
        data.extend_from_slice(&(padded.len() as u16).to_le_bytes());
        data.extend_from_slice(padded.as_bytes());
        for v in 0i16..6 {
            data.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(&p, data).unwrap();
        let g = read_npy(&p).unwrap();
        assert_eq!(g.shape, vec![2, 3]);
        assert_eq!(g.to_json(), json!([[0, 1, 2], [3, 4, 5]]));
    }
}
