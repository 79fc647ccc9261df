//! The bottom line: on the left what is shown (file, version, path, diff)
//! and the status message; on the right the key bar — the key-bar bindings
//! of the contexts the router would consult now, from the keymap table.
//! When the line is short, the key bar keeps `?` and `q` (and, with edits
//! staged, `c`, `P` and `u`) and drops the
//! entries that do not fit; the left part is never cut for it.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::keymap::{self, Action, Binding, Context};

/// The key-bar bindings of a chain of contexts, in chain and table order;
/// `shown` filters out those that do nothing right now.
pub fn bindings(chain: &[Context], shown: impl Fn(&Binding) -> bool) -> Vec<&'static Binding> {
    chain
        .iter()
        .flat_map(|&c| keymap::of(c))
        .filter(|b| b.bar.is_some() && shown(b))
        .collect()
}

fn entry(b: &Binding) -> (String, &'static str) {
    (b.keys[0].label(), b.bar.unwrap_or_default())
}

fn width(b: &Binding) -> usize {
    let (key, label) = entry(b);
    Line::from(format!("{key} {label}")).width()
}

/// The entries that fit in `room` columns (help and quit first), as a line.
pub fn bar(bindings: &[&'static Binding], room: usize) -> Line<'static> {
    // With edits staged, commit / pending / undo are on the bar: they
    // come right after help and quit.
    let first = |b: &&Binding| match b.action {
        Action::Help | Action::Quit => 0,
        Action::Commit | Action::Pending | Action::Undo => 1,
        _ => 2,
    };
    let mut order: Vec<usize> = (0..bindings.len()).collect();
    order.sort_by_key(|&i| first(&bindings[i]));
    let mut chosen = vec![false; bindings.len()];
    let mut used = 0;
    for i in order {
        let w = width(bindings[i]) + if used > 0 { 2 } else { 0 };
        if used + w <= room {
            chosen[i] = true;
            used += w;
        }
    }
    let mut spans = Vec::new();
    for (b, _) in bindings.iter().zip(&chosen).filter(|(_, c)| **c) {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        let (key, label) = entry(b);
        spans.push(Span::styled(key, Style::default().fg(Color::Cyan)));
        spans.push(Span::styled(
            format!(" {label}"),
            Style::default().fg(Color::DarkGray),
        ));
    }
    Line::from(spans)
}

/// `left` from the left edge, the key bar right-aligned in what remains.
pub fn render(f: &mut Frame, area: Rect, left: Line<'static>, bindings: &[&'static Binding]) {
    let left_width = left.width();
    f.render_widget(Paragraph::new(left), area);
    let room = (area.width as usize).saturating_sub(left_width + 2);
    let bar = bar(bindings, room);
    let w = bar.width() as u16;
    if w > 0 {
        let at = Rect::new(area.x + area.width - w, area.y, w, 1);
        f.render_widget(Paragraph::new(bar), at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn keeps_help_and_quit_when_short() {
        let all = bindings(Context::Array.chain(), |_| true);
        let wide = text(&bar(&all, 200));
        assert!(
            wide.starts_with(": go to  Enter detail  n next change"),
            "{wide}"
        );
        assert!(wide.ends_with("? help  q quit"), "{wide}");
        assert_eq!(text(&bar(&all, 15)), "? help  q quit");
        assert_eq!(text(&bar(&all, 3)), "");
    }
}
