//! Repeating a request after a transient failure (docs/architecture.md, "Retries"): which
//! requests are safe to repeat and after which failures (one table, by request kind), the
//! client's setting (attempts, longest pause), the pauses between attempts (exponential back-off
//! with jitter, the server's `Retry-After` honoured) and the count of retries made. The request
//! path (`request`) asks [`Retries::next`] after each failed attempt and sleeps in the call's
//! frame, so the call's deadline and abort switch bound the pauses.

use crate::wire::{interrupt, transport};
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Attempts of a request by default, the first included.
pub(crate) const DEFAULT_ATTEMPTS: u32 = 4;
/// The longest pause between two attempts by default.
pub(crate) const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long a wait goes on while the server cannot be asked about its operations, by default.
pub(crate) const DEFAULT_OUTAGE_LIMIT: Duration = Duration::from_secs(600);
/// The pause before the first retry; each further one doubles it, up to the longest pause.
const FIRST_PAUSE: Duration = Duration::from_millis(250);

/// What a request is, for deciding whether it may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Login,
    Version,
    Progress,
    Operations,
    /// `HEAD` of a File Store entry.
    Exists,
    /// `GET` of a File Store entry.
    Download,
    /// `HEAD /authentication` before a body that cannot be sent twice.
    SessionCheck,
    /// `getResult`, `getResultTxt`, `getManagedResult`.
    Result,
    Cancel,
    /// `/filestore/delete/{id}`.
    Delete,
    Submit,
    /// A File Store upload.
    Upload,
    /// The ad-hoc All-In-One call, whose body is the data file.
    Adhoc,
    /// A request no row below names: never repeated.
    Unlisted,
}

/// When a kind of request is sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// A read, with no effect on the server: after any transient failure.
    Read,
    /// Only when it cannot have reached the server: the connection could not be made.
    Unsent,
    /// Never.
    Never,
}

impl Kind {
    /// The table: whether each kind of request is sent again, and after what.
    pub(crate) const fn repeat(self) -> Repeat {
        match self {
            // A login creates a session and nothing else; a 401 is no transient failure.
            Kind::Login => Repeat::Read,
            Kind::Version | Kind::Progress | Kind::Operations => Repeat::Read,
            Kind::Exists | Kind::Download | Kind::SessionCheck => Repeat::Read,
            // A result may be handed out once only; a second cancel or delete of the same
            // thing may be answered 404 or `false` although the first one worked.
            Kind::Result | Kind::Cancel | Kind::Delete => Repeat::Unsent,
            // A second submit or upload would run a second job or store a second file; a body
            // from a reader cannot be sent twice.
            Kind::Submit | Kind::Upload | Kind::Adhoc | Kind::Unlisted => Repeat::Never,
        }
    }
}

/// A failure after which a request may be worth sending again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No connection could be made (refused, unreachable, connect timeout): nothing was sent.
    NotConnected,
    /// The connection was reset or closed before any answer: the server may have read the request.
    Lost,
    /// The server or a gateway answered 502, 503 or 504, perhaps with `Retry-After`.
    Unavailable { status: u16, retry_after: Option<Duration> },
}

