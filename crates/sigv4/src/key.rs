//! Signing-key derivation and a bounded cache of derived keys.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail; the fallback key is never used
    // in practice and would only ever produce a mismatching signature.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => HmacSha256::new(&Default::default()),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The two lower-case hex digits of every byte value.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        pairs[b] = [DIGITS[b >> 4], DIGITS[b & 0x0f]];
        b += 1;
    }
    pairs
};

/// A 32-byte digest in lower-case hex, on the stack.
pub(crate) struct HexDigest([u8; 64]);

impl HexDigest {
    /// Lower-case hex of `bytes`.
    pub(crate) fn new(bytes: &[u8; 32]) -> HexDigest {
        let mut out = [0u8; 64];
        for (pair, b) in out.as_chunks_mut::<2>().0.iter_mut().zip(bytes) {
            *pair = HEX_PAIRS[usize::from(*b)];
        }
        HexDigest(out)
    }

    /// Lower-case hex SHA-256 of `data`.
    pub(crate) fn sha256(data: &[u8]) -> HexDigest {
        HexDigest::new(&Sha256::digest(data).into())
    }

    /// The hex text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether `text` is this digest's hex text, in time that depends on the lengths only (not
    /// on where they differ).
    pub(crate) fn ct_eq_text(&self, text: &[u8]) -> Choice {
        match <&[u8; 64]>::try_from(text) {
            Ok(text) => ct_eq_bytes(&self.0, text),
            Err(_) => Choice::from(0),
        }
    }
}

/// Whether `a` and `b` are equal, in constant time: the differences of all their 64-bit words
/// are gathered with `|` (no branch, no early exit) and only that word is compared, with
/// `subtle`, so one optimisation barrier is crossed instead of one per byte.
fn ct_eq_bytes<const N: usize>(a: &[u8; N], b: &[u8; N]) -> Choice {
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    let mut difference = 0u64;
    for (x, y) in a_words.iter().zip(b_words) {
        difference |= u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
    }
    for (x, y) in a_rest.iter().zip(b_rest) {
        difference |= u64::from(x ^ y);
    }
    difference.ct_eq(&0)
}

/// Lower-case hex SHA-256 of `data`.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    HexDigest::sha256(data).as_str().to_owned()
}

/// Derives the SigV4 signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
/// "aws4_request")`.
#[must_use]
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Lower-case hex HMAC-SHA256 signature of `string_to_sign` under `signing_key`.
#[must_use]
pub fn signature_hex(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    signature_digest(signing_key, string_to_sign.as_bytes())
        .as_str()
        .to_owned()
}

thread_local! {
    /// The signing key of the thread's last signature and the HMAC state keyed with it (the
    /// hashes of the key's inner and outer pads): a client signs many requests with one key.
    static KEYED_MAC: RefCell<Option<([u8; 32], HmacSha256)>> = const { RefCell::new(None) };
}

/// HMAC-SHA256 keyed with `signing_key`, ready for the message: the thread's remembered state
/// when it was keyed with the same key (compared in constant time), else a new one (remembered).
fn keyed_mac(signing_key: &[u8; 32]) -> HmacSha256 {
    let new_mac = || match HmacSha256::new_from_slice(signing_key) {
        Ok(mac) => mac,
        // Never: HMAC accepts keys of any length (see `hmac_sha256`).
        Err(_) => HmacSha256::new(&Default::default()),
    };
    KEYED_MAC.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return new_mac();
        };
        if let Some((key, mac)) = slot.as_ref()
            && bool::from(ct_eq_bytes(key, signing_key))
        {
            return mac.clone();
        }
        let mac = new_mac();
        *slot = Some((*signing_key, mac.clone()));
        mac
    })
}

/// [`signature_hex`] on the stack.
pub(crate) fn signature_digest(signing_key: &[u8; 32], string_to_sign: &[u8]) -> HexDigest {
    let mut mac = keyed_mac(signing_key);
    mac.update(string_to_sign);
    HexDigest::new(&mac.finalize().into_bytes().into())
}

/// Default number of cached signing keys.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// A bounded cache of derived signing keys keyed by (access key id, secret fingerprint, date,
/// region, service).
///
/// The map key is a SHA-256 digest over the length-prefixed parts, so the cache holds neither the
/// secret nor unbounded key strings; a rotated secret gets a new entry. When full, the oldest entry
/// is evicted (FIFO). Thread-safe.
pub struct SigningKeyCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<CacheId, [u8; 32], BuildHasherDefault<CacheIdHasher>>,
    order: VecDeque<CacheId>,
}

/// A cache key: the SHA-256 digest of the key's parameters ([`cache_id`]).
#[derive(Clone, Copy, PartialEq, Eq)]
struct CacheId([u8; 32]);

impl Hash for CacheId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(first));
    }
}

/// Hashes a [`CacheId`] by its first eight bytes: they are already uniformly distributed (part
/// of a SHA-256 digest), so running SipHash over them again would only cost time.
#[derive(Default)]
struct CacheIdHasher(u64);

