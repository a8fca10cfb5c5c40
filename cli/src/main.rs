//! `olcwf`: the All-In-One service of an OL Connect Server from the command line, for operators
//! and shell scripts. Built on the olconnect-wf core: every call can be stopped with Ctrl-C
//! (exit 130, no partial file), progress shows as bars on a terminal and as plain lines
//! elsewhere, and the exit code says what kind of failure happened (see `exit.rs`).

mod connection;
mod credentials;
mod ctrl_c;
mod destination;
mod exit;
mod journal;
mod man;
mod profile;
mod progress;
mod proxy;
mod redact;
mod resume;
mod run_job;
mod sys;
mod to_stdout;
mod wait;

use clap::{CommandFactory, Parser, Subcommand};
use connection::Connection;
use ctrl_c::CtrlC;
use olconnect_wf::{CallControls, Client, Data, Error, ResultMeta, ResultType, Transfer};
use progress::{ByteProgress, JobProgress, Mode};
use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const ENVIRONMENT: &str = "Environment:
  OLCONNECT_PROFILE   the profile to use, as for --profile
  OLCONNECT_URL       the server (default: the profile's, else http://localhost:9340)
  OLCONNECT_USER      the user to log in as
  OLCONNECT_PASSWORD  its password (or --password-stdin, or a prompt on a terminal)
  OLCONNECT_TOKEN     an auth_token to send instead (from `olcwf login`)
  OLCONNECT_PROXY     the proxy, as for --proxy
  OLCONNECT_PROXY_PASSWORD
                      the proxy's password, for a proxy URL that names only the user
                      (http://USER@host:port): kept out of the process list, never shown
  XDG_CONFIG_HOME     the profiles: $XDG_CONFIG_HOME/olcwf/config.toml (~/.config/olcwf/)
  XDG_STATE_HOME      the journal of jobs for `olcwf resume`: $XDG_STATE_HOME/olcwf/jobs
                      (~/.local/state/olcwf/jobs)";

const PROFILES: &str = "Profiles (named servers, in $XDG_CONFIG_HOME/olcwf/config.toml):
  default_profile = \"prod\"          # when neither --profile nor OLCONNECT_PROFILE names one
  [profiles.prod]
  url = \"https://connect:9340\"      # also: ca_file, insecure, proxy, basic,
  user = \"ol-admin\"                 #   connect_timeout, read_timeout (seconds)
  password_file = \"~/.config/olcwf/prod.password\"   # or password_env = \"VARIABLE\"
  # token_file / token_env, proxy_password_file / proxy_password_env: secrets only by reference;
  # a secret file must be private (chmod 600), the configuration not writable by others.
  Each setting comes from the first of: a flag, the environment, the profile, the default.";

const RUN_EXAMPLES: &str = "Examples:
  olcwf run invoices.json -o invoices.pdf
  olcwf run invoices.json -o - --data mine.csv > out.pdf   # summary on standard error
  olcwf -q run invoices.json -o out.pdf --timeout 600      # nothing printed on success
  olcwf resume                                             # after a killed run: collect its result";

const EXAMPLES: &str = "Examples:
  olcwf run invoices.json -o invoices.pdf           # submit, wait, download
  olcwf run invoices.json -o - --data mine.csv | lp   # the result on standard output
  op=$(olcwf submit invoices.json) && olcwf wait \"$op\" && olcwf get-result \"$op\" -o out.pdf
  olcwf --profile prod operations                   # a named server of the configuration file
  olcwf resume                                      # collect what a killed `olcwf run` left
  man olcwf-run                                     # each command has its manual page";

#[derive(Parser)]
#[command(
    name = "olcwf",
    version,
    about = "Run jobs on the All-In-One service of an OL Connect Server and fetch their results",
    after_help = format!("{EXAMPLES}\n\n{ENVIRONMENT}\n\n{PROFILES}\n\n{}", exit::TABLE),
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    /// Show nothing but the results (no progress)
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Show what the library does: one line per HTTP exchange, retries, re-logins (never a secret)
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Print results as JSON
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Submit a configuration, wait for the job, download its result: the main job in one command
    ///
    /// Before anything is put on the server, the configuration (JSON), the --data file and the
    /// output location (its folder exists and is writable; not a directory) are checked. The job
    /// is recorded in a journal until its result is written, so that `olcwf resume` can collect
    /// it if olcwf is killed or its terminal closed.
    ///
    /// When it does not get to the end (a failure, Ctrl-C, --timeout), it takes back what it put
    /// on the server: it cancels the job if it had not finished, then deletes the --data upload,
    /// each within a few seconds. A second Ctrl-C stops that clean-up at once (exit 130). When the
    /// server cannot be reached it gives up without cancelling: the job may still be running, and
    /// the message gives the commands that collect its result (olcwf wait, olcwf get-result,
    /// olcwf resume) or stop it (olcwf cancel). Whatever is left on the server is said, with the
    /// command that removes it. No partial output file is left.
    #[command(after_help = RUN_EXAMPLES)]
    Run {
        /// The All-In-One configuration (JSON file; - for standard input)
        config: PathBuf,
        /// Where to write the result (- for standard output: the summary then goes to standard error)
        #[arg(short, long, value_name = "FILE|-")]
        output: String,
        /// Seconds the job may take (0: no limit)
        #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
        timeout: f64,
        /// A local data file: uploaded, used as the configuration's data mapping input, deleted after
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
    },
    /// Collect (or cancel) the jobs a killed or cut-off `olcwf run` left on the server
    ///
    /// Each job of this server recorded in the journal is waited for, its result written where
    /// its run was to write it, its --data upload deleted, and its record removed; with --cancel
    /// it is cancelled instead. A job that failed or that the server no longer knows is removed
    /// too (the message says so); one the server could not be reached for stays. A job another
    /// olcwf is handling (a run still going, another resume) is left to it. Ctrl-C stops at once
    /// and leaves the journal as it is.
    #[command(after_help = resume::EXAMPLES)]
    Resume {
        /// Only these operations (default: every job recorded for this server)
        #[arg(value_name = "OP")]
        ops: Vec<String>,
        /// List the recorded jobs of every server (tab-separated: operation, pending or busy,
        /// submitted, server, output) and do nothing else
        #[arg(long, conflicts_with_all = ["cancel", "output"])]
        list: bool,
        /// Cancel the jobs instead of collecting their results, and delete their uploads
        #[arg(long)]
        cancel: bool,
        /// Write the result here instead (one OP only; - for standard output)
        #[arg(short, long, value_name = "FILE|-")]
        output: Option<String>,
        /// Seconds each job may still take (0: no limit)
        #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
        timeout: f64,
    },
    /// Upload a data file or resource to the File Store; print its id
    Upload {
        /// The local file to upload
        file: PathBuf,
        /// The name on the server (default: the file's name; its extension selects the kind)
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Keep it from the server's clean-up
        #[arg(long)]
        persistent: bool,
    },
    /// Delete a File Store file or folder (exit 5 when the server does not, e.g. while a job uses it)
    Delete {
        /// The File Store id (or name) of the file or folder
        file_id: String,
    },
    /// Say whether a File Store file or folder exists (exit 4 when it does not)
    Exists {
        /// The File Store id (or name) of the file or folder
        file_id: String,
    },
    /// Submit a configuration; print the operation id
    Submit {
        /// The All-In-One configuration (JSON file; - for standard input)
        config: PathBuf,
    },
    /// Print the progress of an operation (a percentage, or done)
    Progress {
        /// The operation id (from `olcwf submit`)
        op: String,
    },
    /// Wait until one or several operations have ended; print each as it ends
    ///
    /// With several operations, waits for all of them (with --any, for the first to end), on
    /// one thread and with one request per look for all of them together (the server's list
    /// of running operations). Each operation is printed on standard output as it ends (see
    /// Output below); with one operation its progress shows as for `run`. Exits 0 only when
    /// every operation waited for finished (with --any: the first to end); else with the code
    /// of the first failure, in the order things happened (see Exit codes in `olcwf --help`):
    /// 4 for an operation the server does not know, 6 when --timeout passed first, 130 on
    /// Ctrl-C (at once, whatever came before).
    #[command(after_help = wait::EXAMPLES)]
    Wait {
        /// The operations to wait for (ids from `olcwf submit`; a repeated id counts once)
        #[arg(required = true, value_name = "OP")]
        ops: Vec<String>,
        /// Return when the first of them ends (finished or failed), the others still running
        #[arg(long)]
        any: bool,
        /// Seconds the whole wait may take (0: no limit)
        #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
        timeout: f64,
    },
    /// Download the result of an operation (to standard output without -o, or with -o -)
    ///
    /// To a file (-o FILE): written beside it and renamed when complete, so a failure leaves no
    /// partial file. To standard output redirected to a file (> file, >> file): a failure cuts
    /// the file back to what it was before (empty after >, its old content after >>). To a pipe
    /// or a terminal: bytes already written cannot be taken back; the exit status says that the
    /// download failed.
    GetResult {
        /// The operation id (from `olcwf submit`)
        op: String,
        /// Where to write the result (- or nothing: standard output)
        #[arg(short, long, value_name = "FILE|-")]
        output: Option<String>,
    },
    /// Print the result as text: an entity id or the path(s) of the spool file(s)
    GetResultText {
        /// The operation id (from `olcwf submit`)
        op: String,
    },
    /// Print the managed result (File Store id and file names) as JSON
    ManagedResult {
        /// The operation id (from `olcwf submit`)
        op: String,
    },
    /// Download a File Store file, or a folder as a ZIP archive
    Download {
        /// The File Store id of the file or folder (from `olcwf managed-result`)
        file_id: String,
        /// Where to write it
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// One file of the folder
        #[arg(long, value_name = "NAME")]
        file: Option<String>,
    },
    /// Cancel an operation
    Cancel {
        /// The operation id (from `olcwf submit`)
        op: String,
    },
    /// List the operations running on the server
    Operations,
    /// Print the server's version
    Version,
    /// Log in and print the token (for OLCONNECT_TOKEN)
    Login,
    /// Print a completion script for a shell
    Completions {
        /// The shell (bash, zsh, fish, elvish, powershell)
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (olcwf.1 and olcwf-COMMAND.1) into DIR (used by make install)
    #[command(hide = true)]
    GenerateMan {
        /// The folder to write them into
        dir: PathBuf,
    },
}

/// What a command prints, or why it failed.
pub(crate) enum Failure {
    Call(Error),
    Usage(String),
    Local(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Call(e)
    }
}

pub(crate) struct Session {
    client: Client,
    ctrl_c: CtrlC,
    mode: Mode,
    /// -q: no progress and no summary line.
    quiet: bool,
    json: bool,
    /// The profile in use, if any (recorded in the journal).
    profile: Option<String>,
    /// How to call olcwf again for the same server, for the commands messages give
    /// (`olcwf`, with `--profile`/`--url` when those came from the command line).
    again: String,
}

impl Session {
    /// A view of the client whose calls stop on Ctrl-C.
    pub(crate) fn calls(&self) -> Client {
        self.client.with_controls(CallControls { abort: Some(self.ctrl_c.work.clone()), ..Default::default() })
    }

    /// A view whose calls stop on Ctrl-C and report bytes to `bar`.
    fn downloads(&self, bar: Arc<ByteProgress>) -> Client {
        self.client.with_controls(CallControls {
            abort: Some(self.ctrl_c.work.clone()),
            on_transfer: Some(Arc::new(move |t: &Transfer| {
                if t.received > 0 {
                    bar.report(t.received, t.receive_total);
                }
                true
            })),
            ..Default::default()
        })
    }

    pub(crate) fn wait(&self, op: &str, timeout: f64) -> Result<(), Failure> {
        let job = JobProgress::new(self.mode, op);
        let outcome = self.calls().wait(op, seconds(timeout), &mut |p| {
            job.report(p);
            true
        });
        job.finish();
        outcome.map_err(Failure::from)
    }

    pub(crate) fn to_file(&self, op: &str, output: &Path) -> Result<(), Failure> {
        let bar = Arc::new(ByteProgress::new(self.mode, &format!("result of {op}")));
        let outcome = self.downloads(bar.clone()).result_to_file(op, output);
        bar.finish();
        let (bytes, meta) = outcome?;
        self.print_result(op, output, bytes, &meta);
        Ok(())
    }

    fn print_result(&self, op: &str, output: &Path, bytes: u64, meta: &ResultMeta) {
        let kind = type_name(meta.result_type);
        if self.json {
            let v = json!({
                "operation": op, "file": output.display().to_string(), "bytes": bytes, "type": kind,
                "data_set_id": meta.data_set_id, "content_set_id": meta.content_set_id, "job_set_id": meta.job_set_id,
            });
            println!("{v}");
        } else if !self.quiet {
            let id = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
            println!(
                "{bytes} bytes written to {} (type {kind}; data set {}, content set {}, job set {})",
                output.display(),
                id(meta.data_set_id),
                id(meta.content_set_id),
                id(meta.job_set_id)
            );
        }
    }
}

/// `output-streamed` for WF_RESULT_OUTPUT_STREAMED: the names of the one result-type table.
fn type_name(t: ResultType) -> String {
    let c_name = ResultType::all().iter().find(|(v, _)| *v == t).map_or("WF_RESULT_UNKNOWN", |(_, n)| n);
    c_name.trim_start_matches("WF_RESULT_").to_ascii_lowercase().replace('_', "-")
}

fn seconds(s: f64) -> Option<Duration> {
    (s > 0.0 && s.is_finite()).then(|| Duration::from_secs_f64(s.min(4.0e6)))
}

fn millis(s: f64) -> u32 {
    if s > 0.0 && s.is_finite() {
        (s * 1000.0).ceil().min(u32::MAX as f64) as u32
    } else {
        0
    }
}

pub(crate) fn read_config(path: &Path) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(drop)
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Failure::Local(format!("cannot read the configuration {}: {e}", path.display())))?;
    Ok(text)
}

