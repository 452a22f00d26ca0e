//! The lexical rules of a cell: decimal and integer numbers, RFC 3339 date-times, and the
//! ranges numbers must fall in ([`Range`]).

/// An interval of allowed values, with the text an error message shows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    /// Lower bound and whether it is allowed itself.
    pub(crate) low: Option<(f64, bool)>,
    /// Upper bound and whether it is allowed itself.
    pub(crate) high: Option<(f64, bool)>,
    /// The column a bound comes from, when it is another cell of the row (e.g. "idle_w").
    pub(crate) bound_name: &'static str,
}

impl Range {
    pub(crate) const fn any() -> Range {
        Range {
            low: None,
            high: None,
            bound_name: "",
        }
    }

    pub(crate) const fn at_least(low: f64) -> Range {
        Range {
            low: Some((low, true)),
            ..Range::any()
        }
    }

    pub(crate) const fn positive() -> Range {
        Range {
            low: Some((0.0, false)),
            ..Range::any()
        }
    }

    pub(crate) const fn closed(low: f64, high: f64) -> Range {
        Range {
            low: Some((low, true)),
            high: Some((high, true)),
            bound_name: "",
        }
    }

    /// The interval (0, high], where `high` may be the value of another column.
    pub(crate) const fn positive_up_to(high: f64, bound_name: &'static str) -> Range {
        Range {
            low: Some((0.0, false)),
            high: Some((high, true)),
            bound_name,
        }
    }

    /// Names the column a bound comes from, for the message.
    pub(crate) fn named(self, bound_name: &'static str) -> Range {
        Range { bound_name, ..self }
    }

    pub(crate) fn contains(&self, x: f64) -> bool {
        let above = match self.low {
            Some((low, true)) => x >= low,
            Some((low, false)) => x > low,
            None => true,
        };
        let below = match self.high {
            Some((high, true)) => x <= high,
            Some((high, false)) => x < high,
            None => true,
        };
        above && below
    }

    /// `noun` followed by the rule, e.g. "a number ≥ 1", or just `noun` when any value goes.
    pub(crate) fn with_rule(&self, noun: &str) -> String {
        let rule = self.describe();
        if rule.is_empty() {
            noun.to_string()
        } else {
            format!("{noun} {rule}")
        }
    }

    /// The rule as a phrase that follows "a number", e.g. "≥ 1" or "in (0, 8] (at most mem_gib)".
    pub(crate) fn describe(&self) -> String {
        let text = match (self.low, self.high) {
            (None, None) => return String::new(),
            (Some((low, true)), None) => format!("≥ {low}"),
            (Some((low, false)), None) => format!("> {low}"),
            (None, Some((high, true))) => format!("≤ {high}"),
            (None, Some((high, false))) => format!("< {high}"),
            (Some((low, low_in)), Some((high, high_in))) => format!(
                "in {}{low}, {high}{}",
                if low_in { '[' } else { '(' },
                if high_in { ']' } else { ')' }
            ),
        };
        match (self.bound_name, self.high) {
            ("", _) => text,
            (name, Some(_)) => format!("{text} (at most {name})"),
            (name, None) => format!("{text} (at least {name})"),
        }
    }
}

/// Whether a decimal that parsed to 0 was written with a non-zero digit before its exponent.
pub(crate) fn underflows(text: &str) -> bool {
    text.split(['e', 'E'])
        .next()
        .is_some_and(|mantissa| mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

pub(crate) fn parse_decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut at = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        at += 1;
    }
    let integer_digits = count_digits(bytes, at);
    at += integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        fraction_digits = count_digits(bytes, at);
        at += fraction_digits;
    }
    if integer_digits + fraction_digits == 0 {
        return None;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent_digits = count_digits(bytes, at);
        if exponent_digits == 0 {
            return None;
        }
        at += exponent_digits;
    }
    if at != bytes.len() {
        return None;
    }
    text.parse().ok()
}

/// Parses a whole number written as `[+-]digits`, without fraction or exponent. The result is
/// wide enough that any range check on it is exact; absurdly long digit strings fail.
pub(crate) fn parse_integer(text: &str) -> Option<i128> {
    let bytes = text.as_bytes();
    let sign = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = count_digits(bytes, sign);
    if digits == 0 || sign + digits != bytes.len() {
        return None;
    }
    text.parse().ok()
}

