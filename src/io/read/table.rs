//! The CSV layer: a file read as byte records ([`CsvFile`]), its columns checked against a
//! [`Schema`], rows with typed accessors that name their place in every error ([`Row`]), and
//! id lookups ([`IdIndex`], [`UniqueIds`]).

use super::lexers::*;
use super::params::*;
use crate::domain::instance::{MigrationKind, SiteId};
use crate::error::InputError;
use std::collections::HashMap;

/// A UTF-8 byte-order mark, which spreadsheet programs write at the start of a file.
pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The characters an identifier may not begin with: a spreadsheet opening a CSV output starts a
/// formula at `=`, `+`, `-` and `@`, and a command-line tool an option at `-`.
const FORMULA_OR_OPTION: &str = "=+-@";

/// A CSV file split into records, not yet interpreted.
pub(crate) struct CsvFile {
    /// The name errors give for this file.
    pub(crate) name: String,
    /// The header row, each cell checked to be UTF-8.
    pub(crate) header: Vec<String>,
    /// The data rows with the line each starts on (1-based, header on line 1).
    pub(crate) records: Vec<(u64, csv::ByteRecord)>,
}

impl CsvFile {
    pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<CsvFile, InputError> {
        let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        if let Some(line) = unclosed_quote_line(bytes) {
            return Err(InputError::at_line(
                name,
                line,
                "a quoted field opens on this line and is never closed; expected a closing '\"' \
                 (a quote inside a quoted field is written twice: \"\")",
            ));
        }
        // Flexible, so that a ragged row reaches us and is reported with its line; no headers,
        // so that the header is a record like any other and gets the same UTF-8 check.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {
                    let line = record
                        .position()
                        .map_or(records.len() as u64 + 1, |p| record_line(bytes, p));
                    records.push((line, std::mem::take(&mut record)));
                }
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(1, |p| p.line());
                    return Err(InputError::at_line(
                        name,
                        line,
                        format!("cannot parse CSV: {e}"),
                    ));
                }
            }
        }
        let mut records = records.into_iter();
        let Some((_, header_record)) = records.next() else {
            return Err(InputError::at_line(
                name,
                1,
                "the file is empty; expected a header row naming its columns",
            ));
        };
        let mut header = Vec::with_capacity(header_record.len());
        for (position, cell) in header_record.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(text) => header.push(text.to_string()),
                Err(e) => {
                    return Err(InputError::at_line(
                        name,
                        1,
                        format!(
                            "header cell {} is not valid UTF-8 (bad byte at offset {} of the \
                             cell); expected UTF-8 column names",
                            position + 1,
                            e.valid_up_to()
                        ),
                    ))
                }
            }
        }
        Ok(CsvFile {
            name: name.to_string(),
            header,
            records: records.collect(),
        })
    }

    /// Checks the header against `schema` and maps column names to positions.
    pub(crate) fn table(&self, schema: &Schema) -> Result<Table<'_>, InputError> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut annotations = Vec::new();
        // A first line that names no column at all is no header: nothing of it is echoed, since
        // the file may be anything (a link to a system file, a file of another format).
        let names_a_column = self.header.iter().any(|column| {
            column.starts_with("x_")
                || schema.required.contains(&column.as_str())
                || schema.optional.contains(&column.as_str())
        });
        if !names_a_column {
            return Err(InputError::at_line(
                &self.name,
                1,
                format!(
                    "the first line is not a header of this file: none of its {} names a column; \
                     expected a header row with {}",
                    if self.header.len() == 1 {
                        "1 cell".to_string()
                    } else {
                        format!("{} cells", self.header.len())
                    },
                    schema.required.join(", ")
                ),
            ));
        }
        for (position, column) in self.header.iter().enumerate() {
            if column.is_empty() {
                return Err(InputError::at_line(
                    &self.name,
                    1,
                    format!(
                        "header cell {} is empty; expected a column name (is there a trailing \
                         comma?)",
                        position + 1
                    ),
                ));
            }
            if index.insert(column.as_str(), position).is_some() {
                return Err(InputError::at(
                    &self.name,
                    1,
                    column.as_str(),
                    format!(
                        "duplicate column {}; expected each column once",
                        quote(column)
                    ),
                ));
            }
            if column.starts_with("x_") {
                annotations.push(position);
            } else if !schema.required.contains(&column.as_str())
                && !schema.optional.contains(&column.as_str())
            {
                let known: Vec<&str> = schema
                    .required
                    .iter()
                    .chain(schema.optional)
                    .copied()
                    .collect();
                return Err(InputError::at(
                    &self.name,
                    1,
                    column.as_str(),
                    format!(
                        "unknown column {}; expected one of: {} (annotation columns must start \
                         with \"x_\")",
                        quote(column),
                        known.join(", ")
                    ),
                ));
            }
        }
        for &required in schema.required {
            if !index.contains_key(required) {
                return Err(InputError::at(
                    &self.name,
                    1,
                    required,
                    format!("missing required column {}", quote(required)),
                ));
            }
        }
        Ok(Table {
            file: self,
            index,
            annotations,
        })
    }
}

