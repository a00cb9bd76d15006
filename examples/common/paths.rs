//! Checks an example makes before it starts work that takes minutes.

use std::path::Path;

/// An error now, rather than after training, when `path` cannot be written: a missing
/// directory, a read-only one, a path that is a directory. An existing file is opened without
/// truncating it; a file this check creates is removed again.
pub fn check_writable(what: &str, path: &Path) -> tensorgears::Result<()> {
    let existed = path.exists();
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path);
    match opened {
        Ok(_) => {
            if !existed {
                let _ = std::fs::remove_file(path);
            }
            Ok(())
        }
        Err(e) => Err(tensorgears::Error::Data {
            file: path.display().to_string(),
            msg: format!("cannot write the {what} there ({e}); nothing was trained"),
        }),
    }
}
