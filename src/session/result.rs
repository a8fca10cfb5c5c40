//! What `getResult` returned: the body and what the `X-Result-Type` and `X-*-Set-ID` headers
//! (docs/rest-api.md, "Result headers") say about it, with the path list of a multi-file result.

use crate::error::{Error, Result, Status};
use std::ffi::CStr;

macro_rules! result_type_table {
    ($($value:literal $variant:ident $c_name:ident [$($header:literal)?] $doc:literal;)*) => {
        /// What the body of a result holds, from its `X-Result-Type` header. Exported to C as
        /// `wf_result_type` (same numbers; the C names are those of src/session/result_type_table.rs).
        #[repr(i32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ResultType {
            $(#[doc = $doc] $variant = $value,)*
        }

        impl ResultType {
            /// The type an `X-Result-Type` value names (case-insensitive); `Unknown` for others.
            pub fn from_header(value: Option<&str>) -> ResultType {
                let Some(v) = value else { return ResultType::Unknown };
                let v = v.trim();
                $($(if v.eq_ignore_ascii_case($header) {
                    return ResultType::$variant;
                })?)*
                ResultType::Unknown
            }

            /// Every type with its C name, in the table's order.
            pub fn all() -> &'static [(ResultType, &'static str)] {
                &[$((ResultType::$variant, stringify!($c_name)),)*]
            }
        }
    };
}

include!("result_type_table.rs");

/// Which result endpoint a kept body came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResultEndpoint {
    Result,
    ResultText,
    ManagedResult,
}

impl ResultEndpoint {
    pub(crate) fn verb(self) -> &'static str {
        match self {
            ResultEndpoint::Result => "getResult",
            ResultEndpoint::ResultText => "getResultTxt",
            ResultEndpoint::ManagedResult => "getManagedResult",
        }
    }
}

/// The headers of a result response that describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultMeta {
    pub result_type: ResultType,
    pub data_set_id: Option<i64>,
    pub content_set_id: Option<i64>,
    pub job_set_id: Option<i64>,
}

impl ResultMeta {
    pub fn from_headers(header: impl Fn(&str) -> Option<String>) -> ResultMeta {
        let id = |name: &str| header(name).and_then(|v| v.trim().parse::<i64>().ok());
        ResultMeta {
            result_type: ResultType::from_header(header("X-Result-Type").as_deref()),
            data_set_id: id("X-Data-Set-ID"),
            content_set_id: id("X-Content-Set-ID"),
            job_set_id: id("X-Job-Set-ID"),
        }
    }
}

/// A fetched result, owned by the caller.
#[derive(Clone, Debug)]
pub struct OperationResult {
    pub data: Vec<u8>,
    pub meta: ResultMeta,
}

/// Most paths a path list may have (`WF_MAX_PATHS`); a longer list is refused.
pub(crate) const MAX_PATHS: usize = 1_000_000;
/// Without `X-Result-Type`, only a body up to this size is looked at as a possible path list.
const UNTYPED_PATH_LIST_LIMIT: usize = 1 << 20;

impl OperationResult {
    pub fn new(data: Vec<u8>, meta: ResultMeta) -> OperationResult {
        OperationResult { data, meta }
    }

    /// The absolute paths when the body is a path list (type `OutputPaths`, or no type and a
    /// short text body made only of absolute paths, as servers before 2023.1 send), else an
    /// empty list. Parsed on demand: a body kept for the buffer protocol is never parsed.
    pub fn paths(&self) -> Result<PathList> {
        match self.meta.result_type {
            ResultType::OutputPaths => PathList::parse(&self.data),
            ResultType::Unknown if self.data.len() <= UNTYPED_PATH_LIST_LIMIT => {
                let list = PathList::parse(&self.data)?;
                let all_absolute = !list.is_empty() && list.iter().all(is_absolute_path);
                Ok(if all_absolute { list } else { PathList::default() })
            }
            _ => Ok(PathList::default()),
        }
    }
}

