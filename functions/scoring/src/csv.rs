//! Streaming CSV validation for uploads: the household reference and provider files.
//!
//! Bytes arrive in chunks; complete lines are checked as they come, so a 500,000-line file is
//! never held whole. Every problem is reported with its line number (the header is line 1);
//! nothing is stored unless the whole file is clean. Files are RFC 4180 CSV, read by `csv-core`.

use std::collections::HashMap;

/// Problems listed in full; beyond this only the count grows.
pub const MAX_LISTED: usize = 100;
const MAX_LINE: usize = 16 * 1024;

pub const AGE_BANDS: &[&str] = &["under-30", "30-39", "40-49", "50-64", "65-74", "75-plus"];
pub const HOUSEHOLD_COLUMNS: &[&str] = &["household_id", "dong", "size", "head_age_band"];

#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// Collected problems: the first [`MAX_LISTED`] and how many there were.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Problems {
    pub listed: Vec<LineError>,
    pub total: u64,
}

impl Problems {
    fn add(&mut self, line: u64, message: String) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(LineError { line, message });
        }
    }
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// Receives complete lines (1-based numbers; blank lines are skipped).
pub trait LineSink {
    fn line(&mut self, no: u64, fields: &[&str]);
    fn problems(&mut self) -> &mut Problems;
}

/// Splits a byte stream into CSV records as chunks arrive (RFC 4180: quoted fields may hold
/// commas, doubled quotes and line breaks; lines end in LF or CRLF; a UTF-8 BOM is dropped), by
/// `csv-core`, which never needs the whole file. Each record is reported with the line it
/// starts on.
pub struct Lines {
    reader: csv_core::Reader,
    /// The current record's field bytes (at most [`MAX_LINE`]) and where each field ends.
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// Line breaks consumed so far, and those inside the current record's quoted fields.
    newlines: u64,
    inner_newlines: u64,
    /// The current record outgrew [`MAX_LINE`] or [`MAX_FIELDS`]; it is read to its end and
    /// reported, not kept.
    too_long: bool,
    /// No record yet: a UTF-8 BOM that csv-core did not see whole (it arrived split across
    /// chunks) is still to be dropped.
    first: bool,
}

/// More fields than any upload has columns.
const MAX_FIELDS: usize = 256;

impl Default for Lines {
    fn default() -> Self {
        Lines {
            // Records end at LF; a CR before it is trimmed with the field's other whitespace,
            // so that a record's end is known the moment its line break is read.
            reader: csv_core::ReaderBuilder::new()
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            out: vec![0; MAX_LINE],
            out_len: 0,
            ends: vec![0; MAX_FIELDS],
            ends_len: 0,
            newlines: 0,
            inner_newlines: 0,
            too_long: false,
            first: true,
        }
    }
}

impl Lines {
    pub fn feed(&mut self, chunk: &[u8], sink: &mut impl LineSink) {
        self.read(chunk, sink);
    }

    /// Ends the stream: a last record without a line break is reported.
    pub fn finish(&mut self, sink: &mut impl LineSink) {
        self.read(&[], sink);
    }

    /// An empty `input` tells csv-core the data has ended.
    fn read(&mut self, mut input: &[u8], sink: &mut impl LineSink) {
        let at_end = input.is_empty();
        loop {
            let (result, n_in, n_out, n_ends) = self.reader.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            self.newlines += input[..n_in].iter().filter(|&&b| b == b'\n').count() as u64;
            input = &input[n_in..];
            let written = &self.out[self.out_len..self.out_len + n_out];
            self.inner_newlines += written.iter().filter(|&&b| b == b'\n').count() as u64;
            self.out_len += n_out;
            self.ends_len += n_ends;
            match result {
                csv_core::ReadRecordResult::InputEmpty => return,
                csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => {
                    // Keep reading the record to its end, discarding it.
                    self.too_long = true;
                    self.out_len = 0;
                    self.ends_len = 0;
                }
                csv_core::ReadRecordResult::Record => {
                    // The record's last line is the one whose break was just read (none at the
                    // end of the data), less the breaks inside its quoted fields.
                    let last = if at_end {
                        self.newlines + 1
                    } else {
                        self.newlines
                    };
                    let line = last - self.inner_newlines;
                    self.emit(line, sink);
                }
                csv_core::ReadRecordResult::End => return,
            }
        }
    }

