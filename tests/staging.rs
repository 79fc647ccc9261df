//! The staging area through the engine API: reads through it show staged
//! values, only touched chunks are held, listing and discarding work, and
//! nothing reaches the file before a commit.

mod common;

use common::*;
use serde_json::{json, Value as Json};
use vh5::engine::read::chunk_reads;
use vh5::engine::slice::parse_slice;
use vh5::engine::stage::{CreateOptions, Stage};
use vh5::engine::{AttrDtype, CreateData, Edit, EditValue, NodeKind, Selection, Vh5File};

fn set(target: &str, value: serde_json::Value) -> Edit {
    Edit::set(target, EditValue::Json(value)).unwrap()
}

fn create(path: &str, data: serde_json::Value, opts: CreateOptions) -> Edit {
    Edit::Create {
        path: path.into(),
        data: CreateData::Json(data),
        opts,
    }
}

/// A copy of the demo file, and this binary's tests one at a time while it
/// lives: the chunk-read counter one of them checks is process-wide.
struct Scratch {
    _dir: tempfile::TempDir,
    _one: std::sync::MutexGuard<'static, ()>,
}

fn demo() -> (Scratch, std::path::PathBuf) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &p).unwrap();
    (
        Scratch {
            _dir: dir,
            _one: one,
        },
        p,
    )
}

fn sel(text: &str, shape: &[usize]) -> Selection {
    Selection::resolve(Some(&parse_slice(text).unwrap()), shape).unwrap()
}

#[test]
fn reads_through_the_stage_show_staged_values() {
    let (_dir, p) = demo();
    let before = file_fingerprint(&p);
    let file = Vh5File::open(&p).unwrap();
    let base = file.resolve_version(None).unwrap();
    let prices = file.dataset(&base, "/market/prices").unwrap();
    let shape = prices.meta.shape.clone();
    let original = prices.read(&sel("0:3, 0:3", &shape)).unwrap().to_json();

    let mut stage = Stage::new(Some(base.clone()));
    let reads = chunk_reads();
    stage
        .apply(&file, set("/market/prices[1, 1]", json!(-5.0)))
        .unwrap();
    assert_eq!(
        chunk_reads() - reads,
        1,
        "staging one cell loads exactly its chunk"
    );
    assert_eq!(
        stage.staged("/market/prices").unwrap().touched.len(),
        1,
        "only the touched chunk is held"
    );

    let staged = stage
        .read(&file, "/market/prices", &sel("0:3, 0:3", &shape))
        .unwrap()
        .to_json();
    let mut expected = original.clone();
    expected[1][1] = json!(-5.0);
    assert_eq!(staged, expected);
    // The version itself is unchanged.
    assert_eq!(
        file.dataset(&base, "/market/prices")
            .unwrap()
            .read(&sel("0:3, 0:3", &shape))
            .unwrap()
            .to_json(),
        original
    );

    // Grow: new cells read as the fill value (NaN here).
    let resize = Edit::Resize {
        path: "/market/prices".into(),
        shape: vec![shape[0] + 2, shape[1]],
    };
    stage.apply(&file, resize).unwrap();
    let tail = stage
        .read(
            &file,
            "/market/prices",
            &sel(&format!("{}:, 0", shape[0]), &[shape[0] + 2, shape[1]]),
        )
        .unwrap();
    assert_eq!(tail.to_json(), json!(["NaN", "NaN"]));

    let opts = CreateOptions {
        chunks: Some(vec![1, 2]),
        ..Default::default()
    };
    stage
        .apply(&file, create("/extra/new", json!([[1, 2], [3, 4]]), opts))
        .unwrap();
    assert_eq!(
        stage
            .read(&file, "/extra/new", &Selection::all(&[2, 2]))
            .unwrap()
            .to_json(),
        json!([[1, 2], [3, 4]])
    );
    let delete = Edit::Delete {
        path: "/notes".into(),
    };
    stage.apply(&file, delete).unwrap();
    assert!(stage.lookup(&file, "/notes/journal").unwrap().is_none());
    let top: Vec<String> = stage
        .children(&file, "/")
        .unwrap()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(
        top.contains(&"/extra".to_string()) && !top.contains(&"/notes".to_string()),
        "{top:?}"
    );
    assert_eq!(
        stage.lookup(&file, "/extra").unwrap().map(|n| n.kind()),
        Some(NodeKind::Group)
    );

    let reviewed = Edit::SetAttr {
        path: "/market".into(),
        name: "reviewed".into(),
        value: EditValue::Json(json!(true)),
        dtype: AttrDtype::Keep,
    };
    stage.apply(&file, reviewed).unwrap();
    let del = Edit::DelAttr {
        path: "/market".into(),
        name: "currency".into(),
    };
    stage.apply(&file, del).unwrap();
    let names: Vec<String> = stage
        .attrs(&file, "/market")
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert!(
        names.contains(&"reviewed".into()) && !names.contains(&"currency".into()),
        "{names:?}"
    );

    let pending = stage.pending();
    for path in ["/market/prices", "/extra/new", "/notes", "/market"] {
        assert!(
            pending.iter().any(|p| p.path == path),
            "{path} not listed in {pending:?}"
        );
    }
    // Discarding is dropping the stage: nothing was written.
    drop(stage);
    drop(file);
    assert_eq!(file_fingerprint(&p), before);
}

