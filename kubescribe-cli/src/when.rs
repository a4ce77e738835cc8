//! Points in time on the command line (`--since`, `--until`, `--before`).

/// A point in time given on the command line, as ns since the epoch: an
/// RFC 3339 time (`2025-03-01T00:00:00Z`), a duration before now (`90s`,
/// `30m`, `12h`, `7d`), or nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Some(t) = kubescribe_events::time::parse_rfc3339(s) {
        return Ok(t);
    }
    if let Ok(ns) = s.parse::<i64>() {
        return Ok(ns);
    }
    let unit = s.chars().last().unwrap_or(' ');
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => 0,
    };
    let n = s[..s.len() - unit.len_utf8().min(s.len())].parse::<i64>();
    match n {
        Ok(n) if secs > 0 && n >= 0 => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| e.to_string())?
                .as_nanos() as i64;
            Ok(now.saturating_sub(n.saturating_mul(secs).saturating_mul(1_000_000_000)))
        }
        _ => Err(format!(
            "{s:?}: expected an RFC 3339 time (2025-03-01T00:00:00Z), a duration before now (30m, 12h, 7d) or nanoseconds since the epoch"
        )),
    }
}
