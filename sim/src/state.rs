//! What every connection of one simulator shares: settings, operations, tokens, faults, the
//! request log, the File Store and counters.

use crate::faults::FaultRule;
use crate::filestore::FileStore;
use crate::requestlog::RequestLog;
use crate::settings::Settings;
use crate::workflow::Operation;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

/// A token issued by the login endpoint: whose it is and when it expires.
pub struct Token {
    pub user: String,
    pub expires: Instant,
}

pub struct Shared {
    pub settings: RwLock<Settings>,
    pub ops: Mutex<HashMap<String, Operation>>,
    pub tokens: Mutex<HashMap<String, Token>>,
    pub faults: Mutex<Vec<FaultRule>>,
    pub log: RequestLog,
    pub store: Mutex<FileStore>,
    pub connections: AtomicU64,
    pub requests: AtomicU64,
    pub stop: AtomicBool,
    pub(crate) next_entity: AtomicI64,
}

impl Shared {
    pub fn new(settings: Settings) -> Shared {
        Shared {
            settings: RwLock::new(settings),
            ops: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            log: RequestLog::default(),
            store: Mutex::new(FileStore::demo()),
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            next_entity: AtomicI64::new(100),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().unwrap().clone()
    }
}
