//! Secrets at rest: every secret access key and session secret is sealed with
//! XChaCha20-Poly1305 under a key-encryption key (KEK) that is never written to the store.
//! Each ciphertext carries the id of the KEK that sealed it, so keys can rotate.

use std::fmt;
use std::io::{Read, Write};
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::CryptoError;

/// A secret string (secret access key, session token). Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value. Call only where the value is needed (signing, the one response that
    /// returns it).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Where the key-encryption key comes from.
#[derive(Clone)]
pub enum KeyProvider {
    /// A key file: 32 raw bytes (or their base64 text). Created with mode 0600 and 32 random
    /// bytes if it does not exist.
    File(PathBuf),
    /// The base64 text of 32 bytes, e.g. the value of an environment variable.
    Base64(String),
    /// The key itself (tests, embedding).
    Bytes([u8; 32]),
}

impl fmt::Debug for KeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProvider::File(p) => f.debug_tuple("File").field(p).finish(),
            KeyProvider::Base64(_) => f.write_str("Base64(<redacted>)"),
            KeyProvider::Bytes(_) => f.write_str("Bytes(<redacted>)"),
        }
    }
}

impl KeyProvider {
    /// Loads (or, for a missing key file, creates) the key.
    pub fn load(&self) -> Result<Kek, CryptoError> {
        match self {
            KeyProvider::Bytes(b) => Ok(Kek::new(*b)),
            KeyProvider::Base64(text) => decode_b64_key(text).map(Kek::new),
            KeyProvider::File(path) => load_key_file(path).map(Kek::new),
        }
    }
}

fn decode_b64_key(text: &str) -> Result<[u8; 32], CryptoError> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|_| CryptoError::KeyLength("text that is not base64".to_owned()))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| CryptoError::KeyLength(format!("{} bytes", bytes.len())))
}

fn load_key_file(path: &PathBuf) -> Result<[u8; 32], CryptoError> {
    let err = |e: std::io::Error| CryptoError::KeyFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut file) => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            file.write_all(&key).map_err(err)?;
            file.sync_all().map_err(err)?;
            tracing::info!(path = %path.display(), "created a new key-encryption key file");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut data = Vec::new();
            std::fs::File::open(path)
                .and_then(|mut f| f.read_to_end(&mut data))
                .map_err(err)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(path)
                    && meta.permissions().mode() & 0o077 != 0
                {
                    tracing::warn!(path = %path.display(), "the key-encryption key file is readable by group or others; use mode 0600");
                }
            }
            if let Ok(raw) = <[u8; 32]>::try_from(data.as_slice()) {
                return Ok(raw);
            }
            let text = String::from_utf8(data).map_err(|_| {
                CryptoError::KeyLength(
                    "a key file that is neither 32 raw bytes nor base64".to_owned(),
                )
            })?;
            decode_b64_key(&text)
        }
        Err(e) => Err(err(e)),
    }
}

/// A key-encryption key with its id.
#[derive(Clone)]
pub struct Kek {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Kek {
    /// A KEK from its 32 bytes. Its id is derived from the key by a one-way hash.
    pub fn new(key: [u8; 32]) -> Kek {
        let mut h = Sha256::new();
        h.update(b"palisade-directory-kek-id\0");
        h.update(key);
        let digest = h.finalize();
        let id = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Kek {
            id,
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// The key id stored beside each ciphertext.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A sealed secret as stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The id of the KEK that sealed it.
    pub kid: String,
    /// The 24-byte nonce, base64.
    pub nonce: String,
    /// Ciphertext and tag, base64.
    pub ct: String,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The primary KEK (seals) and older ones (open only).
#[derive(Debug, Clone)]
pub struct Keyring {
    primary: Kek,
    previous: Vec<Kek>,
}

impl Keyring {
    pub fn new(primary: Kek, previous: Vec<Kek>) -> Keyring {
        Keyring { primary, previous }
    }

    /// The id of the key new secrets are sealed with.
    pub fn primary_id(&self) -> &str {
        self.primary.id()
    }

    /// Seals `secret`, bound to `context` (the access key id) so that ciphertexts cannot be
    /// swapped between records.
    pub fn seal(&self, context: &str, secret: &str) -> Result<Sealed, CryptoError> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .primary
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        Ok(Sealed {
            kid: self.primary.id.clone(),
            nonce: B64.encode(nonce),
            ct: B64.encode(ct),
        })
    }

    /// Opens a sealed secret; `what` names it in errors.
    pub fn open(&self, context: &str, sealed: &Sealed, what: &str) -> Result<Secret, CryptoError> {
        let kek = std::iter::once(&self.primary)
            .chain(&self.previous)
            .find(|k| k.id == sealed.kid)
            .ok_or_else(|| CryptoError::UnknownKey {
                what: what.to_owned(),
                key_id: sealed.kid.clone(),
                available: std::iter::once(&self.primary)
                    .chain(&self.previous)
                    .map(|k| k.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let fail = || CryptoError::Decrypt {
            what: what.to_owned(),
            key_id: sealed.kid.clone(),
        };
        let nonce = B64.decode(&sealed.nonce).map_err(|_| fail())?;
        let ct = B64.decode(&sealed.ct).map_err(|_| fail())?;
        if nonce.len() != 24 {
            return Err(fail());
        }
        let plain = kek
            .cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| fail())?;
        String::from_utf8(plain).map(Secret).map_err(|_| fail())
    }
}

/// Random text over `alphabet`.
pub(crate) fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = (rng.next_u32() as usize) % alphabet.len();
            char::from(alphabet[i])
        })
        .collect()
}

/// Upper-case letters and digits 2-7 (the alphabet of AWS ids).
pub(crate) const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The alphabet of secret access keys.
pub(crate) const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_wrong_key() {
        let a = Keyring::new(Kek::new([1; 32]), vec![]);
        let s = a.seal("AKIAX", "topsecret").unwrap();
        assert_eq!(a.open("AKIAX", &s, "k").unwrap().expose(), "topsecret");
        // bound to the context
        assert!(matches!(
            a.open("AKIAY", &s, "k"),
            Err(CryptoError::Decrypt { .. })
        ));
        // another key with the same id claim fails to authenticate
        let mut forged = s.clone();
        forged.kid = Kek::new([2; 32]).id().to_owned();
        let b = Keyring::new(Kek::new([2; 32]), vec![]);
        assert!(matches!(
            b.open("AKIAX", &forged, "k"),
            Err(CryptoError::Decrypt { .. })
        ));
        assert!(matches!(
            b.open("AKIAX", &s, "k"),
            Err(CryptoError::UnknownKey { .. })
        ));
        // rotation: the old key still opens
        let c = Keyring::new(Kek::new([2; 32]), vec![Kek::new([1; 32])]);
        assert_eq!(c.open("AKIAX", &s, "k").unwrap().expose(), "topsecret");
        assert_eq!(format!("{:?}", Secret::new("x")), "Secret(<redacted>)");
    }

    #[test]
    fn key_file_is_created_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let k1 = KeyProvider::File(path.clone()).load().unwrap();
        let k2 = KeyProvider::File(path.clone()).load().unwrap();
        assert_eq!(k1.id(), k2.id());
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let b64 = B64.encode([7u8; 32]);
        assert_eq!(
            KeyProvider::Base64(b64).load().unwrap().id(),
            Kek::new([7; 32]).id()
        );
        assert!(KeyProvider::Base64("AAAA".into()).load().is_err());
    }
}
