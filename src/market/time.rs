//! Instants and year fractions: UTC milliseconds since the Unix epoch, a small civil-date calendar, the
//! exchanges' date spellings, and the day counts used for T.

use serde::{Deserialize, Serialize};

/// Milliseconds in one day.
pub const MS_PER_DAY: i64 = 86_400_000;
/// Hour of day (UTC) at which Deribit, OKX, Bybit and Binance options expire.
pub const CRYPTO_EXPIRY_HOUR_UTC: i64 = 8;

/// Year fraction convention for T = (expiry − now) / year length, on exact timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// ACT/365 fixed: T = exact days / 365. Reproduces Deribit's mark IVs best (see tests/conventions.rs).
    #[default]
    Act365Fixed,
    /// ACT/365.25: T = exact days / 365.25.
    Act36525,
}

impl DayCount {
    /// Length of one year in days.
    pub fn days_per_year(self) -> f64 {
        match self {
            DayCount::Act365Fixed => 365.0,
            DayCount::Act36525 => 365.25,
        }
    }

    /// Year fraction between two instants (negative when `to` is before `from`).
    pub fn year_fraction(self, from_ms: i64, to_ms: i64) -> f64 {
        (to_ms - from_ms) as f64 / (MS_PER_DAY as f64 * self.days_per_year())
    }

