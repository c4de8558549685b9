//! Reading what arrives: required fields, RFC 3339 times, JSON with the path of what is wrong.

use aws_sdk_config::primitives::{DateTime, DateTimeFormat};
use serde::de::DeserializeOwned;

use crate::error::RuleError;
use crate::rule::time::Timestamp;

pub(crate) fn required<T>(value: Option<T>, name: &str) -> Result<T, RuleError> {
    value.ok_or_else(|| RuleError::InvalidEvent(format!("{name} is missing")))
}

/// Config refuses an evaluation whose resource type or id is empty: so does the parser.
pub(crate) fn required_text(value: Option<String>, name: &str) -> Result<String, RuleError> {
    let value = required(value, name)?;
    if value.trim().is_empty() {
        return Err(RuleError::InvalidEvent(format!("{name} is empty")));
    }
    Ok(value)
}

pub fn parse_time(name: &str, text: &str) -> Result<Timestamp, RuleError> {
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .map(|time| to_timestamp(&time))
        .map_err(|e| {
            RuleError::InvalidEvent(format!("{name} {text:?} is not an RFC 3339 time: {e}"))
        })
}

/// The SDK's time, to the nearest millisecond (Config's precision; see `Timestamp`).
pub fn to_timestamp(time: &DateTime) -> Timestamp {
    let millis = time.secs() * 1_000 + i64::from((time.subsec_nanos() + 500_000) / 1_000_000);
    Timestamp::from_millis(millis)
}

pub fn from_str<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, RuleError> {
    let mut json = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| path_error(what, e))?;
    json.end()
        .map_err(|e| RuleError::InvalidEvent(format!("{what}: trailing characters: {e}")))?;
    Ok(value)
}

fn path_error(what: &str, error: serde_path_to_error::Error<serde_json::Error>) -> RuleError {
    let path = error.path().to_string();
    let inner = error.inner();
    if inner.is_syntax() || inner.is_eof() {
        RuleError::InvalidEvent(format!("{what} is not JSON: {inner}"))
    } else if path == "." {
        RuleError::InvalidEvent(format!("{what}: {inner}"))
    } else {
        RuleError::InvalidEvent(format!("{what}: {path}: {inner}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_seconds_double_reads_back_as_the_same_millisecond() {
        // GetResourceConfigHistory answers 2023-04-27T15:03:11.636Z as 1682607791.636 in a double
        let answered = DateTime::from_secs_f64(1_682_607_791.636);
        assert_ne!(answered.subsec_nanos(), 636_000_000);
        let recorded = parse_time("t", "2023-04-27T15:03:11.636Z").unwrap();
        assert_eq!(to_timestamp(&answered), recorded);
        assert_eq!(recorded, Timestamp::from_millis(1_682_607_791_636));
    }
}
