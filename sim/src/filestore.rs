//! The simulated File Store: the demo resources that configurations name, and the managed
//! output folders of finished operations.

use crate::output::{zip_body, Body, Part};
use crate::settings::Settings;
use crate::spool::Spool;
use std::io;

/// What kind of resource an entry is, by its file name extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    DataFile,
    DataMapper,
    Template,
    JobPreset,
    OutputPreset,
    Folder,
}

pub struct Entry {
    pub id: u64,
    pub name: String,
    pub kind: ResourceKind,
    content: Content,
    /// Uploads only: when it arrived and whether it survives the clean-up.
    uploaded: Option<(std::time::Instant, bool)>,
}

enum Content {
    Text(String),
    /// An upload, byte for byte.
    Bytes(Vec<u8>),
    /// A managed output folder: the spool files of an operation.
    Spool(Spool),
}

impl Entry {
    /// The bytes of a data file or upload (empty for a folder).
    pub fn data(&self) -> &[u8] {
        match &self.content {
            Content::Text(t) => t.as_bytes(),
            Content::Bytes(b) => b,
            Content::Spool(_) => &[],
        }
    }
}

/// Names and ids of the demo resources, listed by `--help`.
pub const DEMO: &[(u64, &str, &str)] = &[
    (1001, "invoices.csv", "data file"),
    (1002, "Invoice.OL-datamapper", "data mapping configuration"),
    (1003, "Invoice.OL-template", "template"),
    (1004, "Invoice.OL-jobpreset", "job creation preset"),
    (1005, "Invoice-PDF.OL-outputpreset", "output preset: one PDF spool file"),
    (1006, "Invoice-Split.OL-outputpreset", "output preset: three PDF spool files"),
    (1007, "Invoice-AFP.OL-outputpreset", "output preset: one AFP spool file"),
];

pub struct FileStore {
    entries: Vec<Entry>,
    next_id: u64,
}

fn kind_of(name: &str) -> ResourceKind {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".ol-datamapper") {
        ResourceKind::DataMapper
    } else if lower.ends_with(".ol-template") {
        ResourceKind::Template
    } else if lower.ends_with(".ol-jobpreset") {
        ResourceKind::JobPreset
    } else if lower.ends_with(".ol-outputpreset") {
        ResourceKind::OutputPreset
    } else {
        ResourceKind::DataFile
    }
}

impl FileStore {
    pub fn demo() -> FileStore {
        let entries = DEMO
            .iter()
            .map(|&(id, name, what)| Entry {
                id,
                name: name.to_string(),
                kind: kind_of(name),
                uploaded: None,
                content: Content::Text(if name.ends_with(".csv") {
                    "id,name,amount\n1,Alice,10.00\n2,Bob,20.00\n3,Carol,30.00\n".to_string()
                } else {
                    format!("simulated {what}: {name}\n")
                }),
            })
            .collect();
        FileStore { entries, next_id: 5000 }
    }

    /// Finds an entry by numeric Managed File ID or by name.
    pub fn find(&self, reference: &str) -> Option<&Entry> {
        match reference.parse::<u64>() {
            Ok(id) => self.entries.iter().find(|e| e.id == id),
            Err(_) => self.entries.iter().find(|e| e.name == reference),
        }
    }

    /// Whether `reference` names a resource of `kind`.
    pub fn has(&self, reference: &str, kind: ResourceKind) -> bool {
        self.find(reference).is_some_and(|e| e.kind == kind)
    }

    /// Stores a data file uploaded with an ad-hoc request; returns its id.
    pub fn add_data_file(&mut self, name: &str, data: &[u8]) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let content = Content::Bytes(data.to_vec());
        self.entries.push(Entry { id, name: name.to_string(), kind: ResourceKind::DataFile, content, uploaded: None });
        id
    }

    fn upload_bytes(&self) -> u64 {
        self.entries.iter().map(|e| if let Content::Bytes(b) = &e.content { b.len() as u64 } else { 0 }).sum()
    }

    /// Stores an upload (`POST /filestore/{kind}`); `None` when the store is over `limit`.
    pub fn add_upload(
        &mut self,
        name: &str,
        kind: ResourceKind,
        data: Vec<u8>,
        persistent: bool,
        limit: u64,
    ) -> Option<u64> {
        if self.upload_bytes() + data.len() as u64 > limit {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        let uploaded = Some((std::time::Instant::now(), persistent));
        self.entries.push(Entry { id, name: name.to_string(), kind, content: Content::Bytes(data), uploaded });
        Some(id)
    }

    fn in_use(entry: &Entry, running: &[String]) -> bool {
        running.iter().any(|r| *r == entry.name || *r == entry.id.to_string())
    }

    /// Deletes an entry: `None` when unknown, `Some(false)` when a running operation needs it.
    pub fn delete(&mut self, reference: &str, running: &[String]) -> Option<bool> {
        let entry = self.find(reference)?;
        if Self::in_use(entry, running) {
            return Some(false);
        }
        let id = entry.id;
        self.entries.retain(|e| e.id != id);
        Some(true)
    }

    /// The Clean-Up Service: removes non-persistent uploads older than `after` that no running
    /// operation uses.
    pub fn clean_up(&mut self, after: Option<std::time::Duration>, running: &[String]) {
        let Some(after) = after else { return };
        self.entries.retain(|e| match e.uploaded {
            Some((at, false)) => at.elapsed() < after || Self::in_use(e, running),
            _ => true,
        });
    }

    /// Registers the managed output folder of an operation; returns its id.
    pub fn add_output_folder(&mut self, name: &str, spool: Spool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let content = Content::Spool(spool);
        self.entries.push(Entry { id, name: name.to_string(), kind: ResourceKind::Folder, content, uploaded: None });
        id
    }

    /// `GET /rest/serverengine/filestore/file/{id}[/{relPath}]`: a file, or a folder as a ZIP.
    pub fn download(
        &self,
        reference: &str,
        rel: Option<&str>,
        settings: &Settings,
    ) -> Option<io::Result<(Body, String, &'static str)>> {
        let entry = self.find(reference)?;
        match (&entry.content, rel) {
            (Content::Text(t), None) => {
                Some(Ok((Body::Bytes(t.clone().into_bytes()), entry.name.clone(), "application/octet-stream")))
            }
            (Content::Bytes(b), None) => {
                Some(Ok((Body::Bytes(b.clone()), entry.name.clone(), "application/octet-stream")))
            }
            (Content::Text(_) | Content::Bytes(_), Some(_)) => None,
            (Content::Spool(spool), Some(rel)) => {
                let index = spool.names().iter().position(|f| f.as_str() == rel)?;
                let name = rel.to_string();
                Some(spool.content(index, settings).map(|p| (Body::Parts(vec![p]), name, "application/octet-stream")))
            }
            (Content::Spool(spool), None) => {
                let zipped = spool
                    .names()
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| spool.content(i, settings).map(|p| (f, p)))
                    .collect::<io::Result<Vec<(String, Part)>>>()
                    .and_then(zip_body);
                Some(zipped.map(|b| (b, format!("{}.zip", entry.name), "application/zip")))
            }
        }
    }
}
