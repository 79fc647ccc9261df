//! A selection of a dataspace, as HDF5 describes one (a VDS mapping's
//! source and virtual selections, a region reference's region), and its
//! compact text in the slice syntax of the command line: `[0:10, :]`,
//! `[0:5, 2]`, `[1:9:2]`; what a reference points to.

use std::fmt;

/// One axis of a regular hyperslab: `count` blocks of `block` elements,
/// `stride` apart, from `start` (HDF5's four numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisSlab {
    pub start: u64,
    pub stride: u64,
    /// `UNLIMITED` for a selection that grows with the dataset.
    pub count: u64,
    pub block: u64,
}

/// HDF5's `H5S_UNLIMITED`.
pub const UNLIMITED: u64 = u64::MAX;

/// Selections shown one by one before "… N more".
const SHOWN_PARTS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected {
    /// Every element of the extent.
    All,
    /// No element.
    None,
    /// A regular hyperslab.
    Slab(Vec<AxisSlab>),
    /// Boxes of an irregular hyperslab: (first corner, element counts),
    /// the first of `total`.
    Blocks {
        boxes: Vec<(Vec<u64>, Vec<u64>)>,
        total: usize,
    },
    /// Single elements, the first of `total`.
    Points { points: Vec<Vec<u64>>, total: usize },
}

/// A selection and, where known, the extent of the dataspace it selects in
/// (the source extent of a VDS mapping is unknown until its file is open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub extent: Option<Vec<u64>>,
    pub selected: Selected,
}

impl Region {
    /// One box (what versioned-hdf5 and the byte reader deal in).
    pub fn block(extent: Option<Vec<u64>>, start: &[usize], count: &[usize]) -> Region {
        let slab = start
            .iter()
            .zip(count)
            .map(|(&s, &c)| AxisSlab {
                start: s as u64,
                stride: 1,
                count: 1,
                block: c as u64,
            })
            .collect();
        Region {
            extent,
            selected: Selected::Slab(slab),
        }
    }

    /// The smallest box holding the selection: (first corner, one past the
    /// last), `None` when nothing is selected or the extent is unknown.
    pub fn bounds(&self) -> Option<(Vec<u64>, Vec<u64>)> {
        let corner = |it: &mut dyn Iterator<Item = (Vec<u64>, Vec<u64>)>| {
            let (mut lo, mut hi) = it.next()?;
            for (l, h) in it {
                lo.iter_mut().zip(&l).for_each(|(a, b)| *a = (*a).min(*b));
                hi.iter_mut().zip(&h).for_each(|(a, b)| *a = (*a).max(*b));
            }
            Some((lo, hi))
        };
        match &self.selected {
            Selected::All => self.extent.clone().map(|e| (vec![0; e.len()], e)),
            Selected::None => None,
            Selected::Slab(axes) => Some(
                axes.iter()
                    .map(|a| {
                        let end = match a.count {
                            UNLIMITED => UNLIMITED,
                            0 => a.start,
                            n => a.start + (n - 1) * a.stride + a.block,
                        };
                        (a.start, end)
                    })
                    .unzip(),
            ),
            // Some left out: the bounds are unknown.
            Selected::Blocks { boxes, total } if boxes.len() < *total => None,
            Selected::Points { points, total } if points.len() < *total => None,
            Selected::Blocks { boxes, .. } => corner(&mut boxes.iter().map(|(s, c)| {
                let end = s.iter().zip(c).map(|(a, b)| a + b).collect();
                (s.clone(), end)
            })),
            Selected::Points { points, .. } => corner(
                &mut points
                    .iter()
                    .map(|p| (p.clone(), p.iter().map(|x| x + 1).collect())),
            ),
        }
    }

    /// The first selected element (C order of the description), where a
    /// browser puts its cursor.
    pub fn first(&self) -> Option<Vec<u64>> {
        match &self.selected {
            Selected::All => self.extent.as_ref().map(|e| vec![0; e.len()]),
            Selected::None => None,
            Selected::Slab(axes) => Some(axes.iter().map(|a| a.start).collect()),
            Selected::Blocks { boxes, .. } => boxes.first().map(|(s, _)| s.clone()),
            Selected::Points { points, .. } => points.first().cloned(),
        }
    }

