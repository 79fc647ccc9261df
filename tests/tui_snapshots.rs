//! Snapshot tests of every pane and mode, rendered with ratatui's
//! TestBackend. The worker's service answers synchronously here, so each
//! frame is deterministic.

mod common;

use common::repo_root;
use crossterm::event::KeyCode;
use vh5::tui::headless::Headless;
use vh5::tui::keymap;

/// The demo file in a headless browser of the given size, settled.
fn demo(width: u16, height: u16) -> Headless {
    let mut h = Headless::open(&repo_root().join("assets/demo.h5"), width, height).unwrap();
    assert!(h.settle(), "requests never settled");
    h
}

use KeyCode::*;

#[test]
fn timeline_tree_and_metadata_at_start() {
    let h = demo(120, 34);
    let s = h.screen();
    assert!(
        s.contains("initial-load") && s.contains("| *"),
        "branch graph:\n{s}"
    );
    insta::assert_snapshot!("start", s);
}

#[test]
fn array_page_of_a_2d_dataset_in_an_old_version() {
    let mut h = demo(120, 34);
    h.keys(&[Down, Down, Down, Down, Down, Down, Down, Tab]);
    h.text("/prices");
    h.keys(&[Enter, Enter]);
    let s = h.screen();
    assert!(s.contains("/market/prices @ fix-bad-tick"), "{s}");
    insta::assert_snapshot!("array_2d", s);
    h.keys(&[PageDown, Right, Right]);
    h.text(":40, 3");
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(s.contains("cursor (40, 3)"), "{s}");
    insta::assert_snapshot!("array_2d_goto", s);
}

#[test]
fn plots_line_and_heatmap() {
    let mut h = demo(100, 30);
    h.keys(&[Tab]);
    h.text("/weights");
    h.keys(&[Enter, Enter, Char('p')]);
    insta::assert_snapshot!("plot_line", h.screen());
    // p again: the whole dataset, min / max per pixel column.
    h.keys(&[Char('p')]);
    let s = h.screen();
    assert!(s.contains("whole dataset: 12 values"), "{s}");
    h.keys(&[Char('p'), Char('2')]);
    h.text("/prices");
    h.keys(&[Enter, Enter, Char('p')]);
    let s = h.screen();
    assert!(
        s.contains("/market/prices @") && s.contains("▒ nan"),
        "the heatmap with its colour scale:\n{s}"
    );
    insta::assert_snapshot!("plot_heatmap_cells", s);
    // Strings cannot be plotted, and say so.
    h.keys(&[Char('p'), Char('2')]);
    h.text("/tickers");
    h.keys(&[Enter, Enter, Char('p')]);
    assert!(
        h.screen().contains("cannot plot str values"),
        "{}",
        h.screen()
    );
}

#[test]
fn three_d_data_pins_an_axis() {
    let mut h = demo(100, 30);
    h.keys(&[Tab]);
    h.text("/cube");
    h.keys(&[Enter, Enter, Char(']'), Char(']')]);
    let s = h.screen();
    assert!(s.contains("[2, row, col]"), "{s}");
    insta::assert_snapshot!("cube_pinned", s);
}

#[test]
fn diff_mode_marks_the_tree_and_shows_before_after() {
    let mut h = demo(120, 34);
    // Mark `cleanup` as A, then select the current version as B.
    h.keys(&[Down, Char('m'), Up, Tab]);
    h.text("/journal");
    h.keys(&[Enter, Enter]);
    let s = h.screen();
    assert!(
        s.contains("~ journal") && s.contains("changed (A → B)") && s.contains("diff cleanup"),
        "{s}"
    );
    insta::assert_snapshot!("diff_mode", s);
    h.keys(&[Char('G')]);
    let s = h.screen();
    assert!(
        s.contains("[changed; A: (absent)]"),
        "the appended cell is new in B:\n{s}"
    );
}

#[test]
fn help_overlay_lists_every_binding() {
    let mut h = demo(100, 30);
    h.keys(&[Char('?')]);
    let first = h.screen();
    assert!(first.contains(" Keys 1–"), "the help scrolls:\n{first}");
    insta::assert_snapshot!("help", first);
    // Page through it all: every binding of the table is there, its keys
    // beside its description.
    let mut lines: Vec<String> = first.lines().map(String::from).collect();
    for _ in 0..10 {
        h.keys(&[PageDown]);
        lines.extend(h.screen().lines().map(String::from));
    }
    for b in keymap::BINDINGS {
        let keys = b.keys_label();
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("{keys} ")) && l.contains(b.description)),
            "help misses {keys} {}",
            b.description
        );
    }
    let last = h.screen();
    assert!(last.contains("close the help"), "the last page:\n{last}");
    h.keys(&[Esc]);
    assert!(!h.screen().contains(" Keys "), "Esc closes the help");
}

