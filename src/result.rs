//! What `getResult` returned: the body and what the `X-Result-Type` and `X-*-Set-ID` headers
//! (spec §6.6) say about it, with the path list of a multi-file result.

/// `X-Result-Type` (spec §6.6); numbers are those of the C `wf_result_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultType {
    Unknown = 0,
    DataSetId = 1,
    ContentSetId = 2,
    JobSetId = 3,
    OutputStreamed = 4,
    OutputPaths = 5,
    OutputManaged = 6,
}

impl ResultType {
    pub fn from_header(value: Option<&str>) -> ResultType {
        let Some(v) = value else { return ResultType::Unknown };
        match v.trim().to_ascii_lowercase().as_str() {
            "data-set-id" => ResultType::DataSetId,
            "content-set-id" => ResultType::ContentSetId,
            "job-set-id" => ResultType::JobSetId,
            "output-streamed" => ResultType::OutputStreamed,
            "output-local-filepath" => ResultType::OutputPaths,
            "output-managed-info" => ResultType::OutputManaged,
            _ => ResultType::Unknown,
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
    /// The absolute paths when the body is a path list, else empty.
    pub paths: Vec<String>,
}

impl OperationResult {
    pub fn new(data: Vec<u8>, meta: ResultMeta) -> OperationResult {
        let paths = match meta.result_type {
            ResultType::OutputPaths => split_paths(&data).unwrap_or_default(),
            // Without X-Result-Type (servers before 2023.1, or returnIdInHeader off), a short
            // text body made only of absolute paths is taken for a path list.
            ResultType::Unknown if data.len() <= 1 << 20 => split_paths(&data)
                .filter(|p| !p.is_empty() && p.iter().all(|p| is_absolute_path(p)))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        OperationResult { data, meta, paths }
    }
}

fn is_absolute_path(p: &str) -> bool {
    let b = p.as_bytes();
    p.starts_with('/')
        || p.starts_with("\\\\")
        || (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
}

/// Splits a path list on commas and line breaks, trimming spaces; `None` if the body is not
/// text (not UTF-8, or has a NUL).
pub fn split_paths(body: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(body).ok()?;
    if text.contains('\0') {
        return None;
    }
    Some(
        text.split([',', '\r', '\n'])
            .map(|p| p.trim_matches(|c: char| c == ' ' || c == '\t'))
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    )
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
        assert_eq!(r.paths, ["/a/b.pdf", "/c/d.pdf", "/e f.pdf"]);
        let r = OperationResult::new(b"C:\\out\\a.pdf,C:\\out\\b.pdf".to_vec(), meta(None));
        assert_eq!(r.paths, ["C:\\out\\a.pdf", "C:\\out\\b.pdf"]);
    }

    #[test]
    fn ids_and_spool_bytes_are_not_paths() {
        assert!(OperationResult::new(b"1234".to_vec(), meta(None)).paths.is_empty());
        assert!(OperationResult::new(b"%PDF-1.7 /x".to_vec(), meta(None)).paths.is_empty());
        assert!(OperationResult::new(b"/a.pdf".to_vec(), meta(Some("Output-Streamed"))).paths.is_empty());
        assert!(OperationResult::new(vec![0xff, b'/'], meta(None)).paths.is_empty());
    }
}
