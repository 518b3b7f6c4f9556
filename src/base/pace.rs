//! The requests one app makes, paced together once Lark says to slow down. Lark's gateway answers a
//! request over the app's rate with code 99991400 (or HTTP 429) and the headers
//! `x-ogw-ratelimit-limit` (requests allowed in its window) and `x-ogw-ratelimit-reset` (seconds
//! until the window resets). Retrying each refused request on its own backoff, as calls used to,
//! sends most of them into the limit again; here every call of the app waits for the reset, then
//! they start one at a time, at the pace Lark allows, each in the slot it reserved.
//!
//! When Lark states its limit, that is the pace until Lark says otherwise. When a refusal says
//! nothing of it (a proxy's plain 429), the pace is a guess from the requests that went through
//! since the last refusal, at least twice as slow as the pace it replaces, and it speeds up by a
//! tenth with every request that goes through: a guess made from one stray refusal does not hold
//! the app back for long.
//!
//! A lane is one app's reads, or its writes to one base (Lark's write limits are the tighter ones);
//! the lanes are this instance's, so a process paces its own calls only.

use crate::token::cache::Map;
use std::cell::RefCell;

/// The longest pause Lark's reset is taken at: its windows are a second or a minute.
pub const MAX_PAUSE_MS: f64 = 60_000.0;
/// A reset of 0 (the window just turned) still waits this long, so that a server that always says
/// 0 is not asked again at once.
const MIN_PAUSE_MS: f64 = 100.0;
/// When Lark says nothing of its reset: a backoff from this, doubling per refusal in a row.
const BACKOFF_MS: f64 = 250.0;
const MAX_BACKOFF_MS: f64 = 10_000.0;
/// A lane Lark has not slowed for this long goes back to full speed.
const FORGET_AFTER_MS: f64 = 10.0 * 60_000.0;
/// Lanes kept; when a new one needs room, one that holds no pace or wait goes first, else the one
/// touched longest ago.
const MAX_LANES: usize = 1000;
/// A guessed interval after a request went through: a tenth faster.
const GUESS_RECOVERY: f64 = 0.9;
/// A guessed interval below this is no pace at all.
const MIN_INTERVAL_MS: f64 = 1.0;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Lane {
    /// No request starts before this: Lark's reset, or a backoff.
    pub resume_at: f64,
    /// Between two requests' starts, once Lark said how many its window allows, or a guess; 0
    /// before.
    pub interval_ms: f64,
    /// `interval_ms` is from the limit Lark stated, not a guess.
    pub stated: bool,
    /// When the next request may start.
    pub next_at: f64,
    /// Refusals in a row, for the backoff when Lark does not say when to resume.
    pub strikes: u32,
    /// Requests that went through since the last refusal: how many the window allows, when a
    /// gateway does not say (a proxy's plain 429).
    pub passed: u32,
    pub slowed_at: f64,
    pub touched: f64,
}

impl Lane {
    fn forgotten(&self, now: f64) -> bool {
        self.interval_ms > 0.0 && now - self.slowed_at > FORGET_AFTER_MS
    }

    /// Holds nothing that changes when a request starts: no pace, no wait, no refusals in a row.
    fn idle(&self, now: f64) -> bool {
        self.forgotten(now)
            || (self.interval_ms == 0.0 && self.resume_at <= now && self.strikes == 0)
    }
}

/// Lanes by key (a hash of the app and the lane's kind).
#[derive(Default)]
pub struct Pacer {
    lanes: RefCell<Map<u64, Lane>>,
}

impl Pacer {
    /// When a request on `lane` could start, without reserving that moment: a call that could
    /// not wait so long leaves the slot to the calls behind it.
    pub fn next(&self, lane: u64, now: f64) -> f64 {
        self.lanes
            .borrow()
            .get(&lane)
            .filter(|l| !l.forgotten(now))
            .map_or(now, |l| now.max(l.resume_at).max(l.next_at))
    }

    /// When a request on `lane` may start, reserving that moment for it: at once on a lane Lark
    /// never slowed, else after Lark's reset and one interval after the request reserved before.
    pub fn reserve(&self, lane: u64, now: f64) -> f64 {
        self.with_lane(lane, now, |l| {
            if l.forgotten(now) {
                *l = Lane {
                    touched: now,
                    ..Lane::default()
                };
            }
            let at = now.max(l.resume_at).max(l.next_at);
            l.next_at = at + l.interval_ms;
            at
        })
    }

    /// Whether a request that waited for its slot may start: not when Lark slowed the lane again
    /// while it waited (it reserves a new slot then).
    pub fn open(&self, lane: u64, now: f64) -> bool {
        self.lanes
            .borrow()
            .get(&lane)
            .is_none_or(|l| l.resume_at <= now)
    }

