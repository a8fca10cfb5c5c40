//! `olcwf` as an operator's tool (issue 29): `run -o -` and `-q`, the checks `run` makes before
//! submitting anything, the journal and `olcwf resume` after a killed run or a server that could
//! not be reached, profiles (precedence, secrets by reference, file permissions), and the
//! manual pages and help.

use olconnect_sim::{generated_bytes, Fault, FaultRule, Settings, Simulator, SpoolContent};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
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

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("olcwf-op-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `olcwf` with nothing inherited: its journal and configuration under `home` (XDG folders).
fn bare(home: &Path) -> Command {
    let mut c = Command::new(OLCWF);
    c.env_clear()
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdin(Stdio::null());
    c
}

/// `bare` with the simulator's URL and credentials in the environment.
fn olcwf(sim: &Simulator, home: &Path) -> Command {
    let mut c = bare(home);
    c.env("OLCONNECT_URL", sim.url()).env("OLCONNECT_USER", "ol-admin").env("OLCONNECT_PASSWORD", "secret");
    c
}

fn run(c: &mut Command) -> Output {
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_code(o: &Output, code: i32) {
    assert_eq!(o.status.code(), Some(code), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
}

fn config(dir: &Path, params: &str) -> PathBuf {
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

fn count(sim: &Simulator, text: &str) -> usize {
    sim.requests().iter().filter(|r| r.target.contains(text)).count()
}

/// Waits until the simulator has seen a request whose target contains `text` (at most 10 s).
fn await_request(sim: &Simulator, text: &str) {
    let start = Instant::now();
    while count(sim, text) == 0 {
        assert!(start.elapsed() < Duration::from_secs(10), "no request to {text}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A running olcwf, killed when the test ends whether it passed or not (no stray process).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `c` started with its output discarded, killed when the test ends (even when it fails).
fn in_background(c: &mut Command) -> Running {
    Running(c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap())
}

fn kill(child: &mut Running) {
    child.0.kill().unwrap(); // SIGKILL: no clean-up of any kind
    child.0.wait().unwrap();
}

/// The lines of `olcwf resume --list`: (operation, state, output).
fn journal(home: &Path) -> Vec<(String, String, String)> {
    let o = run(bare(home).args(["resume", "--list"]));
    assert_code(&o, 0);
    stdout(&o)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "{l:?}");
            (f[0].to_string(), f[1].to_string(), f[4].to_string())
        })
        .collect()
}

#[test]
fn run_dash_o_writes_the_result_to_stdout_and_q_prints_nothing_else() {
    let sim = sim();
    let home = temp_dir("stdout");
    let cfg = config(&home, r#""sim_output_size":70000"#);
    let o = run(olcwf(&sim, &home).arg("run").arg(&cfg).args(["-o", "-"]));
    assert_code(&o, 0);
    assert!(o.stdout == generated_bytes(0, 70000), "the result's bytes, only them: {} bytes", o.stdout.len());
    assert!(stderr(&o).contains("70000 bytes of the result of "), "the summary on stderr: {}", stderr(&o));
    assert!(!home.join("-").exists(), "no file named -");
    // -q: the bytes and nothing else; to a file: nothing at all.
    let o = run(olcwf(&sim, &home).args(["-q", "run"]).arg(&cfg).args(["-o", "-"]));
    assert_code(&o, 0);
    assert!(o.stdout == generated_bytes(0, 70000));
    assert_eq!(stderr(&o), "");
    let out = home.join("out.afp");
    let o = run(olcwf(&sim, &home).args(["-q", "run"]).arg(&cfg).arg("-o").arg(&out));
    assert_code(&o, 0);
    assert_eq!((stdout(&o).as_str(), stderr(&o).as_str()), ("", ""));
    assert!(std::fs::read(&out).unwrap() == generated_bytes(0, 70000));
    // --json with -o -: the object on standard error, the bytes alone on standard output.
    let o = run(olcwf(&sim, &home).args(["--json", "run"]).arg(&cfg).args(["-o", "-"]));
    assert_code(&o, 0);
    assert_eq!(o.stdout.len(), 70000);
    let line = stderr(&o).lines().find(|l| l.starts_with('{')).map(str::to_string).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    assert_eq!(v["bytes"].as_u64(), Some(70000));
    assert!(journal(&home).is_empty(), "every result collected: nothing left in the journal");
}

#[test]
fn run_checks_its_files_and_output_before_anything_is_asked_of_the_server() {
    let sim = sim();
    let home = temp_dir("precheck");
    let cfg = config(&home, r#""sim_output_size":10"#);
    let data = home.join("mine.csv");
    std::fs::write(&data, "id\n1\n").unwrap();
    let not_json = home.join("bad.json");
    std::fs::write(&not_json, "{ not json").unwrap();
    let out = home.join("out.afp");
    let cases: Vec<(Vec<PathBuf>, i32, &str)> = vec![
        (vec![cfg.clone(), "-o".into(), home.join("no-such-folder/out.afp")], 7, "no-such-folder"),
        (vec![cfg.clone(), "-o".into(), home.clone()], 7, "is a directory"),
        (vec![cfg.clone(), "-o".into(), out.clone(), "--data".into(), home.join("absent.csv")], 7, "absent.csv"),
        (vec![cfg.clone(), "-o".into(), out.clone(), "--data".into(), home.clone()], 7, "not a regular file"),
        (vec![home.join("absent.json"), "-o".into(), out.clone()], 7, "absent.json"),
        (vec![not_json.clone(), "-o".into(), out.clone()], 2, "not JSON"),
    ];
    for (args, code, says) in cases {
        let o = run(olcwf(&sim, &home).arg("run").args(&args));
        assert_code(&o, code);
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        if !says.starts_with("absent.json") {
            assert!(stderr(&o).contains("nothing was submitted"), "{args:?}: {}", stderr(&o));
        }
        assert_eq!(sim.requests().len(), 0, "{args:?}: nothing asked of the server: {:?}", sim.requests());
    }
    assert!(!out.exists());
    // And with all in order, it runs.
    let o = run(olcwf(&sim, &home).arg("run").arg(&cfg).arg("-o").arg(&out).arg("--data").arg(&data));
    assert_code(&o, 0);
    assert_eq!(count(&sim, "/workflow/print/submit"), 1);
}

#[test]
fn a_killed_run_is_in_the_journal_and_resume_collects_the_right_bytes() {
    let sim = sim();
    let home = temp_dir("killed");
    let data = home.join("mine.csv");
    std::fs::write(&data, "id,name\n1,Ann\n").unwrap();
    let out = home.join("result.afp");
    let mut child = in_background(
        olcwf(&sim, &home)
            .arg("run")
            .arg(config(&home, r#""sim_duration_ms":4000,"sim_output_size":300000"#))
            .arg("-o")
            .arg(&out)
            .arg("--data")
            .arg(&data),
    );
    await_request(&sim, "/getOperations");
    // While the run is alive its job is busy, and `resume` leaves it alone.
    let listed = journal(&home);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0].1.as_str(), listed[0].2.as_str()), ("busy", out.to_str().unwrap()));
    let o = run(olcwf(&sim, &home).arg("resume"));
    assert_code(&o, 0);
    assert!(stderr(&o).contains("another olcwf"), "{}", stderr(&o));
    assert_eq!(count(&sim, "getResult/"), 0);
    kill(&mut child);
    let op = listed[0].0.clone();
    assert_eq!(journal(&home), [(op.clone(), "pending".to_string(), out.to_str().unwrap().to_string())]);
    assert!(!out.exists());
    assert_eq!(count(&sim, "/workflow/print/cancel/"), 0, "a killed olcwf cancels nothing");
    // Another server's olcwf does not touch it.
    let other = self::sim();
    let o = run(olcwf(&other, &home).arg("resume"));
    assert_code(&o, 0);
    assert!(stderr(&o).contains("other servers"), "{}", stderr(&o));
    assert_eq!(journal(&home).len(), 1);
    // This server's: waits for the job, writes its result, deletes the upload, forgets the job.
    let o = run(olcwf(&sim, &home).arg("resume"));
    assert_code(&o, 0);
    assert!(std::fs::read(&out).unwrap() == generated_bytes(0, 300000), "the right bytes");
    assert!(stdout(&o).contains("300000 bytes written to"), "{}", stdout(&o));
    assert_eq!(count(&sim, "/filestore/delete/"), 1, "the upload deleted");
    assert!(journal(&home).is_empty());
    assert_code(&run(olcwf(&sim, &home).args(["resume", &op])), 4);
}

#[test]
fn resume_collects_a_job_the_server_no_longer_reports_progress_for() {
    // Field servers answer getProgress with 404 once a finished operation has left their list,
    // while its result is still there: a job that ended while no olcwf watched it is collected.
    let sim = Simulator::start(Settings {
        op_duration: Duration::from_millis(300),
        spool_content: SpoolContent::Pattern,
        progress_gone_after: Some(Duration::ZERO),
        ..Default::default()
    })
    .unwrap();
    let home = temp_dir("gone");
    let out = home.join("result.afp");
    let mut child = in_background(
        olcwf(&sim, &home)
            .arg("run")
            .arg(config(&home, r#""sim_duration_ms":1000,"sim_output_size":4321"#))
            .arg("-o")
            .arg(&out),
    );
    await_request(&sim, "/getOperations");
    kill(&mut child);
    std::thread::sleep(Duration::from_millis(1500)); // it ends meanwhile, unwatched
    let o = run(olcwf(&sim, &home).arg("resume"));
    assert_code(&o, 0);
    assert!(std::fs::read(&out).unwrap() == generated_bytes(0, 4321));
    assert!(journal(&home).is_empty());
}

#[test]
fn resume_cancel_stops_the_job_and_deletes_its_upload() {
    let sim = sim();
    let home = temp_dir("resume-cancel");
    let data = home.join("mine.csv");
    std::fs::write(&data, "id,name\n1,Ann\n").unwrap();
    let mut child = in_background(
        olcwf(&sim, &home)
            .arg("run")
            .arg(config(&home, r#""sim_duration_ms":60000"#))
            .args(["-o", "-", "--data"])
            .arg(&data),
    );
    await_request(&sim, "/getOperations");
    kill(&mut child);
    let listed = journal(&home);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].2, "-");
    // Its result was to go to standard output: resume needs to be told where.
    let o = run(olcwf(&sim, &home).arg("resume"));
    assert_code(&o, 2);
    assert!(stderr(&o).contains(&format!("olcwf resume {} -o FILE", listed[0].0)), "{}", stderr(&o));
    let o = run(olcwf(&sim, &home).args(["resume", "--cancel"]));
    assert_code(&o, 0);
    assert_eq!(stdout(&o).trim(), format!("{}\tcancelled", listed[0].0));
    assert_eq!(count(&sim, &format!("/workflow/print/cancel/{}", listed[0].0)), 1);
    assert_eq!(count(&sim, "/filestore/delete/"), 1);
    assert!(journal(&home).is_empty());
}

#[test]
fn a_run_that_cannot_reach_the_server_leaves_the_job_and_says_how_to_collect_or_stop_it() {
    let sim = sim();
    let home = temp_dir("gave-up");
    let out = home.join("result.afp");
    let data = home.join("mine.csv");
    std::fs::write(&data, "id,name\n1,Ann\n").unwrap();
    // The server stops answering while the job runs: every look at it times out.
    let slow = || FaultRule::always(Fault::Delay(Duration::from_secs(30)));
    let child = olcwf(&sim, &home)
        .args(["--read-timeout", "0.5", "--retry-max-time", "2", "run"])
        .arg(config(&home, r#""sim_duration_ms":2000,"sim_output_size":1000"#))
        .arg("-o")
        .arg(&out)
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    await_request(&sim, "/workflow/print/submit");
    sim.add_fault(slow().on_path("getOperations"));
    sim.add_fault(slow().on_path("getProgress"));
    sim.add_fault(slow().on_path("/cancel/"));
    sim.add_fault(slow().on_path("/filestore/delete/"));
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 6);
    let listed = journal(&home);
    assert_eq!(listed.len(), 1, "kept for resume: {}", stderr(&o));
    let op = &listed[0].0;
    let text = stderr(&o);
    let file = out.to_str().unwrap();
    assert!(text.contains("may still be running on the server"), "{text}");
    // The library's hints name olcwf's options, not C functions.
    assert!(!text.contains("wf_"), "no C names: {text}");
    assert!(text.contains(&format!("olcwf wait {op} && olcwf get-result {op} -o {file}")), "{text}");
    assert!(text.contains(&format!("olcwf cancel {op}")) && text.contains("olcwf resume"), "{text}");
    assert_eq!(count(&sim, "/cancel/"), 0, "not cancelled: its result may still be collected");
    assert_eq!(count(&sim, "/filestore/delete/"), 0, "its data file kept while the job may use it");
    // The server is back: resume collects it and cleans up.
    sim.clear_faults();
    let o = run(olcwf(&sim, &home).arg("resume"));
    assert_code(&o, 0);
    assert!(std::fs::read(&out).unwrap() == generated_bytes(0, 1000));
    assert_eq!(count(&sim, "/filestore/delete/"), 1);
    assert!(journal(&home).is_empty());
}

#[test]
fn two_olcwf_resume_at_once_collect_each_job_once() {
    let sim = sim();
    let home = temp_dir("two-resumes");
    let mut outs = Vec::new();
    for i in 0..3 {
        let out = home.join(format!("r{i}.afp"));
        let mut child = in_background(
            olcwf(&sim, &home)
                .arg("run")
                .arg(config(&home, &format!(r#""sim_duration_ms":1500,"sim_output_size":{}"#, 1000 + i)))
                .arg("-o")
                .arg(&out),
        );
        let before = count(&sim, "/workflow/print/submit");
        let start = Instant::now();
        while count(&sim, "/workflow/print/submit") == before || journal(&home).len() < i + 1 {
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(10));
        }
        kill(&mut child);
        outs.push(out);
    }
    assert_eq!(journal(&home).len(), 3);
    let a = olcwf(&sim, &home).arg("resume").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let b = olcwf(&sim, &home).arg("resume").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_code(&a, 0);
    assert_code(&b, 0);
    for (i, out) in outs.iter().enumerate() {
        assert!(std::fs::read(out).unwrap() == generated_bytes(0, 1000 + i), "{}", out.display());
    }
    assert_eq!(count(&sim, "getResult/"), 3, "each result fetched once");
    assert!(journal(&home).is_empty());
}

/// Writes the configuration file under `home` with `mode`.
fn profiles(home: &Path, text: &str, mode: u32) -> PathBuf {
    let dir = home.join("config/olcwf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn secret_file(home: &Path, name: &str, secret: &str, mode: u32) -> PathBuf {
    let path = home.join(name);
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn settings_come_from_flags_then_the_environment_then_the_profile() {
    let (a, b) = (sim(), sim());
    let home = temp_dir("precedence");
    let pw = secret_file(&home, "a.password", "secret", 0o600);
    profiles(
        &home,
        &format!(
            "default_profile = \"a\"\n[profiles.a]\nurl = \"{}\"\nuser = \"ol-admin\"\npassword_file = \"{}\"\n\
             [profiles.b]\nurl = \"{}\"\nuser = \"ol-admin\"\npassword_file = \"../../a.password\"\nread_timeout = 1\n",
            a.url(),
            pw.display(),
            b.url()
        ),
        0o644,
    );
    // Which server each invocation reached.
    let reached = |c: &mut Command| {
        let (before_a, before_b) = (a.requests().len(), b.requests().len());
        let o = run(c.arg("version"));
        assert_code(&o, 0);
        match (a.requests().len() > before_a, b.requests().len() > before_b) {
            (true, false) => "a",
            (false, true) => "b",
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(reached(&mut bare(&home)), "a", "the default profile");
    assert_eq!(reached(bare(&home).env("OLCONNECT_PROFILE", "b")), "b", "the environment's profile");
    assert_eq!(reached(bare(&home).env("OLCONNECT_PROFILE", "b").args(["--profile", "a"])), "a", "the flag's");
    assert_eq!(reached(bare(&home).env("OLCONNECT_URL", b.url())), "b", "the environment over the profile");
    assert_eq!(reached(bare(&home).env("OLCONNECT_URL", b.url()).args(["--url", &a.url()])), "a", "the flag first");
    // The password: the environment over the profile's file.
    assert_code(&run(bare(&home).env("OLCONNECT_PASSWORD", "wrong").arg("version")), 3);
    // Another user than the profile's does not get the profile's password.
    let o = run(bare(&home).args(["--user", "someone", "version"]));
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no password for user someone"), "{}", stderr(&o));
    // Timeouts: profile b allows a server 1 s of silence, the flag 10 s.
    b.add_fault(FaultRule::always(Fault::Delay(Duration::from_millis(2500))).on_path("/version"));
    assert_code(&run(bare(&home).args(["--profile", "b", "version"])), 6);
    assert_eq!(reached(bare(&home).args(["--profile", "b", "--read-timeout", "10"])), "b");
    // An unknown profile says which there are.
    let o = run(bare(&home).args(["--profile", "c", "version"]));
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no profile 'c'") && stderr(&o).contains("a, b"), "{}", stderr(&o));
}

#[test]
fn secrets_open_to_others_are_refused_with_the_chmod_to_run() {
    let sim = sim();
    let home = temp_dir("permissions");
    let pw = secret_file(&home, "pw", "secret", 0o644);
    let text =
        format!("[profiles.p]\nurl = \"{}\"\nuser = \"ol-admin\"\npassword_file = \"{}\"\n", sim.url(), pw.display());
    let cfg = profiles(&home, &text, 0o644);
    let o = run(bare(&home).args(["--profile", "p", "version"]));
    assert_code(&o, 2);
    assert!(stderr(&o).contains(&format!("chmod 600 {}", pw.display())), "{}", stderr(&o));
    assert!(sim.requests().is_empty(), "nothing sent");
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_code(&run(bare(&home).args(["--profile", "p", "version"])), 0);
    // A configuration others may change could send the credentials elsewhere.
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o666)).unwrap();
    let o = run(bare(&home).args(["--profile", "p", "version"]));
    assert_code(&o, 2);
    assert!(stderr(&o).contains(&format!("chmod go-w {}", cfg.display())), "{}", stderr(&o));
    // A secret written in the configuration is refused, and not quoted.
    profiles(&home, &format!("[profiles.p]\nurl = \"{}\"\npassword = \"hunter2-x\"\n", sim.url()), 0o600);
    let o = run(bare(&home).args(["--profile", "p", "version"]));
    assert_code(&o, 2);
    assert!(stderr(&o).contains("password_file") && !stderr(&o).contains("hunter2"), "{}", stderr(&o));
}

#[test]
fn the_manual_pages_come_from_the_command_line_definitions() {
    let dir = temp_dir("man");
    let o = run(Command::new(OLCWF).arg("generate-man").arg(&dir));
    assert_code(&o, 0);
    for page in ["olcwf.1", "olcwf-run.1", "olcwf-resume.1", "olcwf-get-result.1", "olcwf-wait.1"] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}: {text}");
    }
    let run_page = std::fs::read_to_string(dir.join("olcwf-run.1")).unwrap();
    assert!(run_page.contains("nothing printed on success"), "its examples: {run_page}");
    assert!(!dir.join("olcwf-generate-man.1").exists(), "the hidden command has no page");
    let o = run(Command::new(OLCWF).arg("--help"));
    assert!(stdout(&o).contains("Examples:") && stdout(&o).contains("Profiles"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("generate-man"));
}

#[test]
fn a_run_survives_a_503_and_a_dropped_poll_and_writes_the_right_bytes() {
    let sim = sim();
    let home = temp_dir("hiccups");
    let cfg = config(&home, r#""sim_duration_ms":1500,"sim_output_size":70000"#);
    let out = home.join("result.pdf");
    sim.add_fault(FaultRule::times(Fault::Unavailable, 1).on_path("getOperations"));
    sim.add_fault(FaultRule::times(Fault::Drop, 1).on_path("getOperations"));
    sim.add_fault(FaultRule::times(Fault::Unavailable, 1).on_path("getProgress"));
    let o = run(olcwf(&sim, &home).arg("run").arg(&cfg).arg("-o").arg(&out));
    assert_code(&o, 0);
    assert!(std::fs::read(&out).unwrap() == generated_bytes(0, 70000), "the right bytes");
    assert_eq!(count(&sim, "/getResult/"), 1, "the result asked for once");
    assert!(count(&sim, "/getOperations") >= 3, "the 503 and the dropped look were met, then a look went through");
    assert!(count(&sim, "/getProgress/") >= 2, "the 503 of the confirming progress call was met, then retried");
}

#[test]
fn retry_flags_set_how_often_a_safe_request_is_sent_again() {
    let sim = sim();
    let home = temp_dir("retry-flags");
    sim.add_fault(FaultRule::times(Fault::Unavailable, 1).on_path("/version"));
    let o = run(olcwf(&sim, &home).args(["--retry", "0", "version"]));
    assert_ne!(o.status.code(), Some(0), "no retry: the 503 is the answer");
    assert!(stderr(&o).contains("503"), "{}", stderr(&o));
    let before = count(&sim, "/version");
    sim.add_fault(FaultRule::times(Fault::Unavailable, 2).on_path("/version"));
    let o = run(olcwf(&sim, &home).args(["--retry", "2", "version"]));
    assert_code(&o, 0);
    assert_eq!(count(&sim, "/version") - before, 3, "two retries, then the answer");
}

#[test]
fn an_outage_of_503s_leaves_the_job_for_resume_and_a_503_on_resume_keeps_it() {
    let sim = sim();
    let home = temp_dir("gave-up-503");
    let out = home.join("result.afp");
    let cfg = config(&home, r#""sim_duration_ms":1500,"sim_output_size":1000"#);
    let child = olcwf(&sim, &home)
        .args(["--retry-max-time", "1", "run"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    await_request(&sim, "/workflow/print/submit");
    // A load balancer answering 503 while Connect restarts: the job's result is still to be had.
    let busy = || FaultRule::always(Fault::Unavailable);
    sim.add_fault(busy().on_path("getOperations"));
    sim.add_fault(busy().on_path("getProgress"));
    let o = child.wait_with_output().unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(count(&sim, "/cancel/"), 0, "not cancelled: {}", stderr(&o));
    assert_eq!(journal(&home).len(), 1, "kept for resume: {}", stderr(&o));
    assert!(stderr(&o).contains("olcwf resume"), "{}", stderr(&o));
    // The server is back, but the result answers 503 once: resume keeps the job.
    sim.clear_faults();
    sim.add_fault(FaultRule::times(Fault::Unavailable, 1).on_path("/getResult/"));
    std::thread::sleep(Duration::from_millis(1600));
    let o = run(olcwf(&sim, &home).arg("resume"));
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(journal(&home).len(), 1, "a 503 is no reason to forget the job: {}", stderr(&o));
    let o = run(olcwf(&sim, &home).arg("resume"));
    assert_code(&o, 0);
    assert!(std::fs::read(&out).unwrap() == generated_bytes(0, 1000));
    assert!(journal(&home).is_empty());
}
