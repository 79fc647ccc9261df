//! The raw VDS reader (`engine::h5raw`) against the C library: every
//! dataset of every file the real versioned-hdf5 writes (the interop
//! fixtures plus tests/interop/h5raw_fixtures.py), and plain h5py virtual
//! datasets in a libver="latest" file, mapping for mapping.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use hdf5_sys::h5i::hid_t;
use hdf5_sys::h5p::{H5Pget_virtual_dsetname, H5Pget_virtual_filename};
use vh5::engine::h5::{self, Layout, ObjType};
use vh5::engine::h5raw::{RawError, RawFile};

/// Every fixture file: the suite's interop set and this test's extras.
fn fixture_files() -> &'static Vec<PathBuf> {
    static FILES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("vh5-h5raw")
            .tempdir()
            .unwrap()
            .keep();
        let d = dir.to_str().unwrap();
        run_python(&repo_root().join("tests/interop/make_fixtures.py"), &[d]);
        run_python(&repo_root().join("tests/interop/h5raw_fixtures.py"), &[d]);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "h5"))
            .collect();
        files.sort();
        files
    })
}

/// Each versioned fixture opened by the engine, from a copy: HDF5 refuses
/// a second open of a file with other locking flags, and the other tests
/// here open the fixtures in parallel. The copy lives as long as the file.
fn versioned_fixtures() -> impl Iterator<
    Item = (
        &'static PathBuf,
        tempfile::NamedTempFile,
        vh5::engine::Vh5File,
    ),
> {
    fixture_files().iter().filter_map(|path| {
        let copy = tempfile::NamedTempFile::new().unwrap();
        std::fs::copy(path, copy.path()).unwrap();
        let file = vh5::engine::Vh5File::open(copy.path()).unwrap();
        file.is_versioned().then_some((path, copy, file))
    })
}

fn fixture(name: &str) -> PathBuf {
    fixture_files()
        .iter()
        .find(|p| p.file_name().unwrap() == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .clone()
}

/// Opens a fixture through HDF5 the way vh5's readers do (no file lock):
/// tests running beside each other open the same files, and HDF5 refuses
/// a second open of one file with other locking flags.
fn open_h5(path: impl AsRef<std::path::Path>) -> hdf5::Result<hdf5::File> {
    hdf5::File::with_options()
        .with_fapl(|p| p.file_locking(false))
        .open(path)
}

/// Every dataset path in a file, found through `h5::object_addr`.
fn datasets(file: &hdf5::File) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec!["/".to_string()];
    while let Some(group) = stack.pop() {
        let g = file.group(&group).unwrap();
        for name in g.member_names().unwrap() {
            let path = format!("{}/{name}", group.trim_end_matches('/'));
            match h5::object_addr(file.id(), &path).unwrap() {
                Some((_, ObjType::Group)) => stack.push(path),
                Some((addr, ObjType::Dataset)) => out.push((path, addr)),
                Some(_) => {}
                None => panic!("{path}: listed but not found"),
            }
        }
    }
    out.sort();
    out
}

fn c_name(
    dcpl: hid_t,
    i: usize,
    f: unsafe extern "C" fn(hid_t, usize, *mut std::os::raw::c_char, usize) -> isize,
) -> String {
    let n = h5::locked(|| unsafe { f(dcpl, i, std::ptr::null_mut(), 0) });
    assert!(n >= 0);
    let mut buf = vec![0u8; n as usize + 1];
    h5::locked(|| unsafe { f(dcpl, i, buf.as_mut_ptr().cast(), buf.len()) });
    buf.truncate(n as usize);
    String::from_utf8(buf).unwrap()
}

#[derive(Debug, Default)]
struct Tally {
    datasets: usize,
    virtual_datasets: usize,
    mappings: usize,
    refused: Vec<String>,
}

