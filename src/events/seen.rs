//! Lark retries a delivery it thinks failed, with the same `event_id`: each event starts at most
//! one execution. Two records of the IDs seen: the workflow's static data (kept by n8n across
//! restarts, read and written per request) and this process's memory, which also knows the events
//! still being handled, so that a retry arriving meanwhile is told to come back later. Both keep
//! the newest `MAX_SEEN` IDs.

use std::collections::VecDeque;

/// Lark retries within hours; a trigger that receives more than this many events in that time
/// relies on the process's memory of them too.
pub const MAX_SEEN: usize = 1000;
/// Trigger nodes this process keeps IDs for.
const MAX_SCOPES: usize = 1000;

/// The IDs in the static data, newest last: `true` when `id` is new (and now added).
pub fn remember(list: &mut Vec<String>, id: &str) -> bool {
    if list.iter().any(|seen| seen == id) {
        return false;
    }
    list.push(id.to_owned());
    if list.len() > MAX_SEEN {
        let extra = list.len() - MAX_SEEN;
        list.drain(..extra);
    }
    true
}

/// What this process knows of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    New,
    InFlight,
    Done,
}

#[derive(Default)]
struct Scope {
    key: String,
    done: VecDeque<String>,
    in_flight: Vec<String>,
}

/// This process's memory of events, per trigger node (`scope`: workflow and node).
#[derive(Default)]
pub struct Seen {
    scopes: VecDeque<Scope>,
}

impl Seen {
    pub fn state(&self, scope: &str, id: &str) -> State {
        match self.scopes.iter().find(|s| s.key == scope) {
            Some(s) if s.in_flight.iter().any(|x| x == id) => State::InFlight,
            Some(s) if s.done.iter().any(|x| x == id) => State::Done,
            _ => State::New,
        }
    }

    pub fn start(&mut self, scope: &str, id: &str) {
        if let Some(s) = self.scope(scope) {
            if !s.in_flight.iter().any(|x| x == id) {
                s.in_flight.push(id.to_owned());
            }
        }
    }

    /// The event was handled: a retry of it is a duplicate.
    pub fn finish(&mut self, scope: &str, id: &str) {
        if let Some(s) = self.scope(scope) {
            s.in_flight.retain(|x| x != id);
            if !s.done.iter().any(|x| x == id) {
                s.done.push_back(id.to_owned());
                if s.done.len() > MAX_SEEN {
                    s.done.pop_front();
                }
            }
        }
    }

    /// Handling failed in a way a retry may cure: the retry is handled as new.
    pub fn abandon(&mut self, scope: &str, id: &str) {
        if let Some(s) = self.scope(scope) {
            s.in_flight.retain(|x| x != id);
        }
    }

    /// The events handled, per scope, oldest scope first: for the instance that replaces this one.
    pub fn handled(&self) -> Vec<(String, Vec<String>)> {
        self.scopes
            .iter()
            .map(|s| (s.key.clone(), s.done.iter().cloned().collect()))
            .collect()
    }

    /// Takes over what `handled` gave (within the bounds this memory keeps).
    pub fn restore(&mut self, handled: Vec<(String, Vec<String>)>) {
        for (key, ids) in handled {
            for id in ids {
                self.finish(&key, &id);
            }
        }
    }

    /// The scope's record, made when missing and moved to the back (the most recently used).
    fn scope(&mut self, key: &str) -> Option<&mut Scope> {
        if let Some(at) = self.scopes.iter().position(|s| s.key == key) {
            if let Some(found) = self.scopes.remove(at) {
                self.scopes.push_back(found);
            }
        } else {
            if self.scopes.len() >= MAX_SCOPES {
                self.scopes.pop_front();
            }
            self.scopes.push_back(Scope {
                key: key.to_owned(),
                ..Scope::default()
            });
        }
        self.scopes.back_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_data_keeps_the_newest_ids() {
        let mut list = Vec::new();
        assert!(remember(&mut list, "a"));
        assert!(!remember(&mut list, "a"));
        for n in 0..MAX_SEEN {
            remember(&mut list, &n.to_string());
        }
        assert_eq!(list.len(), MAX_SEEN);
        assert!(!list.contains(&"a".to_owned()));
        assert!(remember(&mut list, "a"));
    }

    #[test]
    fn the_process_remembers_per_node() {
        let mut seen = Seen::default();
        assert_eq!(seen.state("w1", "e1"), State::New);
        seen.start("w1", "e1");
        assert_eq!(seen.state("w1", "e1"), State::InFlight);
        assert_eq!(seen.state("w2", "e1"), State::New);
        seen.abandon("w1", "e1");
        assert_eq!(seen.state("w1", "e1"), State::New);
        seen.start("w1", "e1");
        seen.finish("w1", "e1");
        assert_eq!(seen.state("w1", "e1"), State::Done);
        for n in 0..MAX_SCOPES {
            seen.finish(&format!("s{n}"), "x");
        }
        assert_eq!(
            seen.state("w1", "e1"),
            State::New,
            "the oldest node was forgotten"
        );
    }

    #[test]
    fn what_was_handled_is_carried_to_a_new_memory() {
        let mut seen = Seen::default();
        seen.finish("w1", "e1");
        seen.finish("w2", "e2");
        seen.start("w2", "e3");
        let mut next = Seen::default();
        next.restore(seen.handled());
        assert_eq!(next.state("w1", "e1"), State::Done);
        assert_eq!(next.state("w2", "e2"), State::Done);
        assert_eq!(next.state("w2", "e3"), State::New, "not handled yet");
    }
}
