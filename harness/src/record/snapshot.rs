//! Text snapshots in insta's `.snap` format, for outputs captured outside a
//! Rust test (a consumer's standard output in `switchboard check`).
//!
//! A snapshot file is a small YAML header between `---` lines, then the
//! content. A mismatch (or a first run) leaves the new content beside it as
//! `<name>.snap.new`, exactly where `cargo insta review` looks for pending
//! snapshots, so the usual review workflow accepts or rejects it.

use std::path::{Path, PathBuf};

/// Why a snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Reading or writing the file failed.
    #[error("cannot {action} snapshot {path}: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the OS reported.
        #[source]
        source: std::io::Error,
    },
}

/// How a captured output compares with its stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Identical (line endings and trailing blank lines aside).
    Matches,
    /// No snapshot is stored yet.
    Missing,
    /// Different; `expected` is the stored content.
    Differs {
        /// The stored content.
        expected: String,
    },
}

/// A snapshot file and what produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The `.snap` file.
    pub path: PathBuf,
    /// What produced the content (insta's `source` header).
    pub source: String,
    /// The expression or command (insta's `expression` header).
    pub expression: String,
}

impl Snapshot {
    /// Compares `content` with the stored snapshot.
    pub fn compare(&self, content: &str) -> Result<Comparison, SnapshotError> {
        let stored = match std::fs::read_to_string(&self.path) {
            Ok(stored) => stored,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Comparison::Missing);
            }
            Err(source) => {
                return Err(SnapshotError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let expected = normalize(body(&stored));
        Ok(if expected == normalize(content) {
            Comparison::Matches
        } else {
            Comparison::Differs { expected }
        })
    }

    /// Stores `content` as the snapshot (`--accept`) and removes a pending one.
    pub fn accept(&self, content: &str) -> Result<(), SnapshotError> {
        self.write(&self.path, content)?;
        let _ = std::fs::remove_file(self.pending_path());
        Ok(())
    }

    /// Leaves `content` as a pending snapshot for `cargo insta review`;
    /// returns its path.
    pub fn propose(&self, content: &str) -> Result<PathBuf, SnapshotError> {
        let pending = self.pending_path();
        self.write(&pending, content)?;
        Ok(pending)
    }

    /// `<name>.snap.new`, beside the snapshot.
    pub fn pending_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".new");
        PathBuf::from(name)
    }

    fn write(&self, path: &Path, content: &str) -> Result<(), SnapshotError> {
        let io = |source| SnapshotError::Io {
            action: "write",
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // JSON strings are valid YAML scalars: quoting this way is always safe.
        let text = format!(
            "---\nsource: {}\nexpression: {}\n---\n{}\n",
            serde_json::Value::from(self.source.as_str()),
            serde_json::Value::from(self.expression.as_str()),
            normalize(content)
        );
        std::fs::write(path, text).map_err(io)
    }
}

/// The content of a snapshot file: what follows the header, if there is one.
fn body(stored: &str) -> &str {
    let Some(header) = stored.strip_prefix("---\n") else {
        return stored;
    };
    match header.find("\n---\n") {
        Some(end) => &header[end + "\n---\n".len()..],
        None => stored,
    }
}

/// `\r\n` as `\n`, no trailing whitespace at the end: how insta compares text.
fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_owned()
}

/// A short line-by-line account of how `found` differs from `expected`:
/// each differing line, numbered, with `-` for the stored and `+` for the new.
pub fn describe_difference(expected: &str, found: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let found: Vec<&str> = found.lines().collect();
    let mut out = String::new();
    for index in 0..expected.len().max(found.len()) {
        let (old, new) = (expected.get(index), found.get(index));
        if old == new {
            continue;
        }
        if let Some(old) = old {
            out.push_str(&format!("{:>4} - {old}\n", index + 1));
        }
        if let Some(new) = new {
            out.push_str(&format!("{:>4} + {new}\n", index + 1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(dir: &Path) -> Snapshot {
        Snapshot {
            path: dir.join("sub").join("consumer.snap"),
            source: "switchboard check".into(),
            expression: "python3 \"c.py\": x".into(),
        }
    }

    #[test]
    fn missing_then_proposed_then_accepted_then_matching() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = snapshot(dir.path());
        assert_eq!(snapshot.compare("a\nb\n").unwrap(), Comparison::Missing);
        let pending = snapshot.propose("a\nb\n").unwrap();
        assert!(pending.ends_with("consumer.snap.new"));
        snapshot.accept("a\r\nb\n\n").unwrap();
        assert!(!pending.exists());
        let text = std::fs::read_to_string(&snapshot.path).unwrap();
        assert_eq!(
            text,
            "---\nsource: \"switchboard check\"\nexpression: \"python3 \\\"c.py\\\": x\"\n---\na\nb\n"
        );
        assert_eq!(snapshot.compare("a\nb").unwrap(), Comparison::Matches);
        assert_eq!(
            snapshot.compare("a\nc\n").unwrap(),
            Comparison::Differs {
                expected: "a\nb".into()
            }
        );
    }

    #[test]
    fn differences_are_numbered_lines() {
        assert_eq!(
            describe_difference("a\nb\nc", "a\nB\nc\nd"),
            "   2 - b\n   2 + B\n   4 + d\n"
        );
    }

    #[test]
    fn a_file_without_header_is_all_content() {
        assert_eq!(body("plain\n"), "plain\n");
        assert_eq!(body("---\nsource: x\n---\nbody\n"), "body\n");
    }
}
