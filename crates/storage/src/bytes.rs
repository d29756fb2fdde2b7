//! [`Bytes`]: an immutable byte string read from storage, shared rather than copied.

use std::fmt;
use std::ops::Deref;

pub use byteview::ByteView;

/// An immutable byte string read from storage. Backends that keep their data in
/// reference-counted buffers (fjall does) hand these out without copying the bytes, and
/// cloning one only bumps a reference count; short strings are stored inline.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(ByteView);

impl Bytes {
    /// The bytes as a slice.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<ByteView> for Bytes {
    fn from(view: ByteView) -> Bytes {
        Bytes(view)
    }
}

impl From<&[u8]> for Bytes {
    /// Copies `bytes`.
    fn from(bytes: &[u8]) -> Bytes {
        Bytes(ByteView::from(bytes))
    }
}

impl From<Vec<u8>> for Bytes {
    /// Copies `bytes` (into a buffer with room for the reference count).
    fn from(bytes: Vec<u8>) -> Bytes {
        Bytes(ByteView::from(bytes))
    }
}

impl PartialEq<[u8]> for Bytes {
    fn eq(&self, other: &[u8]) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<Vec<u8>> for Bytes {
    fn eq(&self, other: &Vec<u8>) -> bool {
        *self.0 == **other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_values_round_trip() {
        for len in [0, 1, 20, 21, 4096] {
            let v: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let b = Bytes::from(v.clone());
            assert_eq!(b, v);
            assert_eq!(b.clone().as_slice(), v.as_slice());
            assert_eq!(Bytes::from(v.as_slice()), b);
            assert_eq!(format!("{b:?}"), format!("{v:?}"));
        }
    }
}
