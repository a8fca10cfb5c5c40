//! The spool files of an operation's output: their names, and the content of each one, made on
//! demand (PDF pages of the records, deterministic bytes, or an operator's file). See
//! docs/simulator.md, "Output".

use crate::output::Part;
use crate::pdf;
use crate::records::Records;
use crate::settings::{Settings, SpoolContent};
use std::io;
use std::sync::Arc;

/// Size of a generated spool file when none is requested (PDFs are then as long as their pages).
pub const DEFAULT_SIZE: u64 = 256 * 1024;

/// The output format an output preset produces, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Afp,
    PostScript,
}

impl Format {
    pub fn of_preset(name: &str) -> Format {
        let name = name.to_ascii_lowercase();
        if name.contains("afp") {
            Format::Afp
        } else if name.contains("ps") && !name.contains("pdf") {
            Format::PostScript
        } else {
            Format::Pdf
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Afp => "afp",
            Format::PostScript => "ps",
        }
    }
}

/// What an operation's output creation produces.
#[derive(Clone, Debug)]
pub struct Spool {
    pub format: Format,
    pub files: usize,
    /// The requested size of each file (`sim_output_size`, or the `output_size` setting).
    pub size: Option<u64>,
    pub records: Arc<Records>,
    /// Shown as the PDF's title: the operation id.
    pub title: String,
    /// Whether PDFs render the records (the `spool_content` setting when the operation started).
    pub render: bool,
}

impl Spool {
    pub fn new(
        format: Format,
        files: usize,
        size: Option<u64>,
        records: Records,
        title: &str,
        settings: &Settings,
    ) -> Spool {
        Spool {
            format,
            files: files.max(1),
            size,
            records: Arc::new(records),
            title: title.to_string(),
            render: settings.spool_content == SpoolContent::Pdf,
        }
    }

    /// The name of spool file `index` (0-based): `job_0001.pdf`, ...
    pub fn name(&self, index: usize) -> String {
        format!("job_{:04}.{}", index + 1, self.format.extension())
    }

    pub fn names(&self) -> Vec<String> {
        (0..self.files).map(|i| self.name(i)).collect()
    }

    /// The content of spool file `index` (0-based): the operator's `output_file` if set; else a PDF
    /// of this file's share of the records; else `size` deterministic bytes.
    pub fn content(&self, index: usize, settings: &Settings) -> io::Result<Part> {
        if let Some(path) = &settings.output_file {
            let len = std::fs::metadata(path)?.len();
            return Ok(Part::File(path.clone(), len));
        }
        if self.format != Format::Pdf || !self.render {
            return Ok(Part::Generated(self.size.unwrap_or(DEFAULT_SIZE)));
        }
        // The records are shared out in order: file i gets rows [i*n/files, (i+1)*n/files).
        let n = self.records.rows.len();
        let (from, to) = (index * n / self.files, (index + 1) * n / self.files);
        let mut pages: Vec<Vec<String>> = (from..to).map(|i| self.records.page_lines(i)).collect();
        if index + 1 == self.files {
            pages.extend(self.records.overflow_lines());
        }
        if pages.is_empty() {
            pages.push(vec![format!("No records in spool file {} of {}", index + 1, self.files)]);
        }
        let title = format!("{} ({})", self.title, self.name(index));
        Ok(Part::Seq(pdf::document(&title, &pages, self.size)))
    }
}
