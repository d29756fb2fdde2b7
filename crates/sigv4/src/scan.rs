//! Byte scans over request texts that look at eight bytes at a time where they can.

/// `0x01` in every byte of a word.
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// `0x80` in every byte of a word.
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Whether some byte of `word` is below `limit` (at most 128): subtracting `limit` from every
/// byte borrows into a byte's top bit exactly when some byte is below `limit`, and bytes that
/// had their top bit set already are masked out (the classic "has less" test; it may point at the
/// wrong byte, so it only says whether there is one).
fn has_byte_below(word: u64, limit: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS != 0
}

/// The position of the first byte of `bytes` for which `is_match` holds, given that it holds for
/// no byte at or above `limit` (at most 128): whole words of eight bytes all at or above `limit`
/// are skipped without looking at their bytes one by one.
pub(crate) fn find_below(bytes: &[u8], limit: u8, is_match: impl Fn(u8) -> bool) -> Option<usize> {
    let (words, _) = bytes.as_chunks::<8>();
    let skipped = words
        .iter()
        .position(|word| has_byte_below(u64::from_le_bytes(*word), limit))
        .unwrap_or(words.len())
        * 8;
    let rest = bytes.get(skipped..).unwrap_or_default();
    rest.iter().position(|&b| is_match(b)).map(|i| skipped + i)
}

/// The pieces of `text` between the separators that `find_separator` finds (the position of the
/// first in the bytes it is given; ASCII separators only, so every piece is valid UTF-8), like
/// `str::split` with a predicate but without decoding characters.
pub(crate) fn split_ascii(
    text: &str,
    find_separator: impl Fn(&[u8]) -> Option<usize> + Clone,
) -> impl Iterator<Item = &str> + Clone {
    let bytes = text.as_bytes();
    let mut start = Some(0);
    std::iter::from_fn(move || {
        let from = start?;
        let rest = bytes.get(from..).unwrap_or_default();
        let end = find_separator(rest).map(|i| from + i);
        start = end.map(|e| e + 1);
        text.get(from..end.unwrap_or(bytes.len()))
    })
}

/// [`split_ascii`] at every `separator` byte (ASCII).
pub(crate) fn split_at_byte(text: &str, separator: u8) -> impl Iterator<Item = &str> + Clone {
    split_ascii(text, move |bytes| {
        bytes.iter().position(|&b| b == separator)
    })
}

/// `a == b`, compared in place: for the short texts of a signature (names, scope parts) a call
/// of the C library's `memcmp`, which `==` makes, costs more than the comparison.
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a_words, a_rest) = a.as_bytes().as_chunks::<8>();
    let (b_words, b_rest) = b.as_bytes().as_chunks::<8>();
    a_words.iter().zip(b_words).all(|(x, y)| x == y)
        && a_rest
            .iter()
            .zip(b_rest)
            .fold(0, |difference, (x, y)| difference | (x ^ y))
            == 0
}

/// `text.trim()` (Unicode whitespace at both ends), without decoding characters when `text`
/// starts and ends with a visible ASCII byte: it is then its own trim (every whitespace
/// character is ASCII at or below space, or not ASCII).
pub(crate) fn trim(text: &str) -> &str {
    let visible = |b: &u8| (b'!'..=b'~').contains(b);
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if visible(first) && visible(last) => text,
        _ => text.trim(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn words_with_a_low_byte_are_found_wherever_it_is() {
        for limit in [1, b'!', b'-', 128] {
            for at in 0..8 {
                for low in [0, limit - 1] {
                    let mut word = [0xff; 8];
                    word[at] = low;
                    assert!(has_byte_below(u64::from_le_bytes(word), limit));
                    let mut word = [limit; 8];
                    word[at] = low;
                    assert!(has_byte_below(u64::from_le_bytes(word), limit));
                }
            }
            assert!(!has_byte_below(u64::from_le_bytes([limit; 8]), limit));
            assert!(!has_byte_below(u64::from_le_bytes([0xff; 8]), limit));
        }
    }

    #[test]
    fn split_at_byte_matches_str_split() {
        for text in ["", ";", "a", "host;x-amz-date", ";;a;", "é;ü"] {
            let ours: Vec<&str> = split_at_byte(text, b';').collect();
            let std: Vec<&str> = text.split(';').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn same_text_is_equality() {
        for (a, b) in [
            ("", ""),
            ("a", "a"),
            ("a", "b"),
            ("us-east-1", "us-east-1"),
            ("us-east-1", "us-east-2"),
            ("us-east-1", "us-east-12"),
            ("é", "é"),
            ("é", "è"),
        ] {
            assert_eq!(same_text(a, b), a == b, "{a} {b}");
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\n",
            "a b",
            "\u{a0}a",
            "a\u{2003}",
            "\u{85}",
            "é",
            "~",
            "\u{7f}a",
            "!x!",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn find_below_finds_the_first_match(text in "[ \t\n\r\x0c,a-zA-Z0-9/=;:é\u{1}\u{7f}-]{0,40}") {
            let is_match = |b: u8| b == b',' || b.is_ascii_whitespace();
            let bytes = text.as_bytes();
            prop_assert_eq!(
                find_below(bytes, b'-', is_match),
                bytes.iter().position(|&b| is_match(b))
            );
            let sep = |c: char| c == ',' || c.is_ascii_whitespace();
            let ours: Vec<&str> =
                split_ascii(&text, |b| find_below(b, b'-', is_match)).collect();
            let std: Vec<&str> = text.split(sep).collect();
            prop_assert_eq!(ours, std);
            prop_assert_eq!(trim(&text), text.trim());
        }
    }
}
