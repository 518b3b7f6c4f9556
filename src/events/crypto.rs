//! Lark's event cryptography (LARK_API.md, Events): the body `{ "encrypt": base64 }` is
//! AES-256-CBC with PKCS#7 padding, the key being SHA-256 of the Encrypt Key and the IV the first
//! 16 bytes of the decoded payload; `X-Lark-Signature` is hex SHA-256 of timestamp + nonce +
//! Encrypt Key + the raw body. RustCrypto does the work; comparisons are constant-time (subtle).

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

const BLOCK: usize = 16;

/// The app's Encrypt Key, and the AES key made from it. Shown by nothing.
#[derive(Clone)]
pub struct EncryptKey {
    key: Vec<u8>,
    aes_key: [u8; 32],
}

// Hand-written so that neither key ever reaches a log or an error.
impl fmt::Debug for EncryptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptKey(***)")
    }
}

impl EncryptKey {
    pub fn new(key: &str) -> Self {
        Self {
            key: key.as_bytes().to_vec(),
            aes_key: Sha256::digest(key.as_bytes()).into(),
        }
    }

    /// The plaintext of an `encrypt` field, or `None` for anything that is not base64 of an IV and
    /// whole blocks that decrypt with this key to correctly padded bytes.
    pub fn decrypt(&self, encrypt: &str) -> Option<Vec<u8>> {
        let payload = base64::engine::general_purpose::STANDARD
            .decode(encrypt.trim())
            .ok()?;
        if payload.len() < 2 * BLOCK || payload.len() % BLOCK != 0 {
            return None;
        }
        let (iv, ciphertext) = payload.split_at(BLOCK);
        Aes256CbcDec::new_from_slices(&self.aes_key, iv)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .ok()
    }

    /// Whether `signature` (hex, either case) is SHA-256 of timestamp + nonce + key + body. The
    /// comparison takes the same time wherever the first difference is.
    pub fn signature_matches(
        &self,
        timestamp: &str,
        nonce: &str,
        body: &[u8],
        signature: &str,
    ) -> bool {
        let Some(given) = hex_32(signature.trim()) else {
            return false;
        };
        let mut hash = Sha256::new();
        hash.update(timestamp.as_bytes());
        hash.update(nonce.as_bytes());
        hash.update(&self.key);
        hash.update(body);
        let computed: [u8; 32] = hash.finalize().into();
        computed.ct_eq(&given).into()
    }
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// 64 hex digits as 32 bytes.
fn hex_32(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let value = |d: u8| char::from(d).to_digit(16);
        let (high, low) = match pair {
            [h, l] => (value(*h)?, value(*l)?),
            _ => return None,
        };
        *byte = (high * 16 + low) as u8;
    }
    Some(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests {
    use super::*;
    use aes::cipher::BlockEncryptMut;

    type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

    /// Lark's side, for the tests: what the tests in JS build with node:crypto.
    pub(crate) fn encrypt(key: &str, iv: [u8; 16], plaintext: &[u8]) -> String {
        let aes_key: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let ciphertext = Aes256CbcEnc::new_from_slices(&aes_key, &iv)
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext);
        let mut payload = iv.to_vec();
        payload.extend(ciphertext);
        base64::engine::general_purpose::STANDARD.encode(payload)
    }

    pub(crate) fn sign(timestamp: &str, nonce: &str, key: &str, body: &[u8]) -> String {
        let mut hash = Sha256::new();
        hash.update(format!("{timestamp}{nonce}{key}").as_bytes());
        hash.update(body);
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn decrypts_what_lark_encrypts() {
        let key = EncryptKey::new("test key");
        let sealed = encrypt("test key", [7; 16], br#"{"challenge":"abc"}"#);
        assert_eq!(key.decrypt(&sealed).unwrap(), br#"{"challenge":"abc"}"#);
        assert_eq!(EncryptKey::new("other key").decrypt(&sealed), None);
        assert_eq!(key.decrypt("not base64!"), None);
        assert_eq!(key.decrypt(""), None);
        assert_eq!(key.decrypt("AAAA"), None);
    }

    // Lark's documented example: Encrypt Key "test key", payload from its docs' sample code.
    #[test]
    fn lark_documentation_example() {
        let key = EncryptKey::new("test key");
        let plain = key
            .decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")
            .unwrap();
        assert_eq!(plain, b"hello world");
    }

    #[test]
    fn signatures() {
        let key = EncryptKey::new("k3y");
        let good = sign("1700000000", "n0nce", "k3y", b"{}");
        assert!(key.signature_matches("1700000000", "n0nce", b"{}", &good));
        assert!(key.signature_matches("1700000000", "n0nce", b"{}", &good.to_uppercase()));
        assert!(!key.signature_matches("1700000001", "n0nce", b"{}", &good));
        assert!(!key.signature_matches("1700000000", "n0nce", b"{ }", &good));
        assert!(!EncryptKey::new("k3z").signature_matches("1700000000", "n0nce", b"{}", &good));
        assert!(!key.signature_matches("1700000000", "n0nce", b"{}", &good[..63]));
        assert!(!key.signature_matches("1700000000", "n0nce", b"{}", "zz"));
        assert!(same_secret("a", "a") && !same_secret("a", "b") && !same_secret("a", "ab"));
        assert_eq!(format!("{key:?}"), "EncryptKey(***)");
    }
}
