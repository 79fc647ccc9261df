//! `vh5 check FILE [--json] [--repair]`: is the file sound? Exit 0 when
//! it is, 2 when the check found damage or leftovers, 1 when it could not
//! read (or, with `--repair`, write) the file.

use std::path::Path;
use std::time::Instant;

use serde_json::{json, Map, Value as Json};

use super::output::{print_error, print_json, print_text, with_progress};
use crate::engine::check::{self, CheckReport, Problem, Reader, RowSpan};
use crate::engine::debris::{remove_stale_temp_files, Debris};
use crate::engine::progress::never;
use crate::engine::{Result, Vh5File};

/// Runs the check and returns the exit code.
pub fn run(file: &Path, json: bool, repair: bool) -> i32 {
    match check_file(file, json, repair) {
        Ok(report) if report.is_sound() => 0,
        Ok(_) => 2,
        Err(e) => {
            print_error(&e);
            1
        }
    }
}

fn check_file(file: &Path, json: bool, repair: bool) -> Result<CheckReport> {
    let repaired = match repair {
        true => Some(remove_debris(file)?),
        false => None,
    };
    let started = Instant::now();
    let report = {
        let f = Vh5File::open(file)?;
        with_progress(|p| check::check(&f, p, &never))?
    };
    let seconds = started.elapsed().as_secs_f64();
    match json {
        true => print_json(&report_json(&report, repaired.as_ref(), seconds))?,
        false => print_text(&report_text(file, &report, repaired.as_ref(), seconds))?,
    }
    Ok(report)
}

/// Removes what no version can reach; opens the file for writing (whose
/// lock keeps other writers out) only when a version group must go.
fn remove_debris(file: &Path) -> Result<Debris> {
    let groups = Vh5File::open(file)?.uncommitted_versions()?;
    if groups.is_empty() {
        return Ok(Debris {
            temp_files: remove_stale_temp_files(file),
            ..Debris::default()
        });
    }
    Vh5File::open_rw(file)?.remove_debris()
}

fn report_text(file: &Path, r: &CheckReport, repaired: Option<&Debris>, seconds: f64) -> String {
    let mut out = String::new();
    if let Some(d) = repaired {
        out.push_str(&repair_text(d));
    }
    if !r.versioned {
        out.push_str(&format!(
            "{}: a plain HDF5 file: nothing versioned to check\n",
            file.display()
        ));
        return out;
    }
    out.push_str(&format!(
        "checked {}: {} versions, {} datasets, {} mappings; {} chunks read back \
         ({} stored, {} decoded) in {seconds:.2} s ({})\n",
        file.display(),
        r.versions_checked,
        r.datasets_checked,
        r.mappings_checked,
        r.chunks_checked,
        megabytes(r.bytes_checked),
        megabytes(r.bytes_decoded),
        rate(r.bytes_checked, seconds),
    ));
    match r.problems.len() {
        0 => out.push_str("sound\n"),
        1 => out.push_str("1 problem:\n"),
        n => out.push_str(&format!("{n} problems:\n")),
    }
    for p in &r.problems {
        out.push_str(&format!("{}: {}\n", p.kind(), p.message()));
    }
    out
}

