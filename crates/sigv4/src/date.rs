//! SigV4 timestamps: `YYYYMMDDTHHMMSSZ` (ISO 8601 basic format, UTC).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The value of the ASCII digits `digits` (all checked to be digits by the caller).
fn number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

/// Parses `YYYYMMDDTHHMMSSZ` strictly (ISO 8601 basic format, UTC): exactly sixteen bytes, digits
/// where digits belong, a real calendar date (leap years included) and a time of day with
/// hours `00`-`23`, minutes and seconds `00`-`59`. Anything else is `None`.
#[must_use]
pub fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let b: &[u8; 16] = text.as_bytes().try_into().ok()?;
    let (date, rest) = b.split_at(8);
    let (t, time_part) = rest.split_first()?;
    let (z, time_part) = time_part.split_last()?;
    let shape_ok = *t == b'T'
        && *z == b'Z'
        && date.iter().all(u8::is_ascii_digit)
        && time_part.iter().all(u8::is_ascii_digit);
    if !shape_ok {
        return None;
    }
    let year = i32::try_from(number(&date[..4])).ok()?;
    let month = Month::try_from(u8::try_from(number(&date[4..6])).ok()?).ok()?;
    let day = u8::try_from(number(&date[6..8])).ok()?;
    let hour = u8::try_from(number(&time_part[..2])).ok()?;
    let minute = u8::try_from(number(&time_part[2..4])).ok()?;
    let second = u8::try_from(number(&time_part[4..6])).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Formats a time as `YYYYMMDDTHHMMSSZ` (converted to UTC).
#[must_use]
pub fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::format_description;

    /// The parser this module replaced (the `time` crate's format parser behind the same shape
    /// check): the reference every input must agree with.
    fn reference(text: &str) -> Option<OffsetDateTime> {
        let b = text.as_bytes();
        let shape_ok = b.len() == 16
            && b[8] == b'T'
            && b[15] == b'Z'
            && b[..8].iter().all(u8::is_ascii_digit)
            && b[9..15].iter().all(u8::is_ascii_digit);
        if !shape_ok {
            return None;
        }
        let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
        PrimitiveDateTime::parse(text, fmt)
            .ok()
            .map(PrimitiveDateTime::assume_utc)
    }

    #[test]
    fn parses_valid_dates() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        for ok in [
            "00000101T000000Z",
            "20240229T235959Z",
            "20000229T000000Z",
            "99991231T235959Z",
            "19700101T000000Z",
        ] {
            let t = parse_amz_date(ok).unwrap();
            assert_eq!(format_amz_date(t), ok);
            assert_eq!(Some(t), reference(ok), "{ok}");
        }
    }

    #[test]
    fn rejects_every_malformed_shape_like_before() {
        for bad in [
            "",
            "2015-08-30T12:36:00Z",
            "20150830T123600",
            "20150830T123600z",
            "20150830t123600Z",
            "20150830 123600Z",
            "20150830T123600ZZ",
            "2015083T123600Z",
            "20151330T123600Z",
            "20150030T123600Z",
            "20150800T123600Z",
            "20150832T123600Z",
            "20150431T123600Z",
            "20230229T123600Z",
            "19000229T123600Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "20150830T123699Z",
            "Sun, 30 Aug 2015 12:36:00 GMT",
            "+0150830T123600Z",
            "-0150830T123600Z",
            "2015083a T12360Z",
            "２0150830T12360Z",
        ] {
            assert!(parse_amz_date(bad).is_none(), "{bad}");
            assert!(reference(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn agrees_with_the_time_crate_on_every_field_value() {
        let fields = |t: &str| {
            let mut cases = Vec::new();
            for pos in [4, 6, 9, 11, 13] {
                for v in 0..100 {
                    let mut s = t.to_owned();
                    s.replace_range(pos..pos + 2, &format!("{v:02}"));
                    cases.push(s);
                }
            }
            cases
        };
        for base in ["20150830T123600Z", "20240201T000000Z", "21000228T235959Z"] {
            for case in fields(base) {
                assert_eq!(parse_amz_date(&case), reference(&case), "{case}");
            }
        }
        for year in (0..10_000).step_by(7) {
            let case = format!("{year:04}0229T120000Z");
            assert_eq!(parse_amz_date(&case), reference(&case), "{case}");
        }
    }
}
