//! The platform both modules run their plain-Rust flows on: fetch, reading the answer, JSON,
//! timers and time, plus the exports every instance has. Every decision is made elsewhere.
//!
//! Whatever a caller or a custom fetch hands in is hostile until checked: getters and proxy traps
//! can throw, promises can have throwing `then`s, chunks can lie about their length. So every call
//! into JS that could throw goes through a `catch` binding (`Reflect`, `Function::call*`, the
//! `Result`-returning web-sys methods), and foreign values are only awaited after being adopted by
//! a promise of our own.

use crate::error::{FetchFailure, TokenError};
use crate::http::{self, Malformed};
use crate::http::{HttpAnswer, Payload, Platform};
use crate::http::{Request, CONTENT_TYPE};
use js_sys::{Array, Function, JsString, Object, Promise, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Blob, DomException, TextDecodeOptions, TextDecoder};

#[wasm_bindgen]
extern "C" {
    // Node has no `window`, so the global fetch is bound directly (as gloo-net does), not through
    // web-sys's `Window::fetch`.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &Object) -> Result<JsValue, JsValue>;
}

thread_local! {
    // %TypedArray%.prototype's own byteLength getter: it reads the chunk's real length, which an
    // own `length` or `byteLength` property cannot fake.
    static BYTE_LENGTH: Option<Function> = typed_array_byte_length();
    // The pending timers, for the life of the instance.
    static DEADLINES: RefCell<Deadlines> = RefCell::default();
}

/// Bytes of this instance's WebAssembly memory: a diagnostic for checking that it stays bounded.
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
        .into()
}

/// Traps this instance on purpose, at once or in the module's next microtask (where its async
/// work runs). Nothing calls it but the tests of the JS entry's recovery from a broken instance,
/// which a real trap is the only honest way to check.
#[wasm_bindgen(js_name = abortForTests)]
pub fn abort_for_tests(in_microtask: bool) {
    if in_microtask {
        wasm_bindgen_futures::spawn_local(async { std::process::abort() });
    } else {
        std::process::abort();
    }
}

pub(crate) fn read_fetch(value: JsValue) -> Result<Option<Function>, TokenError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| TokenError::invalid("fetch", "must be a function"))
}

/// fetch, JS time and randomness, for the plain-Rust flows (the token's and Lark Base's).
pub(crate) struct JsPlatform<'a> {
    /// Where requests go, for the messages of failed ones.
    pub(crate) base_url: &'a str,
    pub(crate) fetch: Option<Function>,
}

impl Platform for JsPlatform<'_> {
    async fn send<B: Serialize>(
        &self,
        request: &Request<B>,
        timeout_ms: u32,
    ) -> Result<HttpAnswer, TokenError> {
        // Only the body depends on its type; the rest is compiled once.
        let body = match &request.body {
            Some(Payload::Value(body)) => js_sys::JSON::stringify(
                &body
                    .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                    .map_err(|_| TokenError::internal())?,
            )
            .map(JsValue::from)
            .map_err(|_| TokenError::internal())?,
            Some(Payload::Json(text)) => JsValue::from_str(text),
            None => JsValue::UNDEFINED,
        };
        self.send_json(
            request.method,
            &request.url,
            request.bearer.as_deref(),
            &body,
            request.max_body_bytes,
            timeout_ms,
        )
        .await
    }

    fn decode<T: DeserializeOwned>(&self, body: &str, max_values: usize) -> Result<T, Malformed> {
        crate::lenient::check_shape(body, max_values)?;
        let value = js_sys::JSON::parse(body).map_err(|_| Malformed::NotJson)?;
        // serde-wasm-bindgen would format a top level of the wrong kind into its error message.
        if !value.is_object() {
            return Err(Malformed::WrongShape);
        }
        serde_wasm_bindgen::from_value(value).map_err(|_| Malformed::WrongShape)
    }

    async fn sleep(&self, ms: u32) {
        // The JS entry keeps Node running while a call is pending, retry waits included.
        if let Ok(timer) = Timer::start(ms) {
            let _ = JsFuture::from(timer.fired.clone()).await;
        }
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }
}

impl JsPlatform<'_> {
    async fn send_json(
        &self,
        method: &str,
        url: &str,
        bearer: Option<&str>,
        body: &JsValue,
        max_body_bytes: usize,
        timeout_ms: u32,
    ) -> Result<HttpAnswer, TokenError> {
        let call = Call::start(self.base_url, timeout_ms)?;
        let init = request_init(method, bearer, body, &call.timer.signal)?;
        let sent = match &self.fetch {
            Some(fetch) => fetch.call2(&JsValue::UNDEFINED, &JsValue::from(url), &init),
            None => global_fetch(url, &init),
        };
        let response = call.settle(sent.map_err(|e| call.failure(&e))?).await?;
        call.read_answer(&response, max_body_bytes).await
    }
}

