//! What the browser has asked of the worker, and which answers still
//! count. Queries of one kind supersede each other: only the newest
//! sequence number per kind is awaited, so an answer to an older one is
//! stale (the user has moved on) and dropped. Commands share the sequence
//! numbers but are never superseded: they are sent in order, and the one
//! the progress popup follows is `running`.
//!
//! The event loop drains the outbox (`take_queries`, `take_commands`,
//! `take_cancel`); `App` reports each answer (`accept`, then `answered` or
//! `failed`) and reads the notes the status line shows.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::worker::{Answer, Command, Request};

/// How long a read may take before the status line says so.
const STUCK_AFTER: Duration = Duration::from_secs(3);

#[derive(Debug)]
pub struct Requests {
    seq: u64,
    /// Newest sequence number sent per request kind; older answers are stale.
    latest: HashMap<String, u64>,
    /// What each outstanding background scan is doing, by request kind.
    scans: HashMap<String, String>,
    /// Since when an answer of each kind has been awaited.
    asked_at: HashMap<String, Instant>,
    /// Why the page (or overview) in flight failed: said on the status
    /// line until something else is asked (a damaged chunk, say).
    failed: HashMap<String, String>,
    /// How long a read may take before the status line says the worker
    /// may be stuck on a damaged file (HDF5 can loop on one).
    pub stuck_after: Duration,
    outbox: Vec<(u64, Request)>,
    /// The page and overview requests waiting for their answers, by kind:
    /// asked once, not again each loop.
    in_flight: HashMap<String, Request>,
    /// Commands waiting to be sent to the worker.
    commands: Vec<(u64, Command)>,
    /// The command running in the worker (its sequence number).
    running: Option<u64>,
    /// A command to cancel, for the event loop.
    cancel: Option<u64>,
}

impl Default for Requests {
    fn default() -> Requests {
        Requests {
            seq: 0,
            latest: HashMap::new(),
            scans: HashMap::new(),
            asked_at: HashMap::new(),
            failed: HashMap::new(),
            stuck_after: STUCK_AFTER,
            outbox: Vec::new(),
            in_flight: HashMap::new(),
            commands: Vec::new(),
            running: None,
            cancel: None,
        }
    }
}

impl Requests {
    /// Queues a request; the newest of a kind wins.
    pub(super) fn ask(&mut self, req: Request) {
        self.seq += 1;
        self.latest.insert(req.kind(), self.seq);
        self.asked_at.entry(req.kind()).or_insert_with(Instant::now);
        self.failed.remove(&req.kind());
        match req.doing() {
            Some(what) => self.scans.insert(req.kind(), what),
            None => self.scans.remove(&req.kind()),
        };
        self.outbox.retain(|(_, r)| r.kind() != req.kind());
        self.outbox.push((self.seq, req));
    }

    /// Asks unless the same request is already on its way (asking again
    /// would only make its answer stale).
    pub(super) fn ask_once(&mut self, req: Request) {
        if self.in_flight.get(&req.kind()) != Some(&req) {
            self.in_flight.insert(req.kind(), req.clone());
            self.ask(req);
        }
    }

    /// Queues a command for the worker (commands run in order). The writes
    /// that show a progress popup become the `running` one.
    pub(super) fn command(&mut self, cmd: Command) {
        self.seq += 1;
        if matches!(
            cmd,
            Command::Commit { .. }
                | Command::DeleteVersions { .. }
                | Command::ModifyMetadata { .. }
        ) {
            self.running = Some(self.seq);
        }
        self.commands.push((self.seq, cmd));
    }

    pub(super) fn take_queries(&mut self) -> Vec<(u64, Request)> {
        std::mem::take(&mut self.outbox)
    }

    pub(super) fn take_commands(&mut self) -> Vec<(u64, Command)> {
        std::mem::take(&mut self.commands)
    }

    pub(super) fn take_cancel(&mut self) -> Option<u64> {
        self.cancel.take()
    }

