//! `olconnect-sim` command line: `olconnect-sim [--port N] [--bind ADDR] [--config FILE] [--KEY VALUE ...]`.
//! Every setting of `Settings` is a flag, built from the same table (`SETTING_KEYS`) that the TOML
//! file and the `/sim/settings` control route use.

use clap::{Arg, ArgAction, ArgMatches, Command};
use olconnect_sim::{Settings, Simulator, DEMO_FILE_STORE, SETTING_KEYS};
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

fn command() -> Command {
    let mut demo = String::from("Demo File Store (name it in an All-In-One configuration by name or id):\n");
    for (id, name, what) in DEMO_FILE_STORE {
        demo.push_str(&format!("  {id}  {name:<32} {what}\n"));
    }
    demo.push_str(
        "\nThe first line on stdout is exactly `listening on http://ADDR:PORT`.\n\
         Runtime parameters sim_output_size, sim_spool_files, sim_duration_ms and sim_fail in any\n\
         step's \"parameters\" shape one operation's result. Settings given as flags override the\n\
         --config file.",
    );
    let mut cmd = Command::new("olconnect-sim")
        .version(env!("CARGO_PKG_VERSION"))
        .about("A simulator of the OL Connect Server REST API (Authentication, All-In-One, File Store)")
        .after_help(demo)
        .arg(
            Arg::new("port")
                .long("port")
                .value_name("N")
                .value_parser(clap::value_parser!(u16))
                .default_value("9340")
                .help("Port to listen on (0 picks a free port)"),
        )
        .arg(Arg::new("bind").long("bind").value_name("ADDR").default_value("127.0.0.1").help("Address to bind"))
        .arg(Arg::new("config").long("config").value_name("FILE").help("TOML file with any of the settings below"))
        .arg(
            Arg::new("user")
                .long("user")
                .value_name("NAME:PASSWORD[:ROLES]")
                .action(ArgAction::Append)
                .help("Add a user (the first replaces the default ol-admin/secret); ROLES: data,resource,monitor"),
        )
        .arg(Arg::new("no-security").long("no-security").action(ArgAction::SetTrue).help("Same as --security false"));
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

fn settings_from(matches: &ArgMatches) -> Result<Settings, String> {
    let mut settings = Settings::default();
    if let Some(path) = matches.get_one::<String>("config") {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        settings.apply_toml(&text).map_err(|e| format!("{path}: {e}"))?;
    }
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
    Ok(settings)
}

fn run(matches: &ArgMatches) -> Result<(), String> {
    let settings = settings_from(matches)?;
    let port = *matches.get_one::<u16>("port").expect("has a default");
    let bind = matches.get_one::<String>("bind").expect("has a default");
    let addr: SocketAddr = format!("{bind}:{port}").parse().map_err(|_| format!("invalid bind address {bind}"))?;
    let sim = Simulator::bind(addr, settings).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", sim.url()).and_then(|_| out.flush()).map_err(|e| e.to_string())?;
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    match run(&matches) {
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
        let s = settings_from(&m.unwrap()).unwrap();
        assert_eq!((s.op_duration.as_millis(), s.delete_after_read), (7, true));
        let e = command().try_get_matches_from(["olconnect-sim", "--no-such-option", "1"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::UnknownArgument);
        let e = command().try_get_matches_from(["olconnect-sim", "--version"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion);
    }
}
