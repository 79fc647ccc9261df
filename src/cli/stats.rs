//! `vh5 stats`: where a file's bytes are.

use serde_json::{json, Map, Value as Json};

use super::output::{print_json, print_text, table};
use crate::engine::stats::{human_bytes, ratio, ratio_text, DatasetStorage, StorageStats};
use crate::engine::{progress, Result, Vh5File};

pub fn run(file: &Vh5File, json: bool) -> Result<()> {
    let stats = file.storage_stats(&progress::never)?;
    if json {
        return print_json(&stats_json(&stats));
    }
    print_text(&human(&stats))
}

fn dataset_json(d: &DatasetStorage) -> Json {
    json!({
        "raw_slots": d.raw_slots,
        "used_slots": d.used_slots,
        "orphaned_slots": d.orphaned_slots,
        "orphaned_stored_bytes": d.orphaned_stored_bytes,
        "logical_bytes": d.logical_bytes,
        "mapped_bytes": d.mapped_bytes,
        "referenced_bytes": d.referenced_bytes,
        "stored_bytes": d.stored_bytes,
        "hash_table_bytes": d.hash_table_bytes,
        "item_size": d.item_size,
    })
}

/// The `stats --json` document (cli.md; the keys beyond the contract's are
/// explained in `engine::stats`).
pub fn stats_json(stats: &StorageStats) -> Json {
    let datasets: Map<String, Json> = stats
        .datasets
        .iter()
        .map(|d| (d.path.clone(), dataset_json(d)))
        .collect();
    let versions: Vec<Json> = stats
        .versions
        .iter()
        .map(|v| {
            json!({
                "name": v.version.name,
                "timestamp": v.version.timestamp_iso(),
                "bytes_added": v.bytes_added,
                "bytes_unique": v.bytes_unique,
            })
        })
        .collect();
    json!({
        "file_size": stats.file_size,
        "logical_bytes": stats.logical_bytes(),
        "stored_bytes": stats.stored_bytes(),
        "dedup_ratio": ratio(stats.logical_bytes(), stats.stored_bytes()),
        "reclaimable_bytes": stats.reclaimable_bytes(),
        "tracked_free_space": stats.tracked_free_space,
        "other_bytes": stats.other_bytes(),
        "datasets": datasets,
        "versions": versions,
    })
}

fn human(stats: &StorageStats) -> String {
    let mut text = format!(
        "file size        {} ({} bytes)\n\
         raw data stored  {}\n\
         all versions     {} if each were stored in full ({} the stored size)\n\
         reclaimable      at least {} (orphaned slots and free space HDF5 tracks)\n\
         other            {} (metadata and untracked free space, not told apart)\n",
        human_bytes(stats.file_size),
        stats.file_size,
        human_bytes(stats.stored_bytes()),
        human_bytes(stats.logical_bytes()),
        ratio_text(stats.logical_bytes(), stats.stored_bytes()),
        human_bytes(stats.reclaimable_bytes()),
        human_bytes(stats.other_bytes()),
    );
    let mut rows = vec![[
        "dataset".to_string(),
        "slots".into(),
        "used".into(),
        "orphaned".into(),
        "logical".into(),
        "stored".into(),
        "ratio".into(),
    ]];
    for d in &stats.datasets {
        rows.push([
            d.path.clone(),
            d.raw_slots.to_string(),
            d.used_slots.to_string(),
            d.orphaned_slots.to_string(),
            human_bytes(d.logical_bytes),
            human_bytes(d.stored_bytes),
            ratio_text(d.logical_bytes, d.stored_bytes),
        ]);
    }
    text.push('\n');
    match stats.datasets.is_empty() {
        true => text.push_str("no versioned datasets: nothing is stored in raw_data\n"),
        false => text.push_str(&table(&rows, &[false, true, true, true, true, true, true])),
    }
    let mut rows = vec![[
        "version".to_string(),
        "timestamp".into(),
        "added".into(),
        "only here".into(),
    ]];
    for v in &stats.versions {
        rows.push([
            v.version.name.clone(),
            v.version.timestamp_iso().unwrap_or_else(|| "-".into()),
            human_bytes(v.bytes_added),
            human_bytes(v.bytes_unique),
        ]);
    }
    text.push('\n');
    text.push_str(&table(&rows, &[false, false, true, true]));
    text.push_str("\n(bytes of versions are uncompressed chunk bytes)\n");
    text
}
