//! The `vh5` command line: one small module per subcommand, all on top of
//! the engine. Contract: `shared/docs/cli.md`.

pub mod blame;
pub mod cat;
pub mod check;
pub mod commit;
pub mod completions;
pub mod diff;
pub mod dump;
pub mod log;
pub mod ls;
mod output;
pub mod replay;
pub mod show;
pub mod stats;

use std::path::{Path, PathBuf};

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::engine::{prefault, watchdog};
use crate::engine::{Error, ErrorKind, Result, Version, VersionSpec, Vh5File};
use crate::tui::app::Start;

#[derive(Parser, Debug)]
#[command(
    name = "vh5",
    version,
    about = "Browse, diff and edit versioned HDF5 files (versioned-hdf5 compatible)",
    args_conflicts_with_subcommands = true,
    // `--version V` opens the browser at V; `-V` (or `--version` alone)
    // prints the program's version.
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// File to open in the browser (default: the bundled demo)
    file: Option<PathBuf>,
    /// Node to open the browser at (a group or dataset path)
    path: Option<String>,
    /// Open the browser at this version: a name, 0 (current), -n (n steps
    /// back) or @TIMESTAMP. Alone, without a value: print vh5's version
    #[arg(
        long = "version",
        value_name = "VERSION",
        num_args = 0..=1,
        allow_negative_numbers = true
    )]
    version: Option<Option<String>>,
    /// Print vh5's version
    #[arg(short = 'V')]
    print_version: bool,
}

// `--version V` as the subcommands take it (negative numbers allowed). A
// plain comment: a doc comment would become the `about` of every
// subcommand that flattens it (their arguments are deferred).
#[derive(clap::Args, Debug)]
struct VersionArg {
    /// Version: a name, 0 (current), -n (n steps back) or @TIMESTAMP
    #[arg(
        long = "version",
        allow_negative_numbers = true,
        value_name = "VERSION"
    )]
    version: Option<String>,
}

