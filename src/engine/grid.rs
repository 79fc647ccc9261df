//! Chunk-grid arithmetic: a dataset's shape cut into chunks. The chunk at
//! grid position `index` starts at `index * chunks` and is trimmed at the
//! dataset's edge; grids and the cells inside a chunk are walked in C order.

use super::slice::{AxisSel, Selection};

/// A shape cut into chunks of a fixed shape (one chunk size per axis).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkGrid<'a> {
    pub shape: &'a [usize],
    pub chunks: &'a [usize],
}

impl<'a> ChunkGrid<'a> {
    pub fn new(shape: &'a [usize], chunks: &'a [usize]) -> ChunkGrid<'a> {
        ChunkGrid { shape, chunks }
    }

    /// Chunks along each axis (a zero chunk size counts as one).
    pub fn grid_shape(&self) -> Vec<usize> {
        self.shape
            .iter()
            .zip(self.chunks)
            .map(|(&n, &c)| n.div_ceil(c.max(1)))
            .collect()
    }

    /// Number of grid positions.
    pub fn total(&self) -> usize {
        self.grid_shape().iter().product()
    }

    /// Every grid position, in C order.
    pub fn positions(&self) -> Vec<Vec<usize>> {
        grid_positions(&self.grid_shape())
    }

    /// Whether a position lies inside the grid.
    pub fn contains(&self, index: &[usize]) -> bool {
        index
            .iter()
            .zip(self.chunks)
            .zip(self.shape)
            .all(|((&i, &c), &n)| i * c < n)
    }

    /// The first element of the chunk at a position.
    pub fn start(&self, index: &[usize]) -> Vec<usize> {
        index
            .iter()
            .zip(self.chunks)
            .map(|(&i, &c)| i * c)
            .collect()
    }

    /// The edge-trimmed extent of the chunk at a position.
    pub fn extent(&self, index: &[usize]) -> Vec<usize> {
        (0..index.len().min(self.chunks.len()).min(self.shape.len()))
            .map(|d| self.extent_on(d, index[d]))
            .collect()
    }

    /// The extent along axis `d` of the chunks at index `i` on that axis.
    pub fn extent_on(&self, d: usize, i: usize) -> usize {
        let c = self.chunks[d];
        c.min(self.shape[d].saturating_sub(i * c))
    }

    /// The position whose chunk starts exactly at `start`, if any.
    pub fn aligned_index(&self, start: &[usize]) -> Option<Vec<usize>> {
        if start.len() != self.chunks.len() {
            return None;
        }
        start
            .iter()
            .zip(self.chunks)
            .map(|(&s, &c)| (c > 0 && s % c == 0).then_some(s / c))
            .collect()
    }

    /// The positions whose chunks overlap the block of `count` elements at
    /// `start`, in C order.
    pub fn overlapping(&self, start: &[usize], count: &[usize]) -> Vec<Vec<usize>> {
        let lo: Vec<usize> = start
            .iter()
            .zip(self.chunks)
            .map(|(&s, &c)| s / c)
            .collect();
        let span: Vec<usize> = start
            .iter()
            .zip(count)
            .zip(self.chunks)
            .zip(&lo)
            .map(|(((&s, &e), &c), &l)| (s + e).div_ceil(c) - l)
            .collect();
        grid_positions(&span)
            .into_iter()
            .map(|off| off.iter().zip(&lo).map(|(&o, &l)| o + l).collect())
            .collect()
    }
}

/// Every multi-index of a shape, in C order.
pub fn grid_positions(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0; shape.len()];
    for _ in 0..n {
        out.push(idx.clone());
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// C-order flat index of a multi-index.
pub fn flat(index: &[usize], shape: &[usize]) -> usize {
    index.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

/// The multi-index of C-order flat index `k` in a shape (`flat`'s inverse).
pub fn unflat(mut k: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, &n) in index.iter_mut().zip(shape).rev() {
        if n > 0 {
            (*i, k) = (k % n, k / n);
        }
    }
    index
}

/// The chunks one axis of a selection passes through: chunk index and the
/// range of selection positions `[lo, hi)` inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxisPart {
    pub chunk: usize,
    pub lo: usize,
    pub hi: usize,
}

