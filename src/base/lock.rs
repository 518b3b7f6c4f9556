//! One writer per table at a time. Lark refuses a write to a table while another is under way
//! (code 1254291), so the writes this instance makes to one table wait for each other instead of
//! colliding: concurrent executions, or an AI agent calling the node as a tool several times at once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Slot {
    held: bool,
    waiting: Vec<Waker>,
    /// Acquires waiting for the table, dropped or not yet woken: the slot goes when the table is
    /// free and none is left.
    waiters: usize,
}

/// Locks by table key. Single-threaded, as a wasm instance is.
#[derive(Default)]
pub struct TableLocks {
    slots: Rc<RefCell<HashMap<String, Slot>>>,
}

impl TableLocks {
    /// Waits until no other holder of `key` is left, then holds it until the guard is dropped.
    pub fn acquire(&self, key: String) -> impl Future<Output = TableGuard> {
        Acquire {
            slots: Rc::clone(&self.slots),
            key: Some(key),
            waiting: false,
        }
    }

    /// Tables with a holder or waiters: for tests that check nothing is left behind.
    pub fn busy(&self) -> usize {
        self.slots.borrow().len()
    }
}

struct Acquire {
    slots: Rc<RefCell<HashMap<String, Slot>>>,
    key: Option<String>,
    /// Counted among the slot's waiters.
    waiting: bool,
}

impl Future for Acquire {
    type Output = TableGuard;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<TableGuard> {
        let Some(key) = self.key.clone() else {
            // Polled again after it was ready: a caller's bug; it gets no second guard.
            return Poll::Pending;
        };
        let mut slots = self.slots.borrow_mut();
        let slot = slots.entry(key.clone()).or_default();
        if slot.held {
            slot.waiting.push(cx.waker().clone());
            if !self.waiting {
                slot.waiters += 1;
            }
            drop(slots);
            self.waiting = true;
            return Poll::Pending;
        }
        slot.held = true;
        if self.waiting {
            slot.waiters = slot.waiters.saturating_sub(1);
        }
        drop(slots);
        self.key = None;
        Poll::Ready(TableGuard {
            slots: Rc::clone(&self.slots),
            key,
        })
    }
}

/// A waiter that gives up (its call ended first) leaves no trace behind.
impl Drop for Acquire {
    fn drop(&mut self) {
        let (Some(key), true) = (&self.key, self.waiting) else {
            return;
        };
        let mut slots = self.slots.borrow_mut();
        if let Some(slot) = slots.get_mut(key) {
            slot.waiters = slot.waiters.saturating_sub(1);
            if !slot.held && slot.waiters == 0 {
                slots.remove(key);
            }
        }
    }
}

/// Releases the table when dropped, on every path out of a write.
pub struct TableGuard {
    slots: Rc<RefCell<HashMap<String, Slot>>>,
    key: String,
}

impl Drop for TableGuard {
    fn drop(&mut self) {
        let waiting = {
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(&self.key) else {
                return;
            };
            slot.held = false;
            let waiting = std::mem::take(&mut slot.waiting);
            if slot.waiters == 0 {
                slots.remove(&self.key);
            }
            waiting
        };
        // All are woken, in the order they came: the first to run takes the table, the others
        // wait again. A waiter that was dropped meanwhile cannot stall the ones behind it.
        for waker in waiting {
            waker.wake();
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;

    #[test]
    fn writers_to_one_table_take_turns_and_other_tables_do_not_wait() {
        let locks = Rc::new(TableLocks::default());
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut pool = LocalPool::new();
        let mut gates = Vec::new();
        for (n, table) in ["t1", "t1", "t2", "t1"].into_iter().enumerate() {
            let (open, gate) = oneshot::channel::<()>();
            gates.push(open);
            let (locks, log) = (Rc::clone(&locks), Rc::clone(&log));
            pool.spawner()
                .spawn_local(async move {
                    let _guard = locks.acquire(table.to_owned()).await;
                    log.borrow_mut().push(format!("start {n}"));
                    let _ = gate.await;
                    log.borrow_mut().push(format!("end {n}"));
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert_eq!(*log.borrow(), ["start 0", "start 2"]);
        let mut gates = gates.into_iter();
        let first = gates.next().unwrap();
        let rest: Vec<_> = gates.collect();
        first.send(()).unwrap();
        pool.run_until_stalled();
        assert_eq!(log.borrow()[2..], ["end 0", "start 1"]);
        for gate in rest {
            gate.send(()).unwrap();
            pool.run_until_stalled();
        }
        assert_eq!(
            log.borrow().last().map(String::as_str),
            Some("end 3"),
            "{:?}",
            log.borrow()
        );
        assert_eq!(locks.busy(), 0, "nothing is left held");
    }

    #[test]
    fn a_waiter_that_gives_up_does_not_block_the_others() {
        let locks = TableLocks::default();
        let mut pool = LocalPool::new();
        let held = pool.run_until(locks.acquire("t".into()));
        let mut abandoned = Box::pin(locks.acquire("t".into()));
        let waker = futures::task::noop_waker();
        assert!(abandoned
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        drop(abandoned);
        drop(held);
        let again = pool.run_until(locks.acquire("t".into()));
        drop(again);
        assert_eq!(locks.busy(), 0);
    }
}