impl Failure {
    /// A transport failure before any response, if it is a transient one.
    pub(crate) fn of_transport(e: &ureq::Error) -> Option<Failure> {
        use io::ErrorKind as K;
        use ureq::Error as E;
        match e {
            E::ConnectionFailed | E::Timeout(ureq::Timeout::Connect) => Some(Failure::NotConnected),
            // A call stopped by its controls is not a failure to retry.
            E::Io(io) if interrupt::Interrupt::from_io(io).is_some() => None,
            // Made by our connector, which marks its errors: nothing was sent.
            E::Io(io) if transport::is_connect_failure(io) => Some(Failure::NotConnected),
            E::Io(io) => match io.kind() {
                // The same kinds on a connection in use (or from a proxy's own connector): the
                // request may have been read, as when the connection was reset.
                K::ConnectionRefused | K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
                    Some(Failure::Lost)
                }
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof | K::NotConnected => {
                    Some(Failure::Lost)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// An HTTP answer, if it is a transient failure (502, 503, 504); `retry_after` is the value
    /// of its `Retry-After` header.
    pub(crate) fn of_status(status: u16, retry_after: Option<&str>) -> Option<Failure> {
        matches!(status, 502..=504)
            .then(|| Failure::Unavailable { status, retry_after: retry_after.and_then(parse_retry_after) })
    }

    /// Why the attempt failed, for the log line.
    pub(crate) fn reason(&self) -> String {
        match self {
            Failure::NotConnected => "the connection could not be made".into(),
            Failure::Lost => "the connection was lost before an answer".into(),
            Failure::Unavailable { status, retry_after: None } => format!("HTTP {status}"),
            Failure::Unavailable { status, retry_after: Some(d) } => {
                format!("HTTP {status}, the server asking to wait {} ms", d.as_millis())
            }
        }
    }
}

impl Repeat {
    fn allows(self, failure: Failure) -> bool {
        match self {
            Repeat::Read => true,
            Repeat::Unsent => failure == Failure::NotConnected,
            Repeat::Never => false,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send again after this pause.
    Retry(Duration),
    /// Report the failure, with this note when there is something to say about the attempts.
    GiveUp(Option<String>),
}

/// The client's retry setting and the count of retries made.
pub(crate) struct Retries {
    attempts: AtomicU32,
    max_backoff_ms: AtomicU64,
    /// 0: waits go on through any outage.
    outage_limit_ms: AtomicU64,
    made: AtomicU64,
}

impl Default for Retries {
    fn default() -> Self {
        Retries {
            attempts: AtomicU32::new(DEFAULT_ATTEMPTS),
            max_backoff_ms: AtomicU64::new(DEFAULT_MAX_BACKOFF.as_millis() as u64),
            outage_limit_ms: AtomicU64::new(DEFAULT_OUTAGE_LIMIT.as_millis() as u64),
            made: AtomicU64::new(0),
        }
    }
}

impl Retries {
    /// `max_attempts` counts the first (0 is taken as 1: no retry).
    pub(crate) fn set(&self, max_attempts: u32, max_backoff: Duration) {
        self.attempts.store(max_attempts.max(1), Ordering::Relaxed);
        self.max_backoff_ms.store(u64::try_from(max_backoff.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// How long a wait goes on while the server cannot be asked about its operations (`None`:
    /// through any outage, until the wait's own deadline or abort).
    pub(crate) fn set_outage_limit(&self, limit: Option<Duration>) {
        let ms = limit.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1));
        self.outage_limit_ms.store(ms, Ordering::Relaxed);
    }

    pub(crate) fn outage_limit(&self) -> Option<Duration> {
        let ms = self.outage_limit_ms.load(Ordering::Relaxed);
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// The longest pause between two attempts.
    pub(crate) fn max_backoff(&self) -> Duration {
        Duration::from_millis(self.max_backoff_ms.load(Ordering::Relaxed))
    }

    /// Attempts of a request, the first included.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// Retries made since the client was created.
    pub(crate) fn made(&self) -> u64 {
        self.made.load(Ordering::Relaxed)
    }

    /// Counts one retry (when the request is sent again).
    pub(crate) fn count(&self) {
        self.made.fetch_add(1, Ordering::Relaxed);
    }

    /// After attempt number `made` (1 for the first) of a request of `kind` failed, with
    /// `failure` when it was a transient one: retry after a pause, or give up.
    pub(crate) fn next(&self, kind: Kind, failure: Option<Failure>, made: u32) -> Next {
        let Some(failure) = failure else { return Next::GiveUp(None) };
        if !kind.repeat().allows(failure) {
            // Only a request that may have reached the server needs saying why it was not repeated.
            return Next::GiveUp(
                (failure == Failure::Lost)
                    .then(|| "not sent again: the server may have received it and acted on it".to_string()),
            );
        }
        let attempts = self.attempts.load(Ordering::Relaxed);
        let tried = || (made > 1).then(|| format!("{made} attempts made"));
        if made >= attempts {
            return Next::GiveUp(tried());
        }
        let longest = Duration::from_millis(self.max_backoff_ms.load(Ordering::Relaxed));
        let backoff = FIRST_PAUSE.saturating_mul(1u32 << (made - 1).min(16)).min(longest);
        let mut pause = backoff / 2 + jitter(backoff / 2);
        if let Failure::Unavailable { retry_after: Some(asked), .. } = failure {
            if asked > longest {
                let note = format!(
                    "not tried again: the server asked to wait {} s, longer than the client's longest pause between attempts ({} ms)",
                    asked.as_secs_f64().ceil(),
                    longest.as_millis()
                );
                return Next::GiveUp(Some(match tried() {
                    Some(t) => format!("{t}; {note}"),
                    None => note,
                }));
            }
            pause = pause.max(asked);
        }
        if interrupt::time_left(pause) < pause {
            let note = "not tried again: the call's time limit ends before the next attempt";
            return Next::GiveUp(Some(match tried() {
                Some(t) => format!("{t}; {note}"),
                None => note.to_string(),
            }));
        }
        Next::Retry(pause)
    }
}

/// A random duration from zero to `most`.
fn jitter(most: Duration) -> Duration {
    let ms = most.as_millis() as u64;
    if ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(RandomState::new().hash_one(Instant::now()) % (ms + 1))
}

/// `Retry-After`: seconds, or an HTTP date (then the time until it, none when past).
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX).min(u32::MAX as u64)));
    }
    let at = parse_http_date(value)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the form servers send) as seconds since 1970.
fn parse_http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_ascii_whitespace();
    parts.next().filter(|d| d.len() == 4 && d.ends_with(','))?;
    let day: u64 = parts.next()?.parse().ok()?;
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? as u64 + 1;
    let year: u64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|n| n.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next() != Some("GMT") || parts.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    if year < 1970 {
        return Some(0);
    }
    // A date no server means (and whose seconds would overflow): not a Retry-After to honour.
    if year > 9999 {
        return None;
    }
    // Days from 1970-01-01 to the civil date (proleptic Gregorian).
    let (y, mo) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_or_unreachable_is_nothing_sent_only_when_the_connector_says_so() {
        let refused = || io::Error::from(io::ErrorKind::ConnectionRefused);
        let made = ureq::Error::Io(transport::connect_failure(refused()));
        assert_eq!(Failure::of_transport(&made), Some(Failure::NotConnected));
        assert_eq!(made.to_string(), ureq::Error::Io(refused()).to_string(), "the OS's words, unchanged");
        // On a connection in use: a getResult is not sent again.
        assert_eq!(Failure::of_transport(&ureq::Error::Io(refused())), Some(Failure::Lost));
        let unreachable = io::Error::from(io::ErrorKind::HostUnreachable);
        assert_eq!(Failure::of_transport(&ureq::Error::Io(unreachable)), Some(Failure::Lost));
    }

    #[test]
    fn a_retry_after_date_in_a_far_year_is_refused_not_overflowed() {
        assert_eq!(parse_http_date("Sun, 06 Nov 18446744073709551615 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 10000 08:49:37 GMT"), None);
        assert!(parse_http_date("Sun, 06 Nov 9999 08:49:37 GMT").is_some());
    }

    #[test]
    fn the_table_repeats_reads_only_unsent_results_and_never_submits() {
        let r = Retries::default();
        let lost = Some(Failure::Lost);
        let refused = Some(Failure::NotConnected);
        let busy = Some(Failure::Unavailable { status: 503, retry_after: None });
        for kind in [Kind::Progress, Kind::Operations, Kind::Version, Kind::Exists, Kind::Download, Kind::Login] {
            for f in [lost, refused, busy] {
                assert!(matches!(r.next(kind, f, 1), Next::Retry(_)), "{kind:?} {f:?}");
            }
        }
        for kind in [Kind::Result, Kind::Cancel, Kind::Delete] {
            assert!(matches!(r.next(kind, refused, 1), Next::Retry(_)), "{kind:?}");
            assert!(matches!(r.next(kind, lost, 1), Next::GiveUp(Some(_))), "{kind:?}");
            assert_eq!(r.next(kind, busy, 1), Next::GiveUp(None), "{kind:?}");
        }
        for kind in [Kind::Submit, Kind::Upload, Kind::Adhoc, Kind::Unlisted] {
            for f in [lost, refused, busy] {
                assert!(matches!(r.next(kind, f, 1), Next::GiveUp(_)), "{kind:?} {f:?}");
            }
        }
        assert_eq!(r.next(Kind::Progress, None, 1), Next::GiveUp(None), "not transient");
    }

    #[test]
    fn pauses_grow_with_jitter_up_to_the_longest_and_attempts_are_bounded() {
        let r = Retries::default();
        r.set(6, Duration::from_millis(800));
        let busy = Some(Failure::Unavailable { status: 502, retry_after: None });
        for (made, full) in [(1, 250), (2, 500), (3, 800), (4, 800), (5, 800)] {
            let Next::Retry(p) = r.next(Kind::Progress, busy, made) else { panic!("{made}") };
            assert!(p >= Duration::from_millis(full / 2) && p <= Duration::from_millis(full), "{made}: {p:?}");
        }
        assert!(matches!(r.next(Kind::Progress, busy, 6), Next::GiveUp(Some(n)) if n.contains("6 attempts")));
        r.set(0, Duration::ZERO);
        assert_eq!(r.next(Kind::Progress, busy, 1), Next::GiveUp(None), "0 attempts is 1");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_longest_pause() {
        let r = Retries::default();
        let asked = |s| Some(Failure::Unavailable { status: 503, retry_after: Some(Duration::from_secs(s)) });
        assert_eq!(r.next(Kind::Progress, asked(2), 1), Next::Retry(Duration::from_secs(2)));
        assert!(matches!(r.next(Kind::Progress, asked(30), 1), Next::GiveUp(Some(n)) if n.contains("30 s")));
    }

    #[test]
    fn a_deadline_before_the_next_attempt_gives_up_at_once() {
        let controls = interrupt::CallControls { timeout: Some(Duration::from_millis(50)), ..Default::default() };
        let _frame = interrupt::enter(&controls, crate::error::Language::C);
        let r = Retries::default();
        let next = r.next(Kind::Progress, Some(Failure::NotConnected), 1);
        assert!(matches!(&next, Next::GiveUp(Some(n)) if n.contains("time limit")), "{next:?}");
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO), "past");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"), Some(1_835_438_400));
        for bad in ["", "-1", "1.5", "soon", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 CET"] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
    }
}
