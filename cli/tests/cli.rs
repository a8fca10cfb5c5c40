//! Every command of `olcwf` against the simulator: standard output, files and exit codes,
//! failures included (wrong password, unknown operation, server down, Ctrl-C during a download),
//! `--help` of each command, and no control characters when the output is not a terminal.

use olconnect_sim::{Fault, FaultRule, Settings, Simulator, SpoolContent};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const OLCWF: &str = env!("CARGO_BIN_EXE_olcwf");

fn sim() -> Simulator {
    Simulator::start(Settings {
        op_duration: Duration::from_millis(300),
        spool_content: SpoolContent::Pattern,
        ..Default::default()
    })
    .unwrap()
}

/// `olcwf` with the simulator's URL and credentials in the environment, nothing inherited (its
/// journal in a folder of this test process, no profiles).
fn olcwf(sim: &Simulator) -> Command {
    let mut c = Command::new(OLCWF);
    c.env_clear()
        .env("XDG_STATE_HOME", std::env::temp_dir().join(format!("olcwf-state-{}", std::process::id())))
        .env("OLCONNECT_URL", sim.url())
        .env("OLCONNECT_USER", "ol-admin")
        .env("OLCONNECT_PASSWORD", "secret")
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> Output {
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn assert_code(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("olcwf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn config(dir: &std::path::Path, params: &str) -> PathBuf {
    let path = dir.join("config.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"datamining":{{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"}},"contentcreation":{{"config":"Invoice.OL-template"}},"jobcreation":{{}},"outputcreation":{{"config":"Invoice-PDF.OL-outputpreset","parameters":{{{params}}}}},"returnIdInHeader":true}}"#
        ),
    )
    .unwrap();
    path
}

fn no_control_characters(text: &str) {
    assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "control characters in {text:?}");
}

