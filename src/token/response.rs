//! Reading Lark's answer: status and a decoded body in, a token or a classified error out. The
//! platform decodes the body into `LarkAnswer` (`JSON.parse` and serde-wasm-bindgen in wasm,
//! serde_json in native tests); this module judges what it says.

use crate::error::{server_text, TokenError};
use crate::http::Malformed;
use crate::lenient::Scalar;
use crate::redact::SecretForms;
use crate::token::params::TokenType;
use serde::Deserialize;

/// Token answers are a few hundred bytes; anything near this cap is not Lark.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// A token answer holds a handful of values; parsing stops long before a hostile one blocks.
pub const MAX_VALUES: usize = 10_000;
/// Lark's tokens live at most 2 hours; a day leaves room for private deployments.
pub const MAX_EXPIRE_SECONDS: f64 = 86_400.0;
const MAX_TOKEN_CHARS: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
pub struct Token {
    pub access_token: String,
    /// Remaining lifetime in seconds, as Lark's `expire` said.
    pub expires_in: u32,
    pub msg: String,
}

/// The fields of Lark's answer this crate reads, each as whatever kind it holds, so that reading
/// never fails on a field (and never formats one); their kinds are judged here. Numbers are read as
/// JSON numbers (`1e3` is 1000 for `JSON.parse` and for serde_json alike). A key given twice is read
/// as `JSON.parse` reads it, the last one winning.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LarkAnswer {
    pub code: Scalar,
    pub msg: Scalar,
    pub tenant_access_token: Scalar,
    pub app_access_token: Scalar,
    pub expire: Scalar,
}

const WRONG_FIELDS: &str = "code, msg, expire or the token is missing or of the wrong type";

/// Lark's `code`, when the answer is Lark's envelope at all: a whole number, with the other fields
/// of the kinds Lark gives them (or absent).
fn lark_code(answer: &LarkAnswer) -> Option<i64> {
    let text_or_absent = |field: &Scalar| matches!(field, Scalar::Null | Scalar::Text(_));
    let fine = text_or_absent(&answer.msg)
        && text_or_absent(&answer.tenant_access_token)
        && text_or_absent(&answer.app_access_token)
        && matches!(answer.expire, Scalar::Null | Scalar::Number(_));
    answer.code.as_whole().filter(|_| fine)
}

/// Lark's envelope, or the error for a body that is none: on a non-2xx status an HTTP error (the
/// body was not Lark's), on a 2xx one a bad response.
fn envelope(
    status: u16,
    answer: Result<LarkAnswer, Malformed>,
) -> Result<(i64, LarkAnswer), TokenError> {
    let problem = match answer {
        Ok(answer) => match lark_code(&answer) {
            Some(code) => return Ok((code, answer)),
            None => WRONG_FIELDS,
        },
        Err(malformed) => malformed.problem(WRONG_FIELDS),
    };
    Err(if (200..=299).contains(&status) {
        TokenError::bad_response(problem, Some(status))
    } else {
        TokenError::http(status)
    })
}

/// The token in Lark's answer. `secret` is looked for in every text taken from it, since some
/// servers echo the request.
pub fn parse(
    status: u16,
    answer: Result<LarkAnswer, Malformed>,
    token_type: TokenType,
    secret: &SecretForms,
) -> Result<Token, TokenError> {
    let success_status = (200..=299).contains(&status);
    let (code, body) = envelope(status, answer)?;
    let msg = body.msg.into_text().unwrap_or_default();
    if code != 0 {
        return Err(TokenError::lark(code, &msg, status, secret));
    }
    if !success_status {
        return Err(TokenError::http(status));
    }
    let bad = |problem: &str| TokenError::bad_response(problem, Some(status));
    let token = match token_type {
        TokenType::Tenant => body.tenant_access_token,
        TokenType::App => body.app_access_token,
    };
    let token = match token.into_text() {
        Some(token) if !token.is_empty() => token,
        _ => return Err(bad(&format!("code 0 but no {}", token_type.as_str()))),
    };
    if token.len() > MAX_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(
            "the token has characters or a length no access token has",
        ));
    }
    if secret.found_in(&token) {
        return Err(bad("the token contains the App Secret"));
    }
    let expires_in = body
        .expire
        .as_f64()
        .filter(|expire| expire.fract() == 0.0 && (1.0..=MAX_EXPIRE_SECONDS).contains(expire))
        .map(|expire| expire as u32)
        .ok_or_else(|| bad("expire is missing or not a lifetime from 1 to 86400 seconds"))?;
    Ok(Token {
        access_token: token,
        expires_in,
        msg: server_text(&msg, secret),
    })
}