/// A promise that resolves `ms` after it starts, and a signal for fetch that aborts then: our only
/// timer, since n8n's package scanner rules out setTimeout. All of an instance's timers share one
/// `AbortSignal.timeout` at a time (see `Deadlines`); a timer of its own holds only JS objects
/// that the garbage collector takes with its call.
struct Timer {
    id: u64,
    /// What fetch is handed: aborted with a `TimeoutError` when the timer is due.
    signal: AbortSignal,
    fired: Promise,
    /// `Date.now()` at which the timer is due, for loops that never let a timer run.
    due: f64,
}

impl Timer {
    fn start(ms: u32) -> Result<Self, TokenError> {
        let controller = AbortController::new().map_err(|_| TokenError::internal())?;
        let mut resolve = None;
        let fired = Promise::new(&mut |r, _| resolve = Some(r));
        let resolve = resolve.ok_or_else(TokenError::internal)?;
        let due = js_sys::Date::now() + f64::from(ms);
        let signal = controller.signal();
        let id = DEADLINES.with_borrow_mut(|deadlines| {
            deadlines.next_id += 1;
            let waiter = Waiter {
                id: deadlines.next_id,
                due,
                resolve,
                controller,
            };
            deadlines.waiting.push(waiter);
            deadlines.next_id
        });
        // Made before arming, so that its drop takes the waiter out again if arming fails.
        let timer = Self {
            id,
            signal,
            fired,
            due,
        };
        Deadlines::arm(due)?;
        Ok(timer)
    }

    fn is_due(&self) -> bool {
        self.signal.aborted() || js_sys::Date::now() >= self.due
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let idle = DEADLINES.with_borrow_mut(|deadlines| {
            if let Some(at) = deadlines.waiting.iter().position(|w| w.id == self.id) {
                deadlines.waiting.swap_remove(at);
            }
            if deadlines.waiting.is_empty() {
                deadlines.armed.as_mut().and_then(Armed::quiet)
            } else {
                None
            }
        });
        if let Some((signal, listener)) = idle {
            let _ = signal.remove_event_listener_with_callback("abort", &listener);
        }
    }
}

/// A pending timer as `Deadlines` keeps it.
struct Waiter {
    id: u64,
    due: f64,
    resolve: Function,
    controller: AbortController,
}

/// The pending timers of this instance, driven by one `AbortSignal.timeout` at a time, armed for
/// the earliest of them. One signal per timer, as before, cost about 2 KB of JS heap each that
/// could not be collected until the signal fired (10 s by default), and V8 kept the heap it had
/// grown to: 100,000 quick calls through a custom fetch grew RSS by about 250 MB. A finished timer
/// leaves nothing behind here, and the armed signal does not keep Node running.
///
/// The signal's listener leads back into this instance, and Node keeps a timeout signal that has a
/// listener until it fires: so the listener is on only while a timer is pending. Otherwise a
/// retired instance (one that grew large, replaced by the JS entry) stayed in memory, all of it,
/// until the last deadline its calls had set (300 s by default) had passed. A signal that nothing
/// listens to is kept, for the next timer that is due after it: a new signal for each call would
/// bring back the cost above.
#[derive(Default)]
struct Deadlines {
    waiting: Vec<Waiter>,
    next_id: u64,
    /// Due no later than any waiter and listened to, while there is one; kept unheard while there
    /// is none.
    armed: Option<Armed>,
}

/// The signal armed for the earliest pending timer.
struct Armed {
    /// Tells the task of this signal from those of signals dropped before they fired.
    id: u64,
    due: f64,
    signal: AbortSignal,
    /// Resolves the promise the signal's task awaits; the signal's abort listener while `listening`.
    resolve: Function,
    listening: bool,
}

impl Armed {
    /// Listens to the signal again, for a new pending timer.
    fn listen(&mut self) -> Result<(), TokenError> {
        if !self.listening {
            self.signal
                .add_event_listener_with_callback("abort", &self.resolve)
                .map_err(|_| TokenError::internal())?;
            self.listening = true;
        }
        Ok(())
    }

    /// The listener to take off the signal now that no timer is pending, if it is on.
    fn quiet(&mut self) -> Option<(AbortSignal, Function)> {
        std::mem::replace(&mut self.listening, false)
            .then(|| (self.signal.clone(), self.resolve.clone()))
    }