/// Compares the raw reader with the C library on every dataset of a file.
fn compare_file(path: &Path, tally: &mut Tally) {
    let label = path.file_name().unwrap().to_string_lossy().into_owned();
    let raw = RawFile::open(path).unwrap();
    let file = open_h5(path).unwrap();
    for (name, addr) in datasets(&file) {
        let what = format!("{label}:{name}");
        tally.datasets += 1;
        let ds = file.dataset(&name).unwrap();
        let dcpl = h5::dataset_dcpl(ds.id()).unwrap();
        let got = raw.vds_layout(addr);
        if h5::layout(dcpl.id()) != Layout::Virtual {
            assert!(
                matches!(got, Err(RawError::NotVirtual(_))),
                "{what}: not virtual, raw says {got:?}"
            );
            continue;
        }
        tally.virtual_datasets += 1;
        let leaf = name.rsplit('/').next().unwrap();
        if leaf.starts_with("unsupported_") {
            assert!(
                matches!(got, Err(RawError::Unsupported(_))),
                "{what}: expected a refusal, got {got:?}"
            );
            tally.refused.push(what);
            continue;
        }
        let got = got.unwrap_or_else(|e| panic!("{what}: {e}"));
        let (shape, max) = h5::dataset_extent(ds.id()).unwrap();
        let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let max: Vec<Option<u64>> = max.iter().map(|d| d.map(|d| d as u64)).collect();
        assert_eq!(got.shape, shape, "{what}: shape");
        assert_eq!(got.maxshape, max, "{what}: maxshape");
        let want = h5::virtual_mappings(dcpl.id()).unwrap();
        assert_eq!(got.mappings.len(), want.len(), "{what}: mapping count");
        for (i, (g, w)) in got.mappings.iter().zip(&want).enumerate() {
            assert_eq!(&g.to_mapping(), w, "{what}: mapping {i}");
            let file_name = c_name(dcpl.id(), i, H5Pget_virtual_filename);
            let dset_name = c_name(dcpl.id(), i, H5Pget_virtual_dsetname);
            assert_eq!(&*g.source_file, file_name, "{what}: mapping {i} file");
            assert_eq!(&*g.source_dataset, dset_name, "{what}: mapping {i} dataset");
        }
        tally.mappings += want.len();
    }
}

#[test]
fn raw_mappings_equal_the_c_library_on_every_versioned_hdf5_file() {
    let mut tally = Tally::default();
    let mut files = 0;
    for path in fixture_files() {
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("latest") {
            continue;
        }
        compare_file(path, &mut tally);
        files += 1;
    }
    eprintln!("versioned-hdf5 files: {files}, {tally:?}");
    assert!(files >= 6, "fixtures missing");
    assert!(tally.refused.is_empty());
    assert!(
        tally.virtual_datasets > 50 && tally.mappings > 1000,
        "{tally:?}"
    );
}

#[test]
fn libver_latest_files_use_the_new_encodings() {
    // versioned-hdf5 on a libver="latest" file, and plain h5py VDSs.
    for (name, want_sb) in [("vlatest.h5", 3), ("latest.h5", 3), ("big.h5", 0)] {
        let raw = RawFile::open(fixture(name)).unwrap();
        assert_eq!(raw.superblock_version(), want_sb, "{name}");
    }
    let mut tally = Tally::default();
    compare_file(&fixture("latest.h5"), &mut tally);
    eprintln!("latest.h5: {tally:?}");
    assert_eq!(tally.refused.len(), 3, "{tally:?}");
    assert!(
        tally.virtual_datasets >= 7 && tally.mappings >= 10,
        "{tally:?}"
    );
}

#[test]
fn object_addr_reports_missing_links() {
    let file = open_h5(fixture("big.h5")).unwrap();
    for missing in ["/nope", "/nope/deeper", "/_version_data/nope/x", "nope"] {
        assert_eq!(
            h5::object_addr(file.id(), missing).unwrap(),
            None,
            "{missing}"
        );
    }
    let (_, kind) = h5::object_addr(file.id(), "_version_data/versions/v1/big")
        .unwrap()
        .unwrap();
    assert_eq!(kind, ObjType::Dataset);
    let (_, kind) = h5::object_addr(file.id(), "/").unwrap().unwrap();
    assert_eq!(kind, ObjType::Group);
}