#[test]
fn help_overlay_scrolls() {
    let mut h = demo(100, 30);
    h.keys(&[Char('?'), PageDown]);
    insta::assert_snapshot!("help_scrolled", h.screen());
    h.keys(&[Char('k')]);
    let s = h.screen();
    let title = s.lines().find(|l| l.contains(" Keys ")).unwrap_or("");
    assert!(
        title.contains(" Keys 25–"),
        "k scrolls back one line: {title}"
    );
    // Any other key closes it, and does nothing else.
    h.keys(&[Char('x')]);
    assert!(!h.screen().contains(" Keys "), "{}", h.screen());
}

#[test]
fn smallest_layout_80x24() {
    let mut h = demo(80, 24);
    h.keys(&[Tab]);
    h.text("/volume");
    h.keys(&[Enter, Enter]);
    insta::assert_snapshot!("small_80x24", h.screen());
}

#[test]
fn errors_become_status_messages() {
    let mut h = demo(100, 30);
    h.keys(&[Tab, Char('/')]);
    h.text("no-such-node");
    h.keys(&[Enter]);
    assert!(
        h.screen().contains("error: no node matches"),
        "{}",
        h.screen()
    );
    h.keys(&[Tab, Tab, Char(':')]);
    h.text("x");
    h.keys(&[Enter]);
    assert!(
        h.screen().contains("error: go to: \"x\" is not an index"),
        "{}",
        h.screen()
    );
}

/// The bottom line of the last frame.
fn bottom(h: &Headless) -> String {
    h.screen().lines().last().unwrap_or("").to_string()
}

#[test]
fn key_bar_follows_the_focused_pane_and_the_popup() {
    let mut h = demo(120, 34);
    h.show("/prices");
    let mut bars = Vec::new();
    for (pane, key) in [
        ("timeline", '1'),
        ("tree", '2'),
        ("metadata", '3'),
        ("array", '4'),
    ] {
        h.keys(&[Char(key)]);
        bars.push(format!("{pane:<9}|{}", bottom(&h)));
    }
    h.keys(&[Char(':')]);
    bars.push(format!("{:<9}|{}", "go to", bottom(&h)));
    h.keys(&[Esc, Char('?')]);
    bars.push(format!("{:<9}|{}", "help", bottom(&h)));
    h.keys(&[Esc, Char('1'), Down, Char('m'), Up, Char('4')]);
    bars.push(format!("{:<9}|{}", "diff", bottom(&h)));
    insta::assert_snapshot!("key_bars", bars.join("\n"));
}

#[test]
fn number_keys_focus_panes_and_z_zooms_the_focused_one() {
    let mut h = demo(100, 30);
    h.show("/prices");
    let normal = h.screen();
    h.keys(&[Char('z')]);
    let s = h.screen();
    assert!(
        !s.contains("Timeline") && !s.contains("Metadata") && s.contains("[zoom]"),
        "only the array is drawn:\n{s}"
    );
    insta::assert_snapshot!("zoom_array", s);
    // Focus follows the keys while zoomed: the zoomed pane changes.
    h.keys(&[Char('1')]);
    let s = h.screen();
    assert!(s.contains(" Timeline ") && !s.contains("cursor ("), "{s}");
    h.keys(&[Char('4'), Char('z')]);
    assert_eq!(h.screen(), normal, "z again restores the layout");
    for (key, title) in [('1', "Timeline"), ('2', "Tree @"), ('3', "Metadata")] {
        h.keys(&[Char(key), Char('z')]);
        let s = h.screen();
        let top = s.lines().next().unwrap_or("");
        assert!(top.starts_with(&format!("┌ {title}")), "{key}: {top}");
        h.keys(&[Char('z')]);
    }
}

#[test]
fn a_refused_go_to_keeps_the_field_open_with_the_reason() {
    let mut h = demo(120, 30);
    h.show("/prices");
    h.text(":4x");
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(
        s.contains("go to: 4x▏ error: go to: \"4x\" is not an index"),
        "{s}"
    );
    insta::assert_snapshot!("field_error", s);
    // Editing clears the reason; Ctrl-U clears the field; the cursor moves.
    h.keys(&[Backspace]);
    assert!(h.screen().contains("go to: 4▏ "), "{}", h.screen());
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    assert!(h.screen().contains("go to: ▏ "), "{}", h.screen());
    h.text("-1, 2");
    h.keys(&[Home, Right, Delete, End]);
    h.text(" ");
    assert!(h.screen().contains("go to: -, 2 ▏"), "{}", h.screen());
    h.keys(&[Home, Right]);
    h.text("999");
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(
        s.contains("error: go to: outside the shown shape [101, 12]")
            && s.contains("cursor (0, 0)"),
        "out of range: nothing moves\n{s}"
    );
    // Negative indices count from the end.
    h.keys(&[Home, Right, Delete, Delete, Delete]);
    h.text("1");
    h.keys(&[Enter]);
    assert!(h.screen().contains("cursor (100, 2)"), "{}", h.screen());
    // Esc cancels and changes nothing.
    h.text(":5");
    h.keys(&[Esc]);
    let s = h.screen();
    assert!(
        s.contains("cursor (100, 2)") && !s.contains("go to:"),
        "{s}"
    );
}