impl VersionArg {
    fn spec(&self) -> Result<Option<VersionSpec>> {
        self.version.as_deref().map(VersionSpec::parse).transpose()
    }
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)]
// parsed once; boxing would only obscure clap's derive
// Each subcommand's arguments are built only when it is the one invoked
// (building all of them took a `cat` 0.12-0.15 ms).
#[command(defer = true)]
enum Command {
    /// Every version, oldest first
    Log {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Groups and datasets below PATH, recursively
    Ls {
        file: PathBuf,
        path: Option<String>,
        #[command(flatten)]
        version: VersionArg,
        #[arg(long)]
        json: bool,
    },
    /// Everything known about one node
    Show {
        file: PathBuf,
        path: String,
        #[command(flatten)]
        version: VersionArg,
        #[arg(long)]
        json: bool,
    },
    /// Values of a dataset or a slice of it: 'PATH[SLICE]'
    Cat {
        file: PathBuf,
        target: String,
        #[command(flatten)]
        version: VersionArg,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
        /// Allow reading more than 10 million elements
        #[arg(long)]
        force: bool,
    },
    /// What changed from version A to version B (below PATH)
    Diff {
        file: PathBuf,
        #[arg(allow_negative_numbers = true)]
        a: String,
        #[arg(allow_negative_numbers = true)]
        b: String,
        path: Option<String>,
        #[arg(long)]
        json: bool,
        /// List the changed cells (index: old -> new), paged
        #[arg(long)]
        cells: bool,
        /// Changed cells shown per dataset
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Changed cells skipped per dataset
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// Which version wrote each chunk of a dataset
    Blame {
        file: PathBuf,
        path: String,
        #[command(flatten)]
        version: VersionArg,
        #[arg(long)]
        json: bool,
    },
    /// Where the file's bytes are: per dataset and per version
    Stats {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The whole file, canonically, as JSON
    Dump {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Stage edits on a version and commit them as a new version
    Commit {
        #[command(flatten)]
        args: commit::CommitArgs,
        /// 'PATH[INDEX]=VALUE' (VALUE is JSON; a scalar broadcasts)
        #[arg(long, action = ArgAction::Append, value_name = "EDIT")]
        set: Vec<String>,
        /// 'PATH@KEY=VALUE' (JSON value; PATH / is the version group)
        #[arg(long, action = ArgAction::Append, value_name = "EDIT")]
        attr: Vec<String>,
        /// 'PATH@KEY'
        #[arg(long, action = ArgAction::Append, value_name = "EDIT")]
        del_attr: Vec<String>,
        /// 'PATH=[n, m]'
        #[arg(long, action = ArgAction::Append, value_name = "EDIT")]
        resize: Vec<String>,
        /// 'PATH=VALUE' (JSON nested list, or @file.npy)
        #[arg(long, action = ArgAction::Append, value_name = "EDIT")]
        create: Vec<String>,
        /// 'PATH=[n, m]': a dataset holding only its fill value until written
        #[arg(long, action = ArgAction::Append, value_name = "EDIT")]
        create_sparse: Vec<String>,
        /// dtype of the preceding --create
        #[arg(long, action = ArgAction::Append)]
        dtype: Vec<String>,
        /// chunks of the preceding --create, '[c, ...]'
        #[arg(long, action = ArgAction::Append)]
        chunks: Vec<String>,
        /// gzip, lzf or none, for the preceding --create
        #[arg(long, action = ArgAction::Append)]
        compression: Vec<String>,
        /// gzip level for the preceding --create (default 4)
        #[arg(long, action = ArgAction::Append)]
        compression_opts: Vec<String>,
        /// fill value (JSON) of the preceding --create
        #[arg(long, action = ArgAction::Append, allow_negative_numbers = true)]
        fillvalue: Vec<String>,
        /// Make a group
        #[arg(long, action = ArgAction::Append, value_name = "PATH")]
        mkgroup: Vec<String>,
        /// Delete a dataset or group
        #[arg(long, action = ArgAction::Append, value_name = "PATH")]
        delete: Vec<String>,
    },
    /// Delete versions, reclaiming the data only they used
    DeleteVersions {
        file: PathBuf,
        #[arg(required = true, allow_negative_numbers = true)]
        versions: Vec<String>,
    },
    /// Change a dataset's dtype, chunks, compression or fill value in every version
    ModifyMetadata {
        file: PathBuf,
        path: String,
        #[arg(long)]
        dtype: Option<String>,
        /// '[c, ...]'
        #[arg(long)]
        chunks: Option<String>,
        /// gzip, lzf or none
        #[arg(long)]
        compression: Option<String>,
        #[arg(long)]
        compression_opts: Option<String>,
        /// JSON value
        #[arg(long, allow_negative_numbers = true)]
        fillvalue: Option<String>,
    },
    /// Rename a version (its children and the current version follow)
    RenameVersion {
        file: PathBuf,
        old: String,
        new: String,
    },
    /// Write the file anew, giving back the space replays freed
    Compact {
        file: PathBuf,
        /// Write here instead of replacing FILE
        out: Option<PathBuf>,
    },
    /// Verify the file: every stored chunk re-hashed, the versions, every
    /// mapping, leftovers of interrupted writes (exit 0 sound, 2 damage, 1
    /// unreadable)
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Remove never-committed version groups and stale temporary files first
        #[arg(long)]
        repair: bool,
    },
    /// Make VERSION the current version
    SetCurrent {
        file: PathBuf,
        #[arg(allow_negative_numbers = true)]
        version: String,
    },
    /// Print a shell completion script (bash, zsh or fish) to stdout
    Completions {
        #[arg(value_enum)]
        shell: completions::Shell,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    output::install_panic_hook();
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(p) => p,
        Err(e) => return output::usage_error(e),
    };
    if cli.command.is_some() {
        watchdog::enable();
    }
    if let Some(Command::Check { file, json, repair }) = &cli.command {
        // Its own exit codes: 2 means damage found, 1 could not read.
        let checked = std::panic::catch_unwind(|| check::run(file, *json, *repair));
        return checked.unwrap_or(1);
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli, &matches))) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            output::print_error(&e);
            exit_code(&e)
        }
        Err(_) => 1,
    }
}

pub fn exit_code(e: &Error) -> i32 {
    match e.kind {
        ErrorKind::BadInput | ErrorKind::BadFile => 2,
        ErrorKind::Runtime => 1,
    }
}

