//! The one error type of the crate, and what each Lark error code means to the person fixing it.

use crate::redact::SecretForms;
use serde::Serialize;
use std::fmt;

/// The parts of a rejected fetch's error that `TokenError::fetch_failed` may look at: its name, to
/// tell a timeout, and its system error codes, shown only when they are on `KNOWN_NETWORK_CODES`.
#[derive(Debug, Default)]
pub struct FetchFailure {
    pub name: Option<String>,
    pub code: Option<String>,
    pub cause_code: Option<String>,
}

/// The system and client error codes a failed request may name. A fetch error's own text, name or
/// any other code is never shown: it can quote the request, and so the App Secret.
pub const KNOWN_NETWORK_CODES: [&str; 27] = [
    "ECONNREFUSED",
    "ECONNRESET",
    "ECONNABORTED",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EAI_FAIL",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "EHOSTDOWN",
    "ENETUNREACH",
    "ENETDOWN",
    "ENETRESET",
    "EPIPE",
    "EPROTO",
    "EADDRNOTAVAIL",
    "CERT_HAS_EXPIRED",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_HEADERS_TIMEOUT",
    "UND_ERR_BODY_TIMEOUT",
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
    "ERR_SOCKET_CONNECTION_TIMEOUT",
];

/// What replaces a server's text that holds the App Secret in any spelling.
pub const WITHHELD: &str = "(the server's message is withheld: it echoed the request)";
/// The most of a server's message an error keeps in `larkMsg`; `message` keeps less.
pub const MAX_LARK_MSG_CHARS: usize = 1000;

/// What went wrong, in the words callers branch on (`error.code` in JS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidParams,
    AuthFailed,
    LarkError,
    RateLimited,
    HttpError,
    NetworkError,
    Timeout,
    BadResponse,
    /// A store app given no app_ticket, and none has arrived in this process yet.
    AppTicketPending,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidParams => "INVALID_PARAMS",
            Self::AuthFailed => "AUTH_FAILED",
            Self::LarkError => "LARK_ERROR",
            Self::RateLimited => "RATE_LIMITED",
            Self::HttpError => "HTTP_ERROR",
            Self::NetworkError => "NETWORK_ERROR",
            Self::Timeout => "TIMEOUT",
            Self::BadResponse => "BAD_RESPONSE",
            Self::AppTicketPending => "APP_TICKET_PENDING",
            Self::Internal => "INTERNAL_ERROR",
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A failed token request. Every text in it is built by this crate or taken from Lark's answer
/// only when it holds no spelling of the App Secret, so the whole value is safe to log and to show.
/// Serialized (camelCase, absent fields left out) it is the properties of the JS error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenError {
    pub code: ErrorCode,
    #[serde(skip)]
    pub message: String,
    /// The params field at fault, for `INVALID_PARAMS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lark_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lark_msg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// One line on what to do about it.
    pub hint: &'static str,
    /// How many requests were made before giving up.
    pub attempts: u32,
    /// What a 429 answer's Retry-After header asked for.
    #[serde(skip)]
    pub retry_after_s: Option<u32>,
    /// The answer was refused for its size: a smaller page of it may pass.
    #[serde(skip)]
    pub oversized: bool,
}

impl TokenError {
    fn new(code: ErrorCode, message: String, hint: &'static str) -> Self {
        Self {
            code,
            message,
            field: None,
            lark_code: None,
            lark_msg: None,
            http_status: None,
            hint,
            attempts: 1,
            retry_after_s: None,
            oversized: false,
        }
    }

