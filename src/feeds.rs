//! Real forecast and market feeds into windows.csv: Green Software Foundation Carbon Aware SDK
//! responses, Electricity Maps carbon-intensity JSON and ENTSO-E Transparency Platform
//! day-ahead price CSV exports (docs/FEEDS.md). Each feed is read, as a stream, into intervals
//! with a value; [`average_over`] averages them over a window, weighted by overlap, and names
//! the stretch of it the feed does not cover; `wattshift import` does that for each window of
//! one site.
//!
//! Nothing is guessed: a time zone, a duration or a row the reader does not understand is an
//! error that names it, and so are two rows that cover the same time (a duplicate, or a local
//! hour that does not exist or comes a third time on the night the clocks change).

use crate::error::InputError;
use jiff::{SignedDuration, Timestamp};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::io::{BufRead, BufReader, Read};

/// One value over `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Start.
    pub start: Timestamp,
    /// End (after the start).
    pub end: Timestamp,
    /// The value: gCO2e/kWh for carbon, EUR/MWh for prices.
    pub value: f64,
    /// Where it came from: the line of a CSV feed, or the 0-based position of the data point
    /// in a JSON feed (in file order).
    pub row: u64,
}

/// A feed read: its intervals, and how its rows are named in messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// The intervals, sorted by start, none overlapping another.
    pub intervals: Vec<Interval>,
    /// Whether `row` is a line (CSV) or a data point's position (JSON).
    pub rows_are_lines: bool,
}

impl Feed {
    /// The row as a person finds it: `line 12` or `data point 3`.
    pub fn describe_row(&self, row: u64) -> String {
        if self.rows_are_lines {
            format!("line {row}")
        } else {
            format!("data point {row}")
        }
    }

    /// An error at a row of the feed `file`.
    pub fn error_at(&self, file: &str, row: u64, message: impl Into<String>) -> InputError {
        if self.rows_are_lines {
            InputError::at_line(file, row, message)
        } else {
            InputError::file(file, format!("data point {row}: {}", message.into()))
        }
    }

    /// Sorts the intervals and refuses two that overlap, naming both rows.
    fn checked(
        file: &str,
        mut intervals: Vec<Interval>,
        rows_are_lines: bool,
    ) -> Result<Feed, InputError> {
        if intervals.is_empty() {
            return Err(InputError::file(file, "no data points"));
        }
        intervals.sort_by_key(|i| (i.start, i.row));
        let feed = Feed {
            intervals,
            rows_are_lines,
        };
        for pair in feed.intervals.windows(2) {
            let (first, second) = (&pair[0], &pair[1]);
            if second.start < first.end {
                return Err(feed.error_at(
                    file,
                    second.row,
                    format!(
                        "covers {} to {} (UTC), which overlaps {} ({} to {}); expected each \
                         time once (a duplicate row, or a local time that comes more often than \
                         the clock allows)",
                        second.start,
                        second.end,
                        feed.describe_row(first.row),
                        first.start,
                        first.end
                    ),
                ));
            }
        }
        Ok(feed)
    }
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

/// A reader past a UTF-8 byte-order mark, if the stream starts with one.
fn skip_bom<R: Read>(reader: R) -> std::io::Result<BufReader<R>> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(reader)
}

/// The offsets of the line-break bytes a stream held, recorded as it is read, so that a record
/// read from it can be given the line it starts on (the csv reader's own line count is taken
/// before the blank lines and line ends it skips).
#[derive(Debug, Default)]
struct LineBreaks {
    /// Offsets of `\n`.
    newlines: Vec<u64>,
    /// Offsets of `\r`.
    returns: Vec<u64>,
}

impl LineBreaks {
    /// The 1-based line of the first byte at or after `byte` that is no line break.
    fn line_at(&self, byte: u64) -> u64 {
        let mut start = byte;
        while self.newlines.binary_search(&start).is_ok()
            || self.returns.binary_search(&start).is_ok()
        {
            start += 1;
        }
        1 + self.newlines.partition_point(|&o| o < start) as u64
    }
}

