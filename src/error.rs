//! Errors for bad input: every one names its place (file, line, column) and what was expected.

/// Bad input, with its place. `line` is 1-based and counts the header as line 1;
/// `column` is the column's header name. Both are absent only where they do not apply
/// (a missing file, a file that cannot be read). Displayed as
/// `FILE, line N, column 'NAME': message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{file}{}: {message}", place(*.line, .column.as_deref()))]
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

/// ", line N, column 'NAME'" for the parts of a place that are known.
fn place(line: Option<u64>, column: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(line) = line {
        out.push_str(&format!(", line {line}"));
    }
    if let Some(column) = column {
        out.push_str(&format!(", column '{column}'"));
    }
    out
}