/// The 1-based line a record starts on. The csv reader gives the position where it began
/// reading the record, which is before any blank lines it skipped on the way, so the line
/// breaks between that position and the record's first byte are counted here.
pub(crate) fn record_line(bytes: &[u8], position: &csv::Position) -> u64 {
    let skipped = usize::try_from(position.byte())
        .ok()
        .and_then(|start| bytes.get(start..))
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .filter(|&&b| b == b'\n')
        .count();
    position.line() + skipped as u64
}

/// The columns a file may have; any other column must start with `x_`.
pub(crate) struct Schema {
    pub(crate) required: &'static [&'static str],
    pub(crate) optional: &'static [&'static str],
}

impl Schema {
    /// Every column, required ones first, in the order files are written.
    pub(crate) fn columns(&self) -> impl Iterator<Item = &'static str> {
        self.required.iter().chain(self.optional).copied()
    }
}

/// The columns of sites.csv, as read and as written.
pub(crate) const SITES_SCHEMA: Schema = Schema {
    required: &[
        "site",
        "hosts",
        "host_cpu",
        "host_mem_gib",
        "idle_w",
        "peak_w",
        "pue",
    ],
    optional: &["cpu_overcommit", "max_migrations", "zone"],
};

/// The columns of vms.csv, as read and as written.
pub(crate) const VMS_SCHEMA: Schema = Schema {
    required: &["vm", "site", "cpu", "mem_gib"],
    optional: &[
        "util",
        "disk_gib",
        "mem_used_gib",
        "wss_gib",
        "dirty_mib_s",
        "disk_write_mib_s",
        "migration",
        "boot_s",
        "allowed_sites",
        "anchor_site",
        "max_latency_ms",
        "anti_affinity",
        "penalty_eur_per_s",
        "downtime_eur_per_s",
    ],
};

/// The columns of links.csv, as read and as written.
pub(crate) const LINKS_SCHEMA: Schema = Schema {
    required: &["from", "to", "bandwidth_gbps"],
    optional: &["latency_ms", "eur_per_gb"],
};

/// The columns of windows.csv, as read and as written.
pub(crate) const WINDOWS_SCHEMA: Schema = Schema {
    required: &["window", "site", "price_eur_mwh"],
    optional: &["renewable_kw", "carbon_g_kwh", "start"],
};

/// A CSV file whose header has been checked against its schema.
pub(crate) struct Table<'a> {
    pub(crate) file: &'a CsvFile,
    /// Position of each header name.
    pub(crate) index: HashMap<&'a str, usize>,
    /// Positions of the `x_` columns, in header order.
    pub(crate) annotations: Vec<usize>,
}

impl<'a> Table<'a> {
    /// The data rows in file order, each checked for its width and for UTF-8.
    pub(crate) fn rows(&'a self) -> impl Iterator<Item = Result<Row<'a>, InputError>> + 'a {
        self.file
            .records
            .iter()
            .map(move |(line, record)| self.row(*line, record))
    }

