//! What the user sees while a call runs: progress bars on a terminal (on standard error), plain
//! lines when standard error is not a terminal (no control characters), nothing with --quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bars,
    Lines,
    Quiet,
}

impl Mode {
    pub fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        }
    }
}

/// The percentage of a running job.
pub struct JobProgress {
    mode: Mode,
    bar: Option<ProgressBar>,
}

impl JobProgress {
    pub fn new(mode: Mode, op: &str) -> JobProgress {
        let bar = (mode == Mode::Bars).then(|| {
            let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template("{msg} [{bar:40}] {pos:>3}%").expect("valid template"));
            bar.set_message(format!("job {op}"));
            bar
        });
        JobProgress { mode, bar }
    }

    pub fn report(&self, percent: i32) {
        match (&self.bar, self.mode) {
            (Some(bar), _) => bar.set_position(percent.clamp(0, 100) as u64),
            (None, Mode::Lines) => eprintln!("progress {percent}%"),
            _ => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// How many of several operations waited for have ended: a bar on a terminal, nothing
/// otherwise (each ending is a line of the command's output already).
pub struct CountProgress {
    bar: Option<ProgressBar>,
}

impl CountProgress {
    pub fn new(mode: Mode, total: usize) -> CountProgress {
        let bar = (mode == Mode::Bars).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}").expect("valid template"));
            bar.set_message("operations ended");
            bar
        });
        CountProgress { bar }
    }

    pub fn ended(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Prints a line on standard output, the bar (if any) out of the way meanwhile.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// The bytes of a running download.
pub struct ByteProgress {
    mode: Mode,
    bar: Option<ProgressBar>,
    /// Last tenth of the total reported as a line (lines mode).
    last_line: Mutex<u64>,
}

impl ByteProgress {
    pub fn new(mode: Mode, what: &str) -> ByteProgress {
        let bar = (mode == Mode::Bars).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}")
                    .expect("valid template"),
            );
            bar.set_message(what.to_string());
            bar
        });
        ByteProgress { mode, bar, last_line: Mutex::new(0) }
    }

    pub fn report(&self, received: u64, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(received);
            return;
        }
        if self.mode == Mode::Lines {
            // One line per tenth of the download (or per 10 MiB when the total is unknown).
            let step = total.map_or(10 << 20, |t| (t / 10).max(1));
            let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
            if received / step > *last || Some(received) == total {
                *last = received / step;
                match total {
                    Some(t) => eprintln!("downloaded {received} of {t} bytes"),
                    None => eprintln!("downloaded {received} bytes"),
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