/// Splits one (ascending) axis of a selection at the chunk edges.
fn axis_parts(axis: &AxisSel, chunk: usize) -> Vec<AxisPart> {
    let step = axis.step as usize;
    let mut parts = Vec::new();
    let mut k = 0;
    while k < axis.count {
        let index = axis.start + k * step;
        let c = index / chunk;
        let end = (c + 1) * chunk;
        let hi = axis.count.min(k + (end - index).div_ceil(step));
        parts.push(AxisPart {
            chunk: c,
            lo: k,
            hi,
        });
        k = hi;
    }
    parts
}

/// The chunks an ascending selection touches, in C order: one part per
/// axis each (the chunk's grid position is the parts' `chunk`s).
pub fn selection_parts(sel: &Selection, chunks: &[usize]) -> Vec<Vec<AxisPart>> {
    let parts: Vec<Vec<AxisPart>> = sel
        .axes
        .iter()
        .zip(chunks)
        .map(|(a, &c)| axis_parts(a, c))
        .collect();
    cartesian(&parts)
}

/// One chunk's share of a selection: `count` cells per axis, `step` apart,
/// from `within` the chunk, landing at `at` in the selection's buffer.
pub struct ChunkPart<'a> {
    pub within: &'a [usize],
    pub step: &'a [usize],
    pub count: &'a [usize],
    pub at: &'a [usize],
}

impl ChunkPart<'_> {
    /// Copies the part from a whole decoded chunk (C order, `chunks`) into
    /// `buf`, the selection's C-order buffer of shape `counts`; elements are
    /// `size` bytes.
    pub fn copy(
        &self,
        chunk: &[u8],
        chunks: &[usize],
        size: usize,
        buf: &mut [u8],
        counts: &[usize],
    ) {
        let rank = chunks.len();
        let strides = |shape: &[usize]| -> Vec<usize> {
            let mut s = vec![size; rank];
            for d in (0..rank.saturating_sub(1)).rev() {
                s[d] = s[d + 1] * shape[d + 1];
            }
            s
        };
        let (src_stride, dst_stride) = (strides(chunks), strides(counts));
        let last = rank - 1;
        let (n, inner_step) = (self.count[last], self.step[last]);
        for lead in grid_positions(&self.count[..last]) {
            let mut src = (self.within[last]) * src_stride[last];
            let mut dst = self.at[last] * dst_stride[last];
            for (d, &i) in lead.iter().enumerate() {
                src += (self.within[d] + i * self.step[d]) * src_stride[d];
                dst += (self.at[d] + i) * dst_stride[d];
            }
            if inner_step == 1 {
                buf[dst..dst + n * size].copy_from_slice(&chunk[src..src + n * size]);
                continue;
            }
            for k in 0..n {
                let from = src + k * inner_step * size;
                buf[dst + k * size..dst + (k + 1) * size]
                    .copy_from_slice(&chunk[from..from + size]);
            }
        }
    }
}

