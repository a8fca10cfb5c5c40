//! Memory pages of a destination buffer: whether they are in memory already, and bringing them
//! in ahead of the reads that fill them. A large body read into pages never touched pays one
//! page fault per page, inside the kernel's copy; faulting them in ahead, a few MiB at a time
//! with one `madvise(MADV_POPULATE_WRITE)` each, costs much less (docs/architecture.md, "Large
//! bodies straight from the socket"; measured in bench/RESULTS.md).

use super::sys;
use std::sync::OnceLock;

/// How far ahead of the reads pages are brought in, in one call each: large enough that the
/// calls cost nothing next to the copies, small enough that a body that ends early leaves little
/// memory committed that it never used.
pub(crate) const PREFAULT_STEP: usize = 8 * 1024 * 1024;

/// Whether the pages of `buf` are in memory already (sampled: first, middle and last page).
pub(crate) fn is_resident(buf: &[u8]) -> bool {
    let Some(page) = sys::page_size() else { return false };
    if buf.is_empty() {
        return false;
    }
    let start = buf.as_ptr() as usize;
    // The page holding each sampled byte is mapped: it holds a byte of `buf`.
    [start, start + buf.len() / 2, start + buf.len() - 1].iter().all(|&at| sys::page_is_resident(at - at % page))
}

/// Whether this kernel brings pages in ahead (`MADV_POPULATE_WRITE`, Linux 5.14), tried once
/// on a page of a small buffer of the process's own.
pub(crate) fn can_prefault() -> bool {
    static CAN: OnceLock<bool> = OnceLock::new();
    *CAN.get_or_init(|| {
        let Some(page) = sys::page_size() else { return false };
        let mut probe = vec![0u8; 2 * page];
        Prefault::new().ahead(probe.as_mut_ptr(), probe.len(), 0, probe.len())
    })
}

/// Brings in, ahead of the reads, the pages of a region about to be written from its start to
/// its end. The region is given by address and length on each call (the caller's buffer, or a
/// vector's capacity that may move as it grows); `ahead` is called with how far the writes have
/// come. Pages are only faulted in as "about to be written": no byte changes, in the region or
/// sharing a page with its ends. Where the kernel cannot (before Linux 5.14, or memory it
/// refuses), the first failure turns it off and the writes fault the pages in themselves.
pub(crate) struct Prefault {
    /// Offset in the region up to which pages were brought in.
    done: usize,
    /// The page size; None once a call failed.
    page: Option<usize>,
}

impl Prefault {
    /// For a region of which nothing was brought in yet.
    pub(crate) fn new() -> Self {
        Prefault { done: 0, page: sys::page_size() }
    }

    /// Makes sure that the pages from offset `from` to `from + next` of the region of `len`
    /// bytes at `start` are in memory, bringing in up to [`PREFAULT_STEP`] bytes past them at
    /// once. Returns whether they are (false once a call failed).
    pub(crate) fn ahead(&mut self, start: *mut u8, len: usize, from: usize, next: usize) -> bool {
        let Some(page) = self.page else { return false };
        let need = from.saturating_add(next).min(len);
        if need <= self.done {
            return true;
        }
        let upto = need.max(self.done.saturating_add(PREFAULT_STEP)).min(len);
        let base = start as usize;
        // The pages holding a byte of done..upto: each is mapped and writable, since it holds a
        // byte of the region.
        let first = base.saturating_add(self.done) / page * page;
        let last = base.saturating_add(upto).saturating_add(page - 1) / page * page;
        // Every page of first..last holds a byte of the region, which the caller owns and is
        // about to write.
        if last > first && !sys::populate_write(first, last - first) {
            self.page = None;
            return false;
        }
        self.done = upto;
        true
    }
}

/// Residency and prefaulting exist on Linux only (src/wire/sys/: Windows answers "not resident"
/// and "cannot", so large bodies are read through the buffered path there; docs/platforms.md).
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn written_pages_are_resident_and_untouched_ones_are_not() {
        let written = vec![1u8; 16 * 1024 * 1024];
        assert!(is_resident(&written));
        assert!(is_resident(&written[5..7]), "a slice within one page");
        // Zeroed memory this large comes from the system as untouched pages.
        let untouched = vec![0u8; 64 * 1024 * 1024];
        assert!(!is_resident(&untouched));
        assert!(!is_resident(&[]));
    }

    #[test]
    fn pages_brought_in_are_resident_and_keep_their_contents() {
        let len = 3 * PREFAULT_STEP + 12345;
        let mut buf = vec![0u8; len];
        assert!(!is_resident(&buf));
        let mut p = Prefault::new();
        assert!(can_prefault(), "this kernel brings pages in (Linux 5.14 or later)");
        assert!(p.ahead(buf.as_mut_ptr(), len, 0, 4096));
        assert!(is_resident(&buf[..PREFAULT_STEP]), "one step ahead of the first read");
        assert!(!is_resident(&buf[PREFAULT_STEP + 4096..]), "no further");
        assert!(p.ahead(buf.as_mut_ptr(), len, 2 * PREFAULT_STEP, PREFAULT_STEP + 12345));
        assert!(is_resident(&buf), "to the end of the region, and not past it");
        assert!(buf.iter().all(|&b| b == 0), "the contents are unchanged");
        buf[len - 1] = 7;
        let mut p = Prefault::new();
        assert!(p.ahead(buf.as_mut_ptr(), len, 0, len));
        assert_eq!(buf[len - 1], 7);
    }
}
