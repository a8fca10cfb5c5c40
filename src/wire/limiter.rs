//! A per-client cap on requests in flight (the official Node client's "max concurrent
//! requests"): callers beyond it wait for a slot, within their own deadline and abort, and a
//! call keeps its slot until its body is read, so a running download is never starved. A call
//! made from a callback of a call that holds a slot (same client, same thread) shares that slot:
//! it could never get one of its own while its caller waits for it to return.

use crate::wire::interrupt::{self, Interrupt, TICK};
use std::sync::{Condvar, Mutex};

#[derive(Default)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Default)]
struct State {
    /// 0: no cap.
    max: usize,
    used: usize,
}

/// A slot, given back when dropped (unless it is shared with the call that holds it).
pub(crate) struct Slot<'a> {
    limiter: &'a Limiter,
    shared: bool,
}

impl Limiter {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_max(&self, max: usize) {
        self.state().max = max;
        self.freed.notify_all();
    }

    /// The limiter's identity in the calls' frames (src/wire/interrupt.rs).
    fn id(&self) -> usize {
        self as *const Limiter as usize
    }

    /// Waits for a slot, checking the call's controls at least every tick. A call made from a
    /// callback of one holding a slot of this limiter on this thread shares it.
    pub fn acquire(&self) -> Result<Slot<'_>, Interrupt> {
        if interrupt::holds_slot(self.id()) {
            return Ok(Slot { limiter: self, shared: true });
        }
        let mut st = self.state();
        loop {
            if st.max == 0 || st.used < st.max {
                st.used += 1;
                drop(st);
                interrupt::note_slot(self.id());
                return Ok(Slot { limiter: self, shared: false });
            }
            drop(st);
            interrupt::poll()?;
            st = self.state();
            if st.max != 0 && st.used >= st.max {
                let step = interrupt::time_left(TICK).max(std::time::Duration::from_millis(1));
                st = self.freed.wait_timeout(st, step).unwrap_or_else(|e| e.into_inner()).0;
            }
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if self.shared {
            return;
        }
        interrupt::forget_slot(self.limiter.id());
        let mut st = self.limiter.state();
        st.used -= 1;
        drop(st);
        self.limiter.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn a_full_limiter_makes_callers_wait_within_their_deadline() {
        let limiter = Limiter::default();
        limiter.set_max(1);
        let held = limiter.acquire().unwrap();
        let controls = interrupt::CallControls { timeout: Some(Duration::from_millis(200)), ..Default::default() };
        let _scope = interrupt::enter(&controls, crate::error::Language::C);
        let start = Instant::now();
        assert!(matches!(limiter.acquire(), Err(Interrupt::Deadline(_))));
        assert!(start.elapsed() < Duration::from_millis(500));
        drop(held);
    }

    #[test]
    fn a_call_made_from_the_holder_shares_its_slot() {
        let limiter = Limiter::default();
        limiter.set_max(1);
        let _outer = interrupt::enter(&interrupt::CallControls::default(), crate::error::Language::C);
        let held = limiter.acquire().unwrap();
        {
            let controls = interrupt::CallControls { timeout: Some(Duration::from_millis(300)), ..Default::default() };
            let _nested = interrupt::enter(&controls, crate::error::Language::C);
            let shared = limiter.acquire().expect("the nested call shares the slot");
            drop(shared);
        }
        assert_eq!(limiter.state().used, 1, "the shared slot was not given back twice");
        drop(held);
        assert_eq!(limiter.state().used, 0);
        // Another thread's call does not share it.
        let held = limiter.acquire().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                let controls =
                    interrupt::CallControls { timeout: Some(Duration::from_millis(150)), ..Default::default() };
                let _scope = interrupt::enter(&controls, crate::error::Language::C);
                assert!(matches!(limiter.acquire(), Err(Interrupt::Deadline(_))));
            });
        });
        drop(held);
    }

    #[test]
    fn a_freed_slot_goes_to_a_waiter() {
        let limiter = Arc::new(Limiter::default());
        limiter.set_max(1);
        let held = limiter.acquire().unwrap();
        let waiter = {
            let l = limiter.clone();
            std::thread::spawn(move || l.acquire().map(|_| ()).is_ok())
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        assert!(waiter.join().unwrap());
    }
}
