//! `vh5 commit`: stage edits on a version and commit them as a new one;
//! `vh5 set-current`.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use serde_json::Value as Json;

use super::output::print_text;
use crate::engine::commit::{self, check_version_name, CommitOptions};
use crate::engine::edit::{AttrDtype, CreateData, Edit, EditValue};
use crate::engine::encode::parse_dtype;
use crate::engine::error::bad_input;
use crate::engine::prefault;
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

/// A `--set` or `--attr` value (the engine types it against its target).
fn edit_value(text: &str, what: &str) -> Result<EditValue> {
    EditValue::parse(text).map_err(|e| e.context(what))
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
            Edit::set(target, edit_value(value, "--set")?)?
        }
        "attr" => {
            let (left, value) = split_assignment(text, "attr")?;
            let (path, key) = split_attr(left, "attr")?;
            // As h5py's `attrs[key] = value`: the value's own dtype (rule 11).
            Edit::SetAttr {
                path,
                name: key,
                value: edit_value(value, "--attr")?,
                dtype: AttrDtype::Infer,
            }
        }
        "del_attr" => {
            let (path, key) = split_attr(text, "del-attr")?;
            Edit::DelAttr { path, name: key }
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
        "mkgroup" => Edit::MkGroup {
            path: text.to_string(),
        },
        _ => Edit::Delete {
            path: text.to_string(),
        },
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

// What `vh5 commit` writes, besides the edits (a plain comment, as for
// `VersionArg`: a doc comment would replace `commit`'s about).
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
        // Applied in order; the first refused one stops everything.
        let mut stage = Stage::new(base);
        for edit in edits {
            stage.apply(&file, edit)?;
        }
        stage
    };
    // Heap for HDF5's copies of the new virtual datasets' mappings, made
    // ready on the other core while this one opens the file for writing.
    drop(prefault::warm_heap(
        stage.new_mappings() * prefault::BYTES_PER_MAPPING,
    ));
    let opts = CommitOptions {
        name: args.name,
        timestamp,
        make_current: !args.no_make_current,
    };
    let v = commit::commit(Path::new(&args.file), &stage, &opts, &mut |_| {})?.version;
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
    fn flags_parse_into_edits() {
        assert_eq!(
            parse_edit("set", "/x[0, 1:3]=a b").unwrap(),
            Edit::set("/x[0, 1:3]", EditValue::Text("a b".into())).unwrap()
        );
        assert_eq!(
            parse_edit("attr", "@units=\"m\"").unwrap(),
            Edit::SetAttr {
                path: "/".into(),
                name: "units".into(),
                value: EditValue::Json(Json::String("m".into())),
                dtype: AttrDtype::Infer,
            }
        );
        let err = parse_edit("set", "/x[0]=[1, 2").unwrap_err();
        assert!(err.message.starts_with("--set: "), "{err}");
    }
}
