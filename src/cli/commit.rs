//! `vh5 commit`: stage edits on a version and commit them as a new one;
//! `vh5 set-current`.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use serde_json::Value as Json;

use super::output::print_text;
use crate::engine::commit::{self, check_version_name, CommitOptions};
use crate::engine::dtype::Dtype;
use crate::engine::encode::{parse_dtype, read_npy};
use crate::engine::error::bad_input;
use crate::engine::slice::parse_target;
use crate::engine::stage::{CreateOptions, Stage};
use crate::engine::versions::parse_query_timestamp;
use crate::engine::{Error, Result, VersionSpec, Vh5File};

/// The edit flags, in the order `vh5 commit` applies them.
pub const EDIT_FLAGS: [&str; 8] = [
    "set",
    "attr",
    "del_attr",
    "resize",
    "create",
    "create_sparse",
    "mkgroup",
    "delete",
];
/// Flags that modify the `--create` they follow.
pub const CREATE_FLAGS: [&str; 5] = [
    "dtype",
    "chunks",
    "compression",
    "compression_opts",
    "fillvalue",
];

/// One edit as given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    Set {
        target: String,
        value: EditValue,
    },
    Attr {
        path: String,
        key: String,
        value: EditValue,
    },
    DelAttr {
        path: String,
        key: String,
    },
    Resize {
        path: String,
        shape: Vec<usize>,
    },
    Create {
        path: String,
        data: CreateData,
        opts: CreateOptions,
    },
    /// A dataset of a shape holding only its fill value until written.
    CreateSparse {
        path: String,
        shape: Vec<usize>,
        opts: CreateOptions,
    },
    MkGroup(String),
    Delete(String),
}

/// The value of a `--set` or `--attr`: JSON, or text that is not JSON,
/// which is taken as a string where the target holds strings (a string
/// dataset; a string attribute, or a new one) and refused elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub enum EditValue {
    Json(Json),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum CreateData {
    Json(Json),
    Npy(PathBuf),
}

/// Rebuilds the command line's edit order from clap's argument indices.
pub fn ordered_edits(m: &ArgMatches) -> Result<Vec<Edit>> {
    let mut items: Vec<(usize, &str, String)> = Vec::new();
    for id in EDIT_FLAGS.iter().chain(&CREATE_FLAGS) {
        if let (Some(idx), Some(vals)) = (m.indices_of(id), m.get_many::<String>(id)) {
            items.extend(idx.zip(vals).map(|(i, v)| (i, *id, v.clone())));
        }
    }
    items.sort_by_key(|(i, _, _)| *i);
    let mut edits = Vec::new();
    for (_, id, text) in items {
        if CREATE_FLAGS.contains(&id) {
            let Some(Edit::Create { opts, .. } | Edit::CreateSparse { opts, .. }) =
                edits.last_mut()
            else {
                bad_input!(
                    "--{} must follow the --create it applies to",
                    id.replace('_', "-")
                );
            };
            apply_create_flag(opts, id, &text)?;
            continue;
        }
        edits.push(parse_edit(id, &text)?);
    }
    Ok(edits)
}

fn json(text: &str, what: &str) -> Result<Json> {
    serde_json::from_str(text.trim())
        .map_err(|e| Error::bad_input(format!("{what}: {text:?} is not valid JSON ({e})")))
}

/// A `--set` or `--attr` value. Text that starts like a JSON string, list
/// or object was meant as JSON: it must parse.
fn edit_value(text: &str, what: &str) -> Result<EditValue> {
    match serde_json::from_str(text.trim()) {
        Ok(v) => Ok(EditValue::Json(v)),
        Err(e) if text.trim_start().starts_with(['"', '[', '{']) => Err(Error::bad_input(format!(
            "{what}: {text:?} is not valid JSON ({e})"
        ))),
        Err(_) => Ok(EditValue::Text(text.to_string())),
    }
}

/// Splits `LEFT=VALUE` at the `=` that ends the left side (after `]` when
/// there is an index, so indices and paths may not be confused).
fn split_assignment<'a>(text: &'a str, flag: &str) -> Result<(&'a str, &'a str)> {
    let eq = text.find('=');
    let at = match (text.find('['), eq) {
        (Some(open), Some(eq)) if open < eq => text[open..]
            .find(']')
            .and_then(|close| text[open + close..].find('=').map(|i| i + open + close)),
        _ => eq,
    };
    match at {
        Some(i) => Ok((text[..i].trim(), &text[i + 1..])),
        None => bad_input!("--{flag} {text:?}: expected LEFT=VALUE"),
    }
}

fn split_attr(text: &str, flag: &str) -> Result<(String, String)> {
    let Some((path, key)) = text.split_once('@') else {
        bad_input!("--{flag} {text:?}: expected PATH@KEY");
    };
    if key.is_empty() {
        bad_input!("--{flag} {text:?}: empty attribute name");
    }
    Ok((
        if path.is_empty() {
            "/".into()
        } else {
            path.to_string()
        },
        key.to_string(),
    ))
}