/// A reader that records where its line breaks are.
struct Counting<R> {
    inner: R,
    offset: u64,
    breaks: std::rc::Rc<std::cell::RefCell<LineBreaks>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            match b {
                b'\n' => breaks.newlines.push(self.offset + i as u64),
                b'\r' => breaks.returns.push(self.offset + i as u64),
                _ => {}
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// A JSON error with its place, as serde_json gives it.
fn json_error(file: &str, e: &serde_json::Error) -> InputError {
    let message = format!("{e}");
    // serde_json appends " at line L column C"; the line goes into the error's place.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_string();
    if e.line() > 0 {
        InputError::at_line(file, e.line() as u64, message)
    } else {
        InputError::file(file, message)
    }
}

/// An RFC 3339 date-time in a JSON string.
#[derive(Debug, Clone, Copy)]
struct Time(Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 date-time string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Time, E> {
                text.parse::<Timestamp>().map(Time).map_err(|e| {
                    E::custom(format!(
                        "expected an RFC 3339 date-time, found {text:?} ({e})"
                    ))
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// A duration: minutes as a number (the SDK's forecasts), or a .NET TimeSpan string
/// `[d.]hh:mm:ss[.fffffff]` (its emissions data).
#[derive(Debug, Clone, Copy)]
struct Length(SignedDuration);

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Length;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("minutes > 0, or a TimeSpan such as \"01:00:00\"")
            }
            fn visit_f64<E: de::Error>(self, minutes: f64) -> Result<Length, E> {
                minutes_to_length(minutes).map(Length).ok_or_else(|| {
                    E::custom(format!(
                        "expected a duration in minutes > 0 and at most {MAX_MINUTES}, found \
                         {minutes}"
                    ))
                })
            }
            fn visit_u64<E: de::Error>(self, minutes: u64) -> Result<Length, E> {
                self.visit_f64(minutes as f64)
            }
            fn visit_i64<E: de::Error>(self, minutes: i64) -> Result<Length, E> {
                self.visit_f64(minutes as f64)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Length, E> {
                parse_timespan(text).map(Length).ok_or_else(|| {
                    E::custom(format!(
                        "expected a TimeSpan [d.]hh:mm:ss (hours below 24 with days, minutes \
                         and seconds below 60) longer than zero, found {text:?}"
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// The longest duration a data point may have: ten years, in minutes.
const MAX_MINUTES: f64 = 10.0 * 366.0 * 24.0 * 60.0;

fn minutes_to_length(minutes: f64) -> Option<SignedDuration> {
    (minutes.is_finite() && minutes > 0.0 && minutes <= MAX_MINUTES)
        .then(|| SignedDuration::try_from_secs_f64(minutes * 60.0).ok())
        .flatten()
}

/// `[d.]hh:mm:ss[.fffffff]`, a .NET TimeSpan in its invariant form, as the SDK writes
/// durations: hours below 24 where days are given, minutes and seconds below 60; longer than
/// zero and at most ten years.
fn parse_timespan(text: &str) -> Option<SignedDuration> {
    let digits = |s: &str| !s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_digit());
    let (days, rest) = match text.split_once('.') {
        Some((d, rest)) if rest.contains(':') && !d.contains(':') => (Some(d), rest),
        _ => (None, text),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let (s, fraction) = match s.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (*s, None),
    };
    if !(digits(h) && digits(m) && digits(s)) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let days: i64 = match days {
        Some(d) if digits(d) => d.parse().ok()?,
        Some(_) => return None,
        None => 0,
    };
    let (h, m, s): (i64, i64, i64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if m >= 60 || s >= 60 || (days > 0 && h >= 24) {
        return None;
    }
    let nanos: i32 = match fraction {
        Some(f) => format!("{f:0<9}").get(..9)?.parse().ok()?,
        None => 0,
    };
    let seconds = days.checked_mul(86_400)? + h * 3600 + m * 60 + s;
    let length = SignedDuration::new(seconds, nanos);
    (length > SignedDuration::ZERO && length.as_secs_f64() <= MAX_MINUTES * 60.0).then_some(length)
}

/// A data point's end, or an error naming the point.
fn end_of(start: Timestamp, length: SignedDuration) -> Result<Timestamp, String> {
    start
        .checked_add(length)
        .map_err(|e| format!("starts at {start} and ends beyond the last date-time ({e})"))
}

/// Points that give only their start: each lasts the feed's step (the shortest time between
/// two consecutive points; `single` where there is one point), so that a missing point is a gap
/// and not a stretch of its neighbour.
fn at_step(
    file: &str,
    points: Vec<(Timestamp, f64, u64)>,
    single: Option<SignedDuration>,
) -> Result<Feed, InputError> {
    let mut starts: Vec<Timestamp> = points.iter().map(|p| p.0).collect();
    starts.sort();
    let step = starts
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .filter(|d| *d > SignedDuration::ZERO)
        .min()
        .or(single)
        .ok_or_else(|| {
            InputError::file(
                file,
                "a single data point without a duration; its length is unknown",
            )
        })?;
    let mut intervals = Vec::with_capacity(points.len());
    for (start, value, row) in points {
        let end = end_of(start, step)
            .map_err(|m| InputError::file(file, format!("data point {row}: {m}")))?;
        intervals.push(Interval {
            start,
            end,
            value,
            row,
        });
    }
    Feed::checked(file, intervals, false)
}

/// A JSON document that is a list of `T`, or one `T` (an object), read as it streams.
fn one_or_many<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of data, or one object")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|one| vec![one])
        }
    }
    d.deserialize_any(V(std::marker::PhantomData))
}

/// One entry of a Carbon Aware SDK response: a forecast (with `forecastData`) or an emissions
/// datum (`location`, `time`, `rating`, `duration`). Other fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SdkEntry {
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    time: Option<Time>,
    #[serde(default)]
    rating: Option<f64>,
    #[serde(default)]
    duration: Option<Length>,
    #[serde(default)]
    forecast_data: Option<Vec<SdkPoint>>,
}

/// A forecast's data point.
#[derive(Debug, Deserialize)]
struct SdkPoint {
    #[serde(default)]
    location: Option<String>,
    timestamp: Time,
    duration: Length,
    value: f64,
}

struct SdkDocument(Vec<SdkEntry>);

impl<'de> Deserialize<'de> for SdkDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(d).map(SdkDocument)
    }
}

/// A Carbon Aware SDK response (docs/FEEDS.md): `/emissions/forecasts/current` (an array of
/// forecasts, or one, whose `forecastData` entries have `timestamp`, `duration` in minutes and
/// `value` in g/kWh; `optimalDataPoint(s)` are ignored), or `/emissions/bylocation` (an array of
/// `location`, `time`, `rating` and an optional `duration`, minutes or a TimeSpan; without it a
/// point lasts the feed's step). A response for several locations needs `location` to choose
/// one; a forecast's location is its own `location`, else its points'.
pub fn carbon_aware(
    file: &str,
    reader: impl Read,
    location: Option<&str>,
) -> Result<Feed, InputError> {
    let reader =
        skip_bom(reader).map_err(|e| InputError::file(file, format!("cannot read it: {e}")))?;
    let SdkDocument(entries) = serde_json::from_reader(reader).map_err(|e| json_error(file, &e))?;
    // Every datum with its location, in file order.
    struct Datum {
        location: Option<String>,
        start: Timestamp,
        length: Option<SignedDuration>,
        value: f64,
    }
    let mut data: Vec<Datum> = Vec::new();
    let mut forecasts = false;
    for (k, entry) in entries.into_iter().enumerate() {
        match entry.forecast_data {
            Some(points) => {
                forecasts = true;
                for point in points {
                    data.push(Datum {
                        location: entry.location.clone().or(point.location),
                        start: point.timestamp.0,
                        length: Some(point.duration.0),
                        value: point.value,
                    });
                }
            }
            None if forecasts => {
                return Err(InputError::file(
                    file,
                    format!("entry {k} has no forecastData, though earlier entries are forecasts"),
                ))
            }
            None => {
                let (Some(time), Some(rating)) = (entry.time, entry.rating) else {
                    return Err(InputError::file(
                        file,
                        format!(
                            "entry {k}: expected a forecast (forecastData) or emissions data \
                             (time and rating)"
                        ),
                    ));
                };
                data.push(Datum {
                    location: entry.location,
                    start: time.0,
                    length: entry.duration.map(|l| l.0),
                    value: rating,
                });
            }
        }
    }
    let mut locations: Vec<&str> = data.iter().filter_map(|d| d.location.as_deref()).collect();
    locations.sort_unstable();
    locations.dedup();
    let chosen: Option<String> = match (location, locations.as_slice()) {
        (Some(wanted), found) if found.contains(&wanted) => Some(wanted.to_string()),
        (Some(wanted), found) => {
            return Err(InputError::file(
                file,
                format!(
                    "--location {wanted}: the feed has no data for it; it has {}",
                    if found.is_empty() {
                        "no locations".to_string()
                    } else {
                        found.join(", ")
                    }
                ),
            ))
        }
        (None, [] | [_]) => None,
        (None, found) => {
            return Err(InputError::file(
                file,
                format!(
                    "the feed holds data for {} locations ({}); choose one with --location",
                    found.len(),
                    found.join(", ")
                ),
            ))
        }
    };
    let mut with_length = Vec::new();
    let mut without = Vec::new();
    for (row, datum) in data.into_iter().enumerate() {
        let row = row as u64;
        if chosen.is_some() && datum.location != chosen {
            continue;
        }
        match datum.length {
            Some(length) => with_length.push(Interval {
                start: datum.start,
                end: end_of(datum.start, length)
                    .map_err(|m| InputError::file(file, format!("data point {row}: {m}")))?,
                value: datum.value,
                row,
            }),
            None => without.push((datum.start, datum.value, row)),
        }
    }
    if !without.is_empty() {
        with_length.extend(at_step(file, without, None)?.intervals);
    }
    Feed::checked(file, with_length, false)
}

/// An Electricity Maps point; other fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MapsPoint {
    datetime: Time,
    carbon_intensity: Option<f64>,
}

/// An Electricity Maps response: `history`, `forecast` or `data` (a list of points), a list of
/// points, or one point.
struct MapsDocument(Vec<MapsPoint>);

impl<'de> Deserialize<'de> for MapsDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MapsDocument;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object with `history`, `forecast` or `data`, or a list of points")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MapsDocument, A::Error> {
                let mut out = Vec::new();
                while let Some(point) = seq.next_element()? {
                    out.push(point);
                }
                Ok(MapsDocument(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MapsDocument, A::Error> {
                let mut list: Option<Vec<MapsPoint>> = None;
                let mut datetime: Option<Time> = None;
                let mut intensity: Option<Option<f64>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "history" | "forecast" | "data" if list.is_none() => {
                            list = Some(map.next_value()?);
                        }
                        "datetime" => datetime = Some(map.next_value()?),
                        "carbonIntensity" => intensity = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                match (list, datetime, intensity) {
                    (Some(list), _, _) => Ok(MapsDocument(list)),
                    (None, Some(datetime), Some(carbon_intensity)) => {
                        Ok(MapsDocument(vec![MapsPoint {
                            datetime,
                            carbon_intensity,
                        }]))
                    }
                    _ => Err(de::Error::custom(
                        "expected `history`, `forecast` or `data`: a list of points",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Electricity Maps carbon-intensity JSON (docs/FEEDS.md): a history (`history`) or forecast
/// (`forecast`) response, or a list of such points, each with `datetime` and `carbonIntensity`
/// in gCO2eq/kWh. A point lasts the feed's step (an hour for a single point, the API's
/// granularity), so a missing point is a gap, not a stretch of the one before.
pub fn electricity_maps(file: &str, reader: impl Read) -> Result<Feed, InputError> {
    let reader =
        skip_bom(reader).map_err(|e| InputError::file(file, format!("cannot read it: {e}")))?;
    let MapsDocument(list) = serde_json::from_reader(reader).map_err(|e| json_error(file, &e))?;
    let mut points = Vec::with_capacity(list.len());
    for (row, point) in list.into_iter().enumerate() {
        let value = point.carbon_intensity.ok_or_else(|| {
            InputError::file(
                file,
                format!(
                    "data point {row} ({}): carbonIntensity is null; expected a number",
                    point.datetime.0
                ),
            )
        })?;
        points.push((point.datetime.0, value, row as u64));
    }
    if points.is_empty() {
        return Err(InputError::file(file, "no data points"));
    }
    at_step(file, points, Some(SignedDuration::from_hours(1)))
}

/// The time zones ENTSO-E's exports name in their `MTU (…)` header: the name, the zone, and
/// the abbreviations of its standard and summer time (which tag an interval on the night the
/// clocks go back).
const ENTSOE_ZONES: &[(&str, &str, &str, &str)] = &[
    ("CET/CEST", "Europe/Brussels", "CET", "CEST"),
    ("EET/EEST", "Europe/Helsinki", "EET", "EEST"),
    ("WET/WEST", "Europe/Lisbon", "WET", "WEST"),
    ("GMT/BST", "Europe/London", "GMT", "BST"),
    ("UTC", "UTC", "UTC", "UTC"),
    ("GMT", "UTC", "GMT", "GMT"),
];

/// The zone an `MTU (…)` header names, or an error that lists the ones understood.
fn entsoe_zone(
    file: &str,
    header: &str,
) -> Result<(jiff::tz::TimeZone, &'static str, &'static str), InputError> {
    let named = header
        .trim()
        .strip_prefix("MTU")
        .map(str::trim)
        .and_then(|rest| rest.strip_prefix('(')?.strip_suffix(')'))
        .map(str::trim);
    let known: Vec<&str> = ENTSOE_ZONES.iter().map(|z| z.0).collect();
    let Some(&(_, zone, standard, summer)) =
        named.and_then(|n| ENTSOE_ZONES.iter().find(|z| z.0.eq_ignore_ascii_case(n)))
    else {
        return Err(InputError::at(
            file,
            1,
            header,
            format!(
                "the header {header:?} names no time zone wattshift reads; expected MTU with \
                 one of {} in parentheses, such as \"MTU (CET/CEST)\"",
                known.join(", ")
            ),
        ));
    };
    let tz = jiff::tz::TimeZone::get(zone).map_err(|e| {
        InputError::file(file, format!("the time zone {zone} is not available: {e}"))
    })?;
    Ok((tz, standard, summer))
}

/// A local date-time as ENTSO-E writes it: `DD.MM.YYYY HH:MM` or `DD/MM/YYYY HH:MM:SS`, with an
/// optional zone tag such as ` (CET)`; returns the date-time and the tag.
fn entsoe_local(text: &str) -> Option<(jiff::civil::DateTime, Option<&str>)> {
    let text = text.trim();
    let (time, tag) = match text.rsplit_once(" (") {
        Some((time, tag)) if tag.ends_with(')') => (time.trim(), Some(tag.trim_end_matches(')'))),
        _ => (text, None),
    };
    [
        "%d.%m.%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|format| jiff::civil::DateTime::strptime(format, time).ok())
    .map(|dt| (dt, tag))
}

/// An ENTSO-E Transparency Platform day-ahead price CSV export (docs/FEEDS.md), hourly or
/// 15-minute, read as it streams: a column whose header is `MTU (ZONE)` holds intervals
/// `DD.MM.YYYY HH:MM - DD.MM.YYYY HH:MM` (or `DD/MM/YYYY HH:MM:SS`) in the time zone it names
/// (`CET/CEST`, `EET/EEST`, `WET/WEST`, `GMT/BST`, or `UTC`/`GMT` without summer time; any
/// other header is refused), with an optional zone tag such as ` (CET)` on the night the clocks
/// go back; and a column whose header holds `Price` and `EUR/MWh` the price. Cells `n/e`, `-`
/// and empty are no price; a `Currency` column other than EUR is refused. A local time that
/// does not exist (the hour the clocks skip) is an error, and so is one that comes more often
/// than the clock allows.
pub fn entsoe(file: &str, reader: impl Read) -> Result<Feed, InputError> {
    let reader =
        skip_bom(reader).map_err(|e| InputError::file(file, format!("cannot read it: {e}")))?;
    let breaks = std::rc::Rc::new(std::cell::RefCell::new(LineBreaks::default()));
    let reader = Counting {
        inner: reader,
        offset: 0,
        breaks: breaks.clone(),
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
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
    let (zone, standard, summer) = entsoe_zone(file, &header[time_col])?;
    let mut out = Vec::new();
    // Local intervals seen, for the night the clocks go back: the first is summer time.
    let mut seen_local: std::collections::HashSet<(jiff::civil::DateTime, jiff::civil::DateTime)> =
        std::collections::HashSet::new();
    let mut record = csv::StringRecord::new();
    let mut line: u64 = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let at = e
                    .position()
                    .map_or(line + 1, |p| breaks.borrow().line_at(p.byte()));
                return Err(InputError::at_line(file, at, format!("not CSV: {e}")));
            }
        }
        line = record
            .position()
            .map_or(line + 1, |p| breaks.borrow().line_at(p.byte()));
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
        let at = |message: String| InputError::at(file, line, header[time_col].clone(), message);
        let bad = || {
            at(format!(
                "expected DD.MM.YYYY HH:MM - DD.MM.YYYY HH:MM, found {mtu:?}"
            ))
        };
        let (from, to) = mtu.split_once(" - ").ok_or_else(bad)?;
        let ((from, from_tag), (to, to_tag)) = (
            entsoe_local(from).ok_or_else(bad)?,
            entsoe_local(to).ok_or_else(bad)?,
        );
        let tag = from_tag.or(to_tag);
        if let Some(tag) = tag.filter(|t| *t != standard && *t != summer) {
            return Err(at(format!(
                "the zone tag ({tag}) is not one of the header's zone ({standard} or {summer})"
            )));
        }
        let ambiguous = zone.to_ambiguous_zoned_datetime(from);
        if matches!(ambiguous.offset(), jiff::tz::AmbiguousOffset::Gap { .. }) {
            return Err(at(format!(
                "{from} does not exist in {standard}/{summer}: the clocks skip that hour; \
                 expected the interval to start before or after it"
            )));
        }
        // On the night clocks go back, the same local hour comes twice: summer time first,
        // then standard time; a tag says which.
        let second = match tag {
            Some(t) if t == standard && standard != summer => true,
            Some(_) => false,
            None => !seen_local.insert((from, to)),
        };
        let start = if second {
            ambiguous.later()
        } else {
            ambiguous.earlier()
        }
        .map(|z| z.timestamp())
        .map_err(|e| at(format!("{e}")))?;
        // An interval lasts what its clock times say, or less where the clock jumps forward
        // within it; on the night clocks go back, the end read as a time would be an hour late.
        let civil = to.duration_since(from);
        let zoned_end = zone
            .to_ambiguous_zoned_datetime(to)
            .later()
            .map(|z| z.timestamp())
            .map_err(|e| at(format!("{e}")))?;
        let end = match start.checked_add(civil) {
            Ok(by_clock) if by_clock < zoned_end => by_clock,
            _ => zoned_end,
        };
        if end <= start {
            return Err(bad());
        }
        out.push(Interval {
            start,
            end,
            value,
            row: line,
        });
    }
    if out.is_empty() {
        return Err(InputError::file(file, "no prices in the file"));
    }
    Feed::checked(file, out, true)
}

/// The average of `intervals` over `[from, to)`, weighted by overlap, computed so that it
/// never overflows where the values themselves are finite; `Err` with the first stretch of it
/// no interval covers.
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
    for &(start, end, _) in &pieces {
        if start > covered {
            return Err((covered, start));
        }
        covered = covered.max(end);
    }
    if covered < to {
        return Err((covered, to));
    }
    let total: f64 = pieces
        .iter()
        .map(|p| p.1.duration_since(p.0).as_secs_f64())
        .sum();
    // Scaled by the largest magnitude, so that 1e308 and 1e308 average to 1e308.
    let scale = pieces.iter().fold(0.0f64, |m, p| m.max(p.2.abs()));
    if scale == 0.0 || total <= 0.0 {
        return Ok(0.0);
    }
    let mean: f64 = pieces
        .iter()
        .map(|p| (p.2 / scale) * (p.1.duration_since(p.0).as_secs_f64() / total))
        .sum();
    Ok(mean * scale)
}

/// The row of `feed` with the largest magnitude among those covering `[from, to)`: the one to
/// name when a window's value is refused.
pub fn largest_over(feed: &Feed, from: Timestamp, to: Timestamp) -> Option<&Interval> {
    feed.intervals
        .iter()
        .filter(|i| i.end > from && i.start < to)
        .max_by(|a, b| a.value.abs().total_cmp(&b.value.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn entsoe_text(csv: &str) -> Result<Feed, InputError> {
        entsoe("x.csv", csv.as_bytes())
    }

    #[test]
    fn entsoe_times_follow_cet_cest_through_both_clock_changes() {
        // 2024-10-27: 02:00-03:00 comes twice.
        let csv = "\"MTU (CET/CEST)\",\"Day-ahead Price [EUR/MWh]\",\"Currency\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 01:00 - 27.10.2024 02:00\",\"1\",\"EUR\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 02:00 - 27.10.2024 03:00\",\"2\",\"EUR\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 02:00 - 27.10.2024 03:00\",\"3\",\"EUR\",\"BZN|DE-LU\"\n\
                   \"27.10.2024 03:00 - 27.10.2024 04:00\",\"n/e\",\"EUR\",\"BZN|DE-LU\"\n";
        let got = entsoe_text(csv).unwrap().intervals;
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
        // A third 02:00 overlaps the second and is named at its line.
        let third = format!("{csv}\"27.10.2024 02:00 - 27.10.2024 03:00\",\"4\",\"EUR\",\"x\"\n");
        let e = entsoe_text(&third).unwrap_err();
        assert_eq!(e.line, Some(6), "{e}");
        // Lines count the same with CRLF line ends and blank lines.
        let crlf = third.replace('\n', "\r\n").replacen("\r\n", "\r\n\r\n", 2);
        let e = entsoe_text(&crlf).unwrap_err();
        assert_eq!(e.line, Some(8), "{e}");
        // The hour the clocks skip does not exist.
        let skipped = "\"MTU (CET/CEST)\",\"Day-ahead Price [EUR/MWh]\"\n\
                       \"31.03.2024 01:00 - 31.03.2024 02:00\",\"1\"\n\
                       \"31.03.2024 02:00 - 31.03.2024 03:00\",\"2\"\n";
        let e = entsoe_text(skipped).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("does not exist"), "{e}");
    }

    #[test]
    fn entsoe_reads_every_zone_its_exports_name_and_refuses_the_rest() {
        let body = "\"01.05.2024 00:00 - 01.05.2024 01:00\",\"5\"\n";
        for (zone, utc) in [
            ("CET/CEST", "2024-04-30T22:00:00Z"),
            ("EET/EEST", "2024-04-30T21:00:00Z"),
            ("WET/WEST", "2024-04-30T23:00:00Z"),
            ("GMT/BST", "2024-04-30T23:00:00Z"),
            ("UTC", "2024-05-01T00:00:00Z"),
            ("GMT", "2024-05-01T00:00:00Z"),
        ] {
            let csv = format!("\"MTU ({zone})\",\"Day-ahead Price [EUR/MWh]\"\n{body}");
            let got = entsoe_text(&csv).unwrap().intervals;
            assert_eq!(got[0].start.to_string(), utc, "{zone}");
        }
        for header in ["MTU", "MTU (MSK)", "MTU (CET/CEST"] {
            let csv = format!("\"{header}\",\"Day-ahead Price [EUR/MWh]\"\n{body}");
            let e = entsoe_text(&csv).unwrap_err();
            assert!(e.message.contains("names no time zone"), "{header}: {e}");
        }
    }

    #[test]
    fn duplicates_are_named_not_averaged() {
        let csv = "\"MTU (UTC)\",\"Day-ahead Price [EUR/MWh]\"\n\
                   \"01.05.2024 00:00 - 01.05.2024 01:00\",\"5\"\n\
                   \"01.05.2024 00:00 - 01.05.2024 01:00\",\"7\"\n";
        let e = entsoe_text(csv).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("overlaps line 2"), "{e}");
    }

    #[test]
    fn averages_weigh_by_overlap_and_gaps_are_named() {
        let i = |a: &str, b: &str, v: f64| Interval {
            start: at(a),
            end: at(b),
            value: v,
            row: 0,
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
        // Huge values average without overflowing.
        let huge = [
            i("2024-01-01T00:00:00Z", "2024-01-01T00:30:00Z", 1e308),
            i("2024-01-01T00:30:00Z", "2024-01-01T01:00:00Z", 1e308),
        ];
        let avg = average_over(
            &huge,
            at("2024-01-01T00:00:00Z"),
            at("2024-01-01T01:00:00Z"),
        )
        .unwrap();
        assert!(avg.is_finite() && (avg - 1e308).abs() <= 1e293, "{avg}");
    }

    #[test]
    fn carbon_aware_durations_read_as_strict_timespans() {
        assert_eq!(
            parse_timespan("01:00:00"),
            Some(SignedDuration::from_hours(1))
        );
        assert_eq!(
            parse_timespan("1.00:00:00"),
            Some(SignedDuration::from_hours(24))
        );
        assert_eq!(
            parse_timespan("00:30:00.5"),
            Some(SignedDuration::new(1800, 500_000_000))
        );
        for bad in [
            "00:00:00",
            "soon",
            "01:61:00",
            "01:00:60",
            "1.24:00:00",
            "-01:00:00",
            "1:2",
        ] {
            assert_eq!(parse_timespan(bad), None, "{bad}");
        }
        assert_eq!(minutes_to_length(1e18), None);
        assert_eq!(minutes_to_length(f64::NAN), None);
    }

    #[test]
    fn carbon_aware_with_two_locations_needs_a_choice() {
        let json = r#"[{"location":"a","time":"2024-05-01T00:00:00Z","rating":1,"duration":"01:00:00"},
                       {"location":"b","time":"2024-05-01T00:00:00Z","rating":1000,"duration":"01:00:00"}]"#;
        let e = carbon_aware("f.json", json.as_bytes(), None).unwrap_err();
        assert!(e.message.contains("2 locations (a, b)"), "{e}");
        let b = carbon_aware("f.json", json.as_bytes(), Some("b")).unwrap();
        assert_eq!(b.intervals.len(), 1);
        assert_eq!(b.intervals[0].value, 1000.0);
        let e = carbon_aware("f.json", json.as_bytes(), Some("c")).unwrap_err();
        assert!(e.message.contains("no data for it"), "{e}");
        // A duration of 1e18 minutes is an error at its place, not a panic.
        let json = r#"[{"location":"a","time":"2024-05-01T00:00:00Z","rating":1,"duration":1e18}]"#;
        let e = carbon_aware("f.json", json.as_bytes(), None).unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("minutes"), "{e}");
    }

    #[test]
    fn a_missing_hour_is_a_gap_not_a_stretch() {
        let json = r#"{"history":[
            {"datetime":"2024-05-01T00:00:00Z","carbonIntensity":1},
            {"datetime":"2024-05-01T01:00:00Z","carbonIntensity":2},
            {"datetime":"2024-05-01T03:00:00Z","carbonIntensity":4}]}"#;
        let feed = electricity_maps("f.json", json.as_bytes()).unwrap();
        let gap = average_over(
            &feed.intervals,
            at("2024-05-01T02:00:00Z"),
            at("2024-05-01T03:00:00Z"),
        );
        assert_eq!(
            gap,
            Err((at("2024-05-01T02:00:00Z"), at("2024-05-01T03:00:00Z")))
        );
    }
}
