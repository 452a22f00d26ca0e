//! Errors for bad input: every one names its place (file, line, column) and what was expected.

use std::fmt;

/// Bad input, with its place. `line` is 1-based and counts the header as line 1;
/// `column` is the column's header name. Both are absent only where they do not apply
/// (a missing file, a file that cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// File name as the user would look for it (e.g. `sites.csv`, or a path given on the command line).
    pub file: String,
    /// 1-based line, the header being line 1.
    pub line: Option<u64>,
    /// The column's header name (or the key, in params.toml and configurations).
    pub column: Option<String>,
    /// What is wrong and what was expected, as a full sentence without a trailing period.
    pub message: String,
}

impl InputError {
    /// An error at a file as a whole.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error at a line and column of a file.
    pub fn at(
        file: impl Into<String>,
        line: u64,
        column: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            file: file.into(),
            line: Some(line),
            column: Some(column.into()),
            message: message.into(),
        }
    }

    /// An error at a line of a file, not tied to one column.
    pub fn at_line(file: impl Into<String>, line: u64, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: Some(line),
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}
