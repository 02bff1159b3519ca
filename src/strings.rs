//! Text built without `core::fmt` or the standard library's generic joins: the consent build
//! writes messages, cookie values and a few numbers (timestamps, checksums, line numbers in
//! config errors), and `format!` would link the whole formatting machinery into every page's
//! wasm; these few loops cost a fraction of it.

/// `parts` as one string.
pub fn concat(parts: &[&str]) -> String {
    join(parts, "")
}

/// `items` with `separator` between them.
pub fn join<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    let mut joined = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            joined.push_str(separator);
        }
        joined.push_str(item.as_ref());
    }
    joined
}

/// Where `needle` first occurs in `haystack`. A plain scan: the texts searched here are short,
/// and the standard library's two-way search would add its tables to every page's wasm.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    (0..=haystack.len().checked_sub(needle.len())?).find(|&i| haystack[i..].starts_with(needle))
}

/// `text` with every `from` replaced by `to`.
pub fn replace(text: &str, from: &str, to: &str) -> String {
    let mut replaced = String::new();
    let mut rest = text;
    while let Some(at) = find(rest, from).filter(|_| !from.is_empty()) {
        replaced.push_str(&rest[..at]);
        replaced.push_str(to);
        rest = &rest[at + from.len()..];
    }
    replaced.push_str(rest);
    replaced
}

/// `n` in decimal.
pub fn decimal(mut n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[start..].iter().map(|&d| char::from(d)).collect()
}

/// Lower-case hex of `bytes`, two digits each (key ids, digests, checksums).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    hex
}

/// The last second RFC 3339 can write: 9999-12-31T23:59:59Z.
pub const UTC_MAX: u64 = 253_402_300_799;

/// Unix seconds as an RFC 3339 UTC time, `2026-11-30T06:20:02Z` (years 1970 to 9999); a later
/// time, which RFC 3339 cannot write, as its number of seconds (`253402300800`), never as a
/// made-up date.
pub fn utc(seconds: u64) -> String {
    if seconds > UTC_MAX {
        return decimal(seconds);
    }
    let days = seconds / 86_400;
    let time = seconds % 86_400;
    // Days to a civil date (H. Hinnant's `civil_from_days`), for days since 1970 in 400-year eras.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let mut text = String::with_capacity(20);
    for (value, after) in [
        (year / 100, ""),
        (year % 100, "-"),
        (month, "-"),
        (day, "T"),
        (time / 3600, ":"),
        (time / 60 % 60, ":"),
        (time % 60, "Z"),
    ] {
        text.push(char::from(b'0' + (value / 10 % 10) as u8));
        text.push(char::from(b'0' + (value % 10) as u8));
        text.push_str(after);
    }
    text
}

/// The Unix seconds of an RFC 3339 UTC time as [`utc`] writes it (`2026-11-30T06:20:02Z`, years
/// 1970 to 9999); `None` for anything else, an impossible date included.
pub fn parse_utc(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0u64, |n, &c| n * 10 + u64::from(c - b'0'))
    };
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    let (hour, minute, second) = (number(11, 13), number(14, 16), number(17, 19));
    if year < 1970
        || !(1..=12).contains(&month)
        || day == 0
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    // H. Hinnant's `days_from_civil`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    // A day past the month's end would come back as another date.
    (utc(seconds) == text).then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_display() {
        for n in [0, 7, 10, 99, 1_764_000_000, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn find_and_replace_work_on_whole_characters() {
        assert_eq!(find("ab{x}ü{x}", "{x}"), Some(2));
        assert_eq!(find("abc", ""), Some(0));
        assert_eq!(find("ab", "abc"), None);
        assert_eq!(replace("ü {x} and {x}", "{x}", "ä"), "ü ä and ä");
        assert_eq!(replace("abc", "", "x"), "abc");
        assert_eq!(replace("{x}", "{x}", "{x}{x}"), "{x}{x}");
    }

    #[test]
    fn join_and_concat() {
        assert_eq!(join(&["a", "b", "c"], ", "), "a, b, c");
        assert_eq!(join(&[String::from("x")], ":"), "x");
        assert_eq!(join::<&str>(&[], ":"), "");
        assert_eq!(concat(&["ab", "", "c"]), "abc");
    }

    #[test]
    fn hex_is_lower_case_and_zero_padded() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn utc_times_are_rfc_3339() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_019_602), "2026-11-30T06:20:02Z");
        assert_eq!(utc(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(utc(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(utc(UTC_MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn times_after_the_year_9999_are_numbers() {
        assert_eq!(utc(UTC_MAX + 1), "253402300800");
        assert_eq!(utc(u64::MAX), "18446744073709551615");
        assert_eq!(parse_utc("253402300800"), None);
    }

    #[test]
    fn utc_times_parse_back_and_nothing_else_does() {
        for seconds in [
            0,
            951_782_400,
            1_796_019_602,
            4_107_542_399,
            253_402_300_799,
        ] {
            assert_eq!(parse_utc(&utc(seconds)), Some(seconds));
        }
        for bad in [
            "",
            "2026-11-30T06:20:02",
            "2026-11-30T06:20:02.000Z",
            "2026-11-30 06:20:02Z",
            "2026-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-30T24:00:00Z",
            "2026-11-30T23:60:00Z",
            "2026-11-30T23:59:60Z",
            "1969-12-31T23:59:59Z",
            "+026-11-30T06:20:02Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