    /// Short name (`ACT/365`, `ACT/365.25`).
    pub fn label(self) -> &'static str {
        match self {
            DayCount::Act365Fixed => "ACT/365",
            DayCount::Act36525 => "ACT/365.25",
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn valid_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && {
        let next = if month == 12 { days_from_civil(year + 1, 1, 1) } else { days_from_civil(year, month + 1, 1) };
        i64::from(day) <= next - days_from_civil(year, month, 1)
    }
}

/// UTC milliseconds of a date and time of day.
pub fn utc_ms(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    days_from_civil(year, month, day) * MS_PER_DAY + (hour as i64 * 3600 + minute as i64 * 60 + second as i64) * 1000
}

/// Formats UTC milliseconds as ISO 8601 with a `Z`, to the second (`2026-03-16T05:07:39Z`), or to the
/// millisecond when it has a fraction.
pub fn format_utc(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, frac) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// Formats the date part of UTC milliseconds (`2026-03-27`).
pub fn format_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Parses an ISO 8601 date or date-time to UTC milliseconds: `2026-03-16`, `2026-03-16T05:07:39`,
/// `2026-03-16 05:07:39.409707+00:00`, `…Z`, `…+02:00`. A time without an offset is taken as UTC.
pub fn parse_iso(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() < 10 || !t.is_char_boundary(10) {
        return None;
    }
    let (date, rest) = t.split_at(10);
    let mut parts = date.split('-');
    let (y, m, d) = (digits(parts.next()?)? as i64, digits(parts.next()?)?, digits(parts.next()?)?);
    if parts.next().is_some() || !valid_date(y, m, d) {
        return None;
    }
    let day_ms = days_from_civil(y, m, d) * MS_PER_DAY;
    if rest.is_empty() {
        return Some(day_ms);
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    let (clock, offset_ms) = split_offset(rest)?;
    Some(day_ms + parse_clock(clock)? - offset_ms)
}

/// Splits `HH:MM:SS.fff+hh:mm` into the clock and the offset in ms (`Z` or nothing = 0).
fn split_offset(rest: &str) -> Option<(&str, i64)> {
    if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    match rest.rfind(['+', '-']) {
        Some(i) if i >= 5 => {
            let (clock, off) = rest.split_at(i);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let off = &off[1..];
            let (hh, mm) = match off.split_once(':') {
                Some((h, m)) => (digits(h)?, digits(m)?),
                None if off.len() == 4 && off.is_ascii() => (digits(&off[..2])?, digits(&off[2..])?),
                None => (digits(off)?, 0),
            };
            Some((clock, sign * (hh as i64 * 3600 + mm as i64 * 60) * 1000))
        }
        _ => Some((rest, 0)),
    }
}

/// Parses `HH:MM[:SS[.fraction]]` to ms since midnight.
fn parse_clock(clock: &str) -> Option<i64> {
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut it = hms.split(':');
    let h = digits(it.next()?)?;
    let m = digits(it.next()?)?;
    let s = it.next().map(digits).unwrap_or(Some(0))?;
    if it.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let frac_ms = if frac.is_empty() {
        0
    } else {
        let f3: String = frac.chars().chain(std::iter::repeat('0')).take(3).collect();
        digits(&f3)? as i64
    };
    Some((h as i64 * 3600 + m as i64 * 60 + s as i64) * 1000 + frac_ms)
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// Month number of a three-letter English abbreviation (any case).
pub fn month_from_abbrev(text: &str) -> Option<u32> {
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(text)).map(|i| i as u32 + 1)
}

/// The Deribit/Bybit expiry code of an instant's UTC date (`27MAR26`, `5DEC26`): the inverse of
/// [`parse_dmy_code`] for 08:00 UTC expiries.
pub fn format_dmy_code(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let month = MONTHS.get(month as usize - 1).copied().unwrap_or("???");
    format!("{day}{month}{:02}", year.rem_euclid(100))
}

/// Parses a Deribit/Bybit expiry code such as `27DEC24` or `3APR26` to the expiry instant (08:00 UTC).
pub fn parse_dmy_code(code: &str) -> Option<i64> {
    let c = code.trim();
    let split = c.find(|ch: char| ch.is_ascii_alphabetic())?;
    let (day, rest) = c.split_at(split);
    if rest.len() != 5 || !rest.is_char_boundary(3) {
        return None;
    }
    let (mon, yy) = rest.split_at(3);
    let (d, m, y) = (digits(day)?, month_from_abbrev(mon)?, 2000 + digits(yy)? as i64);
    valid_date(y, m, d).then(|| utc_ms(y, m, d, CRYPTO_EXPIRY_HOUR_UTC as u32, 0, 0))
}

/// Parses a Binance/OKX expiry code `YYMMDD` (`250516`) to the expiry instant (08:00 UTC).
pub fn parse_yymmdd_code(code: &str) -> Option<i64> {
    let c = code.trim();
    // Six ASCII bytes (a multi-byte character would put the slices below off a char boundary).
    if c.len() != 6 || !c.is_ascii() {
        return None;
    }
    let (y, m, d) = (2000 + digits(&c[..2])? as i64, digits(&c[2..4])?, digits(&c[4..])?);
    valid_date(y, m, d).then(|| utc_ms(y, m, d, CRYPTO_EXPIRY_HOUR_UTC as u32, 0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yymmdd_codes_with_multibyte_characters_are_not_codes() {
        // Found by the load_binance_marks_csv fuzz target: 6 bytes, but "Ƚ" spans two of them.
        assert_eq!(parse_yymmdd_code("1Ƚ2=6"), None);
        assert_eq!(parse_yymmdd_code("25051é"), None);
        assert!(parse_yymmdd_code("250516").is_some());
        // The same slicing in a UTC offset (`+hhmm`).
        assert_eq!(parse_iso("2025-05-16T08:00:00+aé1"), None);
        assert!(parse_iso("2025-05-16T08:00:00+0130").is_some());
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_528, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2026, 3, 16), 20_528);
    }

    #[test]
    fn parses_the_exchanges_spellings() {
        let base = utc_ms(2026, 3, 16, 5, 7, 39);
        assert_eq!(parse_iso("2026-03-16T05:07:39.409707+00:00"), Some(base + 409));
        assert_eq!(parse_iso("2026-03-16T05:07:39Z"), Some(base));
        assert_eq!(parse_iso("2026-03-16 07:07:39+02:00"), Some(base));
        assert_eq!(parse_iso("2026-03-16T00:07:39-0500"), Some(base));
        assert_eq!(parse_iso("2026-03-16"), Some(utc_ms(2026, 3, 16, 0, 0, 0)));
        assert_eq!(parse_iso("2026-02-30"), None);
        assert_eq!(parse_iso("16/03/2026"), None);
        assert_eq!(parse_iso("2026-03-16T25:00:00"), None);
        assert_eq!(parse_dmy_code("27MAR26"), Some(utc_ms(2026, 3, 27, 8, 0, 0)));
        assert_eq!(parse_dmy_code("3APR26"), Some(utc_ms(2026, 4, 3, 8, 0, 0)));
        assert_eq!(parse_dmy_code("31FEB26"), None);
        assert_eq!(parse_yymmdd_code("250516"), Some(utc_ms(2025, 5, 16, 8, 0, 0)));
        assert_eq!(format_utc(base + 409), "2026-03-16T05:07:39.409Z");
    }

    #[test]
    fn day_counts() {
        let from = utc_ms(2026, 1, 1, 8, 0, 0);
        assert_eq!(DayCount::Act365Fixed.year_fraction(from, from + 365 * MS_PER_DAY), 1.0);
        assert!((DayCount::Act36525.year_fraction(from, from + 365 * MS_PER_DAY) - 365.0 / 365.25).abs() < 1e-15);
    }
}