fn run(cli: &Cli) -> Result<(), Failure> {
    // What needs no server comes first; `run` checks its local files before logging in.
    let mut prepared = None;
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "olcwf", &mut std::io::stdout());
            return Ok(());
        }
        Command::GenerateMan { dir } => return man::generate(Cli::command(), dir).map_err(Failure::Local),
        Command::Resume { list: true, .. } => return resume::list(cli.json),
        Command::Run { config, output, data, .. } => {
            prepared = Some(run_job::prepare(config, output, data.as_deref())?);
        }
        _ => {}
    }
    let display = connection::Display { quiet: cli.quiet, verbose: cli.verbose, json: cli.json };
    let s = connection::connect(&cli.connection, &display)?;
    let calls = s.calls();
    match &cli.command {
        Command::Run { timeout, .. } => run_job::run(&s, prepared.take().expect("prepared above"), *timeout)?,
        Command::Resume { ops, cancel, output, timeout, .. } => {
            resume::resume(&s, ops, *cancel, output.as_deref(), *timeout)?
        }
        Command::Upload { file, name, persistent } => {
            let id = calls.upload(None, &mut Data::file(file)?, name.as_deref(), *persistent)?;
            if s.json {
                println!("{}", json!({ "file_id": id }));
            } else {
                println!("{id}");
            }
        }
        Command::Delete { file_id } => {
            if !calls.delete_managed(file_id)? {
                return Err(Failure::Call(Error::new(
                    olconnect_wf::Status::ServerError,
                    format!("the server did not delete {file_id} (it answered false): a running job may still use it"),
                )));
            }
        }
        Command::Exists { file_id } => {
            let exists = calls.managed_exists(file_id)?;
            if s.json {
                println!("{}", json!({ "file_id": file_id, "exists": exists }));
            } else {
                println!("{}", if exists { "yes" } else { "no" });
            }
            if !exists {
                return Err(Failure::Call(Error::new(
                    olconnect_wf::Status::NotFound,
                    format!("{file_id} is not in the File Store"),
                )));
            }
        }
        Command::Submit { config } => {
            let op = calls.submit(&read_config(config)?)?;
            if s.json {
                println!("{}", json!({ "operation": op }));
            } else {
                println!("{op}");
            }
        }
        Command::Progress { op } => {
            let p = calls.progress(op)?;
            if s.json {
                println!("{}", json!({ "percent": p.percent, "done": p.done }));
            } else if p.done {
                println!("done");
            } else {
                println!("{}%", p.percent);
            }
        }
        Command::Wait { ops, any, timeout } => wait::wait(&s, ops, *any, *timeout)?,
        Command::GetResult { op, output } => match output.as_deref() {
            None | Some("-") => {
                to_stdout::result(&calls, op)?;
            }
            Some(file) => s.to_file(op, Path::new(file))?,
        },
        Command::GetResultText { op } => {
            let text = calls.result_text(op)?;
            if s.json {
                println!("{}", json!({ "operation": op, "text": text }));
            } else {
                println!("{text}");
            }
        }
        Command::ManagedResult { op } => println!("{}", calls.managed_result(op)?),
        Command::Download { file_id, output, file } => {
            let bar = Arc::new(ByteProgress::new(s.mode, &format!("file {file_id}")));
            let outcome = s.downloads(bar.clone()).download_managed(file_id, file.as_deref(), output);
            bar.finish();
            let bytes = outcome?;
            if s.json {
                println!("{}", json!({ "file_id": file_id, "file": output.display().to_string(), "bytes": bytes }));
            } else if !s.quiet {
                println!("{bytes} bytes written to {}", output.display());
            }
        }
        Command::Cancel { op } => calls.cancel(op)?,
        Command::Operations => {
            let raw = calls.operations()?;
            let list: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
            match (&list, s.json) {
                (Value::Array(ops), false) => {
                    for o in ops {
                        let field = |k: &str| {
                            o.get(k).map_or(String::new(), |v| v.as_str().map_or(v.to_string(), str::to_string))
                        };
                        println!("{}\t{}\t{}%\t{}", field("id"), field("type"), field("progress"), field("subTask"));
                    }
                }
                _ => println!("{}", String::from_utf8_lossy(&raw)),
            }
        }
        Command::Version => {
            let server = String::from_utf8_lossy(&calls.server_version()?).into_owned();
            let client = format!("olcwf {} (olconnect-wf {})", env!("CARGO_PKG_VERSION"), olconnect_wf::VERSION);
            if s.json {
                println!("{}", json!({ "server": server, "client": client }));
            } else {
                println!("server {server}\nclient {client}");
            }
        }
        Command::Login => match s.client.token() {
            Some(token) => println!("{}", token.expose()),
            None => {
                return Err(Failure::Usage(
                    "no token: give a user (--user or OLCONNECT_USER) without --basic to log in".into(),
                ))
            }
        },
        Command::Completions { .. } | Command::GenerateMan { .. } => unreachable!("handled before connecting"),
    }
    Ok(())
}