#[test]
fn a_large_version_has_one_mapping_per_chunk() {
    let path = fixture("big.h5");
    let raw = RawFile::open(&path).unwrap();
    let file = open_h5(&path).unwrap();
    let (addr, _) = h5::object_addr(file.id(), "/_version_data/versions/v1/big")
        .unwrap()
        .unwrap();
    let l = raw.vds_layout(addr).unwrap();
    assert_eq!(l.shape, vec![6112]);
    assert_eq!(l.mappings.len(), 612);
}

/// Not a test: `cargo test --test h5raw_interop -- --ignored --nocapture`
/// prints the median cost per version of both readers.
#[test]
#[ignore]
fn timing_raw_vs_c() {
    use std::time::Instant;
    let path = fixture("big.h5");
    let file = open_h5(&path).unwrap();
    let raw = RawFile::open(&path).unwrap();
    let name = "/_version_data/versions/v1/big";
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let runs = 200;
    let mut c_times = Vec::new();
    let mut raw_times = Vec::new();
    let mut raw_only = Vec::new();
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let ds = file.dataset(name).unwrap();
        let dcpl = h5::dataset_dcpl(ds.id()).unwrap();
        let m = h5::virtual_mappings(dcpl.id()).unwrap();
        let _ = h5::dataset_extent(ds.id()).unwrap();
        c_times.push(t.elapsed().as_secs_f64() * 1e6);
        drop((ds, dcpl));
        let t = Instant::now();
        let (addr, _) = h5::object_addr(file.id(), name).unwrap().unwrap();
        let t2 = Instant::now();
        let l = raw.vds_layout(addr).unwrap();
        raw_only.push(t2.elapsed().as_secs_f64() * 1e6);
        raw_times.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(l.mappings.len(), m.len());
        n = m.len();
    }
    eprintln!(
        "{n} mappings, median of {runs}: C API {:.0} us, raw {:.0} us (of which object_addr {:.0} us)",
        median(c_times),
        median(raw_times.clone()),
        median(raw_times) - median(raw_only),
    );
}

/// Every version's chunk map as the engine reads it on a read-only handle
/// (the byte reader, never HDF5's) equals the map HDF5 gives a writable
/// handle, on every committed version and dataset of every versioned
/// fixture.
#[test]
fn engine_maps_come_from_the_bytes_and_equal_hdf5s() {
    use vh5::engine::chunkindex::hdf5_map_reads;
    use vh5::engine::{NodeKind, Vh5File};
    let mut compared = 0;
    for path in fixture_files() {
        let copy = tempfile::NamedTempFile::new().unwrap();
        std::fs::copy(path, copy.path()).unwrap();
        let mut fast = Vec::new();
        {
            let file = Vh5File::open(copy.path()).unwrap();
            if !file.is_versioned() {
                continue;
            }
            let before = hdf5_map_reads();
            for v in file.graph().unwrap().committed() {
                for node in file.walk(v, "/").unwrap() {
                    if node.kind == NodeKind::Dataset {
                        let map = file.chunk_map_of(&v.name, &node.path).unwrap();
                        fast.push((v.clone(), node.path, map));
                    }
                }
            }
            let fallbacks = hdf5_map_reads() - before;
            assert_eq!(fallbacks, 0, "{}: maps read through HDF5", path.display());
        }
        let file = Vh5File::open_rw(copy.path()).unwrap();
        for (v, p, map) in fast {
            let ds = file.dataset(&v, &p).unwrap();
            let slow = ds.chunk_map().unwrap();
            assert_eq!(map.as_deref(), slow, "{} {} {p}", path.display(), v.name);
            // What versioned-hdf5 writes is kept as slot numbers, not blocks.
            let slotted = map
                .as_deref()
                .is_none_or(|m| m.stored_positions().all(|k| m.slot_at(k).is_some()));
            assert!(slotted, "{} {} {p}: kept as blocks", path.display(), v.name);
            compared += 1;
        }
    }
    assert!(compared > 200, "only {compared} maps compared");
    eprintln!("{compared} engine chunk maps equal HDF5's");
}