#[test]
fn ctrl_c_quits_even_from_a_field() {
    let mut h = demo(100, 30);
    h.keys(&[Tab, Char('/')]);
    h.text("q");
    assert!(!h.app.quit, "q is typed into the field");
    h.chord(Char('c'), crossterm::event::KeyModifiers::CONTROL);
    assert!(h.app.quit);
}

#[test]
fn metadata_g_and_shift_g_go_to_top_and_bottom() {
    let mut h = demo(80, 24);
    h.show("/prices");
    h.keys(&[Char('3'), Char('G')]);
    let s = h.screen();
    assert!(
        s.contains("attributes (") && !s.contains("dataset      /market"),
        "the end of the metadata:\n{s}"
    );
    h.keys(&[Char('g')]);
    assert!(h.screen().contains("dataset"), "{}", h.screen());
}

/// Marks `a` (rows from the top of the timeline) as A and selects `b`.
fn diff(h: &mut Headless, a: usize, b: usize) {
    h.keys(&[Char('1'), Home]);
    for _ in 0..a {
        h.keys(&[Down]);
    }
    h.keys(&[Char('m'), Home]);
    for _ in 0..b {
        h.keys(&[Down]);
    }
}

/// The status line's message (after the diff note).
fn status(h: &Headless) -> String {
    bottom(h)
}

#[test]
fn n_in_the_array_lands_on_changed_cells() {
    let mut h = demo(120, 34);
    // A = eod-2025-03-31, B = fix-bad-tick: prices changed at [17, 2]
    // and [45, 3].
    diff(&mut h, 8, 7);
    h.show("/prices");
    assert!(
        status(&h).contains("diff eod-2025-03-31 → fix-bad-tick"),
        "{}",
        status(&h)
    );
    h.keys(&[Char('n')]);
    let s = h.screen();
    assert!(s.contains("cursor (17, 2)"), "{s}");
    assert!(
        status(&h).contains("1 of 2 changed cells"),
        "{}",
        status(&h)
    );
    assert!(
        status(&h).contains("[changed; A: 97.8567]"),
        "{}",
        status(&h)
    );
    h.keys(&[Char('n')]);
    assert!(h.screen().contains("cursor (45, 3)"), "{}", h.screen());
    assert!(
        status(&h).contains("2 of 2 changed cells"),
        "{}",
        status(&h)
    );
    assert!(
        status(&h).contains("[changed; A: 209.2396]"),
        "{}",
        status(&h)
    );
    h.keys(&[Char('n')]);
    assert!(h.screen().contains("cursor (45, 3)"), "{}", h.screen());
    assert!(
        status(&h).contains("no next changed cell"),
        "{}",
        status(&h)
    );
    h.keys(&[Char('N')]);
    assert!(h.screen().contains("cursor (17, 2)"), "{}", h.screen());
    // Enter: the cell detail, with A's value.
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(
        s.contains("/market/prices[17, 2]") && s.contains("A (eod-2025-03-31)"),
        "{s}"
    );
    insta::assert_snapshot!("cell_detail_diff", s);
}

#[test]
fn cell_detail_shows_the_whole_value() {
    let mut h = demo(100, 30);
    h.show("/params");
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(
        s.contains("name = lookback") && s.contains("value = 60"),
        "{s}"
    );
    h.keys(&[Esc]);
    h.keys(&[Char('2')]);
    h.text("/journal");
    h.keys(&[Enter, Enter, Char('G'), Enter]);
    let s = h.screen();
    assert!(s.contains("characters)"), "{s}");
    insta::assert_snapshot!("cell_detail", s);
    h.keys(&[Esc]);
    assert!(!h.screen().contains("characters)"), "Esc closes it");
}

#[test]
fn y_copies_the_value_the_path_or_a_command() {
    let mut h = demo(120, 34);
    h.show("/prices");
    h.text(":17, 3");
    h.keys(&[Enter, Char('Y')]);
    assert!(
        h.screen().contains("Copy to the clipboard"),
        "{}",
        h.screen()
    );
    h.keys(&[Char('p')]);
    assert_eq!(
        h.app.take_clipboard(),
        vec!["/market/prices[17, 3]".to_string()]
    );
    assert!(
        status(&h).contains("copied /market/prices[17, 3]"),
        "{}",
        status(&h)
    );
    h.keys(&[Char('Y'), Char('c')]);
    assert_eq!(
        h.app.take_clipboard(),
        vec!["vh5 cat demo.h5 --version eod-2025-05-30 '/market/prices[17, 3]'".to_string()]
    );
    h.keys(&[Char('Y'), Char('v')]);
    let value = h.app.take_clipboard();
    assert_eq!(value.len(), 1);
    assert!(value[0].parse::<f64>().is_ok(), "{value:?}");
    // In the tree, Y copies the node's path.
    h.keys(&[Char('2'), Char('Y')]);
    assert_eq!(h.app.take_clipboard(), vec!["/market/prices".to_string()]);
}

