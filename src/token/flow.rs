//! The whole getToken flow (cache, single flight, retries, store-app steps), generic over how a
//! request is sent, how an answer is decoded and how time passes, so that it runs natively in
//! tests with a fake transport and clock, and in wasm with fetch, `JSON.parse` and JS timers.

use crate::error::TokenError;
use crate::http::{HttpAnswer, Platform, Request};
use crate::redact::SecretForms;
use crate::retry;
use crate::token::cache::{CacheKey, CachedToken, TokenCache};
use crate::token::flight::SingleFlight;
use crate::token::params::{AppKind, Params, TokenType};
use crate::token::request::{self, TokenRequest};
use crate::token::response::{self, LarkAnswer, Token};
use crate::token::tickets::Tickets;
use serde::Serialize;
use std::borrow::Cow;
use std::cell::RefCell;

/// What lives as long as the wasm instance: the cache, the calls in flight, and the store apps'
/// newest app_tickets.
#[derive(Default)]
pub struct TokenState {
    pub cache: RefCell<TokenCache>,
    flights: SingleFlight<CacheKey, Result<CachedToken, TokenError>>,
    pub tickets: RefCell<Tickets>,
}

/// The params to use: as given, or for a store app given no ticket, with the newest ticket this
/// instance received; `None` when it has none.
pub fn with_known_ticket<'p>(state: &TokenState, params: &'p Params) -> Option<Cow<'p, Params>> {
    if !params.ticket_from_store {
        return Some(Cow::Borrowed(params));
    }
    let ticket = state
        .tickets
        .borrow()
        .newest(&params.base_url, &params.app_id)?;
    let mut resolved = params.clone();
    resolved.ticket_from_store = false;
    match &mut resolved.app_kind {
        AppKind::StoreApp { app_ticket } | AppKind::StoreTenant { app_ticket, .. } => {
            *app_ticket = ticket;
        }
        AppKind::SelfBuilt => return None,
    }
    Some(Cow::Owned(resolved))
}

/// A token for the caller: the cached data plus the lifetime left at the time of the call.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub access_token: String,
    pub expires_in: u32,
    pub msg: String,
    pub display_url: String,
}

/// The answer from the cache alone, without any request: what the synchronous entry tries first.
pub fn cached_token(state: &TokenState, params: &Params, now_ms: f64) -> Option<Outcome> {
    if !params.use_cache {
        return None;
    }
    let params = with_known_ticket(state, params)?;
    let params = params.as_ref();
    let token_type = match &params.app_kind {
        AppKind::SelfBuilt => params.token_type,
        AppKind::StoreApp { .. } => TokenType::App,
        AppKind::StoreTenant { .. } => TokenType::Tenant,
    };
    let key = CacheKey::new(params, token_type);
    let token = state.cache.borrow_mut().get(&key, now_ms)?;
    Some(Outcome {
        expires_in: token.remaining_s(now_ms),
        access_token: token.access_token,
        msg: token.msg,
        display_url: token.display_url,
    })
}

pub async fn get_token<P: Platform>(
    platform: &P,
    state: &TokenState,
    params: &Params,
) -> Result<Outcome, TokenError> {
    let Some(resolved) = with_known_ticket(state, params) else {
        // No ticket yet: Lark pushes one to the Request URL when asked (once a minute at most).
        let asked = ask_for_ticket(platform, state, params).await?;
        return Err(TokenError::app_ticket_pending(asked, false));
    };
    let outcome = match token_for(platform, state, &resolved).await {
        // The ticket this process received was refused (a stale or a forged one): it is dropped,
        // and Lark asked for a new one, instead of every call sending it again until the next push.
        Err(e) if params.ticket_from_store && e.lark_code == Some(APP_TICKET_INVALID) => {
            if let Some(refused) = ticket_of(&resolved) {
                state
                    .tickets
                    .borrow_mut()
                    .forget(&params.base_url, &params.app_id, refused);
            }
            let asked = ask_for_ticket(platform, state, params).await?;
            return Err(TokenError::app_ticket_pending(asked, true));
        }
        other => other?,
    };
    // A ticket given in the params that Lark took is the newest this instance knows.
    if let AppKind::StoreApp { app_ticket } | AppKind::StoreTenant { app_ticket, .. } =
        &params.app_kind
    {
        if !params.ticket_from_store {
            state
                .tickets
                .borrow_mut()
                .remember(&params.base_url, &params.app_id, app_ticket);
        }
    }
    Ok(outcome)
}

