//! HDF5 features beyond versioning, as the seed documents teach them: a
//! plain virtual dataset's mappings and the source files HDF5 would not
//! find, filter names and whether this build can apply them, dimension
//! scales. Reading only; the CLI and the browser render what is here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::attrs::{self, Attr};
use super::error::Result;
use super::file::Vh5File;
use super::h5::{self, Handle, ObjType, VirtualSource};
use super::region::Region;
use super::value::Value;

/// Mappings listed one by one (the rest are counted).
pub const SHOWN_MAPPINGS: usize = 10;

/// What a plain virtual dataset maps, as far as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualView {
    /// How many mappings there are.
    pub total: usize,
    /// The first `SHOWN_MAPPINGS` of them.
    pub sources: Vec<VirtualSource>,
    /// Source files HDF5 would not find, each with the virtual selections
    /// it backs (those read as the fill value).
    pub missing: Vec<MissingSource>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSource {
    /// The name as stored in the mapping.
    pub file: String,
    pub regions: Vec<Region>,
}

impl VirtualView {
    /// The first missing source file backing any part of the box
    /// `[start, start + count)` of the dataset.
    pub fn missing_in(&self, start: &[usize], count: &[usize]) -> Option<&MissingSource> {
        let lo: Vec<u64> = start.iter().map(|&s| s as u64).collect();
        let hi: Vec<u64> = start
            .iter()
            .zip(count)
            .map(|(&s, &c)| (s + c) as u64)
            .collect();
        self.missing
            .iter()
            .find(|m| m.regions.iter().any(|r| r.may_touch(&lo, &hi)))
    }
}

impl Vh5File {
    /// The mappings of the plain virtual dataset at `path`: from the file's
    /// bytes where the byte reader understands them, else from HDF5.
    pub(crate) fn virtual_view(&self, path: &str, dcpl: &Handle) -> Result<VirtualView> {
        let (total, sources, files) = match self.raw_virtual(path) {
            Some(found) => found,
            None => {
                let (total, sources) = h5::virtual_sources(dcpl.id(), SHOWN_MAPPINGS)?;
                (total, sources, h5::virtual_file_names(dcpl.id())?)
            }
        };
        Ok(VirtualView {
            total,
            sources,
            missing: missing_sources(&self.path, files),
        })
    }

    /// As `virtual_view` reads it from the file's bytes: the count, the
    /// first mappings, and every mapping's file and virtual selection.
    #[allow(clippy::type_complexity)]
    fn raw_virtual(
        &self,
        path: &str,
    ) -> Option<(usize, Vec<VirtualSource>, Vec<(String, Region)>)> {
        let reader = self.raw_reader()?;
        let (addr, kind) = h5::object_addr(self.h5.id(), path).ok()??;
        if kind != ObjType::Dataset {
            return None;
        }
        let vds = reader.vds_layout(addr).ok()?;
        let extent: Vec<u64> = vds.shape.clone();
        let virt = |m: &super::h5raw::RawMapping| {
            Region::block(
                Some(extent.clone()),
                &m.virtual_block.start,
                &m.virtual_block.count,
            )
        };
        let sources = vds
            .mappings
            .iter()
            .take(SHOWN_MAPPINGS)
            .map(|m| VirtualSource {
                file: m.source_file.to_string(),
                dataset: m.source_dataset.to_string(),
                source: Region::block(None, &m.source_block.start, &m.source_block.count),
                virtual_sel: virt(m),
            })
            .collect();
        let files = vds
            .mappings
            .iter()
            .map(|m| (m.source_file.to_string(), virt(m)))
            .collect();
        Some((vds.mappings.len(), sources, files))
    }
}

/// Groups the mappings whose source file is not found by file.
fn missing_sources(vds_file: &Path, files: Vec<(String, Region)>) -> Vec<MissingSource> {
    let mut found: BTreeMap<String, bool> = BTreeMap::new();
    let mut missing: BTreeMap<String, Vec<Region>> = BTreeMap::new();
    for (file, region) in files {
        let here = *found
            .entry(file.clone())
            .or_insert_with(|| source_found(vds_file, &file));
        if !here {
            missing.entry(file).or_default().push(region);
        }
    }
    missing
        .into_iter()
        .map(|(file, regions)| MissingSource { file, regions })
        .collect()
}