/// Every combination of one part per axis (C order).
fn cartesian(parts: &[Vec<AxisPart>]) -> Vec<Vec<AxisPart>> {
    parts.iter().fold(vec![Vec::new()], |acc, axis| {
        acc.iter()
            .flat_map(|prefix| {
                axis.iter().map(move |p| {
                    let mut next = prefix.clone();
                    next.push(*p);
                    next
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(start: usize, step: i64, count: usize) -> AxisSel {
        AxisSel {
            start,
            step,
            count,
            keep: true,
        }
    }

    #[test]
    fn chunks_are_trimmed_at_the_edges() {
        // shape (3, 4), chunks (2, 3): the format doc's example.
        let g = ChunkGrid::new(&[3, 4], &[2, 3]);
        assert_eq!(g.grid_shape(), vec![2, 2]);
        assert_eq!(g.total(), 4);
        assert_eq!(g.start(&[1, 1]), vec![2, 3]);
        assert_eq!(g.extent(&[0, 0]), vec![2, 3]);
        assert_eq!(g.extent(&[1, 1]), vec![1, 1]);
        assert_eq!(g.extent_on(1, 1), 1);
        assert!(g.contains(&[1, 1]));
        assert!(!g.contains(&[2, 0]));
        assert_eq!(
            g.positions(),
            vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]
        );
    }

    #[test]
    fn empty_and_zero_chunk_grids() {
        assert_eq!(ChunkGrid::new(&[0, 5], &[4, 4]).total(), 0);
        assert_eq!(ChunkGrid::new(&[3], &[0]).grid_shape(), vec![3]);
    }

    #[test]
    fn aligned_starts_name_a_position() {
        let g = ChunkGrid::new(&[10, 10], &[4, 5]);
        assert_eq!(g.aligned_index(&[8, 5]), Some(vec![2, 1]));
        assert_eq!(g.aligned_index(&[2, 5]), None);
        assert_eq!(g.aligned_index(&[8]), None);
    }

    #[test]
    fn overlapping_positions_of_a_block() {
        let g = ChunkGrid::new(&[10, 10], &[4, 4]);
        assert_eq!(
            g.overlapping(&[3, 0], &[2, 4]),
            vec![vec![0, 0], vec![1, 0]]
        );
        assert_eq!(g.overlapping(&[4, 4], &[4, 4]), vec![vec![1, 1]]);
    }

    #[test]
    fn grid_positions_are_c_order() {
        assert_eq!(
            grid_positions(&[2, 2]),
            vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]
        );
        assert_eq!(grid_positions(&[0, 3]).len(), 0);
        assert_eq!(grid_positions(&[]), vec![Vec::<usize>::new()]);
        assert_eq!(flat(&[1, 2], &[3, 4]), 6);
        assert_eq!(unflat(6, &[3, 4]), vec![1, 2]);
        for k in 0..24 {
            assert_eq!(flat(&unflat(k, &[2, 3, 4]), &[2, 3, 4]), k);
        }
    }

    #[test]
    fn axis_parts_split_at_chunk_edges() {
        let parts = axis_parts(&sel(2, 1, 7), 4);
        assert_eq!(
            parts,
            vec![
                AxisPart {
                    chunk: 0,
                    lo: 0,
                    hi: 2
                },
                AxisPart {
                    chunk: 1,
                    lo: 2,
                    hi: 6
                },
                AxisPart {
                    chunk: 2,
                    lo: 6,
                    hi: 7
                }
            ]
        );
    }

    #[test]
    fn strided_axis_skips_untouched_chunks() {
        // indices 0, 10, 20 with chunk 4: chunks 0, 2, 5 only.
        let parts = axis_parts(&sel(0, 10, 3), 4);
        let chunks: Vec<usize> = parts.iter().map(|p| p.chunk).collect();
        assert_eq!(chunks, vec![0, 2, 5]);
        assert!(parts.iter().all(|p| p.hi - p.lo == 1));
    }

    #[test]
    fn a_selection_visits_the_chunks_it_touches() {
        let sel = Selection {
            axes: vec![sel(1, 1, 4), sel(0, 3, 2)],
        };
        let chunks: Vec<Vec<usize>> = selection_parts(&sel, &[4, 2])
            .iter()
            .map(|c| c.iter().map(|p| p.chunk).collect())
            .collect();
        // rows 1..5 (chunks 0, 1), columns 0 and 3 (chunks 0, 1).
        assert_eq!(chunks, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
    }

    #[test]
    fn cartesian_is_c_order() {
        let a = vec![
            AxisPart {
                chunk: 0,
                lo: 0,
                hi: 1,
            },
            AxisPart {
                chunk: 1,
                lo: 1,
                hi: 2,
            },
        ];
        let combos = cartesian(&[a.clone(), a]);
        let idx: Vec<Vec<usize>> = combos
            .iter()
            .map(|c| c.iter().map(|p| p.chunk).collect())
            .collect();
        assert_eq!(idx, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
    }

    #[test]
    fn chunk_part_copies_a_strided_box() {
        // A 4x5 chunk of two-byte elements numbered 0..20.
        let chunk: Vec<u8> = (0u8..20).flat_map(|e| [e, 100]).collect();
        // Rows 1 and 3, columns 0, 2, 4, into a 3x4 buffer at (1, 1).
        let part = ChunkPart {
            within: &[1, 0],
            step: &[2, 2],
            count: &[2, 3],
            at: &[1, 1],
        };
        let mut buf = vec![0u8; 3 * 4 * 2];
        part.copy(&chunk, &[4, 5], 2, &mut buf, &[3, 4]);
        let elements: Vec<u8> = buf.chunks(2).map(|e| e[0]).collect();
        assert_eq!(elements, vec![0, 0, 0, 0, 0, 5, 7, 9, 0, 15, 17, 19]);
        assert!(buf.chunks(2).all(|e| e[0] == 0 || e[1] == 100));
        // One axis, contiguous.
        let part = ChunkPart {
            within: &[2],
            step: &[1],
            count: &[3],
            at: &[0],
        };
        let mut buf = vec![0u8; 3];
        part.copy(&[9, 8, 7, 6, 5, 4], &[6], 1, &mut buf, &[3]);
        assert_eq!(buf, vec![7, 6, 5]);
    }
}
