//! What can go wrong with a Lark Base operation, for the whole call or for one item, and how each of
//! Lark Base's codes is handled: retried (rate limits, write conflicts, busy servers) or stopped on
//! with Lark's message and a hint.

use crate::error::{one_line, ErrorCode, TokenError};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseErrorCode {
    /// A param is missing, of the wrong type or breaks a rule. Nothing was sent.
    InvalidParams,
    /// An item's value cannot be converted to its column's type. That item was not sent.
    InvalidValue,
    /// Upsert: the item's key is shared by other items, or matches several rows.
    DuplicateKey,
    /// Get, update or delete: no record with that ID.
    NotFound,
    /// The access token is missing, malformed, invalid or expired (Lark's 9999166x).
    TokenInvalid,
    /// Getting a token from the credential failed on the App ID or App Secret.
    AuthFailed,
    /// Too many requests, still refused after the retries.
    RateLimited,
    /// Another write to the same table overlapped, still so after the retries.
    WriteConflict,
    /// Any other non-zero Lark code.
    LarkError,
    HttpError,
    NetworkError,
    Timeout,
    BadResponse,
    /// Not sent, because an earlier batch failed and the operation stopped.
    NotSent,
    /// The module failed in a way its own checks did not foresee.
    Internal,
}

impl BaseErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidParams => "INVALID_PARAMS",
            Self::InvalidValue => "INVALID_VALUE",
            Self::DuplicateKey => "DUPLICATE_KEY",
            Self::NotFound => "NOT_FOUND",
            Self::TokenInvalid => "TOKEN_INVALID",
            Self::AuthFailed => "AUTH_FAILED",
            Self::RateLimited => "RATE_LIMITED",
            Self::WriteConflict => "WRITE_CONFLICT",
            Self::LarkError => "LARK_ERROR",
            Self::HttpError => "HTTP_ERROR",
            Self::NetworkError => "NETWORK_ERROR",
            Self::Timeout => "TIMEOUT",
            Self::BadResponse => "BAD_RESPONSE",
            Self::NotSent => "NOT_SENT",
            Self::Internal => "INTERNAL_ERROR",
        }
    }
}

/// A failed operation or item. Every text in it is built here or taken from Lark's `msg` with the
/// access token and App Secret redacted, so the whole value is safe to log and to show.
#[derive(Clone, Debug, PartialEq)]
pub struct BaseError {
    pub code: BaseErrorCode,
    pub message: String,
    pub hint: String,
    /// The params field at fault, for `INVALID_PARAMS`.
    pub field: Option<String>,
    /// The table column at fault, for `INVALID_VALUE` and `DUPLICATE_KEY`.
    pub column: Option<String>,
    pub lark_code: Option<i64>,
    pub lark_msg: Option<String>,
    pub http_status: Option<u16>,
    /// How many requests were made for the batch that failed.
    pub attempts: u32,
    /// For a create batch whose outcome is not known: what makes running it again safe.
    pub client_token: Option<String>,
    /// What a 429 answer's Retry-After header asked for.
    pub retry_after_s: Option<u32>,
    /// A rate-limited answer's `x-ogw-ratelimit-reset` (or Retry-After), in milliseconds.
    pub rate_reset_ms: Option<f64>,
    /// A rate-limited answer's `x-ogw-ratelimit-limit`: requests allowed in Lark's window.
    pub rate_limit: Option<f64>,
    /// The answer was refused for its size (bytes or values): a smaller page of it may pass.
    pub oversized: bool,
    /// The request went out at least once: a write that failed so may have been applied.
    pub sent: bool,
}

const APPLIED: &str = "; the batch may have been applied";
/// The most of any text an error keeps: the secret search reads twice as far (see `withhold`).
const MAX_TEXT_CHARS: usize = 2000;

/// What replaces a text of an error that held a secret.
pub const WITHHELD: &str = "(withheld: it held the access token or the App Secret)";

impl BaseError {
    pub fn new(code: BaseErrorCode, message: String, hint: &str) -> Self {
        Self {
            code,
            message,
            hint: hint.to_owned(),
            field: None,
            column: None,
            lark_code: None,
            lark_msg: None,
            http_status: None,
            attempts: 1,
            client_token: None,
            retry_after_s: None,
            rate_reset_ms: None,
            rate_limit: None,
            oversized: false,
            sent: false,
        }
    }