#[test]
fn run_does_the_main_job_in_one_command() {
    let sim = sim();
    let dir = temp_dir("run");
    let out = dir.join("out.pdf");
    let o = run(olcwf(&sim).arg("run").arg(config(&dir, r#""sim_output_size":123456"#)).arg("-o").arg(&out));
    assert_code(&o, 0);
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 123456);
    assert!(stdout(&o).starts_with("123456 bytes written to"), "{}", stdout(&o));
    assert!(stdout(&o).contains("type output-streamed"), "{}", stdout(&o));
    // Not a terminal: plain progress lines, no control characters.
    assert!(stderr(&o).contains("progress 100%") && stderr(&o).contains("downloaded 123456 of 123456 bytes"));
    no_control_characters(&stdout(&o));
    no_control_characters(&stderr(&o));
    let o =
        run(olcwf(&sim).args(["--json", "-q", "run"]).arg(config(&dir, r#""sim_output_size":10"#)).arg("-o").arg(&out));
    assert_code(&o, 0);
    assert_eq!(stderr(&o), "", "quiet");
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((v["bytes"].as_u64(), v["type"].as_str()), (Some(10), Some("output-streamed")));
    assert!(v["job_set_id"].as_i64().is_some());
}

#[test]
fn each_command_does_its_part() {
    let sim = sim();
    let dir = temp_dir("commands");
    let o = run(olcwf(&sim).arg("submit").arg(config(&dir, r#""sim_output_size":5000"#)));
    assert_code(&o, 0);
    let op = stdout(&o).trim().to_string();
    assert_eq!(op.len(), 36);
    let o = run(olcwf(&sim).args(["--json", "progress", &op]));
    assert_code(&o, 0);
    let p: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(p["percent"].is_number() && p["done"].is_boolean());
    assert_code(&run(olcwf(&sim).args(["wait", &op])), 0);
    assert_eq!(stdout(&run(olcwf(&sim).args(["progress", &op]))).trim(), "done");
    let o = run(olcwf(&sim).args(["get-result", &op]));
    assert_code(&o, 0);
    assert_eq!(o.stdout.len(), 5000, "the result on standard output");
    let o = run(olcwf(&sim).args(["get-result", &op, "-o", "-"]));
    assert_eq!(o.stdout.len(), 5000);
    let file = dir.join("r.pdf");
    assert_code(&run(olcwf(&sim).args(["get-result", &op, "-o"]).arg(&file)), 0);
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 5000);
    let o = run(olcwf(&sim).args(["get-result-text", &op]));
    assert!(stdout(&o).trim().starts_with('/'), "a spool path: {}", stdout(&o));
    let o = run(olcwf(&sim).args(["--json", "get-result-text", &op]));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["text"].as_str().unwrap().starts_with('/'));

    let split = dir.join("split.json");
    std::fs::write(&split, r#"{"datamining":{"identifier":"invoices.csv","config":"Invoice.OL-datamapper"},"contentcreation":{"config":"Invoice.OL-template"},"jobcreation":{},"outputcreation":{"config":"Invoice-Split.OL-outputpreset","parameters":{"sim_output_size":700}}}"#).unwrap();
    let op = stdout(&run(olcwf(&sim).arg("submit").arg(&split))).trim().to_string();
    assert_code(&run(olcwf(&sim).args(["wait", &op])), 0);
    let o = run(olcwf(&sim).args(["managed-result", &op]));
    assert_code(&o, 0);
    let managed: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let id = managed["identifier"].to_string();
    let one = dir.join("one.pdf");
    let o = run(olcwf(&sim).args(["download", &id, "--file", "job_0001.pdf", "-o"]).arg(&one));
    assert_code(&o, 0);
    assert_eq!(std::fs::metadata(&one).unwrap().len(), 700);

    let running =
        stdout(&run(olcwf(&sim).arg("submit").arg(config(&dir, r#""sim_duration_ms":60000"#)))).trim().to_string();
    let o = run(olcwf(&sim).args(["operations"]));
    assert!(stdout(&o).contains(&running), "{}", stdout(&o));
    let o = run(olcwf(&sim).args(["--json", "operations"]));
    assert!(serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap().is_array());
    assert_code(&run(olcwf(&sim).args(["cancel", &running])), 0);
    assert_code(&run(olcwf(&sim).args(["cancel", &running])), 4);

    let o = run(olcwf(&sim).arg("version"));
    assert!(stdout(&o).starts_with("server 2024.2.1.12345\nclient olcwf "), "{}", stdout(&o));
    let token = stdout(&run(olcwf(&sim).arg("login"))).trim().to_string();
    assert!(!token.is_empty());
    let o = run(olcwf(&sim).env_remove("OLCONNECT_USER").env("OLCONNECT_TOKEN", &token).arg("version"));
    assert_code(&o, 0);
    let o = run(olcwf(&sim).args(["completions", "bash"]));
    assert!(stdout(&o).contains("olcwf"));
}

#[test]
fn failures_have_their_exit_codes() {
    let sim = sim();
    let dir = temp_dir("failures");
    let o = run(olcwf(&sim).env("OLCONNECT_PASSWORD", "wrong").arg("version"));
    assert_code(&o, 3);
    assert!(!stderr(&o).contains("wrong"), "never the password: {}", stderr(&o));
    assert_code(&run(olcwf(&sim).args(["get-result", "no-such-op"])), 4);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"datamining":{"identifier":"missing.csv","config":"Invoice.OL-datamapper"}}"#).unwrap();
    assert_code(&run(olcwf(&sim).arg("submit").arg(&bad)), 5);
    assert_code(&run(olcwf(&sim).arg("submit").arg(dir.join("absent.json"))), 7);
    let o = run(olcwf(&sim).env("OLCONNECT_URL", "http://127.0.0.1:9").args(["--connect-timeout", "1", "version"]));
    assert_code(&o, 6);
    assert_code(&run(olcwf(&sim).env("OLCONNECT_URL", "http://127.0.0.1:99999").arg("version")), 2);
    assert_code(&run(olcwf(&sim).args(["--no-such-option", "version"])), 2);
    assert_code(&run(olcwf(&sim).args(["--password", "secret", "version"])), 2);
}

#[test]
fn a_password_comes_from_stdin_or_the_environment_never_a_default() {
    let sim = sim();
    let o = run(olcwf(&sim).env_remove("OLCONNECT_PASSWORD").arg("version"));
    assert_code(&o, 2);
    assert!(stderr(&o).contains("--password-stdin"), "{}", stderr(&o));
    let mut child = olcwf(&sim)
        .env_remove("OLCONNECT_PASSWORD")
        .args(["--password-stdin", "version"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"secret\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 0);
    let o = run(olcwf(&sim).env_remove("OLCONNECT_USER").env_remove("OLCONNECT_PASSWORD").arg("version"));
    assert_code(&o, 3);
}

#[test]
fn ctrl_c_stops_a_download_with_130_and_leaves_no_file() {
    let sim = sim();
    let dir = temp_dir("ctrl-c");
    let op =
        stdout(&run(olcwf(&sim).arg("submit").arg(config(&dir, r#""sim_output_size":5000000"#)))).trim().to_string();
    assert_code(&run(olcwf(&sim).args(["wait", &op])), 0);
    let trickle = Fault::Trickle { chunk: 65536, interval: Duration::from_millis(200) };
    sim.add_fault(FaultRule::always(trickle).on_path("getResult"));
    let out = dir.join("out.pdf");
    let child = olcwf(&sim).args(["get-result", &op, "-o"]).arg(&out).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let sent = Instant::now();
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert!(sent.elapsed() < Duration::from_millis(500), "{:?}", sent.elapsed());
    assert_code(&o, 130);
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("config.json")], "no partial or temporary file");
}

#[test]
fn run_takes_a_local_data_file_and_deletes_its_upload() {
    let sim = sim();
    let dir = temp_dir("data");
    let data = dir.join("mine.csv");
    std::fs::write(&data, "id,name\n1,Ann\n").unwrap();
    let out = dir.join("out.pdf");
    let o = run(olcwf(&sim)
        .arg("run")
        .arg(config(&dir, r#""sim_output_size":999"#))
        .arg("-o")
        .arg(&out)
        .arg("--data")
        .arg(&data));
    assert_code(&o, 0);
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 999);
    let uploads: Vec<_> = sim.requests().into_iter().filter(|r| r.target.contains("/filestore/DataFile")).collect();
    assert_eq!(uploads.len(), 1);
    assert!(sim.requests().iter().any(|r| r.target.contains("/filestore/delete/")), "the upload was deleted");

    let o = run(olcwf(&sim).arg("upload").arg(&data).arg("--persistent"));
    assert_code(&o, 0);
    let id = stdout(&o).trim().to_string();
    assert_eq!(stdout(&run(olcwf(&sim).args(["exists", &id]))).trim(), "yes");
    assert_code(&run(olcwf(&sim).args(["delete", &id])), 0);
    assert_code(&run(olcwf(&sim).args(["exists", &id])), 4);
    assert_code(&run(olcwf(&sim).arg("upload").arg(dir.join("absent.csv"))), 7);
}

#[test]
fn every_command_has_help() {
    for cmd in [
        "run",
        "submit",
        "progress",
        "wait",
        "get-result",
        "get-result-text",
        "managed-result",
        "download",
        "cancel",
        "operations",
        "version",
        "login",
        "completions",
        "upload",
        "delete",
        "exists",
    ] {
        let o = Command::new(OLCWF).args([cmd, "--help"]).output().unwrap();
        assert_code(&o, 0);
        assert!(stdout(&o).contains(&format!("Usage: olcwf {cmd}")), "{cmd}: {}", stdout(&o));
    }
    let o = Command::new(OLCWF).arg("--help").output().unwrap();
    assert!(stdout(&o).contains("Exit codes:") && stdout(&o).contains("130"));
    no_control_characters(&stdout(&o));
}

/// Waits for `child` to exit, at most `bound` (then kills it and fails); its code and how long
/// it took.
fn exit_within(child: &mut std::process::Child, bound: Duration) -> (i32, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), start.elapsed());
        }
        if start.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            panic!("olcwf was still running {bound:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the simulator has seen a request whose target contains `text` (at most 10 s).
fn await_request(sim: &Simulator, text: &str) {
    let start = Instant::now();
    while !sim.requests().iter().any(|r| r.target.contains(text)) {
        assert!(start.elapsed() < Duration::from_secs(10), "no request to {text}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn sigint(child: &std::process::Child) {
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
}

/// `olcwf run --data` on a job that takes a minute, started with its standard error in a file
/// of `logs` (not `dir`, whose content the tests check).
fn long_run_with_data(sim: &Simulator, dir: &std::path::Path, logs: &std::path::Path) -> std::process::Child {
    let data = dir.join("mine.csv");
    std::fs::write(&data, "id,name\n1,Ann\n").unwrap();
    let stderr = std::fs::File::create(logs.join("stderr.txt")).unwrap();
    olcwf(sim)
        .arg("run")
        .arg(config(dir, r#""sim_duration_ms":60000"#))
        .arg("-o")
        .arg(dir.join("out.pdf"))
        .arg("--data")
        .arg(&data)
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// The upload's id, from the line `olcwf run` writes when standard error is not a terminal.
fn upload_id(stderr: &str) -> String {
    let line = stderr.lines().find(|l| l.starts_with("uploaded ")).unwrap_or_else(|| panic!("{stderr}"));
    line.rsplit(" as ").next().unwrap().to_string()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[test]
fn ctrl_c_during_run_cancels_the_job_then_deletes_the_upload() {
    let sim = sim();
    let (dir, logs) = (temp_dir("run-ctrl-c"), temp_dir("run-ctrl-c-logs"));
    let mut child = long_run_with_data(&sim, &dir, &logs);
    await_request(&sim, "/getOperations");
    sigint(&child);
    let (code, took) = exit_within(&mut child, Duration::from_secs(20));
    let stderr = std::fs::read_to_string(logs.join("stderr.txt")).unwrap();
    assert_eq!(code, 130, "{stderr}");
    assert!(took < Duration::from_secs(3), "{took:?}: {stderr}");
    let targets: Vec<String> = sim.requests().into_iter().map(|r| r.target).collect();
    let cancel = targets.iter().position(|t| t.contains("/workflow/print/cancel/"));
    let delete = targets.iter().position(|t| t.contains("/filestore/delete/"));
    assert!(cancel.is_some() && cancel < delete, "the job cancelled, then the upload deleted: {targets:#?}");
    let id = upload_id(&stderr);
    assert_code(&run(olcwf(&sim).args(["exists", &id])), 4);
    assert_eq!(files_in(&dir), ["config.json", "mine.csv"], "no output file");
}

#[test]
fn the_clean_up_asks_again_while_the_server_still_holds_the_upload() {
    let sim = sim();
    let (dir, logs) = (temp_dir("held-upload"), temp_dir("held-upload-logs"));
    // A real server may let go of a cancelled job's data file a moment after the cancel.
    let held = Fault::Error500Json("Deletion failed: the file is still required by OL Connect".into());
    sim.add_fault(FaultRule::times(held, 2).on_path("/filestore/delete/"));
    let mut child = long_run_with_data(&sim, &dir, &logs);
    await_request(&sim, "/getOperations");
    sigint(&child);
    let (code, took) = exit_within(&mut child, Duration::from_secs(20));
    let stderr = std::fs::read_to_string(logs.join("stderr.txt")).unwrap();
    assert_eq!(code, 130, "{stderr}");
    assert!(took < Duration::from_secs(5), "{took:?}: {stderr}");
    let deletes = sim.requests().iter().filter(|r| r.target.contains("/filestore/delete/")).count();
    assert_eq!(deletes, 3, "{stderr}");
    assert_code(&run(olcwf(&sim).args(["exists", &upload_id(&stderr)])), 4);
    assert!(!stderr.contains("left on the server"), "{stderr}");
}

#[test]
fn a_slow_clean_up_after_ctrl_c_is_bounded() {
    let sim = sim();
    let (dir, logs) = (temp_dir("slow-clean-up"), temp_dir("slow-clean-up-logs"));
    // Longer than the read timeout: only a bound of the clean-up's own stops it early.
    sim.add_fault(FaultRule::always(Fault::Delay(Duration::from_secs(90))).on_path("/filestore/delete/"));
    let mut child = long_run_with_data(&sim, &dir, &logs);
    await_request(&sim, "/getOperations");
    sigint(&child);
    let (code, took) = exit_within(&mut child, Duration::from_secs(90));
    let stderr = std::fs::read_to_string(logs.join("stderr.txt")).unwrap();
    assert_eq!(code, 130, "{stderr}");
    assert!(took < Duration::from_secs(8), "{took:?}: {stderr}");
    let id = upload_id(&stderr);
    assert!(stderr.contains(&format!("olcwf delete {id}")), "how to remove what is left: {stderr}");
    assert_eq!(files_in(&dir), ["config.json", "mine.csv"], "no output file");
}

#[test]
fn a_second_ctrl_c_exits_at_once_and_says_what_is_left() {
    let sim = sim();
    let (dir, logs) = (temp_dir("second-ctrl-c"), temp_dir("second-ctrl-c-logs"));
    sim.add_fault(FaultRule::always(Fault::Delay(Duration::from_secs(90))).on_path("/workflow/print/cancel/"));
    let mut child = long_run_with_data(&sim, &dir, &logs);
    await_request(&sim, "/getOperations");
    sigint(&child);
    await_request(&sim, "/workflow/print/cancel/");
    std::thread::sleep(Duration::from_millis(200));
    sigint(&child);
    let (code, took) = exit_within(&mut child, Duration::from_secs(90));
    let stderr = std::fs::read_to_string(logs.join("stderr.txt")).unwrap();
    assert_eq!(code, 130, "{stderr}");
    assert!(took < Duration::from_millis(1000), "{took:?}: {stderr}");
    let op = sim.requests().into_iter().find_map(|r| r.target.split("/cancel/").nth(1).map(str::to_string)).unwrap();
    let id = upload_id(&stderr);
    assert!(stderr.contains(&format!("olcwf cancel {op}")), "{stderr}");
    assert!(stderr.contains(&format!("olcwf delete {id}")), "{stderr}");
    assert!(!sim.requests().iter().any(|r| r.target.contains("/filestore/delete/")), "no clean-up after the second");
    assert_eq!(files_in(&dir), ["config.json", "mine.csv"], "no output file");
}

#[test]
fn get_result_into_a_redirected_file_leaves_it_as_it_was_on_failure() {
    let sim = sim();
    let dir = temp_dir("redirect");
    let op =
        stdout(&run(olcwf(&sim).arg("submit").arg(config(&dir, r#""sim_output_size":3000000"#)))).trim().to_string();
    assert_code(&run(olcwf(&sim).args(["wait", &op])), 0);
    let file = dir.join("result.pdf");
    let previous = b"what was there before\n";
    // `> file`, `>> file` and `1<> file` (read-write, not truncated: bytes overwritten in place).
    type Open = fn(&std::path::Path) -> std::fs::File;
    let opens: [(&str, Open); 3] = [
        ("> file", |p| std::fs::File::create(p).unwrap()),
        (">> file", |p| std::fs::OpenOptions::new().append(true).open(p).unwrap()),
        ("1<> file", |p| std::fs::OpenOptions::new().read(true).write(true).open(p).unwrap()),
    ];
    let tmp = temp_dir("redirect-tmp");
    for (redirect, open) in opens {
        std::fs::write(&file, previous).unwrap();
        sim.add_fault(FaultRule::always(Fault::CloseMidBody(1_000_000)).on_path("getResult"));
        let shared = open(&file); // its offset is shared with the child's standard output, as a shell's is
        let o = run(olcwf(&sim).env("TMPDIR", &tmp).args(["get-result", &op]).stdout(shared.try_clone().unwrap()));
        assert_code(&o, 5);
        if redirect != ">> file" {
            use std::io::Seek;
            assert_eq!((&shared).stream_position().unwrap(), 0, "{redirect}: the offset put back");
        }
        assert!(files_in(&tmp).is_empty(), "{redirect}: nothing left in $TMPDIR");
        let expected: &[u8] = if redirect == "> file" { b"" } else { previous };
        let now = std::fs::read(&file).unwrap();
        let head = String::from_utf8_lossy(&now[..now.len().min(40)]).into_owned();
        assert!(now == expected, "{redirect}: {} bytes ({head:?}...) instead of {}", now.len(), expected.len());
        sim.clear_faults();
        // And when it works, the result is where the redirection puts it.
        let o = run(olcwf(&sim).args(["get-result", &op]).stdout(open(&file)));
        assert_code(&o, 0);
        let len = std::fs::metadata(&file).unwrap().len();
        let expected = if redirect == ">> file" { 3_000_000 + previous.len() as u64 } else { 3_000_000 };
        assert_eq!(len, expected, "{redirect}");
    }
    // Ctrl-C midway: the file is as it was too.
    std::fs::write(&file, previous).unwrap();
    let trickle = Fault::Trickle { chunk: 65536, interval: Duration::from_millis(100) };
    sim.add_fault(FaultRule::always(trickle).on_path("getResult"));
    let appending = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
    let mut child = olcwf(&sim).args(["get-result", &op]).stdout(appending).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(std::fs::metadata(&file).unwrap().len() > previous.len() as u64, "the download had begun");
    sigint(&child);
    assert_eq!(exit_within(&mut child, Duration::from_secs(10)).0, 130);
    assert_eq!(std::fs::read(&file).unwrap(), previous);
}

#[test]
fn a_delete_the_server_answers_false_is_a_server_error() {
    let sim = Simulator::start(Settings {
        op_duration: Duration::from_millis(300),
        dialect: olconnect_sim::Dialect::Legacy,
        ..Default::default()
    })
    .unwrap();
    let dir = temp_dir("delete-false");
    let data = dir.join("mine.csv");
    std::fs::write(&data, "id,name\n1,Ann\n").unwrap();
    let id = stdout(&run(olcwf(&sim).arg("upload").arg(&data))).trim().to_string();
    let job = std::fs::read_to_string(config(&dir, r#""sim_duration_ms":60000"#)).unwrap().replace("invoices.csv", &id);
    std::fs::write(dir.join("job.json"), job).unwrap();
    assert_code(&run(olcwf(&sim).arg("submit").arg(dir.join("job.json"))), 0);
    // The running job uses the file: the legacy server answers false.
    let o = run(olcwf(&sim).args(["delete", &id]));
    assert_code(&o, 5);
    assert!(stderr(&o).contains(&id), "{}", stderr(&o));
}

/// A minimal HTTP CONNECT proxy on a free port that asks for `expected` as Proxy-Authorization
/// (407 otherwise); keeps each one it was sent.
fn start_proxy(expected: String) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<Option<String>>>>) {
    use std::io::{BufRead, BufReader};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (log, expected) = (log.clone(), expected.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut request_line = String::new();
                let mut auth = None;
                reader.read_line(&mut request_line).unwrap();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("proxy-authorization") {
                            auth = Some(value.trim().to_string());
                        }
                    }
                }
                log.lock().unwrap().push(auth.clone());
                let mut client_w = client;
                let mut parts = request_line.split(' ');
                let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else { return };
                if auth.as_deref() != Some(expected.as_str()) {
                    let _ =
                        client_w.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                let Ok(upstream) = TcpStream::connect(target) else { return };
                client_w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
                let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut up_r, &mut client_w);
                    let _ = client_w.shutdown(std::net::Shutdown::Both);
                });
                let _ = std::io::copy(&mut reader, &mut up_w);
                let _ = up_w.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (port, seen)
}

#[test]
fn a_proxy_password_comes_from_the_environment_and_is_never_shown() {
    use base64::Engine;
    let sim = sim();
    let password = "Pr0xy:p@ss/w%rd";
    let encoded = "Pr0xy%3Ap%40ss%2Fw%25rd";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{password}"));
    let (port, seen) = start_proxy(format!("Basic {basic}"));
    let proxy = format!("http://alice@127.0.0.1:{port}");
    let never_shown = |o: &Output| {
        let all = format!("{}{}", stdout(o), stderr(o));
        for secret in [password, encoded, &basic, &basic[..basic.len() - 4]] {
            assert!(!all.contains(secret), "{secret} shown in {all}");
        }
    };
    let o = run(olcwf(&sim).env("OLCONNECT_PROXY_PASSWORD", password).args(["-v", "--proxy", &proxy, "version"]));
    assert_code(&o, 0);
    assert!(stderr(&o).contains("olcwf: Info"), "-v shows the exchanges: {}", stderr(&o));
    never_shown(&o);
    assert!(seen.lock().unwrap().iter().all(|a| a.as_deref() == Some(format!("Basic {basic}").as_str())));
    // The whole proxy setting can come from the environment too; --help does not show it.
    let o = run(olcwf(&sim).env("OLCONNECT_PROXY_PASSWORD", password).env("OLCONNECT_PROXY", &proxy).arg("version"));
    assert_code(&o, 0);
    let in_url = format!("http://alice:{encoded}@127.0.0.1:{port}");
    let o = run(olcwf(&sim).env("OLCONNECT_PROXY", &in_url).arg("--help"));
    assert_code(&o, 0);
    assert!(stdout(&o).contains("OLCONNECT_PROXY_PASSWORD"), "{}", stdout(&o));
    never_shown(&o);
    // A wrong password: the proxy refuses, and the message still shows no password.
    let o = run(olcwf(&sim).env("OLCONNECT_PROXY_PASSWORD", "wrong-one").args(["-v", "--proxy", &proxy, "version"]));
    assert_code(&o, 6);
    assert!(!stderr(&o).contains("wrong-one"), "{}", stderr(&o));
    // A password but no user to go with it, or two passwords: say so, send nothing.
    let bare = format!("http://127.0.0.1:{port}");
    let before = seen.lock().unwrap().len();
    let o = run(olcwf(&sim).env("OLCONNECT_PROXY_PASSWORD", password).args(["--proxy", &bare, "version"]));
    assert_code(&o, 2);
    assert!(stderr(&o).contains("OLCONNECT_PROXY_PASSWORD"), "{}", stderr(&o));
    never_shown(&o);
    let both = format!("http://alice:other-secret@127.0.0.1:{port}");
    let o = run(olcwf(&sim).env("OLCONNECT_PROXY_PASSWORD", password).args(["--proxy", &both, "version"]));
    assert_code(&o, 2);
    never_shown(&o);
    assert!(!stderr(&o).contains("other-secret"), "{}", stderr(&o));
    assert_eq!(seen.lock().unwrap().len(), before, "nothing sent");
}

/// Submits a job that runs `ms` milliseconds on the simulator; its operation id.
fn submit_lasting(sim: &Simulator, dir: &std::path::Path, ms: u64) -> String {
    let o = run(olcwf(sim).arg("submit").arg(config(dir, &format!(r#""sim_duration_ms":{ms}"#))));
    assert_code(&o, 0);
    stdout(&o).trim().to_string()
}

/// The lines `olcwf wait` prints as operations end: (id, outcome, seconds since the wait began).
fn ended_lines(out: &str) -> Vec<(String, String, f64)> {
    out.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(fields.len() >= 3, "id, outcome, elapsed: {line:?}");
            let elapsed = fields[2].strip_suffix('s').and_then(|s| s.parse().ok());
            (fields[0].to_string(), fields[1].to_string(), elapsed.unwrap_or_else(|| panic!("{line:?}")))
        })
        .collect()
}

fn count_requests(sim: &Simulator, from: usize, verb: &str) -> usize {
    sim.requests()[from..].iter().filter(|r| r.target.contains(verb)).count()
}

#[test]
fn wait_for_several_prints_each_as_it_ends_with_one_list_per_look() {
    let sim = sim();
    let dir = temp_dir("wait-several");
    // Given in an order that is not the order of ending; each ends at about twice the time of
    // the one before, so that a look of the watcher falls between two endings.
    let durations = [2400, 300, 5000, 1100];
    let ops: Vec<String> = durations.iter().map(|&ms| submit_lasting(&sim, &dir, ms)).collect();
    let before = sim.requests().len();
    let started = Instant::now();
    let o = run(olcwf(&sim).arg("wait").args(&ops));
    let took = started.elapsed();
    assert_code(&o, 0);
    let lines = ended_lines(&stdout(&o));
    let order: Vec<&str> = lines.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(order, [&ops[1], &ops[3], &ops[0], &ops[2]], "in order of ending: {}", stdout(&o));
    assert!(lines.iter().all(|(_, outcome, _)| outcome == "finished"), "{}", stdout(&o));
    assert!(lines.windows(2).all(|w| w[0].2 <= w[1].2), "elapsed grows: {}", stdout(&o));
    assert!(lines[3].2 <= took.as_secs_f64(), "{}", stdout(&o));
    assert!(took < Duration::from_secs(10), "{took:?}");
    // One operation list per look, and a progress call only for an operation that left it: a
    // poll per operation per interval would have made dozens over these seconds.
    let (lists, progress) =
        (count_requests(&sim, before, "/getOperations"), count_requests(&sim, before, "/getProgress/"));
    assert!(lists >= 4, "{lists} getOperations");
    assert!(progress <= ops.len(), "{progress} getProgress for {} operations", ops.len());

    // --json: one object per id, in the order given.
    let o = run(olcwf(&sim).args(["--json", "wait"]).args(&ops));
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let list = v.as_array().unwrap_or_else(|| panic!("an array: {v}"));
    assert_eq!(list.len(), ops.len());
    for (entry, op) in list.iter().zip(&ops) {
        assert_eq!(entry["operation"].as_str(), Some(op.as_str()), "{v}");
        assert_eq!(entry["outcome"].as_str(), Some("finished"), "{v}");
        assert!(entry["elapsed_s"].as_f64().is_some(), "{v}");
    }
}

#[test]
fn wait_any_returns_when_the_first_ends_and_says_which() {
    let sim = sim();
    let dir = temp_dir("wait-any");
    let ops = [submit_lasting(&sim, &dir, 60000), submit_lasting(&sim, &dir, 300), submit_lasting(&sim, &dir, 60000)];
    let started = Instant::now();
    let o = run(olcwf(&sim).args(["wait", "--any"]).args(&ops));
    assert_code(&o, 0);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let lines = ended_lines(&stdout(&o));
    assert_eq!(lines.len(), 1, "{}", stdout(&o));
    assert_eq!((lines[0].0.as_str(), lines[0].1.as_str()), (ops[1].as_str(), "finished"));
    // --json: the others are still pending.
    let o = run(olcwf(&sim).args(["--json", "wait", "--any"]).args(&ops));
    assert_code(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let outcomes: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["pending", "finished", "pending"], "{v}");
}

#[test]
fn wait_for_an_unknown_operation_among_others_exits_4_and_names_it() {
    let sim = sim();
    let dir = temp_dir("wait-unknown");
    let ops = [submit_lasting(&sim, &dir, 600), "no-such-operation".to_string(), submit_lasting(&sim, &dir, 200)];
    let o = run(olcwf(&sim).arg("wait").args(&ops));
    assert_code(&o, 4);
    assert!(stderr(&o).contains("no-such-operation"), "{}", stderr(&o));
    let lines = ended_lines(&stdout(&o));
    let outcome = |op: &str| lines.iter().find(|l| l.0 == op).map(|l| l.1.clone());
    assert_eq!(lines.len(), 3, "the others are waited for too: {}", stdout(&o));
    assert_eq!(outcome(&ops[0]).as_deref(), Some("finished"));
    assert_eq!(outcome(&ops[1]).as_deref(), Some("failed"));
    assert_eq!(outcome(&ops[2]).as_deref(), Some("finished"));
    let o = run(olcwf(&sim).args(["--json", "wait"]).args(&ops));
    assert_code(&o, 4);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let unknown = &v.as_array().unwrap()[1];
    assert_eq!(unknown["operation"].as_str(), Some("no-such-operation"), "{v}");
    assert_eq!(unknown["outcome"].as_str(), Some("failed"), "{v}");
    assert_eq!(unknown["exit_code"].as_u64(), Some(4), "{v}");
    assert_eq!(unknown["status"].as_str(), Some("not-found"), "{v}");
    assert!(unknown["error"].as_str().unwrap().contains("no-such-operation"), "{v}");
    assert_eq!(v[0]["outcome"].as_str(), Some("finished"), "{v}");
    // An id that could alter the request is a usage error, before anything is waited on.
    assert_code(&run(olcwf(&sim).arg("wait").arg(&ops[0]).arg("a/b")), 2);
}

#[test]
fn wait_timeout_bounds_the_whole_wait_and_exits_6() {
    let sim = sim();
    let dir = temp_dir("wait-timeout");
    let ops = [submit_lasting(&sim, &dir, 60000), submit_lasting(&sim, &dir, 100), submit_lasting(&sim, &dir, 60000)];
    let started = Instant::now();
    let o = run(olcwf(&sim).args(["wait", "--timeout", "1.5"]).args(&ops));
    let took = started.elapsed();
    assert_code(&o, 6);
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_secs(5), "{took:?}");
    assert!(stderr(&o).contains(&ops[0]) && stderr(&o).contains(&ops[2]), "the ones not ended: {}", stderr(&o));
    let lines = ended_lines(&stdout(&o));
    assert_eq!(lines.len(), 1, "{}", stdout(&o));
    assert_eq!(lines[0].0, ops[1]);
    let o = run(olcwf(&sim).args(["--json", "wait", "--timeout", "0.5"]).args(&ops));
    assert_code(&o, 6);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let outcomes: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["pending", "finished", "pending"], "{v}");
}

#[test]
fn ctrl_c_stops_a_wait_for_several_with_130_at_once() {
    let sim = sim();
    let dir = temp_dir("wait-ctrl-c");
    let ops = [submit_lasting(&sim, &dir, 60000), submit_lasting(&sim, &dir, 60000)];
    let mut child = olcwf(&sim).arg("wait").args(&ops).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let (before, start) = (sim.requests().len(), Instant::now());
    while count_requests(&sim, before, "/getOperations") < 2 {
        assert!(child.try_wait().unwrap().is_none(), "olcwf ended before the signal");
        assert!(start.elapsed() < Duration::from_secs(10), "olcwf did not start waiting");
        std::thread::sleep(Duration::from_millis(10));
    }
    sigint(&child);
    let (code, took) = exit_within(&mut child, Duration::from_secs(10));
    assert_eq!(code, 130);
    assert!(took < Duration::from_millis(500), "{took:?}");
}

#[test]
fn wait_help_has_an_example() {
    let o = Command::new(OLCWF).args(["wait", "--help"]).output().unwrap();
    assert_code(&o, 0);
    let help = stdout(&o);
    assert!(help.contains("Usage: olcwf wait [OPTIONS] <OP>..."), "{help}");
    assert!(help.contains("--any") && help.contains("Example"), "{help}");
}

#[test]
fn operations_that_end_together_are_all_finished_on_a_server_that_forgets_them_at_once() {
    // Field servers answer getProgress with 404 as soon as a finished operation has left the
    // list of running ones. Regression: waiting again for the operations still pending after
    // the first had ended started their watch afresh, so one that had ended meanwhile, never
    // seen running by the new watch, was taken for unknown (exit 4).
    let sim = Simulator::start(Settings {
        op_duration: Duration::from_millis(300),
        progress_gone_after: Some(Duration::ZERO),
        ..Default::default()
    })
    .unwrap();
    let dir = temp_dir("wait-gone");
    let ops: Vec<String> = (0..4).map(|_| submit_lasting(&sim, &dir, 900)).collect();
    let o = run(olcwf(&sim).arg("wait").args(&ops));
    assert_code(&o, 0);
    let lines = ended_lines(&stdout(&o));
    assert_eq!(lines.len(), ops.len(), "{}", stdout(&o));
    assert!(lines.iter().all(|(_, outcome, _)| outcome == "finished"), "{}", stdout(&o));
}
