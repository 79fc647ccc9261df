//! Edits: the one vocabulary in which both faces stage changes. The
//! command line parses its flags into `Edit`s and the browser builds them
//! from its dialogs; `Stage::apply` validates and stages them, typing every
//! value against its target there (so both faces share one rule for bare
//! strings and for the dtype an attribute keeps).

use std::path::PathBuf;

use serde_json::Value as Json;

use super::dtype::Dtype;
use super::encode::{grid_from_json, infer_dtype};
use super::error::{bad_input, Error, Result};
use super::slice::{parse_target, SliceExpr};
use super::tree::normalize_path;
use super::value::ValueGrid;

/// Names one staged edit for as long as it stays in its stage's log.
pub type EditId = u64;

/// One change to stage on a version.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Cells of a dataset (`index` `None`: all of it) set to a value: one
    /// value broadcasts, a nested list must fit the selection's shape.
    Set {
        path: String,
        index: Option<SliceExpr>,
        value: EditValue,
    },
    /// Adds or overwrites an attribute of a group, a dataset or `/` (the
    /// version group).
    SetAttr {
        path: String,
        name: String,
        value: EditValue,
        dtype: AttrDtype,
    },
    DelAttr {
        path: String,
        name: String,
    },
    Resize {
        path: String,
        shape: Vec<usize>,
    },
    /// A dataset created whole from data.
    Create {
        path: String,
        data: CreateData,
        opts: super::stage::CreateOptions,
    },
    /// A dataset of a shape holding only its fill value until written.
    CreateSparse {
        path: String,
        shape: Vec<usize>,
        opts: super::stage::CreateOptions,
    },
    /// A group, with any missing parents.
    MkGroup {
        path: String,
    },
    /// A dataset, or a group with everything below it.
    Delete {
        path: String,
    },
    /// The whole content of a committed version (tree, attributes, every
    /// dataset's chunks reused as they are) replaces the staged content; the
    /// commit's parent stays the stage's base.
    Restore {
        version: String,
    },
}

/// A value as given: the command line's JSON spelling, plain text (a
/// string where the target holds strings, refused elsewhere), or a grid
/// already typed (it must have the target's dtype).
#[derive(Debug, Clone, PartialEq)]
pub enum EditValue {
    Json(Json),
    Text(String),
    Grid(ValueGrid),
}

/// Which dtype an attribute value is stored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttrDtype {
    /// An existing attribute keeps its dtype (a value that does not fit it
    /// is refused, naming the dtype); a new one follows `Infer`.
    #[default]
    Keep,
    /// What h5py stores for the same Python value (cli.md rule 11: int →
    /// int64, float → float64, str → variable-length UTF-8, bool → bool),
    /// replacing an existing attribute's dtype as `attrs[k] = v` does.
    Infer,
}

/// The data of a created dataset.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateData {
    Json(Json),
    /// A `.npy` file, read when the edit is applied (the log keeps the grid).
    Npy(PathBuf),
    Grid(ValueGrid),
}

/// One row of the pending-changes list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    pub id: EditId,
    pub path: String,
    /// Short: `set [3, 4]`, `attr units`, `del attr units`, `resize`,
    /// `create`, `mkgroup`, `delete`, `restore v3`.
    pub what: String,
    pub before: String,
    pub after: String,
}

impl Edit {
    /// `Set` from the command line's target text, `PATH[INDEX]`.
    pub fn set(target: &str, value: EditValue) -> Result<Edit> {
        let (path, index) = parse_target(target)?;
        Ok(Edit::Set { path, index, value })
    }

    /// Normalizes the edit's path in place; returns the node the edit is
    /// about (`/` for a restore).
    pub(crate) fn normalize(&mut self) -> Result<String> {
        match self {
            Edit::Set { path, .. }
            | Edit::SetAttr { path, .. }
            | Edit::DelAttr { path, .. }
            | Edit::Resize { path, .. }
            | Edit::Create { path, .. }
            | Edit::CreateSparse { path, .. }
            | Edit::MkGroup { path }
            | Edit::Delete { path } => {
                *path = normalize_path(path)?;
                Ok(path.clone())
            }
            Edit::Restore { .. } => Ok("/".into()),
        }
    }
}

impl EditValue {
    /// The command line's spelling: JSON, or text that is not JSON (kept as
    /// text). Text that starts like a JSON string, list or object was meant
    /// as JSON: it must parse.
    pub fn parse(text: &str) -> Result<EditValue> {
        match serde_json::from_str(text.trim()) {
            Ok(v) => Ok(EditValue::Json(v)),
            Err(e) if text.trim_start().starts_with(['"', '[', '{']) => Err(Error::bad_input(
                format!("{text:?} is not valid JSON ({e})"),
            )),
            Err(_) => Ok(EditValue::Text(text.to_string())),
        }
    }

