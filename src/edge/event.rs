//! The AWS Config custom-rule Lambda event, parsed once at the edge into types that cannot hold an
//! invalid value. `invokingEvent` and `ruleParameters` arrive as JSON strings inside the JSON event.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::edge::item::{ConfigurationItem, RawItem};
use crate::edge::read::{from_str, parse_time, required};
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
