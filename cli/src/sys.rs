//! What olcwf needs of each OS beyond std: standard output as a file, private folders and files,
//! owners and modes, whether a folder is writable (docs/platforms.md).

use std::fs::File;
use std::io;
use std::path::Path;

/// Standard output as a file of its own (a duplicate of descriptor 1 / the output handle: same
/// file, same offset), so that a regular file behind it can be measured, cut back and sought.
#[cfg(unix)]
pub fn stdout_file() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
}

#[cfg(windows)]
pub fn stdout_file() -> io::Result<File> {
    use std::os::windows::io::AsHandle;
    Ok(File::from(io::stdout().as_handle().try_clone_to_owned()?))
}

/// Whether writes to `file` go to its end whatever its offset (`>>`). Windows does not tell a
/// handle opened for appending apart cheaply: it is taken as not appending, so the file is cut
/// back to its old length and its offset put back on failure, which is the same result.
#[cfg(unix)]
pub fn appends(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: F_GETFL only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    flags >= 0 && flags & libc::O_APPEND != 0
}

#[cfg(windows)]
pub fn appends(_file: &File) -> bool {
    false
}

/// A folder only this user can read (on Windows the user's temporary folder already is).
pub fn private_dir(path: &Path) -> io::Result<()> {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// The owner and permission bits of a file, where the OS has them (Unix). Windows guards a
/// user's files with ACLs, which olcwf does not inspect (docs/platforms.md).
#[cfg(unix)]
pub fn owner_and_mode(meta: &std::fs::Metadata) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.uid(), meta.mode()))
}

#[cfg(windows)]
pub fn owner_and_mode(_meta: &std::fs::Metadata) -> Option<(u32, u32)> {
    None
}

/// This process's effective user id (where there are user ids).
#[cfg(unix)]
pub fn my_uid() -> u32 {
    // SAFETY: geteuid cannot fail and has no preconditions.
    unsafe { libc::geteuid() }
}

/// A folder and its parents, the new ones private to the user (0700 on Unix).
pub fn private_dir_all(path: &Path) -> io::Result<()> {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// A new file only the user may read (0600 on Unix), failing if it exists.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Where olcwf keeps its files when XDG_* and HOME are not set: on Windows the user's local
/// application data folder (`%LOCALAPPDATA%`); on Unix nothing (HOME is the rule there).
pub fn app_data_dir() -> Option<std::path::PathBuf> {
    if cfg!(windows) {
        std::env::var_os("LOCALAPPDATA").filter(|d| !d.is_empty()).map(std::path::PathBuf::from)
    } else {
        None
    }
}

/// Whether this process may create files in `folder` (its effective ids; a read-only file system
/// counts as not writable). On Windows, where a folder's read-only attribute means nothing of the
/// kind (Documents and Desktop carry it) and ACLs decide, by creating and removing a file there.
#[cfg(unix)]
pub fn writable(folder: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(folder.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    let r = unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), libc::W_OK | libc::X_OK, libc::AT_EACCESS) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(windows)]
pub fn writable(folder: &Path) -> io::Result<()> {
    let probe = folder.join(format!(".olcwf-probe-{}", std::process::id()));
    std::fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    std::fs::remove_file(&probe)
}

/// Whether two metadata are of the same file. On Windows (whose file ids std does not give yet)
/// any two are taken as the same: the callers compare a path with a handle opened from it, and
/// journal file names are never reused (time, process id, counter).
#[cfg(unix)]
pub fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(windows)]
pub fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    true
}