    pub(crate) fn row(
        &'a self,
        line: u64,
        record: &'a csv::ByteRecord,
    ) -> Result<Row<'a>, InputError> {
        let name = &self.file.name;
        let width = self.file.header.len();
        if record.len() < width {
            let first_missing = self
                .file
                .header
                .get(record.len())
                .map_or("", String::as_str);
            return Err(InputError::at(
                name,
                line,
                first_missing,
                format!(
                    "the row has {} but the header has {width}; expected a value (or an empty \
                     cell) for every column",
                    fields(record.len())
                ),
            ));
        }
        if record.len() > width {
            return Err(InputError::at_line(
                name,
                line,
                format!(
                    "the row has {} but the header has {width}; expected one field per column \
                     (quote a value that contains a comma)",
                    fields(record.len())
                ),
            ));
        }
        let mut fields = Vec::with_capacity(width);
        for (position, cell) in record.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(text) => fields.push(text),
                Err(e) => {
                    let column = self.file.header.get(position).map_or("", String::as_str);
                    return Err(InputError::at(
                        name,
                        line,
                        column,
                        format!(
                            "the cell is not valid UTF-8 (bad byte at offset {} of the cell); \
                             expected UTF-8 text",
                            e.valid_up_to()
                        ),
                    ));
                }
            }
        }
        Ok(Row {
            table: self,
            line,
            fields,
        })
    }
}

/// One data row with typed getters. A getter for a column the header lacks sees an empty cell,
/// which is how an optional column takes its default.
pub(crate) struct Row<'a> {
    pub(crate) table: &'a Table<'a>,
    /// 1-based line the row starts on.
    pub(crate) line: u64,
    pub(crate) fields: Vec<&'a str>,
}

impl<'a> Row<'a> {
    pub(crate) fn error(&self, column: &str, message: impl Into<String>) -> InputError {
        InputError::at(&self.table.file.name, self.line, column, message)
    }