    /// Esc on the progress popup: the running command is to be cancelled.
    pub(super) fn cancel_running(&mut self) {
        self.cancel = self.running;
    }

    /// Whether `seq` is the command the progress popup follows.
    pub(super) fn is_running(&self, seq: u64) -> bool {
        self.running == Some(seq)
    }

    /// The command `seq` ended; true if it was the running one.
    pub(super) fn finished(&mut self, seq: u64) -> bool {
        let was = self.is_running(seq);
        if was {
            self.running = None;
        }
        was
    }

    /// Whether an answer of this request kind is outstanding.
    pub fn waiting_for(&self, kind: &str) -> bool {
        self.latest.contains_key(kind)
    }

    /// Whether answers are outstanding (the spinner turns).
    pub(super) fn busy(&self) -> bool {
        !self.latest.is_empty()
    }

    /// An answer arrived: true if it is to the newest request of its kind
    /// (which is no longer awaited); false if stale.
    pub(super) fn accept(&mut self, answer: &Answer) -> bool {
        if self.latest.get(&answer.kind) != Some(&answer.seq) {
            return false;
        }
        self.latest.remove(&answer.kind);
        self.asked_at.remove(&answer.kind);
        self.scans.remove(&answer.kind);
        true
    }

    /// An accepted answer was a success: its kind may be asked again.
    pub(super) fn answered(&mut self, kind: &str) {
        self.in_flight.remove(kind);
    }

    /// An accepted answer was an error. A failed page stays "in flight":
    /// asking the same again would fail again, every loop; moving
    /// elsewhere asks anew.
    pub(super) fn failed(&mut self, kind: String, message: &str) {
        if self.in_flight.contains_key(&kind) {
            self.failed.insert(kind, message.to_string());
        }
    }

    /// The request in flight of a kind (to say where a failed page was).
    pub(super) fn in_flight(&self, kind: &str) -> Option<&Request> {
        self.in_flight.get(kind)
    }

    /// Nothing of this kind is wanted any more: its failure is not said.
    pub(super) fn not_wanted(&mut self, kind: &str) {
        self.failed.remove(kind);
    }

    /// What was asked is to be asked again (the file or the staged edits
    /// changed): nothing is in flight, nothing has failed.
    pub(super) fn forget(&mut self) {
        self.in_flight.clear();
        self.failed.clear();
    }

    /// Why a read the view waits for failed, if one did (the first reason
    /// in order, so that the line does not flicker between several).
    pub(super) fn failure(&self) -> Option<&String> {
        self.failed.values().min()
    }

    /// Said when a read the user waits for has taken `stuck_after` (the
    /// worker may be stuck in HDF5 on a damaged file; keys still work).
    pub fn stuck_note(&self, now: Instant) -> Option<String> {
        let (kind, _) = (self.asked_at.iter())
            .filter(|(kind, _)| self.latest.contains_key(*kind) && !self.scans.contains_key(*kind))
            .filter(|(_, &at)| now.saturating_duration_since(at) >= self.stuck_after)
            .min_by_key(|(_, &at)| at)?;
        let kind = kind.split(':').next().unwrap_or(kind);
        Some(format!(
            "still reading ({kind})… the file may be damaged; q quits"
        ))
    }

    /// The background scans still running, the one the user asked for last
    /// named first.
    pub(super) fn scan_note(&self) -> Option<String> {
        let mut scans: Vec<(&u64, &String)> = self
            .scans
            .iter()
            .filter_map(|(kind, what)| self.latest.get(kind).map(|seq| (seq, what)))
            .collect();
        scans.sort();
        let newest = scans.last()?.1;
        let kinds: BTreeSet<&String> = scans.iter().map(|(_, w)| *w).collect();
        Some(match kinds.len() {
            1 => format!("{newest}…"),
            n => format!("{newest}… (+{} more)", n - 1),
        })
    }
}