    fn emit(&mut self, line: u64, sink: &mut impl LineSink) {
        if self.too_long {
            sink.problems().add(
                line,
                format!("record longer than {MAX_LINE} bytes or {MAX_FIELDS} fields"),
            );
        } else {
            match std::str::from_utf8(&self.out[..self.out_len]) {
                Ok(text) => {
                    let mut fields = Vec::with_capacity(self.ends_len);
                    let mut start = 0;
                    for &end in &self.ends[..self.ends_len] {
                        fields.push(text[start..end].trim());
                        start = end;
                    }
                    if self.first
                        && let Some(f) = fields.first_mut()
                    {
                        *f = f.trim_start_matches('\u{feff}');
                    }
                    // A blank line (or one holding only a CR) is no record.
                    if !(fields.len() == 1 && fields[0].is_empty()) {
                        sink.line(line, &fields);
                    }
                }
                Err(_) => sink.problems().add(line, "not valid UTF-8".into()),
            }
        }
        self.out_len = 0;
        self.ends_len = 0;
        self.inner_newlines = 0;
        self.too_long = false;
        self.first = false;
    }
}

fn valid_household_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Maps header names onto the expected columns; errors on unknown, missing or repeated ones.
fn header_map(fields: &[&str], required: &[&str], optional: &[&str]) -> Result<Vec<usize>, String> {
    let mut map = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let Some(pos) = required.iter().chain(optional).position(|c| c == f) else {
            return Err(format!(
                "bad header: unknown column {f:?} (expected {})",
                required.join(",")
            ));
        };
        if fields[..i].contains(f) {
            return Err(format!("bad header: column {f:?} twice"));
        }
        map.push(pos);
    }
    if let Some(missing) = required.iter().find(|c| !fields.contains(c)) {
        return Err(format!(
            "bad header: missing column {missing:?} (expected {})",
            required.join(",")
        ));
    }
    Ok(map)
}

/// A household line as parsed (no names: a pseudonymous id and coarse facts).
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdLine {
    pub id: String,
    pub dong: String,
    pub size: i64,
    pub head_age_band: String,
    pub receiving_support: bool,
}

/// `household_id,dong,size,head_age_band[,receiving_support]`.
#[derive(Default)]
pub struct Households {
    map: Option<Vec<usize>>,
    header_failed: bool,
    first_line: HashMap<String, u64>,
    pub rows: Vec<HouseholdLine>,
    pub problems: Problems,
}

impl LineSink for Households {
    fn problems(&mut self) -> &mut Problems {
        &mut self.problems
    }

    fn line(&mut self, no: u64, f: &[&str]) {
        if self.header_failed {
            return;
        }
        let Some(map) = &self.map else {
            match header_map(f, HOUSEHOLD_COLUMNS, &["receiving_support"]) {
                Ok(m) => self.map = Some(m),
                Err(e) => {
                    self.header_failed = true;
                    self.problems.add(no, e);
                }
            }
            return;
        };
        if f.len() != map.len() {
            return self.problems.add(
                no,
                format!("expected {} fields, found {}", map.len(), f.len()),
            );
        }
        let mut cols = [""; 5];
        for (i, &pos) in map.iter().enumerate() {
            cols[pos] = f[i];
        }
        let [id, dong, size, band, support] = cols;
        let mut bad = Vec::new();
        if !valid_household_id(id) {
            bad.push(format!(
                "household_id {id:?}: 1-64 letters, digits, '-', '_' or '.'"
            ));
        }
        if dong.is_empty() || dong.chars().count() > 64 || dong.chars().any(char::is_control) {
            bad.push(format!("dong {dong:?}: 1-64 characters"));
        }
        let size_n = size.parse::<i64>().ok().filter(|s| (1..=30).contains(s));
        if size_n.is_none() {
            bad.push(format!("size {size:?}: a whole number from 1 to 30"));
        }
        if !AGE_BANDS.contains(&band) {
            bad.push(format!(
                "head_age_band {band:?}: one of {}",
                AGE_BANDS.join(", ")
            ));
        }
        if !matches!(support, "" | "0" | "1") {
            bad.push(format!("receiving_support {support:?}: 0 or 1"));
        }
        if let Some(first) = self.first_line.get(id) {
            bad.push(format!(
                "duplicate household_id {id:?} (first on line {first})"
            ));
        }
        if !bad.is_empty() {
            return self.problems.add(no, bad.join("; "));
        }
        self.first_line.insert(id.to_string(), no);
        self.rows.push(HouseholdLine {
            id: id.to_string(),
            dong: dong.to_string(),
            size: size_n.unwrap_or(1),
            head_age_band: band.to_string(),
            receiving_support: support == "1",
        });
    }
}