    /// Lark refused a request on `lane` for its rate: nothing more starts on it before `reset_ms`
    /// from now (a backoff when Lark did not say), then requests go `window / limit` apart.
    /// `random` in [0, 1) spreads the backoff.
    pub fn slow_down(
        &self,
        lane: u64,
        now: f64,
        reset_ms: Option<f64>,
        limit: Option<f64>,
        random: f64,
    ) {
        self.with_lane(lane, now, |l| {
            l.strikes = l.strikes.saturating_add(1);
            l.slowed_at = now;
            let pause = match reset_ms {
                Some(reset) => reset.clamp(MIN_PAUSE_MS, MAX_PAUSE_MS),
                None => {
                    let exponent = l.strikes.saturating_sub(1).min(16);
                    let ceiling = (BACKOFF_MS * f64::from(1u32 << exponent)).min(MAX_BACKOFF_MS);
                    ceiling * (0.5 + random.clamp(0.0, 1.0) / 2.0)
                }
            };
            l.resume_at = l.resume_at.max(now + pause);
            let passed = std::mem::take(&mut l.passed);
            if let Some(limit) = limit.filter(|n| *n >= 1.0) {
                // Lark's window is at least a second; a longer reset shows a longer window.
                let window = reset_ms.unwrap_or(0.0).clamp(1000.0, MAX_PAUSE_MS);
                l.interval_ms = window / limit;
                l.stated = true;
            } else if passed > 0 {
                // A guess is per second, whatever the refusal said of its wait (a proxy's
                // Retry-After of 10 s made it one request in 10 s). It replaces what Lark stated,
                // and speeds up from there as a guess does.
                let guess = 1000.0 / f64::from(passed);
                let doubled = if l.stated { 0.0 } else { l.interval_ms * 2.0 };
                l.interval_ms = guess.max(doubled).max(l.interval_ms);
                l.stated = false;
            }
            l.next_at = l.next_at.max(l.resume_at);
        });
    }

    /// A request on `lane` went through: the backoff starts again from the bottom, and a guessed
    /// pace speeds up.
    pub fn went_through(&self, lane: u64) {
        if let Some(l) = self.lanes.borrow_mut().get_mut(&lane) {
            l.strikes = 0;
            l.passed = l.passed.saturating_add(1);
            if !l.stated {
                l.interval_ms *= GUESS_RECOVERY;
                if l.interval_ms < MIN_INTERVAL_MS {
                    l.interval_ms = 0.0;
                }
            }
        }
    }

    pub fn lanes(&self) -> Vec<(u64, Lane)> {
        self.lanes.borrow().iter().map(|(k, l)| (*k, *l)).collect()
    }

    /// Takes over lanes from an instance that is being replaced.
    pub fn restore(&self, lanes: impl IntoIterator<Item = (u64, Lane)>) {
        let mut map = self.lanes.borrow_mut();
        for (key, lane) in lanes.into_iter().take(MAX_LANES) {
            map.insert(key, lane);
        }
    }

    fn with_lane<R>(&self, lane: u64, now: f64, change: impl FnOnce(&mut Lane) -> R) -> R {
        let mut lanes = self.lanes.borrow_mut();
        if !lanes.contains_key(&lane) && lanes.len() >= MAX_LANES {
            let oldest = lanes
                .iter()
                .min_by(|a, b| {
                    (!a.1.idle(now), a.1.touched)
                        .partial_cmp(&(!b.1.idle(now), b.1.touched))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                lanes.remove(&oldest);
            }
        }
        let entry = lanes.entry(lane).or_default();
        entry.touched = now;
        change(entry)
    }
}

/// Lark's `x-ogw-ratelimit-reset` (seconds, maybe with a fraction) in milliseconds.
pub fn parse_reset(value: &str) -> Option<f64> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && (0.0..=3600.0).contains(&seconds)).then_some(seconds * 1000.0)
}

