//! What standard output and private folders need of each OS (docs/platforms.md).

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
