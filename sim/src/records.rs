//! The data records an operation renders: read from the job's data file (CSV with a header line;
//! any other text gives one record per line), or made from the record or job IDs the
//! configuration lists. See docs/simulator.md, "Output".

/// Most records rendered as pages of one operation; the rest are counted on a closing page.
pub const MAX_RENDERED: usize = 10_000;
/// Most fields shown for one record, and most characters of a field's value.
const MAX_FIELDS: usize = 48;
const MAX_VALUE_CHARS: usize = 80;

/// The records of one operation: field names and the first [`MAX_RENDERED`] rows.
#[derive(Debug, Default)]
pub struct Records {
    /// Where they came from (a data file name or "record IDs"), shown on every page.
    pub source: String,
    pub fields: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// How many records there are in all (`rows` holds at most [`MAX_RENDERED`]).
    pub total: usize,
}

fn clip(value: &str) -> String {
    let value = value.trim();
    match value.char_indices().nth(MAX_VALUE_CHARS) {
        Some((cut, _)) => format!("{}...", &value[..cut]),
        None => value.to_string(),
    }
}

/// The delimiter of a CSV header line: `;` or a tab when they, and no comma, appear in it.
fn delimiter(header: &[u8]) -> u8 {
    let has = |c| header.contains(&c);
    if has(b',') {
        b','
    } else if has(b';') {
        b';'
    } else if has(b'\t') {
        b'\t'
    } else {
        b','
    }
}

impl Records {
    /// Reads a data file: the first line names the fields, every further non-empty line is a record.
    pub fn from_data(source: &str, data: &[u8]) -> Records {
        // A byte order mark (CSV files saved by spreadsheet programs) is not part of the first field.
        let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
        let header_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter(&data[..header_end]))
            .flexible(true)
            .has_headers(true)
            .from_reader(data);
        let fields: Vec<String> = match reader.byte_headers() {
            Ok(h) => h.iter().map(|f| clip(&String::from_utf8_lossy(f))).collect(),
            Err(_) => Vec::new(),
        };
        let mut rows = Vec::new();
        let mut total = 0;
        let mut record = csv::ByteRecord::new();
        // A malformed line ends the records (the CSV reader cannot resynchronise after it).
        while let Ok(true) = reader.read_byte_record(&mut record) {
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            total += 1;
            if rows.len() < MAX_RENDERED {
                rows.push(record.iter().take(MAX_FIELDS).map(|f| clip(&String::from_utf8_lossy(f))).collect());
            }
        }
        Records { source: source.to_string(), fields, rows, total }
    }

    /// One record per ID (`contentcreation.identifiers` or `outputcreation.identifiers`).
    pub fn from_ids(label: &str, ids: &[String]) -> Records {
        Records {
            source: format!("{label}s"),
            fields: vec![label.to_string()],
            rows: ids.iter().take(MAX_RENDERED).map(|id| vec![clip(id)]).collect(),
            total: ids.len(),
        }
    }

    /// The lines that show record `index` (0-based): a title, then `field: value` lines.
    pub fn page_lines(&self, index: usize) -> Vec<String> {
        let row = &self.rows[index];
        let mut lines = vec![format!("Record {} of {} ({})", index + 1, self.total, self.source)];
        for (i, value) in row.iter().enumerate() {
            let name =
                self.fields.get(i).filter(|f| !f.is_empty()).cloned().unwrap_or_else(|| format!("field {}", i + 1));
            lines.push(format!("{name}: {value}"));
        }
        if self.fields.len() > MAX_FIELDS {
            lines.push(format!("({} more fields not shown)", self.fields.len() - MAX_FIELDS));
        }
        lines
    }

    /// The lines of the page that closes the rendering when records were left out.
    pub fn overflow_lines(&self) -> Option<Vec<String>> {
        (self.total > self.rows.len()).then(|| {
            vec![
                format!("{} more records not rendered", self.total - self.rows.len()),
                format!("(the simulator renders at most {MAX_RENDERED} records per operation)"),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_with_quotes_semicolons_and_blank_lines() {
        let r = Records::from_data("a.csv", b"id,name,note\n1,Alice,\"x, \"\"y\"\"\"\n\n2,Bob\n");
        assert_eq!(r.fields, ["id", "name", "note"]);
        assert_eq!(r.rows, [vec!["1", "Alice", "x, \"y\""], vec!["2", "Bob"]]);
        assert_eq!(r.total, 2);
        assert_eq!(r.page_lines(1), ["Record 2 of 2 (a.csv)", "id: 2", "name: Bob"]);
        let r = Records::from_data("b.csv", b"id;name\r\n1;A\r\n");
        assert_eq!((r.fields.len(), r.rows[0].len()), (2, 2));
        let r = Records::from_data("bom.csv", b"\xef\xbb\xbfid,name\n1,A\n");
        assert_eq!(r.fields, ["id", "name"]);
    }

    #[test]
    fn rendering_is_bounded_whatever_the_data() {
        let mut data = b"v\n".to_vec();
        for i in 0..(MAX_RENDERED + 5) {
            data.extend_from_slice(format!("{i}\n").as_bytes());
        }
        let r = Records::from_data("big.csv", &data);
        assert_eq!((r.rows.len(), r.total), (MAX_RENDERED, MAX_RENDERED + 5));
        assert!(r.overflow_lines().unwrap()[0].starts_with("5 more records"));
        let long = format!("f\n{}\n", "é".repeat(500));
        let r = Records::from_data("long.csv", long.as_bytes());
        assert_eq!(r.rows[0][0].chars().count(), MAX_VALUE_CHARS + 3);
        let r = Records::from_data("bin", &[0xff, 0xfe, b'\n', 0, 1, 2]);
        assert_eq!(r.total, 1);
        assert!(Records::from_data("empty", b"").rows.is_empty());
    }
}
