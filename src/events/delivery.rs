//! Judging one delivery to the Request URL: its size, signature, freshness, decryption and
//! Verification Token, then what it is (Lark's `url_verification` challenge or an event). Anything
//! that fails authentication is `Refused` (HTTP 401) without saying which check failed; a body
//! that authenticates but is not an event is `Malformed` (HTTP 400).

use super::crypto::{same_secret, EncryptKey};
use super::event::{Event, Raw};
use std::fmt;

/// Lark's events are a few kilobytes; a record change with many rows some hundreds. Bigger bodies
/// are refused before they are copied into the module.
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// How old (or how far in the future) a request may be, by default.
pub const DEFAULT_MAX_AGE_S: u32 = 300;
/// The most a `challenge` is echoed back.
const MAX_CHALLENGE_CHARS: usize = 512;

/// The app's Event Subscriptions settings, from the credential.
#[derive(Clone)]
pub struct Keys {
    pub encrypt_key: Option<EncryptKey>,
    pub verification_token: Option<String>,
    /// Older (or later) requests are refused as replays.
    pub max_age_s: u32,
}

// Hand-written: the Verification Token is a secret too.
impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("encrypt_key", &self.encrypt_key.is_some())
            .field("verification_token", &self.verification_token.is_some())
            .field("max_age_s", &self.max_age_s)
            .finish()
    }
}

/// One request as it arrived: the raw body bytes and Lark's three headers.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    pub body: &'a [u8],
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
    /// Milliseconds since the epoch, now.
    pub now_ms: f64,
}

#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Lark's `url_verification`: answer `{ "challenge": ... }`.
    Challenge(String),
    Event(Box<Event>),
    /// HTTP 401: a signature, token or time that does not check out, or nothing to check with.
    Refused,
    /// HTTP 413.
    TooLarge,
    /// HTTP 400: authentic (or not checkable) but not a Lark event.
    Malformed,
}

/// With an Encrypt Key, the largest body taken without a signature (the challenge).
const MAX_UNSIGNED_BYTES: usize = 16 << 10;

pub fn judge(delivery: &Delivery<'_>, keys: &Keys) -> Verdict {
    if delivery.body.len() > MAX_BODY_BYTES {
        return Verdict::TooLarge;
    }
    if keys.encrypt_key.is_none() && keys.verification_token.is_none() {
        return Verdict::Refused;
    }
    // With an Encrypt Key, Lark signs its requests; a signature, when present, must hold, and
    // the time it signs must be recent. Only the challenge is taken unsigned: answering it
    // changes nothing, and its Verification Token is checked all the same.
    let signed = match (&keys.encrypt_key, signature_headers(delivery)) {
        // An unsigned body can only be the challenge, a few hundred bytes: a larger one is
        // refused before it is read (4 MiB of it took up to 630 ms to parse and decrypt).
        (Some(_), None) if delivery.body.len() > MAX_UNSIGNED_BYTES => return Verdict::Refused,
        (Some(key), Some((timestamp, nonce, signature))) => {
            if !key.signature_matches(timestamp, nonce, delivery.body, signature) {
                return Verdict::Refused;
            }
            if !fresh_seconds(timestamp, delivery.now_ms, keys.max_age_s) {
                return Verdict::Refused;
            }
            true
        }
        _ => false,
    };
    // Before authentication, a body that does not parse is refused like any other failure;
    // after it, it is malformed.
    let unreadable = if signed {
        Verdict::Malformed
    } else {
        Verdict::Refused
    };
    let Some(outer) = Raw::parse(delivery.body) else {
        return if keys.encrypt_key.is_none() {
            Verdict::Malformed
        } else {
            unreadable
        };
    };
    let raw = match (outer.encrypt.as_deref(), &keys.encrypt_key) {
        (Some(sealed), Some(key)) => {
            let Some(plain) = key.decrypt(sealed) else {
                return unreadable;
            };
            match Raw::parse(&plain) {
                Some(raw) => raw,
                None => return unreadable,
            }
        }
        // Encrypted, but there is no key to open it with.
        (Some(_), None) => return Verdict::Refused,
        (None, _) => outer,
    };
    if let Some(expected) = &keys.verification_token {
        let given = raw.token().unwrap_or_default();
        if !same_secret(given, expected) {
            return Verdict::Refused;
        }
    } else if !signed && !raw.is_challenge() {
        return Verdict::Refused;
    }
    if raw.is_challenge() {
        return match raw.challenge {
            Some(challenge) if challenge.chars().count() <= MAX_CHALLENGE_CHARS => {
                Verdict::Challenge(challenge)
            }
            _ => Verdict::Malformed,
        };
    }
    if keys.encrypt_key.is_some() && !signed {
        return Verdict::Refused;
    }
    // Unsigned events carry no request time: the event's own creation time is judged instead.
    if !signed {
        let fresh = raw
            .created_ms()
            .is_some_and(|ms| within(ms, delivery.now_ms, keys.max_age_s));
        if !fresh {
            return Verdict::Refused;
        }
    }
    match Event::from_raw(raw) {
        Some(event) => Verdict::Event(Box::new(event)),
        None => Verdict::Malformed,
    }
}

fn signature_headers<'a>(delivery: &Delivery<'a>) -> Option<(&'a str, &'a str, &'a str)> {
    Some((delivery.timestamp?, delivery.nonce?, delivery.signature?))
}

/// `X-Lark-Request-Timestamp`: whole Unix seconds.
fn fresh_seconds(timestamp: &str, now_ms: f64, max_age_s: u32) -> bool {
    let text = timestamp.trim();
    let whole = !text.is_empty() && text.len() <= 12 && text.bytes().all(|b| b.is_ascii_digit());
    whole
        && text
            .parse::<f64>()
            .is_ok_and(|s| within(s * 1000.0, now_ms, max_age_s))
}

fn within(ms: f64, now_ms: f64, max_age_s: u32) -> bool {
    ms.is_finite() && (now_ms - ms).abs() <= f64::from(max_age_s) * 1000.0
}
