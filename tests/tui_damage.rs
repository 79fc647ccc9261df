//! The browser on damaged files: a chunk that does not decompress is a
//! status-line message naming its slot, never values; a read that does not
//! come back is said on the status line, and keys (q among them) still
//! answer. Headless: the app, a synchronous service and a TestBackend.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{python, repo_root, stderr};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vh5::tui::headless::Headless;
use vh5::tui::worker::Request;

fn damage(args: &[&str]) {
    let out = Command::new(python())
        .arg(repo_root().join("tests/interop/damage.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "damage.py {args:?}: {}", stderr(&out));
}

#[test]
fn a_chunk_that_does_not_decompress_is_a_status_message_naming_its_slot() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("flip.h5");
    let f_str = f.to_str().unwrap();
    damage(&["make", f_str]);
    damage(&["flip", f_str, "/gz", "0"]);
    let mut h = Headless::open(&f, 240, 30).unwrap();
    assert!(h.settle());
    h.show("/gz");
    let screen = h.screen();
    let status = screen.lines().last().unwrap();
    assert!(
        status.contains("error: /gz: chunk [0, 0] (raw slot 0) cannot be read")
            && status.contains("may be damaged"),
        "{screen}"
    );
    // The page holding the damaged chunk shows nothing, not garbage (the
    // sound chunks' values, 10.0 and up, are not drawn either).
    assert!(
        !screen.contains("10.0") && !screen.contains("29.0"),
        "{screen}"
    );
    // It stays said (a key later) while the array waits on that page...
    h.keys(&[KeyCode::Char('f')]);
    assert!(h.screen().lines().last().unwrap().contains("raw slot 0"));
    // ...and the undamaged dataset next to it reads.
    h.keys(&[KeyCode::Char('2'), KeyCode::Char('/')]);
    h.text("plain");
    h.keys(&[KeyCode::Enter, KeyCode::Enter]);
    let screen = h.screen();
    assert!(screen.contains("  0  100"), "{screen}");
    assert!(!screen.contains("raw slot"), "{screen}");
}

#[test]
fn a_read_that_does_not_come_back_is_said_and_q_still_quits() {
    let mut h = Headless::open(&repo_root().join("assets/demo.h5"), 120, 34).unwrap();
    assert!(h.settle());
    h.app.requests.stuck_after = Duration::ZERO;
    // Asked and never answered: a worker stuck in HDF5 on a damaged file.
    h.app.request(Request::Log);
    let _unanswered = h.app.take_requests();
    let _ = h.terminal.draw(|f| h.app.render(f));
    let status = h.screen().lines().last().unwrap().to_string();
    assert!(
        status.contains("still reading (log)… the file may be damaged; q quits"),
        "{status}"
    );
    // Keys still answer (the focus moves), and q quits at once.
    let before = h.app.focus;
    h.app
        .on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    assert_ne!(h.app.focus, before);
    h.app
        .on_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    assert!(h.app.quit);
    // Answered in time, nothing is said.
    let mut h = Headless::open(&repo_root().join("assets/demo.h5"), 120, 34).unwrap();
    assert!(h.settle());
    h.app.requests.stuck_after = Duration::ZERO;
    assert!(h
        .app
        .requests
        .stuck_note(std::time::Instant::now())
        .is_none());
}
