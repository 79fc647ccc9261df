//! Serialized dataspace selections (`H5S_SELECT_SERIALIZE`), reduced to the
//! one block they cover. Selections that are not exactly one block are
//! errors: a bounding box of a selection with holes would be a wrong map.

use super::bytes::Cursor;
use super::RawError;

const SEL_NONE: u32 = 0;
const SEL_POINTS: u32 = 1;
const SEL_HYPERSLABS: u32 = 2;
const SEL_ALL: u32 = 3;

const HYPER_REGULAR: u8 = 0x01;
/// `H5S_MAX_RANK`.
const MAX_RANK: u32 = 32;
/// The highest rank decoded here: blocks are held inline, and a higher
/// rank (rare) is left to HDF5 as `Unsupported`.
const INLINE_RANK: usize = 8;
/// Most blocks of an irregular hyperslab checked for forming one box.
const MAX_IRREGULAR_BLOCKS: u64 = 256;

/// A decoded selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// The whole extent of a dataspace the selection does not know.
    All,
    /// Exactly the elements `start[i] .. start[i] + count[i]`.
    Block(Corner),
}

/// One block, held inline: a VDS has a selection pair per chunk, and
/// decoding them must not allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Corner {
    rank: usize,
    start: [usize; INLINE_RANK],
    count: [usize; INLINE_RANK],
}

impl Corner {
    /// `rank` must be at most `INLINE_RANK` (`inline_rank` checks).
    fn new(rank: usize) -> Corner {
        Corner {
            rank: rank.min(INLINE_RANK),
            start: [0; INLINE_RANK],
            count: [0; INLINE_RANK],
        }
    }

    /// The block `[0, shape)`; `Unsupported` above `INLINE_RANK`.
    pub(crate) fn extent(shape: &[u64]) -> Result<Corner, RawError> {
        let mut b = Corner::new(inline_rank(shape.len())?);
        for (c, &n) in b.count.iter_mut().zip(shape) {
            *c = index(n)?;
        }
        Ok(b)
    }

    #[cfg(test)]
    pub(crate) fn of(start: &[usize], count: &[usize]) -> Corner {
        let mut b = Corner::new(start.len());
        b.start[..start.len()].copy_from_slice(start);
        b.count[..count.len()].copy_from_slice(count);
        b
    }

    pub(crate) fn start(&self) -> &[usize] {
        &self.start[..self.rank]
    }

    pub(crate) fn count(&self) -> &[usize] {
        &self.count[..self.rank]
    }
}

impl Selection {
    /// Number of elements, given the extent for `All`; `None` if it does
    /// not fit in 128 bits.
    pub(crate) fn count_in(&self, extent: &[u64]) -> Option<u128> {
        fn product(mut dims: impl Iterator<Item = u128>) -> Option<u128> {
            dims.try_fold(1u128, |n, d| n.checked_mul(d))
        }
        match self {
            Selection::All => product(extent.iter().map(|&d| u128::from(d))),
            Selection::Block(b) => product(b.count().iter().map(|&d| d as u128)),
        }
    }
}

fn inline_rank(rank: usize) -> Result<usize, RawError> {
    if rank > INLINE_RANK {
        return Err(RawError::unsupported(format!("selection of rank {rank}")));
    }
    Ok(rank)
}

/// A selection coordinate as an index of this machine.
fn index(x: u64) -> Result<usize, RawError> {
    usize::try_from(x).map_err(|_| RawError::unsupported("selection beyond usize"))
}

/// Decodes one serialized selection, advancing the cursor past it.
pub(crate) fn decode(c: &mut Cursor) -> Result<Selection, RawError> {
    match c.u32()? {
        SEL_ALL => {
            let version = c.u32()?;
            if version != 1 {
                return Err(RawError::format(format!(
                    "'all' selection version {version}"
                )));
            }
            c.skip(8)?; // padding, length
            Ok(Selection::All)
        }
        SEL_HYPERSLABS => decode_hyperslab(c),
        SEL_NONE => Err(RawError::unsupported("'none' selection in a mapping")),
        SEL_POINTS => Err(RawError::unsupported("point selection in a mapping")),
        t => Err(RawError::format(format!("selection type {t}"))),
    }
}

