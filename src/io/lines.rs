//! Fast CSV line and field splitting over a reused buffer: line breaks and commas found eight bytes at a
//! time, quoted fields on a slow path, exact fast float parsing. Shared by the Tardis streamer and `CsvTable`.

use std::io::Read;

/// Initial buffer and read size (64 KiB: a small file costs no more than it needs, and reads of this size
/// already stream at several hundred MB/s); the buffer grows for longer lines.
pub(crate) const CHUNK: usize = 1 << 16;
/// Longest line accepted (a file without line breaks is not a CSV file).
pub(crate) const MAX_LINE: usize = 64 << 20;

/// Position of one line in the reader's buffer.
pub(crate) struct LineRef {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// 1-based line number.
    pub(crate) number: u64,
    /// `false` for a last line without a line break (possibly a truncated file).
    pub(crate) terminated: bool,
}

/// Reads lines from a stream through one reused buffer.
pub(crate) struct LineReader<R: Read> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    filled: usize,
    eof: bool,
    /// Lines returned so far.
    pub(crate) line: u64,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(input: R) -> Self {
        LineReader { input, buf: vec![0; CHUNK], pos: 0, filled: 0, eof: false, line: 0 }
    }

    /// The next line (without its `\n` or `\r\n`), `None` at the end.
    pub(crate) fn next_line(&mut self) -> std::io::Result<Option<LineRef>> {
        loop {
            if let Some(i) = find_newline(&self.buf[self.pos..self.filled]) {
                let (start, end) = (self.pos, self.pos + i);
                self.pos = end + 1;
                return Ok(Some(self.line_ref(start, end, true)));
            }
            if self.eof {
                if self.pos == self.filled {
                    return Ok(None);
                }
                let (start, end) = (self.pos, self.filled);
                self.pos = self.filled;
                return Ok(Some(self.line_ref(start, end, false)));
            }
            self.refill()?;
        }
    }

    fn line_ref(&mut self, start: usize, end: usize, terminated: bool) -> LineRef {
        self.line += 1;
        let end = if end > start && self.buf[end - 1] == b'\r' { end - 1 } else { end };
        LineRef { start, end, number: self.line, terminated }
    }

    /// The bytes of a line returned by [`LineReader::next_line`].
    pub(crate) fn bytes(&self, line: &LineRef) -> &[u8] {
        &self.buf[line.start..line.end]
    }

    /// Moves the unread tail to the front and reads more (growing the buffer for a line longer than it).
    fn refill(&mut self) -> std::io::Result<()> {
        self.buf.copy_within(self.pos..self.filled, 0);
        self.filled -= self.pos;
        self.pos = 0;
        if self.filled == self.buf.len() {
            if self.buf.len() >= MAX_LINE {
                let message = format!("line {} is longer than {} MiB: not a CSV file", self.line + 1, MAX_LINE >> 20);
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Position of the first `\n`, eight bytes at a time.
fn find_newline(hay: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NEWLINES: u64 = ONES * b'\n' as u64;
    let chunks = hay.chunks_exact(8);
    let tail = chunks.remainder();
    for (k, chunk) in chunks.enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ NEWLINES;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(8 * k + (zero.trailing_zeros() / 8) as usize);
        }
    }
    tail.iter().position(|&b| b == b'\n').map(|p| hay.len() - tail.len() + p)
}

pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// The fields of one line: byte ranges into the line, or into an unquoted copy for a line with quotes.
#[derive(Default)]
pub(crate) struct Fields {
    ranges: Vec<(usize, usize)>,
    unquoted: Vec<u8>,
    quoted: bool,
    /// Where the next field starts (fast path), for [`Fields::split_more`].
    next: usize,
    /// Whether the whole line has been split.
    complete: bool,
}

impl Fields {
    /// Splits `line` into at most `limit` fields (the rest of the line is not looked at).
    pub(crate) fn split(&mut self, line: &[u8], limit: usize) -> Result<(), String> {
        self.reset();
        self.split_more(line, limit)
    }

    /// Forgets the last line: the next [`Fields::split_more`] starts a new one.
    pub(crate) fn reset(&mut self) {
        self.ranges.clear();
        self.quoted = false;
        self.complete = false;
        self.next = 0;
    }

    /// Continues [`Fields::split`] on the same line up to `limit` fields, eight bytes at a time.
    pub(crate) fn split_more(&mut self, line: &[u8], limit: usize) -> Result<(), String> {
        if self.complete || self.ranges.len() >= limit {
            return Ok(());
        }
        if self.quoted {
            return self.split_quoted(line, limit);
        }
        let mut start = self.next;
        let mut base = start;
        while base + 8 <= line.len() {
            let mut word = [0u8; 8];
            word.copy_from_slice(&line[base..base + 8]);
            let word = u64::from_le_bytes(word);
            if byte_mask(word, b'"') != 0 {
                return self.split_quoted(line, limit);
            }
            let mut commas = byte_mask(word, b',');
            while commas != 0 {
                let i = base + (commas.trailing_zeros() / 8) as usize;
                self.ranges.push((start, i));
                start = i + 1;
                if self.ranges.len() == limit {
                    self.next = start;
                    return Ok(());
                }
                commas &= commas - 1;
            }
            base += 8;
        }
        for (i, &b) in line.iter().enumerate().skip(base) {
            if b == b',' {
                self.ranges.push((start, i));
                start = i + 1;
                if self.ranges.len() == limit {
                    self.next = start;
                    return Ok(());
                }
            } else if b == b'"' {
                return self.split_quoted(line, limit);
            }
        }
        self.ranges.push((start, line.len()));
        self.complete = true;
        Ok(())
    }

    /// Slow path (never taken on Tardis files): RFC 4180 quotes, `""` inside quotes for one `"`.
    fn split_quoted(&mut self, line: &[u8], limit: usize) -> Result<(), String> {
        self.ranges.clear();
        self.unquoted.clear();
        self.quoted = true;
        let (mut in_quotes, mut start, mut i) = (false, 0, 0);
        while i < line.len() && self.ranges.len() < limit {
            let b = line[i];
            match (in_quotes, b) {
                (true, b'"') if line.get(i + 1) == Some(&b'"') => {
                    self.unquoted.push(b'"');
                    i += 1;
                }
                (_, b'"') => in_quotes = !in_quotes,
                (false, b',') => {
                    self.ranges.push((start, self.unquoted.len()));
                    start = self.unquoted.len();
                }
                _ => self.unquoted.push(b),
            }
            i += 1;
        }
        if in_quotes {
            return Err("unterminated quoted field".to_owned());
        }
        if self.ranges.len() < limit {
            self.ranges.push((start, self.unquoted.len()));
            self.complete = true;
        }
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Field access on the line last split.
    pub(crate) fn of<'a>(&'a self, line: &'a [u8]) -> Row<'a> {
        Row { ranges: &self.ranges, base: if self.quoted { &self.unquoted } else { line } }
    }
}

/// Typed access to the fields of one split line.
#[derive(Clone, Copy)]
pub(crate) struct Row<'a> {
    ranges: &'a [(usize, usize)],
    base: &'a [u8],
}

impl<'a> Row<'a> {
    /// Trimmed bytes of field `col` (empty when absent).
    pub(crate) fn get(&self, col: usize) -> &'a [u8] {
        self.ranges.get(col).map_or(&[][..], |&(s, e)| self.base[s..e].trim_ascii())
    }

    pub(crate) fn text(&self, col: usize) -> Result<&'a str, String> {
        std::str::from_utf8(self.get(col)).map_err(|_| "field is not valid UTF-8 text".to_owned())
    }

    /// Optional number: empty or `nan` → None.
    pub(crate) fn opt_f64(&self, col: usize) -> Result<Option<f64>, String> {
        let bytes = self.get(col);
        if bytes.is_empty() {
            return Ok(None);
        }
        if let Some(x) = parse_simple_f64(bytes) {
            return Ok(Some(x));
        }
        let text = self.text(col)?;
        match text.parse::<f64>() {
            Ok(x) if x.is_nan() => Ok(None),
            Ok(x) => Ok(Some(x)),
            Err(_) => Err(format!("'{}' is not a number", text.escape_debug())),
        }
    }

    /// A required integer count of microseconds since the epoch.
    pub(crate) fn micros(&self, col: usize) -> Result<i64, String> {
        let bytes = self.get(col);
        parse_i64(bytes).ok_or_else(|| {
            let shown = String::from_utf8_lossy(bytes);
            if shown.is_empty() {
                "empty field, microseconds since the epoch are required".to_owned()
            } else {
                format!("'{}' is not a time in microseconds since the epoch", shown.escape_debug())
            }
        })
    }
}

