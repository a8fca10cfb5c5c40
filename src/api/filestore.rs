//! Bringing local data in (docs/rest-api.md, "File Store" and "Ad-hoc All-In-One"): uploads of
//! data files and resources to the File Store, delete and exists, and the ad-hoc All-In-One
//! call whose request body is the data file, run asynchronously (an operation id) or
//! synchronously (the result streamed to a file, a callback or memory).

use crate::api::fetch::Opened;
use crate::error::{Error, Result, Status};
use crate::session::client::Client;
use crate::session::data::Data;
use crate::session::request::{Call, Method, PRINT, SERVICE};
use crate::session::result::{OperationResult, PathList, ResultMeta};
use crate::session::retry::Kind;
use crate::session::tempfile::TempFile;
use crate::session::url::{encode_segment, Segment};
use crate::wire::body::{self, Count, TEXT_LIMIT};
use std::path::Path;

macro_rules! resource_kind_table {
    ($($value:literal $variant:ident $c_name:ident $endpoint:literal $content_type:literal $extension:literal $doc:literal;)*) => {
        /// What a File Store upload is. Exported to C as `wf_resource_kind` (same numbers; 0 there
        /// means "from the file name"; the C names are those of src/api/resource_kind_table.rs).
        #[repr(i32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ResourceKind {
            $(#[doc = $doc] $variant = $value,)*
        }

        impl ResourceKind {
            /// The upload endpoint under `/filestore/`.
            fn endpoint(self) -> &'static str {
                match self { $(ResourceKind::$variant => $endpoint,)* }
            }

            fn content_type(self) -> &'static str {
                match self { $(ResourceKind::$variant => $content_type,)* }
            }

            /// The kind a file name's extension selects (any case); a data file otherwise.
            pub fn from_file_name(name: &str) -> ResourceKind {
                let lower = name.to_ascii_lowercase();
                $(if !$extension.is_empty() && lower.ends_with($extension) {
                    return ResourceKind::$variant;
                })*
                ResourceKind::DataFile
            }

            /// The kind with this C number (0 is not one: it means "from the name").
            pub fn from_number(n: i32) -> Option<ResourceKind> {
                match n { $($value => Some(ResourceKind::$variant),)* _ => None }
            }

            /// Every kind with its C name, in the table's order.
            pub fn all() -> &'static [(ResourceKind, &'static str)] {
                &[$((ResourceKind::$variant, stringify!($c_name)),)*]
            }
        }
    };
}

include!("resource_kind_table.rs");

/// An ad-hoc All-In-One job: the resources by File Store id or name, and the options of the call.
#[derive(Clone, Debug, Default)]
pub struct Adhoc<'a> {
    pub data_mapping: &'a str,
    pub template: &'a str,
    /// None (or "0"): no job creation preset.
    pub job_preset: Option<&'a str>,
    pub output_preset: &'a str,
    /// Create the output on the server only, not sending it to its final destination.
    pub create_only: bool,
    /// Print only this range of records (e.g. "1-5,8").
    pub print_range: Option<&'a str>,
    /// The name to give the data file on the server.
    pub filename: Option<&'a str>,
    /// Synchronous runs: the result as text (paths) instead of the spool file content.
    pub result_as_text: bool,
}

/// Percent-encodes a query value; refuses what no server should receive in one.
fn query_value(value: &str, what: &str) -> Result<String> {
    if value.is_empty() || value.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(format!(
            "the {what} is empty or has control characters: refused, nothing was sent"
        )));
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// Refuses data known to be empty before anything is sent (2023.2+ servers answer 400).
fn check_not_empty(data: &Data, what: &str) -> Result<()> {
    if data.length() == Some(0) {
        return Err(Error::invalid(format!("the data of the {what} is empty: refused, nothing was sent")));
    }
    Ok(())
}