fn decode_hyperslab(c: &mut Cursor) -> Result<Selection, RawError> {
    let version = c.u32()?;
    let (flags, enc) = match version {
        1 => {
            c.skip(8)?; // padding, length
            (0, 4)
        }
        2 => {
            let flags = c.u8()?;
            c.skip(4)?; // length
            (flags, 8)
        }
        3 => {
            let flags = c.u8()?;
            (flags, usize::from(c.u8()?))
        }
        v => return Err(RawError::format(format!("hyperslab selection version {v}"))),
    };
    if flags & !HYPER_REGULAR != 0 {
        return Err(RawError::format(format!(
            "hyperslab selection flags {flags:#04x}"
        )));
    }
    if !matches!(enc, 2 | 4 | 8) {
        return Err(RawError::format(format!("hyperslab encoding size {enc}")));
    }
    let rank = c.u32()?;
    if rank == 0 || rank > MAX_RANK {
        return Err(RawError::format(format!("hyperslab selection rank {rank}")));
    }
    let rank = inline_rank(rank as usize)?;
    if flags & HYPER_REGULAR != 0 {
        regular(c, rank, enc)
    } else {
        irregular(c, rank, enc)
    }
}

/// Start, stride, count, block per axis; all-ones count or block means
/// unlimited.
fn regular(c: &mut Cursor, rank: usize, enc: usize) -> Result<Selection, RawError> {
    let unlimited = if enc == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * enc)) - 1
    };
    let mut out = Corner::new(rank);
    for d in 0..rank {
        let s = c.uint(enc)?;
        let stride = c.uint(enc)?;
        let n = c.uint(enc)?;
        let block = c.uint(enc)?;
        if n == unlimited || block == unlimited {
            return Err(RawError::unsupported("unlimited hyperslab selection"));
        }
        if n > 1 && stride < block {
            return Err(RawError::format("hyperslab blocks overlap"));
        }
        if n == 0 || block == 0 {
            return Err(RawError::unsupported("empty hyperslab selection"));
        }
        // One run per axis: a single block, or blocks that touch.
        let extent = if n == 1 {
            block
        } else if stride == block {
            n.checked_mul(block)
                .ok_or_else(|| RawError::format("hyperslab extent overflows"))?
        } else {
            return Err(RawError::unsupported(
                "strided hyperslab selection (not one block)",
            ));
        };
        end_of(s, extent)?;
        out.start[d] = index(s)?;
        out.count[d] = index(extent)?;
    }
    Ok(Selection::Block(out))
}

/// A list of blocks (start and end corners, inclusive), selected with OR.
fn irregular(c: &mut Cursor, rank: usize, enc: usize) -> Result<Selection, RawError> {
    let n = c.uint(enc)?;
    if n == 0 {
        return Err(RawError::unsupported("hyperslab selection without blocks"));
    }
    // Each block takes 2 * rank * enc bytes: bound n by what is left.
    let per_block = (2 * rank * enc) as u64;
    if n.saturating_mul(per_block) > c.remaining() as u64 {
        return Err(RawError::format("hyperslab block list truncated"));
    }
    if n > MAX_IRREGULAR_BLOCKS {
        return Err(RawError::unsupported(
            "hyperslab selection with many blocks",
        ));
    }
    // A block as its corners (inclusive); `count` holds the far corner.
    let read_block = |c: &mut Cursor| -> Result<Corner, RawError> {
        let mut b = Corner::new(rank);
        for d in 0..rank {
            b.start[d] = index(c.uint(enc)?)?;
        }
        for d in 0..rank {
            let end = c.uint(enc)?;
            if end == u64::MAX {
                return Err(RawError::format("hyperslab block extent overflows"));
            }
            b.count[d] = index(end)?;
        }
        if b.start().iter().zip(b.count()).any(|(l, h)| h < l) {
            return Err(RawError::format("hyperslab block ends before it starts"));
        }
        Ok(b)
    };
    let into_block = |mut b: Corner| {
        for d in 0..rank {
            b.count[d] = b.count[d] - b.start[d] + 1;
        }
        Selection::Block(b)
    };
    if n == 1 {
        return Ok(into_block(read_block(c)?));
    }
    let mut blocks = Vec::with_capacity(n as usize);
    for _ in 0..n {
        blocks.push(read_block(c)?);
    }
    // The union is one box iff the blocks are disjoint and their volumes
    // add up to the volume of their bounding box.
    let mut bound = blocks[0];
    for b in &blocks[1..] {
        for d in 0..rank {
            bound.start[d] = bound.start[d].min(b.start[d]);
            bound.count[d] = bound.count[d].max(b.count[d]);
        }
    }
    let volume = |b: &Corner| {
        b.start()
            .iter()
            .zip(b.count())
            .try_fold(1u128, |v, (&a, &z)| v.checked_mul((z - a) as u128 + 1))
            .ok_or_else(|| RawError::unsupported("hyperslab volume overflows"))
    };
    let overlap = |a: &Corner, b: &Corner| {
        (0..rank).all(|d| a.start[d] <= b.count[d] && b.start[d] <= a.count[d])
    };
    for i in 0..blocks.len() {
        for j in i + 1..blocks.len() {
            if overlap(&blocks[i], &blocks[j]) {
                return Err(RawError::unsupported("overlapping hyperslab blocks"));
            }
        }
    }
    let mut sum = 0u128;
    for b in &blocks {
        sum = sum
            .checked_add(volume(b)?)
            .ok_or_else(|| RawError::unsupported("hyperslab volume overflows"))?;
    }
    if sum != volume(&bound)? {
        return Err(RawError::unsupported(
            "hyperslab selection of several blocks (not one block)",
        ));
    }
    Ok(into_block(bound))
}

