//! The account prefix that Contact ID and SIA event data share: `#acct|…`, or a bare `|…`.

use crate::error::DecodeError;

/// Splits an optional leading `#acct|` (or bare `|`) off event data.
pub(crate) fn split_account(data: &str) -> Result<(Option<&str>, &str), DecodeError> {
    if let Some(rest) = data.strip_prefix('#') {
        let bar = rest
            .find('|')
            .ok_or(DecodeError::BadData("'#acct' not followed by '|'"))?;
        let account = &rest[..bar];
        if !account.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DecodeError::BadData("data account must be alphanumeric"));
        }
        Ok((Some(account), &rest[bar + 1..]))
    } else if let Some(rest) = data.strip_prefix('|') {
        Ok((Some(""), rest))
    } else {
        Ok((None, data))
    }
}
