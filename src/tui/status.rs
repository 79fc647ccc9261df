//! The bottom line: on the left what is shown (file, version, node), the
//! diff, notes on reads and the last message; on the right the key bar,
//! the bindings of the context on top that do something now. Both only
//! read the app's state.

use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::app::App;
use super::component::Pane;
use super::keybar;
use super::keymap::{Action, Binding, Context};
use super::popup::Popup;

pub(super) fn render(app: &App, f: &mut Frame, area: Rect) {
    let bar = keybar::bindings(app.context().chain(), |b| in_bar(app, b));
    keybar::render(f, area, line(app), &bar);
}

/// The bottom line's left part: what is shown, the diff, the message.
fn line(app: &App) -> Line<'static> {
    const SPIN: [char; 4] = ['⠋', '⠙', '⠸', '⠴'];
    let spin = if app.busy() {
        SPIN[app.spinner % SPIN.len()]
    } else {
        ' '
    };
    let version = app.timeline.selected_name().unwrap_or("-");
    let path = app.tree.selected_path().unwrap_or_default();
    let mut spans = vec![
        Span::styled(
            format!("{spin} {} ", app.file_label),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("@ {version} {path} ")),
    ];
    if app.zoom {
        spans.push(Span::styled("[zoom] ", Style::default().fg(Color::Cyan)));
    }
    let mut cell = None;
    if let (Some(a), Some(_)) = (&app.timeline.mark, &app.diff) {
        spans.push(Span::styled(
            format!("diff {a} → {version} "),
            Style::default().fg(Color::Yellow),
        ));
        let c = app.array.cursor;
        if let Some((changed, other)) = app.array.diff_at(c[0], c[1]) {
            let other = other
                .map(|v| app.array.format_value(&v))
                .unwrap_or_else(|| "(absent)".into());
            let mark = if changed { "changed" } else { "same" };
            cell = Some(Span::styled(
                format!("[{mark}; A: {other}] "),
                Style::default().fg(Color::Yellow),
            ));
        }
    }
    if let Some(note) = app.requests.stuck_note(Instant::now()) {
        spans.push(Span::styled(
            format!("{note} "),
            Style::default().fg(Color::Red),
        ));
    }
    if let Some(note) = app.array.blame_note() {
        spans.push(Span::styled(note, Style::default().fg(Color::Cyan)));
    }
    // The message before the cell's diff note: it is what just happened.
    // Without one: why a read failed, else the scans still running.
    let message = match (&app.status, app.requests.failure()) {
        (Some((msg, true)), _) | (None, Some(msg)) => Some((format!("error: {msg} "), Color::Red)),
        (Some((msg, false)), _) => Some((format!("{msg} "), Color::Green)),
        (None, None) => app
            .requests
            .scan_note()
            .map(|note| (format!("{note} "), Color::DarkGray)),
    };
    spans.extend(message.map(|(text, colour)| Span::styled(text, Style::default().fg(colour))));
    spans.extend(cell);
    Line::from(spans)
}

/// Whether a key-bar binding does something now (the bar hides the
/// rest; the router and help do not look at this).
fn in_bar(app: &App, b: &Binding) -> bool {
    match (b.context, b.action) {
        (Context::Field, Action::Accept | Action::Cancel) => {
            !matches!(app.popup, Some(Popup::Commit(_)))
        }
        (Context::Global, Action::Commit | Action::Pending | Action::Undo) => {
            !app.pending.is_empty()
        }
        (
            Context::Timeline,
            Action::Toggle
            | Action::DeleteVersions
            | Action::Rename
            | Action::MakeCurrent
            | Action::Restore,
        ) => !app.timeline.plain(),
        (Context::Tree, Action::Add | Action::Delete | Action::Resize | Action::Modify) => {
            !app.timeline.plain()
        }
        (Context::Meta, Action::Edit | Action::Delete) => {
            !app.timeline.plain() && app.meta.selected_attr().is_some()
        }
        (Context::Meta, Action::Add) => !app.timeline.plain() && app.meta.info.is_some(),
        (Context::Array, Action::Edit | Action::Select) => {
            !app.timeline.plain() && app.array.enabled(b.action, false)
        }
        (Context::Global, Action::Mark) => app.focus == Pane::Timeline,
        (Context::Global, Action::LeaveDiff) => app.timeline.mark.is_some(),
        (Context::Array, Action::Follow) => app.array.reference_at_cursor().is_some(),
        (Context::Meta, Action::Follow) => app.meta.selected_reference().is_some(),
        (Context::Array, a) => app.array.enabled(a, app.diff.is_some()),
        (Context::Tree, Action::ChangedOnly) => app.diff.is_some(),
        _ => true,
    }
}
