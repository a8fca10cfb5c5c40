//! Where `olcwf run` writes the result (`-o FILE`, or `-o -` for standard output), checked before
//! anything is put on the server: a job whose result cannot be written costs the server's work
//! and, on servers that hand a result out once, the result itself.

use crate::Failure;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Stdout,
    /// An absolute path (so that the journal's record holds wherever olcwf is run from).
    File(PathBuf),
}

impl Output {
    /// `-` or a file name, as given to `-o`.
    pub fn parse(given: &str) -> Output {
        if given == "-" {
            Output::Stdout
        } else {
            Output::File(PathBuf::from(given))
        }
    }

    /// How the journal records it: an absolute path, or `-`.
    pub fn recorded(&self) -> String {
        match self {
            Output::Stdout => "-".to_string(),
            Output::File(p) => p.display().to_string(),
        }
    }
}

/// Checks that the result can be written at `given`: a file name, not a directory, in a folder
/// that exists and that this process may write; gives it as an absolute path.
pub fn check(given: Output) -> Result<Output, Failure> {
    let Output::File(path) = given else { return Ok(Output::Stdout) };
    let refuse = |why: String| {
        Failure::Local(format!("cannot write the result to {}: {why} (nothing was submitted)", path.display()))
    };
    if path.file_name().is_none() {
        return Err(refuse("it does not name a file".into()));
    }
    if path.is_dir() {
        return Err(refuse("it is a directory: give the path of a file to create or replace".into()));
    }
    let folder = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from("."),
    };
    let folder = match std::fs::canonicalize(&folder) {
        Ok(f) => f,
        Err(e) => return Err(refuse(format!("its folder {} cannot be used: {e}", folder.display()))),
    };
    if !folder.is_dir() {
        return Err(refuse(format!("{} is not a folder", folder.display())));
    }
    if let Err(e) = crate::sys::writable(&folder) {
        return Err(refuse(format!("its folder {} is not writable: {e}", folder.display())));
    }
    Ok(Output::File(folder.join(path.file_name().expect("checked above"))))
}

/// Checks that a local data file (`run --data`) is a regular file that can be read.
pub fn check_data(path: &Path) -> Result<(), Failure> {
    let refuse = |why: String| {
        Failure::Local(format!("cannot use the data file {}: {why} (nothing was submitted)", path.display()))
    };
    let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
    if !meta.is_file() {
        return Err(refuse("it is not a regular file".into()));
    }
    std::fs::File::open(path).map_err(|e| refuse(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_a_writable_folder_passes_and_becomes_absolute() {
        let dir = std::env::temp_dir();
        let Output::File(p) = check(Output::File(dir.join("x.pdf"))).ok().unwrap() else { panic!() };
        assert!(p.is_absolute() && p.ends_with("x.pdf"));
        assert!(check(Output::File(dir.clone())).is_err(), "a directory");
        assert!(check(Output::File(dir.join("no-such-folder-olcwf/x.pdf"))).is_err());
        assert_eq!(check(Output::Stdout).ok(), Some(Output::Stdout));
    }
}
