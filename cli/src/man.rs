//! The manual pages, made from the clap definitions (the one source of the options' help):
//! `olcwf generate-man DIR` writes `olcwf.1` and an `olcwf-COMMAND.1` per command, which
//! `make install` puts in share/man/man1 (scripts/install.sh).

use std::path::Path;

pub fn generate(cmd: clap::Command, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make the folder {}: {e}", dir.display()))?;
    clap_mangen::generate_to(cmd, dir).map_err(|e| format!("cannot write the manual pages into {}: {e}", dir.display()))
}