    /// Whether the selection may touch the box `[lo, hi)` (by its bounds).
    pub fn may_touch(&self, lo: &[u64], hi: &[u64]) -> bool {
        match self.bounds() {
            Some((a, b)) if a.len() == lo.len() => {
                (0..lo.len()).all(|d| a[d] < hi[d] && lo[d] < b[d])
            }
            Some(_) => true,
            None => !matches!(self.selected, Selected::None),
        }
    }
}

/// One axis of a slab in slice syntax, `None` when no `start:stop:step`
/// says it (several blocks of more than one element).
fn axis_text(a: &AxisSlab, extent: Option<u64>) -> Option<String> {
    if a.count == UNLIMITED {
        let step = if a.stride > 1 && a.block == 1 {
            format!("::{}", a.stride)
        } else {
            String::new()
        };
        return (a.block == 1 || a.stride == a.block).then(|| format!("{}:{step}", a.start));
    }
    let (stop, step) = if a.count <= 1 || a.stride == a.block {
        (a.start + a.count * a.block, 1)
    } else if a.block == 1 {
        (a.start + (a.count - 1) * a.stride + 1, a.stride)
    } else {
        return None;
    };
    Some(match (stop - a.start, step) {
        (1, _) => a.start.to_string(),
        (_, 1) if a.start == 0 && Some(stop) == extent => ":".into(),
        (_, 1) => format!("{}:{stop}", a.start),
        _ => format!("{}:{stop}:{step}", a.start),
    })
}

fn box_text(start: &[u64], count: &[u64]) -> String {
    let axes: Vec<String> = start
        .iter()
        .zip(count)
        .map(|(&s, &c)| match c {
            1 => s.to_string(),
            _ => format!("{s}:{}", s + c),
        })
        .collect();
    format!("[{}]", axes.join(", "))
}

/// `{a, b, … N more}` of `total` parts.
fn list_text(parts: impl Iterator<Item = String>, total: usize) -> String {
    let mut shown: Vec<String> = parts.take(SHOWN_PARTS).collect();
    if total > shown.len() {
        shown.push(format!("… {} more", total - shown.len()));
    }
    format!("{{{}}}", shown.join(", "))
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extent = |d: usize| self.extent.as_ref().and_then(|e| e.get(d).copied());
        let text = match &self.selected {
            Selected::All => match &self.extent {
                Some(e) if !e.is_empty() => format!("[{}]", vec![":"; e.len()].join(", ")),
                Some(_) => "[()]".into(),
                None => "[...]".into(),
            },
            Selected::None => "[]".into(),
            Selected::Slab(axes) => {
                let texts: Option<Vec<String>> = axes
                    .iter()
                    .enumerate()
                    .map(|(d, a)| axis_text(a, extent(d)))
                    .collect();
                match texts {
                    Some(t) => format!("[{}]", t.join(", ")),
                    None => return write!(f, "{}", slab_blocks(axes)),
                }
            }
            Selected::Blocks { boxes, total } => {
                list_text(boxes.iter().map(|(s, c)| box_text(s, c)), *total)
            }
            Selected::Points { points, total } => list_text(
                points.iter().map(|p| {
                    let t: Vec<String> = p.iter().map(u64::to_string).collect();
                    format!("({})", t.join(", "))
                }),
                *total,
            ),
        };
        f.write_str(&text)
    }
}

/// A regular slab no slice says (blocks of several elements, apart): its
/// numbers, as HDF5 names them.
fn slab_blocks(axes: &[AxisSlab]) -> String {
    let field = |get: fn(&AxisSlab) -> u64| {
        let v: Vec<String> = axes.iter().map(|a| get(a).to_string()).collect();
        format!("({})", v.join(", "))
    };
    format!(
        "hyperslab start={} stride={} count={} block={}",
        field(|a| a.start),
        field(|a| a.stride),
        field(|a| a.count),
        field(|a| a.block)
    )
}

/// What an object or region reference points to: the object's path in the
/// file and, for a region reference, the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    pub path: String,
    pub region: Option<Region>,
}

