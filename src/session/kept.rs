//! Bodies kept for the buffer protocol: a result downloaded for a caller whose buffer was too
//! small is kept so that the retry does not ask the server again (results may be fetchable only
//! once). They live within a budget per client: the oldest are released first, a body larger
//! than the whole budget is never kept. A body that was read but could not be handed over (its
//! path list could not be built, a file or stream taking a kept body failed) is kept even over
//! the budget, since the server may not have it any more; it is then the first released when
//! room is needed. See docs/c-contract.md, "Kept bodies".

use crate::session::result::OperationResult;
use crate::session::result::ResultEndpoint;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

/// The default budget: a kept body only serves the size query of the buffer protocol; large
/// results belong to the streaming calls.
pub(crate) const DEFAULT_KEPT_LIMIT: u64 = 32 * 1024 * 1024;
/// What the bookkeeping of one kept body costs, counted against the budget with its data.
const ENTRY_COST: u64 = 256;
/// How many released bodies are remembered, to say so when their operation is fetched again.
const RELEASED_REMEMBERED: usize = 64;

type Key = (ResultEndpoint, String);

pub(crate) struct KeptBodies {
    state: Mutex<State>,
}

struct State {
    limit: u64,
    /// Cost of what is kept now (data plus bookkeeping).
    cost: u64,
    next_age: u64,
    entries: HashMap<Key, (u64, OperationResult)>,
    /// Oldest first.
    by_age: BTreeMap<u64, Key>,
    released: VecDeque<Key>,
    /// The number of the last key made by [`KeptBodies::local_id`].
    next_local: u64,
}

fn cost(key: &Key, r: &OperationResult) -> u64 {
    r.data.len() as u64 + key.1.len() as u64 + ENTRY_COST
}

impl Default for KeptBodies {
    fn default() -> Self {
        KeptBodies {
            state: Mutex::new(State {
                limit: DEFAULT_KEPT_LIMIT,
                cost: 0,
                next_age: 0,
                entries: HashMap::new(),
                by_age: BTreeMap::new(),
                released: VecDeque::new(),
                next_local: 0,
            }),
        }
    }
}

impl State {
    fn remove(&mut self, key: &Key) -> Option<OperationResult> {
        let (age, r) = self.entries.remove(key)?;
        self.by_age.remove(&age);
        self.cost -= cost(key, &r);
        Some(r)
    }

    /// Releases bodies until `room` more fits in the budget: first those kept over the whole
    /// budget, then the oldest.
    fn make_room(&mut self, room: u64) {
        if self.cost + room <= self.limit {
            return;
        }
        let limit = self.limit;
        let over: Vec<Key> =
            self.entries.iter().filter(|(k, (_, r))| cost(k, r) > limit).map(|(k, _)| k.clone()).collect();
        for key in over {
            if self.cost + room <= self.limit {
                return;
            }
            self.release(key);
        }
        while self.cost + room > self.limit {
            let Some((_, key)) = self.by_age.first_key_value() else { break };
            let key = key.clone();
            self.release(key);
        }
    }

    fn release(&mut self, key: Key) {
        self.remove(&key);
        if self.released.len() == RELEASED_REMEMBERED {
            self.released.pop_front();
        }
        self.released.push_back(key);
    }

    fn insert(&mut self, key: Key, result: OperationResult) {
        let age = self.next_age;
        self.next_age += 1;
        self.cost += cost(&key, &result);
        self.released.retain(|k| k != &key);
        self.by_age.insert(age, key.clone());
        self.entries.insert(key, (age, result));
    }
}

impl KeptBodies {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limit(&self) -> u64 {
        self.state().limit
    }

    /// Sets the budget in bytes (0 keeps nothing), releasing the oldest bodies over it.
    pub fn set_limit(&self, limit: u64) {
        let mut st = self.state();
        st.limit = limit;
        st.make_room(0);
    }

