//! Single flight: concurrent requests for the same key share one underlying call and its outcome.

use crate::token::cache::Map;
use std::cell::RefCell;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Flight<V> {
    outcome: Option<V>,
    /// The leader was dropped before it finished: its followers must not wait for it.
    abandoned: bool,
    waiting: Vec<Waker>,
}

/// Calls in flight by key. Single-threaded, as a wasm instance is. The entry for a key is removed
/// however its leader ends, so that no later call can wait on a call that will never finish.
pub struct SingleFlight<K, V> {
    flights: RefCell<Map<K, Rc<RefCell<Flight<V>>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: RefCell::new(Map::default()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// Runs `call` unless a call for `key` is already in flight, in which case its outcome is
    /// awaited and shared instead (or, if that call is abandoned, `call` runs after all).
    pub async fn run<F: Future<Output = V>>(&self, key: K, call: impl FnOnce() -> F) -> V {
        loop {
            let existing = self.flights.borrow().get(&key).cloned();
            match existing {
                Some(flight) => {
                    if let Some(outcome) = Follow(flight).await {
                        return outcome;
                    }
                }
                None => break,
            }
        }
        let flight = Rc::new(RefCell::new(Flight {
            outcome: None,
            abandoned: false,
            waiting: Vec::new(),
        }));
        self.flights
            .borrow_mut()
            .insert(key.clone(), Rc::clone(&flight));
        let mut leader = Leader {
            flights: &self.flights,
            key,
            flight,
            finished: false,
        };
        let outcome = call().await;
        leader.finish(outcome.clone());
        outcome
    }

    pub fn in_flight(&self) -> usize {
        self.flights.borrow().len()
    }
}

/// The caller that runs the call for its key; dropping it unfinished abandons the flight.
struct Leader<'a, K: Eq + Hash, V> {
    flights: &'a RefCell<Map<K, Rc<RefCell<Flight<V>>>>>,
    key: K,
    flight: Rc<RefCell<Flight<V>>>,
    finished: bool,
}

impl<K: Eq + Hash, V> Leader<'_, K, V> {
    fn finish(&mut self, outcome: V) {
        self.finished = true;
        self.end(Some(outcome));
    }

    fn end(&mut self, outcome: Option<V>) {
        let mut flights = self.flights.borrow_mut();
        if flights
            .get(&self.key)
            .is_some_and(|current| Rc::ptr_eq(current, &self.flight))
        {
            flights.remove(&self.key);
        }
        drop(flights);
        let waiting = {
            let mut flight = self.flight.borrow_mut();
            flight.abandoned = outcome.is_none();
            flight.outcome = outcome;
            std::mem::take(&mut flight.waiting)
        };
        for waker in waiting {
            waker.wake();
        }
    }
}

impl<K: Eq + Hash, V> Drop for Leader<'_, K, V> {
    fn drop(&mut self) {
        if !self.finished {
            self.end(None);
        }
    }
}

struct Follow<V>(Rc<RefCell<Flight<V>>>);

impl<V: Clone> Future for Follow<V> {
    type Output = Option<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let mut flight = self.0.borrow_mut();
        match &flight.outcome {
            Some(outcome) => Poll::Ready(Some(outcome.clone())),
            None if flight.abandoned => Poll::Ready(None),
            None => {
                flight.waiting.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

// Native only: the local executor these tests use is not built for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;

    #[test]
    fn an_abandoned_leader_leaves_no_entry_and_its_followers_run_the_call() {
        let flights: Rc<SingleFlight<&str, u32>> = Rc::default();
        let mut pool = LocalPool::new();
        let (_never, hold) = oneshot::channel::<()>();
        let mut leader = Box::pin({
            let flights = Rc::clone(&flights);
            async move {
                flights
                    .run("app", || async move {
                        let _ = hold.await;
                        1
                    })
                    .await
            }
        });
        let waker = futures::task::noop_waker();
        assert!(leader
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let got = Rc::new(RefCell::new(Vec::new()));
        for _ in 0..3 {
            let (flights, got) = (Rc::clone(&flights), Rc::clone(&got));
            pool.spawner()
                .spawn_local(async move {
                    let outcome = flights.run("app", || async { 2 }).await;
                    got.borrow_mut().push(outcome);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert!(got.borrow().is_empty(), "followers wait for the leader");
        drop(leader);
        assert_eq!(flights.in_flight(), 0);
        pool.run();
        assert_eq!(*got.borrow(), [2, 2, 2]);
        assert_eq!(flights.in_flight(), 0);
    }
}
