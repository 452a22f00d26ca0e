//! params.toml: every key checked against its rule, errors at the key's line.

use super::lexers::*;
use super::table::*;
use crate::domain::instance::Params;
use crate::error::InputError;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// params.toml as serde reads it: every key the format knows (an unknown key is serde's
/// error), each kept as a raw TOML value with its place, so that a wrong type or range gets a
/// message that says what was expected, at its line. The keys are the fields of this struct,
/// and each one's rule sits next to its setter in [`read_params`]: one list, nothing to keep
/// in step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParamsFile {
    window_hours: Option<Spanned<toml::Value>>,
    carbon_eur_per_t: Option<Spanned<toml::Value>>,
    link_efficiency: Option<Spanned<toml::Value>>,
    concurrency: Option<Spanned<toml::Value>>,
    max_downtime_ms: Option<Spanned<toml::Value>>,
    max_rounds: Option<Spanned<toml::Value>>,
    setup_s: Option<Spanned<toml::Value>>,
    resume_s: Option<Spanned<toml::Value>>,
    energy_j_per_mb: Option<Spanned<toml::Value>>,
    energy_j_fixed: Option<Spanned<toml::Value>>,
    max_migrations_per_vm: Option<Spanned<toml::Value>>,
}

const FILE: &str = "params.toml";

/// Checks the keys of a [`ParamsFile`] and sets what they give; keeps every key's line and every
/// error with its position, so that the first error reported is the first in the file.
struct Checker<'t> {
    text: &'t str,
    lines: BTreeMap<String, u64>,
    errors: Vec<(usize, InputError)>,
}

impl Checker<'_> {
    fn place(&mut self, key: &str, value: &Spanned<toml::Value>) -> (usize, u64) {
        // The value's span starts after the key on the key's line.
        let start = value.span().start;
        let line = line_of_offset(self.text.as_bytes(), start);
        self.lines.insert(key.to_string(), line);
        (start, line)
    }

    /// A number in `range` (a TOML float, or an integer, which is exact as f64 up to 2^53).
    fn number(
        &mut self,
        key: &str,
        value: &Option<Spanned<toml::Value>>,
        range: Range,
        to: &mut f64,
    ) {
        let Some(value) = value else { return };
        let (start, line) = self.place(key, value);
        let number = match value.get_ref() {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            _ => f64::NAN,
        };
        // TOML reads 1e-400 as 0: a written number that underflows is refused, as in the CSV
        // files (docs/FORMAT.md §6).
        let written = self.text.get(value.span()).unwrap_or("").replace('_', "");
        if number == 0.0 && underflows(written.trim()) {
            let message = format!(
                "found {}, which underflows to 0 in double precision (the smallest positive \
                 number is about 4.9e-324); expected 0 written as 0, or a larger number",
                written.trim()
            );
            self.errors
                .push((start, InputError::at(FILE, line, key, message)));
            return;
        }
        if number.is_finite() && range.contains(number) {
            // Adding zero turns -0 into 0.
            *to = number + 0.0;
        } else {
            let message = format!(
                "expected {}, found {}",
                range.with_rule("a number"),
                describe_toml(value.get_ref())
            );
            self.errors
                .push((start, InputError::at(FILE, line, key, message)));
        }
    }

    /// A TOML integer at least `minimum` (and at most `u32::MAX`).
    fn integer(
        &mut self,
        key: &str,
        value: &Option<Spanned<toml::Value>>,
        minimum: u32,
        to: &mut u32,
    ) {
        let Some(value) = value else { return };
        let (start, line) = self.place(key, value);
        let message = match value.get_ref() {
            toml::Value::Integer(number) => match u32::try_from(*number) {
                Ok(n) if n >= minimum => {
                    *to = n;
                    return;
                }
                _ => format!(
                    "expected {}, found {number}",
                    integer_rule(minimum, i128::from(*number))
                ),
            },
            other => format!(
                "expected an integer ≥ {minimum} (a TOML integer, such as 4, not 4.0), found {}",
                describe_toml(other)
            ),
        };
        self.errors
            .push((start, InputError::at(FILE, line, key, message)));
    }
}