    /// Whether a body of `size` bytes could be kept at all.
    pub fn fits(&self, size: u64) -> bool {
        size.saturating_add(ENTRY_COST) <= self.limit()
    }

    /// Keeps a body; false (and the body dropped) when it is larger than the whole budget.
    pub fn keep(&self, endpoint: ResultEndpoint, op_id: &str, result: OperationResult) -> bool {
        let key = (endpoint, op_id.to_string());
        let mut st = self.state();
        st.remove(&key);
        let needed = cost(&key, &result);
        if needed > st.limit {
            return false;
        }
        st.make_room(needed);
        st.insert(key, result);
        true
    }

    /// Keeps a body that would otherwise be lost: within the budget like [`keep`](Self::keep),
    /// or, when larger than the whole budget, over it (no other body is released for it).
    pub fn keep_unlost(&self, endpoint: ResultEndpoint, op_id: &str, result: OperationResult) {
        let key = (endpoint, op_id.to_string());
        let mut st = self.state();
        st.remove(&key);
        let needed = cost(&key, &result);
        if needed <= st.limit {
            st.make_room(needed);
        }
        st.insert(key, result);
    }

    /// A new key under which a body without an operation id of the server's is kept: it has
    /// a space, which no operation id a server issues has.
    pub fn local_id(&self, label: &str) -> String {
        let mut st = self.state();
        st.next_local += 1;
        format!("{label} {}", st.next_local)
    }

    pub fn take(&self, endpoint: ResultEndpoint, op_id: &str) -> Option<OperationResult> {
        self.state().remove(&(endpoint, op_id.to_string()))
    }

    /// Whether a body of this operation was released to stay within the budget (and not kept
    /// again since).
    pub fn was_released(&self, endpoint: ResultEndpoint, op_id: &str) -> bool {
        let key = (endpoint, op_id.to_string());
        self.state().released.contains(&key)
    }

    /// Bytes of result data kept now.
    pub fn data_bytes(&self) -> u64 {
        self.state().entries.values().map(|(_, r)| r.data.len() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::result::{ResultMeta, ResultType};

    fn body(n: usize) -> OperationResult {
        let meta =
            ResultMeta { result_type: ResultType::Unknown, data_set_id: None, content_set_id: None, job_set_id: None };
        OperationResult::new(vec![7; n], meta)
    }

    #[test]
    fn a_body_that_would_be_lost_is_kept_over_the_budget_and_released_first() {
        let kept = KeptBodies::default();
        kept.set_limit(10_000);
        assert!(kept.keep(ResultEndpoint::Result, "old", body(1000)));
        assert!(!kept.keep(ResultEndpoint::Result, "big", body(50_000)), "over the budget: not kept");
        kept.keep_unlost(ResultEndpoint::Result, "big", body(50_000));
        assert_eq!(kept.data_bytes(), 51_000, "kept over the budget, releasing nothing for it");
        // When room is needed, the body over the budget goes first, not the oldest.
        assert!(kept.keep(ResultEndpoint::Result, "new", body(1000)));
        assert!(kept.was_released(ResultEndpoint::Result, "big"));
        assert_eq!(kept.take(ResultEndpoint::Result, "old").map(|r| r.data.len()), Some(1000));
        // Even a limit of 0 does not lose one.
        kept.set_limit(0);
        kept.keep_unlost(ResultEndpoint::Result, "one", body(10));
        assert_eq!(kept.take(ResultEndpoint::Result, "one").map(|r| r.data.len()), Some(10));
        assert_eq!(kept.data_bytes(), 0);
    }

    #[test]
    fn local_ids_are_new_each_time_and_unlike_a_servers() {
        let kept = KeptBodies::default();
        let (a, b) = (kept.local_id("ad-hoc result"), kept.local_id("ad-hoc result"));
        assert_ne!(a, b);
        assert!(
            a.contains(' ')
                && crate::session::url::encode_segment(&a, "id", crate::session::url::Segment::OperationId).is_ok()
        );
    }
}
