//! Fetching results: into a caller's buffer with the buffer protocol (and its kept bodies), as
//! a whole in memory, streamed to a callback, or to a file through an atomic temporary file;
//! and File Store downloads, which take the same streamed path.

use crate::error::{Error, Hint, Result, Status};
use crate::session::client::Client;
use crate::session::request::{header, Call, Method, SERVICE};
use crate::session::result::{OperationResult, PathList, ResultEndpoint, ResultMeta};
use crate::session::retry::Kind;
use crate::session::tempfile::TempFile;
use crate::session::url::{encode_segment, Segment};
use crate::wire::body::{self, ensure_text, Bounded, Count, TEXT_LIMIT};
use crate::wire::direct;
use crate::wire::interrupt::{self, Interrupt};
use std::io::{self, Read};
use std::path::Path;
use ureq::http::Response;
use ureq::Body;

/// Size of the one buffer a streamed download goes through.
pub(crate) const STREAM_BUFFER: usize = 128 * 1024;

/// What copying a result into a caller's buffer gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// The body (plus NUL when asked) was copied; this many bytes, NUL included.
    Copied(usize),
    /// The buffer is too small: this many bytes are needed. The body is kept for the retry.
    TooSmall(usize),
    /// The buffer is too small: this many bytes are needed, and the body is larger than the
    /// client keeps between calls (`set_kept_limit`): the retry asks the server again.
    NotKept(usize),
}

/// How a result body is handed to the caller's buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// The bytes as they are.
    Bytes,
    /// UTF-8 text without NUL, of at most `WF_TEXT_LIMIT` bytes, followed by a NUL.
    Text,
}

impl Client {
    /// Keeps a body again after a local failure (a callback that stopped, a file that could not
    /// be written), so that the result is not lost with it: even over the budget for kept
    /// bodies (src/kept.rs).
    pub(crate) fn keep_again(&self, endpoint: ResultEndpoint, op_id: &str, result: OperationResult) {
        self.shared.kept.keep_unlost(endpoint, op_id, result);
    }

    /// A result read whole, with its path list; when the list cannot be built (more than
    /// `WF_MAX_PATHS` paths, over 4 GiB, no memory for it), the body is kept under the operation
    /// id `key` gives, for `getResult` (even over the budget for kept bodies: the server may not
    /// have it any more), and the error says how to get it.
    pub(crate) fn with_paths(
        &self,
        result: OperationResult,
        key: impl FnOnce() -> String,
    ) -> Result<(OperationResult, PathList)> {
        match result.paths() {
            Ok(paths) => Ok((result, paths)),
            Err(mut e) => {
                let (size, key) = (result.data.len(), key());
                self.keep_again(ResultEndpoint::Result, &key, result);
                e.message.push_str(&format!(
                    "; the body ({size} bytes) is kept, so it is not lost: fetching the result of operation '{key}' again, to a file, streamed, or into a buffer of {size} bytes, gives it without asking the server"
                ));
                Err(e)
            }
        }
    }

    /// Adds to a failure of a fetch that a body kept earlier was released meanwhile.
    fn note_released(&self, mut e: Error, endpoint: ResultEndpoint, op_id: &str) -> Error {
        if self.shared.kept.was_released(endpoint, op_id) {
            e.message.push_str(&format!(
                " (The body of this result kept from an earlier call was released to stay within the client's limit for kept bodies, {} bytes, so the server was asked again.)",
                self.shared.kept.limit()
            ));
        }
        e
    }

    /// Starts the request of a result endpoint, or gives the body kept from an earlier call.
    pub(crate) fn open_result(&self, endpoint: ResultEndpoint, op_id: &str) -> Result<Opened> {
        let call = Call::operation(endpoint.verb(), op_id, Method::Post)?.kind(Kind::Result);
        if let Some(kept) = self.shared.kept.take(endpoint, op_id) {
            return Ok(Opened::Kept(kept));
        }
        let resp = self.send(&call).map_err(|e| self.note_released(e, endpoint, op_id))?;
        Ok(Opened::Live(call.what, resp))
    }

    /// The whole result with its headers.
    pub fn fetch_result(&self, op_id: &str) -> Result<OperationResult> {
        self.call(|| {
            let _slot = self.slot()?;
            self.open_result(ResultEndpoint::Result, op_id)?.read_all()
        })
    }

    /// The whole result with its headers and its path list (`wf_get_result_ex`). When the body
    /// arrived but its path list cannot be built, the body is kept: the next fetch of this
    /// result (to a file, streamed, into a buffer) gets it without asking the server.
    pub fn fetch_result_with_paths(&self, op_id: &str) -> Result<(OperationResult, PathList)> {
        self.call(|| {
            let _slot = self.slot()?;
            let result = self.open_result(ResultEndpoint::Result, op_id)?.read_all()?;
            self.with_paths(result, || op_id.to_string())
        })
    }

