//! `vh5 completions SHELL` writes a completion script for each shell.

mod common;

use common::*;

#[test]
fn completion_scripts_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _vh5"),
        ("zsh", "#compdef vh5"),
        ("fish", "complete -c vh5"),
    ] {
        let out = vh5(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.contains(marker),
            "{shell}: no {marker:?} in\n{script}"
        );
        // Subcommands and their flags are in it.
        for word in ["commit", "allow-empty", "set-current"] {
            assert!(script.contains(word), "{shell}: no {word:?}");
        }
    }
    assert_bad_input(&["completions", "tcsh"]);
    assert_bad_input(&["completions"]);
}

/// `--version` alone and `-V` print the program's version; with a value
/// `--version` is the browser's start version.
#[test]
fn version_alone_prints_the_programs_version() {
    let want = format!("vh5 {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["--version"][..], &["-V"]] {
        let out = vh5(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), want, "{args:?}");
    }
}
