//! Ctrl-C. The first press stops the running call (the library leaves no partial file); a
//! command that put something on the server then takes it back (`olcwf run`: cancels its job,
//! deletes its upload), each step within a few seconds. A second press, or a press while that
//! clean-up runs, stops the clean-up too: the command exits at once with 130 and says what it
//! left on the server and how to remove it.

use olconnect_wf::AbortHandle;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct CtrlC {
    /// Stops the command's own calls.
    pub work: Arc<AbortHandle>,
    /// Stops the clean-up's calls.
    pub clean_up: Arc<AbortHandle>,
    cleaning: Arc<AtomicBool>,
}

impl CtrlC {
    /// Installs the handler (once per process: a second call would not replace the first).
    pub fn install() -> CtrlC {
        let ctrl_c = CtrlC {
            work: Arc::new(AbortHandle::new()),
            clean_up: Arc::new(AbortHandle::new()),
            cleaning: Arc::new(AtomicBool::new(false)),
        };
        let (work, clean_up, cleaning) = (ctrl_c.work.clone(), ctrl_c.clean_up.clone(), ctrl_c.cleaning.clone());
        // Runs on the handler's own thread, not in the signal handler: only atomic stores here.
        let _ = ctrlc::set_handler(move || {
            if work.is_triggered() || cleaning.load(Ordering::SeqCst) {
                clean_up.trigger();
            }
            work.trigger();
        });
        ctrl_c
    }

    /// From now on a press stops the clean-up (the command's work is over).
    pub fn begin_clean_up(&self) {
        self.cleaning.store(true, Ordering::SeqCst);
    }
}
