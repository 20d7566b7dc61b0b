//! The local source: files and directory trees on disk.
//!
//! Symbolic links are not followed unless asked (and then walkdir detects
//! loops); FIFOs, sockets and devices are reported and skipped, and files
//! are opened non-blocking so one swapped for a FIFO after listing cannot
//! hang the scan.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::{Discovered, Location, ObjectRef, OpenError};
use crate::record::{IssueKind, ScanIssue};

/// Options for walking local trees.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub follow_symlinks: bool,
}

/// Lists every regular file under the targets, in a stable order.
pub fn walk(
    targets: Vec<PathBuf>,
    options: WalkOptions,
) -> impl Iterator<Item = Discovered> + Send {
    targets.into_iter().flat_map(move |target| {
        walkdir::WalkDir::new(&target)
            .follow_links(options.follow_symlinks)
            .sort_by_file_name()
            .into_iter()
            .filter_map(move |entry| match entry {
                Err(error) => {
                    let location = error
                        .path()
                        .map_or_else(|| "?".to_string(), |p| p.display().to_string());
                    let kind = if error.loop_ancestor().is_some() {
                        IssueKind::SymlinkLoop
                    } else {
                        IssueKind::Unlistable
                    };
                    Some(Discovered::Issue(ScanIssue {
                        location,
                        kind,
                        message: error.to_string(),
                    }))
                }
                // A target named on the command line is followed even when it
                // is a link; links met while walking need --follow.
                Ok(entry) if entry.depth() == 0 && entry.path_is_symlink() => {
                    match std::fs::metadata(entry.path()) {
                        Ok(meta) => discovered(entry.path(), meta.file_type(), Some(meta))
                            .map(|d| with_bucket_key(d, &target)),
                        Err(error) => Some(Discovered::Issue(ScanIssue {
                            location: entry.path().display().to_string(),
                            kind: IssueKind::Unlistable,
                            message: error.to_string(),
                        })),
                    }
                }
                Ok(entry) => discovered(entry.path(), entry.file_type(), entry.metadata().ok())
                    .map(|d| with_bucket_key(d, &target)),
            })
    })
}

/// Names a local object as access logs would: the target directory is the
/// bucket, the path below it the key.
fn with_bucket_key(discovered: Discovered, root: &Path) -> Discovered {
    let Discovered::Object(mut object) = discovered else {
        return discovered;
    };
    let Location::File(path) = &object.location else {
        return Discovered::Object(object);
    };
    if let (Some(bucket), Ok(key)) = (root.file_name(), path.strip_prefix(root)) {
        let key: Vec<String> = key
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if !key.is_empty() {
            object.bucket_key = Some((bucket.to_string_lossy().into_owned(), key.join("/")));
        }
    }
    Discovered::Object(object)
}

fn discovered(
    path: &Path,
    file_type: std::fs::FileType,
    metadata: Option<std::fs::Metadata>,
) -> Option<Discovered> {
    if file_type.is_dir() {
        return None;
    }
    let location = path.display().to_string();
    if file_type.is_symlink() {
        return Some(Discovered::Issue(ScanIssue {
            location,
            kind: IssueKind::Skipped,
            message: "symbolic link not followed (use --follow)".into(),
        }));
    }
    if !file_type.is_file() {
        let kind = special_kind(file_type);
        return Some(Discovered::Issue(ScanIssue {
            location,
            kind: IssueKind::Skipped,
            message: format!("not a regular file ({kind})"),
        }));
    }
    Some(Discovered::Object(ObjectRef {
        uri: location.clone(),
        name: location,
        size: metadata.as_ref().map_or(0, |m| m.len()),
        etag: None,
        version_id: None,
        last_modified: metadata.and_then(|m| m.modified().ok()),
        location: Location::File(path.to_path_buf()),
        bucket_key: None,
    }))
}

#[cfg(unix)]
fn special_kind(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "fifo"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: std::fs::FileType) -> &'static str {
    "special file"
}

/// Opens a regular file without blocking, and refuses anything else.
pub fn open_regular(path: &Path) -> Result<File, OpenError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(OpenError::NotRegular(special_kind(file_type)));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn fifo_and_symlink_loop_are_reported_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "hello").unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let found: Vec<Discovered> = walk(
            vec![dir.path().to_path_buf()],
            WalkOptions {
                follow_symlinks: true,
            },
        )
        .collect();
        let objects: Vec<&str> = found
            .iter()
            .filter_map(|d| match d {
                Discovered::Object(o) => Some(o.uri.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(objects.len(), 1, "{found:?}");
        assert!(objects[0].ends_with("a.txt"));
        let kinds: Vec<IssueKind> = found
            .iter()
            .filter_map(|d| match d {
                Discovered::Issue(i) => Some(i.kind),
                _ => None,
            })
            .collect();
        assert!(kinds.contains(&IssueKind::SymlinkLoop), "{kinds:?}");
        assert!(kinds.contains(&IssueKind::Skipped), "{kinds:?}");
        assert!(matches!(
            open_regular(&fifo),
            Err(OpenError::NotRegular("fifo"))
        ));
    }
}