fn parse_edit(id: &str, text: &str) -> Result<Edit> {
    Ok(match id {
        "set" => {
            let (target, value) = split_assignment(text, "set")?;
            Edit::Set {
                target: target.to_string(),
                value: edit_value(value, "--set")?,
            }
        }
        "attr" => {
            let (left, value) = split_assignment(text, "attr")?;
            let (path, key) = split_attr(left, "attr")?;
            Edit::Attr {
                path,
                key,
                value: edit_value(value, "--attr")?,
            }
        }
        "del_attr" => {
            let (path, key) = split_attr(text, "del-attr")?;
            Edit::DelAttr { path, key }
        }
        "resize" | "create_sparse" => {
            let flag = if id == "resize" {
                "resize"
            } else {
                "create-sparse"
            };
            let (path, value) = split_assignment(text, flag)?;
            let shape = match json(value, &format!("--{flag}"))? {
                Json::Array(items) => items
                    .iter()
                    .map(|v| v.as_u64().map(|n| n as usize))
                    .collect(),
                v => v.as_u64().map(|n| vec![n as usize]),
            };
            let Some(shape) = shape else {
                bad_input!("--{flag} {text:?}: the shape must be a list of non-negative integers")
            };
            if id == "resize" {
                Edit::Resize {
                    path: path.to_string(),
                    shape,
                }
            } else {
                Edit::CreateSparse {
                    path: path.to_string(),
                    shape,
                    opts: CreateOptions::default(),
                }
            }
        }
        "create" => {
            let (path, value) = split_assignment(text, "create")?;
            let data = match value.trim().strip_prefix('@') {
                Some(file) => CreateData::Npy(PathBuf::from(file)),
                None => CreateData::Json(json(value, "--create")?),
            };
            Edit::Create {
                path: path.to_string(),
                data,
                opts: CreateOptions::default(),
            }
        }
        "mkgroup" => Edit::MkGroup(text.to_string()),
        _ => Edit::Delete(text.to_string()),
    })
}

fn apply_create_flag(opts: &mut CreateOptions, id: &str, text: &str) -> Result<()> {
    match id {
        "dtype" => opts.dtype = Some(parse_dtype(text)?),
        "chunks" => {
            let chunks = match json(text, "--chunks")? {
                Json::Array(items) => items
                    .iter()
                    .map(|v| v.as_u64().filter(|&n| n > 0).map(|n| n as usize))
                    .collect(),
                v => v.as_u64().filter(|&n| n > 0).map(|n| vec![n as usize]),
            };
            let Some(chunks) = chunks else {
                bad_input!("--chunks {text:?}: a list of positive integers")
            };
            opts.chunks = Some(chunks);
        }
        "compression" => opts.compression = Some(text.to_string()),
        "compression_opts" => {
            let Ok(level) = text.trim().parse::<u32>() else {
                bad_input!("--compression-opts {text:?}: an integer")
            };
            opts.compression_opts = Some(level);
        }
        _ => opts.fillvalue = Some(json(text, "--fillvalue")?),
    }
    Ok(())
}

/// Applies edits in order; the first refused one stops everything.
pub fn stage_edits(file: &Vh5File, stage: &mut Stage, edits: &[Edit]) -> Result<()> {
    for edit in edits {
        match edit {
            Edit::Set { target, value } => {
                let value = set_value(file, stage, target, value)?;
                stage.set(file, target, &value)?
            }
            Edit::Attr { path, key, value } => {
                let value = attr_value(file, stage, path, key, value)?;
                stage.set_attr(file, path, key, &value)?
            }
            Edit::DelAttr { path, key } => stage.del_attr(file, path, key)?,
            Edit::Resize { path, shape } => stage.resize(file, path, shape)?,
            Edit::Create {
                path,
                data: CreateData::Json(v),
                opts,
            } => stage.create(file, path, v, opts)?,
            Edit::Create {
                path,
                data: CreateData::Npy(p),
                opts,
            } => {
                let grid = read_npy(p)?;
                if let Some(d) = &opts.dtype {
                    if *d != grid.dtype {
                        bad_input!("{}: holds {}, not the --dtype {d}", p.display(), grid.dtype);
                    }
                }
                stage.create_from_grid(file, path, grid, opts)?
            }
            Edit::CreateSparse { path, shape, opts } => {
                stage.create_sparse(file, path, shape, opts)?
            }
            Edit::MkGroup(path) => stage.mkgroup(file, path)?,
            Edit::Delete(path) => stage.delete(file, path)?,
        }
    }
    Ok(())
}

fn is_string(dtype: &Dtype) -> bool {
    matches!(dtype, Dtype::VarString { .. } | Dtype::FixedString { .. })
}

