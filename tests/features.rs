//! The HDF5 features the seed documents teach, in plain files made by h5py
//! (tests/interop/feature_fixtures.py): object and region references,
//! dimension scales, virtual datasets with a missing source file, a filter
//! this build lacks. The real binary's JSON is checked against what h5py
//! reads back; the browser's metadata pane is snapshotted on each, and a
//! reference is followed from a cell and from an attribute.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::{interop_json, stderr, vh5, vh5_json};
use crossterm::event::KeyCode::{self, *};
use serde_json::{json, Value as Json};
use vh5::tui::headless::Headless;

/// The fixture files, made once per test process, and h5py's account of them.
fn fixtures() -> &'static (PathBuf, Json) {
    static FIXTURES: OnceLock<(PathBuf, Json)> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("features");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let py = interop_json("feature_fixtures.py", &[dir.to_str().unwrap()]);
        (dir, py)
    })
}

fn file(name: &str) -> String {
    fixtures().0.join(name).to_string_lossy().into_owned()
}

fn py() -> &'static Json {
    &fixtures().1
}

#[test]
fn references_print_as_the_paths_h5py_dereferences_them_to() {
    let refs = file("refs.h5");
    let cat = vh5_json(&["cat", &refs, "/refs", "--json"]);
    assert_eq!(cat["dtype"], "|O");
    assert_eq!(cat["data"], py()["refs"]["/refs"], "object references");
    let cat = vh5_json(&["cat", &refs, "/rrefs", "--json"]);
    assert_eq!(cat["data"], py()["refs"]["/rrefs"], "region references");
    let show = vh5_json(&["show", &refs, "/", "--json"]);
    for key in ["target", "region"] {
        assert_eq!(
            show["attrs"][key],
            py()["refs"]["attrs"][key],
            "attribute {key}"
        );
    }
    // One element: a bare string; text output names the target too.
    let one = vh5_json(&["cat", &refs, "/rrefs[1]", "--json"]);
    assert_eq!(one["data"], py()["refs"]["/rrefs"][1]);
    let text = common::stdout(&vh5(&["cat", &refs, "/refs"]));
    assert!(text.contains("/group/ds, /plain, /group"), "{text}");
}

#[test]
fn dimension_scales_are_listed_per_axis_as_h5py_sees_them() {
    let show = vh5_json(&["show", &file("scales.h5"), "/data", "--json"]);
    assert_eq!(show["dims"], py()["scales"]["/data"]);
    // The scales' own reference lists resolve to the dataset and axis.
    let x = vh5_json(&["show", &file("scales.h5"), "/x", "--json"]);
    assert_eq!(x["attrs"]["REFERENCE_LIST"], json!([["/data", 2]]));
    // A dataset without scales or labels has no `dims`.
    assert!(x.get("dims").is_none(), "{x}");
}

/// A selection of a source, as vh5 writes it when the source extent is
/// unknown: from h5py's bounds, or `[...]` for an "all" selection.
fn source_text(m: &Json) -> String {
    if m["source_all"] == true {
        return "[...]".into();
    }
    let (lo, hi) = (&m["source_bounds"][0], &m["source_bounds"][1]);
    let axes: Vec<String> = (0..lo.as_array().unwrap().len())
        .map(|d| {
            let (a, b) = (lo[d].as_u64().unwrap(), hi[d].as_u64().unwrap());
            if a == b {
                a.to_string()
            } else {
                format!("{a}:{}", b + 1)
            }
        })
        .collect();
    format!("[{}]", axes.join(", "))
}