    /// `problem` completes a sentence that starts with the field name.
    pub fn invalid(field: &str, problem: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(
                BaseErrorCode::InvalidParams,
                format!("{field} {problem}"),
                "fix this parameter and try again",
            )
        }
    }

    /// An item's value for `column` is not what the column takes. The message names the column
    /// and the expected form, never the value, which may be anything the item held.
    pub fn invalid_value(column: &str, type_name: &str, got: &str, expected: &str) -> Self {
        Self {
            column: Some(column.to_owned()),
            ..Self::new(
                BaseErrorCode::InvalidValue,
                format!("column '{column}' ({type_name}) cannot take {got}: expected {expected}"),
                "fix the value in this item, or map another input field to the column",
            )
        }
    }

    pub fn not_sent() -> Self {
        Self::new(
            BaseErrorCode::NotSent,
            "not sent: an earlier batch failed and the operation stopped".to_owned(),
            "fix the earlier error and run again; turn on Continue On Fail to go on past failed batches",
        )
    }

    /// Lark answered with a non-zero `code`; `msg` must already be redacted.
    pub fn lark(lark_code: i64, msg: String, http_status: u16) -> Self {
        let (code, hint) = lark_code_meaning(lark_code);
        let code = if http_status == 429 {
            BaseErrorCode::RateLimited
        } else {
            code
        };
        Self {
            lark_code: Some(lark_code),
            http_status: Some(http_status),
            lark_msg: Some(msg.clone()),
            ..Self::new(
                code,
                format!("Lark returned code {lark_code}: {}", one_line(&msg)),
                hint,
            )
        }
    }

    /// A non-2xx answer without a Lark body.
    pub fn http(status: u16) -> Self {
        let code = if status == 429 {
            BaseErrorCode::RateLimited
        } else {
            BaseErrorCode::HttpError
        };
        Self {
            http_status: Some(status),
            ..Self::new(
                code,
                format!("HTTP {status} without a Lark error body"),
                "check the domain and any proxy in front of the Lark API; retry later on 5xx",
            )
        }
    }

    /// Lark Base's answer did not prove which record a created row became, although the batch may
    /// have been applied.
    pub fn unproven_create(client_token: &str) -> Self {
        let answered = Self {
            sent: true,
            ..Self::bad_response(
                "batch_create's answer does not show which record is this item's",
                None,
            )
        };
        answered.perhaps_created(client_token)
    }

    /// A create batch that failed this way may still have been applied (the answer was lost, or
    /// made no sense): says so, and how to run it again safely.
    pub fn perhaps_created(self, client_token: &str) -> Self {
        let mut e = self.perhaps_applied(&format!(
            "check the table before running again; to run it again without creating the records \
             twice, send the same items with client token {client_token}"
        ));
        if e.message.ends_with(APPLIED) {
            e.client_token = Some(client_token.to_owned());
        }
        e
    }

    /// A write batch that failed this way may still have been applied: the request may have
    /// reached Lark although no answer, or no sensible one, came back. Lark's own refusals were
    /// not applied and are left as they are; a batch never sent (its call's deadline passed
    /// first) is `NOT_SENT`.
    pub fn perhaps_applied(mut self, hint: &str) -> Self {
        if !self.sent {
            return Self {
                code: BaseErrorCode::NotSent,
                message: format!("not sent: {}", self.message),
                hint: "nothing of this item was written: run it again".to_owned(),
                ..self
            };
        }
        let unknown = matches!(
            self.code,
            BaseErrorCode::Timeout
                | BaseErrorCode::NetworkError
                | BaseErrorCode::HttpError
                | BaseErrorCode::BadResponse
                | BaseErrorCode::Internal
        );
        if unknown && !self.message.ends_with(APPLIED) {
            self.message.push_str(APPLIED);
        }
        if unknown {
            self.hint = hint.to_owned();
        }
        self
    }

    /// The call's deadline passed while it was `doing` something.
    pub fn deadline(deadline_ms: u32, doing: &str) -> Self {
        Self::new(
            BaseErrorCode::Timeout,
            format!("the call did not end within its deadline of {deadline_ms} ms ({doing})"),
            "retry later, or give the call a longer deadline (deadlineMs, the node's Timeout option)",
        )
    }

    /// A rate limit that the deadline left no time to wait out.
    pub fn past_deadline(mut self) -> Self {
        self.message = format!(
            "{}; waiting longer would pass the call's deadline",
            self.message
        );
        self
    }

    /// The answers of one call came to more than `bytes`.
    pub fn too_much(bytes: usize) -> Self {
        Self::bad_response_with_hint(
            &format!(
                "the answers of this call came to more than {} MiB",
                bytes >> 20
            ),
            "narrow the search with filters, a view, the fields to return or a limit",
        )
    }

    pub fn bad_response_with_hint(problem: &str, hint: &str) -> Self {
        Self {
            hint: hint.to_owned(),
            ..Self::bad_response(problem, None)
        }
    }

    /// This error with its texts cut to `MAX_TEXT_CHARS` (so that the search sees all of each) and
    /// every text that `holds_secret` says holds one replaced whole.
    pub fn withhold(mut self, holds_secret: impl Fn(&str) -> bool) -> Self {
        let texts = [&mut self.message, &mut self.hint].into_iter().chain(
            [&mut self.lark_msg, &mut self.column, &mut self.field]
                .into_iter()
                .flatten(),
        );
        for text in texts {
            if text.chars().nth(MAX_TEXT_CHARS).is_some() {
                *text = text.chars().take(MAX_TEXT_CHARS).chain(['…']).collect();
            }
            if holds_secret(text) {
                *text = WITHHELD.to_owned();
            }
        }
        self
    }

    pub fn bad_response(problem: &str, http_status: Option<u16>) -> Self {
        Self {
            http_status,
            ..Self::new(
                BaseErrorCode::BadResponse,
                format!("unexpected answer from Lark Base: {problem}"),
                "check that the domain points at the Lark or Feishu Open API",
            )
        }
    }

    /// Only failures that another try can cure: the network, timeouts, server errors, rate
    /// limits and write conflicts (another write to the table was under way).
    pub fn is_retryable(&self) -> bool {
        match self.code {
            BaseErrorCode::NetworkError
            | BaseErrorCode::Timeout
            | BaseErrorCode::RateLimited
            | BaseErrorCode::WriteConflict => true,
            BaseErrorCode::HttpError => self.http_status.is_some_and(|s| (500..=599).contains(&s)),
            BaseErrorCode::LarkError => self.lark_code.is_some_and(is_busy_code),
            _ => false,
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
}

/// Token and transport failures (from getting a token, or from sending a request) keep their
/// class, message and hint.
impl From<TokenError> for BaseError {
    fn from(e: TokenError) -> Self {
        let code = match e.code {
            ErrorCode::InvalidParams => BaseErrorCode::InvalidParams,
            ErrorCode::AuthFailed => BaseErrorCode::AuthFailed,
            ErrorCode::RateLimited => BaseErrorCode::RateLimited,
            ErrorCode::LarkError => BaseErrorCode::LarkError,
            ErrorCode::HttpError => BaseErrorCode::HttpError,
            ErrorCode::NetworkError => BaseErrorCode::NetworkError,
            ErrorCode::Timeout => BaseErrorCode::Timeout,
            ErrorCode::BadResponse => BaseErrorCode::BadResponse,
            // No token can be had yet; the message says to run again in a minute.
            ErrorCode::AppTicketPending => BaseErrorCode::TokenInvalid,
            ErrorCode::Internal => BaseErrorCode::Internal,
        };
        // The transport's own checks speak of the token endpoint; here the answer was Lark Base's.
        let message = e
            .message
            .replacen("from the token endpoint", "from Lark Base", 1);
        Self {
            code,
            message,
            hint: e.hint.to_owned(),
            field: e.field.map(str::to_owned),
            column: None,
            lark_code: e.lark_code,
            lark_msg: e.lark_msg,
            http_status: e.http_status,
            attempts: e.attempts,
            retry_after_s: e.retry_after_s,
            oversized: e.oversized,
            ..Self::new(code, String::new(), "")
        }
    }
}

impl fmt::Display for BaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for BaseError {}

pub const HINT_TOKEN: &str =
    "the access token is missing, invalid or expired: put Larkbase Get Token right before this \
     node, or choose the Larkbase API credential, which renews tokens by itself";
const HINT_RATE_LIMITED: &str =
    "Lark is limiting requests: wait a moment, or send fewer items at a time";
const HINT_WRITE_CONFLICT: &str =
    "another write to this table was under way (another workflow or person): run \
     again, or avoid writing to one table from several workflows at once";
const HINT_BUSY: &str = "Lark is busy: retry later";
const HINT_PERMISSION: &str =
    "give the app access to the base: in the base, open ... → Add document app (or \
     share the base with a group the app is in), and check the app has the Bitable permissions";
const HINT_BASE: &str =
    "check the base: its URL or app_token (a wiki URL's token is not an app_token)";
const HINT_TABLE: &str = "check the table ID (tbl...): the table may have been deleted or moved";
const HINT_FIELD_NAME: &str =
    "check the column names: they must match the table's exactly, including case and spaces";
const HINT_VALUE: &str =
    "check the value's form for the column type (see the node's documentation on conversions)";

/// Lark's codes that say "busy, try again": rate limits, write conflicts and transient states.
fn is_busy_code(code: i64) -> bool {
    matches!(
        code,
        99991400 | 1254290 | 1254291 | 1254607 | 1255040 | 1254036
    )
}

/// How Lark Base's codes (and the token codes every business API uses) map to ours.
pub fn lark_code_meaning(code: i64) -> (BaseErrorCode, &'static str) {
    match code {
        99991400 | 1254290 => (BaseErrorCode::RateLimited, HINT_RATE_LIMITED),
        1254291 => (BaseErrorCode::WriteConflict, HINT_WRITE_CONFLICT),
        1254607 | 1255040 | 1254036 => (BaseErrorCode::LarkError, HINT_BUSY),
        99991661 | 99991663 | 99991671 | 99991668 => (BaseErrorCode::TokenInvalid, HINT_TOKEN),
        99991672 | 99991679 | 91403 | 1254302 | 1254301 => {
            (BaseErrorCode::LarkError, HINT_PERMISSION)
        }
        1254043 | 1254044 => (
            BaseErrorCode::NotFound,
            "check the record ID (rec...): the record may have been deleted",
        ),
        91402 | 1254003 | 1254040 => (BaseErrorCode::LarkError, HINT_BASE),
        1254004 | 1254041 => (BaseErrorCode::LarkError, HINT_TABLE),
        1254045 => (BaseErrorCode::LarkError, HINT_FIELD_NAME),
        1254015 | 1254060..=1254063 | 1254065 | 1254067 => (BaseErrorCode::LarkError, HINT_VALUE),
        1254064 => (
            BaseErrorCode::LarkError,
            "dates must be Unix time in milliseconds; give an ISO 8601 date or a Unix time",
        ),
        1254066 => (
            BaseErrorCode::LarkError,
            "person columns take user IDs (ou_...) as [{ id }]",
        ),
        1254068 => (
            BaseErrorCode::LarkError,
            "URL columns take { link, text } or a URL string",
        ),
        1254104 => (
            BaseErrorCode::LarkError,
            "too many records in one call (at most 500, 100 for get)",
        ),
        99991662 => (
            BaseErrorCode::LarkError,
            "the app is disabled: enable it in the developer console",
        ),
        99991673 => (
            BaseErrorCode::LarkError,
            "the app is not installed in this tenant: install or publish it first",
        ),
        _ => (
            BaseErrorCode::LarkError,
            "look the code up in the Lark Open Platform error code reference",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes_are_retried_or_stopped_as_they_should() {
        for (code, class, retried) in [
            (99991400, BaseErrorCode::RateLimited, true),
            (1254290, BaseErrorCode::RateLimited, true),
            (1254291, BaseErrorCode::WriteConflict, true),
            (1254607, BaseErrorCode::LarkError, true),
            (99991661, BaseErrorCode::TokenInvalid, false),
            (99991663, BaseErrorCode::TokenInvalid, false),
            (99991671, BaseErrorCode::TokenInvalid, false),
            (1254043, BaseErrorCode::NotFound, false),
            (1254045, BaseErrorCode::LarkError, false),
            (1254015, BaseErrorCode::LarkError, false),
            (1254064, BaseErrorCode::LarkError, false),
            (1254066, BaseErrorCode::LarkError, false),
            (1254068, BaseErrorCode::LarkError, false),
            (1254104, BaseErrorCode::LarkError, false),
            (91402, BaseErrorCode::LarkError, false),
            (1, BaseErrorCode::LarkError, false),
            (i64::MIN, BaseErrorCode::LarkError, false),
        ] {
            let e = BaseError::lark(code, "msg".into(), 200);
            assert_eq!((e.code, e.is_retryable()), (class, retried), "{code}");
            assert!(!e.hint.is_empty());
            assert_eq!(e.message, format!("Lark returned code {code}: msg"));
        }
    }

    #[test]
    fn http_statuses() {
        assert!(BaseError::http(503).is_retryable());
        assert!(BaseError::http(429).is_retryable());
        assert_eq!(BaseError::http(429).code, BaseErrorCode::RateLimited);
        assert!(!BaseError::http(404).is_retryable());
        assert_eq!(
            BaseError::lark(1, "x".into(), 429).code,
            BaseErrorCode::RateLimited
        );
    }

    #[test]
    fn token_errors_keep_their_class() {
        let secret = crate::redact::SecretForms::new("TokenErrorSecret-0123");
        let e = BaseError::from(TokenError::lark(10014, "app secret invalid", 200, &secret));
        assert_eq!(e.code, BaseErrorCode::AuthFailed);
        assert!(e.hint.contains("App Secret"));
        assert!(BaseError::from(TokenError::timeout(10)).is_retryable());
    }

    #[test]
    fn value_errors_name_the_column_and_the_form_not_the_value() {
        let e = BaseError::invalid_value("Due", "date", "a string", "an ISO 8601 date");
        assert_eq!(e.code, BaseErrorCode::InvalidValue);
        assert_eq!(e.column.as_deref(), Some("Due"));
        assert_eq!(
            e.message,
            "column 'Due' (date) cannot take a string: expected an ISO 8601 date"
        );
    }

    #[test]
    fn attempts_are_counted_in_the_message() {
        let e = BaseError::lark(1254291, "conflict".into(), 200).after_attempts(4);
        assert!(e.message.ends_with("(after 4 attempts)"));
        assert_eq!(e.attempts, 4);
    }
}