fn run(cli: Cli, matches: &clap::ArgMatches) -> Result<()> {
    match cli.command {
        Some(Command::Log { file, json }) => log::run(open(&file)?, json),
        Some(Command::Ls {
            file,
            path,
            version,
            json,
        }) => {
            let f = open(&file)?;
            ls::run(
                f,
                &resolve(f, &version)?,
                path.as_deref().unwrap_or("/"),
                json,
            )
        }
        Some(Command::Show {
            file,
            path,
            version,
            json,
        }) => {
            let f = open(&file)?;
            show::run(f, &resolve(f, &version)?, &path, json)
        }
        Some(Command::Cat {
            file,
            target,
            version,
            json,
            csv,
            force,
        }) => {
            let f = open(&file)?;
            let format = match (json, csv) {
                (true, _) => cat::Format::Json,
                (_, true) => cat::Format::Csv,
                _ => cat::Format::Text,
            };
            cat::run(f, &resolve(f, &version)?, &target, format, force)
        }
        Some(Command::Blame {
            file,
            path,
            version,
            json,
        }) => {
            let f = open(&file)?;
            blame::run(f, &resolve(f, &version)?, &path, json)
        }
        Some(Command::Stats { file, json }) => stats::run(open(&file)?, json),
        Some(Command::Dump { file, .. }) => dump::run(open(&file)?),
        Some(Command::Diff {
            file,
            a,
            b,
            path,
            json,
            cells,
            limit,
            offset,
        }) => {
            let f = open(&file)?;
            let va = f.resolve_version(Some(&VersionSpec::parse(&a)?))?;
            let vb = f.resolve_version(Some(&VersionSpec::parse(&b)?))?;
            let path = path.unwrap_or_else(|| "/".into());
            diff::run(
                f,
                &va,
                &vb,
                diff::DiffArgs {
                    path,
                    json,
                    cells,
                    limit,
                    offset,
                },
            )
        }
        Some(Command::Commit { args, .. }) => {
            let sub = matches
                .subcommand_matches("commit")
                .expect("commit matches");
            commit::run(args, commit::ordered_edits(sub)?)
        }
        Some(Command::SetCurrent { file, version }) => commit::run_set_current(&file, &version),
        Some(Command::DeleteVersions { file, versions }) => {
            replay::delete_versions(&file, &versions)
        }
        Some(Command::ModifyMetadata {
            file,
            path,
            dtype,
            chunks,
            compression,
            compression_opts,
            fillvalue,
        }) => {
            let args = replay::ModifyArgs {
                dtype,
                chunks,
                compression,
                compression_opts,
                fillvalue,
            };
            replay::modify_metadata(&file, &path, args)
        }
        Some(Command::RenameVersion { file, old, new }) => {
            replay::rename_version(&file, &old, &new)
        }
        Some(Command::Compact { file, out }) => replay::compact(&file, out.as_deref()),
        Some(Command::Check { .. }) => unreachable!("check runs before the others"),
        Some(Command::Completions { shell }) => completions::run(shell, &mut Cli::command()),
        None => match cli.version {
            // `vh5 --version` (no value) and `vh5 -V`: the program's version.
            Some(None) => output::print_text(&Cli::command().render_version()),
            _ if cli.print_version => output::print_text(&Cli::command().render_version()),
            Some(Some(v)) => browse(cli.file, Some(v), cli.path),
            None => browse(cli.file, None, cli.path),
        },
    }
}

/// Opens FILE for a read-only subcommand. Such a process is short, and
/// its first milliseconds fault in fresh heap pages (HDF5's metadata-cache
/// tables, its type registry, a first inflated chunk): the heap is
/// prepared on the other core meanwhile (`prefault`). The handle lives
/// until the process ends: closing a file only read, its datasets and
/// caches would cost the exit up to 1.5 ms (a 300-dataset diff).
fn open(path: &PathBuf) -> Result<&'static Vh5File> {
    drop(prefault::warm_heap(READ_HEAP));
    Ok(Box::leak(Box::new(Vh5File::open(path)?)))
}

/// The heap a read-only subcommand prepares: about what a `cat` of one
/// chunk touches (3 MiB: 520 faults became 180); more only costs the
/// other core time.
const READ_HEAP: usize = 3 << 20;

fn resolve(file: &Vh5File, arg: &VersionArg) -> Result<Version> {
    file.resolve_version(arg.spec()?.as_ref())
}

/// The bundled demo, next to the binary's sources or installed beside it.
pub fn demo_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("demo.h5")
}

/// `vh5 [FILE] [--version V] [PATH]`: the terminal browser (the bundled
/// demo when no FILE), opened at version V and node PATH when given. Both
/// are checked before the terminal is touched, so a bad one is a plain
/// one-line error.
fn browse(file: Option<PathBuf>, version: Option<String>, path: Option<String>) -> Result<()> {
    let file = file.unwrap_or_else(demo_path);
    let start = if version.is_some() || path.is_some() {
        Some(start_at(&file, version.as_deref(), path.as_deref())?)
    } else {
        None
    };
    crate::tui::run_at(&file, start)
}

/// Resolves where the browser opens: the version's name and the node's
/// normalized path (`None` for `/`, where the tree has no row).
fn start_at(file: &Path, version: Option<&str>, path: Option<&str>) -> Result<Start> {
    let f = Vh5File::open(file)?;
    let spec = version.map(VersionSpec::parse).transpose()?;
    let v = f.resolve_version(spec.as_ref())?;
    let node = match path {
        Some(p) => Some(f.node(&v, p)?.path).filter(|p| p != "/"),
        None => None,
    };
    Ok(Start {
        version: v.name,
        path: node,
    })
}
