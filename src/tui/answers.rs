//! The worker's answers, into the state: a query's reply goes to the
//! component that shows it (the timeline, the tree, the metadata, the
//! array) and may ask for what follows from it (a node's metadata asks for
//! its page); a command's progress and end update the progress popup, the
//! staged edits and, after a write, everything shown. Diff mode's answers
//! are in `diffmode`.

use super::app::{App, Start};
use super::component::Pane;
use super::edit::ConfirmPopup;
use super::popup::Popup;
use super::worker::{Answer, CommandReply, NodeInfo, Outcome, Reply, Request};

impl App {
    /// Progress and the end of a command.
    pub fn on_command_reply(&mut self, reply: CommandReply) {
        match reply {
            CommandReply::Progress {
                seq,
                fraction,
                text,
            } => {
                if self.requests.is_running(seq) {
                    if let Some(Popup::Progress(p)) = self.popup.as_mut() {
                        p.fraction = fraction;
                        p.text = text;
                    }
                }
            }
            CommandReply::Done {
                seq,
                outcome,
                pending,
                staged_on,
            } => {
                let staged_changed = pending != self.pending || staged_on != self.staged_on;
                self.pending = pending;
                self.staged_on = staged_on;
                if self.requests.finished(seq) && matches!(self.popup, Some(Popup::Progress(_))) {
                    self.popup = None;
                }
                match outcome {
                    Ok(o) => {
                        self.status = Some((o.message(), false));
                        let select = match &o {
                            Outcome::Committed(c) => Some(c.version.name.clone()),
                            Outcome::Renamed { new, .. } => Some(new.clone()),
                            _ => None,
                        };
                        if let Some(version) = select {
                            self.start = Some(Start {
                                version,
                                path: self.tree.selected_path(),
                            });
                        }
                        if let Outcome::DeletePlan(plan) = &o {
                            self.popup = Some(Popup::Confirm(ConfirmPopup::delete(plan)));
                        }
                        if o.wrote() {
                            self.own_write = true;
                            self.request(Request::Log);
                        } else if staged_changed {
                            self.refresh_view();
                        }
                    }
                    Err(message) => self.status = Some((message, true)),
                }
            }
        }
    }

    /// The staged edits changed: ask again for the tree, the node and the
    /// page shown.
    fn refresh_view(&mut self) {
        self.array.page = None;
        self.requests.forget();
        if let Some(version) = self.timeline.selected_name().map(String::from) {
            self.request(Request::Tree { version });
        }
    }

    /// A query's answer: dropped when stale, else its reply goes where
    /// it is shown; a failed read is said (and kept, see `Requests`).
    pub fn on_answer(&mut self, answer: Answer) {
        if let Ok(Reply::FileChanged) = answer.reply {
            // Our own write: its message stays on the status line.
            if !std::mem::take(&mut self.own_write) {
                self.status = Some(("the file changed on disk: reloaded".into(), false));
            }
            // What was asked of the old file is asked again.
            self.requests.forget();
            self.array.blame.forget();
            if let Some(Popup::Storage(p)) = self.popup.as_mut() {
                p.stats = None;
                self.request(Request::Storage);
            }
            self.request(Request::Log);
            return;
        }
        if !self.requests.accept(&answer) {
            return; // stale: the user has moved on
        }
        match answer.reply {
            Ok(reply) => {
                self.requests.answered(&answer.kind);
                self.on_reply(reply)
            }
            // A version's summary is decoration: one that fails (asked for
            // just before a write changed the history) does not hide the
            // message of what the user did.
            Err(_) if answer.kind.starts_with("summary:") => {}
            Err(message) => {
                // A failed page is also said in the array, where the values were to be.
                if let Some(Request::Page { version, path, .. }) = self.requests.in_flight("page") {
                    if answer.kind == "page" {
                        self.array.read_error =
                            Some((version.clone(), path.clone(), message.clone()));
                    }
                }
                self.requests.failed(answer.kind, &message);
                self.status = Some((message, true));
            }
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        match reply {
            Reply::Log { versions, current } => {
                self.timeline.load(&versions, current);
                if let Some(start) = &self.start {
                    let rows = &self.timeline.rows;
                    if let Some(i) = rows.iter().position(|r| r.name == start.version) {
                        self.timeline.selected = i;
                    }
                }
                self.version_changed();
            }
            Reply::Tree {
                version,
                nodes,
                dtypes,
            } => {
                self.tree.load(&version, nodes, dtypes);
                // The first tree is the start version's (unless the user
                // has already moved on): select the start node in it.
                if let Some(start) = self.start.take() {
                    match start.path {
                        Some(p) if start.version == version => self.tree.reveal(&p),
                        _ => {}
                    }
                }
                self.tree
                    .set_diff(self.diff.as_ref().filter(|d| d.b == version));
                self.node_changed();
            }
            Reply::Meta { version, info } => {
                if let NodeInfo::Dataset { meta, .. } = &info {
                    self.request(Request::ChunkSummary {
                        version: version.clone(),
                        path: meta.path.clone(),
                    });
                    self.request(Request::Labels {
                        version: version.clone(),
                        path: meta.path.clone(),
                    });
                    let removed = self.meta.removed.clone();
                    self.array.show(&version, (**meta).clone());
                    if let Some((path, at)) = self.follow_to.take() {
                        if path == meta.path {
                            self.array.move_to_index(&at);
                            self.set_focus(Pane::Array);
                        }
                    }
                    self.array.removed_in = removed.map(|(_, b)| b);
                    self.want_counts();
                    self.want_page();
                }
                self.meta.info = Some(info);
                self.meta.loading = false;
                self.meta.change = self.node_change();
            }
            Reply::Page {
                version,
                path,
                sel,
                grid,
                staged,
            } => {
                if self.array.take_page(&version, &path, &sel, grid, staged) {
                    self.want_mask();
                }
            }
            Reply::ChunkSummary {
                version,
                path,
                summary,
            } => {
                if let Some(NodeInfo::Dataset { meta, chunk_map }) = &mut self.meta.info {
                    if meta.path == path && self.array.version.as_deref() == Some(&version) {
                        *chunk_map = summary;
                    }
                }
            }
            Reply::Summary { version, text } => {
                self.timeline.summaries.insert(version, text);
            }
            Reply::FileChanged => {}
            Reply::Diff(d) => self.diff_arrived(*d),
            Reply::Mask {
                path,
                start,
                count,
                mask,
                other,
            } => {
                // Not for a diff the user has since left (Esc, another version).
                let b = self.diff.as_ref().map(|d| d.b.as_str());
                self.array.take_mask(b, &path, &start, &count, mask, other)
            }
            Reply::ChangeFound {
                path,
                plane,
                forward,
                found,
            } => self.change_found(path, plane, forward, found),
            Reply::ChangeCount {
                path,
                plane,
                counts,
            } => self.changes_counted(path, plane, counts),
            Reply::Overview(o) => self.array.overview = Some(o),
            Reply::Blame(blame) => {
                let rows = &self.timeline.rows;
                self.array
                    .blame
                    .set(blame, |name| rows.iter().position(|r| r.name == name));
            }
            Reply::Storage(stats) => {
                if let Some(Popup::Storage(p)) = self.popup.as_mut() {
                    p.stats = Some(stats);
                }
            }
            Reply::Labels {
                version,
                path,
                labels,
            } => {
                let shown = self.array.version.as_ref() == Some(&version)
                    && self.array.meta.as_ref().map(|m| &m.path) == Some(&path);
                if shown {
                    self.array.labels = labels;
                }
            }
        }
    }
}