/// Whether HDF5 would find a mapping's source file, looking where
/// `H5F_prefix_open_file` looks: an absolute name as given, then its last
/// component (a relative name as given) under each `HDF5_VDS_PREFIX`
/// entry, the VDS file's directory, the working directory, and the
/// directory of the VDS file's resolved path. `"."` is the VDS file
/// itself; printf-style names (`%b`) stand for many files and are not
/// checked.
pub fn source_found(vds_file: &Path, name: &str) -> bool {
    if name == "." || name.contains('%') {
        return true;
    }
    let given = Path::new(name);
    let mut rel = PathBuf::from(name);
    if given.is_absolute() {
        if given.is_file() {
            return true;
        }
        rel = given.file_name().map(PathBuf::from).unwrap_or_default();
    }
    let dir = vds_file.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut places: Vec<PathBuf> = std::env::var("HDF5_VDS_PREFIX")
        .unwrap_or_default()
        .split(':')
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(p.replace("${ORIGIN}", &dir.to_string_lossy())))
        .collect();
    places.push(dir);
    places.push(PathBuf::new());
    if let Some(real) = std::fs::canonicalize(vds_file)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        places.push(real);
    }
    places.iter().any(|p| p.join(&rel).is_file())
}

/// One axis of a dataset: its label and the dimension scales attached to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dimension {
    /// `DIMENSION_LABELS` (h5py's `dims[i].label`); empty when unset.
    pub label: String,
    pub scales: Vec<Scale>,
}

/// A dimension scale attached to an axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    /// The scale dataset's path in the file.
    pub path: String,
    /// Its `NAME` (h5py's `make_scale(name)`); empty when unset.
    pub name: String,
}

