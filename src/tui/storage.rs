//! The storage view (`S`): where the file's bytes are. The totals, the
//! bytes each version added as a bar chart along the timeline (oldest
//! left, the selected version marked), and per dataset its slots and
//! sizes. The worker computes the figures (`Request::Storage`, a background
//! scan of every version's chunk maps); `vh5 stats` prints the same.

use std::sync::Arc;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Sparkline};
use ratatui::Frame;

use super::component::Effect;
use super::detail::centred;
use super::keymap::Action;
use super::popup::Scroll;
use crate::engine::stats::{human_bytes, ratio_text, StorageStats};

/// Rows of the bar chart.
const CHART_HEIGHT: u16 = 5;

#[derive(Debug, Default)]
pub struct StoragePopup {
    /// `None` until the worker answers.
    pub stats: Option<Arc<StorageStats>>,
    /// The version selected in the timeline when the view opened.
    pub selected: Option<String>,
    /// Over the dataset rows.
    pub scroll: Scroll,
}

/// Columns one version's bar takes at most (with its gap).
const WIDEST_BAR: usize = 6;

/// The chart's columns for `values` in `width`: a bar of up to
/// `WIDEST_BAR - 1` columns and a gap per version when they fit, else per
/// column the largest value of the versions it stands for. Also the column
/// where the version at `selected` starts.
fn columns(values: &[u64], width: usize, selected: Option<usize>) -> (Vec<u64>, Option<usize>) {
    let width = width.max(1);
    let n = values.len().max(1);
    let per = (width / n).min(WIDEST_BAR);
    if per >= 2 {
        let bars = values
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, per - 1).chain([0]))
            .collect();
        return (bars, selected.map(|i| i * per));
    }
    if values.len() <= width {
        return (values.to_vec(), selected);
    }
    let col = |i: usize| i * width / values.len();
    let mut out = vec![0u64; width];
    for (i, &v) in values.iter().enumerate() {
        out[col(i)] = out[col(i)].max(v);
    }
    (out, selected.map(col))
}

impl StoragePopup {
    pub fn new(selected: Option<String>) -> StoragePopup {
        StoragePopup {
            selected,
            ..StoragePopup::default()
        }
    }