fn is_absolute_path(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with('/')
        || p.starts_with("\\\\")
        || (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
}

/// A list of paths stored compactly: all of them in one buffer, each followed by a NUL (so each
/// is also a C string), plus where each starts. At most four times the size of the body it was
/// parsed from, however short the paths.
#[derive(Clone, Debug, Default)]
pub struct PathList {
    text: Vec<u8>,
    starts: Vec<u32>,
}

impl PathList {
    /// Splits a path list on commas and line breaks, trimming spaces; empty if the body is not
    /// text (not UTF-8, or has a NUL).
    pub fn parse(body: &[u8]) -> Result<PathList> {
        let Ok(text) = std::str::from_utf8(body) else { return Ok(PathList::default()) };
        if text.contains('\0') {
            return Ok(PathList::default());
        }
        let pieces = || {
            text.split([',', '\r', '\n'])
                .map(|p| p.trim_matches(|c: char| c == ' ' || c == '\t'))
                .filter(|p| !p.is_empty())
        };
        // Sized exactly before filling, so that nothing grows past what the list needs.
        let (count, bytes) = pieces().fold((0usize, 0usize), |(n, b), p| (n + 1, b + p.len() + 1));
        if count > MAX_PATHS {
            return Err(Error::new(
                Status::UnexpectedResponse,
                format!("the result lists more than {MAX_PATHS} paths, more than a path list may have"),
            ));
        }
        if u32::try_from(bytes).is_err() {
            return Err(Error::new(
                Status::UnexpectedResponse,
                "the path list is over 4 GiB, more than a path list may hold",
            ));
        }
        let oom = |_| Error::new(Status::OutOfMemory, format!("not enough memory for a list of {count} paths"));
        let mut list = PathList::default();
        list.text.try_reserve_exact(bytes).map_err(oom)?;
        list.starts.try_reserve_exact(count).map_err(oom)?;
        for p in pieces() {
            list.starts.push(list.text.len() as u32);
            list.text.extend_from_slice(p.as_bytes());
            list.text.push(0);
        }
        Ok(list)
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Path `index` as a C string (valid as long as the list).
    pub fn get_c(&self, index: usize) -> Option<&CStr> {
        let start = *self.starts.get(index)? as usize;
        CStr::from_bytes_until_nul(&self.text[start..]).ok()
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        self.get_c(index).and_then(|c| c.to_str().ok())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(t: Option<&str>) -> ResultMeta {
        ResultMeta::from_headers(|name| match name {
            "X-Result-Type" => t.map(str::to_string),
            "X-Job-Set-ID" => Some(" 42 ".into()),
            "X-Data-Set-ID" => Some("nope".into()),
            _ => None,
        })
    }

    #[test]
    fn headers_give_type_and_ids() {
        let m = meta(Some("Output-Local-Filepath"));
        assert_eq!(m.result_type, ResultType::OutputPaths);
        assert_eq!((m.data_set_id, m.content_set_id, m.job_set_id), (None, None, Some(42)));
        assert_eq!(meta(Some("output-streamed")).result_type, ResultType::OutputStreamed);
        assert_eq!(meta(Some("Something-Else")).result_type, ResultType::Unknown);
    }

    #[test]
    fn path_lists_tolerate_spaces_and_line_breaks() {
        let r =
            OperationResult::new(b" /a/b.pdf ,/c/d.pdf\r\n/e f.pdf,\n".to_vec(), meta(Some("Output-Local-Filepath")));
        assert_eq!(r.paths().unwrap().iter().collect::<Vec<_>>(), ["/a/b.pdf", "/c/d.pdf", "/e f.pdf"]);
        let r = OperationResult::new(b"C:\\out\\a.pdf,C:\\out\\b.pdf".to_vec(), meta(None));
        assert_eq!(r.paths().unwrap().iter().collect::<Vec<_>>(), ["C:\\out\\a.pdf", "C:\\out\\b.pdf"]);
    }

    #[test]
    fn ids_and_spool_bytes_are_not_paths() {
        assert!(OperationResult::new(b"1234".to_vec(), meta(None)).paths().unwrap().is_empty());
        assert!(OperationResult::new(b"%PDF-1.7 /x".to_vec(), meta(None)).paths().unwrap().is_empty());
        assert!(OperationResult::new(b"/a.pdf".to_vec(), meta(Some("Output-Streamed"))).paths().unwrap().is_empty());
        assert!(OperationResult::new(vec![0xff, b'/'], meta(None)).paths().unwrap().is_empty());
    }

    #[test]
    fn path_lists_are_capped() {
        let many = "a\n".repeat(MAX_PATHS + 1);
        let e = OperationResult::new(many.into_bytes(), meta(Some("Output-Local-Filepath"))).paths().unwrap_err();
        assert_eq!(e.status, Status::UnexpectedResponse);
        let list = PathList::parse(b"a,bb\n").unwrap();
        assert_eq!((list.len(), list.get(1), list.get_c(0).unwrap().to_bytes()), (2, Some("bb"), &b"a"[..]));
        assert_eq!(list.get(2), None);
    }
}