/// Lark's `x-ogw-ratelimit-limit`: requests allowed in the window.
pub fn parse_limit(value: &str) -> Option<f64> {
    let limit: u32 = value.trim().parse().ok()?;
    (limit >= 1).then_some(f64::from(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unslowed_lane_goes_at_once() {
        let pacer = Pacer::default();
        for now in [0.0, 1.0, 1.0, 2.0] {
            assert_eq!(pacer.reserve(7, now), now);
        }
    }

    #[test]
    fn after_a_refusal_everyone_waits_for_the_reset_then_goes_at_the_allowed_pace() {
        let pacer = Pacer::default();
        pacer.slow_down(1, 1000.0, Some(800.0), Some(5.0), 0.5);
        let slots: Vec<f64> = (0..4).map(|_| pacer.reserve(1, 1000.0)).collect();
        assert_eq!(slots, [1800.0, 2000.0, 2200.0, 2400.0]);
        assert!(!pacer.open(1, 1799.0));
        assert!(pacer.open(1, 1800.0));
        // Another lane is not slowed.
        assert_eq!(pacer.reserve(2, 1000.0), 1000.0);
    }

    #[test]
    fn looking_reserves_nothing() {
        let pacer = Pacer::default();
        pacer.slow_down(1, 0.0, Some(1000.0), Some(10.0), 0.5);
        for _ in 0..300 {
            assert_eq!(pacer.next(1, 0.0), 1000.0);
        }
        assert_eq!(pacer.reserve(1, 0.0), 1000.0);
        assert_eq!(pacer.next(1, 0.0), 1100.0);
        assert_eq!(pacer.next(2, 5.0), 5.0);
    }

    #[test]
    fn a_refusal_while_waiting_closes_the_lane_again() {
        let pacer = Pacer::default();
        pacer.slow_down(1, 0.0, Some(1000.0), Some(10.0), 0.5);
        let slot = pacer.reserve(1, 0.0);
        pacer.slow_down(1, 500.0, Some(2000.0), None, 0.5);
        assert!(!pacer.open(1, slot));
        assert_eq!(pacer.reserve(1, slot), 2500.0);
    }

    #[test]
    fn without_a_limit_the_requests_that_went_through_tell_the_pace() {
        let pacer = Pacer::default();
        pacer.slow_down(1, 0.0, None, None, 0.5);
        for _ in 0..5 {
            pacer.went_through(1);
        }
        // A plain 429 that asks for a second: five went through in the window before it.
        pacer.slow_down(1, 10_000.0, Some(1000.0), None, 0.5);
        let slots: Vec<f64> = (0..3).map(|_| pacer.reserve(1, 10_000.0)).collect();
        assert_eq!(slots, [11_000.0, 11_200.0, 11_400.0]);
    }

    #[test]
    fn a_guess_is_per_second_whatever_the_refusal_asked_to_wait() {
        let pacer = Pacer::default();
        pacer.slow_down(1, 0.0, None, None, 0.5);
        pacer.went_through(1);
        // A proxy's Retry-After of 10 s: that long for the next request, then one a second.
        pacer.slow_down(1, 1000.0, Some(10_000.0), None, 0.5);
        let slots: Vec<f64> = (0..3).map(|_| pacer.reserve(1, 1000.0)).collect();
        assert_eq!(slots, [11_000.0, 12_000.0, 13_000.0]);
    }

    #[test]
    fn a_guess_after_a_stated_limit_speeds_up_again() {
        let pacer = Pacer::default();
        pacer.slow_down(1, 0.0, Some(1000.0), Some(50.0), 0.5);
        pacer.went_through(1);
        pacer.slow_down(1, 2000.0, None, None, 0.5);
        let lane = |p: &Pacer| p.lanes()[0].1;
        assert_eq!(
            (lane(&pacer).interval_ms, lane(&pacer).stated),
            (1000.0, false)
        );
        for _ in 0..10 {
            pacer.went_through(1);
        }
        assert!(lane(&pacer).interval_ms < 400.0, "{:?}", lane(&pacer));
    }

    #[test]
    fn without_a_reset_the_backoff_doubles_and_resets_when_a_request_goes_through() {
        let pacer = Pacer::default();
        let pause = |p: &Pacer, now: f64| {
            p.slow_down(1, now, None, None, 1.0);
            p.reserve(1, now) - now
        };
        assert_eq!(pause(&pacer, 0.0), 250.0);
        assert_eq!(pause(&pacer, 10_000.0), 500.0);
        assert_eq!(pause(&pacer, 20_000.0), 1000.0);
        pacer.went_through(1);
        assert_eq!(pause(&pacer, 30_000.0), 250.0);
        for n in 0..40 {
            pacer.slow_down(1, 40_000.0 + f64::from(n), None, None, 1.0);
        }
        assert!(pacer.reserve(1, 40_040.0) - 40_040.0 <= MAX_BACKOFF_MS);
    }

    #[test]
    fn resets_are_bounded_and_a_quiet_lane_is_forgotten() {
        let pacer = Pacer::default();
        pacer.slow_down(1, 0.0, Some(0.0), Some(2.0), 0.5);
        assert_eq!(pacer.reserve(1, 0.0), MIN_PAUSE_MS);
        pacer.slow_down(1, 0.0, Some(1e9), None, 0.5);
        assert_eq!(pacer.reserve(1, 0.0), MAX_PAUSE_MS);
        let later = MAX_PAUSE_MS + FORGET_AFTER_MS + 1.0;
        assert_eq!(pacer.reserve(1, later), later);
        assert_eq!(pacer.reserve(1, later), later);
    }

    #[test]
    fn headers_are_read_or_ignored() {
        assert_eq!(parse_reset(" 2 "), Some(2000.0));
        assert_eq!(parse_reset("0.25"), Some(250.0));
        for bad in ["-1", "NaN", "inf", "1e9", "soon", ""] {
            assert_eq!(parse_reset(bad), None, "{bad}");
        }
        assert_eq!(parse_limit("50"), Some(50.0));
        for bad in ["0", "-5", "2.5", "many"] {
            assert_eq!(parse_limit(bad), None, "{bad}");
        }
    }

    #[test]
    fn lanes_are_capped() {
        let pacer = Pacer::default();
        for key in 0..(MAX_LANES as u64 + 10) {
            pacer.slow_down(key, key as f64, Some(1000.0), Some(1.0), 0.5);
        }
        assert_eq!(pacer.lanes().len(), MAX_LANES);
        assert!(pacer.open(0, 1.0), "the oldest lane went first");
    }
}