impl Households {
    /// Call after the last line: a file without a header or rows is a problem too.
    pub fn check_complete(&mut self) {
        if self.map.is_none() && !self.header_failed {
            self.problems.add(1, "bad header: empty file".into());
        } else if self.problems.is_empty() && self.rows.is_empty() {
            self.problems
                .add(2, "no households after the header".into());
        }
    }
}

/// A provider column: indicator id and unit (from the model).
#[derive(Debug, Clone)]
pub struct Column {
    pub id: String,
    pub unit: String,
}

/// `household_id,<the provider's indicator ids, any order>`; values into dense columns.
pub struct Provider<'a> {
    provider: String,
    ids: &'a HashMap<String, u32>,
    columns: Vec<Column>,
    /// CSV field i → column index (0 = household_id, then 1 + column).
    map: Option<Vec<usize>>,
    header_failed: bool,
    /// Line of each household's row, 0 if none yet.
    seen: Vec<u32>,
    pub values: Vec<Vec<f32>>,
    pub rows: u64,
    pub missing_cells: u64,
    pub problems: Problems,
}

impl<'a> Provider<'a> {
    pub fn new(
        provider: &str,
        ids: &'a HashMap<String, u32>,
        households: usize,
        columns: Vec<Column>,
    ) -> Self {
        let values = columns.iter().map(|_| vec![0.0f32; households]).collect();
        Provider {
            provider: provider.to_string(),
            ids,
            columns,
            map: None,
            header_failed: false,
            seen: vec![0; households],
            values,
            rows: 0,
            missing_cells: 0,
            problems: Problems::default(),
        }
    }

    pub fn check_complete(&mut self) {
        if self.map.is_none() && !self.header_failed {
            self.problems.add(1, "bad header: empty file".into());
        }
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
}

/// A value of `unit`, or what was expected.
pub fn parse_value(unit: &str, s: &str) -> Result<f32, &'static str> {
    match unit {
        "flag" => match s {
            "0" => Ok(0.0),
            "1" => Ok(1.0),
            _ => Err("0 or 1"),
        },
        "months-overdue" | "count" => s
            .parse::<u32>()
            .ok()
            .filter(|v| *v <= 100_000)
            .map(|v| v as f32)
            .ok_or("a whole number ≥ 0"),
        _ => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 1e13)
            .map(|v| v as f32)
            .ok_or("an amount in won ≥ 0"),
    }
}