/// Lark's code for an app_ticket it does not take.
const APP_TICKET_INVALID: i64 = 10012;

/// Asks Lark to push the app's ticket again, unless this process asked less than a minute ago;
/// whether it asked now.
async fn ask_for_ticket<P: Platform>(
    platform: &P,
    state: &TokenState,
    params: &Params,
) -> Result<bool, TokenError> {
    let now = platform.now_ms();
    let asked = state
        .tickets
        .borrow_mut()
        .ask_resend(&params.base_url, &params.app_id, now);
    if asked {
        resend_app_ticket(platform, params).await?;
    }
    Ok(asked)
}

fn ticket_of(params: &Params) -> Option<&str> {
    match &params.app_kind {
        AppKind::StoreApp { app_ticket } | AppKind::StoreTenant { app_ticket, .. } => {
            Some(app_ticket)
        }
        AppKind::SelfBuilt => None,
    }
}

async fn token_for<P: Platform>(
    platform: &P,
    state: &TokenState,
    params: &Params,
) -> Result<Outcome, TokenError> {
    let deadline = platform.now_ms() + f64::from(params.deadline_ms);
    // Requests are built only on a cache miss: the body is the costly part of a cached call.
    let token = match &params.app_kind {
        AppKind::SelfBuilt => {
            let build = || request::self_built(params);
            cached(platform, state, params, params.token_type, &build, deadline).await?
        }
        AppKind::StoreApp { app_ticket } => {
            let build = || request::store_app_token(params, app_ticket);
            cached(platform, state, params, TokenType::App, &build, deadline).await?
        }
        AppKind::StoreTenant {
            app_ticket,
            tenant_key,
        } => {
            let build_app = || request::store_app_token(params, app_ticket);
            let app = cached(
                platform,
                state,
                params,
                TokenType::App,
                &build_app,
                deadline,
            )
            .await?;
            let build = || request::store_tenant_token(params, &app.access_token, tenant_key);
            cached(platform, state, params, TokenType::Tenant, &build, deadline).await?
        }
    };
    Ok(Outcome {
        expires_in: token.remaining_s(platform.now_ms()),
        access_token: token.access_token,
        msg: token.msg,
        display_url: token.display_url,
    })
}

/// Asks Lark to push a store app's app_ticket again; resolves to Lark's `code` (0) and `msg`.
pub async fn resend_app_ticket<P: Platform>(
    platform: &P,
    params: &Params,
) -> Result<(i64, String, String), TokenError> {
    let request = request::resend_app_ticket(params);
    let deadline = platform.now_ms() + f64::from(params.deadline_ms);
    let secret = SecretForms::of(params.app_secret.expose());
    let (code, msg) = with_retries(platform, params, &request, deadline, |answer| {
        response::parse_ack(
            answer.status,
            platform.decode(&answer.body, response::MAX_VALUES),
            &secret,
        )
    })
    .await?;
    Ok((code, msg, request.display_url))
}

/// A cached token when one is good, else the outcome of the one call in flight for the key.
async fn cached<P: Platform>(
    platform: &P,
    state: &TokenState,
    params: &Params,
    token_type: TokenType,
    // Dynamic, so that the three kinds of request share one compiled `cached` (size matters in wasm).
    build: &dyn Fn() -> TokenRequest,
    deadline: f64,
) -> Result<CachedToken, TokenError> {
    let key = CacheKey::new(params, token_type);
    if !params.use_cache {
        return fetch(platform, state, params, token_type, &build(), deadline, key).await;
    }
    if let Some(hit) = state.cache.borrow_mut().get(&key, platform.now_ms()) {
        return Ok(hit);
    }
    state
        .flights
        .run(key.clone(), || async move {
            fetch(platform, state, params, token_type, &build(), deadline, key).await
        })
        .await
}

async fn fetch<P: Platform>(
    platform: &P,
    state: &TokenState,
    params: &Params,
    token_type: TokenType,
    request: &TokenRequest,
    deadline: f64,
    key: CacheKey,
) -> Result<CachedToken, TokenError> {
    let secret = SecretForms::of(params.app_secret.expose());
    let token: Token = with_retries(platform, params, request, deadline, |answer| {
        let decoded = platform.decode::<LarkAnswer>(&answer.body, response::MAX_VALUES);
        response::parse(answer.status, decoded, token_type, &secret)
    })
    .await?;
    let issued_at = platform.now_ms().max(0.0) as u64;
    let cached = CachedToken {
        access_token: token.access_token,
        display_url: request.display_url.clone(),
        expires_at_ms: issued_at.saturating_add(u64::from(token.expires_in) * 1000),
        msg: token.msg,
    };
    state.cache.borrow_mut().insert(key, cached.clone());
    Ok(cached)
}