impl Client {
    /// Uploads a data file or a resource to the File Store; returns its Managed File ID (or name,
    /// as the server gives it). `kind` None chooses from the file name (`filename`, else the
    /// file's own name). Streamed: memory stays constant whatever the size.
    pub fn upload(
        &self,
        kind: Option<ResourceKind>,
        data: &mut Data,
        filename: Option<&str>,
        persistent: bool,
    ) -> Result<String> {
        self.call(|| {
            check_not_empty(data, "upload")?;
            let name = filename.map(str::to_string).or_else(|| data.file_name());
            let kind =
                kind.unwrap_or_else(|| name.as_deref().map_or(ResourceKind::DataFile, ResourceKind::from_file_name));
            let mut path = format!("{SERVICE}/filestore/{}?persistent={persistent}", kind.endpoint());
            if let Some(n) = &name {
                path.push_str(&format!("&filename={}", query_value(n, "file name")?));
            }
            let label = name.as_deref().unwrap_or("unnamed");
            let call =
                Call::new(format!("upload of '{label}'"), Method::Post, path).accept("text/plain").kind(Kind::Upload);
            let _slot = self.slot()?;
            let mut resp = self.send_upload(&call, data, kind.content_type())?;
            let body = body::read_all(&call.what, &mut resp, TEXT_LIMIT, Count::Not)?;
            let id = String::from_utf8_lossy(&body).trim().to_string();
            if id.is_empty() || id.chars().any(|c| c.is_control()) {
                return Err(Error::new(
                    Status::UnexpectedResponse,
                    format!("{}: the server answered without a usable id", call.what),
                ));
            }
            Ok(id)
        })
    }