/// A version dataset opened from the file's bytes (`Vh5File::dataset`)
/// has exactly the metadata and values HDF5's own open gives
/// (`dataset_via_hdf5`), on every committed version and dataset of every
/// versioned fixture.
#[test]
fn datasets_from_bytes_equal_hdf5s() {
    use vh5::engine::NodeKind;
    let (mut compared, mut from_bytes) = (0, 0);
    for (path, _copy, file) in versioned_fixtures() {
        for v in file.graph().unwrap().committed() {
            for node in file.walk(v, "/").unwrap() {
                if node.kind != NodeKind::Dataset {
                    continue;
                }
                let fast = file.dataset(v, &node.path).unwrap();
                let slow = file.dataset_via_hdf5(v, &node.path).unwrap();
                let at = format!("{} {} {}", path.display(), v.name, node.path);
                assert!(!slow.opened_from_bytes(), "{at}");
                from_bytes += fast.opened_from_bytes() as usize;
                assert_eq!(fast.meta, slow.meta, "{at}");
                assert_eq!(fast.read_all().unwrap(), slow.read_all().unwrap(), "{at}");
                compared += 1;
            }
        }
    }
    assert!(
        from_bytes > 200,
        "only {from_bytes} of {compared} opened from bytes"
    );
    eprintln!("{from_bytes} of {compared} datasets opened from bytes equal HDF5's");
}

/// The diff's shortcuts never hide a change: for every pair of committed
/// versions of every fixture and every dataset in both, a pair whose
/// header and mapping list bytes are equal (`BytesVerdict::Same`) compares
/// equal down to the cells through the full path, and one whose attribute
/// messages are equal (`SameAttrs`) has equal attributes through HDF5.
/// And they apply to most pairs.
#[test]
fn datasets_the_bytes_call_the_same_are_the_same() {
    use vh5::engine::diff::{dataset_change, Depth};
    use vh5::engine::{BytesVerdict, NodeKind};
    let (mut same, mut unchanged, mut same_attrs, mut equal_attrs) = (0, 0, 0, 0);
    for (path, _copy, file) in versioned_fixtures() {
        let versions: Vec<_> = file.graph().unwrap().committed().cloned().collect();
        for a in &versions {
            for b in &versions {
                for node in file.walk(b, "/").unwrap() {
                    let in_a = file
                        .node(a, &node.path)
                        .is_ok_and(|n| n.kind == NodeKind::Dataset);
                    if node.kind != NodeKind::Dataset || !in_a {
                        continue;
                    }
                    let (da, db) = (
                        file.dataset_via_hdf5(a, &node.path).unwrap(),
                        file.dataset_via_hdf5(b, &node.path).unwrap(),
                    );
                    let change = dataset_change(&da, &db, Depth::Cells).unwrap();
                    let verdict = file.dataset_bytes_verdict(&a.name, &b.name, &node.path);
                    let by_bytes = verdict == BytesVerdict::Same;
                    let at = format!("{} {} {} {}", path.display(), a.name, b.name, node.path);
                    assert!(!(by_bytes && change.is_change()), "{at}: {change:?}");
                    let attrs_equal = change.attrs.is_empty();
                    if verdict == BytesVerdict::SameAttrs {
                        assert!(attrs_equal, "{at}: {:?}", change.attrs);
                    }
                    same += by_bytes as usize;
                    unchanged += !change.is_change() as usize;
                    same_attrs += (verdict != BytesVerdict::Unknown) as usize;
                    equal_attrs += attrs_equal as usize;
                }
            }
        }
    }
    assert!(
        same * 2 > unchanged,
        "only {same} of {unchanged} unchanged pairs by bytes"
    );
    assert!(
        same_attrs * 2 > equal_attrs,
        "only {same_attrs} of {equal_attrs} pairs with equal attributes by bytes"
    );
    eprintln!("{same} of {unchanged} unchanged dataset pairs told by their bytes");
    eprintln!("{same_attrs} of {equal_attrs} with equal attributes told by their bytes");
}

