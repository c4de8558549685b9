//! The rule's own timestamp: milliseconds since the Unix epoch, the precision Config records and
//! answers in. The edges convert from the SDK's `DateTime`, rounding to the millisecond, so a time
//! read back as an epoch-seconds double (`…11.636` as `…11.635999…`) is the same time.

use std::fmt;

const MILLIS_PER_SECOND: i64 = 1_000;
pub const SECONDS_PER_DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    pub fn from_secs(secs: i64) -> Self {
        Timestamp(secs * MILLIS_PER_SECOND)
    }

    pub fn now() -> Self {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(since_epoch.as_millis() as i64)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn secs(self) -> i64 {
        self.0.div_euclid(MILLIS_PER_SECOND)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier), rounded down.
    pub fn whole_days_until(self, later: Timestamp) -> i64 {
        (later.secs() - self.secs()).div_euclid(SECONDS_PER_DAY)
    }
}

/// RFC 3339 in UTC with milliseconds when there are any: `2023-04-27T15:03:11.636Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.secs();
        let millis = self.0.rem_euclid(MILLIS_PER_SECOND);
        let (year, month, day) = civil_from_days(secs.div_euclid(SECONDS_PER_DAY));
        let of_day = secs.rem_euclid(SECONDS_PER_DAY);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3_600,
            of_day % 3_600 / 60,
            of_day % 60
        )?;
        if millis != 0 {
            write!(f, ".{millis:03}")?;
        }
        f.write_str("Z")
    }
}

impl Timestamp {
    /// A UTC date and time of day; `None` for a date or time that does not exist.
    pub fn from_utc(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Option<Self> {
        let month_days = [
            31,
            if is_leap(year) { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let valid = (1..=12).contains(&month)
            && (1..=month_days[month as usize - 1]).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then(|| {
            let days = days_from_civil(year, month, day);
            Timestamp::from_secs(
                days * SECONDS_PER_DAY + i64::from(hour * 3_600 + minute * 60 + second),
            )
        })
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_civil_date_and_time_is_the_instant_it_formats_back_to() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2024-12-31T12:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            let numbers: Vec<i64> = text
                .trim_end_matches('Z')
                .split(['-', 'T', ':'])
                .map(|n| n.parse().unwrap())
                .collect();
            let [year, month, day, hour, minute, second] = numbers[..] else {
                panic!()
            };
            let time = Timestamp::from_utc(
                year,
                month as u32,
                day as u32,
                hour as u32,
                minute as u32,
                second as u32,
            );
            assert_eq!(time.unwrap().to_string(), text);
        }
        assert_eq!(Timestamp::from_utc(2023, 2, 29, 0, 0, 0), None);
        assert_eq!(Timestamp::from_utc(2024, 13, 1, 0, 0, 0), None);
        assert_eq!(Timestamp::from_utc(2024, 1, 1, 24, 0, 0), None);
        assert_eq!(Timestamp::from_utc(1900, 2, 29, 0, 0, 0), None);
        assert!(Timestamp::from_utc(2000, 2, 29, 0, 0, 0).is_some());
        assert!(Timestamp::from_utc(2024, 2, 29, 0, 0, 0).is_some());
        assert_eq!(Timestamp::from_utc(2024, 4, 31, 0, 0, 0), None);
        assert_eq!(Timestamp::from_utc(2024, 1, 0, 0, 0, 0), None);
        assert_eq!(Timestamp::from_utc(2024, 1, 1, 0, 60, 0), None);
        assert_eq!(Timestamp::from_utc(2024, 1, 1, 0, 0, 60), None);
        assert_eq!(Timestamp::from_utc(2024, 0, 1, 0, 0, 0), None);
    }

    /// Every day from 1600 to 2400 and each second of a day's clock: the date back from the days
    /// is the date given, and the seconds add up.
    #[test]
    fn every_date_is_its_day_count() {
        for days in -135_140..157_800 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(
                days_from_civil(year, month, day),
                days,
                "{year}-{month}-{day}"
            );
            let time = Timestamp::from_utc(year, month, day, 0, 0, 0).unwrap();
            assert_eq!(time.secs(), days * SECONDS_PER_DAY);
        }
        let time = Timestamp::from_utc(1970, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(time.secs(), SECONDS_PER_DAY + 3 * 3_600 + 4 * 60 + 5);
    }

    #[test]
    fn formats_as_rfc3339_utc() {
        assert_eq!(
            Timestamp::from_millis(1_682_607_791_636).to_string(),
            "2023-04-27T15:03:11.636Z"
        );
        assert_eq!(Timestamp::from_secs(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_secs(951_782_400).to_string(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    /// Every day from 1600 to 2500 (four century years, 400-year era boundaries, every leap rule)
    /// against a calendar counted one day at a time.
    #[test]
    fn every_day_from_1600_to_2500_is_the_calendar_s() {
        let is_leap = |year: i64| year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in = |year: i64, month: u32| match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let (mut year, mut month, mut day) = (1600_i64, 1_u32, 1_u32);
        for days in -135_140..=193_943 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            day += 1;
            if day > days_in(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
        assert_eq!((year, month, day), (2501, 1, 1));
    }

    #[test]
    fn whole_days_round_down() {
        let now = Timestamp::from_secs(1_700_000_000);
        assert_eq!(
            now.whole_days_until(Timestamp::from_secs(1_700_000_000 + 86_399)),
            0
        );
        assert_eq!(
            now.whole_days_until(Timestamp::from_secs(1_700_000_000 + 86_400)),
            1
        );
        assert_eq!(
            now.whole_days_until(Timestamp::from_secs(1_700_000_000 - 1)),
            -1
        );
    }
}