#[test]
fn groups_holding_changes_are_marked_and_n_steps_through_them() {
    let mut h = demo(120, 34);
    // A = cleanup, B = the current version.
    diff(&mut h, 1, 0);
    h.keys(&[Char('2'), Home]);
    let s = h.screen();
    assert!(
        s.contains("• market/  4 changes") && s.contains("▼ ~ /"),
        "{s}"
    );
    insta::assert_snapshot!("group_marks", s);
    // The root changed (its attributes): n goes on to the next change.
    h.keys(&[Char('n')]);
    assert!(status(&h).contains("changed node 2 of 7"), "{}", status(&h));
    h.keys(&[Char('o')]);
    let s = h.screen();
    assert!(
        s.contains("(changed only)") && !s.contains("models/") && s.contains("~ prices"),
        "{s}"
    );
    insta::assert_snapshot!("tree_changed_only", s);
    h.keys(&[Char('o')]);
    assert!(h.screen().contains("models/"), "{}", h.screen());
}

#[test]
fn the_root_node_shows_the_version_attributes_and_their_diff() {
    let mut h = demo(120, 34);
    diff(&mut h, 1, 0);
    h.keys(&[Char('2'), Home]);
    let s = h.screen();
    assert!(
        s.contains("(the version group)")
            && s.contains("~ @message")
            && s.contains("\"End of month append\""),
        "{s}"
    );
}

#[test]
fn a_node_removed_in_b_shows_a_side() {
    let mut h = demo(120, 34);
    // A = rebalance, B = cleanup, which removed /lab/sensors/station.
    diff(&mut h, 2, 1);
    h.keys(&[Char('2')]);
    h.text("/station");
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(
        s.contains("removed in cleanup: showing it as it")
            && s.contains("/lab/sensors/station @ rebalance")
            && s.contains("(removed in B")
            && s.contains("A-03"),
        "{s}"
    );
}

#[test]
fn tree_search_matches_paths_and_counts() {
    let mut h = demo(120, 34);
    h.keys(&[Char('2')]);
    h.text("/sensors/c");
    h.keys(&[Enter]);
    assert!(status(&h).contains("1 of 1"), "{}", status(&h));
    assert!(status(&h).contains("/lab/sensors/cube"), "{}", status(&h));
    // Leaving the search (here: a key other than n / N) closes the groups
    // it opened, but those holding the selection.
    h.keys(&[Char('g')]);
    let s = h.screen();
    assert!(s.contains("▶ lab/") && !s.contains("sensors/"), "{s}");
    h.text("/cube");
    h.keys(&[Enter]);
    assert!(
        status(&h).contains("match for \"cube\": 1 of 2"),
        "{}",
        status(&h)
    );
    assert!(status(&h).contains("/lab/sensors/cube"), "{}", status(&h));
    h.keys(&[Char('n')]);
    assert!(status(&h).contains("/lab/station_b/cube"), "{}", status(&h));
    assert!(status(&h).contains("2 of 2"), "{}", status(&h));
    h.keys(&[Char('k')]);
    let s = h.screen();
    assert!(
        s.contains("▼ station_b/") && s.contains("▶ sensors/"),
        "{s}"
    );
}

#[test]
fn timeline_finds_versions_and_jumps_to_dates() {
    let mut h = demo(120, 34);
    h.text("/scen");
    h.keys(&[Enter]);
    assert!(status(&h).contains("@ scenario-hedged "), "{}", status(&h));
    assert!(status(&h).contains("version 1 of 2"), "{}", status(&h));
    h.keys(&[Char('n')]);
    assert!(status(&h).contains("@ scenario-shock "), "{}", status(&h));
    h.text(":2025-04-01");
    h.keys(&[Enter]);
    assert!(status(&h).contains("@ eod-2025-03-31 "), "{}", status(&h));
    h.text(":2025-04-01T09:30");
    h.keys(&[Enter]);
    assert!(status(&h).contains("@ fix-bad-tick "), "{}", status(&h));
    h.text(":1999-01-01");
    h.keys(&[Enter]);
    assert!(
        h.screen().contains("error: no version at or before"),
        "{}",
        h.screen()
    );
}

/// A plain (unversioned) HDF5 file: an empty dataset, strings with control
/// characters and an empty one, a float32 attribute.
fn plain_file(dir: &std::path::Path) -> std::path::PathBuf {
    use hdf5::types::VarLenUnicode;
    let path = dir.join("plain.h5");
    let f = hdf5::File::create(&path).unwrap();
    f.new_dataset::<f32>()
        .shape([0])
        .chunk([8])
        .create("empty")
        .unwrap();
    let long = "word ".repeat(600);
    let texts: Vec<VarLenUnicode> = ["tab\there", "", "line\nbreak", long.as_str()]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    f.new_dataset_builder()
        .with_data(&texts)
        .create("texts")
        .unwrap();
    f.new_attr::<f32>()
        .create("gain")
        .unwrap()
        .write_scalar(&0.1f32)
        .unwrap();
    path
}

