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

    /// A reader of the whole body from its start, counting what is sent and checking it against
    /// the length announced. `what` names the request in messages.
    pub(crate) fn open(&mut self, what: &str) -> Result<Sending<'_>> {
        let length = self.length();
        let (source, hint): (Box<dyn Read + Send + '_>, &'static str) = match self {
            Data::File { path, .. } => (
                Box::new(File::open(&*path).map_err(|e| {
                    Error::new(Status::IoError, format!("cannot read the data file '{}': {e}", path.display()))
                })?),
                "the file changed after it was given: keep it unchanged until the call returns",
            ),
            Data::Bytes(b) => (Box::new(*b), "a buffer is sent as it is"),
            Data::Reader { read, used, .. } => {
                if *used {
                    return Err(Error::new(
                        Status::InvalidArgument,
                        "the data of a reader was already sent once and cannot be read again; give a new reader",
                    ));
                }
                *used = true;
                (Box::new(read), "a reader must give exactly the length announced for it, or announce none")
            }
        };
        let mut sending = Sending { source, length, count: 0, hint, failure: None };
        if length == Some(0) {
            // The stack asks an empty body for nothing: check here that it is empty.
            sending.check_end().map_err(|f| f.into_error(what, hint))?;
        }
        interrupt::begin_send(length);
        Ok(sending)
    }
}

/// Why the data could not be sent: a local failure, told apart from a failure of the connection.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Reading the source failed.
    Read(io::Error),
    /// The source ended after `count` of the `length` bytes announced.
    Short { count: u64, length: u64 },
    /// The source has more than the `length` bytes announced.
    Long { length: u64 },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Read(e) => write!(f, "reading the data failed after part of it was sent ({e})"),
            Failure::Short { count, length } => {
                write!(f, "the data ended after {count} of the {length} bytes announced")
            }
            Failure::Long { length } => write!(f, "the data has more than the {length} bytes announced"),
        }
    }
}

impl Failure {
    fn into_error(self, what: &str, hint: &str) -> Error {
        let message = match self {
            Failure::Read(_) => format!("{what}: {self}; nothing was stored as complete"),
            Failure::Short { .. } | Failure::Long { .. } => {
                format!("{what}: {self} ({hint}); the request was cut off, so nothing was stored as complete")
            }
        };
        Error::new(Status::IoError, message)
    }
}

/// The body being sent. With a length announced (a `Content-Length`), the bytes are counted
/// against it: a source that ends early, or has more, stops the request with a local failure
/// (the HTTP stack would otherwise wait forever for the missing bytes, or refuse the extra ones
/// as a protocol error). A failure of the source is kept apart, so that the caller can tell it
/// from a failure of the connection.
pub(crate) struct Sending<'a> {
    source: Box<dyn Read + Send + 'a>,
    length: Option<u64>,
    /// Bytes read from the source so far.
    count: u64,
    /// What to do about a source that does not match its length, in the messages.
    hint: &'static str,
    failure: Option<Failure>,
}

impl Read for Sending<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(f) = &self.failure {
            return Err(io::Error::other(f.to_string()));
        }
        // Never more than the length announced is asked of the source.
        let want = match self.length {
            Some(length) => buf.len().min(usize::try_from(length - self.count).unwrap_or(usize::MAX)),
            None => buf.len(),
        };
        if want == 0 {
            return Ok(0);
        }
        let n = match self.source.read(&mut buf[..want]) {
            Ok(n) if n <= want => n,
            Ok(_) => {
                let e = io::Error::other("the reader claimed more bytes than the buffer it was given holds");
                return Err(self.fail(Failure::Read(e)));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => return Err(self.fail(Failure::Read(e))),
        };
        self.count += n as u64;
        if let Some(length) = self.length {
            if n == 0 {
                return Err(self.fail(Failure::Short { count: self.count, length }));
            }
            if self.count == length {
                // The last bytes go out only once the source is known to end with them.
                if let Err(f) = self.check_end() {
                    return Err(self.fail(f));
                }
            }
        }
        interrupt::sent(n as u64).map_err(|i| i.into_io())?;
        Ok(n)
    }
}

impl Sending<'_> {
    /// Whether the source ends here (asked once all the bytes announced were read).
    fn check_end(&mut self) -> std::result::Result<(), Failure> {
        let length = self.length.unwrap_or(self.count);
        let mut probe = [0u8; 1];
        loop {
            return match self.source.read(&mut probe) {
                Ok(0) => Ok(()),
                Ok(_) => Err(Failure::Long { length }),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(Failure::Read(e)),
            };
        }
    }

    /// Keeps a local failure for [`Sending::failure`]; the error stops the request.
    fn fail(&mut self, f: Failure) -> io::Error {
        let e = io::Error::other(f.to_string());
        self.failure = Some(f);
        e
    }

    /// The local failure, if the data could not be sent as announced.
    pub(crate) fn failure(&mut self, what: &str) -> Option<Error> {
        let hint = self.hint;
        self.failure.take().map(|f| f.into_error(what, hint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_all(data: &mut Data) -> Result<Vec<u8>> {
        let mut sending = data.open("test")?;
        let mut sent = Vec::new();
        let outcome = sending.read_to_end(&mut sent);
        match sending.failure("test") {
            Some(e) => Err(e),
            None => outcome.map(|_| sent).map_err(|e| Error::new(Status::ConnectFailed, e.to_string())),
        }
    }

    #[test]
    fn a_source_is_checked_against_the_length_announced() {
        assert_eq!(send_all(&mut Data::reader(&b"abcdef"[..], Some(6))).unwrap(), b"abcdef");
        assert_eq!(send_all(&mut Data::reader(&b"abcdef"[..], None)).unwrap(), b"abcdef");
        let e = send_all(&mut Data::reader(&b"abc"[..], Some(6))).unwrap_err();
        assert_eq!(e.status, Status::IoError);
        assert!(e.message.starts_with("test: the data ended after 3 of the 6 bytes announced"), "{}", e.message);
        let e = send_all(&mut Data::reader(&b"abcdefg"[..], Some(6))).unwrap_err();
        assert!(e.message.starts_with("test: the data has more than the 6 bytes announced"), "{}", e.message);
    }

    #[test]
    fn an_empty_body_announced_is_checked_before_anything_is_sent() {
        assert!(Data::reader(&b""[..], Some(0)).open("test").is_ok());
        let e = Data::reader(&b"x"[..], Some(0)).open("test").err().unwrap();
        assert_eq!(e.status, Status::IoError);
        assert!(e.message.contains("more than the 0 bytes announced"), "{}", e.message);
    }

    #[test]
    fn a_reader_claiming_more_than_its_buffer_is_a_local_error() {
        struct Liar;
        impl Read for Liar {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
        }
        let e = send_all(&mut Data::reader(Liar, None)).unwrap_err();
        assert_eq!(e.status, Status::IoError);
        assert!(e.message.contains("claimed more bytes"), "{}", e.message);
    }
}
