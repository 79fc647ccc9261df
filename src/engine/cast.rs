//! Casting values between dtypes with NumPy's `astype` semantics, and
//! versioned-hdf5's refill rule, for `modify_metadata`.

use serde_json::Value as Json;

use super::dtype::Dtype;
use super::encode::grid_from_json;
use super::error::{bad_input, Error, Result};
use super::value::{Value, ValueGrid};

fn is_numeric(d: &Dtype) -> bool {
    matches!(
        d,
        Dtype::Int { .. } | Dtype::Float { .. } | Dtype::Bool | Dtype::Complex { .. }
    )
}

fn is_string(d: &Dtype) -> bool {
    matches!(d, Dtype::FixedString { .. } | Dtype::VarString { .. })
}

/// Whether values of `from` can be cast to `to` at all.
pub fn check_castable(from: &Dtype, to: &Dtype) -> Result<()> {
    let ok =
        from == to || (is_numeric(from) && is_numeric(to)) || (is_string(from) && is_string(to));
    if !ok {
        bad_input!("cannot cast {from} to {to}");
    }
    Ok(())
}

/// One value as JSON in `to`'s spelling, NumPy-style: floats truncate
/// toward zero into integers, integers wrap, complex drops its imaginary
/// part, strings are truncated to a fixed length.
fn cast_value(v: &Value, to: &Dtype) -> Result<Json> {
    let refuse = || Error::bad_input(format!("cannot cast {v} to {to}"));
    Ok(match (to, v) {
        (Dtype::Int { size, signed, .. }, _) => {
            let i = match *v {
                Value::Int(i) => i as i128,
                Value::UInt(u) => u as i128,
                Value::Bool(b) => b as i128,
                Value::Float(f, _) | Value::Complex(f, _, _)
                    if f.is_finite() && f.abs() < 1.8e19 =>
                {
                    f.trunc() as i128
                }
                _ => return Err(refuse()),
            };
            let bits = 8 * *size as u32;
            let wrapped = i & ((1i128 << bits) - 1);
            let value = if *signed && wrapped >= 1i128 << (bits - 1) {
                wrapped - (1i128 << bits)
            } else {
                wrapped
            };
            if value < 0 {
                Json::from(value as i64)
            } else {
                Json::from(value as u64)
            }
        }
        (Dtype::Float { .. }, _) => float_json(real(v).ok_or_else(refuse)?),
        (Dtype::Bool, _) => Json::Bool(
            real(v).ok_or_else(refuse)? != 0.0
                || matches!(v, Value::Complex(_, im, _) if *im != 0.0),
        ),
        (Dtype::Complex { .. }, Value::Complex(re, im, _)) => {
            Json::Array(vec![float_json(*re), float_json(*im)])
        }
        (Dtype::Complex { .. }, _) => Json::Array(vec![
            float_json(real(v).ok_or_else(refuse)?),
            Json::from(0.0),
        ]),
        (Dtype::FixedString { size, .. }, _) => {
            let mut bytes = string_bytes(v).ok_or_else(refuse)?;
            bytes.truncate(*size);
            Json::String(bytes.iter().map(|&b| b as char).collect())
        }
        (Dtype::VarString { .. }, _) => {
            Json::String(String::from_utf8_lossy(&string_bytes(v).ok_or_else(refuse)?).into_owned())
        }
        _ => v.to_json(),
    })
}

fn real(v: &Value) -> Option<f64> {
    match *v {
        Value::Complex(re, _, _) => Some(re),
        _ => v.as_f64(),
    }
}

fn string_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Str(s) => Some(s.as_bytes().to_vec()),
        Value::Bytes(b) => Some(b.clone()),
        _ => None,
    }
}

fn float_json(f: f64) -> Json {
    super::value::float_json(f)
}

/// Numeric or textual equality as NumPy's `==` sees it (NaN is unequal).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (string_bytes(a), string_bytes(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => match (a, b) {
            (Value::Complex(r1, i1, _), Value::Complex(r2, i2, _)) => r1 == r2 && i1 == i2,
            (Value::Complex(r, i, _), other) | (other, Value::Complex(r, i, _)) => {
                *i == 0.0 && other.as_f64() == Some(*r)
            }
            _ => match (a, b) {
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::UInt(x), Value::UInt(y)) => x == y,
                _ => a.as_f64().is_some() && a.as_f64() == b.as_f64(),
            },
        },
        _ => false,
    }
}

