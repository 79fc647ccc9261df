//! Decoding a chunk's stored bytes (as `H5Dread_chunk` returns them) without
//! HDF5's filter pipeline, so that many chunks can be inflated at once on
//! every core while HDF5 itself stays single-threaded.
//!
//! Only the filters versioned-hdf5 files commonly carry are decoded here:
//! deflate (gzip), shuffle and fletcher32. `Pipeline::new` says `None` for
//! any other filter, and the caller reads through HDF5 instead. And one
//! encoding for LZF, the hash tables' filter: rows appended to a chunk
//! (`lzf_append`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{Error, Result};
use super::grid::{flat, grid_positions};
use super::layout::{FILTER_DEFLATE, FILTER_FLETCHER32, FILTER_SHUFFLE};

/// Chunks inflated here since the process started: lets tests prove that
/// the reads meant to bypass HDF5's pipeline do.
static INFLATED: AtomicU64 = AtomicU64::new(0);

pub fn inflated_chunks() -> u64 {
    INFLATED.load(Ordering::Relaxed)
}

thread_local! {
    /// The same, inflated on this thread: tests running beside each other
    /// do not add to it.
    static INFLATED_HERE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub fn inflated_on_this_thread() -> u64 {
    INFLATED_HERE.get()
}

thread_local! {
    /// Chunks encoded by `Encoder` on this thread.
    static ENCODED_HERE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub fn encoded_on_this_thread() -> u64 {
    ENCODED_HERE.get()
}

thread_local! {
    /// LZF chunks extended by `lzf_append` on this thread.
    static LZF_APPENDED_HERE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub fn lzf_appended_on_this_thread() -> u64 {
    LZF_APPENDED_HERE.get()
}

/// The decodable filters of a dataset, in pipeline (encoding) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    filters: Vec<i32>,
    element_size: usize,
}

impl Pipeline {
    /// The pipeline for these filter ids, `None` when one of them is not
    /// decoded here.
    pub fn new(filter_ids: &[i32], element_size: usize) -> Option<Pipeline> {
        let known = [FILTER_DEFLATE, FILTER_SHUFFLE, FILTER_FLETCHER32];
        filter_ids
            .iter()
            .all(|id| known.contains(id))
            .then(|| Pipeline {
                filters: filter_ids.to_vec(),
                element_size,
            })
    }

    /// Undoes the filters (those not skipped in `mask`, HDF5's bit per
    /// filter) and checks the result holds exactly `expected` bytes.
    pub fn decode(&self, stored: Vec<u8>, mask: u32, expected: usize) -> Result<Vec<u8>> {
        let mut bytes = stored;
        // An inner fletcher32 leaves its checksum inside the deflated bytes.
        let checksums = 4 * self
            .filters
            .iter()
            .filter(|&&f| f == FILTER_FLETCHER32)
            .count();
        for (i, id) in self.filters.iter().enumerate().rev() {
            if mask & (1 << i) != 0 {
                continue;
            }
            bytes = match *id {
                FILTER_DEFLATE => inflate(&bytes, expected + checksums)?,
                FILTER_SHUFFLE => unshuffle(&bytes, self.element_size),
                FILTER_FLETCHER32 => strip_fletcher32(bytes)?,
                _ => unreachable!("Pipeline::new admits only the filters above"),
            };
        }
        if bytes.len() != expected {
            return Err(Error::bad_file(format!(
                "a stored chunk decodes to {} bytes, not {expected}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

/// The encoding side: a whole chunk's bytes through the filters, as HDF5's
/// pipeline would store them (for `H5Dwrite_chunk`), with libdeflate
/// compressing several times faster than zlib. Any valid zlib stream is
/// what the deflate filter reads back, so the stored bytes need not equal
/// zlib's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoder {
    /// Filter id and, for deflate, its level; in pipeline order.
    filters: Vec<(i32, u32)>,
    element_size: usize,
}

impl Encoder {
    /// `None` when a filter is not one encoded here.
    pub fn new(filters: &[(i32, u32)], element_size: usize) -> Option<Encoder> {
        let known = [FILTER_DEFLATE, FILTER_SHUFFLE, FILTER_FLETCHER32];
        filters
            .iter()
            .all(|(id, _)| known.contains(id))
            .then(|| Encoder {
                filters: filters.to_vec(),
                element_size,
            })
    }

    pub fn encode(&self, chunk: &[u8]) -> Result<Vec<u8>> {
        ENCODED_HERE.set(ENCODED_HERE.get() + 1);
        let mut bytes = chunk.to_vec();
        for &(id, level) in &self.filters {
            bytes = match id {
                FILTER_DEFLATE => deflate(&bytes, level)?,
                FILTER_SHUFFLE => shuffle(&bytes, self.element_size),
                FILTER_FLETCHER32 => {
                    let sum = fletcher32(&bytes);
                    bytes.extend(sum.to_le_bytes());
                    bytes
                }
                _ => unreachable!("Encoder::new admits only the filters above"),
            };
        }
        Ok(bytes)
    }
}

/// zlib-wrapped deflate at HDF5's level (0-9), as the deflate filter stores it.
fn deflate(bytes: &[u8], level: u32) -> Result<Vec<u8>> {
    let level = libdeflater::CompressionLvl::new(level.min(9) as i32)
        .map_err(|_| Error::runtime(format!("deflate level {level}")))?;
    let mut c = libdeflater::Compressor::new(level);
    let mut out = vec![0u8; c.zlib_compress_bound(bytes.len())];
    let n = c
        .zlib_compress(bytes, &mut out)
        .map_err(|e| Error::runtime(format!("deflate: {e}")))?;
    out.truncate(n);
    Ok(out)
}

/// zlib-wrapped deflate, as HDF5's deflate filter writes it, of at most
/// `capacity` bytes.
fn inflate(stored: &[u8], capacity: usize) -> Result<Vec<u8>> {
    INFLATED.fetch_add(1, Ordering::Relaxed);
    INFLATED_HERE.set(INFLATED_HERE.get() + 1);
    let mut out = vec![0u8; capacity];
    let mut d = libdeflater::Decompressor::new();
    match d.zlib_decompress(stored, &mut out) {
        Ok(n) => {
            out.truncate(n);
            Ok(out)
        }
        Err(e) => Err(Error::bad_file(format!(
            "a stored chunk does not decompress ({e})"
        ))),
    }
}

/// A chunk stored by h5py's LZF filter (a bare liblzf stream of a whole
/// chunk), rewritten to hold `chunk` instead, where `chunk` starts with
/// the stored chunk's first `keep` bytes: the stored stream is kept up to
/// its last instruction that ends within them, and only the rest of
/// `chunk` is compressed after it. That is a valid stream, since each
/// instruction stands alone (a literal run, or a match that looks back
/// into output already produced). `None` when the stored bytes are not
/// such a stream, the chunk does not compress, or the result does not
/// read back as `chunk`: then HDF5 writes the chunk.
pub fn lzf_append(stored: &[u8], chunk: &[u8], keep: usize) -> Option<Vec<u8>> {
    let (kept, done) = lzf_cut(stored, keep.min(chunk.len()))?;
    let tail = &chunk[done..];
    // The filter stores a chunk compressed only when it gets smaller.
    let room = chunk.len().checked_sub(kept + 1)?;
    let mut out = stored[..kept].to_vec();
    out.resize(kept + room, 0);
    if !tail.is_empty() {
        // SAFETY: liblzf reads `tail.len()` bytes and writes at most `room`.
        let n = unsafe {
            lzf_sys::lzf_compress(
                tail.as_ptr().cast(),
                tail.len() as _,
                out[kept..].as_mut_ptr().cast(),
                room as _,
            )
        } as usize;
        if n == 0 {
            return None; // it would not fit
        }
        out.truncate(kept + n);
    } else {
        out.truncate(kept);
    }
    let right = lzf_decompress(&out, chunk.len())? == chunk;
    LZF_APPENDED_HERE.set(LZF_APPENDED_HERE.get() + u64::from(right));
    right.then_some(out)
}

/// The end, in the stream and in the output, of the last instruction of
/// an LZF stream that ends at or before output byte `keep`: a control
/// byte below 32 is a run of that many plus one literal bytes; above, its
/// top three bits are a match length less two (7: add the next byte), the
/// rest and the byte after that the distance back.
fn lzf_cut(stream: &[u8], keep: usize) -> Option<(usize, usize)> {
    let (mut at, mut produced) = (0, 0);
    while at < stream.len() {
        let ctrl = usize::from(stream[at]);
        let (step, len) = match ctrl >> 5 {
            0 => (1 + ctrl + 1, ctrl + 1),
            7 => (3, 7 + usize::from(*stream.get(at + 1)?) + 2),
            short => (2, short + 2),
        };
        if at + step > stream.len() {
            return None;
        }
        if produced + len > keep {
            break;
        }
        at += step;
        produced += len;
    }
    Some((at, produced))
}

/// An LZF stream decoded into exactly `size` bytes (`None` otherwise).
pub fn lzf_decompress(stream: &[u8], size: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; size];
    // SAFETY: liblzf bounds its reads by the input length and its writes by
    // the output length, and reports a stream that would break them.
    let n = unsafe {
        lzf_sys::lzf_decompress(
            stream.as_ptr().cast(),
            stream.len() as _,
            out.as_mut_ptr().cast(),
            size as _,
        )
    } as usize;
    (n == size).then_some(out)
}

/// HDF5's shuffle: byte k of every element is stored together, in
/// plane k; trailing bytes that do not make an element stay as they are.
fn shuffle(bytes: &[u8], size: usize) -> Vec<u8> {
    regroup(bytes, size, true)
}

/// Undoes `shuffle`.
fn unshuffle(bytes: &[u8], size: usize) -> Vec<u8> {
    regroup(bytes, size, false)
}

/// Moves byte k of element e to plane k (`to_planes`) or back.
fn regroup(bytes: &[u8], size: usize, to_planes: bool) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if size <= 1 || bytes.len() < size {
        return out;
    }
    let n = bytes.len() / size;
    for k in 0..size {
        for e in 0..n {
            let (planar, interleaved) = (k * n + e, e * size + k);
            if to_planes {
                out[planar] = bytes[interleaved];
            } else {
                out[interleaved] = bytes[planar];
            }
        }
    }
    out
}

/// Drops the 4-byte checksum after verifying it (HDF5's variant of
/// Fletcher-32, over 16-bit big-endian words).
fn strip_fletcher32(mut bytes: Vec<u8>) -> Result<Vec<u8>> {
    if bytes.len() < 4 {
        return Err(Error::bad_file(
            "a stored chunk is shorter than its checksum",
        ));
    }
    let data_len = bytes.len() - 4;
    let stored = u32::from_le_bytes(bytes[data_len..].try_into().expect("4 bytes"));
    let sum = fletcher32(&bytes[..data_len]);
    // HDF5 before 1.6.3 wrote the checksum with the bytes of each half
    // swapped on some machines; it accepts both, and so do we.
    let b = sum.to_le_bytes();
    let swapped = u32::from_le_bytes([b[1], b[0], b[3], b[2]]);
    if stored != sum && stored != swapped {
        return Err(Error::bad_file(
            "a stored chunk fails its fletcher32 checksum",
        ));
    }
    bytes.truncate(data_len);
    Ok(bytes)
}

fn fletcher32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (0u32, 0u32);
    // 360 words keep the sums below 2^32 between reductions.
    for block in data.chunks(720) {
        let mut words = block.chunks(2);
        for w in &mut words {
            let word = if w.len() == 2 {
                (w[0] as u32) << 8 | w[1] as u32
            } else {
                (w[0] as u32) << 8
            };
            a += word;
            b += a;
        }
        a = (a & 0xffff) + (a >> 16);
        b = (b & 0xffff) + (b >> 16);
    }
    a = (a & 0xffff) + (a >> 16);
    b = (b & 0xffff) + (b >> 16);
    (b << 16) | a
}

/// The C-order box `[0, extent)` of a whole chunk's elements (an edge
/// chunk's cells inside the dataset).
pub fn leading_box(chunk: Vec<u8>, chunks: &[usize], extent: &[usize], size: usize) -> Vec<u8> {
    if chunks == extent {
        return chunk;
    }
    let rank = chunks.len();
    let row = extent[rank - 1] * size;
    let mut out = Vec::with_capacity(extent.iter().product::<usize>() * size);
    for lead in grid_positions(&extent[..rank - 1]) {
        let start = flat(&lead, &chunks[..rank - 1]) * chunks[rank - 1] * size;
        out.extend_from_slice(&chunk[start..start + row]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_box_takes_the_leading_box() {
        // A 3x4 chunk of one-byte elements, clipped to 2x3.
        let chunk: Vec<u8> = (0..12).collect();
        assert_eq!(
            leading_box(chunk.clone(), &[3, 4], &[2, 3], 1),
            vec![0, 1, 2, 4, 5, 6]
        );
        assert_eq!(leading_box(chunk.clone(), &[3, 4], &[3, 4], 1), chunk);
        assert_eq!(
            leading_box((0..8).collect(), &[8], &[5], 1),
            vec![0, 1, 2, 3, 4]
        );
        // Two-byte elements, 2x2x2 clipped to 1x2x1.
        let c3: Vec<u8> = (0..16).collect();
        assert_eq!(leading_box(c3, &[2, 2, 2], &[1, 2, 1], 2), vec![0, 1, 4, 5]);
    }

    #[test]
    fn unshuffle_inverts_shuffle() {
        let elements: Vec<u8> = (0u8..24).collect();
        let n = 6;
        let mut shuffled = vec![0u8; 24];
        for e in 0..n {
            for k in 0..4 {
                shuffled[k * n + e] = elements[e * 4 + k];
            }
        }
        assert_eq!(unshuffle(&shuffled, 4), elements);
    }

    #[test]
    fn unknown_filters_are_left_to_hdf5() {
        assert!(Pipeline::new(&[32000], 8).is_none());
        assert!(Pipeline::new(&[2, 1], 8).is_some());
    }

    /// HDF5 writes chunks through every pipeline shape; decoding their
    /// stored bytes here gives what HDF5 reads back.
    #[test]
    fn decodes_what_hdf5_writes() {
        let dir = tempfile::tempdir().unwrap();
        let file = hdf5::File::create(dir.path().join("f.h5")).unwrap();
        let values: Vec<f64> = (0..1000).map(|i| (i as f64).sin() * 1e3).collect();
        let cases = [
            (false, false, 4u8),
            (true, false, 0),
            (true, true, 9),
            (false, true, 0),
        ];
        for (n, (shuffle, fletcher, level)) in cases.into_iter().enumerate() {
            let mut b = file.new_dataset::<f64>().chunk(1000).shape(1000);
            if shuffle {
                b = b.shuffle();
            }
            if fletcher {
                b = b.fletcher32();
            }
            if level > 0 {
                b = b.deflate(level);
            }
            let ds = b.create(format!("d{n}").as_str()).unwrap();
            ds.write(&values).unwrap();
            let dcpl = crate::engine::h5::dataset_dcpl(ds.id()).unwrap();
            let ids: Vec<i32> = crate::engine::h5::filters(dcpl.id())
                .unwrap()
                .iter()
                .map(|f| f.id)
                .collect();
            let (stored, mask) = crate::engine::h5::read_stored_chunk(ds.id(), &[0])
                .unwrap()
                .unwrap();
            let decoded = Pipeline::new(&ids, 8)
                .unwrap()
                .decode(stored, mask, 8000)
                .unwrap();
            let expected: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            assert_eq!(decoded, expected, "case {n}: filters {ids:?}");
        }
    }

    /// Chunks encoded here and stored as they are (`H5Dwrite_chunk`) read
    /// back through HDF5's own pipeline as the values encoded.
    #[test]
    fn hdf5_reads_what_is_encoded_here() {
        let dir = tempfile::tempdir().unwrap();
        let file = hdf5::File::create(dir.path().join("f.h5")).unwrap();
        let values: Vec<f64> = (0..999).map(|i| (i as f64).cos() * 1e3).collect();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let cases: [&[(i32, u32)]; 4] = [
            &[(FILTER_DEFLATE, 4)],
            &[(FILTER_SHUFFLE, 0), (FILTER_DEFLATE, 9)],
            &[
                (FILTER_SHUFFLE, 0),
                (FILTER_DEFLATE, 1),
                (FILTER_FLETCHER32, 0),
            ],
            &[(FILTER_FLETCHER32, 0)],
        ];
        for (n, filters) in cases.into_iter().enumerate() {
            let mut b = file.new_dataset::<f64>().chunk(999).shape(999);
            for &(id, level) in filters {
                b = match id {
                    FILTER_SHUFFLE => b.shuffle(),
                    FILTER_FLETCHER32 => b.fletcher32(),
                    _ => b.deflate(level as u8),
                };
            }
            let ds = b.create(format!("d{n}").as_str()).unwrap();
            let stored = Encoder::new(filters, 8).unwrap().encode(&bytes).unwrap();
            crate::engine::h5::write_stored_chunk(ds.id(), &[0], 0, &stored).unwrap();
            assert_eq!(
                ds.read_raw::<f64>().unwrap(),
                values,
                "case {n}: {filters:?}"
            );
        }
        assert!(Encoder::new(&[(FILTER_DEFLATE, 4), (32000, 0)], 8).is_none());
    }

    /// Rows of 48 bytes like a hash table's, `n` of them, then zeros to
    /// `rows` rows.
    fn table_chunk(n: usize, rows: usize) -> Vec<u8> {
        let mut chunk = vec![0u8; rows * 48];
        for (i, row) in chunk.chunks_mut(48).take(n).enumerate() {
            let digest = <sha2::Sha256 as sha2::Digest>::digest((i as u64).to_le_bytes());
            row[..32].copy_from_slice(&digest);
            row[32..40].copy_from_slice(&((i * 5000) as i64).to_le_bytes());
            row[40..].copy_from_slice(&((i * 5000 + 5000) as i64).to_le_bytes());
        }
        chunk
    }

    fn lzf(bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; bytes.len()];
        // SAFETY: liblzf writes at most `out.len()` bytes.
        let n = unsafe {
            lzf_sys::lzf_compress(
                bytes.as_ptr().cast(),
                bytes.len() as _,
                out.as_mut_ptr().cast(),
                out.len() as _,
            )
        } as usize;
        assert!(n > 0);
        out.truncate(n);
        out
    }

    #[test]
    fn lzf_cut_ends_at_an_instruction_within_the_kept_output() {
        // 3 literals "abc"; a match of 4 one back; a long match (7 + 2 + 2)
        // of 11 three back; 1 literal.
        let stream = [2, b'a', b'b', b'c', 2 << 5, 0, 7 << 5, 2, 2, 0, b'z'];
        let want = [
            (0, (0, 0)),
            (2, (0, 0)),
            (3, (4, 3)),
            (6, (4, 3)),
            (7, (6, 7)),
        ];
        for (keep, cut) in want {
            assert_eq!(lzf_cut(&stream, keep), Some(cut), "keep {keep}");
        }
        assert_eq!(lzf_cut(&stream, 18), Some((9, 18)));
        assert_eq!(lzf_cut(&stream, 99), Some((11, 19)));
        let text = format!("abc{}z", "c".repeat(15));
        assert_eq!(lzf_decompress(&stream, 19).unwrap(), text.as_bytes());
        // A run announced past the end of the stream.
        assert_eq!(lzf_cut(&[5, b'a'], 99), None);
        assert_eq!(lzf_cut(&[7 << 5], 99), None);
    }

    /// Rows appended to a compressed chunk read back as the new chunk, and
    /// the stream before them is kept as it was.
    #[test]
    fn lzf_append_extends_the_stored_stream() {
        let rows = 4096;
        for (old, new) in [(0, 1), (1, 2), (3589, 3590), (3589, 3600), (4000, 4096)] {
            let stored = lzf(&table_chunk(old, rows));
            let chunk = table_chunk(new, rows);
            let out = lzf_append(&stored, &chunk, old * 48).expect("appended");
            assert_eq!(
                lzf_decompress(&out, chunk.len()).unwrap(),
                chunk,
                "{old}->{new}"
            );
            let (kept, _) = lzf_cut(&stored, old * 48).unwrap();
            assert_eq!(out[..kept], stored[..kept], "{old}->{new}");
            assert!(
                kept * 10 >= stored.len() * 9 || old < 100,
                "{old}: kept {kept} of {}",
                stored.len()
            );
        }
    }

    /// A damaged stored chunk never gives a wrong chunk: each truncation
    /// and flipped byte gives `None` or a stream that reads back right.
    #[test]
    fn lzf_append_never_returns_a_wrong_stream() {
        let stored = lzf(&table_chunk(60, 64));
        let chunk = table_chunk(61, 64);
        for len in 0..stored.len() {
            if let Some(out) = lzf_append(&stored[..len], &chunk, 60 * 48) {
                assert_eq!(lzf_decompress(&out, chunk.len()).unwrap(), chunk);
            }
        }
        for at in 0..stored.len() {
            let mut bad = stored.clone();
            bad[at] ^= 0x5a;
            if let Some(out) = lzf_append(&bad, &chunk, 60 * 48) {
                assert_eq!(lzf_decompress(&out, chunk.len()).unwrap(), chunk);
            }
        }
        // Incompressible: the filter would store it as it is; HDF5 does that.
        let noise: Vec<u8> = (0..128u64)
            .flat_map(|i| <sha2::Sha256 as sha2::Digest>::digest(i.to_le_bytes()))
            .collect();
        assert_eq!(lzf_append(&[], &noise, 0), None);
    }

    /// HDF5's own LZF filter (the one h5py registers) reads the appended
    /// stream stored with `H5Dwrite_chunk`.
    #[test]
    fn hdf5_reads_an_appended_lzf_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let file = hdf5::File::create(dir.path().join("f.h5")).unwrap();
        let rows = 4096;
        let ds = file
            .new_dataset::<u8>()
            .chunk(rows * 48)
            .shape(rows * 48)
            .lzf()
            .create("t")
            .unwrap();
        ds.write_raw(&table_chunk(100, rows)).unwrap();
        let (stored, mask) = crate::engine::h5::read_stored_chunk(ds.id(), &[0])
            .unwrap()
            .unwrap();
        assert_eq!(mask, 0, "stored compressed");
        let chunk = table_chunk(103, rows);
        let out = lzf_append(&stored, &chunk, 100 * 48).unwrap();
        crate::engine::h5::write_stored_chunk(ds.id(), &[0], 0, &out).unwrap();
        assert_eq!(ds.read_raw::<u8>().unwrap(), chunk);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let p = Pipeline::new(&[FILTER_DEFLATE], 8).unwrap();
        assert!(p.decode(vec![1, 2, 3, 4, 5], 0, 64).is_err());
        let f = Pipeline::new(&[FILTER_FLETCHER32], 8).unwrap();
        assert!(f.decode(vec![1; 12], 0, 8).is_err());
    }
}