impl fmt::Display for RefTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.region {
            Some(r) => write!(f, "{}{r}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slab(axes: &[(u64, u64, u64, u64)], extent: Option<Vec<u64>>) -> Region {
        Region {
            extent,
            selected: Selected::Slab(
                axes.iter()
                    .map(|&(start, stride, count, block)| AxisSlab {
                        start,
                        stride,
                        count,
                        block,
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn slabs_read_as_slices() {
        let e = Some(vec![10, 5]);
        // h5py's regionref[0:5, 2]: count 5 of block 1, or count 1 of block 5.
        assert_eq!(
            slab(&[(0, 1, 5, 1), (2, 1, 1, 1)], e.clone()).to_string(),
            "[0:5, 2]"
        );
        assert_eq!(
            slab(&[(0, 1, 1, 5), (2, 1, 1, 1)], e.clone()).to_string(),
            "[0:5, 2]"
        );
        assert_eq!(
            slab(&[(0, 1, 1, 10), (0, 1, 1, 5)], e.clone()).to_string(),
            "[:, :]"
        );
        assert_eq!(
            slab(&[(1, 2, 4, 1), (0, 1, 1, 5)], e.clone()).to_string(),
            "[1:8:2, :]"
        );
        // Unknown extent: the stop is written out.
        assert_eq!(slab(&[(0, 1, 1, 10)], None).to_string(), "[0:10]");
        assert_eq!(slab(&[(3, 1, UNLIMITED, 1)], None).to_string(), "[3:]");
        // Blocks of 2 every 5: no slice says it.
        let odd = slab(&[(0, 5, 3, 2)], Some(vec![20]));
        assert!(odd.to_string().starts_with("hyperslab start=(0)"), "{odd}");
        assert_eq!(odd.bounds(), Some((vec![0], vec![12])));
    }

    #[test]
    fn all_none_points_and_blocks() {
        let all = Region {
            extent: Some(vec![3, 4]),
            selected: Selected::All,
        };
        assert_eq!(all.to_string(), "[:, :]");
        assert_eq!(all.bounds(), Some((vec![0, 0], vec![3, 4])));
        let unknown = Region {
            extent: None,
            selected: Selected::All,
        };
        assert_eq!(unknown.to_string(), "[...]");
        assert!(unknown.may_touch(&[0], &[1]));
        let pts = Region {
            extent: None,
            selected: Selected::Points {
                points: vec![vec![0, 1], vec![3, 4]],
                total: 2,
            },
        };
        assert_eq!(pts.to_string(), "{(0, 1), (3, 4)}");
        assert_eq!(pts.first(), Some(vec![0, 1]));
        assert_eq!(pts.bounds(), Some((vec![0, 1], vec![4, 5])));
        let blocks = Region {
            extent: None,
            selected: Selected::Blocks {
                boxes: (0..10).map(|i| (vec![i * 2], vec![1])).collect(),
                total: 100,
            },
        };
        assert_eq!(
            blocks.to_string(),
            "{[0], [2], [4], [6], [8], [10], [12], [14], … 92 more}"
        );
        // Bounds of a partly listed selection are unknown: it may touch anything.
        assert_eq!(blocks.bounds(), None);
        assert!(blocks.may_touch(&[1000], &[1001]));
    }

    #[test]
    fn touching_is_by_bounds() {
        let r = Region::block(Some(vec![2, 10]), &[1, 0], &[1, 5]);
        assert_eq!(r.to_string(), "[1, 0:5]");
        assert!(r.may_touch(&[0, 0], &[2, 1]));
        assert!(!r.may_touch(&[0, 0], &[1, 10]));
        assert!(!r.may_touch(&[1, 5], &[2, 10]));
    }

    #[test]
    fn targets_print_path_then_region() {
        let t = RefTarget {
            path: "/g/ds".into(),
            region: Some(slab(&[(0, 1, 5, 1), (2, 1, 1, 1)], Some(vec![10, 5]))),
        };
        assert_eq!(t.to_string(), "/g/ds[0:5, 2]");
    }
}