fn repair_text(d: &Debris) -> String {
    let mut out = String::new();
    for v in &d.uncommitted {
        out.push_str(&format!("removed version group {v} (never committed)\n"));
    }
    if let Some(current) = &d.current_reset {
        let name = current.as_deref().unwrap_or("none");
        out.push_str(&format!("current version set back to {name}\n"));
    }
    for f in &d.temp_files {
        out.push_str(&format!("removed temporary file {}\n", f.display()));
    }
    if d.is_empty() {
        out.push_str("nothing to remove\n");
    }
    out
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn rate(bytes: u64, seconds: f64) -> String {
    match seconds > 0.0 {
        true => format!("{:.1} MB/s", bytes as f64 / 1e6 / seconds),
        false => "-".into(),
    }
}

fn report_json(r: &CheckReport, repaired: Option<&Debris>, seconds: f64) -> Json {
    let mut doc = json!({
        "sound": r.is_sound(),
        "versioned": r.versioned,
        "versions_checked": r.versions_checked,
        "datasets_checked": r.datasets_checked,
        "mappings_checked": r.mappings_checked,
        "chunks_checked": r.chunks_checked,
        "bytes_checked": r.bytes_checked,
        "bytes_decoded": r.bytes_decoded,
        "seconds": seconds,
        "problems": r.problems.iter().map(problem_json).collect::<Vec<_>>(),
    });
    if let Some(d) = repaired {
        doc["repaired"] = json!({
            "uncommitted_versions": d.uncommitted,
            "current_version": d.current_reset,
            "temporary_files": d.temp_files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        });
    }
    doc
}

/// `kind`, `message`, then what names the place.
fn problem_json(p: &Problem) -> Json {
    let mut doc = Map::new();
    doc.insert("kind".into(), json!(p.kind()));
    doc.insert("message".into(), json!(p.message()));
    let Json::Object(details) = details_json(p) else {
        unreachable!("details are an object")
    };
    doc.extend(details);
    Json::Object(doc)
}

fn details_json(p: &Problem) -> Json {
    match p {
        Problem::HashMismatch {
            dataset,
            slot,
            readers,
        } => {
            json!({"dataset": dataset, "slot": slot, "versions": names(readers), "readers": readers_json(readers)})
        }
        Problem::UnreadableChunk {
            dataset,
            slot,
            readers,
            reason,
        } => {
            json!({"dataset": dataset, "slot": slot, "versions": names(readers), "readers": readers_json(readers), "reason": reason})
        }
        Problem::HashRowOutsideRawData {
            dataset,
            rows,
            raw_rows,
        } => json!({"dataset": dataset, "rows": spans_json(rows), "raw_data_rows": raw_rows}),
        Problem::MalformedHashRow { dataset, rows } => {
            json!({"dataset": dataset, "rows": spans_json(rows)})
        }
        Problem::ConflictingHashRows {
            dataset,
            slot,
            rows,
        } => json!({"dataset": dataset, "slot": slot, "rows": rows}),
        Problem::MissingParent {
            version,
            parent,
            uncommitted,
        } => json!({"version": version, "parent": parent, "uncommitted": uncommitted}),
        Problem::VersionCycle { versions } => json!({ "versions": versions }),
        Problem::MissingCurrentVersion { name, uncommitted } => {
            json!({"version": name, "uncommitted": uncommitted})
        }
        Problem::MappingOutsideRawData {
            dataset,
            version,
            chunks,
        }
        | Problem::MappingWithoutHashRow {
            dataset,
            version,
            chunks,
        } => json!({"dataset": dataset, "version": version, "chunks": chunks}),
        Problem::MissingRawData {
            dataset,
            version,
            raw_data,
        } => json!({"dataset": dataset, "version": version, "raw_data": raw_data}),
        Problem::Unreadable {
            version,
            dataset,
            reason,
            ..
        } => json!({"version": version, "dataset": dataset, "reason": reason}),
        Problem::IncompleteStorage { dataset, missing } => {
            json!({"dataset": dataset, "missing": missing})
        }
        Problem::UncommittedVersion { version } => json!({ "version": version }),
        Problem::OrphanedSlots {
            dataset,
            slots,
            bytes,
        } => json!({"dataset": dataset, "slots": slots, "bytes": bytes}),
        Problem::StaleTemporaryFile { file, bytes } => {
            json!({"file": file.display().to_string(), "bytes": bytes})
        }
    }
}

fn names(readers: &[Reader]) -> Vec<&str> {
    readers.iter().map(|r| r.version.as_str()).collect()
}

fn readers_json(readers: &[Reader]) -> Json {
    (readers.iter())
        .map(|r| json!({"version": r.version, "chunks": r.chunks}))
        .collect()
}

fn spans_json(rows: &[RowSpan]) -> Json {
    (rows.iter())
        .map(|r| json!({"row": r.row, "start": r.start, "stop": r.stop}))
        .collect()
}