/// A `--set` value as JSON: text that is not JSON is a string for a
/// string dataset.
fn set_value(file: &Vh5File, stage: &Stage, target: &str, value: &EditValue) -> Result<Json> {
    let text = match value {
        EditValue::Json(v) => return Ok(v.clone()),
        EditValue::Text(text) => text,
    };
    let (path, _) = parse_target(target)?;
    let dtype = stage.dataset_dtype(file, &path)?;
    if !is_string(&dtype) {
        bad_input!(
            "--set {target}={text}: {text:?} is not valid JSON, and {} holds {dtype}, \
             not strings",
            path.trim()
        );
    }
    Ok(Json::String(text.clone()))
}

/// An `--attr` value as JSON: text that is not JSON is a string for an
/// attribute that holds strings or that does not exist yet.
fn attr_value(
    file: &Vh5File,
    stage: &Stage,
    path: &str,
    key: &str,
    value: &EditValue,
) -> Result<Json> {
    let text = match value {
        EditValue::Json(v) => return Ok(v.clone()),
        EditValue::Text(text) => text,
    };
    let attrs = stage.attrs(file, path)?;
    if let Some(a) = attrs.iter().find(|a| a.name == key) {
        if !is_string(&a.value.dtype) {
            bad_input!(
                "--attr {path}@{key}={text}: {text:?} is not valid JSON, and the attribute \
                 holds {}, not strings",
                a.value.dtype
            );
        }
    }
    Ok(Json::String(text.clone()))
}

/// What `vh5 commit` writes, besides the edits.
#[derive(clap::Args, Debug)]
pub struct CommitArgs {
    pub file: PathBuf,
    /// Name of the new version
    #[arg(long)]
    pub name: String,
    /// Version to build on (default: the current one)
    #[arg(long, allow_negative_numbers = true, conflicts_with = "root")]
    pub prev: Option<String>,
    /// Start a new root version (no parent)
    #[arg(long)]
    pub root: bool,
    /// Leave the current version as it is
    #[arg(long)]
    pub no_make_current: bool,
    /// Commit time, ISO 8601 in UTC (default: now)
    #[arg(long)]
    pub timestamp: Option<String>,
    /// Commit even without edits (a version with the same content)
    #[arg(long)]
    pub allow_empty: bool,
}

pub fn run(args: CommitArgs, edits: Vec<Edit>) -> Result<()> {
    let timestamp = args
        .timestamp
        .as_deref()
        .map(parse_query_timestamp)
        .transpose()?;
    // Validate and stage on a read-only handle: a refused edit writes nothing.
    let stage = {
        let file = Vh5File::open(&args.file)?;
        if !file.is_versioned() {
            bad_input!(
                "{}: not a versioned file; vh5 writes only versioned-hdf5 files",
                args.file.display()
            );
        }
        check_version_name(&file, &args.name)?;
        let base = match (&args.prev, args.root) {
            (_, true) => None,
            (Some(v), false) => Some(file.resolve_version(Some(&VersionSpec::parse(v)?))?),
            (None, false) => match file.current_version_name()? {
                Some(_) => Some(file.resolve_version(None)?),
                None => None,
            },
        };
        if edits.is_empty() && !args.allow_empty {
            bad_input!(
                "nothing to commit: no edits given (--allow-empty commits a version anyway)"
            );
        }
        let mut stage = Stage::new(base);
        stage_edits(&file, &mut stage, &edits)?;
        stage
    };
    let opts = CommitOptions {
        name: args.name,
        timestamp,
        make_current: !args.no_make_current,
    };
    let v = commit::commit(Path::new(&args.file), &stage, &opts)?;
    let prev = v.prev.as_deref().unwrap_or("(root)");
    print_text(&format!("committed {} on {prev}\n", v.name))
}

pub fn run_set_current(file: &Path, version: &str) -> Result<()> {
    let v = commit::set_current(file, &VersionSpec::parse(version)?)?;
    print_text(&format!("current version: {}\n", v.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_json_or_bare_text() {
        let set = |t: &str| {
            parse_edit("set", t).map(|e| match e {
                Edit::Set { value, .. } => value,
                _ => unreachable!(),
            })
        };
        assert_eq!(
            set("/x[0]=7").unwrap(),
            EditValue::Json(serde_json::json!(7))
        );
        assert_eq!(
            set("/x[0]=\"a b\"").unwrap(),
            EditValue::Json(serde_json::json!("a b"))
        );
        assert_eq!(set("/x[0]=null").unwrap(), EditValue::Json(Json::Null));
        assert_eq!(set("/x[0]=a b").unwrap(), EditValue::Text("a b".into()));
        assert_eq!(set("/x[0]=NaN").unwrap(), EditValue::Text("NaN".into()));
        assert_eq!(set("/x[0]=").unwrap(), EditValue::Text(String::new()));
        // Meant as JSON: a typo is an error, not a string.
        for bad in ["/x[0]=[1, 2", "/x[0]=\"open", "/x[0]={\"a\": 1"] {
            assert!(set(bad).is_err(), "{bad}");
        }
    }
}
