//! The browser without a terminal: the `App`, a synchronous `Service`
//! answering its requests, and ratatui's `TestBackend`. Every frame is
//! deterministic; the snapshot tests and the browser benchmark drive it.

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::app::App;
use super::worker::{Answer, Command, CommandReply, Request, Service};
use crate::engine::Result;

/// Rounds of render and answer a settle may take: the app asks for more
/// only as long as the view is not covered.
const MAX_ROUNDS: usize = 100;

/// Where a headless session's time went.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Page requests answered.
    pub pages: u64,
    /// Time answering, per request kind (`summary:v` counted as `summary`).
    pub spent: Vec<(String, usize, Duration)>,
    pub render: Duration,
}

pub struct Headless {
    pub app: App,
    pub service: Service,
    pub terminal: Terminal<TestBackend>,
    pub stats: Stats,
    /// Keep commands' `Done` replies back (to draw a progress popup).
    pub hold_done: bool,
    held: Vec<CommandReply>,
}

impl Headless {
    /// Opens the file; nothing is rendered or answered yet.
    pub fn open(path: &Path, width: u16, height: u16) -> Result<Headless> {
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let terminal = Terminal::new(TestBackend::new(width, height))
            .map_err(|e| crate::engine::Error::runtime(e.to_string()))?;
        Ok(Headless {
            app: App::new(label),
            service: Service::open(path)?,
            terminal,
            stats: Stats::default(),
            hold_done: false,
            held: Vec::new(),
        })
    }

    fn draw(&mut self) {
        let t = Instant::now();
        // A TestBackend cannot fail to draw.
        let _ = self.terminal.draw(|f| self.app.render(f));
        self.stats.render += t.elapsed();
    }

    /// Renders and answers requests until nothing is pending; false if the
    /// app was still asking after `MAX_ROUNDS` rounds.
    pub fn settle(&mut self) -> bool {
        for _ in 0..MAX_ROUNDS {
            self.draw();
            self.app.want_summaries();
            self.app.want_page();
            let commands = self.app.take_commands();
            for (seq, cmd) in &commands {
                self.run_command(*seq, cmd);
            }
            let requests = self.app.take_requests();
            if requests.is_empty() && commands.is_empty() {
                return true;
            }
            for (seq, req) in requests {
                self.answer(seq, req);
            }
        }
        false
    }

    /// Runs a command as the worker would: its progress, then its end.
    fn run_command(&mut self, seq: u64, cmd: &Command) {
        let mut progress = Vec::new();
        let result = self.service.command(
            cmd,
            &mut |p: &crate::engine::progress::Progress| {
                progress.push((p.fraction(), p.message.clone()))
            },
            &|| false,
        );
        for (fraction, text) in progress {
            self.app.on_command_reply(CommandReply::Progress {
                seq,
                fraction,
                text,
            });
        }
        let session = self.service.session();
        let reply = CommandReply::Done {
            seq,
            outcome: result.map_err(|e| e.message),
            pending: session.pending(),
            staged_on: session.staged_on().map(str::to_string),
        };
        if self.hold_done {
            self.held.push(reply);
        } else {
            self.app.on_command_reply(reply);
        }
    }

    /// Delivers the replies held back by `hold_done`.
    pub fn release(&mut self) {
        for r in std::mem::take(&mut self.held) {
            self.app.on_command_reply(r);
        }
        self.settle();
    }

    fn answer(&mut self, seq: u64, req: Request) {
        if matches!(req, Request::Page { .. }) {
            self.stats.pages += 1;
        }
        let t = Instant::now();
        let reply = self
            .service
            .handle(&req, &crate::engine::progress::never)
            .map_err(|e| e.message);
        let kind = req.kind();
        let short = kind.split(':').next().unwrap_or_default().to_string();
        match self.stats.spent.iter_mut().find(|(k, _, _)| *k == short) {
            Some((_, n, d)) => {
                *n += 1;
                *d += t.elapsed();
            }
            None => self.stats.spent.push((short, 1, t.elapsed())),
        }
        self.app.on_answer(Answer { seq, kind, reply });
    }

    /// Presses keys, settling after each.
    pub fn keys(&mut self, keys: &[KeyCode]) {
        for &k in keys {
            self.app.on_key(KeyEvent::new(k, KeyModifiers::NONE));
            self.settle();
        }
    }

    /// Presses one key with modifiers (Ctrl-U), settling after it.
    pub fn chord(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        self.app.on_key(KeyEvent::new(code, modifiers));
        self.settle();
    }

    /// Types text, one key at a time.
    pub fn text(&mut self, s: &str) {
        let codes: Vec<KeyCode> = s.chars().map(KeyCode::Char).collect();
        self.keys(&codes);
    }

    /// Tab to the tree, search `path`, open it in the array pane.
    pub fn show(&mut self, path: &str) {
        self.keys(&[KeyCode::Tab]);
        self.text(path);
        self.keys(&[KeyCode::Enter, KeyCode::Enter]);
    }

    /// The last frame as text, one line per row, trailing blanks trimmed.
    pub fn screen(&self) -> String {
        let buf = self.terminal.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