    /// Takes the listener off and ends the signal's task, which finds itself dropped.
    fn drop_signal(self) {
        if self.listening {
            let _ = self
                .signal
                .remove_event_listener_with_callback("abort", &self.resolve);
        }
        let _ = self.resolve.call0(&JsValue::UNDEFINED);
    }
}

impl Deadlines {
    /// Listens to the armed signal if it fires by `due` (and has not fired unheard); otherwise
    /// arms one for `due` in its place.
    fn arm(due: f64) -> Result<(), TokenError> {
        let mut old = DEADLINES.with_borrow_mut(|deadlines| deadlines.armed.take());
        if let Some(armed) = old.as_mut() {
            if armed.due <= due && !armed.signal.aborted() && armed.listen().is_ok() {
                Deadlines::keep(old);
                return Ok(());
            }
        }
        match Deadlines::signal(due) {
            Ok(armed) => {
                Deadlines::keep(Some(armed));
                if let Some(old) = old {
                    old.drop_signal();
                }
                Ok(())
            }
            Err(e) => {
                // Still good for the timers that were pending before.
                Deadlines::keep(old);
                Err(e)
            }
        }
    }

    /// A signal that fires at `due`, listened to, and the task that settles what is due then.
    fn signal(due: f64) -> Result<Armed, TokenError> {
        // Whole milliseconds, rounded up: a timer never fires before it is due.
        let ms = (due - js_sys::Date::now())
            .ceil()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        let signal = AbortSignal::timeout_with_u32(ms);
        let mut resolve = None;
        let fired = Promise::new(&mut |r, _| resolve = Some(r));
        let resolve = resolve.ok_or_else(TokenError::internal)?;
        let id = DEADLINES.with_borrow_mut(|deadlines| {
            deadlines.next_id += 1;
            deadlines.next_id
        });
        let mut armed = Armed {
            id,
            due,
            signal,
            resolve,
            listening: false,
        };
        armed.listen()?;
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(fired).await;
            Deadlines::fire(id);
        });
        Ok(armed)
    }

    fn keep(armed: Option<Armed>) {
        // Another signal is there only if JS code run by the calls above armed one meanwhile.
        let other =
            DEADLINES.with_borrow_mut(|deadlines| std::mem::replace(&mut deadlines.armed, armed));
        if let Some(other) = other {
            other.drop_signal();
        }
    }

    /// Settles the timers that are due when the signal armed as `id` fires, and arms the next.
    fn fire(id: u64) {
        let now = js_sys::Date::now();
        let fired = DEADLINES.with_borrow_mut(|deadlines| {
            if deadlines.armed.as_ref().map(|a| a.id) != Some(id) {
                return None;
            }
            deadlines.armed = None;
            let (due, waiting) = std::mem::take(&mut deadlines.waiting)
                .into_iter()
                .partition(|waiter| waiter.due <= now);
            deadlines.waiting = waiting;
            let next = deadlines.waiting.iter().map(|w| w.due).reduce(f64::min);
            Some((due, next))
        });
        let Some((due, next)) = fired else {
            return;
        };
        // The borrow is over: aborting runs the fetch's listeners, which may start a call.
        for waiter in &due {
            waiter.expire();
        }
        if let Some(next) = next {
            if Deadlines::arm(next).is_err() {
                // Without a signal nothing would ever settle them: they time out now instead.
                let all =
                    DEADLINES.with_borrow_mut(|deadlines| std::mem::take(&mut deadlines.waiting));
                for waiter in &all {
                    waiter.expire();
                }
            }
        }
    }
}

impl Waiter {
    fn expire(&self) {
        let reason = DomException::new_with_message_and_name(
            "The operation was aborted due to timeout",
            "TimeoutError",
        )
        .map_or(JsValue::UNDEFINED, JsValue::from);
        // Cannot throw: an abort listener that throws is reported, not rethrown to us.
        self.controller.abort_with_reason(&reason);
        let _ = self.resolve.call0(&JsValue::UNDEFINED);
    }
}

/// One request in flight, with the timer every await is raced against: a custom fetch may ignore
/// the abort signal, and a body may drip slower than the timeout.
struct Call<'a> {
    base_url: &'a str,
    timeout_ms: u32,
    timer: Timer,
}

impl<'a> Call<'a> {
    fn start(base_url: &'a str, timeout_ms: u32) -> Result<Self, TokenError> {
        let timer = Timer::start(timeout_ms)?;
        Ok(Self {
            base_url,
            timeout_ms,
            timer,
        })
    }