#[test]
fn a_plain_file_says_so_and_shows_values_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let path = plain_file(dir.path());
    let mut h = Headless::open(&path, 120, 34).unwrap();
    assert!(h.settle());
    let s = h.screen();
    assert!(s.contains("Timeline: plain HDF5 file, read-only"), "{s}");
    // The root's float32 attribute: its shortest text.
    assert!(
        s.contains("gain <float32> 0.1") && !s.contains("0.100000001"),
        "{s}"
    );
    h.show("/empty");
    assert!(
        h.screen().contains("empty dataset: shape [0]"),
        "{}",
        h.screen()
    );
    h.keys(&[Char('2')]);
    h.text("/texts");
    h.keys(&[Enter, Enter]);
    let s = h.screen();
    assert!(
        s.contains("tab\\there") && s.contains("\"\"") && s.contains("line\\nbreak"),
        "{s}"
    );
    // A long value: the detail wraps it and scrolls.
    h.keys(&[Char('G'), Enter]);
    let s = h.screen();
    assert!(
        s.contains("/texts[3] — lines 1–") && !s.contains("(3000 characters)"),
        "{s}"
    );
    h.keys(&[PageDown]);
    let after = h.screen();
    assert!(
        !after.contains("— lines 1–") && after.contains("(3000 characters)"),
        "{after}"
    );
}

/// Dimension scales (h5py's `dims`, stored as `DIMENSION_LIST`) label the
/// array's rows and columns.
#[test]
fn dimension_scales_label_the_axes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scales.h5");
    let script = r#"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["day"] = np.array([20250101, 20250102, 20250103], dtype="i8")
    f["ticker"] = np.array([b"ACME", b"BOLT"], dtype="S4")
    f["px"] = np.arange(6.0).reshape(3, 2)
    f["day"].make_scale("day")
    f["ticker"].make_scale("ticker")
    f["px"].dims[0].attach_scale(f["day"])
    f["px"].dims[1].attach_scale(f["ticker"])
"#;
    let out = std::process::Command::new(common::python())
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut h = Headless::open(&path, 100, 30).unwrap();
    assert!(h.settle());
    h.show("/px");
    let s = h.screen();
    assert!(
        s.contains("day × ticker") && s.contains("ACME") && s.contains("20250103"),
        "{s}"
    );
}

// ---- Editing: staged edits, the pending list, the commit dialog. ----

/// A copy of the demo file (edits commit into it) in a headless browser.
fn demo_copy(width: u16, height: u16) -> (tempfile::TempDir, Headless) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &path).unwrap();
    let mut h = Headless::open(&path, width, height).unwrap();
    assert!(h.settle(), "requests never settled");
    (dir, h)
}

#[test]
fn editing_a_cell_stages_it_and_a_bad_value_keeps_the_field_open() {
    let (_dir, mut h) = demo_copy(120, 34);
    h.show("/prices");
    h.keys(&[Down, Right, Char('e')]);
    let s = h.screen();
    assert!(
        s.contains("set [1, 1]: "),
        "the editor opens prefilled:\n{s}"
    );
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("abc");
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(
        s.contains("set [1, 1]: abc▏") && s.contains("not valid JSON"),
        "{s}"
    );
    assert!(h.app.pending.is_empty(), "nothing is staged");
    insta::assert_snapshot!("edit_field_error", s);
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("123.5");
    let t = std::time::Instant::now();
    h.keys(&[Enter]);
    eprintln!(
        "headless: Enter to the staged cell drawn: {:?}",
        t.elapsed()
    );
    let s = h.screen();
    assert!(s.contains("staged: set") && s.contains("123.5"), "{s}");
    assert_eq!(h.app.pending.len(), 1);
    // The cell is drawn in the staged colour.
    let buf = h.terminal.backend().buffer().clone();
    let at = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .find(|&(x, y)| {
            (0..8).all(|i| {
                buf[(x + i, y)].symbol() == "123.5000".get(i as usize..i as usize + 1).unwrap()
            })
        })
        .expect("the staged value is shown");
    assert_eq!(buf[at].bg, ratatui::style::Color::Magenta);
    h.keys(&[Char('4')]);
    let s = h.screen();
    let bar = bottom(&h);
    assert!(
        bar.contains("c commit") && bar.contains("P pending") && bar.contains("u undo"),
        "{bar}"
    );
    insta::assert_snapshot!("edit_staged_key_bar", s);
    // A selection set to one value.
    h.keys(&[Down, Char('v'), Down, Right, Char('e')]);
    assert!(h.screen().contains("set [2:4, 1:3]: "), "{}", h.screen());
    h.text("7");
    h.keys(&[Enter]);
    assert_eq!(h.app.pending.len(), 2, "{}", h.screen());
    // The pending list, then undo of the newest.
    h.keys(&[Char('P')]);
    let s = h.screen();
    assert!(
        s.contains("Pending changes on") && s.contains("→ 123.5"),
        "{s}"
    );
    insta::assert_snapshot!("pending_list", s);
    h.keys(&[Esc, Char('u')]);
    assert!(status(&h).contains("undone: set"), "{}", status(&h));
    assert_eq!(h.app.pending.len(), 1);
    // d in the pending list discards the selected row.
    h.keys(&[Char('P'), Char('d')]);
    assert!(
        status(&h).contains("discarded: set [1, 1]"),
        "{}",
        status(&h)
    );
    assert!(h.app.pending.is_empty());
    h.keys(&[Esc]);
    assert!(!bottom(&h).contains("c commit"), "{}", bottom(&h));
}