pub(crate) fn count_digits(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// An RFC 3339 date-time (`2024-01-31T13:00:00Z`, `…T14:00:00.5+01:00`), as a timestamp.
///
/// jiff parses it and checks the calendar (month lengths, leap years, ranges). jiff accepts
/// more than RFC 3339's profile (a space for `T`, offsets without a colon, time-zone
/// annotations), so the shape is checked first: `YYYY-MM-DDTHH:MM:SS`, an optional fraction,
/// then `Z` or `±HH:MM`; `t` and `z` may be lower case. A leap second (`:60`) is accepted and
/// read as `:59`, since timestamps here do not count leap seconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<jiff::Timestamp> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, expected: &[u8]| bytes.get(i).is_some_and(|b| expected.contains(b));
    let date_time = digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"Tt")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19);
    if !date_time {
        return None;
    }
    let mut i = 19;
    if at(i, b".") {
        let fraction = count_digits(bytes, i + 1);
        if fraction == 0 {
            return None;
        }
        i += 1 + fraction;
    }
    let offset = if at(i, b"Zz") {
        i + 1 == bytes.len()
    } else {
        at(i, b"+-")
            && digits(i + 1..i + 3)
            && at(i + 3, b":")
            && digits(i + 4..i + 6)
            && i + 6 == bytes.len()
    };
    if !offset {
        return None;
    }
    let text = if &text[17..19] == "60" {
        format!("{}59{}", &text[..17], &text[19..])
    } else {
        text.to_string()
    };
    text.parse::<jiff::Timestamp>().ok()
}

/// Whether `text` is an RFC 3339 date-time (see [`parse_rfc3339`]).
pub(crate) fn is_rfc3339_date_time(text: &str) -> bool {
    parse_rfc3339(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_numbers_follow_the_format() {
        for good in ["0", "1", "-2.5", "+3", ".5", "5.", "1e3", "1.5E-7", "-0"] {
            assert!(parse_decimal(good).is_some(), "{good}");
        }
        for bad in [
            "", " 1", "1 ", "NaN", "inf", "-inf", "infinity", "0x10", "1_000", "1e", "e5", ".",
            "-", "1.2.3", "1,5", "١",
        ] {
            assert!(parse_decimal(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn integers_have_no_fraction_or_exponent() {
        assert_eq!(parse_integer("42"), Some(42));
        assert_eq!(parse_integer("-3"), Some(-3));
        for bad in ["", "1.0", "1e2", " 1", "+", "0x1"] {
            assert_eq!(parse_integer(bad), None, "{bad}");
        }
        assert_eq!(parse_integer(&"9".repeat(60)), None);
    }

    #[test]
    fn rfc3339_date_times() {
        for good in [
            "2024-01-31T13:00:00Z",
            "2024-02-29T23:59:60+01:00",
            "2024-01-31t13:00:00.123z",
            "2024-01-31T13:00:00-05:30",
        ] {
            assert!(is_rfc3339_date_time(good), "{good}");
        }
        for bad in [
            "2024-01-31",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-31 13:00:00Z",
            "2024-01-31T13:00:00",
            "2024-01-31T24:00:00Z",
            "2024-01-31T13:00:00.Z",
            "2024-01-31T13:00:00+0100",
            "2024-01-31T13:00:00Z ",
            "٢٠٢٤-01-31T13:00:00Z",
        ] {
            assert!(!is_rfc3339_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn ranges_describe_themselves() {
        assert_eq!(Range::at_least(1.0).describe(), "≥ 1");
        assert_eq!(Range::positive().describe(), "> 0");
        assert_eq!(Range::closed(0.0, 1.0).describe(), "in [0, 1]");
        assert_eq!(
            Range::positive_up_to(8.0, "mem_gib").describe(),
            "in (0, 8] (at most mem_gib)"
        );
        assert_eq!(
            Range::at_least(120.0).named("idle_w").describe(),
            "≥ 120 (at least idle_w)"
        );
    }
}