/// Up to `max_attempts` tries, each within `timeout_ms` and all within the deadline, waiting as
/// `retry` says between them; `read` judges each answer.
pub async fn with_retries<P: Platform, B: Serialize, T>(
    platform: &P,
    params: &Params,
    request: &Request<B>,
    deadline: f64,
    read: impl Fn(&HttpAnswer) -> Result<T, TokenError>,
) -> Result<T, TokenError> {
    let mut value = None;
    let mut keep = |answer: &HttpAnswer| {
        value = Some(read(answer)?);
        Ok(())
    };
    retry_loop(platform, params, request, deadline, &mut keep).await?;
    value.ok_or_else(TokenError::internal)
}

/// What judges an answer for `retry_loop`, keeping what it read.
type Judge<'a> = dyn FnMut(&HttpAnswer) -> Result<(), TokenError> + 'a;

/// The loop of `with_retries`, compiled once per platform and body type however many kinds of
/// answer are read: the send it awaits is the largest state machine in the module.
async fn retry_loop<P: Platform, B: Serialize>(
    platform: &P,
    params: &Params,
    request: &Request<B>,
    deadline: f64,
    read: &mut Judge<'_>,
) -> Result<(), TokenError> {
    let mut attempt = 1;
    loop {
        let remaining = (deadline - platform.now_ms()).max(1.0);
        let timeout_ms = f64::from(params.timeout_ms).min(remaining) as u32;
        let error = match platform.send(request, timeout_ms).await {
            Ok(answer) => match read(&answer) {
                Ok(()) => return Ok(()),
                Err(mut error) => {
                    if error.http_status == Some(429) {
                        error.retry_after_s = answer
                            .retry_after
                            .as_deref()
                            .and_then(retry::parse_retry_after);
                    }
                    error
                }
            },
            Err(error) => error,
        };
        if attempt >= params.max_attempts || !retry::is_retryable(&error) {
            return Err(error.after_attempts(attempt));
        }
        let wait = retry::delay_ms(&error, attempt, platform.random());
        if platform.now_ms() + wait >= deadline {
            return Err(error.after_attempts(attempt));
        }
        platform.sleep(wait as u32).await;
        attempt += 1;
    }
}