#[test]
fn edits_are_validated_when_staged() {
    let (_dir, p) = demo();
    let file = Vh5File::open(&p).unwrap();
    let base = file.resolve_version(None).unwrap();
    let mut stage = Stage::new(Some(base));
    assert!(stage
        .apply(&file, set("/market/prices[0, 99]", json!(1)))
        .is_err());
    assert!(stage
        .apply(&file, set("/market/volume[0, 0]", json!(-1.5)))
        .is_err());
    assert!(stage
        .apply(&file, set("/market/volume[0:2, 0]", json!([1, 2, 3])))
        .is_err());
    assert!(
        stage.is_empty(),
        "refused sets leave nothing staged: {:?}",
        stage.pending()
    );
    let mkgroup = Edit::MkGroup {
        path: "/versions".into(),
    };
    assert!(stage.apply(&file, mkgroup).is_err());
    assert!(stage
        .apply(
            &file,
            create("/g/hash_table", json!([1]), CreateOptions::default())
        )
        .is_err());
    assert!(stage
        .apply(
            &file,
            create("/g/h/x", json!([[1]]), CreateOptions::default())
        )
        .is_err());
    assert!(
        stage.is_empty(),
        "refused creates leave nothing staged: {:?}",
        stage.pending()
    );
    let committed = Edit::SetAttr {
        path: "/".into(),
        name: "committed".into(),
        value: EditValue::Json(json!(1)),
        dtype: AttrDtype::Infer,
    };
    assert!(stage.apply(&file, committed).is_err());
    let resize = Edit::Resize {
        path: "/market/prices".into(),
        shape: vec![3],
    };
    assert!(stage.apply(&file, resize).is_err());
    assert!(
        stage.is_empty(),
        "refused edits leave nothing staged: {:?}",
        stage.pending()
    );
}