#[test]
fn the_commit_dialog_commits_and_selects_the_new_version() {
    let (_dir, mut h) = demo_copy(120, 34);
    h.keys(&[Char('c')]);
    assert!(status(&h).contains("nothing is staged"), "{}", status(&h));
    h.show("/prices");
    h.keys(&[Char('e')]);
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("1.25");
    h.keys(&[Enter, Char('c')]);
    let s = h.screen();
    assert!(
        s.contains("Commit 1 staged edit(s)") && s.contains("parent eod-2025-05-30"),
        "{s}"
    );
    insta::assert_snapshot!("commit_dialog", s);
    // Tab to make current, Space toggles it off and on; a bad timestamp
    // keeps the dialog open.
    h.keys(&[Tab, Char(' ')]);
    assert!(h.screen().contains("[ ] no"), "{}", h.screen());
    h.keys(&[Char(' '), Tab]);
    h.text("yesterday");
    h.keys(&[Enter]);
    assert!(
        h.screen().contains("Commit 1 staged edit(s)"),
        "{}",
        h.screen()
    );
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.keys(&[Tab]);
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("edited");
    h.hold_done = true;
    h.keys(&[Enter]);
    let s = h.screen();
    assert!(s.contains("Committing edited"), "{s}");
    insta::assert_snapshot!("commit_progress", s);
    // Esc on the progress asks the worker to cancel the running command.
    h.keys(&[Esc]);
    assert!(h.app.take_cancel().is_some() && status(&h).contains("cancelling"));
    h.hold_done = false;
    h.release();
    let s = h.screen();
    assert!(
        status(&h).contains("committed edited") && status(&h).contains("chunk(s) written"),
        "{}",
        status(&h)
    );
    assert_eq!(h.app.timeline.selected_name(), Some("edited"), "{s}");
    assert!(h.app.pending.is_empty());
    // A name taken is refused; the edits stay staged.
    h.keys(&[Char('4'), Char('e')]);
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("2.5");
    h.keys(&[Enter, Char('c')]);
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("edited");
    h.keys(&[Enter]);
    assert!(status(&h).contains("error"), "{}", status(&h));
    assert_eq!(h.app.pending.len(), 1);
}

#[test]
fn quit_with_edits_staged_asks_first() {
    let (_dir, mut h) = demo_copy(120, 34);
    h.show("/tickers");
    h.keys(&[Char('e')]);
    assert!(h.screen().contains("set [0]: "), "{}", h.screen());
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("NEW TICKER");
    h.keys(&[Enter]);
    assert_eq!(h.app.pending.len(), 1, "{}", h.screen());
    h.keys(&[Char('q')]);
    assert!(!h.app.quit);
    let s = h.screen();
    assert!(
        s.contains("Quit?") && s.contains("1 edit(s) are staged"),
        "{s}"
    );
    insta::assert_snapshot!("confirm_quit", s);
    h.keys(&[Esc]);
    assert!(!h.app.quit && !h.screen().contains("Quit?"));
    h.keys(&[Char('q'), Char('q')]);
    assert!(h.app.quit);
}

#[test]
fn metadata_selects_edits_adds_and_deletes_attributes() {
    let (_dir, mut h) = demo_copy(120, 34);
    // The root node shows the version group's attributes.
    h.keys(&[Char('2'), Home, Char('3'), Char('g'), Char('e')]);
    assert!(h.screen().contains("author = ingest-bot"), "{}", h.screen());
    h.keys(&[Esc, Char('1')]);
    h.show("/prices");
    h.keys(&[Char('3'), Char('G')]);
    let s = h.screen();
    assert!(s.contains("▶ "), "an attribute row is selected:\n{s}");
    let name = h.app.meta.selected_attr().unwrap().name.clone();
    h.keys(&[Char('e')]);
    assert!(h.screen().contains(&format!("{name} = ")), "{}", h.screen());
    h.keys(&[Esc, Char('a')]);
    h.text("note=hello world");
    h.keys(&[Enter]);
    assert!(status(&h).contains("staged: attr"), "{}", status(&h));
    assert!(h.screen().contains("attributes (4)"), "{}", h.screen());
    h.keys(&[Char('g'), Char('d')]);
    assert!(status(&h).contains("staged: del attr"), "{}", status(&h));
    assert_eq!(h.app.pending.len(), 2);
}

