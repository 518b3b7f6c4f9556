//! The platform the Lark Base flow runs on: how a request is sent, how an answer is decoded and
//! how time passes. Shaped as the token flow's `Platform` is being rebuilt on main (requests of any
//! method with a Bearer token and a `Serialize` body, answers decoded into `Deserialize` types),
//! so that the two become one when that lands.

use crate::error::TokenError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::future::Future;

/// One HTTP request, with a body of type `B` that the platform encodes as JSON.
pub struct Request<B> {
    pub method: &'static str,
    pub url: String,
    /// Sent as `Authorization: Bearer <token>` when present.
    pub bearer: Option<String>,
    pub body: Option<B>,
    /// What results and errors may show of the URL.
    pub display_url: String,
    /// Reading stops, and the answer is refused, past this many decoded bytes.
    pub max_body_bytes: usize,
}

// Hand-written so that the bearer token and the body are never printed.
impl<B> fmt::Debug for Request<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.display_url)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Default)]
pub struct HttpAnswer<Body> {
    pub status: u16,
    pub body: Body,
    pub retry_after: Option<String>,
}

/// Why a body could not be decoded; serde's own messages are never shown, since they quote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    NotJson,
    WrongShape,
}

pub trait Platform {
    type Body;

    fn send<B: Serialize>(
        &self,
        request: &Request<B>,
        timeout_ms: u32,
    ) -> impl Future<Output = Result<HttpAnswer<Self::Body>, TokenError>>;
    fn decode<T: DeserializeOwned>(&self, body: &Self::Body) -> Result<T, Malformed>;
    fn sleep(&self, ms: u32) -> impl Future<Output = ()>;
    fn now_ms(&self) -> f64;
    fn random(&self) -> f64;
}
