//! What every Lark call is made of, whichever API it is for: a request, the platform that sends it
//! (fetch in wasm, a fake in native tests) and reads the answer, and the checks made before an
//! answer's body is read. The token, Lark Base and event flows are generic over `Platform`.

use crate::error::TokenError;
use crate::lenient::Shape;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::future::Future;

pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A request's JSON body: a value the platform encodes (the token module's, encoded with
/// `JSON.stringify`), or JSON text made by the flow (Lark Base's, written by serde_json; the same
/// text is what its create batches' client tokens are made from).
pub enum Payload<B> {
    Value(B),
    Json(String),
}

impl<B: Serialize> Payload<B> {
    /// The body as the server receives it, for tests that look at what was sent.
    #[cfg(any(test, not(target_arch = "wasm32")))]
    pub fn sent(&self) -> serde_json::Value {
        match self {
            Self::Value(body) => serde_json::to_value(body).unwrap_or_default(),
            Self::Json(text) => serde_json::from_str(text).unwrap_or_default(),
        }
    }
}

/// One HTTP request, with a body of type `B` that the platform encodes as JSON.
pub struct Request<B> {
    pub method: &'static str,
    pub url: String,
    /// Sent as `Authorization: Bearer <token>` when present.
    pub bearer: Option<String>,
    pub body: Option<Payload<B>>,
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

/// A complete answer: status, the body (already capped) and the headers the flows read.
#[derive(Clone, Debug, Default)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
    /// Lark's gateway's `x-ogw-ratelimit-reset` and `x-ogw-ratelimit-limit`, as sent.
    pub rate_reset: Option<String>,
    pub rate_limit: Option<String>,
}

pub trait Platform {
    /// Sends `request` and reads the answer within `timeout_ms`. Failures judged before the body
    /// (no answer, a redirect, an oversized body, the timeout) come back as errors.
    fn send<B: Serialize>(
        &self,
        request: &Request<B>,
        timeout_ms: u32,
    ) -> impl Future<Output = Result<HttpAnswer, TokenError>>;
    /// Reads a JSON body into `T`; serde's messages are dropped, since they quote the input.
    /// Bodies nested deeper than `lenient::MAX_DEPTH` or holding more than `max_values` values
    /// are refused before they are parsed, and the top level must be an object.
    fn decode<T: DeserializeOwned>(&self, body: &str, max_values: usize) -> Result<T, Malformed>;
    fn sleep(&self, ms: u32) -> impl Future<Output = ()>;
    /// Ends `ms` from now, like `sleep`, but without making time pass itself: the guard raced
    /// against work that must end by a deadline. (A test clock that moves when slept on must not
    /// move for it.)
    fn timer(&self, ms: u32) -> impl Future<Output = ()> {
        self.sleep(ms)
    }
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
    /// Refused before parsing (see `lenient::check_shape`).
    TooDeep,
    TooManyValues,
}

impl Malformed {
    /// What to say of it; `wrong_shape` says what the answer was missing.
    pub fn problem(self, wrong_shape: &'static str) -> &'static str {
        match self {
            Self::NotJson => "the body is not JSON",
            Self::WrongShape => wrong_shape,
            Self::TooDeep => "the body nests deeper than any Lark answer",
            Self::TooManyValues => "the body holds more values than any Lark answer",
        }
    }
}

impl From<Shape> for Malformed {
    fn from(shape: Shape) -> Self {
        match shape {
            Shape::TooDeep => Self::TooDeep,
            Shape::TooManyValues => Self::TooManyValues,
        }
    }
}

/// What the wasm platform does with a body (the shape check, `JSON.parse`, then
/// serde-wasm-bindgen's `from_value`), done with serde_json for the native tests: not JSON is
/// `NotJson`, JSON of the wrong shape `WrongShape`, and a key given twice keeps its last value, as
/// `JSON.parse` does.
#[cfg(any(test, not(target_arch = "wasm32")))]
pub fn decode_json<T: DeserializeOwned>(body: &str, max_values: usize) -> Result<T, Malformed> {
    crate::lenient::check_shape(body, max_values)?;
    let value: serde_json::Value = serde_json::from_str(body).map_err(|_| Malformed::NotJson)?;
    if !value.is_object() && !value.is_array() {
        return Err(Malformed::WrongShape);
    }
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
    TokenError {
        oversized: true,
        ..TokenError::bad_response(&problem, Some(status))
    }
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
