//! What a server's numbers and bodies can make the library allocate, measured with an allocator
//! that counts (and, when asked, refuses) the allocations of the test's own thread.

mod common;
use common::scripted::{response, Scripted};
use common::*;
use olconnect_wf::ffi;
use olconnect_wf::{Fetched, ResultEndpoint};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::CString;

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    /// Allocations larger than this fail (0: none do).
    static REFUSE_ABOVE: Cell<usize> = const { Cell::new(0) };
}

fn grew(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            CURRENT.with(|c| c.set(c.get() + size));
            PEAK.with(|p| p.set(p.get().max(CURRENT.with(Cell::get))));
            LARGEST.with(|l| l.set(l.get().max(size)));
        }
    });
}

fn shrank(size: usize) {
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            CURRENT.with(|c| c.set(c.get().saturating_sub(size)));
        }
    });
}

fn refused(size: usize) -> bool {
    REFUSE_ABOVE.try_with(|r| r.get() != 0 && size > r.get()).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if refused(layout.size()) {
            return std::ptr::null_mut();
        }
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if refused(new_size) {
            return std::ptr::null_mut();
        }
        shrank(layout.size());
        grew(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

struct Measured {
    peak: usize,
    largest: usize,
}

/// Runs `f` on this thread, counting what it allocates beyond what it started with.
fn measure<T>(refuse_above: usize, f: impl FnOnce() -> T) -> (T, Measured) {
    CURRENT.with(|c| c.set(0));
    PEAK.with(|p| p.set(0));
    LARGEST.with(|l| l.set(0));
    REFUSE_ABOVE.with(|r| r.set(refuse_above));
    TRACKING.with(|t| t.set(true));
    let out = f();
    TRACKING.with(|t| t.set(false));
    REFUSE_ABOVE.with(|r| r.set(0));
    (out, Measured { peak: PEAK.with(Cell::get), largest: LARGEST.with(Cell::get) })
}

const MIB: usize = 1024 * 1024;

#[test]
fn an_announced_length_does_not_size_an_allocation() {
    for announced in ["1073741824", "1099511627776", "18446744073709551615"] {
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n");
        let server = Scripted::answering([head.as_bytes(), &[b'x'; 100]].concat());
        let c = Client::new(&server.url()).unwrap();
        let (outcome, m) = measure(0, || c.fetch_result("op"));
        assert_eq!(outcome.unwrap_err().status, Status::UnexpectedResponse, "{announced}");
        assert!(m.largest < 4 * MIB, "{announced}: one allocation of {} bytes", m.largest);
        // Too large to keep: not read at all, the caller learns the announced size.
        let (outcome, m) = measure(0, || c.fetch_into(ResultEndpoint::Result, "op", &mut []));
        assert!(matches!(outcome, Ok(Fetched::NotKept(_))), "{announced}: {outcome:?}");
        assert!(m.largest < 4 * MIB, "{announced}: one allocation of {} bytes", m.largest);
    }
}

#[test]
fn memory_exhaustion_is_a_status_not_an_abort() {
    let body = vec![b'x'; 24 * MIB];
    let server = Scripted::answering(response("200 OK", &[], &body));
    let c = Client::new(&server.url()).unwrap();
    let (outcome, _) = measure(8 * MIB, || c.fetch_result("op"));
    let e = outcome.unwrap_err();
    assert_eq!(e.status, Status::OutOfMemory, "{}", e.message);
    assert!(e.message.contains("memory") && e.message.contains("wf_get_result_to_file"), "{}", e.message);
    // Chunked, without an announced length.
    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..24 {
        chunked.extend_from_slice(format!("{:x}\r\n", MIB).as_bytes());
        chunked.extend_from_slice(&body[..MIB]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let server = Scripted::answering(chunked);
    let c = Client::new(&server.url()).unwrap();
    let (outcome, _) = measure(8 * MIB, || c.fetch_result("op"));
    assert_eq!(outcome.unwrap_err().status, Status::OutOfMemory);
}

fn path_list_server(paths: usize) -> (Scripted, usize) {
    let body = "a\n".repeat(paths);
    let len = body.len();
    (Scripted::answering(response("200 OK", &[("X-Result-Type", "Output-Local-Filepath")], body.as_bytes())), len)
}

#[test]
fn a_path_list_costs_at_most_four_times_its_body() {
    let (server, body) = path_list_server(500_000);
    let url = CString::new(server.url()).unwrap();
    let mut client = std::ptr::null_mut();
    unsafe { assert_eq!(ffi::client::wf_client_new(url.as_ptr(), &mut client), ffi::wf_status::WF_OK) };
    let mut result = std::ptr::null_mut();
    let (status, m) = measure(0, || unsafe { ffi::result::wf_get_result_ex(client, c"op".as_ptr(), &mut result) });
    assert_eq!(status, ffi::wf_status::WF_OK);
    unsafe {
        assert_eq!(ffi::result::wf_result_path_count(result), 500_000);
        let last = std::ffi::CStr::from_ptr(ffi::result::wf_result_path(result, 499_999));
        assert_eq!(last.to_bytes(), b"a");
        ffi::result::wf_result_free(result);
        ffi::client::wf_client_free(client);
    }
    // Fixed costs (the connection's buffers) are not the body's.
    let fixed = MIB;
    assert!(m.peak <= 4 * body + fixed, "peak {} for a body of {body}", m.peak);
}

#[test]
fn a_body_kept_for_the_buffer_protocol_is_not_parsed_for_paths() {
    let (server, body) = path_list_server(500_000);
    let c = Client::new(&server.url()).unwrap();
    c.set_kept_limit(64 * MIB as u64);
    let (outcome, m) = measure(0, || c.fetch_into(ResultEndpoint::Result, "op", &mut []));
    assert_eq!(outcome.unwrap(), Fetched::TooSmall(body));
    assert!(m.peak <= body + MIB, "peak {} for a body of {body}", m.peak);
}

#[test]
fn an_upload_is_streamed_in_constant_memory() {
    let sim = sim_with(|s| {
        s.max_body = 80 * MIB;
        s.upload_store_limit = 100 * MIB as u64;
    });
    let c = basic_client(&sim);
    let size = 64 * MIB as u64;
    let reader = std::io::Read::take(std::io::repeat(b'x'), size);
    let (outcome, m) =
        measure(0, || c.upload(None, &mut olconnect_wf::Data::reader(reader, Some(size)), Some("big.csv"), false));
    outcome.unwrap();
    assert!(m.peak < 2 * MIB, "peak {} for an upload of {size}", m.peak);
}
