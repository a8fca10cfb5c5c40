//! Where the bytes of a request body come from (an upload, the data of an ad-hoc job): a file,
//! which is checked before anything is sent and can be read again for the one replay after a
//! re-login; a caller's buffer; or a reader, read once. Bytes are counted as they are sent
//! (transfer reports, stopping the call), and a failure to read them is a local error, never a
//! connection error.

use crate::error::{Error, Result, Status};
use crate::wire::interrupt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub enum Data<'a> {
    File { path: PathBuf, length: u64 },
    Bytes(&'a [u8]),
    Reader { read: Box<dyn Read + Send + 'a>, length: Option<u64>, used: bool },
}

impl<'a> Data<'a> {
    /// A file, checked now: it must exist, be a regular file and be readable.
    pub fn file(path: &Path) -> Result<Data<'a>> {
        let io =
            |e: io::Error| Error::new(Status::IoError, format!("cannot read the data file '{}': {e}", path.display()));
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(Error::new(Status::IoError, format!("'{}' is not a regular file", path.display())));
        }
        File::open(path).map_err(io)?;
        Ok(Data::File { path: path.to_path_buf(), length: meta.len() })
    }

    pub fn bytes(data: &'a [u8]) -> Data<'a> {
        Data::Bytes(data)
    }

    /// A reader of `length` bytes (None: unknown, sent chunked); it can be read only once.
    pub fn reader(read: impl Read + Send + 'a, length: Option<u64>) -> Data<'a> {
        Data::Reader { read: Box::new(read), length, used: false }
    }

    pub fn length(&self) -> Option<u64> {
        match self {
            Data::File { length, .. } => Some(*length),
            Data::Bytes(b) => Some(b.len() as u64),
            Data::Reader { length, .. } => *length,
        }
    }

    /// Whether the body can be sent again (the replay after a re-login).
    pub fn replayable(&self) -> bool {
        !matches!(self, Data::Reader { .. })
    }

    /// The file's name, to name an upload that was given none.
    pub fn file_name(&self) -> Option<String> {
        match self {
            Data::File { path, .. } => path.file_name().map(|n| n.to_string_lossy().into_owned()),
            _ => None,
        }
    }

    /// A reader of the whole body from its start, counting what is sent.
    pub(crate) fn open(&mut self) -> Result<Sending<'_>> {
        let length = self.length();
        let source: Box<dyn Read + Send + '_> = match self {
            Data::File { path, .. } => Box::new(File::open(&*path).map_err(|e| {
                Error::new(Status::IoError, format!("cannot read the data file '{}': {e}", path.display()))
            })?),
            Data::Bytes(b) => Box::new(*b),
            Data::Reader { read, used, .. } => {
                if *used {
                    return Err(Error::new(
                        Status::InvalidArgument,
                        "the data of a reader was already sent once and cannot be read again; give a new reader",
                    ));
                }
                *used = true;
                Box::new(read)
            }
        };
        interrupt::begin_send(length);
        Ok(Sending { source, local_error: Arc::default() })
    }
}

/// The body being sent. A failure of the source is kept apart, so that the caller can tell it
/// from a failure of the connection.
pub(crate) struct Sending<'a> {
    source: Box<dyn Read + Send + 'a>,
    pub local_error: Arc<Mutex<Option<io::Error>>>,
}

impl Read for Sending<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.source.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let message = e.to_string();
                *self.local_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                return Err(io::Error::other(message));
            }
        };
        interrupt::sent(n as u64).map_err(|i| i.into_io())?;
        Ok(n)
    }
}

impl Sending<'_> {
    /// The local failure, if reading the data failed while sending it.
    pub(crate) fn failure(&self, what: &str) -> Option<Error> {
        let e = self.local_error.lock().unwrap_or_else(|p| p.into_inner()).take()?;
        Some(Error::new(
            Status::IoError,
            format!("{what}: reading the data failed after part of it was sent ({e}); nothing was stored as complete"),
        ))
    }
}
