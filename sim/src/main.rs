//! `olconnect-sim` command line: `olconnect-sim [--port N] [--bind ADDR] [--config FILE] [--KEY VALUE ...]`.
//! Every setting of `Settings` is a flag, built from the same table (`SETTING_KEYS`) that the TOML
//! file and the `/sim/settings` control route use.

use clap::{Arg, ArgAction, ArgMatches, Command};
use olconnect_sim::{Simulator, Startup, DEMO_FILE_STORE, FAULT_KEYS, FAULT_KINDS, SETTING_KEYS};
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A file `make install` puts in PREFIX/share/doc/olconnect_wf, found from where this binary is
/// (PREFIX/bin); `None` when it is not there (a build tree, `cargo install`).
fn installed_doc(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    let doc = exe.parent()?.parent()?.join("share/doc/olconnect_wf").join(name);
    doc.is_file().then_some(doc)
}

/// Where a document is: its installed copy when there is one, else its place in the sources.
fn doc_place(name: &str, in_sources: &str) -> String {
    match installed_doc(name) {
        Some(path) => path.display().to_string(),
        None => format!("{in_sources} of the olconnect-wf sources (installed in share/doc/olconnect_wf)"),
    }
}

/// The long help (`--help`): what a man page would say beyond the option list.
fn after_long_help() -> String {
    let mut s = String::from(
        "DESCRIPTION\n  A stand-in for an OL Connect Server: it answers the REST API (authentication, All-In-One,\n  \
         File Store) the way the documented versions do, makes PDFs of the data records a job maps,\n  \
         and misbehaves on request, so that client programs can be developed and tested without a\n  \
         Connect licence. The first line on stdout is exactly `listening on http://ADDR:PORT`.\n\n\
         DEMO FILE STORE (name these in an All-In-One configuration by name or id)\n",
    );
    for (id, name, what) in DEMO_FILE_STORE {
        s.push_str(&format!("  {id}  {name:<32} {what}\n"));
    }
    s.push_str(
        "\nRUNTIME PARAMETERS\n  sim_output_size, sim_spool_files, sim_duration_ms and sim_fail (an error message) in any\n  \
         step's \"parameters\" shape one operation's result.\n\n\
         FAULTS (--fault PATH:KIND[:KEY=VALUE...], repeatable; PATH is text of the request path, * any)\n",
    );
    for (kind, keys, what) in FAULT_KINDS {
        s.push_str(&format!("  {kind:<17} {keys:<27} {what}\n"));
    }
    s.push_str("  keys of every rule:\n");
    for (key, what) in FAULT_KEYS.iter().filter(|(k, _)| ["path", "op", "times"].contains(k)) {
        s.push_str(&format!("    {key:<6} {what}\n"));
    }
    s.push_str(
        "  e.g. --fault 'getResult:close-mid-body:after=65536:times=1' --fault '*:delay:ms=200:times=always'\n\n\
         FILES\n  --config FILE  TOML: any setting below (with underscores) and faults = [\"PATH:KIND...\", ...].\n  \
         A commented sample:\n    SAMPLE\n  \
         Flags given on the command line override the file.\n\n\
         CONTROL ROUTES (with --control true)\n  POST/DELETE /sim/faults, GET/DELETE /sim/requests, GET/POST /sim/settings,\n  \
         POST /sim/expire-tokens, GET /sim/stats.\n\n\
         EXIT STATUS\n  Runs until stopped (SIGINT, SIGTERM). 2: invalid arguments, configuration or address.\n\n\
         EXAMPLES\n  olconnect-sim --port 9340 -v\n  \
         olconnect-sim --port 0 --config sim.toml --fault 'getResult:unavailable:times=2'\n\n\
         SEE ALSO\n  man olconnect-sim; the whole reference (output, fault kinds, access log, configuration file):\n    \
         REFERENCE",
    );
    s.replace("SAMPLE", &doc_place("olconnect-sim.sample.toml", "sim/olconnect-sim.sample.toml"))
        .replace("REFERENCE", &doc_place("simulator.md", "docs/simulator.md"))
}

