//! Recordings as JSON Lines: one [`Delivery`] per line, flushed as it arrives,
//! so that a recording interrupted by Ctrl-C is still complete up to that point.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Delivery;

/// A recording file could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonlError {
    /// Creating, writing or reading the file failed.
    #[error("cannot {action} the recording {}: {cause}", .path.display())]
    Io {
        /// `create`, `write to` or `read`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        cause: io::Error,
    },
    /// A line is not a delivery.
    #[error("{}:{line}: not a recorded delivery: {cause}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What serde reported.
        cause: serde_json::Error,
    },
}

/// Writes deliveries to a JSON Lines file.
#[derive(Debug)]
pub struct JsonlWriter {
    path: PathBuf,
    file: BufWriter<File>,
}

impl JsonlWriter {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> Result<Self, JsonlError> {
        let file = File::create(path).map_err(|source| JsonlError::Io {
            action: "create",
            path: path.to_owned(),
            cause: source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            file: BufWriter::new(file),
        })
    }

    /// Appends one delivery and flushes it to the file.
    pub fn write(&mut self, delivery: &Delivery) -> Result<(), JsonlError> {
        let written = serde_json::to_writer(&mut self.file, delivery)
            .map_err(io::Error::from)
            .and_then(|()| self.file.write_all(b"\n"))
            .and_then(|()| self.file.flush());
        written.map_err(|source| JsonlError::Io {
            action: "write to",
            path: self.path.clone(),
            cause: source,
        })
    }
}

/// Reads a recording back.
pub fn read(path: &Path) -> Result<Vec<Delivery>, JsonlError> {
    let io_error = |source| JsonlError::Io {
        action: "read",
        path: path.to_owned(),
        cause: source,
    };
    let file = File::open(path).map_err(io_error)?;
    let mut deliveries = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_error)?;
        if line.trim().is_empty() {
            continue;
        }
        let delivery = serde_json::from_str(&line).map_err(|source| JsonlError::Parse {
            path: path.to_owned(),
            line: index + 1,
            cause: source,
        })?;
        deliveries.push(delivery);
    }
    Ok(deliveries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Body, Properties};

    #[test]
    fn round_trips_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let delivery = Delivery {
            seq: 1,
            exchange: "xivo".into(),
            routing_key: "k".into(),
            properties: Properties::default(),
            body: Body::Text("t".into()),
        };
        let mut writer = JsonlWriter::create(&path).unwrap();
        writer.write(&delivery).unwrap();
        writer.write(&delivery).unwrap();
        assert_eq!(read(&path).unwrap(), vec![delivery.clone(), delivery]);

        std::fs::write(&path, "{}\n").unwrap();
        let error = read(&path).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}:1: not a recorded delivery", path.display())),
            "{error}"
        );
    }
}