    fn timed_out(&self) -> bool {
        self.timer.is_due()
    }

    /// Awaits a foreign value (a promise, a thenable, anything) or the timeout, whichever comes first.
    async fn settle(&self, value: JsValue) -> Result<JsValue, TokenError> {
        let race = Promise::race(&Array::of2(&adopt(&value), &self.timer.fired));
        let outcome = JsFuture::from(race).await;
        if self.timed_out() {
            return Err(TokenError::timeout(self.timeout_ms));
        }
        outcome.map_err(|e| self.failure(&e))
    }

    fn failure(&self, error: &JsValue) -> TokenError {
        let text = |target: &JsValue, key| short_text(&get(target, key), 64);
        let cause = get(error, "cause");
        let failure = FetchFailure {
            name: text(error, "name"),
            code: text(error, "code"),
            cause_code: text(&cause, "code"),
        };
        TokenError::fetch_failed(failure, self.base_url, self.timeout_ms)
    }

    async fn read_answer(
        &self,
        response: &JsValue,
        max_body_bytes: usize,
    ) -> Result<HttpAnswer, TokenError> {
        let status = get(response, "status")
            .as_f64()
            .filter(|s| s.fract() == 0.0 && (0.0..=999.0).contains(s))
            .map(|s| s as u16)
            .ok_or_else(|| TokenError::bad_response("the fetch result has no HTTP status", None))?;
        let redirected = get(response, "redirected").as_bool() == Some(true)
            || short_text(&get(response, "type"), 16).as_deref() == Some("opaqueredirect");
        let body = get(response, "body");
        let content_length = header(response, "content-length");
        let head = http::check_head(
            status,
            redirected,
            content_length.as_deref(),
            max_body_bytes,
        );
        if let Err(e) = head {
            cancel(&body);
            return Err(e);
        }
        let text = match method(&body, "getReader") {
            Some(get_reader) => {
                self.read_stream(&body, &get_reader, status, max_body_bytes)
                    .await?
            }
            None => self.read_text(response, status, max_body_bytes).await?,
        };
        Ok(HttpAnswer {
            status,
            body: text,
            retry_after: header(response, "retry-after"),
            rate_reset: header(response, "x-ogw-ratelimit-reset"),
            rate_limit: header(response, "x-ogw-ratelimit-limit"),
        })
    }

    /// Reads a body stream, counting the decoded bytes as they come: reading stops at the cap,
    /// whatever Content-Length or Content-Encoding said, and no chunk past it is copied in.
    async fn read_stream(
        &self,
        body: &JsValue,
        get_reader: &Function,
        status: u16,
        max_body_bytes: usize,
    ) -> Result<String, TokenError> {
        let unreadable = || TokenError::bad_response("the body cannot be read", Some(status));
        let reader = get_reader.call0(body).map_err(|_| unreadable())?;
        let read = method(&reader, "read").ok_or_else(unreadable)?;
        let decoder = TextDecoder::new().map_err(|_| unreadable())?;
        let streaming = TextDecodeOptions::new();
        streaming.set_stream(true);
        let mut text = String::new();
        let mut counted = 0usize;
        let outcome = loop {
            let chunk = match read.call0(&reader) {
                Ok(pending) => self.settle(pending).await,
                Err(_) => Err(unreadable()),
            };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => break Err(e),
            };
            if get(&chunk, "done").as_bool() == Some(true) {
                break decoder.decode().map_err(|_| unreadable());
            }
            let value = get(&chunk, "value");
            let Some(length) = byte_length(&value) else {
                break Err(unreadable());
            };
            // An empty chunk counts as one byte, so that a stream of them ends too.
            counted = counted.saturating_add(length.max(1));
            if counted > max_body_bytes {
                break Err(http::body_too_big(status, max_body_bytes));
            }
            // Chunks that are ready at once never let the timer's event run.
            if self.timed_out() {
                break Err(TokenError::timeout(self.timeout_ms));
            }
            match decoder.decode_with_buffer_source_and_options(value.unchecked_ref(), &streaming) {
                Ok(piece) => text.push_str(&piece),
                Err(_) => break Err(unreadable()),
            }
        };
        match outcome {
            Ok(rest) => {
                text.push_str(&rest);
                Ok(text)
            }
            Err(e) => {
                cancel(&reader);
                Err(e)
            }
        }
    }

    /// A body given by `text()` only: its size is checked before it is copied in.
    async fn read_text(
        &self,
        response: &JsValue,
        status: u16,
        max_body_bytes: usize,
    ) -> Result<String, TokenError> {
        let unreadable = || TokenError::bad_response("the body cannot be read", Some(status));
        let Some(text) = method(response, "text") else {
            return Ok(String::new());
        };
        let text = self
            .settle(text.call0(response).map_err(|_| unreadable())?)
            .await?;
        let text = text.dyn_into::<JsString>().map_err(|_| unreadable())?;
        if !fits(&text, max_body_bytes) {
            return Err(http::body_too_big(status, max_body_bytes));
        }
        Ok(String::from(text))
    }
}

