//! Single flight: concurrent requests for the same key share one underlying call and its outcome.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Flight<V> {
    outcome: Option<V>,
    waiting: Vec<Waker>,
}

/// Calls in flight by key. Single-threaded, as a wasm instance is; a leader's future must be run to
/// completion (promise-driven futures always are), or its followers wait for ever.
pub struct SingleFlight<K, V> {
    flights: RefCell<HashMap<K, Rc<RefCell<Flight<V>>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: RefCell::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// Runs `call` unless a call for `key` is already in flight, in which case its outcome is
    /// awaited and shared instead.
    pub async fn run<F: Future<Output = V>>(&self, key: K, call: impl FnOnce() -> F) -> V {
        let existing = self.flights.borrow().get(&key).cloned();
        if let Some(flight) = existing {
            return Follow(flight).await;
        }
        let flight = Rc::new(RefCell::new(Flight {
            outcome: None,
            waiting: Vec::new(),
        }));
        self.flights
            .borrow_mut()
            .insert(key.clone(), Rc::clone(&flight));
        let outcome = call().await;
        self.flights.borrow_mut().remove(&key);
        let waiting = {
            let mut flight = flight.borrow_mut();
            flight.outcome = Some(outcome.clone());
            std::mem::take(&mut flight.waiting)
        };
        for waker in waiting {
            waker.wake();
        }
        outcome
    }

    pub fn in_flight(&self) -> usize {
        self.flights.borrow().len()
    }
}

struct Follow<V>(Rc<RefCell<Flight<V>>>);

impl<V: Clone> Future for Follow<V> {
    type Output = V;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<V> {
        let mut flight = self.0.borrow_mut();
        match &flight.outcome {
            Some(outcome) => Poll::Ready(outcome.clone()),
            None => {
                flight.waiting.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
