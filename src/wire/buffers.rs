//! The buffers of one connection: the socket is read into `input`, which starts small and grows
//! while the peer keeps it full (a large body arriving), so that a bulk transfer takes few, large
//! reads; it shrinks back when the connection is taken from the pool for its next request.
//! See docs/architecture.md, "Reading bodies".

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use ureq::unversioned::transport::Buffers;

/// Size of the read buffer of a new or reused connection (enough for any small answer).
pub(crate) const INPUT_START: usize = 64 * 1024;
/// Largest size it grows to for a bulk transfer (measured: larger reads stop paying off here).
pub(crate) const INPUT_MAX: usize = 1024 * 1024;
/// Room ureq needs in front of the output buffer when it asks for both.
const MIN_TMP: usize = 10 * 1024;

#[derive(Debug)]
pub(crate) struct GrowingBuffers {
    /// `input[start..end]` is read but not yet consumed; `input[end..]` is free.
    input: Vec<u8>,
    start: usize,
    end: usize,
    /// How much free room the last `input_append_buf` offered, to see whether a read filled it.
    offered: usize,
    output: Vec<u8>,
    output_size: usize,
    progress: bool,
    /// `end - start`, published for a reader that takes the socket over from the HTTP stack
    /// (src/wire/transport.rs, `Handover`): it must first take these bytes through the stack.
    unconsumed: Arc<AtomicUsize>,
}

impl GrowingBuffers {
    pub(crate) fn new(output_size: usize, unconsumed: Arc<AtomicUsize>) -> GrowingBuffers {
        unconsumed.store(0, Ordering::Relaxed);
        GrowingBuffers {
            input: Vec::new(),
            start: 0,
            end: 0,
            offered: 0,
            output: Vec::new(),
            output_size: output_size.max(1),
            progress: false,
            unconsumed,
        }
    }

    /// Back to the starting size when nothing is buffered (a connection taken from the pool).
    pub(crate) fn shrink(&mut self) {
        if self.start == self.end && self.input.len() > INPUT_START {
            self.input = Vec::new();
            self.start = 0;
            self.end = 0;
        }
    }

    /// Makes `extra` bytes of free room after the unconsumed input.
    fn make_room(&mut self, extra: usize) {
        if self.start > 0 && self.input.len() - self.end < extra {
            self.input.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.input.len() - self.end < extra {
            self.input.resize(self.end + extra, 0);
        }
    }

    fn publish(&self) {
        self.unconsumed.store(self.end - self.start, Ordering::Relaxed);
    }

    fn ensure_output(&mut self) {
        if self.output.len() < self.output_size {
            self.output.resize(self.output_size, 0);
        }
    }
}

impl Buffers for GrowingBuffers {
    fn output(&mut self) -> &mut [u8] {
        self.ensure_output();
        &mut self.output
    }

    fn input(&self) -> &[u8] {
        &self.input[self.start..self.end]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        if self.input.is_empty() {
            self.input.resize(INPUT_START, 0);
        }
        if self.end == self.input.len() {
            // Full: move the unconsumed bytes to the front, or grow when they fill it all. The
            // HTTP stack consumes a head within its own limit (64 KiB) and a body as it comes, so
            // unconsumed bytes never need more than INPUT_MAX; past it no room is offered (the read
            // then ends the answer as cut short) rather than memory without bound.
            let grow = if self.start == 0 { self.input.len() } else { 0 };
            if self.start > 0 || self.input.len() < INPUT_MAX {
                self.make_room(grow.clamp(1, INPUT_MAX));
            }
        }
        self.offered = self.input.len() - self.end;
        &mut self.input[self.end..]
    }

    fn input_appended(&mut self, amount: usize) {
        let amount = amount.min(self.input.len() - self.end);
        self.end += amount;
        self.publish();
        // A read that filled all the room offered: the peer is sending faster than we read, so
        // read more at a time (up to INPUT_MAX).
        if amount > 0 && amount == self.offered && self.input.len() < INPUT_MAX {
            let grown = (self.input.len() * 2).min(INPUT_MAX);
            self.input.resize(grown, 0);
        }
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        self.start = (self.start + amount).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        self.publish();
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        self.ensure_output();
        if self.input.is_empty() {
            self.input.resize(INPUT_START, 0);
        }
        self.make_room(MIN_TMP);
        (&mut self.input[self.end..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.start < self.end && self.progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(b: &mut GrowingBuffers, data: &[u8]) -> usize {
        let room = b.input_append_buf();
        let n = room.len().min(data.len());
        room[..n].copy_from_slice(&data[..n]);
        b.input_appended(n);
        n
    }

    #[test]
    fn full_reads_grow_the_buffer_up_to_the_maximum_and_reuse_shrinks_it() {
        let mut b = GrowingBuffers::new(1024, Arc::default());
        let big = vec![7u8; 4 * INPUT_MAX];
        let mut sizes = Vec::new();
        for _ in 0..8 {
            let n = read(&mut b, &big);
            assert_eq!(b.input().len(), n);
            b.input_consume(n);
            sizes.push(b.capacity());
        }
        assert_eq!(sizes[0], 2 * INPUT_START);
        assert_eq!(*sizes.last().unwrap(), INPUT_MAX);
        b.shrink();
        assert_eq!(b.capacity(), 0, "an idle connection gives its large buffer back");
        read(&mut b, b"HTTP/1.1 200 OK\r\n");
        assert_eq!(b.capacity(), INPUT_START, "short reads do not grow it");
    }

    #[test]
    fn unconsumed_input_is_kept_in_order_when_room_is_made() {
        let mut b = GrowingBuffers::new(1024, Arc::default());
        let data: Vec<u8> = (0..INPUT_START).map(|i| i as u8).collect();
        read(&mut b, &data);
        b.input_consume(10);
        // Full and partly consumed: the rest moves to the front, nothing is lost.
        let more = read(&mut b, &[1, 2, 3]);
        assert!(more > 0);
        assert_eq!(&b.input()[..5], &data[10..15]);
        assert_eq!(&b.input()[b.input().len() - 3..], &[1, 2, 3]);
        // Unconsumed input filling the whole buffer (a long head): it grows rather than offer no room.
        let mut b = GrowingBuffers::new(1024, Arc::default());
        read(&mut b, &vec![1u8; INPUT_START - 1]);
        read(&mut b, &[2u8]);
        assert!(!b.input_append_buf().is_empty());
        let (tmp, out) = b.tmp_and_output();
        assert!(tmp.len() >= MIN_TMP && out.len() == 1024);
        assert!(b.shrink_keeps_buffered_input());
        // Unconsumed bytes filling the largest size: no more room, never unbounded memory.
        let mut b = GrowingBuffers::new(1024, Arc::default());
        let mut total = 0;
        while total < 4 * INPUT_MAX {
            let n = read(&mut b, &vec![3u8; INPUT_MAX]);
            if n == 0 {
                break;
            }
            total += n;
        }
        assert!(total <= 2 * INPUT_MAX && b.capacity() <= 2 * INPUT_MAX, "{total} {}", b.capacity());
    }

    impl GrowingBuffers {
        fn capacity(&self) -> usize {
            self.input.len()
        }

        fn shrink_keeps_buffered_input(&mut self) -> bool {
            let before = self.input().to_vec();
            self.shrink();
            self.input() == &before[..]
        }
    }
}
