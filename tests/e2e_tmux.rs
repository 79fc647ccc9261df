//! End to end: the real `vh5` binary in a real terminal (tmux), driven by
//! keystrokes on a copy of the demo file, asserting on what the screen
//! shows at each step — an old version, tree search, paging and go-to in
//! the array, diff mode with changed cells highlighted — and that `q`
//! exits cleanly and gives the terminal back.
//!
//! Needs tmux (`scripts/setup.sh --test` installs it). Each run uses its
//! own tmux server (`tmux -S <tempdir>/tmux.sock`), so tests running in
//! parallel never share sessions.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::repo_root;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 34;
const SESSION: &str = "vh5";
/// How long one expected screen state may take to appear.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(40);

/// Shown by the wrapper shell before vh5 starts and after it exits.
const BEFORE: &str = "BEFORE-VH5";
const EXIT_TAG: &str = "VH5-EXIT=";

/// A private tmux server running vh5 in one detached session; killed on drop.
struct Tmux {
    socket: PathBuf,
    config: PathBuf,
}

impl Tmux {
    /// Starts `vh5 FILE` in a `WIDTH`x`HEIGHT` session, inside a small shell
    /// wrapper that reports vh5's exit status and the terminal's line
    /// discipline afterwards (restored: `icanon echo`, not `-icanon -echo`).
    fn start(dir: &Path, file: &Path) -> Tmux {
        Tmux::start_with(dir, &[file.to_str().unwrap()])
    }