/// The last index of a run, which must fit in 64 bits.
fn end_of(start: u64, extent: u64) -> Result<u64, RawError> {
    start
        .checked_add(extent - 1)
        .filter(|&e| e != u64::MAX)
        .ok_or_else(|| RawError::format("hyperslab selection extent overflows"))
}

#[cfg(test)]
pub(crate) mod encode {
    //! Encoders for tests, written from the same layouts.

    pub fn all() -> Vec<u8> {
        let mut v = Vec::new();
        for x in [3u32, 1, 0, 0] {
            v.extend(x.to_le_bytes());
        }
        v
    }

    fn put(v: &mut Vec<u8>, x: u64, enc: usize) {
        v.extend(&x.to_le_bytes()[..enc]);
    }

    /// A regular hyperslab: (start, stride, count, block) per axis.
    pub fn regular(version: u32, enc: usize, dims: &[(u64, u64, u64, u64)]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(2u32.to_le_bytes());
        v.extend(version.to_le_bytes());
        v.push(1); // regular
        if version == 3 {
            v.push(enc as u8);
        } else {
            v.extend(((4 + 4 * 8 * dims.len()) as u32).to_le_bytes());
        }
        v.extend((dims.len() as u32).to_le_bytes());
        for &(a, b, c, d) in dims {
            for x in [a, b, c, d] {
                put(&mut v, x, enc);
            }
        }
        v
    }