/// Every version group's `committed` flag and string attributes read from
/// its header's bytes (as the version list and every write's leftover check
/// read them) equal HDF5's reading, on every versioned fixture
/// (libver="latest" included).
#[test]
fn committed_flags_from_the_bytes_equal_hdf5s() {
    let mut compared = 0;
    for path in fixture_files() {
        let file = open_h5(path).unwrap();
        let Ok(versions) = file.group("/_version_data/versions") else {
            continue;
        };
        let raw = RawFile::open(path).unwrap();
        for (name, addr) in h5::link_addresses(versions.id()).unwrap() {
            let Some(addr) = addr else { continue };
            let attr = versions.group(&name).unwrap().attr("committed");
            let want = attr.ok().map(|a| a.read_scalar::<bool>().unwrap());
            let got = raw.small_attr(addr, "committed").unwrap();
            assert_eq!(got.map(|b| b == [1]), want, "{path:?} {name}");
            // The two string attributes, through the global heap.
            let group = versions.group(&name).unwrap();
            for key in ["prev_version", "timestamp"] {
                let want = group.attr(key).ok().map(|a| {
                    a.read_scalar::<hdf5::types::VarLenUnicode>()
                        .map(|s| s.as_str().to_string())
                        .unwrap()
                });
                let got = raw.string_attr(addr, key).unwrap();
                assert_eq!(got, want, "{path:?} {name} {key}");
            }
            compared += 1;
        }
    }
    assert!(compared >= 30, "only {compared} version groups");
}

/// The version graph read from the headers' bytes (a read-only open)
/// equals the one read through HDF5 (a writable open reads no bytes), on
/// every fixture: names, parents, timestamps as stored, committed flags.
#[test]
fn version_graphs_from_the_bytes_equal_hdf5s() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for path in fixture_files() {
        let Ok(read_only) = vh5::engine::Vh5File::open(path) else {
            continue;
        };
        if !read_only.is_versioned() {
            continue;
        }
        let copy = dir.path().join(path.file_name().unwrap());
        std::fs::copy(path, &copy).unwrap();
        let writable = vh5::engine::Vh5File::open_rw(&copy).unwrap();
        let (a, b) = (read_only.graph().unwrap(), writable.graph().unwrap());
        assert_eq!(a.all(), b.all(), "{path:?}");
        compared += a.all().len();
    }
    assert!(compared >= 30, "only {compared} versions");
}

/// Cell counts of diffs between consecutive versions of every fixture:
/// where several changed chunks are gzip-compressed, they are decoded by
/// `engine::codec` on the workers (counted), not by HDF5's pipeline.
#[test]
fn far_diffs_decode_changed_chunks_outside_hdf5() {
    use vh5::engine::diff::Depth;
    let (before, inflated) = (
        vh5::engine::diff::chunks_decoded_on_workers(),
        vh5::engine::codec::inflated_chunks(),
    );
    for path in fixture_files() {
        let Ok(file) = vh5::engine::Vh5File::open(path) else {
            continue;
        };
        if !file.is_versioned() {
            continue;
        }
        let versions: Vec<_> = file.graph().unwrap().committed().cloned().collect();
        for pair in versions.windows(2) {
            // Damaged or odd fixtures may refuse; only the count matters.
            let _ = file.diff(&pair[0], &pair[1], "/", Depth::Cells);
        }
    }
    // Only diffs decode on those workers; the inflate count says it was
    // `codec`'s deflate (other tests here add to that one too).
    assert!(vh5::engine::diff::chunks_decoded_on_workers() > before);
    assert!(vh5::engine::codec::inflated_chunks() > inflated);
}
