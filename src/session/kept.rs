//! Bodies kept for the buffer protocol: a result downloaded for a caller whose buffer was too
//! small is kept so that the retry does not ask the server again (results may be fetchable only
//! once). They live within a budget per client: the oldest are released first, a body larger
//! than the whole budget is never kept. See docs/c-contract.md, "Kept bodies".

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

    /// Releases the oldest bodies until `room` more fits in the budget.
    fn make_room(&mut self, room: u64) {
        while self.cost + room > self.limit {
            let Some((_, key)) = self.by_age.pop_first() else { break };
            if let Some((_, r)) = self.entries.remove(&key) {
                self.cost -= cost(&key, &r);
            }
            if self.released.len() == RELEASED_REMEMBERED {
                self.released.pop_front();
            }
            self.released.push_back(key);
        }
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
        let age = st.next_age;
        st.next_age += 1;
        st.cost += needed;
        st.released.retain(|k| k != &key);
        st.by_age.insert(age, key.clone());
        st.entries.insert(key, (age, result));
        true
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