    /// As `start`, with any arguments (`FILE --version V PATH`).
    fn start_with(dir: &Path, args: &[&str]) -> Tmux {
        require_tmux();
        // The server's socket lives in the test's own directory: no other
        // test (or user) shares it, and it goes away with the directory.
        let socket = dir.join("tmux.sock");
        let config = dir.join("tmux.conf");
        // No status bar (the app gets all rows); keep the pane once its
        // process ends, so that `#{pane_dead}` can be read.
        std::fs::write(
            &config,
            "set -g status off\nset -g remain-on-exit on\nset -g escape-time 0\n\
             set -g set-clipboard on\n",
        )
        .unwrap();
        let tmux = Tmux { socket, config };
        let wrapper = format!(
            "echo {BEFORE}; \"$@\"; s=$?; echo \"{EXIT_TAG}$s\"; \
             stty -a | tr ' ;' '\\n\\n' | grep -Ex -- '-?(icanon|echo)' | tr '\\n' ' '; echo; \
             read _; exit $s"
        );
        let (width, height) = (WIDTH.to_string(), HEIGHT.to_string());
        let mut command = vec![
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &width,
            "-y",
            &height,
            "sh",
            "-c",
            &wrapper,
            "sh",
            env!("CARGO_BIN_EXE_vh5"),
        ];
        command.extend_from_slice(args);
        let out = tmux.run(&command);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-u")
            .arg("-S")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.config)
            .env_remove("TMUX");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run tmux")
    }

    /// The pane's text (`colors`: with SGR escape sequences).
    fn capture(&self, colors: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", SESSION];
        if colors {
            args.insert(1, "-e");
        }
        let out = self.run(&args);
        assert!(
            out.status.success(),
            "tmux capture-pane failed (did the session end?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format evaluated for the pane, e.g. `#{pane_dead}`.
    fn format(&self, fmt: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", SESSION, fmt]);
        assert!(
            out.status.success(),
            "tmux display-message failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Sends tmux key names (`Down`, `Enter`, `PageDown`, `Tab`, `q`, ...).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "tmux send-keys {keys:?} failed");
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", SESSION, "-l", text]);
        assert!(out.status.success(), "tmux send-keys -l {text:?} failed");
    }

    /// Polls the screen until `ok` holds; panics with the last screen after
    /// `STEP_TIMEOUT`.
    fn wait_for(&self, what: &str, ok: impl Fn(&Screen) -> bool) -> Screen {
        let start = Instant::now();
        loop {
            let screen = Screen(self.capture(false));
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > STEP_TIMEOUT {
                panic!(
                    "timed out after {STEP_TIMEOUT:?} waiting for {what}; the screen:\n{}",
                    screen.0
                );
            }
            std::thread::sleep(POLL);
        }
    }

    fn wait_for_format(&self, what: &str, fmt: &str, want: &str) {
        let start = Instant::now();
        loop {
            let got = self.format(fmt);
            if got == want {
                return;
            }
            if start.elapsed() > STEP_TIMEOUT {
                panic!(
                    "timed out waiting for {what}: {fmt} is {got:?}, want {want:?}; the screen:\n{}",
                    self.capture(false)
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn require_tmux() {
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "tmux -V failed ({}); run scripts/setup.sh --test (it installs tmux)",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!(
            "tmux is needed for the end-to-end test but could not be run ({e}): \
             run scripts/setup.sh --test (it installs tmux)"
        ),
    }
}

/// One capture of the pane, with helpers to read the panes out of it.
struct Screen(String);

impl Screen {
    fn has(&self, s: &str) -> bool {
        self.0.contains(s)
    }

    fn lines(&self) -> Vec<&str> {
        self.0.lines().collect()
    }

    /// The bottom line: file, version, path, diff state, messages.
    fn status(&self) -> &str {
        self.0.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
    }

    /// The array pane's title line (it shows the cursor).
    fn array_title(&self) -> Option<&str> {
        self.0.lines().find(|l| l.contains(" cursor ("))
    }

    /// The cursor `(row, col)` from the array pane's title.
    fn cursor(&self) -> Option<(usize, usize)> {
        let t = self.array_title()?;
        let rest = &t[t.find(" cursor (")? + " cursor (".len()..];
        let inner = &rest[..rest.find(')')?];
        let (r, c) = inner.split_once(", ")?;
        Some((r.trim().parse().ok()?, c.trim().parse().ok()?))
    }

    /// The array table's data lines (after the column header), each as
    /// (row index, the cells' text).
    fn array_rows(&self) -> Vec<(usize, Vec<String>)> {
        let lines = self.lines();
        let Some(top) = lines.iter().position(|l| l.contains(" cursor (")) else {
            return Vec::new();
        };
        lines[top + 2..]
            .iter()
            .take_while(|l| !l.starts_with('└'))
            .filter_map(|l| {
                let body = l.trim_start_matches('│').trim_end_matches('│');
                let mut words = body.split_whitespace();
                let row = words.next()?.parse().ok()?;
                Some((row, words.map(String::from).collect()))
            })
            .collect()
    }

    /// The table is fully drawn: rows fill the pane, consecutive, every
    /// value read (no `…` placeholders) — not a frame caught mid-draw.
    fn array_complete(&self) -> bool {
        let lines = self.lines();
        let Some(top) = lines.iter().position(|l| l.contains(" cursor (")) else {
            return false;
        };
        let Some(height) = lines[top..].iter().position(|l| l.starts_with('└')) else {
            return false;
        };
        let rows = self.array_rows();
        height >= 3
            && rows.len() == height - 2
            && rows.windows(2).all(|w| w[1].0 == w[0].0 + 1)
            && rows
                .iter()
                .all(|(_, cells)| !cells.is_empty() && !cells.iter().any(|c| c.contains('…')))
    }

    fn row_indices(&self) -> Vec<usize> {
        self.array_rows().into_iter().map(|(r, _)| r).collect()
    }

    fn cell(&self, row: usize, col: usize) -> Option<String> {
        self.array_rows()
            .into_iter()
            .find(|(r, _)| *r == row)
            .and_then(|(_, cells)| cells.get(col).cloned())
    }

    /// The line (index, left-column text) of a version in the timeline.
    fn timeline_line_of(&self, version: &str) -> Option<(usize, String)> {
        self.lines().iter().enumerate().find_map(|(i, l)| {
            let left: String = l.chars().take(usize::from(WIDTH) * 34 / 100).collect();
            [' ', '●']
                .iter()
                .any(|m| left.contains(&format!("{m}{version} ")))
                .then_some((i, left))
        })
    }

    /// Tree pane lines (the middle column).
    fn tree_text(&self) -> String {
        let from = usize::from(WIDTH) * 34 / 100;
        let to = from + usize::from(WIDTH) * 33 / 100;
        self.lines()
            .iter()
            .take(HEIGHT as usize / 2)
            .map(|l| l.chars().skip(from).take(to - from).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Strips SGR escape sequences from captured text.
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Rows of the array table that have a cell with a yellow background (the
/// diff highlight), read from a capture with colours.
fn highlighted_rows(colored: &str) -> Vec<usize> {
    let yellow_bg = ["\u{1b}[43m", "\u{1b}[48;5;3m"];
    let lines: Vec<&str> = colored.lines().collect();
    let Some(top) = lines
        .iter()
        .position(|l| strip_ansi(l).contains(" cursor ("))
    else {
        return Vec::new();
    };
    lines[top + 2..]
        .iter()
        .filter(|l| yellow_bg.iter().any(|y| l.contains(y)))
        .filter_map(|l| {
            strip_ansi(l)
                .trim_start_matches('│')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn browse_an_old_version_page_an_array_diff_and_quit() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &file).unwrap();
    let tmux = Tmux::start(dir.path(), &file);

    // 1. The timeline loads, newest first, with the branch drawn as a graph;
    //    the current version is selected.
    let s = tmux.wait_for("the timeline", |s| {
        s.has("initial-load") && s.status().contains("@ eod-2025-05-30")
    });
    assert!(s.status().contains("demo.h5"), "status: {}", s.status());
    let (cur_line, _) = s.timeline_line_of("eod-2025-05-30").expect("current row");
    let (old_line, old) = s
        .timeline_line_of("fix-bad-tick")
        .expect("fix-bad-tick row");
    let (_, hedged) = s.timeline_line_of("scenario-hedged").expect("branch row");
    assert!(
        hedged.contains("| *"),
        "the branch should get its own lane: {hedged}"
    );
    assert!(
        old.contains("* /"),
        "the branch should join fix-bad-tick: {old}"
    );
    assert!(old_line > cur_line, "newest first");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "vh5 should draw on the alternate screen"
    );

    // 2. Go back to an old version.
    let downs = vec!["Down"; old_line - cur_line];
    tmux.keys(&downs);
    tmux.wait_for("fix-bad-tick selected", |s| {
        s.status().contains("@ fix-bad-tick ") && s.has("Tree @ fix-bad-tick")
    });

    // 3. Search the tree for the prices dataset.
    tmux.keys(&["Tab"]);
    tmux.type_text("/prices");
    tmux.wait_for("the search prompt", |s| s.has("Tree /prices"));
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("/market/prices selected and loaded", |s| {
        s.status().contains("@ fix-bad-tick /market/prices")
            && s.has("/market/prices @ fix-bad-tick cursor (0, 0)")
            && s.row_indices().first() == Some(&0)
            && s.array_complete()
    });
    assert!(
        s.has("dataset      /market/prices"),
        "metadata pane shows the dataset"
    );
    assert!(s.has("shape        [60, 12]"), "fix-bad-tick has 60 days");
    let page = s.row_indices().len();
    assert!(page > 3, "the array pane shows a page of rows: {page}");
    assert_eq!(
        s.row_indices(),
        (0..page).collect::<Vec<_>>(),
        "rows 0.. in order"
    );

    // 4. Open it (focus to the array) and page down: the cursor moves one
    //    page of visible rows, the view follows.
    tmux.keys(&["Enter", "PageDown"]);
    let s = tmux.wait_for("the cursor a page down", |s| {
        s.cursor() == Some((page, 0)) && s.row_indices().contains(&page) && s.array_complete()
    });
    assert!(
        !s.row_indices().contains(&0),
        "row 0 scrolled away: {:?}",
        s.row_indices()
    );

    // 5. G: the last row of this version (60 rows; the current has 101).
    tmux.keys(&["G"]);
    let s = tmux.wait_for("the last row", |s| {
        s.cursor() == Some((59, 0)) && s.row_indices().last() == Some(&59) && s.array_complete()
    });
    assert!(!s.row_indices().contains(&60), "{:?}", s.row_indices());
    assert!(s.has("/market/prices @ fix-bad-tick cursor (59, 0)"));

    // 6. `:` go to row 40, column 3.
    tmux.keys(&[":"]);
    tmux.type_text("40, 3");
    tmux.wait_for("the go-to prompt", |s| s.has("go to: 40, 3"));
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the cursor at (40, 3)", |s| {
        s.cursor() == Some((40, 3)) && s.row_indices().first() == Some(&40) && s.array_complete()
    });
    // One notation per column: column 3 shows four decimals throughout.
    assert_eq!(s.cell(40, 3).as_deref(), Some("211.4170"));
    assert_eq!(
        s.cell(45, 3).as_deref(),
        Some("nan"),
        "fix-bad-tick replaced the bad tick at [45, 3]"
    );

    // 7. Diff mode: back to the timeline (Tab cycles Array → Timeline),
    //    mark the version before (A), select fix-bad-tick again (B).
    tmux.keys(&["Tab", "Down"]);
    tmux.wait_for("eod-2025-03-31 selected", |s| {
        s.status().contains("@ eod-2025-03-31 ")
    });
    tmux.keys(&["m"]);
    tmux.wait_for("the mark", |s| {
        s.has("Timeline (A = eod-2025-03-31)") && s.status().contains("marked eod-2025-03-31 as A")
    });
    tmux.keys(&["Up"]);
    let s = tmux.wait_for("the diff eod-2025-03-31 → fix-bad-tick", |s| {
        s.status().contains("diff eod-2025-03-31 → fix-bad-tick")
            && s.tree_text().contains("~ prices")
            && s.status().contains("[same; A: 211.417]")
    });
    let tree = s.tree_text();
    assert!(
        !tree.contains("~ tickers") && !tree.contains("~ volume"),
        "only prices changed under /market:\n{tree}"
    );
    assert!(s.has("changed (A → B)"), "metadata shows the change");
    assert!(s.has("A eod-2025-03-31"), "the timeline marks A");

    // 8. In the array, the changed cell: the status line gives A's value,
    //    and the cell is highlighted.
    tmux.keys(&["Tab", "Tab", "Tab", ":"]);
    tmux.type_text("45, 3");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the changed cell", |s| {
        s.cursor() == Some((45, 3)) && s.status().contains("[changed; A: 209.2396]")
    });
    tmux.keys(&["Up"]);
    tmux.wait_for("the cursor off the changed cell", |s| {
        s.cursor() == Some((44, 3))
            && s.status().contains("[same; A: 207.9328]")
            && s.array_complete()
    });
    let colored = tmux.capture(true);
    assert_eq!(
        highlighted_rows(&colored),
        vec![45],
        "only row 45 has a changed cell in view (rows {:?})",
        Screen(strip_ansi(&colored)).row_indices()
    );

    // 9. Esc leaves diff mode.
    tmux.keys(&["Escape"]);
    tmux.wait_for("diff mode off", |s| {
        !s.status().contains("diff ")
            && !s.tree_text().contains("~ ")
            && s.has(" Timeline ")
            && s.has("/market/prices @ fix-bad-tick cursor (44, 3)")
            && s.array_complete()
    });
    assert_eq!(
        highlighted_rows(&tmux.capture(true)),
        Vec::<usize>::new(),
        "no cell highlighted outside diff mode"
    );

    // 10. q quits: the process exits 0 and the terminal is given back —
    //     main screen with the shell's output, cursor shown, no mouse
    //     reporting, cooked mode.
    assert_ne!(
        tmux.format("#{mouse_any_flag}"),
        "0",
        "vh5 captures the mouse"
    );
    tmux.keys(&["q"]);
    let s = tmux.wait_for("vh5 to exit and the wrapper to report", |s| {
        s.lines().iter().any(|l| l.starts_with(EXIT_TAG))
            && s.lines().iter().any(|l| l.contains("icanon"))
    });
    assert!(s.has(&format!("{EXIT_TAG}0")), "screen:\n{}", s.0);
    let lines = s.lines();
    let exit_at = lines.iter().position(|l| l.starts_with(EXIT_TAG)).unwrap();
    assert!(
        exit_at > 0 && lines[exit_at - 1] == BEFORE,
        "the shell's screen and cursor are back (its output continues right after \
         {BEFORE}):\n{}",
        s.0
    );
    assert!(
        !s.has("Timeline") && !s.has("cursor ("),
        "the browser's frames stay on the alternate screen:\n{}",
        s.0
    );
    let tty = s
        .lines()
        .into_iter()
        .skip_while(|l| !l.contains(EXIT_TAG))
        .nth(1)
        .unwrap_or("")
        .to_string();
    assert!(
        tty.split_whitespace().any(|w| w == "icanon")
            && tty.split_whitespace().any(|w| w == "echo"),
        "raw mode was not undone: stty says {tty:?}"
    );
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor shown again");
    assert_eq!(tmux.format("#{mouse_any_flag}"), "0", "mouse reporting off");
    assert_eq!(tmux.format("#{mouse_sgr_flag}"), "0", "SGR mouse mode off");
    // The wrapper waits for a line (it reads in cooked mode), then the pane
    // ends: nothing of vh5 is left holding the terminal.
    tmux.keys(&["Enter"]);
    tmux.wait_for_format("the pane to end", "#{pane_dead}", "1");

    drop(tmux);
    eprintln!("e2e_tmux: {:.1?}", started.elapsed());
}

/// The text drawn in reverse video (the selected rows), one string per run.
fn reversed_runs(colored: &str) -> Vec<String> {
    let mut runs = Vec::new();
    for line in colored.lines() {
        let (mut on, mut run) = (false, String::new());
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' && chars.peek() == Some(&'[') {
                chars.next();
                let mut params = String::new();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        if d == 'm' {
                            for p in params.split(';') {
                                match p {
                                    "" | "0" | "27" => on = false,
                                    "7" => on = true,
                                    _ => {}
                                }
                            }
                        }
                        break;
                    }
                    params.push(d);
                }
                if !on && !run.trim().is_empty() {
                    runs.push(run.trim().to_string());
                }
                if !on {
                    run.clear();
                }
            } else if on {
                run.push(c);
            }
        }
        if on && !run.trim().is_empty() {
            runs.push(run.trim().to_string());
        }
    }
    runs
}

/// `vh5 FILE --version V PATH` opens there: V (here `-5`, five steps back
/// along the parents) selected in the timeline, PATH selected in the tree
/// with its groups opened, its metadata and values shown, the tree focused.
#[test]
fn opens_at_a_version_and_node() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &file).unwrap();
    let tmux = Tmux::start_with(
        dir.path(),
        &[
            file.to_str().unwrap(),
            "--version",
            "-5",
            "models/risk/params",
        ],
    );
    let s = tmux.wait_for("fix-bad-tick and /models/risk/params", |s| {
        s.status().contains("@ fix-bad-tick /models/risk/params")
            && s.has("Tree @ fix-bad-tick")
            && s.has("dataset      /models/risk/params")
            && s.has("/models/risk/params @ fix-bad-tick cursor (0, 0)")
    });
    let tree = s.tree_text();
    assert!(
        tree.contains("▼ models/") && tree.contains("▼ risk/") && tree.contains("params"),
        "the node's groups are open:\n{tree}"
    );
    assert!(s.has("shape        [3]"), "metadata of the node:\n{}", s.0);
    let runs = reversed_runs(&tmux.capture(true));
    assert!(
        runs.iter().any(|r| r.starts_with("fix-bad-tick")),
        "the timeline selects fix-bad-tick: {runs:?}"
    );
    assert!(
        !runs.iter().any(|r| r.starts_with("eod-2025-05-30")),
        "not the current version: {runs:?}"
    );
    assert!(
        runs.iter().any(|r| r.starts_with("params")),
        "the tree selects params: {runs:?}"
    );
    // The tree has the keyboard: Down moves to the next node.
    tmux.keys(&["Down"]);
    tmux.wait_for("the next node", |s| {
        s.status().contains("@ fix-bad-tick /models/risk/weights")
            && s.has("dataset      /models/risk/weights")
    });
    tmux.keys(&["q"]);
    let s = tmux.wait_for("vh5 to exit", |s| {
        s.lines().iter().any(|l| l.starts_with(EXIT_TAG))
    });
    assert!(s.has(&format!("{EXIT_TAG}0")), "screen:\n{}", s.0);
}

/// A copy of the demo file in a fresh directory, and vh5 on it in tmux.
fn demo_session() -> (tempfile::TempDir, Tmux) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.h5");
    std::fs::copy(repo_root().join("assets/demo.h5"), &file).unwrap();
    let tmux = Tmux::start(dir.path(), &file);
    tmux.wait_for("the timeline", |s| {
        s.has("initial-load") && s.status().contains("@ eod-2025-05-30")
    });
    (dir, tmux)
}

