//! `olconnect-sim` command line: `olconnect-sim [--port N] [--config FILE] [options]`.

use olconnect_sim::{Settings, Simulator, DEMO_FILE_STORE, SETTING_KEYS};
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

fn help() -> String {
    let mut s = String::from(
        "olconnect-sim: a simulator of the OL Connect Server REST API\n\n\
         Usage: olconnect-sim [--port N] [--bind ADDR] [--config FILE] [--KEY VALUE ...]\n\n\
         --port N         port to listen on (default 9340; 0 picks a free port)\n\
         --bind ADDR      address to bind (default 127.0.0.1)\n\
         --config FILE    TOML file with any of the keys below\n\
         --user N:P[:R]   add a user (first use replaces the default ol-admin/secret); R: data,resource,monitor\n\
         --no-security    same as --security false\n\
         --help           this text\n\n\
         Settings (--key value on the command line, key = value in TOML; dashes or underscores):\n",
    );
    for (k, d) in SETTING_KEYS {
        s.push_str(&format!("  --{:<26} {d}\n", k.replace('_', "-")));
    }
    s.push_str("\nDemo File Store (name it in an All-In-One configuration by name or id):\n");
    for (id, name, what) in DEMO_FILE_STORE {
        s.push_str(&format!("  {id}  {name:<32} {what}\n"));
    }
    s.push_str(
        "\nThe first line on stdout is exactly `listening on http://ADDR:PORT`.\n\
         Runtime parameters sim_output_size, sim_spool_files, sim_duration_ms and sim_fail in any\n\
         step's \"parameters\" shape one operation's result.\n",
    );
    s
}

fn run() -> Result<(), String> {
    let mut settings = Settings::default();
    let mut port: u16 = 9340;
    let mut bind = "127.0.0.1".to_string();
    let mut users: Vec<Value> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => {
                print!("{}", help());
                std::process::exit(0);
            }
            "--port" => port = value("--port")?.parse().map_err(|_| "--port needs a number from 0 to 65535")?,
            "--bind" => bind = value("--bind")?,
            "--config" => {
                let path = value("--config")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
                settings.apply_toml(&text).map_err(|e| format!("{path}: {e}"))?;
            }
            "--user" => users.push(Value::String(value("--user")?)),
            "--no-security" => settings.security = false,
            flag if flag.starts_with("--") => {
                let key = flag[2..].replace('-', "_");
                let v = value(flag)?;
                settings.set(&key, &Value::String(v)).map_err(|e| format!("{flag}: {e}"))?;
            }
            other => return Err(format!("unexpected argument '{other}' (see --help)")),
        }
    }
    if !users.is_empty() {
        settings.set("users", &Value::Array(users))?;
    }
    let addr: SocketAddr = format!("{bind}:{port}").parse().map_err(|_| format!("invalid bind address {bind}"))?;
    let sim = Simulator::bind(addr, settings).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", sim.url()).and_then(|_| out.flush()).map_err(|e| e.to_string())?;
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("olconnect-sim: {e}");
            ExitCode::from(2)
        }
    }
}