    /// Says in the message how many attempts were made, when there was more than one.
    pub fn after_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        if attempts > 1 {
            self.message = format!("{} (after {attempts} attempts)", self.message);
        }
        self
    }

    /// `problem` completes a sentence that starts with the field name, e.g. "is required".
    pub fn invalid(field: &'static str, problem: &str) -> Self {
        Self {
            field: Some(field),
            ..Self::new(
                ErrorCode::InvalidParams,
                format!("{field} {problem}"),
                "fix this parameter and try again",
            )
        }
    }

    /// Lark answered with a non-zero `code` and `msg`, which is withheld when it holds the secret.
    pub fn lark(lark_code: i64, msg: &str, http_status: u16, secret: &SecretForms) -> Self {
        let msg = server_text(msg, secret);
        let (code, hint) = lark_code_meaning(lark_code);
        let code = if http_status == 429 {
            ErrorCode::RateLimited
        } else {
            code
        };
        Self {
            lark_code: Some(lark_code),
            http_status: Some(http_status),
            ..Self::new(
                code,
                format!("Lark returned code {lark_code}: {}", one_line(&msg)),
                hint,
            )
            .with_lark_msg(msg)
        }
    }

    fn with_lark_msg(mut self, msg: String) -> Self {
        self.lark_msg = Some(msg);
        self
    }

    /// The module failed in a way its own checks did not foresee; the JS entry makes the same
    /// error when the instance itself breaks.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "the token module failed unexpectedly".to_owned(),
            "retry; if it keeps failing, report it with the steps that lead to it",
        )
    }

    /// A store app given no app_ticket, when none has arrived in this process: Lark was asked to
    /// push one (`asked`), or was asked less than a minute ago.
    /// A store app without a ticket Lark takes: none has arrived, or the one that did was
    /// `refused`.
    pub fn app_ticket_pending(asked: bool, refused: bool) -> Self {
        let when = if asked {
            "now"
        } else {
            "less than a minute ago"
        };
        let what = if refused {
            "Lark refused the app_ticket this process received for this store app (code 10012)"
        } else {
            "no app_ticket has arrived for this store app yet"
        };
        Self::new(
            ErrorCode::AppTicketPending,
            format!("{what}; Lark was asked to send it again ({when}): run again in a minute"),
            "Lark pushes the app_ticket to the app's Request URL: keep a Larkbase Trigger \
             (Lark Events) workflow active there, in this n8n process, or give the App Ticket",
        )
    }

    /// A non-2xx answer that carries no Lark error body.
    pub fn http(status: u16) -> Self {
        let (code, message, hint) = match status {
            429 => (
                ErrorCode::RateLimited,
                "HTTP 429 Too Many Requests".to_owned(),
                HINT_RATE_LIMITED,
            ),
            _ => (
                ErrorCode::HttpError,
                format!("HTTP {status} without a Lark error body"),
                "check the domain and any proxy in front of the Lark API; retry later on 5xx",
            ),
        };
        Self {
            http_status: Some(status),
            ..Self::new(code, message, hint)
        }
    }

    /// A redirect (or, from a custom fetch, a response that followed one). Never followed here,
    /// because following it would send the App Secret to wherever it points.
    pub fn redirect(http_status: u16) -> Self {
        Self {
            http_status: Some(http_status),
            ..Self::new(
                ErrorCode::HttpError,
                format!("HTTP {http_status}: redirect not followed, so the App Secret is not sent to another host"),
                "use the final URL as the domain, or check the proxy in front of the Lark API",
            )
        }
    }

    pub fn bad_response(problem: &str, http_status: Option<u16>) -> Self {
        Self {
            http_status,
            ..Self::new(
                ErrorCode::BadResponse,
                format!("unexpected answer from the token endpoint: {problem}"),
                "check that the domain points at the Lark or Feishu Open API",
            )
        }
    }

    /// What a rejected fetch says, reduced to a system error code from `KNOWN_NETWORK_CODES`.
    /// `timeout_ms` is the attempt's, which the overall deadline may have cut below the params'.
    /// `base_url` is where the request went.
    pub fn fetch_failed(failure: FetchFailure, base_url: &str, timeout_ms: u32) -> Self {
        let name = failure.name.unwrap_or_default();
        if name == "TimeoutError" || name == "AbortError" {
            return Self::timeout(timeout_ms);
        }
        let detail = [failure.cause_code, failure.code]
            .into_iter()
            .flatten()
            .find_map(|code| KNOWN_NETWORK_CODES.into_iter().find(|known| *known == code))
            .unwrap_or("the request failed");
        Self::network(base_url, detail)
    }

    /// `detail` must be text this crate vouches for (a code from `KNOWN_NETWORK_CODES`, or fixed
    /// text), never a fetch error's own message.
    pub fn network(host: &str, detail: &str) -> Self {
        Self::new(
            ErrorCode::NetworkError,
            format!("could not reach {host}: {detail}"),
            "check the network, DNS, proxy settings and the domain",
        )
    }

    pub fn timeout(timeout_ms: u32) -> Self {
        Self::new(
            ErrorCode::Timeout,
            format!("no complete answer within {timeout_ms} ms"),
            "retry, or raise timeoutMs if the network is slow",
        )
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for TokenError {}

const HINT_RATE_LIMITED: &str =
    "too many token requests: wait a moment, and reuse a token until it expires";
const HINT_RENEW_TOKEN: &str =
    "get a new access token and send it as 'Authorization: Bearer <token>'";

/// How Lark's `code` on the auth endpoints (and on APIs called with the token) maps to our codes.
pub fn lark_code_meaning(code: i64) -> (ErrorCode, &'static str) {
    match code {
        10003 => (
            ErrorCode::AuthFailed,
            "check the App ID, and that the domain (Lark or Feishu) is where the app was created",
        ),
        10014 => (
            ErrorCode::AuthFailed,
            "check the App Secret in the developer console (Credentials & Basic Info)",
        ),
        99991543 => (
            ErrorCode::AuthFailed,
            "check the App ID and App Secret in the developer console (Credentials & Basic Info)",
        ),
        99991400 => (ErrorCode::RateLimited, HINT_RATE_LIMITED),
        10012 => (
            ErrorCode::LarkError,
            "the app_ticket is invalid or stale: ask Lark to resend it and use the new one",
        ),
        99991661 | 99991663 | 99991671 => (ErrorCode::LarkError, HINT_RENEW_TOKEN),
        99991664 => (ErrorCode::LarkError, "get a new app access token"),
        99991662 => (
            ErrorCode::LarkError,
            "the app is disabled: enable it in the developer console",
        ),
        99991673 => (
            ErrorCode::LarkError,
            "the app is not installed in this tenant: install or publish it first",
        ),
        _ => (
            ErrorCode::LarkError,
            "look the code up in the Lark Open Platform error code reference",
        ),
    }
}

/// A server's text as an error may keep it: withheld whole when it holds the secret in any
/// spelling, otherwise at most `MAX_LARK_MSG_CHARS` characters.
pub fn server_text(text: &str, secret: &SecretForms) -> String {
    if secret.found_in(text) {
        return WITHHELD.to_owned();
    }
    let mut kept: String = text.chars().take(MAX_LARK_MSG_CHARS).collect();
    if text.chars().nth(MAX_LARK_MSG_CHARS).is_some() {
        kept.push('…');
    }
    kept
}

/// Keeps messages to one line even when a server sends an HTML page as `msg`.
pub fn one_line(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_lark_code_has_its_class() {
        let table = [
            (10003, ErrorCode::AuthFailed),
            (10014, ErrorCode::AuthFailed),
            (99991543, ErrorCode::AuthFailed),
            (10012, ErrorCode::LarkError),
            (99991400, ErrorCode::RateLimited),
            (99991661, ErrorCode::LarkError),
            (99991662, ErrorCode::LarkError),
            (99991663, ErrorCode::LarkError),
            (99991664, ErrorCode::LarkError),
            (99991671, ErrorCode::LarkError),
            (99991673, ErrorCode::LarkError),
            (1, ErrorCode::LarkError),
            (-1, ErrorCode::LarkError),
            (i64::MAX, ErrorCode::LarkError),
        ];
        for (code, class) in table {
            let (got, hint) = lark_code_meaning(code);
            assert_eq!(got, class, "code {code}");
            assert!(!hint.is_empty(), "code {code} has a hint");
        }
    }

    #[test]
    fn specific_codes_get_specific_hints() {
        assert!(lark_code_meaning(10014).1.contains("App Secret"));
        assert!(lark_code_meaning(10003).1.contains("App ID"));
        assert!(lark_code_meaning(10012).1.contains("resend"));
        assert!(lark_code_meaning(99991663).1.contains("new access token"));
    }

    fn no_secret() -> SecretForms {
        SecretForms::new("NotInAnyMessage-0123456789")
    }

    #[test]
    fn lark_error_keeps_code_message_and_status() {
        let e = TokenError::lark(10014, "app secret invalid", 200, &no_secret());
        assert_eq!(e.code, ErrorCode::AuthFailed);
        assert_eq!(e.lark_code, Some(10014));
        assert_eq!(e.lark_msg.as_deref(), Some("app secret invalid"));
        assert_eq!(e.http_status, Some(200));
        assert_eq!(e.message, "Lark returned code 10014: app secret invalid");
    }

    #[test]
    fn a_message_that_echoes_the_secret_is_withheld_whole() {
        let secret = SecretForms::new("EchoedSecret-0123456789");
        let e = TokenError::lark(
            10014,
            "bad body: {\"app_secret\":\"ECHOEDSECRET-0123456789\"}",
            400,
            &secret,
        );
        assert_eq!(e.lark_msg.as_deref(), Some(WITHHELD));
        assert_eq!(e.message, format!("Lark returned code 10014: {WITHHELD}"));
    }

    #[test]
    fn long_server_text_is_cut() {
        let e = TokenError::lark(1, &"y".repeat(5000), 200, &no_secret());
        assert_eq!(e.lark_msg.unwrap().chars().count(), MAX_LARK_MSG_CHARS + 1);
    }

    #[test]
    fn http_429_is_rate_limited_whatever_the_body_says() {
        assert_eq!(
            TokenError::lark(1234, "x", 429, &no_secret()).code,
            ErrorCode::RateLimited
        );
        assert_eq!(TokenError::http(429).code, ErrorCode::RateLimited);
    }

    #[test]
    fn http_errors_name_the_status() {
        for (status, code, words) in [
            (500, ErrorCode::HttpError, "HTTP 500"),
            (404, ErrorCode::HttpError, "HTTP 404"),
        ] {
            let e = TokenError::http(status);
            assert_eq!(e.code, code);
            assert_eq!(e.http_status, Some(status));
            assert!(e.message.contains(words), "{}", e.message);
        }
        let e = TokenError::redirect(307);
        assert_eq!(e.code, ErrorCode::HttpError);
        assert!(e.message.contains("redirect not followed"), "{}", e.message);
    }

    fn params(secret: &str) -> crate::token::params::Params {
        use crate::token::params::{validate, Input, RawParams};
        validate(RawParams {
            app_id: Some(Input::Text("cli_x".into())),
            app_secret: Some(Input::Text(secret.into())),
            timeout_ms: Some(Input::Number(1234.0)),
            ..RawParams::default()
        })
        .unwrap()
    }

    #[test]
    fn fetch_failures_keep_only_known_codes() {
        let s = |v: &str| Some(v.to_owned());
        let cases = [
            (
                FetchFailure {
                    name: s("TypeError"),
                    cause_code: s("ECONNREFUSED"),
                    ..Default::default()
                },
                ErrorCode::NetworkError,
                "ECONNREFUSED",
            ),
            (
                FetchFailure {
                    name: s("Error"),
                    code: s("ENOTFOUND"),
                    ..Default::default()
                },
                ErrorCode::NetworkError,
                "ENOTFOUND",
            ),
            (
                FetchFailure {
                    name: s("TopSecret99-0123456789"),
                    code: s("TopSecret99-0123456789"),
                    cause_code: s("TOPSECRET99_0123456789"),
                },
                ErrorCode::NetworkError,
                "the request failed",
            ),
            (
                FetchFailure {
                    code: s("E_MADE_UP"),
                    cause_code: s("ECONNRESET"),
                    ..Default::default()
                },
                ErrorCode::NetworkError,
                "ECONNRESET",
            ),
            (
                FetchFailure::default(),
                ErrorCode::NetworkError,
                "the request failed",
            ),
            (
                FetchFailure {
                    name: s("TimeoutError"),
                    ..Default::default()
                },
                ErrorCode::Timeout,
                "777 ms",
            ),
            (
                FetchFailure {
                    name: s("AbortError"),
                    ..Default::default()
                },
                ErrorCode::Timeout,
                "777 ms",
            ),
        ];
        for (failure, code, words) in cases {
            let shown = format!("{failure:?}");
            let e =
                TokenError::fetch_failed(failure, &params("TopSecret99-0123456789").base_url, 777);
            assert_eq!(e.code, code, "{shown}");
            assert!(e.message.contains(words), "{shown}: {}", e.message);
            assert!(!e.message.to_lowercase().contains("topsecret99"));
        }
    }

    #[test]
    fn invalid_names_the_field() {
        let e = TokenError::invalid("appId", "is required");
        assert_eq!(e.code, ErrorCode::InvalidParams);
        assert_eq!(e.field, Some("appId"));
        assert_eq!(e.to_string(), "INVALID_PARAMS: appId is required");
    }

    #[test]
    fn long_or_multiline_messages_become_one_short_line() {
        let page = format!("<html>\n<body>{}</body>", "x".repeat(1000));
        let e = TokenError::lark(1, &page, 200, &no_secret());
        assert!(!e.message.contains('\n'));
        assert!(e.message.chars().count() < 260);
        assert!(e.message.ends_with('…'));
    }
}
