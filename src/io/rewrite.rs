//! Rewriting one column of a user's windows.csv in place (`wattshift import`): every other byte
//! of meaning kept, the byte-order mark and the line ends as the file had them.

use crate::io::read::{record_line, UTF8_BOM};

/// The records of a windows.csv, its header first, and the line each starts on.
fn records(bytes: &[u8]) -> Result<Vec<(csv::StringRecord, u64)>, String> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("cannot read it: {e}"))?;
        let line = record.position().map_or(0, |p| record_line(body, p));
        out.push((record, line));
    }
    Ok(out)
}

/// windows.csv (`bytes`) with the `column` cell of each of `site`'s rows replaced by the value of
/// its window in `values` (the column appended, empty elsewhere, where the file lacks it). The
/// byte-order mark and the line ends (CRLF where the first line ends so) are kept.
pub fn replace_column(
    bytes: &[u8],
    site: &str,
    column: &str,
    values: &[f64],
) -> Result<Vec<u8>, String> {
    let mut rows = records(bytes)?;
    let Some(header) = rows.first().map(|r| r.0.clone()) else {
        return Err("empty".into());
    };
    let index = |h: &str| header.iter().position(|x| x == h);
    let (Some(w_col), Some(s_col)) = (index("window"), index("site")) else {
        return Err("no window or site column".into());
    };
    let target = match index(column) {
        Some(c) => c,
        None => {
            for (i, (record, _)) in rows.iter_mut().enumerate() {
                record.push_field(if i == 0 { column } else { "" });
            }
            header.len()
        }
    };
    for (record, _) in rows.iter_mut().skip(1) {
        if record.get(s_col) != Some(site) {
            continue;
        }
        let t: usize = record
            .get(w_col)
            .and_then(|w| w.parse().ok())
            .unwrap_or(usize::MAX);
        if let Some(value) = values.get(t) {
            let fields: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(c, f)| {
                    if c == target {
                        value.to_string()
                    } else {
                        f.to_string()
                    }
                })
                .collect();
            *record = csv::StringRecord::from(fields);
        }
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let crlf = body
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && body[i - 1] == b'\r');
    let terminator = if crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut out = Vec::new();
    if bytes.starts_with(UTF8_BOM) {
        out.extend_from_slice(UTF8_BOM);
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(terminator)
        .flexible(true)
        .from_writer(out);
    for (record, _) in &rows {
        writer
            .write_record(record)
            .map_err(|e| format!("cannot write it: {e}"))?;
    }
    writer
        .into_inner()
        .map_err(|e| format!("cannot write it: {e}"))
}

/// The window of `site`'s row on `line` of windows.csv (`bytes`), if that row is the site's.
pub fn window_of_line(bytes: &[u8], site: &str, line: u64) -> Option<usize> {
    let rows = records(bytes).ok()?;
    let header = &rows.first()?.0;
    let w_col = header.iter().position(|x| x == "window")?;
    let s_col = header.iter().position(|x| x == "site")?;
    rows.iter()
        .skip(1)
        .find(|(record, l)| *l == line && record.get(s_col) == Some(site))
        .and_then(|(record, _)| record.get(w_col)?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_byte_order_mark_and_crlf() {
        let text = b"\xEF\xBB\xBFwindow,site,price_eur_mwh\r\n0,a,1\r\n0,b,2\r\n";
        let out = replace_column(text, "b", "price_eur_mwh", &[9.5]).unwrap();
        assert_eq!(
            out,
            b"\xEF\xBB\xBFwindow,site,price_eur_mwh\r\n0,a,1\r\n0,b,9.5\r\n"
        );
        assert_eq!(window_of_line(&out, "b", 3), Some(0));
        assert_eq!(window_of_line(&out, "b", 2), None);
        let plain = replace_column(b"window,site\n0,a\n", "a", "carbon_g_kwh", &[3.0]).unwrap();
        assert_eq!(plain, b"window,site,carbon_g_kwh\n0,a,3\n");
    }
}