    /// The cell of `column`, empty when the file has no such column.
    pub(crate) fn text(&self, column: &str) -> &'a str {
        self.table
            .index
            .get(column)
            .and_then(|&position| self.fields.get(position))
            .copied()
            .unwrap_or("")
    }

    /// The annotations, refusing control characters (they are written into the outputs).
    pub(crate) fn printable_annotations(&self) -> Result<Vec<(String, String)>, InputError> {
        let annotations = self.annotations();
        for (name, value) in &annotations {
            self.printable_text(name, value, true)?;
        }
        Ok(annotations)
    }

    /// The `x_` cells, name and value, in header order.
    pub(crate) fn annotations(&self) -> Vec<(String, String)> {
        self.table
            .annotations
            .iter()
            .filter_map(|&position| {
                let name = self.table.file.header.get(position)?;
                let value = self.fields.get(position)?;
                Some((name.clone(), value.to_string()))
            })
            .collect()
    }

    pub(crate) fn req_id(&self, column: &str) -> Result<&'a str, InputError> {
        self.opt_id(column)?.ok_or_else(|| {
            self.error(
                column,
                "expected an identifier (non-empty, without \";\"), found an empty cell",
            )
        })
    }

    pub(crate) fn opt_id(&self, column: &str) -> Result<Option<&'a str>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        if cell.contains(';') {
            return Err(self.error(
                column,
                format!(
                    "expected an identifier without \";\", found {}",
                    quote(cell)
                ),
            ));
        }
        self.printable(column, cell)?;
        if let Some(first) = cell
            .chars()
            .next()
            .filter(|c| FORMULA_OR_OPTION.contains(*c))
        {
            return Err(self.error(
                column,
                format!(
                    "expected an identifier that does not begin with {}, found {}; ids are \
                     written into CSV files that spreadsheets open, where a leading =, +, - or @ \
                     starts a formula, and passed to command-line tools, where a leading - starts \
                     an option",
                    quote(&first.to_string()),
                    quote(cell)
                ),
            ));
        }
        Ok(Some(cell))
    }

    /// A UUID in the `x_uuid` annotation (the server's id in OpenStack, which the exports pass
    /// to the `openstack` client and Watcher): empty, or a UUID in any of its usual forms.
    pub(crate) fn uuid_annotation(&self) -> Result<(), InputError> {
        let cell = self.text("x_uuid");
        if cell.is_empty() || uuid::Uuid::try_parse(cell).is_ok() {
            return Ok(());
        }
        Err(self.error(
            "x_uuid",
            format!(
                "expected the server's UUID (such as 6f1c2a8e-0b1d-4c55-9a51-1d0f6f1e2a05) or an \
                 empty cell, found {}",
                quote(cell)
            ),
        ))
    }

    /// Refuses text with control characters (terminal escapes, NUL, line breaks): ids and
    /// labels are printed to terminals and written into outputs.
    pub(crate) fn printable(&self, column: &str, cell: &str) -> Result<(), InputError> {
        self.printable_text(column, cell, false)
    }

    /// As [`Row::printable`]; with `layout`, tabs and line breaks are allowed (free text such
    /// as a zone or an annotation, which CSV quoting carries safely).
    pub(crate) fn printable_text(
        &self,
        column: &str,
        cell: &str,
        layout: bool,
    ) -> Result<(), InputError> {
        let allowed = |c: char| layout && matches!(c, '\t' | '\n' | '\r');
        match cell.chars().find(|&c| c.is_control() && !allowed(c)) {
            None => Ok(()),
            Some(c) => Err(self.error(
                column,
                format!(
                    "found a control character (U+{:04X}) in {}; expected printable text",
                    c as u32,
                    quote(cell)
                ),
            )),
        }
    }

    pub(crate) fn req_f64(&self, column: &str, range: Range) -> Result<f64, InputError> {
        self.opt_f64(column, range)?.ok_or_else(|| {
            self.error(
                column,
                format!(
                    "expected {}, found an empty cell",
                    range.with_rule("a number")
                ),
            )
        })
    }

    pub(crate) fn f64_or(
        &self,
        column: &str,
        default: f64,
        range: Range,
    ) -> Result<f64, InputError> {
        Ok(self.opt_f64(column, range)?.unwrap_or(default))
    }

    pub(crate) fn opt_f64(&self, column: &str, range: Range) -> Result<Option<f64>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        let number = parse_decimal(cell).ok_or_else(|| {
            self.error(
                column,
                format!(
                    "expected {} (such as 2, -0.5 or 1.5e3), found {}",
                    range.with_rule("a decimal number"),
                    quote(cell)
                ),
            )
        })?;
        if !number.is_finite() {
            return Err(self.error(
                column,
                format!(
                    "expected {}, found {}, which overflows double precision",
                    range.with_rule("a finite number"),
                    quote(cell)
                ),
            ));
        }
        if number == 0.0 && underflows(cell) {
            return Err(self.error(
                column,
                format!(
                    "found {}, which underflows to 0 in double precision (the smallest positive \
                     number is about 4.9e-324); expected 0 written as 0, or a larger number",
                    quote(cell)
                ),
            ));
        }
        if !range.contains(number) {
            return Err(self.error(
                column,
                format!(
                    "expected {}, found {}",
                    range.with_rule("a number"),
                    quote(cell)
                ),
            ));
        }
        // Adding zero turns -0 into 0, so that "-0" never shows up in an output.
        Ok(Some(number + 0.0))
    }

    pub(crate) fn req_u32(&self, column: &str, minimum: u32) -> Result<u32, InputError> {
        self.opt_u32(column, minimum)?.ok_or_else(|| {
            self.error(
                column,
                format!("expected an integer ≥ {minimum}, found an empty cell"),
            )
        })
    }

    pub(crate) fn opt_u32(&self, column: &str, minimum: u32) -> Result<Option<u32>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        match parse_integer(cell) {
            Some(n) if n >= i128::from(minimum) && n <= i128::from(u32::MAX) => {
                Ok(u32::try_from(n).ok())
            }
            Some(n) => Err(self.error(
                column,
                format!(
                    "expected {}, found {}",
                    integer_rule(minimum, n),
                    quote(cell)
                ),
            )),
            None => Err(self.error(
                column,
                format!(
                    "expected an integer ≥ {minimum} written without fraction or exponent, \
                     found {}",
                    quote(cell)
                ),
            )),
        }
    }

    /// A window number in windows.csv, where the set of windows is still being learnt.
    pub(crate) fn req_window_number(&self, column: &str) -> Result<usize, InputError> {
        Ok(self.req_u32(column, 0)? as usize)
    }

    /// A window number in `0..windows`, the windows of `source`.
    pub(crate) fn req_window(
        &self,
        column: &str,
        windows: usize,
        source: &str,
    ) -> Result<usize, InputError> {
        let cell = self.text(column);
        let expected = format!(
            "expected a window from 0 to {} ({source} has {windows} windows)",
            windows.saturating_sub(1)
        );
        match parse_integer(cell) {
            Some(n) if n >= 0 && n < windows as i128 => Ok(n as usize),
            Some(_) => Err(self.error(column, format!("{expected}, found {}", quote(cell)))),
            None => Err(self.error(
                column,
                format!(
                    "{expected}, written as an integer without fraction or exponent, found {}",
                    quote(cell)
                ),
            )),
        }
    }

    /// The migration kind; an empty cell is `precopy`.
    pub(crate) fn migration_kind(&self, column: &str) -> Result<MigrationKind, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(MigrationKind::Precopy);
        }
        MigrationKind::from_name(cell).ok_or_else(|| {
            let names: Vec<&str> = MigrationKind::ALL.iter().map(|k| k.name()).collect();
            self.error(
                column,
                format!(
                    "expected one of {}, found {}",
                    names.join(", "),
                    quote(cell)
                ),
            )
        })
    }

    /// Site ids joined by `;`, sorted and deduplicated; an empty cell means every site (`None`).
    pub(crate) fn site_list(
        &self,
        column: &str,
        site_ids: &IdIndex,
    ) -> Result<Option<Vec<SiteId>>, InputError> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(None);
        }
        let mut sites = Vec::new();
        for part in cell.split(';') {
            if part.is_empty() {
                return Err(self.error(
                    column,
                    format!(
                        "expected site ids joined by \";\" (such as a;b), found an empty id in {}",
                        quote(cell)
                    ),
                ));
            }
            sites.push(site_ids.lookup_value(self, column, part)?);
        }
        sites.sort_unstable();
        sites.dedup();
        Ok(Some(sites))
    }
}

