//! When a failed attempt is worth another, and how long to wait first.

use crate::error::{ErrorCode, TokenError};

pub const BASE_DELAY_MS: f64 = 200.0;
/// No single wait is longer, whatever the attempt number or Retry-After says.
pub const MAX_DELAY_MS: f64 = 10_000.0;

/// Only failures that another try can cure: the network, timeouts, server errors and rate limits.
/// Wrong credentials, other 4xx answers, bad bodies and redirects fail the same way every time.
pub fn is_retryable(error: &TokenError) -> bool {
    match error.code {
        ErrorCode::NetworkError | ErrorCode::Timeout | ErrorCode::RateLimited => true,
        ErrorCode::HttpError => error.http_status.is_some_and(|s| (500..=599).contains(&s)),
        ErrorCode::InvalidParams
        | ErrorCode::AuthFailed
        | ErrorCode::LarkError
        | ErrorCode::BadResponse
        | ErrorCode::AppTicketPending
        | ErrorCode::Internal => false,
    }
}

/// The wait before attempt `failed_attempts + 1`: Retry-After when the server sent one (capped),
/// otherwise exponential backoff with full jitter, `random` being uniform in [0, 1).
pub fn delay_ms(error: &TokenError, failed_attempts: u32, random: f64) -> f64 {
    if let Some(seconds) = error.retry_after_s {
        return (f64::from(seconds) * 1000.0).min(MAX_DELAY_MS);
    }
    let exponent = failed_attempts.saturating_sub(1).min(16);
    let ceiling = (BASE_DELAY_MS * f64::from(1u32 << exponent)).min(MAX_DELAY_MS);
    ceiling * random.clamp(0.0, 1.0)
}

/// Retry-After in seconds; the HTTP-date form is rare on APIs and falls back to backoff.
pub fn parse_retry_after(value: &str) -> Option<u32> {
    value.trim().parse::<u32>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: ErrorCode, status: Option<u16>) -> TokenError {
        let mut e = TokenError::http(status.unwrap_or(500));
        e.code = code;
        e.http_status = status;
        e
    }

    #[test]
    fn what_is_retried() {
        for (code, status, retried) in [
            (ErrorCode::NetworkError, None, true),
            (ErrorCode::Timeout, None, true),
            (ErrorCode::RateLimited, Some(429), true),
            (ErrorCode::RateLimited, Some(400), true),
            (ErrorCode::HttpError, Some(500), true),
            (ErrorCode::HttpError, Some(503), true),
            (ErrorCode::HttpError, Some(404), false),
            (ErrorCode::HttpError, Some(302), false),
            (ErrorCode::AuthFailed, Some(200), false),
            (ErrorCode::LarkError, Some(200), false),
            (ErrorCode::BadResponse, Some(200), false),
            (ErrorCode::InvalidParams, None, false),
        ] {
            assert_eq!(
                is_retryable(&error(code, status)),
                retried,
                "{code:?} {status:?}"
            );
        }
        let secret = crate::redact::SecretForms::new("NotInAnyMessage-0123456789");
        assert!(!is_retryable(&TokenError::lark(
            10014,
            "app secret invalid",
            200,
            &secret
        )));
        assert!(is_retryable(&TokenError::lark(
            99991400, "limit", 400, &secret
        )));
    }

    #[test]
    fn backoff_doubles_under_full_jitter_and_is_capped() {
        let e = TokenError::http(503);
        assert_eq!(delay_ms(&e, 1, 0.999_999).round(), 200.0);
        assert_eq!(delay_ms(&e, 2, 0.999_999).round(), 400.0);
        assert_eq!(delay_ms(&e, 3, 0.999_999).round(), 800.0);
        assert_eq!(delay_ms(&e, 3, 0.5), 400.0);
        assert_eq!(delay_ms(&e, 3, 0.0), 0.0);
        assert_eq!(delay_ms(&e, 30, 0.999_999).round(), MAX_DELAY_MS);
        assert_eq!(delay_ms(&e, u32::MAX, 2.0), MAX_DELAY_MS);
    }

    #[test]
    fn retry_after_wins_up_to_the_cap() {
        let mut e = TokenError::http(429);
        e.retry_after_s = Some(2);
        assert_eq!(delay_ms(&e, 1, 0.1), 2000.0);
        e.retry_after_s = Some(3600);
        assert_eq!(delay_ms(&e, 1, 0.1), MAX_DELAY_MS);
        assert_eq!(parse_retry_after(" 7 "), Some(7));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