/// An answer that carries no token, only Lark's `code` and `msg` (the app_ticket resend).
pub fn parse_ack(
    status: u16,
    answer: Result<LarkAnswer, Malformed>,
    secret: &SecretForms,
) -> Result<(i64, String), TokenError> {
    let success_status = (200..=299).contains(&status);
    let (code, ack) = envelope(status, answer)?;
    let msg = ack.msg.into_text().unwrap_or_default();
    match (code, success_status) {
        (0, true) => Ok((0, server_text(&msg, secret))),
        (0, false) => Err(TokenError::http(status)),
        (code, _) => Err(TokenError::lark(code, &msg, status, secret)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, WITHHELD};

    const SECRET: &str = "Canary/Secret\"42&x-0123456789";

    fn decode(body: &str) -> Result<LarkAnswer, Malformed> {
        crate::http::decode_json(body, MAX_VALUES)
    }

    fn forms() -> SecretForms {
        SecretForms::new(SECRET)
    }

    fn tenant(status: u16, body: &str) -> Result<Token, TokenError> {
        parse(status, decode(body), TokenType::Tenant, &forms())
    }

    #[test]
    fn tenant_token() {
        let t = tenant(
            200,
            r#"{"code":0,"msg":"ok","tenant_access_token":"t-abc","expire":7140}"#,
        )
        .unwrap();
        assert_eq!(
            t,
            Token {
                access_token: "t-abc".into(),
                expires_in: 7140,
                msg: "ok".into()
            }
        );
    }

    #[test]
    fn app_token_is_taken_from_its_own_field() {
        let body = r#"{"code":0,"msg":"ok","app_access_token":"a-1","tenant_access_token":"t-1","expire":4567}"#;
        let t = parse(200, decode(body), TokenType::App, &forms()).unwrap();
        assert_eq!((t.access_token.as_str(), t.expires_in), ("a-1", 4567));
        let t = parse(200, decode(body), TokenType::Tenant, &forms()).unwrap();
        assert_eq!(t.access_token, "t-1");
    }

    #[test]
    fn expire_is_taken_as_sent() {
        for expire in [1, 60, 4567, 7140, 7200, 86_400] {
            let body = format!(r#"{{"code":0,"tenant_access_token":"t","expire":{expire}}}"#);
            assert_eq!(tenant(200, &body).unwrap().expires_in as i64, expire);
        }
    }

    #[test]
    fn lark_error_codes() {
        for (code, class) in [
            (10003, ErrorCode::AuthFailed),
            (10014, ErrorCode::AuthFailed),
            (99991543, ErrorCode::AuthFailed),
            (99991400, ErrorCode::RateLimited),
            (10012, ErrorCode::LarkError),
            (99991661, ErrorCode::LarkError),
            (99991662, ErrorCode::LarkError),
            (99991663, ErrorCode::LarkError),
            (99991664, ErrorCode::LarkError),
            (99991671, ErrorCode::LarkError),
            (99991673, ErrorCode::LarkError),
            (12345, ErrorCode::LarkError),
        ] {
            for status in [200, 400] {
                let e = tenant(status, &format!(r#"{{"code":{code},"msg":"nope"}}"#)).unwrap_err();
                assert_eq!(e.code, class, "{code} with HTTP {status}");
                assert_eq!(e.lark_code, Some(code));
                assert_eq!(e.lark_msg.as_deref(), Some("nope"));
                assert_eq!(e.http_status, Some(status));
            }
        }
    }

    #[test]
    fn bodies_that_are_not_lark() {
        for (status, body, class, words) in [
            (200, "<html>502</html>", ErrorCode::BadResponse, "not JSON"),
            (
                200,
                r#"{"code":0,"tenant_acc"#,
                ErrorCode::BadResponse,
                "not JSON",
            ),
            (200, "", ErrorCode::BadResponse, "not JSON"),
            (200, "[]", ErrorCode::BadResponse, "wrong type"),
            (200, "null", ErrorCode::BadResponse, "wrong type"),
            (200, r#"{"msg":"ok"}"#, ErrorCode::BadResponse, "missing"),
            (
                200,
                r#"{"code":"0","tenant_access_token":"t","expire":1}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (200, r#"{"code":0.5}"#, ErrorCode::BadResponse, "wrong type"),
            (
                200,
                r#"{"code":1e300}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (200, r#"{"code":null}"#, ErrorCode::BadResponse, "missing"),
            (200, r#"{"code":[0]}"#, ErrorCode::BadResponse, "wrong type"),
            (
                200,
                r#"{"code":0,"msg":{"x":1}}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":7,"expire":1}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":"7200"}"#,
                ErrorCode::BadResponse,
                "wrong type",
            ),
            (
                200,
                r#"{"code":0,"expire":7200}"#,
                ErrorCode::BadResponse,
                "no tenant_access_token",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"","expire":7200}"#,
                ErrorCode::BadResponse,
                "no tenant_access_token",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t x","expire":7200}"#,
                ErrorCode::BadResponse,
                "characters",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t"}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":0}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":-5}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":86401}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                200,
                r#"{"code":0,"tenant_access_token":"t","expire":7200.5}"#,
                ErrorCode::BadResponse,
                "expire",
            ),
            (
                500,
                "<html>Internal Server Error</html>",
                ErrorCode::HttpError,
                "HTTP 500",
            ),
            (502, "", ErrorCode::HttpError, "HTTP 502"),
            (
                404,
                r#"{"error":"not found"}"#,
                ErrorCode::HttpError,
                "HTTP 404",
            ),
            (
                503,
                r#"{"code":0,"tenant_access_token":"t","expire":1}"#,
                ErrorCode::HttpError,
                "HTTP 503",
            ),
            (429, "slow down", ErrorCode::RateLimited, "429"),
        ] {
            let e = tenant(status, body).unwrap_err();
            assert_eq!(e.code, class, "{status} {body}");
            assert_eq!(e.http_status, Some(status));
            assert!(e.message.contains(words), "{body}: {}", e.message);
        }
    }

    #[test]
    fn numbers_are_judged_by_value_not_spelling() {
        let t = tenant(
            200,
            r#"{"code":0e0,"tenant_access_token":"t","expire":1e3}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, 1000);
    }

    #[test]
    fn an_echoed_secret_withholds_the_whole_message() {
        let echoes = [
            format!("bad request: {SECRET}"),
            format!(
                "bad request body {}",
                serde_json::json!({ "app_secret": SECRET })
            ),
            format!(
                "form: app_secret={}",
                SECRET
                    .replace('/', "%2f")
                    .replace('"', "%22")
                    .replace('&', "%26")
            ),
            format!(
                "<p>{}</p>",
                SECRET.replace('&', "&amp;").replace('"', "&#34;")
            ),
            SECRET.to_uppercase(),
        ];
        for echo in echoes {
            let body = serde_json::json!({ "code": 10014, "msg": echo }).to_string();
            let e = tenant(400, &body).unwrap_err();
            assert_eq!(e.lark_msg.as_deref(), Some(WITHHELD), "{echo}");
            assert!(!format!("{e:?} {e}").to_lowercase().contains("canary"));
        }
    }

    #[test]
    fn a_token_holding_the_secret_is_refused() {
        // Punctuation does not hide it: the secret less its quote is the secret still.
        for token in [
            format!("t-{}", SECRET.replace('"', "")),
            "t-Canary/Secret\"42&x-0123456789".to_owned(),
        ] {
            let body = serde_json::json!({ "code": 0, "tenant_access_token": token, "expire": 60 });
            let e = tenant(200, &body.to_string()).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadResponse);
            assert!(!e.message.contains("Canary"));
        }
        let other = format!("t-{}", SECRET.replace('"', "").replace("42", "43"));
        let body = serde_json::json!({ "code": 0, "tenant_access_token": other, "expire": 60 });
        assert!(
            tenant(200, &body.to_string()).is_ok(),
            "not the secret: {other}"
        );
        let hex: String = SECRET.bytes().map(|b| format!("{b:02x}")).collect();
        let body = serde_json::json!({ "code": 0, "tenant_access_token": format!("t-{hex}"), "expire": 60 });
        assert_eq!(
            tenant(200, &body.to_string()).unwrap_err().code,
            ErrorCode::BadResponse
        );
    }

    #[test]
    fn acks() {
        assert_eq!(
            parse_ack(200, decode(r#"{"code":0,"msg":"ok"}"#), &forms()).unwrap(),
            (0, "ok".into())
        );
        let e = parse_ack(
            200,
            decode(r#"{"code":10014,"msg":"app secret invalid"}"#),
            &forms(),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::AuthFailed);
        assert_eq!(
            parse_ack(502, decode("<html>"), &forms()).unwrap_err().code,
            ErrorCode::HttpError
        );
        assert_eq!(
            parse_ack(200, decode("<html>"), &forms()).unwrap_err().code,
            ErrorCode::BadResponse
        );
    }

    #[test]
    fn success_msg_is_withheld_too() {
        let body = serde_json::json!({ "code": 0, "msg": SECRET, "tenant_access_token": "t", "expire": 60 });
        assert_eq!(tenant(200, &body.to_string()).unwrap().msg, WITHHELD);
    }
}
