//! Line-oriented text configurations: decoding and bounded line iteration, shared by the
//! analyzers of parameter files and companion-computer configs.
//!
//! [`decode`] refuses binary content with the offset of the first NUL byte; [`lines`] numbers
//! lines from 1 and refuses a line longer than [`MAX_LINE_LENGTH`], so a hostile file cannot
//! make an analyzer hold a gigabyte line. [`sniff`] gives identification the first meaningful
//! lines of a file without decoding all of it.

use crate::analyze::AnalyzeError;

/// The longest line a text analyzer accepts (64 KiB); real configs stay far below it.
pub const MAX_LINE_LENGTH: usize = 64 * 1024;

/// How much of a file identification looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// The content as UTF-8 text, without a byte-order mark; binary content is an error.
pub fn decode(content: &[u8]) -> Result<&str, AnalyzeError> {
    if let Some(offset) = memchr::memchr(0, content) {
        return Err(AnalyzeError::new(format!(
            "binary content: NUL byte at offset {offset}"
        )));
    }
    let text = std::str::from_utf8(content).map_err(|error| {
        let offset = error.valid_up_to();
        let line = content[..offset]
            .iter()
            .filter(|byte| **byte == b'\n')
            .count()
            + 1;
        AnalyzeError {
            message: format!("not UTF-8 text: invalid byte at offset {offset} (line {line})"),
            line: u32::try_from(line).ok(),
            not_this_kind: false,
        }
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// One line of a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u32,
    /// The line without its end-of-line characters.
    pub text: &'a str,
}

/// Every line of `text`, numbered; an over-long line is an error naming it. The lines are
/// those of [`str::lines`] (a line's `\r\n` or `\n` is not part of it, nor is a lone `\r`
/// left before it), found with memchr: parameter files have a line for each of ~900
/// parameters, and `str::lines` spends more setting up each search than searching.
pub fn lines(text: &str) -> impl Iterator<Item = Result<Line<'_>, AnalyzeError>> {
    let mut rest = text;
    let mut index = 0usize;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // As `str::lines`: a `\r` goes with the `\n` after it, not with the end of the text.
        let line = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => std::mem::take(&mut rest),
        };
        index += 1;
        let number = u32::try_from(index).unwrap_or(u32::MAX);
        if line.len() > MAX_LINE_LENGTH {
            return Some(Err(AnalyzeError {
                message: format!(
                    "line {number} is {} bytes long, over the {MAX_LINE_LENGTH}-byte limit",
                    line.len()
                ),
                line: Some(number),
                not_this_kind: false,
            }));
        }
        Some(Ok(Line {
            number,
            text: line.strip_suffix('\r').unwrap_or(line),
        }))
    })
}

/// The text before the first `marker` (a comment), trimmed.
pub fn strip_comment(line: &str, marker: char) -> &str {
    // An ASCII marker (every caller's) is found byte by byte: cheaper than a `char` search on
    // lines this short, and a byte below 0x80 never falls inside a character.
    let end = match u8::try_from(marker) {
        Ok(byte) if byte.is_ascii() => memchr::memchr(byte, line.as_bytes()),
        _ => line.find(marker),
    };
    line[..end.unwrap_or(line.len())].trim()
}

/// The fields of `text` between `separator` bytes, as `text.split(separator)` gives them,
/// found with memchr: a parameter file splits ~900 short lines, and a `char` search costs
/// more to set up for each field than the field costs to search. The separator is ASCII, so
/// every place it is found is a character boundary.
pub fn split_ascii(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    debug_assert!(separator.is_ascii());
    let mut ends = memchr::memchr_iter(separator, text.as_bytes()).chain(Some(text.len()));
    let mut start = 0;
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let field = text.get(start..end)?;
        start = end + 1;
        Some(field)
    })
}