    /// Copies a result body into `buf`, or keeps it and reports the size needed (the buffer
    /// protocol of the C contract). When the announced length fits, the body is read straight
    /// into `buf` (no extra copy); on failure `buf` may then hold part of it. A body larger than
    /// the kept-body limit is not kept (`Fetched::NotKept`).
    pub fn fetch_into(&self, endpoint: ResultEndpoint, op_id: &str, buf: &mut [u8]) -> Result<Fetched> {
        self.call(|| {
            let _slot = self.slot()?;
            self.fetch_framed(endpoint, op_id, buf, Framing::Bytes)
        })
    }

    /// Like [`fetch_into`](Self::fetch_into) for an answer that must be UTF-8 text without NUL
    /// (at most `WF_TEXT_LIMIT` bytes), copied with a NUL after it; the sizes count the NUL.
    pub fn fetch_text_into(&self, endpoint: ResultEndpoint, op_id: &str, buf: &mut [u8]) -> Result<Fetched> {
        self.call(|| {
            let _slot = self.slot()?;
            self.fetch_framed(endpoint, op_id, buf, Framing::Text)
        })
    }

    /// The result as text (`getResultTxt`): an entity id or the spool file path(s).
    pub fn result_text(&self, op_id: &str) -> Result<String> {
        self.text_result(ResultEndpoint::ResultText, op_id)
    }

    /// The managed result (`getManagedResult`) as the server's JSON text.
    pub fn managed_result(&self, op_id: &str) -> Result<String> {
        self.text_result(ResultEndpoint::ManagedResult, op_id)
    }

    fn text_result(&self, endpoint: ResultEndpoint, op_id: &str) -> Result<String> {
        self.call(|| {
            let _slot = self.slot()?;
            let data = match self.open_result(endpoint, op_id)? {
                Opened::Kept(r) => r.data,
                Opened::Live(what, mut resp) => body::read_all(&what, &mut resp, TEXT_LIMIT, Count::Bytes)?,
            };
            ensure_text(&data, &format!("{} of operation '{op_id}'", endpoint.verb()))?;
            Ok(String::from_utf8(data).unwrap_or_default())
        })
    }

    fn fetch_framed(&self, endpoint: ResultEndpoint, op_id: &str, buf: &mut [u8], framing: Framing) -> Result<Fetched> {
        let nul = framing == Framing::Text;
        let opened = self.open_result(endpoint, op_id)?;
        let was_kept = matches!(opened, Opened::Kept(_));
        let (data, meta) = match opened {
            Opened::Kept(r) => (r.data, r.meta),
            Opened::Live(what, mut resp) => {
                let meta = ResultMeta::from_headers(|n| header(&resp, n));
                let announced = resp.body().content_length();
                if let Some(n) = announced.filter(|&n| !nul && n <= buf.len() as u64) {
                    body::read_exact(&what, &mut resp, &mut buf[..n as usize])?;
                    return Ok(Fetched::Copied(n as usize));
                }
                let bounded = if nul {
                    Bounded::Whole(body::read_all(&what, &mut resp, TEXT_LIMIT, Count::Bytes)?)
                } else if let Some(n) = announced.filter(|&n| !self.shared.kept.fits(n)) {
                    // Too large for the caller's buffer and for keeping: not read at all.
                    Bounded::Over(n)
                } else {
                    body::read_or_measure(&what, &mut resp, self.shared.kept.limit().max(buf.len() as u64))?
                };
                match bounded {
                    Bounded::Whole(data) => (data, meta),
                    Bounded::Over(size) => return Ok(Fetched::NotKept(usize::try_from(size).unwrap_or(usize::MAX))),
                }
            }
        };
        if nul {
            ensure_text(&data, &format!("{} of operation '{op_id}'", endpoint.verb()))?;
        }
        let needed = data.len() + nul as usize;
        if needed > buf.len() {
            let result = OperationResult::new(data, meta);
            if was_kept {
                // Kept already (perhaps over the budget, so as not to be lost): it stays kept.
                self.keep_again(endpoint, op_id, result);
                return Ok(Fetched::TooSmall(needed));
            }
            let kept = self.shared.kept.keep(endpoint, op_id, result);
            return Ok(if kept { Fetched::TooSmall(needed) } else { Fetched::NotKept(needed) });
        }
        buf[..data.len()].copy_from_slice(&data);
        if nul {
            buf[data.len()] = 0;
        }
        Ok(Fetched::Copied(needed))
    }