impl Hasher for CacheIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_CAPACITY)
    }
}

fn cache_id(access_key_id: &str, secret: &str, date: &str, region: &str, service: &str) -> CacheId {
    let mut h = Sha256::new();
    for part in [access_key_id, secret, date, region, service] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    CacheId(h.finalize().into())
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (a capacity of 0 disables caching).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// Number of cached keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }

    /// Whether the cache is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The signing key for these parameters, derived on a miss and remembered.
    #[must_use]
    pub fn signing_key(
        &self,
        access_key_id: &str,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> [u8; 32] {
        if self.capacity == 0 {
            return derive_signing_key(secret, date, region, service);
        }
        let id = cache_id(access_key_id, secret, date, region, service);
        if let Some(key) = self.inner.lock().map.get(&id) {
            return *key;
        }
        let key = derive_signing_key(secret, date, region, service);
        let mut inner = self.inner.lock();
        if inner.map.insert(id, key).is_none() {
            inner.order.push_back(id);
            while inner.map.len() > self.capacity {
                match inner.order.pop_front() {
                    Some(old) => {
                        inner.map.remove(&old);
                    }
                    None => break,
                }
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_key() {
        // Example from the AWS SigV4 documentation (secret wJalr..., 20150830/us-east-1/iam).
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn hex_digests_match_the_hex_crate() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37 + 11) as u8);
        assert_eq!(HexDigest::new(&bytes).as_str(), hex::encode(bytes));
        let all: Vec<u8> = (0..=255).collect();
        for chunk in all.chunks(32) {
            let bytes: [u8; 32] = chunk.try_into().unwrap();
            assert_eq!(HexDigest::new(&bytes).as_str(), hex::encode(bytes));
        }
    }

    #[test]
    fn hex_text_compares_equal_only_to_itself() {
        let digest = HexDigest::sha256(b"body");
        let text = digest.as_str().as_bytes().to_vec();
        assert!(bool::from(digest.ct_eq_text(&text)));
        for at in 0..64 {
            let mut other = text.clone();
            other[at] ^= 1;
            assert!(!bool::from(digest.ct_eq_text(&other)), "{at}");
        }
        assert!(!bool::from(digest.ct_eq_text(&text[..63])));
        assert!(!bool::from(
            digest.ct_eq_text(&[text.clone(), b"0".to_vec()].concat())
        ));
        assert!(!bool::from(digest.ct_eq_text(b"")));
        let upper = digest.as_str().to_ascii_uppercase();
        assert_eq!(
            bool::from(digest.ct_eq_text(upper.as_bytes())),
            upper == digest.as_str()
        );
    }

    #[test]
    fn byte_arrays_compare_equal_only_when_equal() {
        let a: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert!(bool::from(ct_eq_bytes(&a, &a)));
        for at in 0..32 {
            for bit in 0..8 {
                let mut b = a;
                b[at] ^= 1 << bit;
                assert!(!bool::from(ct_eq_bytes(&a, &b)), "{at} {bit}");
            }
        }
        assert!(bool::from(ct_eq_bytes(b"abc", b"abc")));
        assert!(!bool::from(ct_eq_bytes(b"abc", b"abd")));
        assert!(bool::from(ct_eq_bytes(&[], &[])));
    }

    #[test]
    fn remembered_hmac_states_sign_as_fresh_ones() {
        let keys = [[1u8; 32], [2u8; 32], [1u8; 32], [1u8; 32], [3u8; 32]];
        for (i, key) in keys.iter().enumerate() {
            let message = format!("string to sign {i}");
            assert_eq!(
                signature_digest(key, message.as_bytes()).as_str(),
                hex::encode(hmac_sha256(key, message.as_bytes())),
                "{i}"
            );
        }
        // While the thread's state is in use (never, today), a fresh one is made.
        KEYED_MAC.with(|cell| {
            let _held = cell.borrow_mut();
            assert_eq!(
                signature_digest(&[1u8; 32], b"m").as_str(),
                hex::encode(hmac_sha256(&[1u8; 32], b"m"))
            );
        });
    }

    #[test]
    fn cache_is_bounded_and_keyed_by_secret() {
        let cache = SigningKeyCache::new(2);
        let a = cache.signing_key("AK", "s1", "20150830", "r", "svc");
        let b = cache.signing_key("AK", "s2", "20150830", "r", "svc");
        assert_ne!(a, b);
        assert_eq!(cache.len(), 2);
        assert_eq!(a, cache.signing_key("AK", "s1", "20150830", "r", "svc"));
        assert_eq!(cache.len(), 2);
        let _ = cache.signing_key("AK", "s3", "20150830", "r", "svc");
        assert_eq!(cache.len(), 2);
        assert_eq!(a, derive_signing_key("s1", "20150830", "r", "svc"));
        let off = SigningKeyCache::new(0);
        assert_eq!(a, off.signing_key("AK", "s1", "20150830", "r", "svc"));
        assert!(off.is_empty());
    }
}
