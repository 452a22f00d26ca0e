//! Real forecast and market feeds into windows.csv: Green Software Foundation Carbon Aware SDK
//! responses, Electricity Maps carbon-intensity JSON and ENTSO-E Transparency Platform
//! day-ahead price CSV exports (docs/FEEDS.md). Each feed is read into intervals with a value;
//! [`average_over`] averages them over a window, weighted by overlap, and names the stretch of
//! it the feed does not cover; `wattshift import` does that for each window of one site.

use crate::error::InputError;
use jiff::{SignedDuration, Timestamp};

/// One value over `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Start.
    pub start: Timestamp,
    /// End (after the start).
    pub end: Timestamp,
    /// The value: gCO2e/kWh for carbon, EUR/MWh for prices.
    pub value: f64,
}

/// Which windows.csv column a feed fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `carbon_g_kwh`, gCO2e/kWh.
    Carbon,
    /// `price_eur_mwh`, EUR/MWh.
    Price,
}

impl Column {
    /// The column's name in windows.csv.
    pub fn name(self) -> &'static str {
        match self {
            Column::Carbon => "carbon_g_kwh",
            Column::Price => "price_eur_mwh",
        }
    }
}

fn json_error(file: &str, message: impl Into<String>) -> InputError {
    InputError::file(file, message)
}

/// An RFC 3339 timestamp from a JSON string field, or an error naming the field.
fn timestamp(
    file: &str,
    what: &str,
    value: Option<&serde_json::Value>,
) -> Result<Timestamp, InputError> {
    let text = value
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| json_error(file, format!("{what}: expected a date-time string")))?;
    text.parse::<Timestamp>().map_err(|e| {
        json_error(
            file,
            format!("{what}: expected an RFC 3339 date-time, found {text:?} ({e})"),
        )
    })
}

fn finite(file: &str, what: &str, value: Option<&serde_json::Value>) -> Result<f64, InputError> {
    value
        .and_then(serde_json::Value::as_f64)
        .filter(|v| v.is_finite())
        .ok_or_else(|| json_error(file, format!("{what}: expected a number")))
}

/// Intervals from points that each give only their start: each lasts until the next point; the
/// last as long as the one before it (`default` when there is only one).
fn until_next(
    file: &str,
    mut points: Vec<(Timestamp, f64)>,
    default: Option<SignedDuration>,
) -> Result<Vec<Interval>, InputError> {
    points.sort_by_key(|p| p.0);
    let mut out = Vec::with_capacity(points.len());
    for (i, &(start, value)) in points.iter().enumerate() {
        let length = match (
            points.get(i + 1),
            i.checked_sub(1).and_then(|j| points.get(j)),
        ) {
            (Some(next), _) => next.0.duration_since(start),
            (None, Some(previous)) => start.duration_since(previous.0),
            (None, None) => default.ok_or_else(|| {
                json_error(
                    file,
                    "a single data point without a duration; its length is unknown",
                )
            })?,
        };
        if length <= SignedDuration::ZERO {
            return Err(json_error(
                file,
                format!("two data points at {start}; expected distinct times"),
            ));
        }
        let end = start.checked_add(length).map_err(|e| {
            json_error(file, format!("a data point at {start} ends too late ({e})"))
        })?;
        out.push(Interval { start, end, value });
    }
    Ok(out)
}

