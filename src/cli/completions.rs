//! `vh5 completions SHELL`: a completion script for bash, zsh or fish,
//! generated from the same clap definition the command line parses with.

use clap::ValueEnum;

use super::output::print_text;
use crate::engine::Result;

/// The shells `vh5 completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Writes the script to stdout.
pub fn run(shell: Shell, cmd: &mut clap::Command) -> Result<()> {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(generator, cmd, "vh5", &mut script);
    print_text(&String::from_utf8_lossy(&script))
}