    /// Deletes a managed file or folder (`/filestore/delete/{id}`); the server's true or false.
    /// A file still required by OL Connect is `BadRequest` (2023.2+), an unknown one `NotFound`.
    pub fn delete_managed(&self, file_id: &str) -> Result<bool> {
        self.call(|| {
            let segment = encode_segment(file_id, "managed file id", Segment::FileStoreName)?;
            let call = Call::new(
                format!("delete of managed file '{file_id}'"),
                Method::Get,
                format!("{SERVICE}/filestore/delete/{segment}"),
            )
            .accept("text/plain")
            .kind(Kind::Delete);
            let _slot = self.slot()?;
            let body = self.send_read(&call, TEXT_LIMIT)?;
            let answer = String::from_utf8_lossy(&body);
            match answer.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Error::new(
                    Status::UnexpectedResponse,
                    format!("{}: the answer '{}' is neither true nor false", call.what, self.quote(&answer)),
                )),
            }
        })
    }

    /// Whether a managed file or folder exists (`HEAD /filestore/file/{id}`, servers 2023.2+).
    pub fn managed_exists(&self, file_id: &str) -> Result<bool> {
        self.call(|| {
            let segment = encode_segment(file_id, "managed file id", Segment::FileStoreName)?;
            let call = Call::new(
                format!("exists of managed file '{file_id}'"),
                Method::Head,
                format!("{SERVICE}/filestore/file/{segment}"),
            )
            .kind(Kind::Exists);
            let _slot = self.slot()?;
            match self.send(&call) {
                Ok(_) => Ok(true),
                Err(e) if e.status == Status::NotFound => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    fn adhoc_call(job: &Adhoc, asynchronous: bool) -> Result<Call<'static>> {
        let seg = |v: &str, what: &str| encode_segment(v, what, Segment::FileStoreName);
        let job_preset = job.job_preset.filter(|p| !p.is_empty()).unwrap_or("0");
        let mut path = format!(
            "{PRINT}/{}/{}/{}/{}?async={asynchronous}&createOnly={}&resultAsTxt={}",
            seg(job.data_mapping, "data mapping configuration")?,
            seg(job.template, "template")?,
            seg(job_preset, "job creation preset")?,
            seg(job.output_preset, "output creation preset")?,
            job.create_only,
            !asynchronous && job.result_as_text,
        );
        if let Some(range) = job.print_range {
            path.push_str(&format!("&printRange={}", query_value(range, "print range")?));
        }
        if let Some(name) = job.filename {
            path.push_str(&format!("&filename={}", query_value(name, "file name")?));
        }
        Ok(Call::new("ad-hoc All-In-One", Method::Post, path).kind(Kind::Adhoc))
    }

    /// Starts an ad-hoc All-In-One job on `data`; returns the operation id (then wait, fetch
    /// and cancel work as for a submitted job).
    pub fn submit_adhoc(&self, job: &Adhoc, data: &mut Data) -> Result<String> {
        self.call(|| {
            check_not_empty(data, "ad-hoc job")?;
            let call = Self::adhoc_call(job, true)?;
            let _slot = self.slot()?;
            let mut resp = self.send_upload(&call, data, "application/octet-stream")?;
            let _ = body::read_prefix(&mut resp, 1024 * 1024);
            crate::api::workflow::operation_id(&resp, "ad-hoc All-In-One")
        })
    }

    /// Runs an ad-hoc job synchronously and streams its result to `dest`, through a temporary
    /// file renamed only when complete (checked before anything is sent).
    pub fn run_adhoc_to_file(&self, job: &Adhoc, data: &mut Data, dest: &Path) -> Result<(u64, ResultMeta)> {
        self.call(|| {
            check_not_empty(data, "ad-hoc job")?;
            let call = Self::adhoc_call(job, false)?;
            let temp = TempFile::create(dest, self.durable_files())?;
            let _slot = self.slot()?;
            let resp = self.send_upload(&call, data, "application/octet-stream")?;
            self.save(Opened::Live(call.what, resp), "ad-hoc All-In-One", temp, dest)
        })
    }

    /// Runs an ad-hoc job synchronously and hands its result to `sink` (false stops).
    pub fn run_adhoc_stream(&self, job: &Adhoc, data: &mut Data, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<u64> {
        self.call(|| {
            check_not_empty(data, "ad-hoc job")?;
            let call = Self::adhoc_call(job, false)?;
            let _slot = self.slot()?;
            let resp = self.send_upload(&call, data, "application/octet-stream")?;
            self.deliver(Opened::Live(call.what, resp), "ad-hoc All-In-One", sink)
        })
    }

    /// Runs an ad-hoc job synchronously and gives its whole result in memory.
    pub fn run_adhoc(&self, job: &Adhoc, data: &mut Data) -> Result<OperationResult> {
        self.call(|| self.read_adhoc(job, data))
    }

    /// Runs an ad-hoc job synchronously and gives its whole result in memory with its path list
    /// (`wf_run_adhoc_ex`). The job ran, and no server can give its result again: when the path
    /// list cannot be built, the body is kept under an operation id of the client's own (with a
    /// space, unlike any server's), which the error names, for the result calls to fetch.
    pub fn run_adhoc_with_paths(&self, job: &Adhoc, data: &mut Data) -> Result<(OperationResult, PathList)> {
        self.call(|| {
            let result = self.read_adhoc(job, data)?;
            self.with_paths(result, || self.shared.kept.local_id("ad-hoc result"))
        })
    }

    fn read_adhoc(&self, job: &Adhoc, data: &mut Data) -> Result<OperationResult> {
        check_not_empty(data, "ad-hoc job")?;
        let call = Self::adhoc_call(job, false)?;
        let _slot = self.slot()?;
        let resp = self.send_upload(&call, data, "application/octet-stream")?;
        Opened::Live(call.what, resp).read_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_extension() {
        assert_eq!(ResourceKind::from_file_name("Invoice.OL-TEMPLATE"), ResourceKind::Template);
        assert_eq!(ResourceKind::from_file_name("a.ol-datamapper"), ResourceKind::DataMapping);
        assert_eq!(ResourceKind::from_file_name("invoices.csv"), ResourceKind::DataFile);
        assert_eq!(ResourceKind::from_number(5), Some(ResourceKind::OutputPreset));
        assert_eq!(ResourceKind::from_number(0), None);
    }

    #[test]
    fn query_values_are_encoded_or_refused() {
        assert_eq!(query_value("50% off.csv", "n").unwrap(), "50%25%20off.csv");
        assert!(query_value("", "n").is_err() && query_value("a\nb", "n").is_err());
    }
}
