//! Where something is in a scenario file, and the error that points there.
//!
//! The TOML parser reports byte ranges; people read `file:line:column`. This
//! module does the translation once, so every error about a scenario names
//! the exact place at fault.

use std::fmt;
use std::ops::Range;

/// A position in a scenario file, 1-based like editors and compilers show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it (a path, or `<string>` for in-memory sources).
    pub file: String,
    /// Line, starting at 1.
    pub line: usize,
    /// Column in characters, starting at 1.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem in a scenario file: where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// One sentence saying what is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// The text of a scenario file with its name, able to turn byte offsets into locations.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
}

impl SourceFile {
    /// A source named `name` (usually the path the user gave) holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The file name used in locations.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The location of the byte `offset` (clamped to the end of the text).
    pub fn location(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        Location {
            file: self.name.clone(),
            line,
            column,
        }
    }

    /// A diagnostic at the start of `span`.
    pub fn diagnostic(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            location: self.location(span.start),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_columns() {
        let source = SourceFile::new("x.toml", "a = 1\nbé = 2\n");
        assert_eq!(source.location(0).to_string(), "x.toml:1:1");
        assert_eq!(source.location(6).to_string(), "x.toml:2:1");
        // "é" is two bytes but one column.
        assert_eq!(source.location(9).to_string(), "x.toml:2:3");
        assert_eq!(source.location(999).line, 3);
    }
}