/// Exact mask of the bytes of `word` equal to `byte`: the high bit of each such byte set, nothing else.
fn byte_mask(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = word ^ (0x0101_0101_0101_0101 * u64::from(byte));
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Powers of ten exactly representable as `f64`.
pub(crate) const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Clinger's fast path for plain decimals (`-0.61752`, `9756.36`) of at most 15 digits: the integer mantissa and
/// the power of ten are exact, so one correctly rounded division gives the correctly rounded value, the same as
/// `str::parse`. `None` for anything else (exponents, more digits, `inf`), which the caller parses with std.
pub(crate) fn parse_simple_f64(bytes: &[u8]) -> Option<f64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    let (mut mantissa, mut count, mut decimals, mut dot) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        if b.is_ascii_digit() {
            mantissa = mantissa * 10 + u64::from(b - b'0');
            count += 1;
            decimals += usize::from(dot);
            if count > 15 {
                return None;
            }
        } else if b == b'.' && !dot {
            dot = true;
        } else {
            return None;
        }
    }
    if count == 0 {
        return None;
    }
    let value = mantissa as f64 / POW10[decimals];
    Some(if negative { -value } else { value })
}

/// A decimal integer (optional sign), `None` when not one or out of range.
pub(crate) fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut value: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(b - b'0');
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_newlines_at_every_offset() {
        for len in 0..40 {
            for at in 0..len {
                let mut hay = vec![b'x'; len];
                hay[at] = b'\n';
                assert_eq!(find_newline(&hay), Some(at));
            }
            assert_eq!(find_newline(&vec![b'y'; len]), None);
        }
    }

    #[test]
    fn splits_quoted_fields() {
        let mut f = Fields::default();
        let line = b"a,\"b,c\",\"d\"\"e\",";
        f.split(line, usize::MAX).unwrap();
        let row = f.of(line);
        assert_eq!((f.len(), row.get(1), row.get(2), row.get(3)), (4, &b"b,c"[..], &b"d\"e"[..], &b""[..]));
        assert!(f.split(b"a,\"b", usize::MAX).is_err());
        let long = b"aaaaaaaaaa,bbbbbbbbbbbbb,c,dddddddddddddd,e";
        f.split(long, 2).unwrap();
        assert_eq!((f.len(), f.of(long).get(1)), (2, &b"bbbbbbbbbbbbb"[..]));
        f.split_more(long, usize::MAX).unwrap();
        assert_eq!((f.len(), f.of(long).get(3), f.of(long).get(4)), (5, &b"dddddddddddddd"[..], &b"e"[..]));
        let quoted_late = b"aaaaaaaaaa,bbbbbbbbbbbbb,\"c,d\",e";
        f.split(quoted_late, 2).unwrap();
        f.split_more(quoted_late, usize::MAX).unwrap();
        assert_eq!((f.len(), f.of(quoted_late).get(2)), (4, &b"c,d"[..]));
    }

    #[test]
    fn fast_floats_equal_std() {
        let cases =
            ["0.0205", "-0.61752", "9756.36", "1591574399", "0.02210436", "15.0", ".5", "5.", "-0", "123456789012345"];
        for case in cases {
            assert_eq!(parse_simple_f64(case.as_bytes()), Some(case.parse::<f64>().unwrap()), "{case}");
        }
        for other in ["1e5", "1234567890123456", "inf", "-", ".", "1.2.3", "", "0x1"] {
            assert_eq!(parse_simple_f64(other.as_bytes()), None, "{other}");
        }
        let mut state = 7u64;
        for _ in 0..100_000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let text = format!("{}.{:0w$}", (state >> 40) % 100_000, (state >> 8) % 1_000_000, w = 6);
            assert_eq!(parse_simple_f64(text.as_bytes()), text.parse::<f64>().ok(), "{text}");
        }
    }

    #[test]
    fn byte_masks_are_exact() {
        let word = u64::from_le_bytes(*b",\x01,a\x00,,\"");
        assert_eq!(byte_mask(word, b','), 0x0080_8000_0080_0080);
        assert_eq!(byte_mask(word, b'"'), 0x8000_0000_0000_0000);
        assert_eq!(byte_mask(word, 0), 0x0000_0080_0000_0000);
    }

    #[test]
    fn parses_integers_strictly() {
        assert_eq!(parse_i64(b"1591574399413000"), Some(1_591_574_399_413_000));
        assert_eq!(parse_i64(b"-5"), Some(-5));
        assert_eq!(parse_i64(b"1.5"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"9999999999999999999"), None);
    }
}