/// `text.split_once(separator)` for an ASCII separator, found with memchr.
pub fn split_once_ascii(text: &str, separator: u8) -> Option<(&str, &str)> {
    debug_assert!(separator.is_ascii());
    let at = memchr::memchr(separator, text.as_bytes())?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// The first `count` lines of `content` that are neither blank nor comments starting with one
/// of `comment_markers` (ASCII), trimmed; nothing for binary content (a NUL byte in its first
/// 64 KiB). Comments and blank lines are passed over however many there are (a config can
/// open with a licence, or with pages of commented-out defaults), at memchr's speed; the
/// search stops at the first meaningful line that is not UTF-8, so a damaged config is still
/// identified by the lines before it, and its analysis reports the damage.
pub fn sniff<'a>(content: &'a [u8], comment_markers: &[char], count: usize) -> Vec<&'a str> {
    let head = &content[..content.len().min(SNIFF_BYTES)];
    if head.contains(&0) {
        return Vec::new();
    }
    let mut rest = content
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(content);
    let mut found = Vec::with_capacity(count);
    while found.len() < count && !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        let line = line.trim_ascii();
        let is_comment = line.first().is_some_and(|first| {
            comment_markers
                .iter()
                .any(|marker| *marker as u32 == u32::from(*first))
        });
        if line.is_empty() || is_comment {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(text) if !line.contains(&0) => found.push(text),
            _ => break,
        }
    }
    found
}

/// A fixed-size text field of a binary format: up to its first NUL, trimmed, invalid UTF-8
/// replaced.
pub fn fixed_field(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_invalid_utf8_are_refused_with_their_place() {
        assert!(decode(b"ssid=x\n\0\x01")
            .unwrap_err()
            .message
            .contains("NUL byte at offset 7"));
        let error = decode(b"a=1\nb=\xff\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert_eq!(decode("\u{feff}a=1".as_bytes()).unwrap(), "a=1");
    }

    #[test]
    fn lines_are_numbered_and_bounded() {
        let numbered: Vec<Line> = lines("a\r\nb\n\nc").map(Result::unwrap).collect();
        assert_eq!(
            numbered[1],
            Line {
                number: 2,
                text: "b"
            }
        );
        assert_eq!(numbered[3].number, 4);
        let long = format!("ok\n{}\n", "x".repeat(MAX_LINE_LENGTH + 1));
        let error = lines(&long).find_map(Result::err).unwrap();
        assert_eq!(error.line, Some(2));
        // The lines of `str::lines`, without a `\r` left at their end.
        for text in [
            "",
            "\n",
            "a",
            "a\r",
            "a\r\r\n",
            "\r\n\r\n",
            "x\ny\r\nz\r",
            "\n\nq",
        ] {
            let ours: Vec<(u32, &str)> = lines(text)
                .map(Result::unwrap)
                .map(|line| (line.number, line.text))
                .collect();
            let std: Vec<(u32, &str)> = text
                .lines()
                .enumerate()
                .map(|(index, line)| (index as u32 + 1, line.strip_suffix('\r').unwrap_or(line)))
                .collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn ascii_splits_are_those_of_str() {
        for text in ["", "a", "\t", "a\tb", "\ta\t\tb\t", "é\tü", "1\t1\tX\t0\t6"] {
            assert_eq!(
                split_ascii(text, b'\t').collect::<Vec<_>>(),
                text.split('\t').collect::<Vec<_>>(),
                "{text:?}"
            );
        }
        for text in ["", "a", ",", "A,1", "A,1,2", "é,ü"] {
            assert_eq!(
                split_once_ascii(text, b','),
                text.split_once(','),
                "{text:?}"
            );
        }
    }

    #[test]
    fn sniff_skips_comments_and_blank_lines() {
        assert_eq!(
            sniff(b"# header\n\n a=1\n;x\nb=2\nc=3", &['#', ';'], 2),
            ["a=1", "b=2"]
        );
        assert!(sniff(b"\0\0binary", &['#'], 3).is_empty());
    }

    #[test]
    fn comments_are_stripped() {
        assert_eq!(
            strip_comment("PermitRootLogin no # hardened", '#'),
            "PermitRootLogin no"
        );
    }
}
