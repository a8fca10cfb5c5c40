//! A per-client cap on requests in flight (the official Node client's "max concurrent
//! requests"): callers beyond it wait for a slot, within their own deadline and abort, and a
//! call keeps its slot until its body is read, so a running download is never starved.

use crate::interrupt::{self, Interrupt, TICK};
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

/// A slot, given back when dropped.
pub(crate) struct Slot<'a> {
    limiter: &'a Limiter,
}

impl Limiter {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_max(&self, max: usize) {
        self.state().max = max;
        self.freed.notify_all();
    }

    /// Waits for a slot, checking the call's controls at least every tick.
    pub fn acquire(&self) -> Result<Slot<'_>, Interrupt> {
        let mut st = self.state();
        loop {
            if st.max == 0 || st.used < st.max {
                st.used += 1;
                return Ok(Slot { limiter: self });
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
        let _scope = interrupt::enter(&controls);
        let start = Instant::now();
        assert!(matches!(limiter.acquire(), Err(Interrupt::Deadline(_))));
        assert!(start.elapsed() < Duration::from_millis(500));
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
