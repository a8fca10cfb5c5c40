//! The log hook: a caller's function that receives one line per exchange and per notable event
//! (retries, re-logins, kept bodies released), never a secret. Off by default; while off, nothing
//! is formatted. See docs/c-contract.md, "Logging".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

macro_rules! log_level_table {
    ($($value:literal $variant:ident $c_name:ident $doc:literal;)*) => {
        /// How much a log line matters. Exported to C as `wf_log_level` (same numbers; the C names
        /// are those of src/session/log_level_table.rs).
        #[repr(i32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum LogLevel {
            $(#[doc = $doc] $variant = $value,)*
        }

        impl LogLevel {
            /// Every level with its C name, in the table's order.
            pub fn all() -> &'static [(LogLevel, &'static str)] {
                &[$((LogLevel::$variant, stringify!($c_name)),)*]
            }
        }
    };
}

include!("log_level_table.rs");

/// Receives each log line; called on the thread of the call that logs.
pub type LogFn = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

#[derive(Default)]
pub(crate) struct Logger {
    on: AtomicBool,
    hook: RwLock<Option<LogFn>>,
}

impl Logger {
    pub fn set(&self, hook: Option<LogFn>) {
        let mut h = self.hook.write().unwrap_or_else(|e| e.into_inner());
        self.on.store(hook.is_some(), Ordering::Release);
        *h = hook;
    }

    /// Whether a hook is set (lines are only made then).
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Acquire)
    }

    /// Logs the line `message` makes, which is only called when a hook is set.
    pub fn log(&self, level: LogLevel, message: impl FnOnce() -> String) {
        if !self.on.load(Ordering::Acquire) {
            return;
        }
        let hook = self.hook.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(hook) = hook {
            hook(level, &message());
        }
    }
}
