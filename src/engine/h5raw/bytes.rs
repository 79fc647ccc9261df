//! A bounds-checked little-endian cursor over a byte slice, and the
//! Jenkins lookup3 hash HDF5 uses as its metadata checksum.

use super::RawError;

/// Reads fields front to back; every read past the end is an error.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// What is being decoded, for error messages.
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8], what: &'static str) -> Cursor<'a> {
        Cursor { buf, pos: 0, what }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], RawError> {
        if n > self.remaining() {
            return Err(RawError::format(format!(
                "{} truncated: need {n} bytes at offset {}, have {}",
                self.what,
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), RawError> {
        self.take(n).map(|_| ())
    }

    pub fn u8(&mut self) -> Result<u8, RawError> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, RawError> {
        self.uint(2).map(|v| v as u16)
    }

    pub fn u32(&mut self) -> Result<u32, RawError> {
        self.uint(4).map(|v| v as u32)
    }

    /// A little-endian unsigned integer of `n` bytes, 1 <= n <= 8.
    pub fn uint(&mut self, n: usize) -> Result<u64, RawError> {
        if n == 0 || n > 8 {
            return Err(RawError::unsupported(format!(
                "{}: {n}-byte integers",
                self.what
            )));
        }
        let b = self.take(n)?;
        Ok(match n {
            2 => u16::from_le_bytes([b[0], b[1]]).into(),
            4 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]).into(),
            8 => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            _ => b.iter().rev().fold(0, |acc, &x| (acc << 8) | u64::from(x)),
        })
    }

    /// A NUL-terminated string; the terminator is consumed, not returned.
    pub fn cstr(&mut self) -> Result<&'a [u8], RawError> {
        let rest = &self.buf[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| RawError::format(format!("{}: unterminated string", self.what)))?;
        self.pos += len + 1;
        Ok(&rest[..len])
    }
}

/// HDF5's metadata checksum: Bob Jenkins' lookup3 `hashlittle` with an
/// initial value of 0, as in `H5_checksum_lookup3`.
pub fn lookup3(data: &[u8]) -> u32 {
    fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
        *a = a.wrapping_sub(*c);
        *a ^= c.rotate_left(4);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a);
        *b ^= a.rotate_left(6);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b);
        *c ^= b.rotate_left(8);
        *b = b.wrapping_add(*a);
        *a = a.wrapping_sub(*c);
        *a ^= c.rotate_left(16);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a);
        *b ^= a.rotate_left(19);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b);
        *c ^= b.rotate_left(4);
        *b = b.wrapping_add(*a);
    }
    fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(14));
        *a ^= *c;
        *a = a.wrapping_sub(c.rotate_left(11));
        *b ^= *a;
        *b = b.wrapping_sub(a.rotate_left(25));
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(16));
        *a ^= *c;
        *a = a.wrapping_sub(c.rotate_left(4));
        *b ^= *a;
        *b = b.wrapping_sub(a.rotate_left(14));
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(24));
    }
    /// Up to 4 bytes as a little-endian word; missing high bytes are zero.
    fn word(k: &[u8]) -> u32 {
        let mut w = [0u8; 4];
        let n = k.len().min(4);
        w[..n].copy_from_slice(&k[..n]);
        u32::from_le_bytes(w)
    }
    let init = 0xdead_beefu32.wrapping_add(data.len() as u32);
    let (mut a, mut b, mut c) = (init, init, init);
    // All blocks but the last (which may be a full 12 bytes) are mixed.
    let full = data.len().saturating_sub(1) / 12;
    for k in data.chunks_exact(12).take(full) {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
    }
    let k = &data[full * 12..];
    if k.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(k));
    if k.len() > 4 {
        b = b.wrapping_add(word(&k[4..]));
    }
    if k.len() > 8 {
        c = c.wrapping_add(word(&k[8..]));
    }
    finish(&mut a, &mut b, &mut c);
    c
}

/// Checks the 4-byte checksum that ends `block` against the rest of it.
pub fn verify_checksum(block: &[u8], what: &str) -> Result<(), RawError> {
    if block.len() < 4 {
        return Err(RawError::format(format!(
            "{what}: too short for a checksum"
        )));
    }
    let (body, tail) = block.split_at(block.len() - 4);
    let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    let computed = lookup3(body);
    if stored != computed {
        return Err(RawError::format(format!(
            "{what}: checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup3_known_values() {
        // Published hashlittle() vectors (Jenkins' lookup3.c driver5).
        assert_eq!(lookup3(b""), 0xdeadbeef);
        assert_eq!(lookup3(b"Four score and seven years ago"), 0x17770551);
    }

    /// Byte-at-a-time transcription of `H5_checksum_lookup3`'s tail switch.
    fn lookup3_reference(data: &[u8]) -> u32 {
        let rot = |x: u32, k: u32| x.rotate_left(k);
        let init = 0xdead_beefu32.wrapping_add(data.len() as u32);
        let (mut a, mut b, mut c) = (init, init, init);
        let mut k = data;
        let w = |k: &[u8], i: usize| u32::from(k[i]) << (8 * (i % 4));
        while k.len() > 12 {
            for i in 0..4 {
                a = a.wrapping_add(w(k, i));
                b = b.wrapping_add(w(k, i + 4));
                c = c.wrapping_add(w(k, i + 8));
            }
            a = a.wrapping_sub(c) ^ rot(c, 4);
            c = c.wrapping_add(b);
            b = b.wrapping_sub(a) ^ rot(a, 6);
            a = a.wrapping_add(c);
            c = c.wrapping_sub(b) ^ rot(b, 8);
            b = b.wrapping_add(a);
            a = a.wrapping_sub(c) ^ rot(c, 16);
            c = c.wrapping_add(b);
            b = b.wrapping_sub(a) ^ rot(a, 19);
            a = a.wrapping_add(c);
            c = c.wrapping_sub(b) ^ rot(b, 4);
            b = b.wrapping_add(a);
            k = &k[12..];
        }
        if k.is_empty() {
            return c;
        }
        for (i, _) in k.iter().enumerate() {
            match i {
                0..=3 => a = a.wrapping_add(w(k, i)),
                4..=7 => b = b.wrapping_add(w(k, i)),
                _ => c = c.wrapping_add(w(k, i)),
            }
        }
        c ^= b;
        c = c.wrapping_sub(rot(b, 14));
        a ^= c;
        a = a.wrapping_sub(rot(c, 11));
        b ^= a;
        b = b.wrapping_sub(rot(a, 25));
        c ^= b;
        c = c.wrapping_sub(rot(b, 16));
        a ^= c;
        a = a.wrapping_sub(rot(c, 4));
        b ^= a;
        b = b.wrapping_sub(rot(a, 14));
        c ^= b;
        c = c.wrapping_sub(rot(b, 24));
        c
    }

    #[test]
    fn lookup3_matches_the_reference_at_every_length() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(
                lookup3(&data[..n]),
                lookup3_reference(&data[..n]),
                "len {n}"
            );
        }
    }

    #[test]
    fn cursor_reads_and_refuses_overruns() {
        let mut c = Cursor::new(&[1, 2, 3, 4, 5, b'a', 0], "t");
        assert_eq!(c.u16().unwrap(), 0x0201);
        assert_eq!(c.uint(3).unwrap(), 0x050403);
        assert_eq!(c.cstr().unwrap(), b"a");
        assert!(c.is_empty());
        assert!(c.u8().is_err());
        assert!(Cursor::new(&[1], "t").u16().is_err());
        assert!(Cursor::new(b"ab", "t").cstr().is_err());
        assert!(Cursor::new(&[0; 16], "t").uint(9).is_err());
    }
}
