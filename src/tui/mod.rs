//! The terminal browser: timeline, tree, metadata and array panes over one
//! versioning engine, which runs on a worker thread so the event loop never
//! waits on HDF5.
//!
//! Flow, one way: key → action (the keymap table) → the component owning
//! the action updates its state → `App` queues engine requests → worker →
//! answer → `App` state → render.
//!
//! Layout: `app` routes keys and mouse to the component on top and
//! applies the `Effect` it answers, holding the state that crosses panes
//! (focus, the open popup or field, the staged edits); `answers` puts the
//! worker's answers into that state, and `diffmode` is the A / B diff that
//! spans the panes; `requests` keeps what was asked of the worker (the
//! newest query per kind, the reads in flight or failed, the commands in
//! order); `layout` places the panes (and zooms one); `status` draws the
//! bottom line. `keymap` is the one table of bindings that the router, the
//! help overlay (`help`) and the key bar (`keybar`) read; `component` holds
//! what components tell the router; one module per pane (`timeline`,
//! `tree`, `meta`, `array`, with `blame` the array's blame layer) and per
//! popup (`help`, the text `field`, `detail` the cell view and copy
//! chooser, `edit` for the pending list, confirms, the commit dialog and
//! progress, `storage` the storage view; `popup` lists the popups), each
//! owning its state, its actions (its edits and what its fields accept
//! included) and its rendering. `worker` runs the engine off the event
//! loop; `headless` drives the app without a terminal, for tests.

mod answers;
pub mod app;
pub mod array;
pub mod blame;
pub mod cells;
pub mod clipboard;
pub mod component;
pub mod detail;
mod diffmode;
pub mod edit;
pub mod field;
pub mod headless;
pub mod help;
pub mod keybar;
pub mod keymap;
pub mod layout;
pub mod meta;
pub mod popup;
pub mod requests;
mod status;
pub mod storage;
pub mod timeline;
pub mod tree;
pub mod worker;

use std::io::{stdout, Stdout};
use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::engine::{Error, Result};
use app::App;
use worker::Worker;

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Opens the browser on a file until the user quits. The terminal is
/// restored on every exit path, a panic included.
pub fn run(path: &Path) -> Result<()> {
    run_at(path, None)
}

/// As `run`, opened at a version and node (`vh5 FILE --version V PATH`).
pub fn run_at(path: &Path, start: Option<app::Start>) -> Result<()> {
    // Open before touching the terminal, so a bad file is a plain error.
    let worker = Worker::spawn(path.to_path_buf())?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    let io = |e: std::io::Error| Error::runtime(format!("terminal: {e}"));
    enable_raw_mode().map_err(io)?;
    let result = (|| {
        execute!(stdout(), EnterAlternateScreen, EnableMouseCapture).map_err(io)?;
        let mut terminal = Terminal::new(CrosstermBackend::new(stdout())).map_err(io)?;
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut app = App::at(label, start);
        app.file_path = path.display().to_string();
        event_loop(&mut terminal, app, &worker)
    })();
    restore_terminal();
    if worker.is_busy() {
        // Quit at once: HDF5 may never return to the worker (a damaged
        // file), and its exit handlers would run under the worker's feet.
        let code = if result.is_ok() { 0 } else { 1 };
        if let Err(e) = &result {
            eprintln!("vh5: {}", e.message);
        }
        // SAFETY: ends the process without running exit handlers; the
        // terminal is restored, and a write cut short here leaves what a
        // killed vh5 leaves (every version intact, debris the next write
        // removes).
        unsafe { libc::_exit(code) };
    }
    result
}

/// How often the busy spinner turns.
const SPIN_STEP: Duration = Duration::from_millis(80);

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    mut app: App,
    worker: &Worker,
) -> Result<()> {
    let io = |e: std::io::Error| Error::runtime(format!("terminal: {e}"));
    // Drawn when something changed: a key, an answer, or the spinner's
    // next step (one per SPIN_STEP, however short the waits).
    let mut dirty = true;
    let mut spun = Instant::now();
    while !app.quit {
        for (seq, cmd) in app.take_commands() {
            worker.command(seq, cmd);
        }
        if let Some(seq) = app.take_cancel() {
            worker.cancel(seq);
        }
        for (seq, req) in app.take_requests() {
            worker.send(seq, req);
        }
        if dirty {
            terminal.draw(|f| app.render(f)).map_err(io)?;
            dirty = false;
        }
        app.want_summaries();
        app.want_page();
        // Answers are drawn as they come: wait briefly while any is due.
        let wait = if app.busy() { 10 } else { 80 };
        if event::poll(Duration::from_millis(wait)).map_err(io)? {
            match event::read().map_err(io)? {
                Event::Key(k) if k.kind != KeyEventKind::Release => app.on_key(k),
                Event::Mouse(m) => app.on_mouse(m),
                _ => {}
            }
            dirty = true;
        }
        while let Ok(reply) = worker.command_replies.try_recv() {
            app.on_command_reply(reply);
            dirty = true;
        }
        while let Ok(answer) = worker.answers.try_recv() {
            app.on_answer(answer);
            dirty = true;
        }
        for text in app.take_clipboard() {
            use std::io::Write;
            let mut out = stdout();
            out.write_all(clipboard::osc52(&text).as_bytes())
                .and_then(|()| out.flush())
                .map_err(io)?;
        }
        if spun.elapsed() >= SPIN_STEP {
            app.tick();
            spun = Instant::now();
            dirty |= app.busy();
        }
    }
    Ok(())
}