/// A Carbon Aware SDK response (docs/FEEDS.md): `/emissions/forecasts/current` (an array of
/// forecasts, or one, whose `forecastData` entries have `timestamp`, `duration` in minutes and
/// `value` in g/kWh; `optimalDataPoint` or `optimalDataPoints` are accepted and not needed), or
/// `/emissions/bylocation` (an array of `location`, `time`, `rating` and an optional
/// `duration`, minutes or `HH:MM:SS`; without it a point lasts until the next).
pub fn carbon_aware(file: &str, bytes: &[u8]) -> Result<Vec<Interval>, InputError> {
    let json: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| InputError::at_line(file, e.line() as u64, format!("not JSON: {e}")))?;
    let items: Vec<&serde_json::Value> = match &json {
        serde_json::Value::Array(items) => items.iter().collect(),
        serde_json::Value::Object(_) => vec![&json],
        _ => {
            return Err(json_error(
                file,
                "expected an array of forecasts or of emissions data",
            ))
        }
    };
    let forecasts: Vec<&serde_json::Value> = items
        .iter()
        .copied()
        .filter(|i| i.get("forecastData").is_some())
        .collect();
    if !forecasts.is_empty() {
        let mut out = Vec::new();
        for (f, forecast) in forecasts.iter().enumerate() {
            let data = forecast["forecastData"].as_array().ok_or_else(|| {
                json_error(file, format!("forecast {f}: forecastData is not an array"))
            })?;
            for (k, point) in data.iter().enumerate() {
                let what = format!("forecast {f}, forecastData[{k}]");
                let start = timestamp(file, &format!("{what}.timestamp"), point.get("timestamp"))?;
                let minutes = finite(file, &format!("{what}.duration"), point.get("duration"))?;
                if minutes <= 0.0 {
                    return Err(json_error(
                        file,
                        format!("{what}.duration: expected minutes > 0"),
                    ));
                }
                let end = start
                    .checked_add(SignedDuration::from_secs_f64(minutes * 60.0))
                    .map_err(|e| json_error(file, format!("{what}: {e}")))?;
                out.push(Interval {
                    start,
                    end,
                    value: finite(file, &format!("{what}.value"), point.get("value"))?,
                });
            }
        }
        return Ok(out);
    }
    // Emissions data: location, time, rating (and maybe duration).
    let mut with_duration = Vec::new();
    let mut without = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let what = format!("item {k}");
        let start = timestamp(file, &format!("{what}.time"), item.get("time"))?;
        let value = finite(file, &format!("{what}.rating"), item.get("rating"))?;
        match item.get("duration") {
            None | Some(serde_json::Value::Null) => without.push((start, value)),
            Some(d) => {
                let length = match d {
                    serde_json::Value::Number(n) => n
                        .as_f64()
                        .filter(|m| *m > 0.0)
                        .map(|m| SignedDuration::from_secs_f64(m * 60.0)),
                    serde_json::Value::String(s) => parse_hms(s),
                    _ => None,
                }
                .ok_or_else(|| {
                    json_error(
                        file,
                        format!("{what}.duration: expected minutes or HH:MM:SS, found {d}"),
                    )
                })?;
                let end = start
                    .checked_add(length)
                    .map_err(|e| json_error(file, format!("{what}: {e}")))?;
                with_duration.push(Interval { start, end, value });
            }
        }
    }
    if items.is_empty() {
        return Err(json_error(file, "no data points"));
    }
    with_duration.extend(until_next(file, without, None)?);
    Ok(with_duration)
}

/// `HH:MM:SS` (a .NET TimeSpan, as the SDK writes durations), optionally `D.HH:MM:SS`.
fn parse_hms(text: &str) -> Option<SignedDuration> {
    let (days, rest) = match text.split_once('.') {
        Some((d, rest)) if rest.contains(':') && !d.contains(':') => (d.parse::<i64>().ok()?, rest),
        _ => (0, text),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let seconds = days * 86_400
        + h.parse::<i64>().ok()? * 3600
        + m.parse::<i64>().ok()? * 60
        + s.parse::<f64>().ok()?.floor() as i64;
    (seconds > 0).then(|| SignedDuration::from_secs(seconds))
}

/// Electricity Maps carbon-intensity JSON (docs/FEEDS.md): a history (`history`) or forecast
/// (`forecast`) response, or a list of such points, each with `datetime` and `carbonIntensity`
/// in gCO2eq/kWh; a point lasts until the next (an hour for a single point, the API's
/// granularity).
pub fn electricity_maps(file: &str, bytes: &[u8]) -> Result<Vec<Interval>, InputError> {
    let json: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| InputError::at_line(file, e.line() as u64, format!("not JSON: {e}")))?;
    let list = match &json {
        serde_json::Value::Array(items) => items.as_slice(),
        serde_json::Value::Object(map) => ["history", "forecast", "data"]
            .iter()
            .find_map(|k| map.get(*k).and_then(serde_json::Value::as_array))
            .map(Vec::as_slice)
            .or_else(|| {
                map.contains_key("carbonIntensity")
                    .then(|| std::slice::from_ref(&json))
            })
            .ok_or_else(|| {
                json_error(
                    file,
                    "expected `history`, `forecast` or `data`: a list of points",
                )
            })?,
        _ => return Err(json_error(file, "expected an object or a list of points")),
    };
    let mut points = Vec::with_capacity(list.len());
    for (k, point) in list.iter().enumerate() {
        let what = format!("point {k}");
        let start = timestamp(file, &format!("{what}.datetime"), point.get("datetime"))?;
        let value = finite(
            file,
            &format!("{what}.carbonIntensity"),
            point.get("carbonIntensity"),
        )?;
        points.push((start, value));
    }
    if points.is_empty() {
        return Err(json_error(file, "no data points"));
    }
    until_next(file, points, Some(SignedDuration::from_hours(1)))
}