    /// Streams a result to `sink` through one fixed buffer; `sink` returning false stops with
    /// `Aborted`. Returns the number of bytes delivered.
    pub fn stream_result(&self, op_id: &str, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<u64> {
        self.call(|| {
            let _slot = self.slot()?;
            let opened = self.open_result(ResultEndpoint::Result, op_id)?;
            self.deliver(opened, op_id, sink)
        })
    }

    /// Downloads a result to `dest` through a temporary file beside it, renamed onto `dest`
    /// only when complete and synced. Returns its size and what its headers said.
    pub fn result_to_file(&self, op_id: &str, dest: &Path) -> Result<(u64, ResultMeta)> {
        self.call(|| {
            let _slot = self.slot()?;
            // The temporary file first: an unwritable folder must not cost a one-time result.
            let temp = TempFile::create(dest, self.durable_files())?;
            let opened = self.open_result(ResultEndpoint::Result, op_id)?;
            self.save(opened, op_id, temp, dest)
        })
    }

    /// Downloads a File Store entry (`GET /rest/serverengine/filestore/file/{id}[/{file}]`) to
    /// `dest`: a managed output file, or a whole folder as a ZIP archive.
    pub fn download_managed(&self, file_id: &str, file_in_folder: Option<&str>, dest: &Path) -> Result<u64> {
        self.call(|| {
            let _slot = self.slot()?;
            let mut path = format!(
                "{SERVICE}/filestore/file/{}",
                encode_segment(file_id, "managed file id", Segment::FileStoreName)?
            );
            if let Some(name) = file_in_folder {
                path.push('/');
                path.push_str(&encode_segment(name, "file name", Segment::FileStoreName)?);
            }
            let temp = TempFile::create(dest, self.durable_files())?;
            let call =
                Call::new(format!("download of managed file '{file_id}'"), Method::Get, path).kind(Kind::Download);
            let resp = self.send(&call)?;
            Ok(self.save(Opened::Live(call.what, resp), file_id, temp, dest)?.0)
        })
    }

    /// Writes an opened body into `temp`, then renames it onto `dest`.
    pub(crate) fn save(
        &self,
        opened: Opened,
        label: &str,
        mut temp: TempFile,
        dest: &Path,
    ) -> Result<(u64, ResultMeta)> {
        let meta = opened.meta();
        let mut write_error = None;
        let delivered = self.deliver(opened, label, &mut |chunk| match temp.write(chunk) {
            Ok(()) => true,
            Err(e) => {
                write_error = Some(e);
                false
            }
        });
        if let Some(e) = write_error {
            return Err(e);
        }
        let n = delivered?;
        temp.commit(dest)?;
        Ok((n, meta))
    }

    /// Hands an opened body to `sink`. A kept `getResult` body that could not be delivered whole
    /// (the sink stopped, a write failed) is kept again, so the result is not lost.
    pub(crate) fn deliver(&self, opened: Opened, op_id: &str, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<u64> {
        match opened {
            Opened::Kept(r) => {
                let outcome = deliver_kept(&r.data, op_id, sink);
                if outcome.is_err() {
                    self.keep_again(ResultEndpoint::Result, op_id, r);
                }
                outcome
            }
            Opened::Live(what, resp) => deliver_live(what, resp, op_id, sink),
        }
    }
}

pub(crate) enum Opened {
    Kept(OperationResult),
    Live(String, Response<Body>),
}

impl Opened {
    pub(crate) fn meta(&self) -> ResultMeta {
        match self {
            Opened::Kept(r) => r.meta.clone(),
            Opened::Live(_, resp) => ResultMeta::from_headers(|n| header(resp, n)),
        }
    }

    /// The whole result: the kept one, or the body read now.
    pub(crate) fn read_all(self) -> Result<OperationResult> {
        let meta = self.meta();
        match self {
            Opened::Kept(r) => Ok(r),
            Opened::Live(what, mut resp) => {
                Ok(OperationResult::new(body::read_all(&what, &mut resp, u64::MAX, Count::Bytes)?, meta))
            }
        }
    }
}

fn stopped(op_id: &str) -> Error {
    let by = Hint::WriteCallback.text(interrupt::language());
    Error::new(Status::Aborted, format!("the download of '{op_id}' was stopped by {by}"))
}

fn deliver_kept(data: &[u8], op_id: &str, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<u64> {
    interrupt::begin_receive(Some(data.len() as u64));
    for chunk in data.chunks(STREAM_BUFFER) {
        if !sink(chunk) {
            return Err(stopped(op_id));
        }
        interrupt::received(chunk.len() as u64).map_err(Interrupt::into_error)?;
    }
    interrupt::report_final().map_err(Interrupt::into_error)?;
    Ok(data.len() as u64)
}

fn deliver_live(
    what: String,
    mut resp: ureq::http::Response<ureq::Body>,
    op_id: &str,
    sink: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<u64> {
    let expected = resp.body().content_length();
    interrupt::begin_receive(expected);
    let mut reader = direct::reader(&mut resp, Some(direct::STREAM_READ));
    // Read straight from the socket, larger reads pay off (docs/architecture.md, "Reading
    // bodies"); the sink still gets pieces of at most STREAM_BUFFER.
    let mut buf = vec![0u8; if reader.is_direct() { direct::STREAM_READ } else { STREAM_BUFFER }];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(body::read_error(&what, e, total, expected)),
        };
        for piece in buf[..n].chunks(STREAM_BUFFER) {
            total += piece.len() as u64;
            if !sink(piece) {
                return Err(stopped(op_id));
            }
            interrupt::received(piece.len() as u64).map_err(Interrupt::into_error)?;
        }
    }
    if expected.is_some_and(|n| n != total) {
        return Err(body::read_error(&what, io::ErrorKind::UnexpectedEof.into(), total, expected));
    }
    interrupt::report_final().map_err(Interrupt::into_error)?;
    Ok(total)
}
