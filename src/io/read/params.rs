//! params.toml: every key checked against its rule, errors at the key's line.

use super::lexers::*;
use super::table::*;
use crate::domain::instance::Params;
use crate::error::InputError;
use std::collections::BTreeMap;

/// What a key of params.toml takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ParamRule {
    /// A TOML float or integer in the range.
    Number(Range),
    /// A TOML integer at least this large (and at most `u32::MAX`).
    Integer { minimum: u32 },
}

/// The keys of params.toml in the order of docs/FORMAT.md §1, with their rules.
pub(crate) const PARAM_RULES: [(&str, ParamRule); 10] = [
    ("window_hours", ParamRule::Number(Range::positive())),
    ("carbon_eur_per_t", ParamRule::Number(Range::at_least(0.0))),
    (
        "link_efficiency",
        ParamRule::Number(Range::positive_up_to(1.0, "")),
    ),
    ("concurrency", ParamRule::Integer { minimum: 1 }),
    ("max_downtime_ms", ParamRule::Number(Range::positive())),
    ("max_rounds", ParamRule::Integer { minimum: 0 }),
    ("setup_s", ParamRule::Number(Range::at_least(0.0))),
    ("resume_s", ParamRule::Number(Range::at_least(0.0))),
    ("energy_j_per_mb", ParamRule::Number(Range::at_least(0.0))),
    ("energy_j_fixed", ParamRule::Number(Range::at_least(0.0))),
];

/// A checked value of params.toml.
pub(crate) enum ParamValue {
    Number(f64),
    Integer(u32),
}

/// Reads params.toml: known keys only, each with its type and range; absent keys keep their
/// defaults.
pub(crate) fn read_params(bytes: &[u8]) -> Result<(Params, BTreeMap<String, u64>), InputError> {
    const FILE: &str = "params.toml";
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        InputError::at_line(
            FILE,
            line_of_offset(before, before.len()),
            "the file is not valid UTF-8; expected a UTF-8 TOML file",
        )
    })?;
    // Spanned keys give every error its line.
    let table: BTreeMap<toml::Spanned<String>, toml::Value> =
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map_or(1, |span| line_of_offset(text.as_bytes(), span.start));
            InputError::at_line(
                FILE,
                line,
                format!("invalid TOML: {}", e.message().trim_end()),
            )
        })?;
    // Keys are checked in file order, so that the first error reported is the first in the file.
    let mut entries: Vec<_> = table.into_iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);

    let mut params = Params::default();
    let mut lines = BTreeMap::new();
    for (key, value) in entries {
        let line = line_of_offset(text.as_bytes(), key.span().start);
        let name = key.get_ref().as_str();
        lines.insert(name.to_string(), line);
        let error = |message: String| InputError::at(FILE, line, name, message);
        let Some(&(_, rule)) = PARAM_RULES.iter().find(|(known, _)| *known == name) else {
            let known: Vec<&str> = PARAM_RULES.iter().map(|(known, _)| *known).collect();
            return Err(error(format!(
                "unknown key {}; expected one of: {}",
                quote(name),
                known.join(", ")
            )));
        };
        let checked = match rule {
            ParamRule::Integer { minimum } => {
                let expected =
                    format!("an integer ≥ {minimum} (a TOML integer, such as 4, not 4.0)");
                let toml::Value::Integer(number) = value else {
                    return Err(error(format!(
                        "expected {expected}, found {}",
                        describe_toml(&value)
                    )));
                };
                let number = u32::try_from(number)
                    .ok()
                    .filter(|&n| n >= minimum)
                    .ok_or_else(|| {
                        error(format!(
                            "expected {}, found {number}",
                            integer_rule(minimum, i128::from(number))
                        ))
                    })?;
                ParamValue::Integer(number)
            }
            ParamRule::Number(range) => {
                let number = match value {
                    toml::Value::Float(f) => f,
                    // Integers are exact as f64 up to 2^53; a larger one is a huge number anyway.
                    toml::Value::Integer(i) => i as f64,
                    _ => f64::NAN,
                };
                if !number.is_finite() || !range.contains(number) {
                    return Err(error(format!(
                        "expected {}, found {}",
                        range.with_rule("a number"),
                        describe_toml(&value)
                    )));
                }
                // Adding zero turns -0 into 0.
                ParamValue::Number(number + 0.0)
            }
        };
        match (name, checked) {
            ("window_hours", ParamValue::Number(x)) => params.window_hours = x,
            ("carbon_eur_per_t", ParamValue::Number(x)) => params.carbon_eur_per_t = x,
            ("link_efficiency", ParamValue::Number(x)) => params.link_efficiency = x,
            ("concurrency", ParamValue::Integer(n)) => params.concurrency = n,
            ("max_downtime_ms", ParamValue::Number(x)) => params.max_downtime_ms = x,
            ("max_rounds", ParamValue::Integer(n)) => params.max_rounds = n,
            ("setup_s", ParamValue::Number(x)) => params.setup_s = x,
            ("resume_s", ParamValue::Number(x)) => params.resume_s = x,
            ("energy_j_per_mb", ParamValue::Number(x)) => params.energy_j_per_mb = x,
            ("energy_j_fixed", ParamValue::Number(x)) => params.energy_j_fixed = x,
            // PARAM_RULES and this match name the same keys with the same kinds.
            _ => {
                return Err(error(
                    "internal error: params key without a setter".to_string(),
                ))
            }
        }
    }
    Ok((params, lines))
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