/// From the current version (the top row): `a_down` rows down is marked
/// A, then `b_down` rows down is selected as B; waits for the diff.
fn mark_and_select(tmux: &Tmux, a_down: usize, b_down: usize, a: &str, b: &str) {
    tmux.keys(&vec!["Down"; a_down]);
    tmux.wait_for("A selected", |s| s.status().contains(&format!("@ {a} ")));
    tmux.keys(&["m", "Home"]);
    tmux.keys(&vec!["Down"; b_down]);
    tmux.wait_for("the diff", |s| {
        s.status().contains(&format!("diff {a} → {b}"))
    });
}

/// Tree search for `query`, then Enter again: the array has the keyboard.
fn open_in_array(tmux: &Tmux, query: &str, path: &str) {
    tmux.keys(&["2"]);
    tmux.type_text(query);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the node", |s| s.status().contains(path));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the values", |s| {
        let rows = s.array_rows();
        s.array_title().is_some_and(|t| t.contains(path))
            && !rows.is_empty()
            && rows.iter().all(|(_, c)| !c.iter().any(|x| x.contains('…')))
    });
}

/// Diff mode on 2-D data: `n` puts the cursor on the next changed cell
/// (not a chunk corner), highlighted and in view, the status line giving
/// A's value and "k of N".
#[test]
fn n_finds_changed_cells_in_2d_data() {
    let (_dir, tmux) = demo_session();
    mark_and_select(&tmux, 8, 7, "eod-2025-03-31", "fix-bad-tick");
    open_in_array(&tmux, "/prices", "/market/prices");
    tmux.keys(&["n"]);
    let s = tmux.wait_for("the first changed cell", |s| {
        s.cursor() == Some((17, 2))
            && s.status().contains("[changed; A: 97.8567]")
            && s.status().contains("1 of 2 changed cells")
            && s.array_complete()
    });
    assert!(s.row_indices().contains(&17), "{:?}", s.row_indices());
    assert!(
        highlighted_rows(&tmux.capture(true)).contains(&17),
        "the changed cell is highlighted:\n{}",
        s.0
    );
    tmux.keys(&["n"]);
    let s = tmux.wait_for("the second changed cell", |s| {
        s.cursor() == Some((45, 3))
            && s.status().contains("[changed; A: 209.2396]")
            && s.status().contains("2 of 2 changed cells")
            && s.array_complete()
    });
    assert!(s.row_indices().contains(&45), "{:?}", s.row_indices());
    assert!(highlighted_rows(&tmux.capture(true)).contains(&45));
    tmux.keys(&["N"]);
    tmux.wait_for("back to the first", |s| s.cursor() == Some((17, 2)));
}

