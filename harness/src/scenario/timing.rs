//! Step timing: `at = "+2s"` (after the previous step) or `at = "5s"` (from
//! the start of the scenario).

use std::time::Duration;

/// When a step happens, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// `+2s`: this long after the previous step.
    AfterPrevious(Duration),
    /// `5s`: this long after the scenario starts.
    FromStart(Duration),
}

impl At {
    /// Parses `+<duration>` or `<duration>`; durations are humantime's
    /// (`500ms`, `2s`, `1m 30s`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let (relative, duration) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let duration = parse_duration(duration)?;
        Ok(if relative {
            Self::AfterPrevious(duration)
        } else {
            Self::FromStart(duration)
        })
    }
}

/// Parses a humantime duration, with an error saying what is expected.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|error| {
        format!("bad duration \"{text}\" ({error}); expected e.g. \"500ms\", \"2s\", \"1m 30s\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("+2s", At::AfterPrevious(Duration::from_secs(2)))]
    #[case("5s", At::FromStart(Duration::from_secs(5)))]
    #[case("+500ms", At::AfterPrevious(Duration::from_millis(500)))]
    #[case("1m 30s", At::FromStart(Duration::from_secs(90)))]
    fn parses_relative_and_absolute(#[case] text: &str, #[case] expected: At) {
        assert_eq!(At::parse(text), Ok(expected));
    }

    #[rstest]
    #[case("soon")]
    #[case("+")]
    #[case("2 parsecs")]
    fn rejects_bad_durations(#[case] text: &str) {
        let error = At::parse(text).unwrap_err();
        assert!(error.contains("bad duration"), "{error}");
    }
}
