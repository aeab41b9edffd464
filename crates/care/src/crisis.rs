//! Crisis words in what a resident said to the speaker (a check-in answer's `data.text`).
//!
//! The list is data (`data/crisis-words.txt`, Korean and English, self-harm and loneliness),
//! embedded at build time. Matching ignores case, spaces and punctuation, so "죽고 싶어" and
//! "죽고싶어요" both match "죽고 싶", and "I feel so LONELY." matches "lonely".

const WORDS: &str = include_str!("../../../data/crisis-words.txt");

/// Lowercase letters and digits only (Hangul syllables are alphabetic, so they stay).
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The list's entries, folded.
pub fn words() -> impl Iterator<Item = String> {
    WORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(fold)
        .filter(|w| !w.is_empty())
}

/// Whether `said` contains a crisis word.
pub fn is_crisis(said: &str) -> bool {
    let said = fold(said);
    !said.is_empty() && words().any(|w| said.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_crisis_words_in_korean_and_english() {
        assert!(words().count() > 30);
        assert!(is_crisis("요즘 너무 죽고싶어요"));
        assert!(is_crisis("죽고 싶다는 생각이 들어"));
        assert!(is_crisis("혼자 있으니 너무 외로워요"));
        assert!(is_crisis("I feel so LONELY."));
        assert!(is_crisis("sometimes I want to die"));
        assert!(!is_crisis("오늘 기분 좋아요, 산책 다녀왔어요"));
        assert!(!is_crisis("I am on a diet"));
        assert!(!is_crisis(""));
    }
}
