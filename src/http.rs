//! What every Lark call is made of, whichever API it is for: a request, the platform that sends it
//! (fetch in wasm, a fake in native tests) and reads the answer, and the checks made before an
//! answer's body is read. The token, Lark Base and event flows are generic over `Platform`.

use crate::error::TokenError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::future::Future;

pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// One HTTP request, with a body of type `B` that the platform encodes as JSON.
pub struct Request<B> {
    pub method: &'static str,
    pub url: String,
    /// Sent as `Authorization: Bearer <token>` when present.
    pub bearer: Option<String>,
    pub body: Option<B>,
    /// The endpoint with a masked App ID, for results and logs.
    pub display_url: String,
    /// Reading stops, and the answer is refused, past this many decoded bytes.
    pub max_body_bytes: usize,
}

// Hand-written so that the body, which may hold the secret, and the bearer token are never printed.
impl<B> fmt::Debug for Request<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.display_url)
            .finish_non_exhaustive()
    }
}

/// A complete answer: status, the body (already capped, in the platform's own form), and
/// Retry-After when there was one.
#[derive(Clone, Debug, Default)]
pub struct HttpAnswer<Body> {
    pub status: u16,
    pub body: Body,
    pub retry_after: Option<String>,
}

pub trait Platform {
    /// A body as read, before decoding.
    type Body;

    /// Sends `request` and reads the answer within `timeout_ms`. Failures judged before the body
    /// (no answer, a redirect, an oversized body, the timeout) come back as errors.
    fn send<B: Serialize>(
        &self,
        request: &Request<B>,
        timeout_ms: u32,
    ) -> impl Future<Output = Result<HttpAnswer<Self::Body>, TokenError>>;
    /// Reads a JSON body into `T`; serde's messages are dropped, since they quote the input.
    fn decode<T: DeserializeOwned>(&self, body: &Self::Body) -> Result<T, Malformed>;
    fn sleep(&self, ms: u32) -> impl Future<Output = ()>;
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> f64;
    /// Uniform in [0, 1), for retry jitter.
    fn random(&self) -> f64;
}

/// Why a body could not be read as the answer expected; serde's own messages are never shown, since
/// they quote the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    NotJson,
    WrongShape,
}

/// What the wasm platform does with a body (`JSON.parse`, then serde-wasm-bindgen's
/// `from_value`), done with serde_json for the native tests: not JSON is `NotJson`, JSON of the
/// wrong shape `WrongShape`, and a key given twice keeps its last value, as `JSON.parse` does.
#[cfg(test)]
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Malformed> {
    let value: serde_json::Value = serde_json::from_str(body).map_err(|_| Malformed::NotJson)?;
    serde_json::from_value(value).map_err(|_| Malformed::WrongShape)
}

/// Checks what can be judged before the body is read. `status` 0 is what a fetch with
/// `redirect: 'manual'` reports for a redirect in browsers. A declared length over the cap is
/// refused at once; a smaller one proves nothing (it counts compressed bytes), so reading counts
/// the decoded bytes as they come.
pub fn check_head(
    status: u16,
    redirected: bool,
    content_length: Option<&str>,
    max_body_bytes: usize,
) -> Result<(), TokenError> {
    if status == 0 || (300..=399).contains(&status) || redirected {
        return Err(TokenError::redirect(status));
    }
    let declared_too_big = content_length
        .and_then(|len| len.trim().parse::<u64>().ok())
        .is_some_and(|len| len > max_body_bytes as u64);
    if declared_too_big {
        return Err(body_too_big(status, max_body_bytes));
    }
    Ok(())
}

pub fn body_too_big(status: u16, max_body_bytes: usize) -> TokenError {
    const MIB: usize = 1 << 20;
    let problem = if max_body_bytes.is_multiple_of(MIB) {
        format!("the body is larger than {} MiB", max_body_bytes / MIB)
    } else {
        format!("the body is larger than {max_body_bytes} bytes")
    };
    TokenError::bad_response(&problem, Some(status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const MIB: usize = 1 << 20;

    #[test]
    fn head_checks() {
        for status in [0, 301, 302, 303, 307, 308] {
            let e = check_head(status, false, None, MIB).unwrap_err();
            assert_eq!(e.code, ErrorCode::HttpError, "{status}");
        }
        assert!(check_head(200, true, None, MIB).is_err());
        assert_eq!(
            check_head(200, false, Some("1048577"), MIB)
                .unwrap_err()
                .code,
            ErrorCode::BadResponse
        );
        for ok in [None, Some("1048576"), Some("120"), Some("junk")] {
            assert!(check_head(200, false, ok, MIB).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn caps_are_said_in_mib_when_whole() {
        assert!(body_too_big(200, MIB)
            .message
            .ends_with("larger than 1 MiB"));
        assert!(body_too_big(200, 1000)
            .message
            .ends_with("larger than 1000 bytes"));
    }
}