// Native only: the local executor these tests use is not built for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::http::Malformed;
    use crate::token::params::{validate, Input, RawParams};
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use serde::de::DeserializeOwned;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::future::Future;
    use std::rc::Rc;

    /// Scripted answers, a clock that only moves when told or slept on, and optionally a gate that
    /// holds every request until the test opens it.
    #[derive(Default)]
    struct Fake {
        now: Cell<f64>,
        answers: RefCell<VecDeque<Result<HttpAnswer, TokenError>>>,
        sent: RefCell<Vec<(String, String, u32)>>,
        slept: RefCell<Vec<u32>>,
        gated: Cell<bool>,
        gates: RefCell<Vec<oneshot::Sender<()>>>,
    }

    impl Platform for Fake {
        async fn send<B: Serialize>(
            &self,
            request: &Request<B>,
            timeout_ms: u32,
        ) -> Result<HttpAnswer, TokenError> {
            let body = request.body.as_ref().unwrap().sent().to_string();
            self.sent
                .borrow_mut()
                .push((request.url.clone(), body, timeout_ms));
            if self.gated.get() {
                let (open, wait) = oneshot::channel();
                self.gates.borrow_mut().push(open);
                let _ = wait.await;
            }
            self.answers
                .borrow_mut()
                .pop_front()
                .unwrap_or_else(|| Err(TokenError::network("fake", "no scripted answer")))
        }

        fn decode<T: DeserializeOwned>(
            &self,
            body: &str,
            max_values: usize,
        ) -> Result<T, Malformed> {
            crate::http::decode_json(body, max_values)
        }

        async fn sleep(&self, ms: u32) {
            self.slept.borrow_mut().push(ms);
            self.now.set(self.now.get() + f64::from(ms));
        }

        fn now_ms(&self) -> f64 {
            self.now.get()
        }

        fn random(&self) -> f64 {
            0.5
        }
    }

    impl Fake {
        fn answer(&self, status: u16, body: &str) {
            self.answers.borrow_mut().push_back(Ok(HttpAnswer {
                status,
                body: body.to_owned(),
                ..HttpAnswer::default()
            }));
        }

        fn token(&self, token: &str, expire: u32) {
            self.answer(
                200,
                &format!(r#"{{"code":0,"msg":"ok","tenant_access_token":"{token}","app_access_token":"{token}","expire":{expire}}}"#),
            );
        }

        fn fail(&self, error: TokenError) {
            self.answers.borrow_mut().push_back(Err(error));
        }

        fn requests(&self) -> usize {
            self.sent.borrow().len()
        }
    }

    /// Concurrent callers, each with its own params, held at the gate of a gated fake transport.
    struct Crowd {
        fake: Rc<Fake>,
        state: Rc<TokenState>,
        pool: LocalPool,
        results: Rc<RefCell<Vec<Result<Outcome, TokenError>>>>,
    }

    impl Crowd {
        fn gathered(count: usize, params_for: impl Fn(usize) -> Params) -> Self {
            let fake = Rc::new(Fake::default());
            fake.gated.set(true);
            let state = Rc::new(TokenState::default());
            let mut pool = LocalPool::new();
            let results = Rc::new(RefCell::new(Vec::new()));
            for n in 0..count {
                let (fake, state, results) =
                    (Rc::clone(&fake), Rc::clone(&state), Rc::clone(&results));
                let p = params_for(n);
                pool.spawner()
                    .spawn_local(async move {
                        let outcome = get_token(&*fake, &state, &p).await;
                        results.borrow_mut().push(outcome);
                    })
                    .unwrap();
            }
            pool.run_until_stalled();
            Self {
                fake,
                state,
                pool,
                results,
            }
        }

        /// Opens the gates, runs every caller to the end, and hands back their outcomes.
        fn released(mut self) -> (Vec<Result<Outcome, TokenError>>, Rc<TokenState>) {
            for gate in self.fake.gates.borrow_mut().drain(..) {
                gate.send(()).unwrap();
            }
            self.pool.run();
            (self.results.take(), self.state)
        }
    }

    fn params(extra: impl FnOnce(&mut RawParams)) -> Params {
        let text = |s: &str| Some(Input::Text(s.to_owned()));
        let mut raw = RawParams {
            app_id: text("cli_a1b2c3d4e5f6a7b8"),
            app_secret: text("FlowSecret-1-0123456789"),
            ..RawParams::default()
        };
        extra(&mut raw);
        validate(raw).unwrap()
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        futures::executor::block_on(future)
    }

    const HOUR_S: u32 = 3600;

    #[test]
    fn a_cached_token_is_served_with_its_remaining_lifetime() {
        let (fake, state, p) = (Fake::default(), TokenState::default(), params(|_| {}));
        fake.token("t-1", 2 * HOUR_S);
        let first = run(get_token(&fake, &state, &p)).unwrap();
        assert_eq!(
            (first.access_token.as_str(), first.expires_in),
            ("t-1", 7200)
        );
        fake.now.set(1_000_000.0);
        let again = run(get_token(&fake, &state, &p)).unwrap();
        assert_eq!(
            (again.access_token.as_str(), again.expires_in),
            ("t-1", 6200)
        );
        assert_eq!(fake.requests(), 1);
    }

    #[test]
    fn a_token_is_renewed_before_it_expires() {
        let (fake, state, p) = (Fake::default(), TokenState::default(), params(|_| {}));
        fake.token("t-1", 2 * HOUR_S);
        fake.token("t-2", 2 * HOUR_S);
        run(get_token(&fake, &state, &p)).unwrap();
        // Six minutes before expiry the old token is still served; four minutes before, it is not.
        fake.now.set(f64::from(2 * HOUR_S - 6 * 60) * 1000.0);
        assert_eq!(
            run(get_token(&fake, &state, &p)).unwrap().access_token,
            "t-1"
        );
        fake.now.set(f64::from(2 * HOUR_S - 4 * 60) * 1000.0);
        assert_eq!(
            run(get_token(&fake, &state, &p)).unwrap().access_token,
            "t-2"
        );
        assert_eq!(fake.requests(), 2);
    }

    #[test]
    fn cache_false_always_asks_lark_and_refreshes_the_cache() {
        let (fake, state) = (Fake::default(), TokenState::default());
        let fresh = params(|raw| raw.cache = Some(Input::Bool(false)));
        fake.token("t-1", HOUR_S);
        fake.token("t-2", HOUR_S);
        run(get_token(&fake, &state, &fresh)).unwrap();
        assert_eq!(
            run(get_token(&fake, &state, &fresh)).unwrap().access_token,
            "t-2"
        );
        assert_eq!(fake.requests(), 2);
        assert_eq!(
            run(get_token(&fake, &state, &params(|_| {})))
                .unwrap()
                .access_token,
            "t-2"
        );
        assert_eq!(fake.requests(), 2);
    }

    #[test]
    fn concurrent_cold_calls_send_one_request_and_share_its_outcome() {
        let crowd = Crowd::gathered(1000, |_| params(|_| {}));
        assert_eq!(crowd.fake.requests(), 1);
        assert_eq!(crowd.state.flights.in_flight(), 1);
        crowd.fake.token("t-shared", HOUR_S);
        let (results, state) = crowd.released();
        assert_eq!(results.len(), 1000);
        assert!(results
            .iter()
            .all(|r| r.as_ref().unwrap().access_token == "t-shared"));
        assert_eq!(state.flights.in_flight(), 0);
    }

    #[test]
    fn concurrent_callers_share_an_error_too_and_the_next_call_tries_again() {
        let crowd = Crowd::gathered(10, |_| params(|_| {}));
        crowd
            .fake
            .answer(200, r#"{"code":10014,"msg":"app secret invalid"}"#);
        let fake = Rc::clone(&crowd.fake);
        let (results, state) = crowd.released();
        assert_eq!(fake.requests(), 1);
        assert!(results
            .iter()
            .all(|r| r.as_ref().unwrap_err().code == ErrorCode::AuthFailed));
        fake.gated.set(false);
        fake.token("t-later", HOUR_S);
        assert_eq!(
            run(get_token(&*fake, &state, &params(|_| {})))
                .unwrap()
                .access_token,
            "t-later"
        );
    }

    #[test]
    fn different_apps_do_not_share_flights() {
        let crowd = Crowd::gathered(100, |n| {
            params(|raw| raw.app_id = Some(Input::Text(format!("cli_app_{n}"))))
        });
        assert_eq!(crowd.fake.requests(), 100);
    }

    #[test]
    fn retries_after_two_503s_with_growing_jittered_waits() {
        let (fake, state, p) = (Fake::default(), TokenState::default(), params(|_| {}));
        fake.answer(503, "<html>busy</html>");
        fake.answer(503, "<html>busy</html>");
        fake.token("t-3rd", HOUR_S);
        assert_eq!(
            run(get_token(&fake, &state, &p)).unwrap().access_token,
            "t-3rd"
        );
        assert_eq!(fake.requests(), 3);
        // Full jitter with random() = 0.5: half of 200 ms, then half of 400 ms.
        assert_eq!(*fake.slept.borrow(), [100, 200]);
    }

    #[test]
    fn auth_errors_are_never_retried() {
        let (fake, state, p) = (Fake::default(), TokenState::default(), params(|_| {}));
        fake.answer(200, r#"{"code":10014,"msg":"app secret invalid"}"#);
        let e = run(get_token(&fake, &state, &p)).unwrap_err();
        assert_eq!((e.code, e.attempts), (ErrorCode::AuthFailed, 1));
        assert_eq!(fake.requests(), 1);
        assert!(fake.slept.borrow().is_empty());
    }

    #[test]
    fn the_final_error_says_how_many_attempts_were_made() {
        let (fake, state, p) = (Fake::default(), TokenState::default(), params(|_| {}));
        for _ in 0..3 {
            fake.fail(TokenError::network(
                "https://open.larksuite.com",
                "ECONNRESET",
            ));
        }
        let e = run(get_token(&fake, &state, &p)).unwrap_err();
        assert_eq!((e.code, e.attempts), (ErrorCode::NetworkError, 3));
        assert!(e.message.ends_with("(after 3 attempts)"), "{}", e.message);
        let one = params(|raw| raw.max_attempts = Some(Input::Number(1.0)));
        fake.fail(TokenError::timeout(10));
        assert_eq!(run(get_token(&fake, &state, &one)).unwrap_err().attempts, 1);
    }

    #[test]
    fn retry_after_is_honoured() {
        let (fake, state, p) = (Fake::default(), TokenState::default(), params(|_| {}));
        fake.answers.borrow_mut().push_back(Ok(HttpAnswer {
            status: 429,
            body: "slow down".into(),
            retry_after: Some("2".into()),
            ..HttpAnswer::default()
        }));
        fake.token("t-after", HOUR_S);
        assert_eq!(
            run(get_token(&fake, &state, &p)).unwrap().access_token,
            "t-after"
        );
        assert_eq!(*fake.slept.borrow(), [2000]);
    }

    #[test]
    fn retries_stop_at_the_deadline() {
        let (fake, state) = (Fake::default(), TokenState::default());
        let p = params(|raw| {
            raw.deadline_ms = Some(Input::Number(1500.0));
            raw.max_attempts = Some(Input::Number(10.0));
        });
        for _ in 0..10 {
            fake.answers.borrow_mut().push_back(Ok(HttpAnswer {
                status: 429,
                body: String::new(),
                retry_after: Some("1".into()),
                ..HttpAnswer::default()
            }));
        }
        let e = run(get_token(&fake, &state, &p)).unwrap_err();
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert_eq!(
            e.attempts, 2,
            "one wait of 1 s fits in 1.5 s, a second does not"
        );
        // Each attempt's timeout is cut to what is left of the deadline.
        let timeouts: Vec<u32> = fake.sent.borrow().iter().map(|s| s.2).collect();
        assert_eq!(timeouts, [1500, 500]);
    }

    #[test]
    fn store_app_token_from_the_ticket() {
        let (fake, state) = (Fake::default(), TokenState::default());
        let p = params(|raw| {
            raw.token_type = Some(Input::Text("app_access_token".into()));
            raw.app_ticket = Some(Input::Text("ticket-1".into()));
        });
        fake.token("a-store", HOUR_S);
        let outcome = run(get_token(&fake, &state, &p)).unwrap();
        assert_eq!(outcome.access_token, "a-store");
        let sent = fake.sent.borrow();
        assert_eq!(
            sent[0].0,
            "https://open.larksuite.com/open-apis/auth/v3/app_access_token"
        );
        assert!(sent[0].1.contains(r#""app_ticket":"ticket-1""#));
    }

    #[test]
    fn store_tenant_token_uses_a_cached_app_token() {
        let (fake, state) = (Fake::default(), TokenState::default());
        let tenant = |key: &'static str| {
            params(move |raw| {
                raw.app_ticket = Some(Input::Text("ticket-1".into()));
                raw.tenant_key = Some(Input::Text(key.into()));
            })
        };
        fake.token("a-store", 2 * HOUR_S);
        fake.token("t-tenant-1", 2 * HOUR_S);
        fake.token("t-tenant-2", 2 * HOUR_S);
        assert_eq!(
            run(get_token(&fake, &state, &tenant("tenant-1")))
                .unwrap()
                .access_token,
            "t-tenant-1"
        );
        assert_eq!(
            run(get_token(&fake, &state, &tenant("tenant-2")))
                .unwrap()
                .access_token,
            "t-tenant-2"
        );
        assert_eq!(
            run(get_token(&fake, &state, &tenant("tenant-1")))
                .unwrap()
                .access_token,
            "t-tenant-1"
        );
        let sent = fake.sent.borrow();
        let urls: Vec<&str> = sent.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://open.larksuite.com/open-apis/auth/v3/app_access_token",
                "https://open.larksuite.com/open-apis/auth/v3/tenant_access_token",
                "https://open.larksuite.com/open-apis/auth/v3/tenant_access_token",
            ]
        );
        assert_eq!(
            sent[1].1,
            r#"{"app_access_token":"a-store","tenant_key":"tenant-1"}"#
        );
    }

    #[test]
    fn resend_app_ticket_acknowledges() {
        let (fake, p) = (Fake::default(), params(|_| {}));
        fake.answer(200, r#"{"code":0,"msg":"ok"}"#);
        let (code, msg, url) = run(resend_app_ticket(&fake, &p)).unwrap();
        assert_eq!((code, msg.as_str()), (0, "ok"));
        assert!(url
            .starts_with("https://open.larksuite.com/open-apis/auth/v3/app_ticket/resend?app_id="));
    }

    /// A store app's app token, with no ticket given: the newest one received is used.
    fn store_app_without_ticket() -> Params {
        params(|raw| {
            raw.app_type = Some(Input::Text("store".into()));
            raw.token_type = Some(Input::Text("app_access_token".into()));
        })
    }

    #[test]
    fn a_store_app_without_a_ticket_uses_the_newest_one_received() {
        let fake = Fake::default();
        let state = TokenState::default();
        let store = store_app_without_ticket();
        // None received yet: Lark is asked to resend it, and the call says to run again.
        fake.answer(200, r#"{"code":0,"msg":"ok"}"#);
        let e = run(get_token(&fake, &state, &store)).unwrap_err();
        assert_eq!(e.code, ErrorCode::AppTicketPending);
        assert!(e.message.contains("run again in a minute"), "{}", e.message);
        assert!(fake.sent.borrow()[0].0.ends_with("/app_ticket/resend"));
        // Within the minute, Lark is not asked again.
        let e = run(get_token(&fake, &state, &store)).unwrap_err();
        assert_eq!(e.code, ErrorCode::AppTicketPending);
        assert_eq!(fake.requests(), 1);
        assert!(cached_token(&state, &store, 0.0).is_none());
        // The trigger hands over a pushed ticket: the next call uses it.
        state
            .tickets
            .borrow_mut()
            .remember(&store.base_url, &store.app_id, "pushed-ticket-1");
        fake.token("a-store", 7200);
        let token = run(get_token(&fake, &state, &store)).unwrap();
        assert_eq!(token.access_token, "a-store");
        assert!(fake.sent.borrow()[1]
            .1
            .contains(r#""app_ticket":"pushed-ticket-1""#));
        assert!(cached_token(&state, &store, fake.now_ms()).is_some());
    }

    #[test]
    fn a_received_ticket_lark_refuses_is_dropped_and_a_new_one_asked_for() {
        let fake = Fake::default();
        let state = TokenState::default();
        let store = store_app_without_ticket();
        state
            .tickets
            .borrow_mut()
            .remember(&store.base_url, &store.app_id, "forged-ticket");
        fake.answer(200, r#"{"code":10012,"msg":"app_ticket invalid"}"#);
        fake.answer(200, r#"{"code":0,"msg":"ok"}"#);
        let e = run(get_token(&fake, &state, &store)).unwrap_err();
        assert_eq!(e.code, ErrorCode::AppTicketPending);
        assert!(e.message.contains("refused"), "{}", e.message);
        assert!(fake.sent.borrow()[1].0.ends_with("/app_ticket/resend"));
        let newest = |state: &TokenState| {
            state
                .tickets
                .borrow()
                .newest(&store.base_url, &store.app_id)
        };
        assert_eq!(newest(&state), None);
        // The next call sends no refused ticket, and does not ask again within the minute.
        let e = run(get_token(&fake, &state, &store)).unwrap_err();
        assert!(
            e.message.contains("no app_ticket has arrived"),
            "{}",
            e.message
        );
        assert_eq!(fake.requests(), 2);
        // A newer ticket that arrived meanwhile is not dropped for the old one's refusal.
        let mut tickets = state.tickets.borrow_mut();
        tickets.remember(&store.base_url, &store.app_id, "newer-ticket");
        tickets.forget(&store.base_url, &store.app_id, "forged-ticket");
        drop(tickets);
        assert_eq!(newest(&state).as_deref(), Some("newer-ticket"));
    }

    #[test]
    fn a_ticket_given_and_taken_becomes_the_newest() {
        let fake = Fake::default();
        let state = TokenState::default();
        let given = params(|raw| {
            raw.app_ticket = Some(Input::Text("given-ticket".into()));
            raw.token_type = Some(Input::Text("app_access_token".into()));
        });
        fake.token("a-given", 7200);
        run(get_token(&fake, &state, &given)).unwrap();
        assert_eq!(
            state
                .tickets
                .borrow()
                .newest(&given.base_url, &given.app_id)
                .as_deref(),
            Some("given-ticket")
        );
        let refused = params(|raw| {
            raw.app_ticket = Some(Input::Text("stale-ticket".into()));
            raw.token_type = Some(Input::Text("app_access_token".into()));
            raw.cache = Some(Input::Bool(false));
        });
        fake.answer(200, r#"{"code":10012,"msg":"app_ticket invalid"}"#);
        assert!(run(get_token(&fake, &state, &refused)).is_err());
        assert_eq!(
            state
                .tickets
                .borrow()
                .newest(&given.base_url, &given.app_id)
                .as_deref(),
            Some("given-ticket")
        );
    }
}
