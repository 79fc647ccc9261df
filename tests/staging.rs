//! The staging area through the engine API: reads through it show staged
//! values, only touched chunks are held, listing and discarding work, and
//! nothing reaches the file before a commit.

mod common;

use common::*;
use serde_json::json;
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

fn demo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &p).unwrap();
    (dir, p)
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