/// Casts a grid to `to`, then, when the fill value changes, replaces every
/// element equal to the old fill value by the new one (versioned-hdf5's
/// `modify_metadata` rule: `buf = buf.astype(dtype); buf[buf == old] = new`).
pub fn cast_and_refill(
    grid: &ValueGrid,
    to: &Dtype,
    refill: Option<(&Value, &ValueGrid)>,
) -> Result<ValueGrid> {
    let mut cast = if grid.dtype == *to {
        grid.clone()
    } else {
        let values: Vec<Json> = (0..grid.len())
            .map(|i| cast_value(&grid.get(i), to))
            .collect::<Result<_>>()?;
        let mut out = grid_from_json(to, &Json::Array(values))?;
        out.shape = grid.shape.clone();
        out
    };
    if let Some((old, new)) = refill {
        for i in 0..cast.len() {
            if same_value(&cast.get(i), old) {
                cast.set_from(i, new, 0);
            }
        }
    }
    Ok(cast)
}

/// The old fill value in the new dtype (the default new fill).
pub fn cast_fill(fill: &ValueGrid, to: &Dtype) -> Result<ValueGrid> {
    let mut one = cast_and_refill(&reshape1(fill), to, None)?;
    one.shape = vec![];
    Ok(one)
}

fn reshape1(g: &ValueGrid) -> ValueGrid {
    let mut g = g.clone();
    g.shape = vec![1];
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::encode::parse_dtype;
    use serde_json::json;

    fn grid(dtype: &str, values: Json) -> ValueGrid {
        grid_from_json(&parse_dtype(dtype).unwrap(), &values).unwrap()
    }

    #[test]
    fn numeric_casts_follow_numpy() {
        let f = grid("<f8", json!([1.9, -1.9, 300.0]));
        assert_eq!(
            cast_and_refill(&f, &parse_dtype("<i4").unwrap(), None)
                .unwrap()
                .to_json(),
            json!([1, -1, 300])
        );
        assert_eq!(
            cast_and_refill(&f, &parse_dtype("|u1").unwrap(), None)
                .unwrap()
                .to_json(),
            json!([1, 255, 44])
        );
        let i = grid("<i8", json!([1, 0]));
        assert_eq!(
            cast_and_refill(&i, &parse_dtype("|b1").unwrap(), None)
                .unwrap()
                .to_json(),
            json!([true, false])
        );
        assert_eq!(
            cast_and_refill(&i, &parse_dtype("<f4").unwrap(), None)
                .unwrap()
                .to_json(),
            json!([1.0, 0.0])
        );
        let nan = grid("<f8", json!(["NaN"]));
        assert!(cast_and_refill(&nan, &parse_dtype("<i4").unwrap(), None).is_err());
    }

    #[test]
    fn refill_replaces_old_fill_but_never_nan() {
        let g = grid("<i4", json!([-1, 5, -1]));
        let old = Value::Int(-1);
        let new = grid("<f8", json!(0.5));
        let out = cast_and_refill(&g, &parse_dtype("<f8").unwrap(), Some((&old, &new))).unwrap();
        assert_eq!(out.to_json(), json!([0.5, 5.0, 0.5]));
        let n = grid("<f8", json!(["NaN", 1.0]));
        let out = cast_and_refill(
            &n,
            &parse_dtype("<f8").unwrap(),
            Some((&Value::Float(f64::NAN, 8), &new)),
        )
        .unwrap();
        assert_eq!(out.to_json(), json!(["NaN", 1.0]));
    }

    #[test]
    fn impossible_casts_are_refused() {
        assert!(
            check_castable(&parse_dtype("<f8").unwrap(), &parse_dtype("str").unwrap()).is_err()
        );
        assert!(check_castable(&parse_dtype("S4").unwrap(), &parse_dtype("str").unwrap()).is_ok());
        let s = grid("S5", json!(["hello"]));
        assert_eq!(
            cast_and_refill(&s, &parse_dtype("S3").unwrap(), None)
                .unwrap()
                .to_json(),
            json!(["hel"])
        );
    }
}