#[test]
fn virtual_datasets_show_their_mappings_and_missing_source_files() {
    let vds = file("vds.h5");
    for (path, missing) in [("/v", json!(["missing.h5"])), ("/many", json!([]))] {
        let show = vh5_json(&["show", &vds, path, "--json"]);
        let py_maps = py()["vds"][path]["mappings"].as_array().unwrap();
        let v = &show["virtual"];
        assert_eq!(v["total"], py_maps.len(), "{path}");
        let shown = v["sources"].as_array().unwrap();
        assert_eq!(shown.len(), py_maps.len().min(10), "{path}: capped at 10");
        for (ours, theirs) in shown.iter().zip(py_maps) {
            assert_eq!(ours["file"], theirs["file"], "{path}");
            assert_eq!(ours["dataset"], theirs["dataset"], "{path}");
            assert_eq!(ours["virtual"], theirs["virtual"], "{path}");
            assert_eq!(ours["source"], source_text(theirs), "{path}");
        }
        assert_eq!(v["missing_files"], missing, "{path}");
        // Contract keys are still there.
        assert_eq!(show["layout"], "virtual");
    }
    let text = common::stdout(&vh5(&["show", &vds, "/many"]));
    assert!(
        text.contains("virtual: 25 mappings") && text.contains("… and 15 more"),
        "{text}"
    );
    let text = common::stdout(&vh5(&["show", &vds, "/v"]));
    assert!(
        text.contains("[1, 0:5] <- missing.h5:data[0:5]")
            && text.contains("warning: source file missing.h5 not found"),
        "{text}"
    );
}