    /// The value as a grid of a dataset's dtype (`what` names the target):
    /// what `Set` stores, for checking a value before staging it.
    pub fn for_dataset(&self, dtype: &Dtype, what: &str) -> Result<ValueGrid> {
        match self {
            EditValue::Json(v) => grid_from_json(dtype, v).map_err(|e| e.context(what)),
            EditValue::Text(text) if is_string(dtype) => {
                grid_from_json(dtype, &Json::String(text.clone())).map_err(|e| e.context(what))
            }
            EditValue::Text(text) => bad_input!(
                "{what}: {text:?} is not valid JSON, and {what} holds {dtype}, not strings"
            ),
            EditValue::Grid(g) => {
                check_grid_dtype(g, dtype, what)?;
                Ok(g.clone())
            }
        }
    }

    /// The value of an attribute: `existing` is the dtype the attribute has
    /// now (if it exists) and `keep` whether it stays (`AttrDtype::Keep`).
    pub fn for_attr(&self, existing: Option<&Dtype>, keep: bool, what: &str) -> Result<ValueGrid> {
        if let (Some(dtype), true) = (existing, keep) {
            return match self {
                EditValue::Text(text) if !is_string(dtype) => bad_input!(
                    "{what}: {text:?} is not valid JSON, and the attribute holds {dtype}, not strings"
                ),
                _ => {
                    let g = self.for_dataset(dtype, what).map_err(|e| {
                        Error::bad_input(format!("{} (the attribute is {dtype})", e.message))
                    })?;
                    Ok(match dtype {
                        // Strings parse as UTF-8; an ASCII attribute stays ASCII.
                        Dtype::VarString { utf8 } if g.dtype != *dtype => ValueGrid::from_strings(
                            g.shape.clone(),
                            (0..g.len())
                                .map(|i| g.string_bytes(i).map(<[u8]>::to_vec))
                                .collect(),
                            *utf8,
                        ),
                        _ => g,
                    })
                }
            };
        }
        match self {
            // Rule 11: a str is a str, "NaN" included (h5py stores it as text).
            EditValue::Json(Json::String(s)) => Ok(new_string(s)),
            EditValue::Json(v) => {
                let dtype = infer_dtype(v).map_err(|e| e.context(what))?;
                grid_from_json(&dtype, v).map_err(|e| e.context(what))
            }
            EditValue::Text(text) => match existing {
                Some(dtype) if !is_string(dtype) => bad_input!(
                    "{what}: {text:?} is not valid JSON, and the attribute holds {dtype}, not strings"
                ),
                _ => Ok(new_string(text)),
            },
            EditValue::Grid(g) => Ok(g.clone()),
        }
    }
}

fn new_string(s: &str) -> ValueGrid {
    ValueGrid::from_strings(vec![], vec![Some(s.as_bytes().to_vec())], true)
}

pub(crate) fn is_string(dtype: &Dtype) -> bool {
    matches!(dtype, Dtype::VarString { .. } | Dtype::FixedString { .. })
}

/// A typed grid must have the target's dtype (any variable-length string
/// fits another).
fn check_grid_dtype(g: &ValueGrid, dtype: &Dtype, what: &str) -> Result<()> {
    if g.dtype != *dtype && !(g.dtype.is_vlen_string() && dtype.is_vlen_string()) {
        bad_input!("{what}: a value of {} cannot be stored in {dtype}", g.dtype);
    }
    Ok(())
}