/// The same on 1-D data (a column of rows): rebalance rewrote every weight.
#[test]
fn n_finds_changed_cells_in_1d_data() {
    let (_dir, tmux) = demo_session();
    mark_and_select(&tmux, 3, 2, "eod-2025-04-30", "rebalance");
    open_in_array(&tmux, "/weights", "/models/risk/weights");
    tmux.keys(&["n"]);
    let s = tmux.wait_for("the next changed weight", |s| {
        s.cursor() == Some((1, 0))
            && s.status().contains("[changed; A: 0.083333")
            && s.status().contains("2 of 12 changed cells")
    });
    assert_eq!(s.cell(1, 0).as_deref(), Some("0.08"));
    assert!(highlighted_rows(&tmux.capture(true)).contains(&1));
    tmux.keys(&["G", "n"]);
    tmux.wait_for("the end", |s| s.status().contains("no next changed cell"));
}

/// Groups holding changes are marked; `n` in the tree goes to the next
/// changed node; `o` lists only changes.
#[test]
fn the_tree_marks_groups_and_steps_through_changes() {
    let (_dir, tmux) = demo_session();
    mark_and_select(&tmux, 1, 0, "cleanup", "eod-2025-05-30");
    tmux.keys(&["2", "Home"]);
    let s = tmux.wait_for("the marked groups", |s| {
        s.tree_text().contains("• market/  4 changes") && s.has("(the version group)")
    });
    assert!(s.tree_text().contains("~ /"), "{}", s.tree_text());
    tmux.keys(&["n"]);
    tmux.wait_for("the next changed node", |s| {
        s.status().contains("/lab/station_b/cube") && s.status().contains("changed node 2 of 7")
    });
    tmux.keys(&["o"]);
    let s = tmux.wait_for("changed only", |s| s.has("(changed only)"));
    assert!(!s.tree_text().contains("models/"), "{}", s.tree_text());
}