/// A sparse dataset (shape + fill value) committed by vh5 reads in
/// versioned-hdf5 as fill everywhere but the written cells, with only the
/// written chunk stored; Python keeps writing to it.
#[test]
fn sparse_creation_reads_in_python() {
    let (_dir, p) = demo();
    let f = p.to_str().unwrap();
    let out = vh5(&[
        "commit",
        f,
        "--name",
        "sparse",
        "--create-sparse",
        "/sp=[10, 6]",
        "--chunks",
        "[4, 4]",
        "--dtype",
        "<i4",
        "--fillvalue",
        "-1",
        "--set",
        "/sp[5, 5]=7",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = r#"
import sys, json, h5py
from versioned_hdf5 import VersionedHDF5File
with h5py.File(sys.argv[1], "r+") as f:
    vf = VersionedHDF5File(f)
    ds = vf["sparse"]["sp"]
    first = ds[:].tolist()
    stored = int(f["_version_data/sp/hash_table"].attrs["largest_index"])
    with vf.stage_version("py") as g:
        g["sp"][0, 0] = 3
    print(json.dumps({"data": first, "fill": int(ds.fillvalue), "stored": stored, "after": vf["py"]["sp"][0].tolist()}))
"#;
    let out = std::process::Command::new(python())
        .args(["-c", script, f])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut expected = vec![vec![-1; 6]; 10];
    expected[5][5] = 7;
    assert_eq!(doc["data"], json!(expected));
    assert_eq!(doc["fill"], -1);
    assert_eq!(doc["stored"], 1, "only the written chunk is stored");
    assert_eq!(doc["after"], json!([3, -1, -1, -1, -1, -1]));
}

/// Everything the staged view shows: every node, its attributes, and the
/// values of every dataset.
fn snapshot(stage: &Stage, file: &Vh5File) -> Vec<String> {
    let mut out = Vec::new();
    let mut nodes = vec![("/".to_string(), NodeKind::Group)];
    nodes.extend(stage.walk(file).unwrap());
    for (path, kind) in nodes {
        let attrs: Vec<String> = stage
            .attrs(file, &path)
            .unwrap()
            .iter()
            .map(|a| format!("{}={}:{}", a.name, a.to_json(), a.value.dtype))
            .collect();
        let data = match kind {
            NodeKind::Dataset => {
                let meta = stage.dataset_meta(file, &path).unwrap();
                let all = Selection::all(&meta.shape);
                let grid = stage.read(file, &path, &all).unwrap();
                format!("{} {:?} {}", meta.dtype, meta.shape, grid.to_json())
            }
            NodeKind::Group => "group".into(),
        };
        out.push(format!("{path} [{}] {data}", attrs.join(" ")));
    }
    out
}

fn edits() -> Vec<Edit> {
    vec![
        set("/market/prices[1, 1]", json!(-5.0)),
        Edit::SetAttr {
            path: "/market".into(),
            name: "currency".into(),
            value: EditValue::Text("EUR".into()),
            dtype: AttrDtype::Keep,
        },
        Edit::Resize {
            path: "/market/fx/eurusd".into(),
            shape: vec![103],
        },
        create("/extra/new", json!([1, 2, 3]), CreateOptions::default()),
        set("/extra/new[1:]", json!(9)),
        Edit::Delete {
            path: "/notes".into(),
        },
        set("/market/prices[1, 1]", json!(7.5)),
    ]
}

/// A fresh stage with `edits` applied in order.
fn applied(file: &Vh5File, edits: &[Edit]) -> Stage {
    let mut stage = Stage::new(Some(file.resolve_version(None).unwrap()));
    for e in edits {
        stage.apply(file, e.clone()).unwrap();
    }
    stage
}

/// Undo, discarding one edit in the middle and discarding all leave exactly
/// what applying the remaining edits to a fresh stage gives.
#[test]
fn undo_and_discard_equal_applying_the_rest() {
    let (_dir, p) = demo();
    let file = Vh5File::open(&p).unwrap();
    let all = edits();
    let mut stage = applied(&file, &all);
    let ids: Vec<u64> = stage.pending().iter().map(|r| r.id).collect();
    assert_eq!(ids, (1..=all.len() as u64).collect::<Vec<_>>());

    let undone = stage.undo_last(&file).unwrap().unwrap();
    assert_eq!(undone.id, all.len() as u64);
    assert_eq!(
        snapshot(&stage, &file),
        snapshot(&applied(&file, &all[..all.len() - 1]), &file)
    );

    // Discard the resize in the middle.
    let row = stage.discard(&file, 3).unwrap();
    assert_eq!(
        (row.what.as_str(), row.before.as_str()),
        ("resize", "[101]")
    );
    let rest: Vec<Edit> = [0, 1, 3, 4, 5].iter().map(|&i| all[i].clone()).collect();
    assert_eq!(
        snapshot(&stage, &file),
        snapshot(&applied(&file, &rest), &file)
    );
    let ids: Vec<u64> = stage.pending().iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![1, 2, 4, 5, 6], "ids stay with their edits");

    // A later edit needs the created dataset: refused, nothing changes.
    let before = snapshot(&stage, &file);
    let err = stage.discard(&file, 4).unwrap_err();
    assert!(err.message.contains("edit 5"), "{err}");
    assert_eq!(snapshot(&stage, &file), before);
    assert_eq!(stage.pending().len(), 5);

    // New edits get new ids.
    let id = stage.apply(&file, all[6].clone()).unwrap();
    assert_eq!(id, 8);

    stage.discard_all();
    assert!(stage.is_empty());
    assert_eq!(
        snapshot(&stage, &file),
        snapshot(&applied(&file, &[]), &file)
    );
    assert!(stage.undo_last(&file).unwrap().is_none());
}

/// Each edit is one pending row: path, what, before → after.
#[test]
fn pending_rows_say_what_changes() {
    let (_dir, p) = demo();
    let file = Vh5File::open(&p).unwrap();
    let stage = applied(&file, &edits());
    let rows: Vec<(String, String, String, String)> = stage
        .pending()
        .into_iter()
        .map(|r| (r.path, r.what, r.before, r.after))
        .collect();
    let row = |p: &str, w: &str, b: &str, a: &str| (p.into(), w.into(), b.into(), a.into());
    let old = file
        .dataset(&file.resolve_version(None).unwrap(), "/market/prices")
        .unwrap()
        .read(&sel("1, 1", &[101, 12]))
        .unwrap()
        .get(0)
        .to_string();
    assert_eq!(
        rows,
        vec![
            row("/market/prices", "set [1, 1]", &old, "-5"),
            row("/market", "attr currency", "\"USD\"", "\"EUR\""),
            row("/market/fx/eurusd", "resize", "[101]", "[103]"),
            row("/extra/new", "create", "(none)", "int64 [3]"),
            row("/extra/new", "set [1:]", "2 cells", "9"),
            row("/notes", "delete", "group", "(deleted)"),
            row("/market/prices", "set [1, 1]", "-5", "7.5"),
        ]
    );
}

/// An attribute keeps its dtype when the value fits it; `Infer` replaces
/// it as h5py would; a value that does not fit is refused, naming the dtype.
#[test]
fn attribute_edits_keep_or_replace_the_dtype() {
    let (_dir, p) = demo();
    let file = Vh5File::open(&p).unwrap();
    let mut stage = applied(&file, &[]);
    let (keep, infer) = (AttrDtype::Keep, AttrDtype::Infer);
    let text = |t: &str| EditValue::Text(t.into());
    let js = EditValue::Json;
    // (name, value, mode, Ok((dtype, value)) or Err(part of the message));
    // corrections: int64 [17, 45]; units: a string.
    type Expected = Result<(&'static str, Json), &'static str>;
    let cases: Vec<(&str, EditValue, AttrDtype, Expected)> = vec![
        (
            "corrections",
            js(json!([3])),
            keep,
            Ok(("int64", json!([3]))),
        ),
        ("corrections", js(json!(1.5)), keep, Err("int64")),
        ("corrections", text("oops"), keep, Err("not strings")),
        ("units", text("EUR"), keep, Ok(("str", json!("EUR")))),
        ("units", js(json!(5)), keep, Err("str")),
        // Infer: what h5py stores for the value.
        ("units", js(json!(5)), infer, Ok(("int64", json!(5)))),
        // New: rule 11.
        ("scale", js(json!(0.5)), keep, Ok(("float64", json!(0.5)))),
    ];
    for (name, value, dtype, expected) in cases {
        let edit = Edit::SetAttr {
            path: "/market/prices".into(),
            name: name.into(),
            value: value.clone(),
            dtype,
        };
        match (stage.apply(&file, edit), expected) {
            (Ok(_), Ok((d, v))) => {
                let attrs = stage.attrs(&file, "/market/prices").unwrap();
                let a = attrs.iter().find(|a| a.name == name).unwrap();
                assert_eq!((a.value.dtype.to_string(), a.to_json()), (d.into(), v));
            }
            (Err(e), Err(part)) => assert!(e.message.contains(part), "{name}: {e}"),
            (got, expected) => panic!("{name} = {value:?}: {got:?}, expected {expected:?}"),
        }
    }
    assert_eq!(stage.pending().len(), 4, "refused edits are not logged");
}

/// The cells of a window that hold staged values: set cells, created data;
/// cut by a later shrink; none after a delete.
#[test]
fn staged_cells_of_a_window() {
    let (_dir, p) = demo();
    let file = Vh5File::open(&p).unwrap();
    let mut stage = applied(&file, &[]);
    stage
        .apply(&file, set("/market/prices[1:3, 2]", json!(1)))
        .unwrap();
    stage
        .apply(&file, set("/market/prices[::-2, 0]", json!(2)))
        .unwrap();
    let window = sel("0:4, 0:3", &[101, 12]);
    let block = vh5::engine::SliceExpr::block(&[0, 0], &[4, 3]);
    assert_eq!(
        Selection::resolve(Some(&block), &[101, 12]).unwrap(),
        window
    );
    let mask = stage.staged_cells("/market/prices", &window);
    let marked: Vec<(usize, usize)> = (0..12)
        .filter(|&k| mask[k])
        .map(|k| (k / 3, k % 3))
        .collect();
    // Rows 100, 98, ... 0 of column 0 are even rows: 0 and 2 here.
    assert_eq!(marked, vec![(0, 0), (1, 2), (2, 0), (2, 2)]);
    stage
        .apply(
            &file,
            Edit::Resize {
                path: "/market/prices".into(),
                shape: vec![2, 12],
            },
        )
        .unwrap();
    stage
        .apply(
            &file,
            Edit::Resize {
                path: "/market/prices".into(),
                shape: vec![101, 12],
            },
        )
        .unwrap();
    let mask = stage.staged_cells("/market/prices", &window);
    assert_eq!(mask.iter().filter(|&&m| m).count(), 2, "rows 2+ were cut");
    stage
        .apply(
            &file,
            create("/n", json!([1, 2, 3]), CreateOptions::default()),
        )
        .unwrap();
    assert_eq!(stage.staged_cells("/n", &sel("1:", &[3])), vec![true, true]);
    stage
        .apply(
            &file,
            Edit::Delete {
                path: "/market".into(),
            },
        )
        .unwrap();
    assert!(stage
        .staged_cells("/market/prices", &window)
        .iter()
        .all(|m| !m));
}

/// A restore stages another version's whole tree on the base: every
/// dataset's chunk map as it is (nothing to write), groups and attributes
/// as there; edits on top read from the restored data.
#[test]
fn restore_stages_a_versions_content() {
    let (_dir, p) = demo();
    let file = Vh5File::open(&p).unwrap();
    let old = file.version("initial-load").unwrap().unwrap();
    let mut stage = applied(&file, &[]);
    stage
        .apply(&file, set("/market/prices[0, 0]", json!(1)))
        .unwrap();
    stage
        .apply(
            &file,
            Edit::Restore {
                version: "initial-load".into(),
            },
        )
        .unwrap();
    assert_eq!(stage.base().unwrap().name, "eod-2025-05-30");
    assert_eq!(stage.source().unwrap().name, "initial-load");
    let mut restored = Stage::new(Some(old.clone()));
    // The same content as the version itself (its own root attributes included).
    let theirs: Vec<String> = snapshot(&restored, &file).into_iter().skip(1).collect();
    let ours = snapshot(&stage, &file);
    assert_eq!(ours[1..], theirs[..]);
    assert!(
        ours[0].contains("author="),
        "root attributes restored: {}",
        ours[0]
    );
    // Nothing is staged as chunks: every dataset reads from the version.
    assert!(stage
        .walk(&file)
        .unwrap()
        .iter()
        .all(|(p, _)| stage.staged(p).is_none()));
    // Edits on top read the restored data.
    restored
        .apply(&file, set("/market/prices[0, 1]", json!(3)))
        .unwrap();
    stage
        .apply(&file, set("/market/prices[0, 1]", json!(3)))
        .unwrap();
    let all = Selection::all(
        &restored
            .dataset_meta(&file, "/market/prices")
            .unwrap()
            .shape,
    );
    assert_eq!(
        stage.read(&file, "/market/prices", &all).unwrap(),
        restored.read(&file, "/market/prices", &all).unwrap()
    );
}
