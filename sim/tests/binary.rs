//! The `olconnect-sim` binary as a user starts it: the sample configuration file, faults and the
//! access log from the command line, `--help`, and bad arguments.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;

const SAMPLE: &str = include_str!("../olconnect-sim.sample.toml");

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-binary-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn config(preset: &str, size: u64) -> String {
    FULL.replace("Invoice-PDF.OL-outputpreset", preset)
        .replace("\"sim_output_size\":1000", &format!("\"sim_output_size\":{size}"))
}

#[test]
fn the_sample_configuration_documents_every_setting_and_starts_a_simulator_with_it() {
    for (key, _) in olconnect_sim::SETTING_KEYS {
        let documented = SAMPLE.lines().any(|l| {
            let l = l.trim_start_matches("# ");
            l.starts_with(&format!("{key} = "))
        });
        assert!(documented, "the sample documents {key}");
    }
    let sample = temp_file("sample.toml", SAMPLE);
    // --control on the command line (the sample keeps it off) to read back what the file set.
    let sim = Running::start(&["--config", sample.to_str().unwrap(), "--control", "true"]);
    let live: Value = serde_json::from_slice(&call(&sim, "GET", "/sim/settings", "", "").body).unwrap();
    let file: toml::Table = SAMPLE.parse().unwrap();
    for (key, value) in &file {
        let expected = match (key.as_str(), value) {
            ("faults" | "control", _) => continue,
            ("users", _) => serde_json::json!(["ol-admin"]),
            (_, toml::Value::String(s)) => serde_json::json!(s),
            (_, toml::Value::Integer(i)) => serde_json::json!(i),
            (_, toml::Value::Boolean(b)) => serde_json::json!(b),
            (k, v) => panic!("{k} = {v:?}: a kind of value this test does not compare"),
        };
        assert_eq!(live[key], expected, "{key}");
    }
    assert_eq!(call(&sim, "GET", &format!("{AIO}/version"), BASIC, "").text(), "2024.2.1.12345");

    // The commented fault examples, switched on, take effect from the first request.
    let on: String = SAMPLE
        .lines()
        .map(|l| l.strip_prefix("  # ").map_or(l.to_string(), |rule| format!("  {rule}")) + "\n")
        .collect();
    let faulty = temp_file("faulty.toml", &on);
    let flags = ["--op-duration-ms", "0", "--spool-content", "pattern"];
    let sim = Running::start(&[&["--config", faulty.to_str().unwrap()][..], &flags].concat());
    let id = submit(&sim, &config("Invoice-PDF.OL-outputpreset", 200_000));
    let started = std::time::Instant::now();
    assert_eq!(call(&sim, "GET", &format!("{AIO}/getProgress/{id}"), BASIC, "").text(), "done");
    assert!(started.elapsed().as_millis() >= 2000, "getProgress is delayed");
    let cut = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!((cut.header("content-length").as_deref(), cut.body.len()), (Some("200000"), 65536));
    assert_eq!(call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "").body.len(), 200_000, "once only");
}

#[test]
fn faults_given_on_the_command_line_hit_from_the_first_request() {
    let sim = Running::start(&[
        "--op-duration-ms",
        "0",
        "--spool-content",
        "pattern",
        "--fault",
        "getResult:close-mid-body:after=65536:times=1",
        "--fault",
        "/version:error-500-text:message=down: try later:times=always",
    ]);
    let id = submit(&sim, &config("Invoice-PDF.OL-outputpreset", 100_000));
    let cut = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert_eq!((cut.header("content-length").as_deref(), cut.body.len()), (Some("100000"), 65536));
    let whole = call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    assert!(whole.body == olconnect_sim::generated_bytes(0, 100_000));
    for _ in 0..2 {
        let v = call(&sim, "GET", &format!("{AIO}/version"), BASIC, "");
        assert_eq!((v.status, v.text().as_str()), (500, "down: try later"));
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_olconnect-sim"))
        .args(["--fault", "getResult:close-mid-body:after=lots"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--fault: after must be a whole number, not 'lots'"));
}

#[test]
fn verbose_writes_an_access_log_without_secrets() {
    let sim = Running::start(&["-v", "--op-duration-ms", "0", "--fault", "getResult:close-mid-body:after=10"]);
    let id = submit(&sim, &config("Invoice-AFP.OL-outputpreset", 5000));
    call(&sim, "POST", &format!("{AIO}/getResult/{id}"), BASIC, "");
    call(&sim, "GET", &format!("{AIO}/getProgress/{id}?auth_token=tok-secret-1"), "auth_token: tok-secret-2\r\n", "");
    call(&sim, "GET", AIO, "Authorization: Basic bm9ib2R5Om5vcGU=\r\n", "");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let log = sim.stderr();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 4, "{log}");
    assert!(lines[0].contains(&format!("\"POST {AIO}/submit\" 202 ")), "{}", lines[0]);
    let result = lines[1];
    assert!(
        result.contains(&format!("\"POST {AIO}/getResult/{id}\" 200 ")) && result.ends_with("fault=close-mid-body")
    );
    let bytes: u64 = result.split(' ').nth(5).unwrap().parse().unwrap();
    assert!((10..1000).contains(&bytes), "head and 10 body bytes: {result}");
    assert!(lines[2].contains("?auth_token=<redacted>\" "), "{}", lines[2]);
    assert!(lines[3].contains(&format!("\"GET {AIO}\" 401 ")), "{}", lines[3]);
    for line in &lines {
        let fields: Vec<&str> = line.split(' ').collect();
        assert!(fields[0].ends_with('Z') && fields[1].starts_with("127.0.0.1:") && fields[6].ends_with("ms"), "{line}");
    }
    for secret in ["tok-secret", "b2wtYWRtaW46c2VjcmV0", "bm9ib2R5Om5vcGU", "secret"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}

#[test]
fn help_is_a_manual_and_bad_arguments_exit_2() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_olconnect-sim")).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for needed in [
        "DESCRIPTION",
        "FAULTS",
        "FILES",
        "EXIT STATUS",
        "EXAMPLES",
        "Invoice-PDF.OL-outputpreset",
        "--dialect",
        "-v, --verbose",
    ] {
        assert!(help.contains(needed), "--help has {needed}");
    }
    let docs = include_str!("../../docs/simulator.md");
    for (kind, _, _) in olconnect_sim::FAULT_KINDS {
        assert!(help.contains(kind), "--help lists the fault {kind}");
        assert!(docs.contains(&format!("| `{kind}` |")), "docs/simulator.md documents the fault {kind}");
    }
    let bad =
        std::process::Command::new(env!("CARGO_BIN_EXE_olconnect-sim")).args(["--dialect", "x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("dialect"));
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_olconnect-sim"))
        .args(["--config", "/nonexistent.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