#[test]
fn timeline_deletes_renames_restores_and_sets_current() {
    let (_dir, mut h) = demo_copy(120, 34);
    // Mark two versions; D asks, naming them and what it frees.
    h.keys(&[Down, Down, Char(' '), Down, Char(' '), Char('D')]);
    let s = h.screen();
    assert!(
        s.contains("Delete rebalance, eod-2025-04-30?")
            || s.contains("Delete eod-2025-04-30, rebalance?"),
        "{s}"
    );
    assert!(s.contains("chunk(s)") && s.contains("bytes"), "{s}");
    insta::assert_snapshot!("confirm_delete", s);
    h.keys(&[Char('n')]);
    assert_eq!(h.app.timeline.rows.len(), 10, "n keeps every version");
    h.keys(&[Char('D')]);
    h.hold_done = true;
    h.keys(&[Char('y')]);
    assert!(h.screen().contains("Deleting "), "{}", h.screen());
    h.hold_done = false;
    h.release();
    assert!(status(&h).contains("deleted"), "{}", status(&h));
    assert_eq!(h.app.timeline.rows.len(), 8);
    // R renames the selected version, the field prefilled.
    h.keys(&[Home, Down, Char('R')]);
    assert!(h.screen().contains("rename to: cleanup▏"), "{}", h.screen());
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("tidy");
    h.keys(&[Enter]);
    assert!(
        status(&h).contains("renamed cleanup to tidy"),
        "{}",
        status(&h)
    );
    assert_eq!(h.app.timeline.selected_name(), Some("tidy"));
    assert!(h.screen().contains("Tree @ tidy"), "{}", h.screen());
    // r stages the selected version's content on the current one.
    h.keys(&[Char('r')]);
    assert!(status(&h).contains("staged: restore"), "{}", status(&h));
    assert_eq!(h.app.pending.len(), 1);
    assert_eq!(h.app.staged_on.as_deref(), Some("eod-2025-05-30"));
    h.keys(&[Char('u')]);
    // C makes the selected version current.
    h.keys(&[Char('C')]);
    assert!(
        status(&h).contains("current version: tidy"),
        "{}",
        status(&h)
    );
    assert_eq!(h.app.timeline.current.as_deref(), Some("tidy"));
}

#[test]
fn tree_adds_groups_deletes_resizes_and_modifies() {
    let (_dir, mut h) = demo_copy(120, 34);
    h.keys(&[Tab]);
    h.text("/market");
    h.keys(&[Enter, Char('a')]);
    assert!(
        h.screen().contains("new group in /market: "),
        "{}",
        h.screen()
    );
    h.text("extra");
    h.keys(&[Enter]);
    assert!(status(&h).contains("staged: mkgroup"), "{}", status(&h));
    assert_eq!(h.app.pending.len(), 1);
    h.text("/prices");
    h.keys(&[Enter, Char('r')]);
    assert_eq!(
        h.app.field.as_ref().map(|f| f.field.text()),
        Some("[101, 12]"),
        "the resize field is prefilled with the shape"
    );
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("[120, 12]");
    h.keys(&[Enter]);
    assert!(status(&h).contains("staged: resize"), "{}", status(&h));
    assert!(
        h.screen().contains("prices  float64 [120, 12]"),
        "{}",
        h.screen()
    );
    h.text("/volume");
    h.keys(&[Enter, Char('d')]);
    assert!(status(&h).contains("staged: delete"), "{}", status(&h));
    assert_eq!(h.app.pending.len(), 3);
    h.keys(&[Char('P'), Char('D')]);
    let s = h.screen();
    assert!(
        s.contains("Discard every staged edit?") && s.contains("y / Enter: yes"),
        "{s}"
    );
    h.keys(&[Char('y')]);
    assert!(h.app.pending.is_empty(), "D y discards every edit");
    // M: a metadata change in every version, confirmed, with progress.
    h.text("/prices");
    h.keys(&[Enter, Char('M')]);
    h.text("chunks=[16, 4] bogus");
    h.keys(&[Enter]);
    assert!(h.screen().contains("give KEY=VALUE"), "{}", h.screen());
    h.chord(Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.text("chunks=[16, 4]");
    h.keys(&[Enter]);
    assert!(
        h.screen()
            .contains("Rewrite /market/prices in every version"),
        "{}",
        h.screen()
    );
    h.keys(&[Char('y')]);
    assert!(
        status(&h).contains("modified /market/prices in every version"),
        "{}",
        status(&h)
    );
    assert!(
        h.screen().contains("chunks       [16, 4]"),
        "{}",
        h.screen()
    );
}

#[test]
fn editing_keys_in_a_plain_file_say_it_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = plain_file(dir.path());
    let mut h = Headless::open(&path, 120, 34).unwrap();
    assert!(h.settle());
    for key in ['D', 'R', 'C', 'r'] {
        h.keys(&[Char('1'), Char(key)]);
        assert!(status(&h).contains("read-only"), "{key}: {}", status(&h));
    }
    h.keys(&[Char('3'), Char('a')]);
    assert!(status(&h).contains("read-only"), "{}", status(&h));
    h.keys(&[Char('2'), Char('d')]);
    assert!(status(&h).contains("read-only"), "{}", status(&h));
    h.keys(&[Char('1')]);
    h.show("/texts");
    h.keys(&[Char('e')]);
    assert!(status(&h).contains("read-only"), "{}", status(&h));
    assert!(h.app.field.is_none() && h.app.pending.is_empty());
    h.keys(&[Char('c')]);
    assert!(status(&h).contains("nothing is staged"), "{}", status(&h));
}

