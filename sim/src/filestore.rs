//! The simulated File Store: the demo resources that configurations name, and the managed
//! output folders of finished operations.

use crate::output::{spool_part, zip_body, Body, Part};
use crate::settings::Settings;
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
}

enum Content {
    Text(String),
    /// A managed output folder: file names, each a spool file of this size.
    Spool {
        files: Vec<String>,
        size: u64,
    },
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
        let content = Content::Text(String::from_utf8_lossy(data).into_owned());
        self.entries.push(Entry { id, name: name.to_string(), kind: ResourceKind::DataFile, content });
        id
    }

    /// Registers the managed output folder of an operation; returns its id.
    pub fn add_output_folder(&mut self, name: &str, files: Vec<String>, size: u64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let content = Content::Spool { files, size };
        self.entries.push(Entry { id, name: name.to_string(), kind: ResourceKind::Folder, content });
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
        let spool = |size| spool_part(size, settings.output_file.as_ref());
        match (&entry.content, rel) {
            (Content::Text(t), None) => {
                Some(Ok((Body::Bytes(t.clone().into_bytes()), entry.name.clone(), "application/octet-stream")))
            }
            (Content::Text(_), Some(_)) => None,
            (Content::Spool { files, size }, Some(rel)) => {
                let name = files.iter().find(|f| f.as_str() == rel)?;
                Some(spool(*size).map(|p| (Body::Parts(vec![p]), name.clone(), "application/octet-stream")))
            }
            (Content::Spool { files, size }, None) => {
                let zipped = files
                    .iter()
                    .map(|f| spool(*size).map(|p| (f.clone(), p)))
                    .collect::<io::Result<Vec<(String, Part)>>>()
                    .and_then(zip_body);
                Some(zipped.map(|b| (b, format!("{}.zip", entry.name), "application/zip")))
            }
        }
    }
}