/// An ENTSO-E Transparency Platform day-ahead price CSV export (docs/FEEDS.md), hourly or
/// 15-minute: a column whose header starts with `MTU` holds intervals `DD.MM.YYYY HH:MM -
/// DD.MM.YYYY HH:MM` in the time zone its header names (`CET/CEST`: Europe/Brussels, with an
/// optional ` (CET)` or ` (CEST)` after an interval on the night clocks go back; `UTC`), and a
/// column whose header holds `Price` and `EUR/MWh` the price. Cells `n/e`, `-` and empty are
/// no price; a `Currency` column other than EUR is refused.
pub fn entsoe(file: &str, bytes: &[u8]) -> Result<Vec<Interval>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::at_line(file, 1, format!("not CSV: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let time_col = header
        .iter()
        .position(|h| h.trim().starts_with("MTU"))
        .ok_or_else(|| InputError::at_line(file, 1, "no MTU column; expected an ENTSO-E day-ahead price export with a column such as \"MTU (CET/CEST)\""))?;
    let price_col = header
        .iter()
        .position(|h| h.contains("Price") && h.contains("EUR/MWh"))
        .ok_or_else(|| {
            InputError::at_line(
                file,
                1,
                "no price column; expected a column such as \"Day-ahead Price [EUR/MWh]\"",
            )
        })?;
    let currency_col = header.iter().position(|h| h.trim() == "Currency");
    let zone = if header[time_col].contains("UTC") {
        None
    } else {
        Some(jiff::tz::TimeZone::get("Europe/Brussels").map_err(|e| {
            InputError::file(
                file,
                format!("the CET/CEST time zone is not available: {e}"),
            )
        })?)
    };
    let mut out = Vec::new();
    let mut seen_local: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (k, record) in reader.records().enumerate() {
        let line = k as u64 + 2;
        let record =
            record.map_err(|e| InputError::at_line(file, line, format!("not CSV: {e}")))?;
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let price_text = cell(price_col);
        if matches!(price_text, "" | "-" | "n/e" | "N/A") {
            continue;
        }
        if let Some(c) = currency_col {
            if !cell(c).is_empty() && cell(c) != "EUR" {
                return Err(InputError::at(
                    file,
                    line,
                    "Currency",
                    format!("prices in {}; expected EUR", cell(c)),
                ));
            }
        }
        let value: f64 = price_text
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                InputError::at(
                    file,
                    line,
                    header[price_col].clone(),
                    format!("expected a price, found {price_text:?}"),
                )
            })?;
        let mtu = cell(time_col);
        let bad = || {
            InputError::at(
                file,
                line,
                header[time_col].clone(),
                format!("expected DD.MM.YYYY HH:MM - DD.MM.YYYY HH:MM, found {mtu:?}"),
            )
        };
        let (interval, suffix) = match mtu.rsplit_once(" (") {
            Some((i, s)) if s.ends_with(')') => (i, Some(s.trim_end_matches(')'))),
            _ => (mtu, None),
        };
        let (from, to) = interval.split_once(" - ").ok_or_else(bad)?;
        let local = |text: &str| -> Option<jiff::civil::DateTime> {
            jiff::civil::DateTime::strptime("%d.%m.%Y %H:%M", text.trim()).ok()
        };
        let (from, to) = (local(from).ok_or_else(bad)?, local(to).ok_or_else(bad)?);
        let instant = |dt: jiff::civil::DateTime, later: bool| -> Result<Timestamp, InputError> {
            match &zone {
                None => jiff::tz::TimeZone::UTC
                    .to_ambiguous_zoned_datetime(dt)
                    .compatible()
                    .map(|z| z.timestamp()),
                Some(tz) => {
                    let ambiguous = tz.to_ambiguous_zoned_datetime(dt);
                    if later {
                        ambiguous.later()
                    } else {
                        ambiguous.earlier()
                    }
                    .map(|z| z.timestamp())
                }
            }
            .map_err(|e| InputError::at(file, line, header[time_col].clone(), format!("{e}")))
        };
        // On the night clocks go back, the same local hour comes twice: CEST first, then CET.
        let key = interval.to_string();
        let second = match suffix {
            Some("CET") => true,
            Some("CEST") => false,
            _ => !seen_local.insert(key),
        };
        let start = instant(from, second)?;
        // An interval lasts what its clock times say, or less where the clock jumps forward
        // within it; on the night clocks go back, the end read as a time would be an hour late.
        let civil = to.duration_since(from);
        let zoned_end = instant(to, true)?;
        let end = match start.checked_add(civil) {
            Ok(by_clock) if by_clock < zoned_end => by_clock,
            _ => zoned_end,
        };
        if end <= start {
            return Err(bad());
        }
        out.push(Interval { start, end, value });
    }
    if out.is_empty() {
        return Err(InputError::file(file, "no prices in the file"));
    }
    Ok(out)
}