fn command() -> Command {
    let mut cmd = Command::new("olconnect-sim")
        .version(env!("CARGO_PKG_VERSION"))
        .about("A simulator of the OL Connect Server REST API (Authentication, All-In-One, File Store)")
        .after_help("Faults: --fault PATH:KIND[:KEY=VALUE...]. `--help` (not -h) shows the fault kinds, the demo File Store and more.")
        .after_long_help(after_long_help())
        .arg(
            Arg::new("port")
                .long("port")
                .value_name("N")
                .value_parser(clap::value_parser!(u16))
                .default_value("9340")
                .help("Port to listen on (0 picks a free port)"),
        )
        .arg(Arg::new("bind").long("bind").value_name("ADDR").default_value("127.0.0.1").help("Address to bind"))
        .arg(Arg::new("config").long("config").value_name("FILE").help("TOML file with any of the settings below and faults"))
        .arg(
            Arg::new("user")
                .long("user")
                .value_name("NAME:PASSWORD[:ROLES]")
                .action(ArgAction::Append)
                .help("Add a user (the first replaces the default ol-admin/secret); ROLES: data,resource,monitor"),
        )
        .arg(
            Arg::new("fault")
                .long("fault")
                .value_name("PATH:KIND[:KEY=VALUE...]")
                .action(ArgAction::Append)
                .help("Misbehave from the start, e.g. 'getResult:close-mid-body:after=65536:times=1' (see --help)"),
        )
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .action(ArgAction::SetTrue)
                .help("Access log on stderr: a line per request, secrets redacted (same as --access-log true)"),
        )
        .arg(Arg::new("no-security").long("no-security").action(ArgAction::SetTrue).help("Same as --security false"))
        .arg(
            Arg::new("generate-man")
                .long("generate-man")
                .value_name("DIR")
                .hide(true)
                .help("Write the manual page olconnect-sim.1 into DIR (used by make install)"),
        );
    for (key, description) in SETTING_KEYS {
        let long = key.replace('_', "-");
        let mut arg = Arg::new(*key).long(long.clone()).value_name("VALUE").help(*description).help_heading("Settings");
        if long != *key {
            arg = arg.alias(*key);
        }
        cmd = cmd.arg(arg);
    }
    cmd
}

fn startup_from(matches: &ArgMatches) -> Result<Startup, String> {
    let mut startup = Startup::default();
    if let Some(path) = matches.get_one::<String>("config") {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        startup.apply_toml(&text).map_err(|e| format!("{path}: {e}"))?;
    }
    let settings = &mut startup.settings;
    for (key, _) in SETTING_KEYS {
        if let Some(v) = matches.get_one::<String>(key) {
            settings.set(key, &Value::String(v.clone())).map_err(|e| format!("--{}: {e}", key.replace('_', "-")))?;
        }
    }
    let users: Vec<Value> =
        matches.get_many::<String>("user").into_iter().flatten().cloned().map(Value::String).collect();
    if !users.is_empty() {
        settings.set("users", &Value::Array(users))?;
    }
    if matches.get_flag("no-security") {
        settings.security = false;
    }
    if matches.get_flag("verbose") {
        settings.access_log = true;
    }
    for spec in matches.get_many::<String>("fault").into_iter().flatten() {
        startup.add_fault(spec).map_err(|e| format!("--fault: {e}"))?;
    }
    Ok(startup)
}

fn run(matches: &ArgMatches) -> Result<(), String> {
    let startup = startup_from(matches)?;
    let port = *matches.get_one::<u16>("port").expect("has a default");
    let bind = matches.get_one::<String>("bind").expect("has a default");
    let addr: SocketAddr = format!("{bind}:{port}").parse().map_err(|_| format!("invalid bind address {bind}"))?;
    let sim = Simulator::launch(addr, startup).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", sim.url()).and_then(|_| out.flush()).map_err(|e| e.to_string())?;
    loop {
        std::thread::park();
    }
}

/// Writes olconnect-sim.1, made from the same clap definitions as --help.
fn generate_man(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make the folder {}: {e}", dir.display()))?;
    let page = clap_mangen::Man::new(command());
    page.generate_to(dir).map(drop).map_err(|e| format!("cannot write the manual page into {}: {e}", dir.display()))
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let outcome = match matches.get_one::<String>("generate-man") {
        Some(dir) => generate_man(Path::new(dir)),
        None => run(&matches),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("olconnect-sim: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn settings_come_from_flags_with_dashes_or_underscores() {
        let m =
            command().try_get_matches_from(["olconnect-sim", "--op-duration-ms", "7", "--delete_after_read", "true"]);
        let s = startup_from(&m.unwrap()).unwrap().settings;
        assert_eq!((s.op_duration.as_millis(), s.delete_after_read), (7, true));
        let e = command().try_get_matches_from(["olconnect-sim", "--no-such-option", "1"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::UnknownArgument);
        let e = command().try_get_matches_from(["olconnect-sim", "--version"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion);
    }

    #[test]
    fn the_manual_page_says_what_help_says() {
        let dir = std::env::temp_dir().join(format!("olconnect-sim-man-{}", std::process::id()));
        generate_man(&dir).unwrap();
        let page = std::fs::read_to_string(dir.join("olconnect-sim.1")).unwrap();
        assert!(page.contains("close\\-mid\\-body") || page.contains("close-mid-body"), "{page}");
        assert!(page.contains("SEE ALSO"), "{page}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn faults_and_verbose_come_from_flags() {
        let m = command()
            .try_get_matches_from([
                "olconnect-sim",
                "-v",
                "--fault",
                "getResult:drop",
                "--fault",
                "*:delay:ms=5:times=always",
            ])
            .unwrap();
        let start = startup_from(&m).unwrap();
        assert!(start.settings.access_log);
        assert_eq!(start.faults.len(), 2);
        let m = command().try_get_matches_from(["olconnect-sim", "--fault", "getResult:meteor"]).unwrap();
        assert!(startup_from(&m).unwrap_err().contains("--fault: unknown fault kind 'meteor'"));
    }
}