/// Short text of a value for the pending list: scalars as the browser
/// shows them, arrays as JSON cut to a readable length.
pub fn value_text(g: &ValueGrid) -> String {
    let text = if g.shape.is_empty() && g.len() == 1 {
        g.get(0).to_string()
    } else {
        g.to_json().to_string()
    };
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dtype::ByteOrder;
    use serde_json::json;

    const LE: ByteOrder = ByteOrder::Little;
    fn f4() -> Dtype {
        Dtype::Float { size: 4, order: LE }
    }
    fn i4() -> Dtype {
        Dtype::Int {
            size: 4,
            signed: true,
            order: LE,
        }
    }

    #[test]
    fn values_are_json_or_bare_text() {
        assert_eq!(EditValue::parse("7").unwrap(), EditValue::Json(json!(7)));
        assert_eq!(
            EditValue::parse("\"a b\"").unwrap(),
            EditValue::Json(json!("a b"))
        );
        assert_eq!(
            EditValue::parse("null").unwrap(),
            EditValue::Json(Json::Null)
        );
        assert_eq!(
            EditValue::parse("a b").unwrap(),
            EditValue::Text("a b".into())
        );
        assert_eq!(
            EditValue::parse("NaN").unwrap(),
            EditValue::Text("NaN".into())
        );
        assert_eq!(
            EditValue::parse("").unwrap(),
            EditValue::Text(String::new())
        );
        // Meant as JSON: a typo is an error, not a string.
        for bad in ["[1, 2", "\"open", "{\"a\": 1"] {
            assert!(EditValue::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dataset_values_take_the_dataset_dtype() {
        let g = EditValue::Json(json!(0.1))
            .for_dataset(&f4(), "/x")
            .unwrap();
        assert_eq!(g.dtype, f4());
        assert_eq!(g.raw_bytes(), 0.1f32.to_le_bytes());
        let text = EditValue::Text("hello".into());
        let s = text
            .for_dataset(&Dtype::VarString { utf8: true }, "/s")
            .unwrap();
        assert_eq!(s.string_bytes(0), Some(&b"hello"[..]));
        let fixed = Dtype::FixedString {
            size: 3,
            utf8: false,
        };
        assert!(EditValue::Text("abc".into())
            .for_dataset(&fixed, "/b")
            .is_ok());
        assert!(EditValue::Text("abcd".into())
            .for_dataset(&fixed, "/b")
            .is_err());
        let err = text.for_dataset(&i4(), "/n").unwrap_err();
        assert!(err.message.contains("not strings"), "{err}");
        assert!(EditValue::Json(json!(1.5))
            .for_dataset(&i4(), "/n")
            .is_err());
        // A typed grid must match.
        let grid = EditValue::Json(json!(3)).for_dataset(&i4(), "/n").unwrap();
        assert!(EditValue::Grid(grid.clone())
            .for_dataset(&i4(), "/n")
            .is_ok());
        assert!(EditValue::Grid(grid).for_dataset(&f4(), "/n").is_err());
    }

    #[test]
    fn attributes_keep_their_dtype_when_the_value_fits() {
        let keep = |v: Json, d: &Dtype| EditValue::Json(v).for_attr(Some(d), true, "/@a");
        assert_eq!(keep(json!(0.25), &f4()).unwrap().dtype, f4());
        assert_eq!(keep(json!(7), &i4()).unwrap().dtype, i4());
        assert_eq!(keep(json!([1, 2]), &i4()).unwrap().shape, vec![2]);
        let err = keep(json!(1.5), &i4()).unwrap_err();
        assert!(err.message.contains("int32"), "names the dtype: {err}");
        let err = keep(json!(1e300), &f4()).unwrap_err();
        assert!(err.message.contains("float32"), "{err}");
        let s = Dtype::VarString { utf8: true };
        assert_eq!(
            EditValue::Text("m/s".into())
                .for_attr(Some(&s), true, "/@u")
                .unwrap()
                .string_bytes(0),
            Some(&b"m/s"[..])
        );
        let err = keep(json!(5), &s).unwrap_err();
        assert!(err.message.contains("str"), "{err}");
        let err = EditValue::Text("oops".into())
            .for_attr(Some(&i4()), true, "/@a")
            .unwrap_err();
        assert!(err.message.contains("not strings"), "{err}");
    }

    #[test]
    fn new_and_inferred_attributes_follow_rule_11() {
        let infer = |v: Json| EditValue::Json(v).for_attr(Some(&f4()), false, "/@a");
        let i8 = Dtype::Int {
            size: 8,
            signed: true,
            order: LE,
        };
        assert_eq!(infer(json!(7)).unwrap().dtype, i8);
        assert_eq!(
            infer(json!(0.5)).unwrap().dtype,
            Dtype::Float { size: 8, order: LE }
        );
        assert_eq!(infer(json!(true)).unwrap().dtype, Dtype::Bool);
        assert_eq!(
            infer(json!("NaN")).unwrap().dtype,
            Dtype::VarString { utf8: true }
        );
        let new = EditValue::Json(json!(7)).for_attr(None, true, "/@a");
        assert_eq!(new.unwrap().dtype, i8);
        let bare = EditValue::Text("EUR".into()).for_attr(None, true, "/@a");
        assert_eq!(bare.unwrap().dtype, Dtype::VarString { utf8: true });
    }
}
