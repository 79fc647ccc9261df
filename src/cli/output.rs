//! Shared output: JSON documents, errors on one line, exit on usage errors.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};

use serde_json::Value as Json;

use crate::engine::progress::Progress;
use crate::engine::{Error, Result};

/// Writes one JSON document to stdout.
pub fn print_json(doc: &Json) -> Result<()> {
    print_text(&format!("{doc}\n"))
}

/// Writes text to stdout; a closed pipe (`vh5 cat ... | head`) is not an error.
pub fn print_text(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::runtime(e.to_string())),
        _ => Ok(()),
    }
}

/// Runs `f` with a progress callback drawing on stderr (or drawing nothing).
pub fn with_progress<T>(f: impl FnOnce(&mut dyn FnMut(&Progress)) -> Result<T>) -> Result<T> {
    if !std::io::stderr().is_terminal() {
        return f(&mut |_| {});
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = f(&mut |p: &Progress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(p.message.clone());
    });
    bar.finish_and_clear();
    result
}

/// Rows as aligned columns (`right[i]`: right-align column i).
pub fn table<const N: usize>(rows: &[[String; N]], right: &[bool; N]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths.iter().zip(right))
            .map(|(cell, (&w, &r))| match r {
                true => format!("{cell:>w$}"),
                false => format!("{cell:<w$}"),
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

pub fn print_error(e: &Error) {
    eprintln!("vh5: {}", e.message.replace('\n', " "));
}

/// clap's own help and version go to stdout with exit 0; usage errors
/// become one line on stderr with exit 2.
pub fn usage_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind as K;
    if matches!(
        e.kind(),
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
            2
        } else {
            0
        };
    }
    let text = e.render().to_string();
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid arguments");
    eprintln!(
        "vh5: {} (see vh5 --help)",
        first.trim_start_matches("error: ")
    );
    2
}

/// A panic is a bug; it must still end in one line, never a backtrace.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown error".into());
        eprintln!("vh5: internal error: {msg}");
    }));
}