    /// The `Storage` context's actions.
    pub fn handle(&mut self, action: Action) -> Effect {
        if action == Action::Close {
            return Effect::Close;
        }
        self.scroll.handle(action);
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect) {
        let popup = centred(
            area,
            area.width.saturating_sub(4).max(40),
            area.height.saturating_sub(2).max(12),
        );
        f.render_widget(Clear, popup);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(" Storage (Esc closes) ");
        let inner = block.inner(popup);
        f.render_widget(block, popup);
        let Some(stats) = self.stats.clone() else {
            let text = "accounting for every version's chunks…";
            f.render_widget(Paragraph::new(text), inner);
            return;
        };
        let [totals, chart, axis, table] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(CHART_HEIGHT + 1),
            Constraint::Length(2),
            Constraint::Min(1),
        ])
        .areas(inner);
        f.render_widget(Paragraph::new(totals_lines(&stats)), totals);
        let selected = self.render_chart(f, chart, &stats);
        f.render_widget(
            Paragraph::new(self.axis_lines(&stats, selected, axis)),
            axis,
        );
        self.render_table(f, table, &stats);
    }

    /// The bytes added per version; returns the selected version's column.
    fn render_chart(&self, f: &mut Frame, area: Rect, stats: &StorageStats) -> Option<usize> {
        let values: Vec<u64> = stats.versions.iter().map(|v| v.bytes_added).collect();
        let at = self
            .selected
            .as_ref()
            .and_then(|s| stats.versions.iter().position(|v| &v.version.name == s));
        let (mut bars, column) = columns(&values, area.width as usize, at);
        let max = bars.iter().copied().max().unwrap_or(0);
        // A version that added anything shows at least the lowest bar.
        let least = max.div_ceil(8 * CHART_HEIGHT as u64).max(1);
        for b in bars.iter_mut().filter(|b| **b > 0) {
            *b = (*b).max(least);
        }
        let [title, bars_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
        let heading = format!(
            "bytes each version added (uncompressed), oldest → newest; highest {}",
            human_bytes(max)
        );
        f.render_widget(
            Paragraph::new(heading).style(Style::default().fg(Color::DarkGray)),
            title,
        );
        f.render_widget(
            Sparkline::default()
                .data(&bars)
                .max(max.max(1))
                .style(Style::default().fg(Color::Cyan)),
            bars_area,
        );
        column
    }

    /// Under the chart: the first and last version, a mark under the
    /// selected one and its figures.
    fn axis_lines(
        &self,
        stats: &StorageStats,
        column: Option<usize>,
        area: Rect,
    ) -> Vec<Line<'static>> {
        let width = area.width as usize;
        let mut marks: Vec<char> = vec![' '; width];
        let mut put = |at: usize, text: &str| {
            for (k, ch) in text.chars().enumerate() {
                if let Some(slot) = marks.get_mut(at + k) {
                    *slot = ch;
                }
            }
        };
        // The oldest version at the left end, the newest at the right.
        if let (Some(a), Some(b)) = (stats.versions.first(), stats.versions.last()) {
            let last = &b.version.name;
            put(0, &a.version.name);
            put(width.saturating_sub(last.chars().count()), last);
        }
        if let Some(c) = column {
            put(c, "▲");
        }
        let mut lines = vec![Line::from(marks.into_iter().collect::<String>())];
        let picked = self
            .selected
            .as_ref()
            .and_then(|s| stats.versions.iter().find(|v| &v.version.name == s));
        let text = match picked {
            Some(v) => format!(
                "▲ {}: added {}, only here {} (what deleting it alone frees)",
                v.version.name,
                human_bytes(v.bytes_added),
                human_bytes(v.bytes_unique)
            ),
            None => "the selected version is not committed".into(),
        };
        lines.push(Line::from(text));
        lines
    }

    fn render_table(&mut self, f: &mut Frame, area: Rect, stats: &StorageStats) {
        let header = format!(
            "{:<24} {:>7} {:>7} {:>8} {:>10} {:>10} {:>7}",
            "dataset", "slots", "used", "orphaned", "logical", "stored", "ratio"
        );
        let rows: Vec<Line> = stats
            .datasets
            .iter()
            .map(|d| {
                Line::from(format!(
                    "{:<24} {:>7} {:>7} {:>8} {:>10} {:>10} {:>7}",
                    d.path,
                    d.raw_slots,
                    d.used_slots,
                    d.orphaned_slots,
                    human_bytes(d.logical_bytes),
                    human_bytes(d.stored_bytes),
                    ratio_text(d.logical_bytes, d.stored_bytes)
                ))
            })
            .collect();
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        f.render_widget(
            Paragraph::new(header).style(Style::default().add_modifier(Modifier::BOLD)),
            head,
        );
        if rows.is_empty() {
            let text = "no versioned datasets: nothing stored in raw_data";
            f.render_widget(Paragraph::new(text), body);
            return;
        }
        self.scroll.fit(body.height as usize, rows.len());
        f.render_widget(
            Paragraph::new(rows).scroll((self.scroll.top as u16, 0)),
            body,
        );
    }
}

/// The file's totals, three lines.
fn totals_lines(stats: &StorageStats) -> Vec<Line<'static>> {
    let label = |t: &str| Span::styled(format!("{t} "), Style::default().fg(Color::Cyan));
    vec![
        Line::from(vec![
            label("file"),
            Span::raw(format!("{}  ", human_bytes(stats.file_size))),
            label("raw data"),
            Span::raw(format!("{}  ", human_bytes(stats.stored_bytes()))),
            label("every version in full"),
            Span::raw(format!(
                "{} ({} the stored size)",
                human_bytes(stats.logical_bytes()),
                ratio_text(stats.logical_bytes(), stats.stored_bytes())
            )),
        ]),
        Line::from(vec![
            label("reclaimable"),
            Span::raw(format!(
                "at least {} (orphaned slots, free space HDF5 tracks)",
                human_bytes(stats.reclaimable_bytes())
            )),
        ]),
        Line::from(vec![
            label("other"),
            Span::raw(format!(
                "{} (metadata and untracked free space)",
                human_bytes(stats.other_bytes())
            )),
        ]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_versions_share_a_column_by_their_largest() {
        let (cols, at) = columns(&[1, 9, 2, 3, 0, 0], 3, Some(3));
        assert_eq!(cols, vec![9, 3, 0]);
        assert_eq!(at, Some(1));
        let (cols, at) = columns(&[4, 5, 6], 4, Some(1));
        assert_eq!((cols, at), (vec![4, 5, 6], Some(1)));
        // Few versions: wider bars with a gap.
        let (cols, at) = columns(&[4, 5], 7, Some(1));
        assert_eq!((cols, at), (vec![4, 4, 0, 5, 5, 0], Some(3)));
    }
}
