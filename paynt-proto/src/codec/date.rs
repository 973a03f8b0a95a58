//! Java `Date.toString()` dates (spec §11 rule 12): `EEE MMM dd HH:mm:ss zzz yyyy`.

use alloc::string::String;

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats Unix milliseconds as Java does, in a `GMT±hh:mm` zone (`GMT` for offset 0).
#[must_use]
pub fn format_java_date(unix_ms: u64, offset_minutes: i32) -> String {
    let secs = i64::try_from(unix_ms / 1000).unwrap_or(i64::MAX) + i64::from(offset_minutes) * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = DAYS
        .get(usize::try_from(days.rem_euclid(7)).unwrap_or(0))
        .unwrap_or(&"Thu");
    let month = MONTHS
        .get(usize::try_from(m - 1).unwrap_or(0))
        .unwrap_or(&"Jan");
    let zone = if offset_minutes == 0 {
        String::from("GMT")
    } else {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let abs = offset_minutes.unsigned_abs();
        alloc::format!("GMT{sign}{:02}:{:02}", abs / 60, abs % 60)
    };
    alloc::format!(
        "{weekday} {month} {d:02} {:02}:{:02}:{:02} {zone} {y}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses a Java date with zone `GMT`, `UTC` or `GMT±hh:mm` into Unix milliseconds.
#[must_use]
pub fn parse_java_date(text: &str) -> Option<i64> {
    let mut parts = text.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let month = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    let zone = parts.next()?;
    let year: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let month_index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))?;
    let month = i64::try_from(month_index).ok()? + 1;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    if h < 0 || mi < 0 || s < 0 {
        return None;
    }
    let offset = zone_offset_minutes(zone)?;
    if !(1..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + h * 3600 + mi * 60 + s;
    Some((local - offset * 60) * 1000)
}

fn zone_offset_minutes(zone: &str) -> Option<i64> {
    if zone == "GMT" || zone == "UTC" {
        return Some(0);
    }
    let rest = zone.strip_prefix("GMT")?;
    let sign = match rest.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = rest.get(1..)?.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..=59).contains(&m) {
        return None;
    }
    Some(sign * (h * 60 + m))
}

// Howard Hinnant's public-domain civil date algorithms.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_dates_round_trip() {
        // 2025-06-14 09:03:07 UTC is a Saturday.
        let ms = 1_749_891_787_000;
        let text = format_java_date(ms, 60);
        assert_eq!(text, "Sat Jun 14 10:03:07 GMT+01:00 2025");
        assert_eq!(parse_java_date(&text), Some(1_749_891_787_000));
        assert_eq!(
            parse_java_date("Sat Jun 14 09:03:07 UTC 2025"),
            Some(1_749_891_787_000)
        );
        assert_eq!(parse_java_date("Sat Jun 14 09:03:07 CEST 2025"), None);
        assert_eq!(parse_java_date("garbage"), None);
    }
}