/// Timeline: `/` finds a version by name, `:` jumps to a date.
#[test]
fn the_timeline_finds_versions_and_dates() {
    let (_dir, tmux) = demo_session();
    tmux.type_text("/scen");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the first match", |s| {
        s.status().contains("@ scenario-hedged ") && s.has("Tree @ scenario-hedged")
    });
    tmux.keys(&["n"]);
    tmux.wait_for("the next match", |s| {
        s.status().contains("@ scenario-shock ")
    });
    tmux.type_text(":2025-04-01T09:30");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the date", |s| {
        s.status().contains("@ fix-bad-tick ") && s.has("Tree @ fix-bad-tick")
    });
    tmux.type_text(":2025-04-01");
    tmux.keys(&["Enter"]);
    tmux.wait_for("midnight: the version before", |s| {
        s.status().contains("@ eod-2025-03-31 ")
    });
}

/// `Y` then `p` puts the cell's path on the clipboard through OSC 52:
/// tmux (set-clipboard on) takes it into its paste buffer.
#[test]
fn y_copies_through_osc_52() {
    let (_dir, tmux) = demo_session();
    open_in_array(&tmux, "/prices", "/market/prices");
    tmux.keys(&[":"]);
    tmux.type_text("17, 3");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the cell", |s| s.cursor() == Some((17, 3)));
    tmux.keys(&["Y"]);
    tmux.wait_for("the chooser", |s| s.has("Copy to the clipboard"));
    tmux.keys(&["p"]);
    tmux.wait_for("the message", |s| {
        s.status().contains("copied /market/prices[17, 3]")
    });
    let start = Instant::now();
    loop {
        let out = tmux.run(&["show-buffer"]);
        let got = String::from_utf8_lossy(&out.stdout).into_owned();
        if got == "/market/prices[17, 3]" {
            break;
        }
        assert!(
            start.elapsed() < STEP_TIMEOUT,
            "tmux's buffer: {got:?} ({})",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(POLL);
    }
}

/// Runs `tests/interop/edit_ui_check.py WHAT FILE` with the real
/// versioned-hdf5.
fn python_check(what: &str, file: &Path) {
    common::run_python(
        &repo_root().join("tests/interop/edit_ui_check.py"),
        &[what, file.to_str().unwrap()],
    );
}

/// Sets the cell (or attribute) under the cursor: `e`, clear, type, Enter.
fn edit_value(tmux: &Tmux, value: &str, staged: &str) {
    tmux.keys(&["e"]);
    tmux.wait_for("the editor", |s| {
        s.0.contains(" = ") || s.0.contains("set [")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text(value);
    tmux.keys(&["Enter"]);
    tmux.wait_for(staged, |s| s.status().contains(staged));
}

/// Edits a number, a string and an attribute, reviews them with `P`, undoes
/// one with `u` and commits from the dialog; versioned-hdf5 reads the new
/// version and commits on top of it.
#[test]
fn edit_review_undo_and_commit() {
    let (dir, tmux) = demo_session();
    open_in_array(&tmux, "/prices", "/market/prices");
    tmux.keys(&["Down", "Right"]);
    tmux.wait_for("the cell", |s| s.cursor() == Some((1, 1)));
    let t = Instant::now();
    edit_value(&tmux, "123.5", "staged: set [1, 1]");
    tmux.wait_for("the staged value", |s| s.0.contains("123.5000"));
    let staged_ms = t.elapsed().as_millis();
    open_in_array(&tmux, "/tickers", "/market/tickers");
    edit_value(&tmux, "NEWT", "staged: set [0]");
    tmux.wait_for("the new ticker", |s| s.0.contains("NEWT"));
    open_in_array(&tmux, "/prices", "/market/prices");
    tmux.keys(&["3", "G"]);
    tmux.wait_for("units selected", |s| s.0.contains("▶ units"));
    tmux.keys(&["e"]);
    tmux.wait_for("the prefilled attribute", |s| s.0.contains("units = USD"));
    tmux.keys(&["C-u"]);
    tmux.type_text("EUR");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the staged attribute", |s| {
        s.status().contains("staged: attr units")
    });
    // One more, to undo.
    tmux.keys(&["4", "Down"]);
    edit_value(&tmux, "999", "staged: set [1, 0]");
    tmux.keys(&["P"]);
    let s = tmux.wait_for("the pending list", |s| {
        s.0.contains("Pending changes on eod-2025-05-30 (4)")
    });
    assert!(
        s.0.contains("→ 123.5") && s.0.contains("NEWT") && s.0.contains("→ 999"),
        "{}",
        s.0
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for("the list closed", |s| !s.0.contains("Pending changes on"));
    tmux.keys(&["u"]);
    tmux.wait_for("the undo", |s| s.status().contains("undone: set [1, 0]"));
    tmux.keys(&["c"]);
    tmux.wait_for("the commit dialog", |s| {
        s.0.contains("Commit 3 staged edit(s)")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text("e2e-commit");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the commit", |s| {
        s.status().contains("committed e2e-commit") && s.status().contains("@ e2e-commit")
    });
    tmux.keys(&["q"]);
    let s = tmux.wait_for("vh5 to exit", |s| {
        s.lines().iter().any(|l| l.starts_with(EXIT_TAG))
    });
    assert!(s.has(&format!("{EXIT_TAG}0")), "screen:\n{}", s.0);
    python_check("edits", &dir.path().join("demo.h5"));
    eprintln!("keypress (Enter) to staged cell drawn: {staged_ms} ms");
}

/// Deletes a version, renames one and restores one from the timeline,
/// checked with versioned-hdf5; quitting with an edit staged asks first.
#[test]
fn delete_rename_restore_and_quit_asks() {
    let (dir, tmux) = demo_session();
    tmux.keys(&["Down", "Down"]);
    tmux.wait_for("rebalance", |s| s.status().contains("@ rebalance "));
    tmux.keys(&["D"]);
    let s = tmux.wait_for("the delete question", |s| s.0.contains("Delete rebalance?"));
    assert!(s.0.contains("This frees"), "{}", s.0);
    tmux.keys(&["y"]);
    tmux.wait_for("the delete", |s| s.status().contains("deleted rebalance"));
    tmux.keys(&["Home", "Down"]);
    tmux.wait_for("cleanup", |s| s.status().contains("@ cleanup "));
    tmux.keys(&["R"]);
    tmux.wait_for("the rename field", |s| s.0.contains("rename to: cleanup"));
    tmux.keys(&["C-u"]);
    tmux.type_text("tidy");
    tmux.keys(&["Enter"]);
    // The reload after the rename selects the renamed version.
    tmux.wait_for("the rename", |s| {
        s.status().contains("renamed cleanup to tidy") && s.0.contains("Tree @ tidy")
    });
    tmux.keys(&["Down"]);
    tmux.wait_for("eod-2025-04-30", |s| {
        s.status().contains("@ eod-2025-04-30 ")
    });
    tmux.keys(&["r"]);
    tmux.wait_for("the restore", |s| s.status().contains("staged: restore"));
    tmux.keys(&["c"]);
    tmux.wait_for("the commit dialog", |s| {
        s.0.contains("parent eod-2025-05-30")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text("restored");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the commit", |s| s.status().contains("committed restored"));
    // An edit staged: q asks; Esc stays; q q quits (dropping it).
    open_in_array(&tmux, "/prices", "/market/prices");
    edit_value(&tmux, "5", "staged: set [0, 0]");
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", |s| s.0.contains("Quit?"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("still running", |s| !s.0.contains("Quit?"));
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", |s| s.0.contains("Quit?"));
    tmux.keys(&["q"]);
    let s = tmux.wait_for("vh5 to exit", |s| {
        s.lines().iter().any(|l| l.starts_with(EXIT_TAG))
    });
    assert!(s.has(&format!("{EXIT_TAG}0")), "screen:\n{}", s.0);
    python_check("history", &dir.path().join("demo.h5"));
}

/// Blame in the array (`b`): the status line names the version that wrote
/// the cursor's chunk, as `vh5 blame` does (checked against versioned-hdf5
/// in tests/blame_stats.rs); `B` selects it in the timeline; `S` opens the
/// storage view and Esc closes it.
#[test]
fn blame_names_the_writer_and_b_selects_it() {
    let (dir, tmux) = demo_session();
    let out = Command::new(env!("CARGO_BIN_EXE_vh5"))
        .args(["blame", dir.path().join("demo.h5").to_str().unwrap()])
        .args(["/market/prices", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let blame: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let chunks = blame["chunks"].as_array().unwrap();
    let at = [
        40 / chunks[0].as_u64().unwrap(),
        2 / chunks[1].as_u64().unwrap(),
    ];
    let writer = blame["blame"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["chunk"][0] == at[0] && e["chunk"][1] == at[1])
        .and_then(|e| e["version"].as_str())
        .unwrap()
        .to_string();
    open_in_array(&tmux, "/prices", "/market/prices");
    tmux.keys(&["b", ":"]);
    tmux.type_text("40, 2");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the writer on the status line", |s| {
        s.cursor() == Some((40, 2)) && s.status().contains(&format!("[chunk by {writer} "))
    });
    tmux.keys(&["B"]);
    tmux.wait_for("the writer selected", |s| {
        s.status().contains(&format!("@ {writer} "))
    });
    tmux.keys(&["S"]);
    tmux.wait_for("the storage view", |s| s.has("Storage (Esc closes)"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the view closed", |s| !s.has("Storage (Esc closes)"));
}