/// Whether a JS string is at most `max` bytes as UTF-8. Its UTF-16 length settles most cases (a
/// unit is 1 to 3 bytes); otherwise a Blob measures it, outside the module.
fn fits(text: &JsString, max: usize) -> bool {
    let units = text.length() as usize;
    if units > max {
        return false;
    }
    if units.saturating_mul(3) <= max {
        return true;
    }
    Blob::new_with_str_sequence(&Array::of1(text)).is_ok_and(|blob| blob.size() <= max as f64)
}

/// fetch's init: a plain object, as the documented `FetchLike` contract says.
fn request_init(
    method: &str,
    bearer: Option<&str>,
    body: &JsValue,
    signal: &AbortSignal,
) -> Result<Object, TokenError> {
    let headers = Object::new();
    let mut fields = vec![("Content-Type", JsValue::from_str(CONTENT_TYPE))];
    if let Some(token) = bearer {
        fields.push(("Authorization", JsValue::from(format!("Bearer {token}"))));
    }
    set_all(&headers, &fields)?;
    let init = Object::new();
    set_all(
        &init,
        &[
            ("method", JsValue::from_str(method)),
            ("headers", headers.into()),
            ("body", body.clone()),
            // Following a redirect would re-send the secret to wherever it points.
            ("redirect", JsValue::from_str("manual")),
            ("signal", signal.into()),
        ],
    )?;
    Ok(init)
}

/// Sets properties of an object made here.
fn set_all(target: &Object, fields: &[(&str, JsValue)]) -> Result<(), TokenError> {
    for (key, value) in fields {
        Reflect::set(target, &JsValue::from_str(key), value).map_err(|_| TokenError::internal())?;
    }
    Ok(())
}

/// A promise of our own that follows `value`: a throwing `then` or `constructor` getter rejects it
/// instead of throwing here, as `Promise.resolve` would.
pub(crate) fn adopt(value: &JsValue) -> Promise {
    Promise::new(&mut |resolve, _| {
        let _ = resolve.call1(&JsValue::UNDEFINED, value);
    })
}

/// A property of a foreign value, or `undefined` when it has none or reading it throws.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn method(target: &JsValue, key: &str) -> Option<Function> {
    get(target, key).dyn_into::<Function>().ok()
}

/// A string value of at most `max` UTF-16 units, copied in; anything else is `None`.
pub(crate) fn short_text(value: &JsValue, max: u32) -> Option<String> {
    let text = value.dyn_ref::<JsString>()?;
    (text.length() <= max).then(|| String::from(text))
}

/// A response header through the response's own `headers.get`, or `None`.
fn header(response: &JsValue, name: &str) -> Option<String> {
    let headers = get(response, "headers");
    let value = method(&headers, "get")?
        .call1(&headers, &JsValue::from_str(name))
        .ok()?;
    short_text(&value, 64)
}

fn typed_array_byte_length() -> Option<Function> {
    let uint8_prototype = Object::get_prototype_of(&Uint8Array::new_with_length(0));
    let typed_array_prototype = Object::get_prototype_of(&uint8_prototype);
    let descriptor = Object::get_own_property_descriptor(
        &typed_array_prototype,
        &JsValue::from_str("byteLength"),
    );
    Reflect::get(&descriptor, &JsValue::from_str("get"))
        .ok()?
        .dyn_into()
        .ok()
}

/// The real byte length of a typed array chunk; `None` for anything that is not one.
fn byte_length(chunk: &JsValue) -> Option<usize> {
    let length = BYTE_LENGTH.with(|getter| getter.as_ref()?.call0(chunk).ok()?.as_f64())?;
    Some(length as usize)
}

/// Cancels a body stream or reader we stop reading, so its connection is freed; the promise
/// `cancel` returns is awaited in the background so that its rejection is never unhandled.
fn cancel(stream: &JsValue) {
    let Some(cancel) = method(stream, "cancel") else {
        return;
    };
    if let Ok(pending) = cancel.call0(stream) {
        let pending = adopt(&pending);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(pending).await;
        });
    }
}