/// The average of `intervals` over `[from, to)`, weighted by overlap; `Err` with the first
/// stretch of it no interval covers. Overlapping intervals count by their overlap each.
pub fn average_over(
    intervals: &[Interval],
    from: Timestamp,
    to: Timestamp,
) -> Result<f64, (Timestamp, Timestamp)> {
    let mut pieces: Vec<(Timestamp, Timestamp, f64)> = intervals
        .iter()
        .filter(|i| i.end > from && i.start < to)
        .map(|i| (i.start.max(from), i.end.min(to), i.value))
        .collect();
    pieces.sort_by_key(|p| p.0);
    let mut covered = from;
    let mut weighted = 0.0;
    let mut total = 0.0;
    for &(start, end, value) in &pieces {
        if start > covered {
            return Err((covered, start));
        }
        let seconds = end.duration_since(start).as_secs_f64();
        weighted += value * seconds;
        total += seconds;
        covered = covered.max(end);
    }
    if covered < to {
        return Err((covered, to));
    }
    Ok(weighted / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn entsoe_times_follow_cet_cest_through_both_clock_changes() {
        // 2024-03-31: 02:00 CET does not exist; 2024-10-27: 02:00-03:00 comes twice.
        let csv = "\"MTU (CET/CEST)\",\"Day-ahead Price [EUR/MWh]\",\"Currency\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 01:00 - 27.10.2024 02:00\",\"1\",\"EUR\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 02:00 - 27.10.2024 03:00\",\"2\",\"EUR\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 02:00 - 27.10.2024 03:00\",\"3\",\"EUR\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 03:00 - 27.10.2024 04:00\",\"n/e\",\"EUR\",\"BZN|DE-LU\"\n";
        let got = entsoe("x.csv", csv.as_bytes()).unwrap();
        let starts: Vec<String> = got.iter().map(|i| i.start.to_string()).collect();
        assert_eq!(
            starts,
            [
                "2024-10-26T23:00:00Z",
                "2024-10-27T00:00:00Z",
                "2024-10-27T01:00:00Z"
            ]
        );
        assert!(got
            .iter()
            .all(|i| i.end.duration_since(i.start) == SignedDuration::from_hours(1)));
    }

    #[test]
    fn averages_weigh_by_overlap_and_gaps_are_named() {
        let i = |a: &str, b: &str, v: f64| Interval {
            start: at(a),
            end: at(b),
            value: v,
        };
        let feed = [
            i("2024-01-01T00:00:00Z", "2024-01-01T00:45:00Z", 10.0),
            i("2024-01-01T00:45:00Z", "2024-01-01T02:00:00Z", 50.0),
        ];
        let avg = average_over(
            &feed,
            at("2024-01-01T00:00:00Z"),
            at("2024-01-01T01:00:00Z"),
        )
        .unwrap();
        assert!((avg - 20.0).abs() < 1e-12);
        let gap = average_over(
            &feed,
            at("2024-01-01T01:30:00Z"),
            at("2024-01-01T02:30:00Z"),
        );
        assert_eq!(
            gap,
            Err((at("2024-01-01T02:00:00Z"), at("2024-01-01T02:30:00Z")))
        );
    }

    #[test]
    fn carbon_aware_durations_read_as_timespans() {
        assert_eq!(parse_hms("01:00:00"), Some(SignedDuration::from_hours(1)));
        assert_eq!(
            parse_hms("1.00:00:00"),
            Some(SignedDuration::from_hours(24))
        );
        assert_eq!(parse_hms("00:00:00"), None);
        assert_eq!(parse_hms("soon"), None);
    }
}