impl LineSink for Provider<'_> {
    fn problems(&mut self) -> &mut Problems {
        &mut self.problems
    }

    fn line(&mut self, no: u64, f: &[&str]) {
        if self.header_failed {
            return;
        }
        let Some(map) = &self.map else {
            let mut names: Vec<&str> = vec!["household_id"];
            names.extend(self.columns.iter().map(|c| c.id.as_str()));
            match header_map(f, &names, &[]) {
                Ok(m) => self.map = Some(m),
                Err(e) => {
                    self.header_failed = true;
                    self.problems.add(
                        no,
                        format!(
                            "{e} — provider {} sends household_id and {}",
                            self.provider,
                            names[1..].join(", ")
                        ),
                    );
                }
            }
            return;
        };
        if f.len() != map.len() {
            return self.problems.add(
                no,
                format!("expected {} fields, found {}", map.len(), f.len()),
            );
        }
        let id_field = map.iter().position(|&p| p == 0).unwrap_or(0);
        let id = f[id_field];
        let mut bad = Vec::new();
        let idx = match self.ids.get(id) {
            Some(&i) => Some(i as usize),
            None => {
                bad.push(format!(
                    "unknown household_id {id:?} (not in this cycle's household reference)"
                ));
                None
            }
        };
        if let Some(i) = idx
            && self.seen[i] != 0
        {
            bad.push(format!(
                "duplicate household_id {id:?} (first on line {})",
                self.seen[i]
            ));
        }
        let mut parsed = Vec::with_capacity(self.columns.len());
        let mut missing = 0;
        for (fi, &pos) in map.iter().enumerate() {
            if pos == 0 {
                continue;
            }
            let col = &self.columns[pos - 1];
            let s = f[fi];
            if s.is_empty() {
                missing += 1;
                continue;
            }
            match parse_value(&col.unit, s) {
                Ok(v) => parsed.push((pos - 1, v)),
                Err(want) => bad.push(format!("{}: expected {want}, found {s:?}", col.id)),
            }
        }
        if !bad.is_empty() {
            return self.problems.add(no, bad.join("; "));
        }
        let i = idx.expect("known household");
        self.seen[i] = no.min(u32::MAX as u64) as u32;
        for (c, v) in parsed {
            self.values[c][i] = v;
        }
        self.rows += 1;
        self.missing_cells += missing;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_in_pieces(text: &str, sink: &mut impl LineSink, piece: usize) {
        let mut lines = Lines::default();
        for chunk in text.as_bytes().chunks(piece) {
            lines.feed(chunk, sink);
        }
        lines.finish(sink);
    }

    #[test]
    fn households_parse_across_chunk_boundaries() {
        let text = "\u{feff}household_id,dong,size,head_age_band\r\nh1,삼산동,1,75-plus\r\n\nh2,\"성안동\",3,40-49\nh3,삼산동,2,65-74";
        for piece in [1, 3, 7, 1000] {
            let mut h = Households::default();
            feed_in_pieces(text, &mut h, piece);
            h.check_complete();
            assert!(h.problems.is_empty(), "{:?}", h.problems);
            assert_eq!(h.rows.len(), 3);
            assert_eq!(h.rows[1].dong, "성안동");
            assert!(!h.rows[2].receiving_support);
        }
    }

    #[test]
    fn rfc4180_quoting_commas_doubled_quotes_crlf_and_line_breaks() {
        // What a spreadsheet exports: quoted fields with commas and quotes inside, CRLF, and a
        // field holding a line break (which moves the following records' line numbers).
        let text = "household_id,dong,size,head_age_band\r\n\
                    \"h1\",\"중구, 성안동\",\"1\",\"75-plus\"\r\n\
                    h2,\"삼산동 \"\"A\"\"\",2,40-49\r\n\
                    h3,\"two\r\nlines\",x,65-74\r\n\
                    h4,d,0,75-plus\r\n";
        for piece in [1, 2, 5, 1000] {
            let mut h = Households::default();
            feed_in_pieces(text, &mut h, piece);
            h.check_complete();
            assert_eq!(h.rows.len(), 2, "{:?}", h.problems);
            assert_eq!(h.rows[0].dong, "중구, 성안동");
            assert_eq!(h.rows[1].dong, "삼산동 \"A\"");
            let lines: Vec<u64> = h.problems.listed.iter().map(|p| p.line).collect();
            assert_eq!(lines, [4, 6], "{:?}", h.problems);
            assert!(h.problems.listed[0].message.contains("size \"x\""));
        }
    }

    #[test]
    fn household_problems_have_line_numbers() {
        let text = "household_id,dong,size,head_age_band,receiving_support\nh1,a,1,75-plus,0\nh1,a,2,75-plus,1\nh2,a,zero,teen,2\nh3,a,1\n";
        let mut h = Households::default();
        feed_in_pieces(text, &mut h, 5);
        h.check_complete();
        let lines: Vec<u64> = h.problems.listed.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(
            h.problems.listed[0]
                .message
                .contains("duplicate household_id \"h1\" (first on line 2)")
        );
        let m = &h.problems.listed[1].message;
        assert!(
            m.contains("size") && m.contains("head_age_band") && m.contains("receiving_support"),
            "{m}"
        );
        assert!(
            h.problems.listed[2]
                .message
                .contains("expected 5 fields, found 3")
        );
    }

    #[test]
    fn bad_household_header_is_line_one() {
        let mut h = Households::default();
        feed_in_pieces("id,name,dong\nh1,x,y\n", &mut h, 100);
        h.check_complete();
        assert_eq!(h.problems.total, 1);
        assert_eq!(h.problems.listed[0].line, 1);
        assert!(h.problems.listed[0].message.starts_with("bad header"));
    }

    fn provider_cols() -> Vec<Column> {
        vec![
            Column {
                id: "water_arrears_months".into(),
                unit: "months-overdue".into(),
            },
            Column {
                id: "water_arrears_amount".into(),
                unit: "amount".into(),
            },
            Column {
                id: "water_supply_cut".into(),
                unit: "flag".into(),
            },
        ]
    }

    #[test]
    fn provider_values_land_in_household_positions() {
        let ids: HashMap<String, u32> = [("h1", 0), ("h2", 1), ("h3", 2)]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        let mut p = Provider::new("waterworks", &ids, 3, provider_cols());
        // Columns in another order than the model's; h2 absent; an empty cell is missing.
        feed_in_pieces(
            "water_supply_cut,household_id,water_arrears_amount,water_arrears_months\n1,h3,125000.5,4\n0,h1,,2\n",
            &mut p,
            4,
        );
        p.check_complete();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.values[0], vec![2.0, 0.0, 4.0]);
        assert_eq!(p.values[1], vec![0.0, 0.0, 125000.5]);
        assert_eq!(p.values[2], vec![0.0, 0.0, 1.0]);
        assert_eq!((p.rows, p.missing_cells), (2, 1));
    }

    #[test]
    fn provider_problems_name_line_column_and_household() {
        let ids: HashMap<String, u32> = [("h1", 0), ("h2", 1)]
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        let mut p = Provider::new("waterworks", &ids, 2, provider_cols());
        feed_in_pieces(
            "household_id,water_arrears_months,water_arrears_amount,water_supply_cut\nh1,1,10,0\nh9,1,10,0\nh1,2,10,0\nh2,three,-5,2\n",
            &mut p,
            1000,
        );
        let got: Vec<(u64, &str)> = p
            .problems
            .listed
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(got[0].0, 3);
        assert!(got[0].1.contains("unknown household_id \"h9\""));
        assert_eq!(got[1].0, 4);
        assert!(
            got[1]
                .1
                .contains("duplicate household_id \"h1\" (first on line 2)")
        );
        assert_eq!(got[2].0, 5);
        assert!(
            got[2]
                .1
                .contains("water_arrears_months: expected a whole number"),
            "{}",
            got[2].1
        );
        assert!(
            got[2].1.contains("water_arrears_amount")
                && got[2].1.contains("water_supply_cut: expected 0 or 1")
        );
    }

    #[test]
    fn provider_header_must_be_the_providers_columns() {
        let ids = HashMap::new();
        let mut p = Provider::new("waterworks", &ids, 0, provider_cols());
        feed_in_pieces(
            "household_id,water_arrears_months,gas_supply_cut\n",
            &mut p,
            1000,
        );
        assert_eq!(p.problems.listed[0].line, 1);
        assert!(
            p.problems.listed[0]
                .message
                .contains("unknown column \"gas_supply_cut\"")
        );
    }

    #[test]
    fn many_problems_are_counted_beyond_the_listed_ones() {
        let mut text = String::from("household_id,dong,size,head_age_band\n");
        for i in 0..250 {
            text.push_str(&format!("h{i},d,0,75-plus\n"));
        }
        let mut h = Households::default();
        feed_in_pieces(&text, &mut h, 64);
        assert_eq!(h.problems.total, 250);
        assert_eq!(h.problems.listed.len(), MAX_LISTED);
        assert_eq!(h.problems.listed[99].line, 101);
    }

    #[test]
    fn overlong_lines_are_rejected_not_buffered() {
        let mut text = String::from("household_id,dong,size,head_age_band\n");
        text.push_str(&"x".repeat(40_000));
        text.push_str("\nh1,d,1,75-plus\n");
        let mut h = Households::default();
        feed_in_pieces(&text, &mut h, 1000);
        assert_eq!(h.problems.total, 1);
        assert_eq!(h.problems.listed[0].line, 2);
        assert_eq!(h.rows.len(), 1);
    }
}
