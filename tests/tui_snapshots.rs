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
    h.keys(&[Tab, Tab, Tab]);
    h.text("/prices");
    h.keys(&[Enter, Enter, Char('p')]);
    insta::assert_snapshot!("plot_heatmap_cells", h.screen());
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