/// A whole-dataset overview, and a page, each asked for once and then left
/// to arrive: asking again each loop would make every answer stale before
/// it came.
#[test]
fn requests_on_their_way_are_not_asked_again() {
    let mut h = demo(100, 30);
    h.keys(&[Tab]);
    h.text("/weights");
    h.keys(&[Enter, Enter, Char('p'), Char('p')]);
    assert!(h.screen().contains("whole dataset"), "{}", h.screen());
    let asked_once = |h: &mut Headless, kind: &str| {
        h.app.want_page();
        let kinds: Vec<String> = h
            .app
            .take_requests()
            .iter()
            .map(|(_, r)| r.kind())
            .collect();
        assert_eq!(kinds, [kind]);
        for _ in 0..3 {
            h.app.want_page();
            let again = h.app.take_requests();
            assert!(again.is_empty(), "asked again: {again:?}");
        }
    };
    h.app.array.overview = None;
    asked_once(&mut h, "overview");
    h.settle();
    h.keys(&[Char('p')]); // back to the table
    h.app.array.page = None;
    asked_once(&mut h, "page");
}

/// The background colour of the first cell on screen showing `text`.
fn bg_of(h: &Headless, text: &str) -> Option<ratatui::style::Color> {
    let buf = h.terminal.backend().buffer();
    let lines: Vec<String> = h.screen().lines().map(String::from).collect();
    let (y, line) = lines.iter().enumerate().find(|(_, l)| l.contains(text))?;
    let x = line[..line.find(text)?].chars().count() as u16;
    Some(buf[(x, y as u16)].bg)
}

#[test]
fn blame_colours_chunks_by_their_writer_and_b_selects_it() {
    let mut h = demo(120, 34);
    // The current version's prices: fix-bad-tick rewrote the chunks of
    // [17, 2] and [45, 3], the rest is older.
    h.show("/prices");
    h.keys(&[Char('b')]);
    let s = h.screen();
    assert!(s.contains("blame "), "the title says blame is on:\n{s}");
    let note = status(&h);
    assert!(note.contains("[chunk by "), "{note}");
    insta::assert_snapshot!("blame", s);
    // A colour per writer: cells of row 0 in three chunk columns have the
    // same background exactly when the same version wrote their chunks.
    let cells = [(0, "126.0075"), (4, "366.9623"), (8, "94.1816")];
    let seen: Vec<_> = cells
        .iter()
        .map(|&(c, text)| {
            h.app.array.move_to([0, c]);
            (h.app.array.blame_note().unwrap(), bg_of(&h, text).unwrap())
        })
        .collect();
    for a in &seen {
        for b in &seen {
            assert_eq!(a.0 == b.0, a.1 == b.1, "{a:?} vs {b:?}");
        }
        assert_ne!(a.1, ratatui::style::Color::Reset, "{a:?}");
    }
    let writers: std::collections::HashSet<_> = (0..101)
        .map(|r| {
            h.app.array.move_to([r, 2]);
            h.app.array.blame_note()
        })
        .collect();
    assert!(writers.len() > 1, "one writer only: {writers:?}");
    // B: the cursor chunk's writer becomes the timeline's selection, and
    // the array shows the same dataset in it.
    h.keys(&[Char(':')]);
    h.text("0, 0");
    h.keys(&[Enter]);
    let writer = status(&h);
    let name = writer
        .split("[chunk by ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap()
        .to_string();
    h.keys(&[Char('B')]);
    assert_eq!(h.app.timeline.selected_name(), Some(name.as_str()));
    let s = h.screen();
    assert!(s.contains(&format!("/market/prices @ {name}")), "{s}");
    assert!(
        status(&h).contains(&format!("[chunk by {name} ")),
        "{}",
        status(&h)
    );
    // b again: off, and the colours go.
    h.keys(&[Char('b')]);
    assert!(!status(&h).contains("[chunk by"), "{}", status(&h));
}

#[test]
fn storage_view_charts_bytes_added_per_version() {
    let mut h = demo(120, 34);
    h.keys(&[Char('S')]);
    let s = h.screen();
    assert!(
        s.contains(" Storage ")
            && s.contains("bytes each version added")
            && s.contains("/market/prices"),
        "{s}"
    );
    insta::assert_snapshot!("storage", s);
    h.keys(&[Esc]);
    assert!(!h.screen().contains(" Storage "), "{}", h.screen());
}