/// The errors found in one pass over an instance, in the order they were found, up to a cap:
/// a bad row is skipped and the next one read, so one pass reports as many as it can.
pub(crate) struct Errors {
    pub(crate) list: Vec<InputError>,
    cap: usize,
    /// Reading stopped at the cap with input left unchecked.
    pub(crate) truncated: bool,
}

impl Errors {
    /// At most `cap` errors (at least one).
    pub(crate) fn new(cap: usize) -> Self {
        Errors {
            list: Vec::new(),
            cap: cap.max(1),
            truncated: false,
        }
    }

    pub(crate) fn push(&mut self, error: InputError) {
        if self.list.len() < self.cap {
            self.list.push(error);
        } else {
            self.truncated = true;
        }
    }

    /// The value, or `None` with the error recorded.
    pub(crate) fn take<T>(&mut self, result: Result<T, InputError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The cap is reached: reading stops here, and the report says that input was left
    /// unchecked.
    pub(crate) fn full(&mut self) -> bool {
        let full = self.list.len() >= self.cap;
        self.truncated |= full;
        full
    }
}

/// Identifiers of one file (sites or VMs), for lookups with helpful errors.
pub(crate) struct IdIndex {
    /// What an id names, e.g. "site".
    pub(crate) noun: &'static str,
    /// The file that defines the ids.
    pub(crate) file: &'static str,
    pub(crate) ids: Vec<String>,
    pub(crate) position: HashMap<String, usize>,
}

impl IdIndex {
    pub(crate) fn new<'s>(
        noun: &'static str,
        file: &'static str,
        ids: impl Iterator<Item = &'s str>,
    ) -> Self {
        let ids: Vec<String> = ids.map(str::to_string).collect();
        let mut position = HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            position.entry(id.clone()).or_insert(i);
        }
        IdIndex {
            noun,
            file,
            ids,
            position,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn name(&self, index: usize) -> &str {
        self.ids.get(index).map_or("", String::as_str)
    }

    /// Looks up the id in the cell of `column`, which must be non-empty.
    pub(crate) fn lookup(&self, row: &Row<'_>, column: &str) -> Result<usize, InputError> {
        let id = row.req_id(column)?;
        self.lookup_value(row, column, id)
    }

    pub(crate) fn lookup_value(
        &self,
        row: &Row<'_>,
        column: &str,
        id: &str,
    ) -> Result<usize, InputError> {
        self.position.get(id).copied().ok_or_else(|| {
            row.error(
                column,
                format!(
                    "unknown {} {} ({} has: {})",
                    self.noun,
                    quote(id),
                    self.file,
                    self.listing()
                ),
            )
        })
    }

    /// The ids for an error message, shortened when there are many.
    pub(crate) fn listing(&self) -> String {
        const SHOWN: usize = 10;
        if self.ids.is_empty() {
            return "none".to_string();
        }
        let shown: Vec<&str> = self.ids.iter().take(SHOWN).map(String::as_str).collect();
        let mut listing = shown.join(", ");
        if self.ids.len() > SHOWN {
            listing.push_str(&format!(", … ({} in all)", self.ids.len()));
        }
        listing
    }
}

/// The ids seen so far in a file's id column, to report a duplicate with its first line.
pub(crate) struct UniqueIds {
    pub(crate) noun: &'static str,
    pub(crate) first_line: HashMap<String, u64>,
}

impl UniqueIds {
    pub(crate) fn new(noun: &'static str) -> Self {
        UniqueIds {
            noun,
            first_line: HashMap::new(),
        }
    }