#[test]
fn reading_cells_of_a_missing_source_fails_naming_the_file() {
    let vds = file("vds.h5");
    let values = &py()["vds"]["/v"]["values"];
    let out = vh5(&["cat", &vds, "/v", "--json"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("/v: source file missing.h5 not found (it backs [1, 0:5]"),
        "{err}"
    );
    // A cell the missing file does not back reads as HDF5 reads it.
    assert_eq!(
        vh5_json(&["cat", &vds, "/v[1, 5:]", "--json"])["data"],
        json!(values[1].as_array().unwrap()[5..])
    );
    for row in [0, 2] {
        let got = vh5_json(&["cat", &vds, &format!("/v[{row}]"), "--json"]);
        assert_eq!(got["data"], values[row], "row {row}");
    }
    let many = vh5_json(&["cat", &vds, "/many", "--json"]);
    assert_eq!(many["data"], py()["vds"]["/many"]["values"]);
}

#[test]
fn filters_say_whether_this_build_has_them_and_reads_name_the_missing_one() {
    let f = file("filters.h5");
    for path in ["/blosc", "/zstd_skipped", "/gz"] {
        let show = vh5_json(&["show", &f, path, "--json"]);
        let ours: Vec<Json> = show["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| json!({"id": f["id"], "available": f["available"]}))
            .collect();
        assert_eq!(Json::from(ours), py()["filters"][path]["filters"], "{path}");
    }
    let show = vh5_json(&["show", &f, "/blosc", "--json"]);
    assert_eq!(show["filters"][0]["name"], "blosc");
    assert_eq!(show["compression"], 32001);
    // h5py cannot read it either; vh5 says why in one line.
    assert!(py()["filters"]["/blosc"]["values"].is_null());
    let out = vh5(&["cat", &f, "/blosc"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "vh5: /blosc: filter blosc (32001) is not available in this build\n"
    );
    // An optional filter skipped at write: the chunks read without it.
    for path in ["/zstd_skipped", "/gz"] {
        let got = vh5_json(&["cat", &f, path, "--json"]);
        assert_eq!(got["data"], py()["filters"][path]["values"], "{path}");
    }
    let text = common::stdout(&vh5(&["show", &f, "/blosc"]));
    assert!(
        text.contains("blosc (32001) [2,2,4,16] NOT AVAILABLE"),
        "{text}"
    );
}

// ---- The browser: the metadata pane on each, following references. ----

fn browse(name: &str) -> Headless {
    let mut h = Headless::open(&fixtures().0.join(name), 140, 34).unwrap();
    assert!(h.settle(), "requests never settled");
    h
}

fn status(h: &Headless) -> String {
    h.screen().lines().last().unwrap_or("").to_string()
}

fn press(h: &mut Headless, keys: &[KeyCode]) -> String {
    h.keys(keys);
    h.screen()
}

#[test]
fn metadata_pane_shows_reference_attributes_and_follows_one() {
    let mut h = browse("refs.h5");
    let s = h.screen();
    assert!(
        s.contains("region <region reference> \"/group/ds[2:4,"),
        "{s}"
    );
    assert!(s.contains("target <object reference> \"/group/ds\""), "{s}");
    insta::assert_snapshot!("refs_root_meta", s);
    // The key bar offers o only on a reference attribute.
    h.keys(&[Char('3')]);
    assert!(status(&h).contains("follow ref"), "{}", status(&h));
    h.keys(&[Char('G')]);
    assert!(!status(&h).contains("follow ref"), "{}", status(&h));
    // The region attribute: its dataset opens with the cursor on the
    // region's first cell.
    let s = press(&mut h, &[Char('g'), Char('o')]);
    assert!(
        s.contains("/group/ds @ .") && s.contains("cursor (2, 0)"),
        "{s}"
    );
    assert!(
        s.contains("followed the reference to /group/ds[2:4, :]"),
        "{s}"
    );
    insta::assert_snapshot!("refs_followed_from_attribute", s);
}

#[test]
fn reference_cells_show_their_targets_and_o_follows_them() {
    let mut h = browse("refs.h5");
    h.show("/rrefs");
    let s = h.screen();
    assert!(s.contains("/group/ds[1:3, 1:4]"), "{s}");
    insta::assert_snapshot!("refs_region_cells", s);
    let s = press(&mut h, &[Down, Char('o')]);
    assert!(
        s.contains("/group/ds @ .") && s.contains("cursor (1, 1)"),
        "{s}"
    );
    // An object reference to a group selects the group in the tree.
    h.keys(&[Char('1')]);
    h.show("/refs");
    let s = press(&mut h, &[Down, Down, Char('o')]);
    assert!(s.contains("followed the reference to /group"), "{s}");
    assert!(s.contains("group        /group"), "{s}");
    // A null reference says it holds none.
    h.keys(&[Char('1')]);
    h.show("/refs");
    let s = press(&mut h, &[Char('G'), Char('o')]);
    assert!(
        s.contains("(null reference)") && s.contains("the cell holds no reference"),
        "{s}"
    );
}

#[test]
fn metadata_pane_shows_virtual_mappings_and_warns_of_missing_sources() {
    let mut h = browse("vds.h5");
    h.show("/v");
    let s = h.screen();
    assert!(
        s.contains("[1, 0:5] ← missing.h5:data[0:5]") && s.contains("source file missing.h5 not"),
        "{s}"
    );
    // The array's read is refused, naming the file, not shown as fill.
    assert!(
        s.contains("cannot show values: /v: source file missing.h5"),
        "{s}"
    );
    insta::assert_snapshot!("vds_meta", s);
    h.keys(&[Char('1')]);
    h.show("/many");
    // Zoomed, the metadata pane shows the ten mappings and the count of the rest.
    let s = press(&mut h, &[Char('3'), Char('z')]);
    assert!(
        s.contains("25 mappings") && s.contains("… and 15 more"),
        "{s}"
    );
    insta::assert_snapshot!("vds_many_meta_zoomed", s);
}

#[test]
fn metadata_pane_marks_a_filter_this_build_lacks() {
    let mut h = browse("filters.h5");
    h.show("/blosc");
    let s = h.screen();
    assert!(s.contains("blosc (32001)[2, 2, 4, 16] not"), "{s}");
    assert!(
        s.contains("cannot show values: /blosc: filter blosc (32001) is not available"),
        "{s}"
    );
    insta::assert_snapshot!("filters_meta", s);
}

#[test]
fn metadata_pane_lists_dimension_scales() {
    let mut h = browse("scales.h5");
    h.show("/data");
    let s = h.screen();
    assert!(
        s.contains("0 time: /t")
            && s.contains("1 row: (no scale)")
            && s.contains("/x2 (\"x in mm\")"),
        "{s}"
    );
    // The dimension label names the row axis; the scale labels the columns.
    assert!(
        s.contains("row × x") && s.contains("row   10   20   30   40"),
        "{s}"
    );
    insta::assert_snapshot!("scales_meta", s);
}
