//! Following a starting container's output until RabbitMQ says it is up.
//!
//! RabbitMQ logs "Server startup complete" once every listener is open (the
//! official image and the offline one log to stdout). The output is read as
//! it comes, keeping its last lines, so that a container that exits or never
//! gets there is reported with what it said.

use std::collections::VecDeque;
use std::time::Duration;

use bollard::errors::Error as ApiError;
use bollard::query_parameters::LogsOptions;
use futures_lite::StreamExt;

use super::engine::Engine;

/// The line RabbitMQ prints once every listener is up.
pub const STARTUP_LINE: &str = "Server startup complete";
/// How many of the container's last lines an error shows.
const LOG_TAIL_LINES: usize = 15;

/// How following the output ended.
#[derive(Debug)]
pub(crate) enum Startup {
    /// The start-up line appeared.
    Complete,
    /// The output ended: the container stopped.
    Ended,
    /// The start-up line did not appear in time.
    TimedOut,
    /// The engine stopped sending the output.
    Lost(ApiError),
}

/// The last lines a container printed.
#[derive(Debug, Default)]
pub(crate) struct LogTail {
    lines: VecDeque<String>,
    partial: String,
}

impl LogTail {
    /// Adds output (possibly a part of a line); true when a complete line
    /// containing `needle` was added.
    fn push(&mut self, chunk: &str, needle: &str) -> bool {
        self.partial.push_str(chunk);
        let mut found = false;
        while let Some(newline) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=newline).collect();
            let line = line.trim_end().to_owned();
            found |= line.contains(needle);
            if self.lines.len() == LOG_TAIL_LINES {
                self.lines.pop_front();
            }
            self.lines.push_back(line);
        }
        found
    }

    /// The lines, oldest first, with any unfinished one last; `(no output)`
    /// when there were none.
    pub(crate) fn text(&self) -> String {
        let mut lines: Vec<&str> = self.lines.iter().map(String::as_str).collect();
        if !self.partial.trim().is_empty() {
            lines.push(self.partial.trim_end());
        }
        if lines.is_empty() {
            return "(no output)".to_owned();
        }
        lines.join("\n")
    }
}

/// Follows the output of container `name` (stdout and stderr) until the
/// start-up line, the end of the output, or `timeout`.
pub(crate) async fn follow_until_started(
    engine: &Engine,
    name: &str,
    timeout: Duration,
) -> (Startup, LogTail) {
    let options = LogsOptions {
        follow: true,
        stdout: true,
        stderr: true,
        ..LogsOptions::default()
    };
    let mut output = engine.docker().logs(name, Some(options)).boxed();
    let mut tail = LogTail::default();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let next = tokio::time::timeout_at(deadline, output.next()).await;
        let chunk = match next {
            Err(_elapsed) => return (Startup::TimedOut, tail),
            Ok(None) => return (Startup::Ended, tail),
            Ok(Some(Err(error))) => return (Startup::Lost(error), tail),
            Ok(Some(Ok(chunk))) => chunk,
        };
        let text = String::from_utf8_lossy(&chunk.into_bytes()).into_owned();
        if tail.push(&text, STARTUP_LINE) {
            return (Startup::Complete, tail);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks_are_found() {
        let mut tail = LogTail::default();
        assert!(!tail.push("booting\nServer start", STARTUP_LINE));
        assert!(tail.push("up complete; 0 plugins started.\n", STARTUP_LINE));
        assert_eq!(
            tail.text(),
            "booting\nServer startup complete; 0 plugins started."
        );
    }

    #[test]
    fn only_the_last_lines_are_kept() {
        let mut tail = LogTail::default();
        for index in 0..40 {
            tail.push(&format!("line {index}\n"), STARTUP_LINE);
        }
        tail.push("half a line", STARTUP_LINE);
        let text = tail.text();
        assert!(text.starts_with("line 25\n"), "{text}");
        assert!(text.ends_with("line 39\nhalf a line"), "{text}");
    }

    #[test]
    fn silence_is_said() {
        assert_eq!(LogTail::default().text(), "(no output)");
    }
}