    /// An irregular hyperslab: a list of (start, end) corners.
    pub fn irregular(
        version: u32,
        enc: usize,
        rank: usize,
        blocks: &[(Vec<u64>, Vec<u64>)],
    ) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(2u32.to_le_bytes());
        v.extend(version.to_le_bytes());
        match version {
            1 => {
                v.extend(0u32.to_le_bytes());
                v.extend(((8 + 8 * rank * blocks.len()) as u32).to_le_bytes());
            }
            2 => {
                v.push(0);
                v.extend(0u32.to_le_bytes());
            }
            _ => {
                v.push(0);
                v.push(enc as u8);
            }
        }
        v.extend((rank as u32).to_le_bytes());
        put(&mut v, blocks.len() as u64, enc);
        for (lo, hi) in blocks {
            for &x in lo {
                put(&mut v, x, enc);
            }
            for &x in hi {
                put(&mut v, x, enc);
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::encode::{all, irregular, regular};
    use super::{decode, Cursor, RawError, Selection};

    fn dec(b: &[u8]) -> Result<Selection, RawError> {
        let mut c = Cursor::new(b, "t");
        let s = decode(&mut c)?;
        assert!(c.is_empty(), "trailing bytes");
        Ok(s)
    }

    fn block(start: &[usize], count: &[usize]) -> Selection {
        Selection::Block(super::Corner::of(start, count))
    }

    #[test]
    fn all_selection() {
        assert_eq!(dec(&all()).unwrap(), Selection::All);
    }

    #[test]
    fn regular_forms_every_version_and_size() {
        for (version, enc) in [(2, 8), (3, 2), (3, 4), (3, 8)] {
            // count = n, block = 1 (as written) and count = 1, block = n (as reread)
            let a = regular(version, enc, &[(4, 1, 4, 1), (0, 1, 3, 1)]);
            let b = regular(version, enc, &[(4, 1, 1, 4), (0, 1, 1, 3)]);
            assert_eq!(dec(&a).unwrap(), block(&[4, 0], &[4, 3]));
            assert_eq!(dec(&b).unwrap(), block(&[4, 0], &[4, 3]));
            // touching blocks
            let t = regular(version, enc, &[(2, 3, 4, 3)]);
            assert_eq!(dec(&t).unwrap(), block(&[2], &[12]));
        }
    }

    #[test]
    fn regular_refusals() {
        let gaps = regular(3, 4, &[(0, 4, 3, 2)]);
        assert!(matches!(dec(&gaps), Err(RawError::Unsupported(_))));
        let overlap = regular(3, 4, &[(0, 1, 3, 2)]);
        assert!(matches!(dec(&overlap), Err(RawError::Format(_))));
        let unlimited = regular(3, 2, &[(0, 1, 0xffff, 1)]);
        assert!(matches!(dec(&unlimited), Err(RawError::Unsupported(_))));
        let unlimited8 = regular(2, 8, &[(0, 5, u64::MAX, 5)]);
        assert!(matches!(dec(&unlimited8), Err(RawError::Unsupported(_))));
        let empty = regular(3, 4, &[(0, 1, 0, 1)]);
        assert!(dec(&empty).is_err());
        let overflow = regular(3, 8, &[(u64::MAX - 1, 1, 1, 4)]);
        assert!(dec(&overflow).is_err());
        let mut bad_enc = regular(3, 4, &[(0, 1, 1, 1)]);
        bad_enc[9] = 3;
        assert!(dec(&bad_enc).is_err());
        let mut bad_flags = regular(3, 4, &[(0, 1, 1, 1)]);
        bad_flags[8] = 3;
        assert!(dec(&bad_flags).is_err());
    }

    #[test]
    fn ranks_above_the_inline_ones_are_left_to_hdf5() {
        let dims = |rank| vec![(1, 1, 1, 2); rank];
        let eight = dec(&regular(3, 4, &dims(8))).unwrap();
        assert_eq!(eight, block(&[1; 8], &[2; 8]));
        let nine = regular(3, 4, &dims(9));
        assert!(matches!(dec(&nine), Err(RawError::Unsupported(_))));
        let over = regular(3, 4, &dims(33));
        assert!(matches!(dec(&over), Err(RawError::Format(_))));
    }

    #[test]
    fn irregular_forms_every_version_and_size() {
        let one = vec![(vec![8, 0], vec![11, 2])];
        for (version, enc) in [(1, 4), (2, 8), (3, 2), (3, 4), (3, 8)] {
            let b = irregular(version, enc, 2, &one);
            assert_eq!(dec(&b).unwrap(), block(&[8, 0], &[4, 3]));
        }
        // Two blocks that tile a box, in any order.
        let tiles = vec![(vec![2, 0], vec![3, 4]), (vec![0, 0], vec![1, 4])];
        assert_eq!(
            dec(&irregular(3, 4, 2, &tiles)).unwrap(),
            block(&[0, 0], &[4, 5])
        );
    }

    #[test]
    fn irregular_refusals() {
        let holes = vec![(vec![0], vec![1]), (vec![3], vec![4])];
        assert!(matches!(
            dec(&irregular(3, 4, 1, &holes)),
            Err(RawError::Unsupported(_))
        ));
        let overlapping = vec![(vec![0], vec![3]), (vec![2], vec![4]), (vec![5], vec![5])];
        assert!(dec(&irregular(3, 4, 1, &overlapping)).is_err());
        let backwards = vec![(vec![3], vec![1])];
        assert!(dec(&irregular(3, 4, 1, &backwards)).is_err());
        assert!(dec(&irregular(3, 4, 1, &[])).is_err());
        // A block count far beyond the bytes present.
        let mut huge = irregular(3, 8, 1, &[(vec![0], vec![0])]);
        huge[14..22].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(dec(&huge).is_err());
    }

    #[test]
    fn other_types_are_errors() {
        let mut none = all();
        none[0] = 0;
        assert!(dec(&none).is_err());
        let mut points = all();
        points[0] = 1;
        assert!(dec(&points).is_err());
        let mut bogus = all();
        bogus[0] = 9;
        assert!(dec(&bogus).is_err());
        let mut v2all = all();
        v2all[4] = 2;
        assert!(dec(&v2all).is_err());
    }

    #[test]
    fn every_truncation_and_flip_is_handled() {
        let samples = [
            all(),
            regular(2, 8, &[(4, 1, 1, 4), (0, 1, 1, 3)]),
            regular(3, 2, &[(4, 1, 4, 1)]),
            irregular(1, 4, 2, &[(vec![8, 0], vec![11, 2])]),
            irregular(3, 8, 1, &[(vec![2], vec![3]), (vec![0], vec![1])]),
        ];
        for s in &samples {
            for cut in 0..s.len() {
                assert!(dec(&s[..cut]).is_err(), "cut at {cut} of {s:?}");
            }
            for i in 0..s.len() {
                for bit in 0..8 {
                    let mut f = s.clone();
                    f[i] ^= 1 << bit;
                    let mut c = Cursor::new(&f, "t");
                    let _ = decode(&mut c);
                }
            }
        }
    }
}
