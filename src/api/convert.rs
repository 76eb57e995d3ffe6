//! Small conversions shared by the API modules.

use chrono::{DateTime, TimeZone, Utc};

/// Unix milliseconds to a timestamp.
pub fn time_from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A page size from the query: 1 to 500, default 50.
pub fn page_size(limit: Option<u64>) -> Result<u64, String> {
    let limit = limit.unwrap_or(50);
    if (1..=500).contains(&limit) { Ok(limit) } else { Err("limit must be between 1 and 500".to_owned()) }
}

/// An activity cursor: the id of the last row of the previous page.
pub fn parse_activity_cursor(cursor: Option<&str>) -> Result<Option<i64>, String> {
    let Some(cursor) = cursor else { return Ok(None) };
    cursor.parse().map(Some).map_err(|_| "cursor is not one this API returned".to_owned())
}
