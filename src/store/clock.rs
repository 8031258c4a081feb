//! Timestamps (RFC 3339, UTC, milliseconds) and record ids for the store.
//!
//! Ids are `<prefix>_<14 hex digits of Unix microseconds><16 hex digits from the OS RNG>`: they
//! sort by creation time (cursor pagination orders by id) and are unguessable. This randomness
//! is not simulation randomness: it never touches a result.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::StoreError;

/// Milliseconds since the Unix epoch, now.
fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The current time as RFC 3339 UTC with milliseconds: `2026-11-21T16:55:00.123Z`.
pub fn now_rfc3339() -> String {
    format_rfc3339(now_millis())
}

/// Formats Unix milliseconds as RFC 3339 UTC (proleptic Gregorian calendar).
pub fn format_rfc3339(millis: u64) -> String {
    let secs = millis / 1000;
    let ms = millis % 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day); H. Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// `n` bytes from the operating system's RNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], StoreError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Random(e.to_string()))?;
    Ok(buf)
}

/// Microseconds since the epoch, strictly increasing within this process (so ids made in
/// the same microsecond still sort in creation order).
fn monotonic_micros() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// A new time-ordered, unguessable id: `app_<14 hex µs><16 hex random>`.
pub fn new_id(prefix: &str) -> Result<String, StoreError> {
    let random = random_bytes::<8>()?;
    Ok(format!(
        "{prefix}_{:014x}{}",
        monotonic_micros() & 0x00FF_FFFF_FFFF_FFFF,
        hex::encode(random)
    ))
}

/// True when `s` has the shape of an id made by [`new_id`] (lower-case letters, `_`, 30 hex
/// digits). Ids from requests are checked with it before they reach the database, so a
/// hostile id (a NUL byte, which PostgreSQL refuses in text) is a 404 on every backend.
pub fn is_id(s: &str) -> bool {
    let Some((prefix, tail)) = s.split_once('_') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.len() <= 16
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && tail.len() == 30
        && tail
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29T12:34:56.789Z (a leap day in a century leap year).
        assert_eq!(format_rfc3339(951_827_696_789), "2000-02-29T12:34:56.789Z");
        assert_eq!(
            format_rfc3339(1_795_280_100_000),
            "2026-11-21T16:55:00.000Z"
        );
    }

    #[test]
    fn ids_sort_by_creation_and_differ() {
        let ids: Vec<String> = (0..1000).map(|_| new_id("app").unwrap()).collect();
        for w in ids.windows(2) {
            assert!(w[0] < w[1], "{} !< {}", w[0], w[1]);
        }
        assert_eq!(ids[0].len(), "app_".len() + 30);
        assert!(ids.iter().all(|id| is_id(id)));
    }

    #[test]
    fn hostile_ids_are_not_ids() {
        let good = new_id("job").unwrap();
        assert!(is_id(&good));
        for bad in [
            String::new(),
            "job_".into(),
            format!("{good}\0"),
            good.replace('_', "\0"),
            format!("{}x", &good[..good.len() - 1]),
            good.to_uppercase(),
            format!("{good}0"),
            "_0123456789abcdef0123456789abcd".into(),
        ] {
            assert!(!is_id(&bad), "{bad:?}");
        }
    }
}