/// Prints a message on standard error, without any secret olcwf was given.
pub(crate) fn say(message: &str) {
    eprintln!("olcwf: {}", redact::clean(message));
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A bug is exit 1, as documented, not the runtime's 101 (the panic message is printed).
    let Ok(outcome) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli))) else {
        eprintln!("olcwf: internal error (a bug in olcwf, please report it)");
        return ExitCode::from(exit::OTHER);
    };
    match outcome {
        Ok(()) => ExitCode::from(exit::OK),
        Err(Failure::Call(e)) => {
            let code = exit::code(&e);
            if code == exit::ABORTED {
                say(&format!("interrupted: {}", e.message));
            } else {
                say(&e.message);
            }
            ExitCode::from(code)
        }
        Err(Failure::Usage(m)) => {
            say(&m);
            ExitCode::from(exit::USAGE)
        }
        Err(Failure::Local(m)) => {
            say(&m);
            ExitCode::from(exit::LOCAL_IO)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_every_argument_says_what_it_is() {
        let mut cmd = Cli::command();
        cmd.build();
        cmd.clone().debug_assert();
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            for arg in sub.get_positionals() {
                assert!(arg.get_help().is_some(), "{} {}: no help text", sub.get_name(), arg.get_id());
            }
            // Options that may come from the environment or a profile are never shown as required.
            let usage = sub.clone().render_usage().to_string();
            for option in ["--url", "--user", "--profile", "--proxy"] {
                assert!(!usage.contains(option), "{usage}");
            }
        }
    }
}