/// Reads params.toml: known keys only, each with its type and range; absent keys keep their
/// defaults. Returns the parameters and the line of each key given.
pub(crate) fn read_params(bytes: &[u8]) -> Result<(Params, BTreeMap<String, u64>), InputError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        InputError::at_line(
            FILE,
            line_of_offset(before, before.len()),
            "the file is not valid UTF-8; expected a UTF-8 TOML file",
        )
    })?;
    let file: ParamsFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map_or(1, |span| line_of_offset(text.as_bytes(), span.start));
        let message = e.message().trim_end();
        match unknown_field(message) {
            Some((key, expected)) => InputError::at(
                FILE,
                line,
                key.clone(),
                format!(
                    "unknown key {}; expected one of: {}",
                    quote(&key),
                    expected.join(", ")
                ),
            ),
            None => InputError::at_line(FILE, line, format!("invalid TOML: {message}")),
        }
    })?;
    let mut params = Params::default();
    let mut check = Checker {
        text,
        lines: BTreeMap::new(),
        errors: Vec::new(),
    };
    let p = &mut params;
    check.number(
        "window_hours",
        &file.window_hours,
        Range::positive(),
        &mut p.window_hours,
    );
    check.number(
        "carbon_eur_per_t",
        &file.carbon_eur_per_t,
        Range::at_least(0.0),
        &mut p.carbon_eur_per_t,
    );
    check.number(
        "link_efficiency",
        &file.link_efficiency,
        Range::positive_up_to(1.0, ""),
        &mut p.link_efficiency,
    );
    check.integer("concurrency", &file.concurrency, 1, &mut p.concurrency);
    check.number(
        "max_downtime_ms",
        &file.max_downtime_ms,
        Range::positive(),
        &mut p.max_downtime_ms,
    );
    check.integer("max_rounds", &file.max_rounds, 0, &mut p.max_rounds);
    check.number(
        "setup_s",
        &file.setup_s,
        Range::at_least(0.0),
        &mut p.setup_s,
    );
    check.number(
        "resume_s",
        &file.resume_s,
        Range::at_least(0.0),
        &mut p.resume_s,
    );
    check.number(
        "energy_j_per_mb",
        &file.energy_j_per_mb,
        Range::at_least(0.0),
        &mut p.energy_j_per_mb,
    );
    check.number(
        "energy_j_fixed",
        &file.energy_j_fixed,
        Range::at_least(0.0),
        &mut p.energy_j_fixed,
    );
    if file.max_migrations_per_vm.is_some() {
        let mut cap = 0;
        let before = check.errors.len();
        check.integer(
            "max_migrations_per_vm",
            &file.max_migrations_per_vm,
            0,
            &mut cap,
        );
        if check.errors.len() == before {
            p.max_migrations_per_vm = Some(cap);
        }
    }
    match check.errors.into_iter().min_by_key(|(start, _)| *start) {
        Some((_, error)) => Err(error),
        None => Ok((params, check.lines)),
    }
}

/// The key and the expected keys of serde's "unknown field `k`, expected one of `a`, `b`".
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((key.to_string(), expected))
}

/// The rule an out-of-range integer broke: its minimum, or the `u32` maximum when it is too large.
pub(crate) fn integer_rule(minimum: u32, found: i128) -> String {
    if found < i128::from(minimum) {
        format!("an integer ≥ {minimum}")
    } else {
        format!("an integer ≥ {minimum} and ≤ {}", u32::MAX)
    }
}

/// A TOML value as a user would recognise it in an error message.
pub(crate) fn describe_toml(value: &toml::Value) -> String {
    match value {
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the float {f:?}"),
        toml::Value::String(s) => format!("the string {}", quote(s)),
        other => format!("a {}", other.type_str()),
    }
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of_offset(text: &[u8], offset: usize) -> u64 {
    let before = text.get(..offset).unwrap_or(text);
    1 + before.iter().filter(|&&b| b == b'\n').count() as u64
}

// ---------------------------------------------------------------------------------------------
// Files on disk.