/// The axes of a dataset of rank `rank` from its (already read and
/// resolved) `DIMENSION_LIST` and `DIMENSION_LABELS` attributes, the
/// scales' names read from `file`; empty when it has neither.
pub(crate) fn dimensions(file: &hdf5::File, attrs: &[Attr], rank: usize) -> Vec<Dimension> {
    let attr = |name: &str| attrs.iter().find(|a| a.name == name).map(|a| &a.value);
    let (list, labels) = (attr("DIMENSION_LIST"), attr("DIMENSION_LABELS"));
    if list.is_none() && labels.is_none() {
        return Vec::new();
    }
    let at = |grid: Option<&super::value::ValueGrid>, i: usize| {
        grid.filter(|g| g.len() == rank).map(|g| g.get(i))
    };
    (0..rank)
        .map(|i| Dimension {
            label: match at(labels, i) {
                Some(Value::Str(s)) => s,
                Some(Value::Bytes(b)) => b.iter().map(|&c| c as char).collect(),
                _ => String::new(),
            },
            scales: match at(list, i) {
                Some(Value::List(refs)) => refs
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Ref(Some(t)) => Some(scale(file, t.path)),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
        })
        .collect()
}

fn scale(file: &hdf5::File, path: String) -> Scale {
    let name = file
        .dataset(&path)
        .ok()
        .and_then(|ds| attrs::string_attr(&ds, "NAME").ok().flatten())
        .unwrap_or_default();
    Scale { path, name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_looked_for_beside_the_vds_file() {
        let dir = tempfile::tempdir().unwrap();
        let vds = dir.path().join("vds.h5");
        std::fs::write(dir.path().join("src.h5"), b"x").unwrap();
        assert!(source_found(&vds, "."));
        assert!(source_found(&vds, "src.h5"));
        assert!(!source_found(&vds, "missing.h5"));
        // An absolute name that moved: its last component, beside the VDS.
        assert!(source_found(&vds, "/elsewhere/gone/src.h5"));
        assert!(!source_found(&vds, "/elsewhere/gone/missing.h5"));
        assert!(source_found(&vds, "/data/run_%b.h5"));
    }

    #[test]
    fn missing_files_are_grouped_with_the_selections_they_back() {
        let dir = tempfile::tempdir().unwrap();
        let vds = dir.path().join("vds.h5");
        let row = |r: usize| Region::block(Some(vec![3, 4]), &[r, 0], &[1, 4]);
        let view = VirtualView {
            total: 3,
            sources: Vec::new(),
            missing: missing_sources(
                &vds,
                vec![
                    (".".into(), row(0)),
                    ("gone.h5".into(), row(1)),
                    ("gone.h5".into(), row(2)),
                ],
            ),
        };
        assert_eq!(view.missing.len(), 1);
        assert_eq!(view.missing[0].regions.len(), 2);
        assert!(view.missing_in(&[0, 0], &[1, 4]).is_none());
        assert_eq!(view.missing_in(&[0, 2], &[2, 1]).unwrap().file, "gone.h5");
    }

    /// A plain VDS of single-box mappings (what the byte reader reads)
    /// and one of strided ones (what only HDF5 reads).
    fn vds_file(dir: &Path) -> PathBuf {
        let path = dir.join("vds.h5");
        let f = hdf5::File::create(&path).unwrap();
        f.new_dataset::<i64>().shape(8).create("src").unwrap();
        let mut boxes = f.new_dataset::<i64>().shape((2, 4));
        for row in 0..2 {
            boxes = boxes
                .virtual_map(".", "/src", 8, row * 4..row * 4 + 4, (2, 4), (row, ..))
                .virtual_map("gone.h5", "/d", 8, 0..2, (2, 4), (row, 0..2));
        }
        boxes.create("boxes").unwrap();
        let strided = hdf5::Hyperslab::from(vec![hdf5::SliceOrIndex::SliceCount {
            start: 0,
            step: 2,
            count: 4,
            block: 1,
        }]);
        f.new_dataset::<i64>()
            .shape(8)
            .virtual_map(".", "/src", 8, 0..4, 8, strided)
            .create("strided")
            .unwrap();
        path
    }

    fn texts(sources: &[VirtualSource]) -> Vec<String> {
        sources
            .iter()
            .map(|s| format!("{} <- {}:{}{}", s.virtual_sel, s.file, s.dataset, s.source))
            .collect()
    }

    #[test]
    fn the_byte_reader_and_hdf5_describe_mappings_alike() {
        let dir = tempfile::tempdir().unwrap();
        let file = Vh5File::open(vds_file(dir.path())).unwrap();
        let h5 = file.h5.dataset("boxes").unwrap();
        let dcpl = h5::dataset_dcpl(h5.id()).unwrap();
        let (total, sources, files) = file
            .raw_virtual("/boxes")
            .expect("the byte reader reads it");
        let (c_total, c_sources) = h5::virtual_sources(dcpl.id(), SHOWN_MAPPINGS).unwrap();
        assert_eq!((total, texts(&sources)), (c_total, texts(&c_sources)));
        assert_eq!(
            texts(&sources)[..2],
            ["[0, :] <- .:/src[0:4]", "[0, 0:2] <- gone.h5:/d[0:2]"]
        );
        let c_files = h5::virtual_file_names(dcpl.id()).unwrap();
        let text = |f: &[(String, Region)]| -> Vec<String> {
            f.iter().map(|(n, r)| format!("{n}{r}")).collect()
        };
        assert_eq!(text(&files), text(&c_files));
        let view = file.virtual_view("/boxes", &dcpl).unwrap();
        assert_eq!(view.missing.len(), 1);
        assert_eq!(view.missing[0].file, "gone.h5");
        assert_eq!(view.missing[0].regions.len(), 2);
        // Strided: the byte reader refuses it, HDF5 says it.
        assert!(file.raw_virtual("/strided").is_none());
        let dcpl = h5::dataset_dcpl(file.h5.dataset("strided").unwrap().id()).unwrap();
        let view = file.virtual_view("/strided", &dcpl).unwrap();
        assert_eq!(texts(&view.sources), ["[0:7:2] <- .:/src[0:4]"]);
    }
}
