//! Applying a schema: a migration is a name and SQL text, run one statement at a time.

/// One schema change: its name (the file's stem) and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The file's stem, e.g. `0001_init`; recorded in `schema_migrations`.
    pub name: &'static str,
    /// The file's SQL: one or more statements.
    pub sql: &'static str,
}

impl Migration {
    /// The file's statements, one at a time: Spin's SQLite runs a single statement per call.
    pub fn statements(&self) -> Vec<&'static str> {
        split_statements(self.sql)
    }
}

/// Splits SQL text at the semicolons that end statements: not those inside quotes, comments,
/// or a trigger's `BEGIN … END` body (whose own statements end in semicolons too).
pub fn split_statements(sql: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Quote(u8),
        LineComment,
        BlockComment,
    }
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut state, mut depth) = (0, In::Code, 0usize);
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match state {
            In::Quote(q) if c == q => state = In::Code,
            In::Quote(_) => {}
            In::LineComment if c == b'\n' => state = In::Code,
            In::LineComment => {}
            In::BlockComment if c == b'*' && bytes.get(i + 1) == Some(&b'/') => {
                state = In::Code;
                i += 1;
            }
            In::BlockComment => {}
            In::Code => {
                if c.is_ascii_alphanumeric() || c == b'_' {
                    word.push(c.to_ascii_uppercase() as char);
                } else {
                    end_word(&mut word, &mut words, &mut depth);
                    match c {
                        b'\'' | b'"' | b'`' => state = In::Quote(c),
                        b'-' if bytes.get(i + 1) == Some(&b'-') => state = In::LineComment,
                        b'/' if bytes.get(i + 1) == Some(&b'*') => state = In::BlockComment,
                        b';' if depth == 0 => {
                            push_statement(&mut out, &sql[start..i], &words);
                            start = i + 1;
                            words.clear();
                        }
                        _ => {}
                    }
                }
            }
        }
        i += 1;
    }
    end_word(&mut word, &mut words, &mut depth);
    push_statement(&mut out, &sql[start..], &words);
    out
}

/// Counts the block a word opens or closes: `CASE … END` anywhere, `BEGIN … END` only in a
/// `CREATE [TEMP] TRIGGER` (elsewhere `BEGIN` starts a transaction and opens nothing).
fn end_word(word: &mut String, words: &mut Vec<String>, depth: &mut usize) {
    if word.is_empty() {
        return;
    }
    let in_trigger = words.first().is_some_and(|w| w == "CREATE")
        && words.iter().take(3).any(|w| w == "TRIGGER");
    match word.as_str() {
        "CASE" => *depth += 1,
        "BEGIN" if in_trigger => *depth += 1,
        "END" => *depth = depth.saturating_sub(1),
        _ => {}
    }
    words.push(std::mem::take(word));
}

fn push_statement<'a>(out: &mut Vec<&'a str>, text: &'a str, words: &[String]) {
    // Only whitespace and comments: nothing to run.
    if !words.is_empty() {
        out.push(text.trim());
    }
}

/// A table's personal columns, as the schema declares them.
pub struct PersonalColumns {
    /// The table.
    pub table: &'static str,
    /// Its primary key column, the order re-sealing walks it in.
    pub key: &'static str,
    /// Whether that key is an integer (else text).
    pub integer_key: bool,
    /// Columns sealed with `Db::sealed`, opened with `Db::unsealed`.
    pub sealed: &'static [&'static str],
    /// Columns holding a keyed phone hash (`Db::lookup_hash` with purpose `phone`); a value
    /// shorter than a hash is a number's digits stored before hashing.
    pub phone_hashes: &'static [&'static str],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_statement_ends_only() {
        let sql = "-- header; not a statement\nCREATE TABLE a (x TEXT DEFAULT 'a;b');\n\
                   /* ; */ CREATE TRIGGER t AFTER INSERT ON a\nBEGIN\n  UPDATE a SET x = CASE WHEN 1 THEN 'y' END;\n  DELETE FROM a;\nEND;\n\
                   INSERT INTO a VALUES (\"q;\");\n-- trailing comment\n";
        let got = split_statements(sql);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].ends_with("DEFAULT 'a;b')"));
        assert!(got[1].contains("DELETE FROM a;\nEND"));
        assert_eq!(got[2], "INSERT INTO a VALUES (\"q;\")");
    }
}
