//! A byte reader that cannot panic, for the fixed-layout binary headers analyzers read (IM*H
//! and xV4 packages, uImage and SquashFS headers, app descriptors). Modelled on the `object`
//! crate's `Bytes` ("no methods that can panic"), without its `unsafe` typed reads: every read
//! names an offset and a width and returns `None` when the bytes are not there, and
//! [`ReadContext::read_error`] turns that into a [`ReadError`] that says what was being read.
//!
//! [`Bytes`] reads at absolute offsets (`u32_le(156)`); [`Cursor`] reads in sequence, for
//! records that follow one another (directory entries, chunk tables).

/// Bytes read at absolute offsets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bytes<'data>(pub &'data [u8]);

impl<'data> Bytes<'data> {
    pub fn len(self) -> usize {
        self.0.len()
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    /// `length` bytes at `offset`, if they are all there.
    pub fn bytes_at(self, offset: usize, length: usize) -> Option<&'data [u8]> {
        self.0.get(offset..offset.checked_add(length)?)
    }

    /// Everything from `offset` on (empty at the end, `None` past it).
    pub fn rest_at(self, offset: usize) -> Option<&'data [u8]> {
        self.0.get(offset..)
    }

    /// `N` bytes at `offset`, copied into an array.
    pub fn array_at<const N: usize>(self, offset: usize) -> Option<[u8; N]> {
        self.bytes_at(offset, N)?.try_into().ok()
    }

    pub fn u8_at(self, offset: usize) -> Option<u8> {
        self.0.get(offset).copied()
    }

    pub fn u16_le(self, offset: usize) -> Option<u16> {
        self.array_at(offset).map(u16::from_le_bytes)
    }

    pub fn u16_be(self, offset: usize) -> Option<u16> {
        self.array_at(offset).map(u16::from_be_bytes)
    }

    pub fn i16_le(self, offset: usize) -> Option<i16> {
        self.array_at(offset).map(i16::from_le_bytes)
    }

    pub fn u32_le(self, offset: usize) -> Option<u32> {
        self.array_at(offset).map(u32::from_le_bytes)
    }

    pub fn u32_be(self, offset: usize) -> Option<u32> {
        self.array_at(offset).map(u32::from_be_bytes)
    }

    pub fn u64_le(self, offset: usize) -> Option<u64> {
        self.array_at(offset).map(u64::from_le_bytes)
    }

    pub fn u64_be(self, offset: usize) -> Option<u64> {
        self.array_at(offset).map(u64::from_be_bytes)
    }
}

/// Bytes read in sequence: each read consumes what it returns, and a read that does not fit
/// consumes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor<'data> {
    bytes: Bytes<'data>,
    position: usize,
}

impl<'data> Cursor<'data> {
    pub fn new(bytes: &'data [u8]) -> Self {
        Cursor {
            bytes: Bytes(bytes),
            position: 0,
        }
    }

    /// The offset of the next read from the start.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    pub fn read_bytes(&mut self, length: usize) -> Option<&'data [u8]> {
        let read = self.bytes.bytes_at(self.position, length)?;
        self.position += length;
        Some(read)
    }

    fn read_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let read = self.bytes.array_at(self.position)?;
        self.position += N;
        Some(read)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.read_array().map(u8::from_le_bytes)
    }

    pub fn u16_le(&mut self) -> Option<u16> {
        self.read_array().map(u16::from_le_bytes)
    }

    pub fn i16_le(&mut self) -> Option<i16> {
        self.read_array().map(i16::from_le_bytes)
    }

    pub fn u32_le(&mut self) -> Option<u32> {
        self.read_array().map(u32::from_le_bytes)
    }

    pub fn u32_be(&mut self) -> Option<u32> {
        self.read_array().map(u32::from_be_bytes)
    }

    pub fn u64_le(&mut self) -> Option<u64> {
        self.read_array().map(u64::from_le_bytes)
    }
}

/// A read that did not fit: what was being read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {what}: the data ends first")]
pub struct ReadError {
    pub what: &'static str,
}

/// Attaches what was being read to a failed read (`header.u32_le(156).read_error("the chunk
/// count")?`), as object's `ReadError` trait does.
pub trait ReadContext<T> {
    fn read_error(self, what: &'static str) -> Result<T, ReadError>;
}

impl<T> ReadContext<T> for Option<T> {
    fn read_error(self, what: &'static str) -> Result<T, ReadError> {
        self.ok_or(ReadError { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_are_none_not_panics() {
        let bytes = Bytes(&[1, 2, 3, 4, 5]);
        assert_eq!(bytes.u32_le(0), Some(0x0403_0201));
        assert_eq!(bytes.u32_be(1), Some(0x0203_0405));
        assert_eq!(bytes.u32_le(2), None);
        assert_eq!(bytes.u16_le(4), None);
        assert_eq!(bytes.u64_le(0), None);
        assert_eq!(bytes.bytes_at(usize::MAX, 2), None);
        assert_eq!(bytes.bytes_at(2, usize::MAX), None);
        assert_eq!(bytes.rest_at(5), Some(&[][..]));
        assert_eq!(bytes.rest_at(6), None);
        assert_eq!(bytes.u8_at(5), None);
        assert_eq!(Bytes(&[0xfe, 0xff]).i16_le(0), Some(-2));
    }

    #[test]
    fn a_cursor_consumes_only_what_fits() {
        let mut cursor = Cursor::new(&[1, 0, 2, 0, 0, 0, 9]);
        assert_eq!(cursor.u16_le(), Some(1));
        assert_eq!(cursor.u32_le(), Some(2));
        assert_eq!(cursor.u16_le(), None);
        assert_eq!(cursor.position(), 6);
        assert_eq!(cursor.remaining(), 1);
        assert_eq!(cursor.u8(), Some(9));
        assert_eq!(cursor.read_bytes(1), None);
    }

    #[test]
    fn a_failed_read_says_what_it_was() {
        let error = Bytes(&[0; 3])
            .u32_le(0)
            .read_error("the chunk count")
            .expect_err("too short");
        assert_eq!(
            error.to_string(),
            "cannot read the chunk count: the data ends first"
        );
    }
}