    pub(crate) fn insert(
        &mut self,
        row: &Row<'_>,
        column: &str,
        id: &str,
    ) -> Result<(), InputError> {
        if let Some(first) = self.first_line.get(id) {
            return Err(row.error(
                column,
                format!(
                    "duplicate {} {} (first on line {first}); expected unique {} ids",
                    self.noun,
                    quote(id),
                    self.noun
                ),
            ));
        }
        self.first_line.insert(id.to_string(), row.line);
        Ok(())
    }
}

/// Parses a decimal number with an optional exponent: `[+-]digits[.digits][(e|E)[+-]digits]`,
/// where either the integer or the fraction digits may be absent but not both. Refuses what
/// Rust's float parser also takes but the format does not: `inf`, `NaN`, hex, underscores,
/// surrounding spaces.
/// The line on which a quoted field opens that the file never closes, if any. A quote
/// toggles the state; a doubled quote inside a field toggles it twice, as it should.
pub(crate) fn unclosed_quote_line(bytes: &[u8]) -> Option<u64> {
    let mut line = 1u64;
    let mut opened_on = None;
    for &b in bytes {
        match b {
            b'"' => {
                opened_on = match opened_on {
                    None => Some(line),
                    Some(_) => None,
                }
            }
            b'\n' => line += 1,
            _ => {}
        }
    }
    opened_on
}

/// "1 field" or "n fields".
pub(crate) fn fields(count: usize) -> String {
    if count == 1 {
        "1 field".to_string()
    } else {
        format!("{count} fields")
    }
}

/// A cell value quoted for a message, shortened when long so that one huge cell cannot flood
/// the terminal.
pub(crate) fn quote(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() <= LIMIT {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head:?}…")
    }
}
