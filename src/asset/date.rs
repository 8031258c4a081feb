//! A calendar date (`YYYY-MM-DD`, proleptic Gregorian) with the little arithmetic the asset
//! and valuation layers need: ordering, anniversaries and year fractions between dates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Days per year used for year fractions between dates (Julian year: exact over leap cycles
/// to within a quarter day).
pub const DAYS_PER_YEAR: f64 = 365.25;

/// A validated calendar date. Ordered chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived `Ord` is chronological.
    year: i32,
    month: u8,
    day: u8,
}

/// Why a text or triple is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("`{text}` is not an ISO date (YYYY-MM-DD)")]
    NotIso {
        /// The offending text.
        text: String,
    },
    /// Well formed but no such day (`2023-02-29`), or a year outside 1000..=9999.
    #[error("{year:04}-{month:02}-{day:02} is not a calendar date")]
    NoSuchDay {
        /// Year given.
        year: i32,
        /// Month given.
        month: u32,
        /// Day given.
        day: u32,
    },
}

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

impl Date {
    /// The date `year-month-day`, validated.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        let bad = || DateError::NoSuchDay { year, month, day };
        if !(1000..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        let month = month as u8;
        if day == 0 || day > u32::from(days_in_month(year, month)) {
            return Err(bad());
        }
        Ok(Date {
            year,
            month,
            day: day as u8,
        })
    }

    /// The date `year-month-day` in a constant context (`None` if there is no such day).
    pub const fn const_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if year < 1000 || year > 9999 || month < 1 || month > 12 {
            return None;
        }
        let month = month as u8;
        if day == 0 || day > days_in_month(year, month) as u32 {
            return None;
        }
        Some(Date {
            year,
            month,
            day: day as u8,
        })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before), by the civil-from-days algorithm.
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01 (before it when negative), clamped to the years
    /// 1000..=9999 a [`Date`] holds; the inverse of [`Date::days_since_epoch`] (H. Hinnant's
    /// days-from-civil algorithm run backwards).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let lo = Date::const_ymd(1000, 1, 1).map_or(0, Date::days_since_epoch);
        let hi = Date::const_ymd(9999, 12, 31).map_or(0, Date::days_since_epoch);
        let z = days.clamp(lo, hi) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // In range by the clamp above: the casts cannot truncate.
        Date {
            year: year as i32,
            month: month as u8,
            day: day as u8,
        }
    }

    /// Years from `self` to `later` (negative if `later` is earlier), counting
    /// [`DAYS_PER_YEAR`] days per year.
    pub fn years_until(self, later: Date) -> f64 {
        (later.days_since_epoch() - self.days_since_epoch()) as f64 / DAYS_PER_YEAR
    }

    /// The same day `years` years later (or earlier); 29 February becomes 28 February in a
    /// common year.
    pub fn add_years(self, years: i32) -> Date {
        let year = (self.year + years).clamp(1000, 9999);
        let day = self.day.min(days_in_month(year, self.month));
        Date {
            year,
            month: self.month,
            day,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let not_iso = || DateError::NotIso {
            text: s.to_string(),
        };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(not_iso());
        }
        let digits = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| not_iso())
            } else {
                Err(not_iso())
            }
        };
        let year = digits(0..4)? as i32;
        Date::from_ymd(year, digits(5..7)?, digits(8..10)?)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "ISO calendar date YYYY-MM-DD"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_epoch_round_trips() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2024-12-31",
            "1000-01-01",
            "9999-12-31",
            "1969-07-20",
        ] {
            let d: Date = text.parse().unwrap();
            assert_eq!(
                Date::from_days_since_epoch(d.days_since_epoch()),
                d,
                "{text}"
            );
        }
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(i64::MAX).to_string(),
            "9999-12-31"
        );
    }

    #[test]
    fn parses_and_prints_iso_dates() {
        let d: Date = "2021-06-01".parse().unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2021, 6, 1));
        assert_eq!(d.to_string(), "2021-06-01");
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2021-06-01\"");
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for bad in [
            "2021-6-1",
            "2021/06/01",
            "20210601",
            "2023-02-29",
            "2021-13-01",
            "2021-00-10",
            "2021-04-31",
            "+021-04-01",
            "",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2000-02-29".parse::<Date>().is_ok());
        assert!("1900-02-29".parse::<Date>().is_err());
    }

    #[test]
    fn days_since_epoch_matches_known_values() {
        let d = |s: &str| s.parse::<Date>().unwrap().days_since_epoch();
        assert_eq!(d("1970-01-01"), 0);
        assert_eq!(d("2000-03-01"), 11_017);
        assert_eq!(d("1969-12-31"), -1);
        assert_eq!(d("2026-01-01") - d("2025-01-01"), 365);
        assert_eq!(d("2025-01-01") - d("2024-01-01"), 366);
    }

    #[test]
    fn anniversaries_and_year_fractions() {
        let leap: Date = "2020-02-29".parse().unwrap();
        assert_eq!(leap.add_years(1).to_string(), "2021-02-28");
        assert_eq!(leap.add_years(4).to_string(), "2024-02-29");
        let a: Date = "2006-01-01".parse().unwrap();
        let b: Date = "2026-01-01".parse().unwrap();
        assert!((a.years_until(b) - 20.0).abs() < 1e-3);
        assert!(b.years_until(a) < 0.0);
        assert!(a < b);
    }
}
