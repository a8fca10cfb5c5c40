//! What PDF output presets produce (docs/simulator.md, "Output"): a PDF per spool file whose
//! pages are the job's data records, the requested size exactly, and the same documents through
//! every way a client can fetch them. tests/sim/run.sh opens them with poppler and qpdf.

mod common;

use common::*;
use olconnect_sim::{Settings, Simulator};
use std::time::Duration;

fn sim() -> Simulator {
    Simulator::start(Settings { op_duration: Duration::ZERO, ..Default::default() }).unwrap()
}

fn job(data: &str, preset: &str, parameters: &str) -> String {
    format!(
        r#"{{"datamining":{{"identifier":"{data}","config":"Invoice.OL-datamapper"}},"contentcreation":{{"config":"Invoice.OL-template"}},"jobcreation":{{}},"outputcreation":{{"config":"{preset}","parameters":{{{parameters}}}}}}}"#
    )
}

/// The page count of the page tree, after checking that the cross-reference table points at
/// every object.
fn pages(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-1.4\n") && pdf.ends_with(b"%%EOF\n"), "a PDF");
    let tail = String::from_utf8_lossy(&pdf[pdf.len() - 40..]).into_owned();
    let xref: usize = tail.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
    let table = std::str::from_utf8(&pdf[xref..]).unwrap();
    for (i, entry) in table.lines().skip(3).take_while(|l| l.ends_with(" n ")).enumerate() {
        let at: usize = entry[..10].parse().unwrap();
        assert!(pdf[at..].starts_with(format!("{} 0 obj\n", i + 1).as_bytes()));
    }
    let head = String::from_utf8_lossy(&pdf[..pdf.len().min(1 << 20)]).into_owned();
    let count = head.split("/Type /Pages").nth(1).unwrap().split("/Count ").nth(1).unwrap();
    count.split(' ').next().unwrap().parse().unwrap()
}

fn result(sim: &Simulator, config: &str) -> Answer {
    let id = submit(sim, config);
    let r = call(sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!(r.status, 200, "{}", r.text());
    r
}

#[test]
fn a_page_per_record_of_the_jobs_data_file() {
    let sim = sim();
    let pdf = result(&sim, &job("invoices.csv", "Invoice-PDF.OL-outputpreset", "")).body;
    assert_eq!(pages(&pdf), 3);
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("(Record 2 of 3 \\(invoices.csv\\)) Tj") && text.contains("(name: Bob) Tj"));
    assert!(pdf.len() < 4096, "without a requested size, as long as its pages: {}", pdf.len());

    let csv = "id;customer;city\n1;Zoë;Gent\n2;\"Smith; Jones\";Paris\n3;A;B\n4;C;D\n5;E;F\n6;G;H\n7;I;J\n";
    let up = call(&sim, "POST", "/rest/serverengine/filestore/DataFile?filename=seven.csv", BASIC, csv);
    assert_eq!(up.status, 200);
    let pdf = result(&sim, &job(&up.text(), "Invoice-PDF.OL-outputpreset", r#""sim_output_size":3000000"#)).body;
    assert_eq!((pages(&pdf), pdf.len()), (7, 3_000_000), "padded to exactly the requested size");
    let text = String::from_utf8_lossy(&pdf[..8192]);
    assert!(text.contains("(customer: Zo\\353) Tj") && text.contains("(customer: Smith; Jones) Tj"));
}

#[test]
fn multi_file_presets_share_the_records_out_over_several_pdfs() {
    let sim = sim();
    let id = submit(&sim, &job("invoices.csv", "Invoice-Split.OL-outputpreset", r#""sim_spool_files":2"#));
    let m = call(&sim, "POST", &format!("{AIO}/getManagedResult/{id}"), BASIC, "");
    let v: serde_json::Value = serde_json::from_slice(&m.body).unwrap();
    let folder = v["identifier"].as_u64().unwrap();
    let mut total = 0;
    for name in ["job_0001.pdf", "job_0002.pdf"] {
        let f = call(&sim, "GET", &format!("/rest/serverengine/filestore/file/{folder}/{name}"), BASIC, "");
        let n = pages(&f.body);
        assert!(n >= 1);
        total += n;
    }
    assert_eq!(total, 3, "every record once");
    let zip = call(&sim, "GET", &format!("/rest/serverengine/filestore/file/{folder}"), BASIC, "");
    assert_eq!(zip.body.windows(9).filter(|w| w == b"%PDF-1.4\n").count(), 2, "the ZIP holds both PDFs");
}

#[test]
fn record_and_job_ids_give_pages_when_no_data_is_mapped() {
    let sim = sim();
    let config = r#"{"contentcreation":{"config":"Invoice.OL-template","identifiers":[11,12]},"jobcreation":{},"outputcreation":{"config":"Invoice-PDF.OL-outputpreset"}}"#;
    let pdf = result(&sim, config).body;
    assert_eq!(pages(&pdf), 2);
    assert!(String::from_utf8_lossy(&pdf).contains("(Data record ID: 12) Tj"));
    let config = r#"{"outputcreation":{"config":"Invoice-PDF.OL-outputpreset","identifiers":[5]}}"#;
    assert_eq!(pages(&result(&sim, config).body), 1);
}

#[test]
fn other_formats_and_the_pattern_setting_keep_deterministic_bytes() {
    let sim = sim();
    let afp = result(&sim, &job("invoices.csv", "Invoice-AFP.OL-outputpreset", r#""sim_output_size":5000"#)).body;
    assert!(afp == olconnect_sim::generated_bytes(0, 5000));
    sim.update(|s| s.spool_content = olconnect_sim::SpoolContent::Pattern);
    let pdf = result(&sim, &job("invoices.csv", "Invoice-PDF.OL-outputpreset", r#""sim_output_size":5000"#)).body;
    assert!(pdf == olconnect_sim::generated_bytes(0, 5000));
}
