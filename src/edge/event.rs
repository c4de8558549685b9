//! The AWS Config custom-rule Lambda event, parsed once at the edge into types that cannot hold an
//! invalid value. `invokingEvent` and `ruleParameters` arrive as JSON strings inside the JSON event.

use std::fmt;

use aws_sdk_config::primitives::{DateTime, DateTimeFormat};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::edge::item::{ConfigurationItem, RawItem};
use crate::error::RuleError;
use crate::rule::time::Timestamp;

/// The token that ties evaluations to one rule invocation. It is a credential of sorts: it never
/// appears in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct ResultToken(String);

impl ResultToken {
    pub fn new(token: impl Into<String>) -> Self {
        ResultToken(token.into())
    }

    /// `TESTMODE` asks Config to validate evaluations without storing them.
    pub fn is_test_mode(&self) -> bool {
        self.0 == "TESTMODE"
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ResultToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResultToken(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct ConfigRuleEvent {
    pub notification: Notification,
    pub rule_parameters: Option<String>,
    pub result_token: ResultToken,
    pub event_left_scope: bool,
    pub config_rule_name: Option<String>,
    pub config_rule_arn: Option<String>,
    pub account_id: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Notification {
    /// The item is inline.
    Change(ConfigurationItem),
    /// Only a summary (the item without `configuration`); the item is fetched from Config.
    Oversized(ConfigurationItem),
    Scheduled {
        notification_creation_time: Timestamp,
    },
}

impl ConfigRuleEvent {
    /// Parses the event as Lambda delivered it. Read from the text, not from a `Value`, so a key
    /// given twice is refused at every level instead of being read last-wins.
    pub fn from_text(text: &str) -> Result<Self, RuleError> {
        let raw: RawRuleEvent = from_str("event", text)?;
        if let Some(mode) = raw.evaluation_mode.as_deref() {
            if mode != "DETECTIVE" {
                return Err(RuleError::UnsupportedEvent(format!(
                    "evaluationMode {mode:?}: this rule runs only in DETECTIVE mode"
                )));
            }
        }
        let invoking: RawInvokingEvent = from_str("invokingEvent", &raw.invoking_event)?;
        let notification = match invoking.message_type.as_str() {
            "ConfigurationItemChangeNotification" => {
                Notification::Change(required(invoking.configuration_item, "configurationItem")?.into_item()?)
            }
            "OversizedConfigurationItemChangeNotification" => Notification::Oversized(
                required(invoking.configuration_item_summary, "configurationItemSummary")?.into_item()?,
            ),
            "ScheduledNotification" => Notification::Scheduled {
                notification_creation_time: parse_time(
                    "notificationCreationTime",
                    required(invoking.notification_creation_time.as_deref(), "notificationCreationTime")?,
                )?,
            },
            other => {
                return Err(RuleError::InvalidEvent(format!(
                    "invokingEvent.messageType {other:?} is not one of ConfigurationItemChangeNotification, \
                     OversizedConfigurationItemChangeNotification, ScheduledNotification"
                )))
            }
        };
        Ok(ConfigRuleEvent {
            notification,
            rule_parameters: raw.rule_parameters,
            result_token: ResultToken(raw.result_token),
            event_left_scope: raw.event_left_scope.unwrap_or(false),
            config_rule_name: raw.config_rule_name,
            config_rule_arn: raw.config_rule_arn,
            account_id: raw.account_id,
        })
    }

    /// `from_text` over a `Value` (tests and tools; a `Value` holds no duplicate keys).
    pub fn from_json(event: Value) -> Result<Self, RuleError> {
        Self::from_text(&event.to_string())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRuleEvent {
    invoking_event: String,
    rule_parameters: Option<String>,
    result_token: String,
    event_left_scope: Option<bool>,
    config_rule_name: Option<String>,
    config_rule_arn: Option<String>,
    account_id: Option<String>,
    evaluation_mode: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInvokingEvent {
    message_type: String,
    configuration_item: Option<RawItem>,
    configuration_item_summary: Option<RawItem>,
    notification_creation_time: Option<String>,
}

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
