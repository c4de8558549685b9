//! How the function alerts, read once at start from its environment.

use crate::alerts::message::parse_owner_tag_keys;
use crate::error::RuleError;

/// The topic alerts go to (empty or unset: no alerts, the clock and the metrics still kept).
pub const TOPIC_VARIABLE: &str = "ALERT_TOPIC_ARN";
/// Comma list of the tag keys that name a cluster's owner.
pub const OWNER_KEYS_VARIABLE: &str = "OWNER_TAG_KEYS";
/// A sweep reports the CAs that expire within this many days, or are not healthy.
pub const CA_ALERT_DAYS_VARIABLE: &str = "CA_ALERT_DAYS";

/// How the function alerts, read once at start from its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertSettings {
    pub topic_arn: Option<String>,
    pub owner_tag_keys: Vec<String>,
    pub ca_alert_days: Option<u32>,
    /// The function's region (`AWS_REGION`), for alerts about resources whose id is not an ARN.
    pub region: String,
}

impl AlertSettings {
    /// From the variables as `env` gives them; a blank one counts as unset.
    pub fn from_variables(env: impl Fn(&str) -> Option<String>) -> Result<Self, RuleError> {
        let read = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        Ok(AlertSettings {
            region: env("AWS_REGION").unwrap_or_default(),
            ..Self::parse(
                read(TOPIC_VARIABLE).as_deref(),
                read(OWNER_KEYS_VARIABLE).as_deref(),
                read(CA_ALERT_DAYS_VARIABLE).as_deref(),
            )?
        })
    }

    /// Each value is checked, so a typo fails every invocation with its name instead of silencing
    /// the alerts.
    pub fn parse(
        topic: Option<&str>,
        owner_keys: Option<&str>,
        ca_days: Option<&str>,
    ) -> Result<Self, RuleError> {
        let invalid =
            |name: &str, why: String| RuleError::InvalidEnvironment(format!("{name}: {why}"));
        let topic_arn = topic
            .map(|arn| {
                let arn = arn.trim();
                is_topic_arn(arn).then(|| arn.to_owned()).ok_or_else(|| {
                    invalid(TOPIC_VARIABLE, format!("{arn:?} is not an SNS topic ARN"))
                })
            })
            .transpose()?;
        let owner_tag_keys = parse_owner_tag_keys(owner_keys.unwrap_or_default())
            .map_err(|why| invalid(OWNER_KEYS_VARIABLE, why))?;
        let ca_alert_days = ca_days
            .map(|days| {
                days.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|days| *days <= 36_500)
                    .ok_or_else(|| {
                        invalid(
                            CA_ALERT_DAYS_VARIABLE,
                            format!("{days:?} is not a whole number of days from 0 to 36500"),
                        )
                    })
            })
            .transpose()?;
        Ok(AlertSettings {
            topic_arn,
            owner_tag_keys,
            ca_alert_days,
            region: String::new(),
        })
    }
}

fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(parts.as_slice(), ["arn", partition, "sns", region, account, name]
        if partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && name.len() <= 256
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_from_variables_take_a_blank_one_as_unset() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(
            AlertSettings::from_variables(env(&[
                (TOPIC_VARIABLE, "arn:aws:sns:us-east-1:123456789012:alerts"),
                (OWNER_KEYS_VARIABLE, "owner"),
                (CA_ALERT_DAYS_VARIABLE, "30"),
                ("AWS_REGION", "eu-west-1"),
            ]))
            .unwrap(),
            AlertSettings {
                topic_arn: Some("arn:aws:sns:us-east-1:123456789012:alerts".into()),
                owner_tag_keys: vec!["owner".into()],
                ca_alert_days: Some(30),
                region: "eu-west-1".into(),
            }
        );
        let blank = AlertSettings::from_variables(env(&[
            (TOPIC_VARIABLE, " "),
            (OWNER_KEYS_VARIABLE, ""),
            (CA_ALERT_DAYS_VARIABLE, "  "),
        ]))
        .unwrap();
        assert_eq!(blank, AlertSettings::parse(None, None, None).unwrap());
        let error = AlertSettings::from_variables(env(&[(TOPIC_VARIABLE, "alerts")])).unwrap_err();
        assert!(error.to_string().contains(TOPIC_VARIABLE), "{error}");
    }

    #[test]
    fn settings_fail_closed_naming_the_variable() {
        assert_eq!(
            AlertSettings::parse(None, None, None).unwrap(),
            AlertSettings::default()
        );
        let good = AlertSettings::parse(
            Some("arn:aws:sns:us-east-1:123456789012:alerts"),
            Some("owner,team"),
            Some("45"),
        )
        .unwrap();
        assert_eq!(good.owner_tag_keys, ["owner", "team"]);
        assert_eq!(good.ca_alert_days, Some(45));
        for (topic, keys, days, name) in [
            (
                Some("arn:aws:sqs:us-east-1:123456789012:alerts"),
                None,
                None,
                TOPIC_VARIABLE,
            ),
            (Some("alerts"), None, None, TOPIC_VARIABLE),
            (None, Some("owner,region"), None, OWNER_KEYS_VARIABLE),
            (None, None, Some("-1"), CA_ALERT_DAYS_VARIABLE),
            (None, None, Some("36501"), CA_ALERT_DAYS_VARIABLE),
        ] {
            let error = AlertSettings::parse(topic, keys, days)
                .unwrap_err()
                .to_string();
            assert!(error.contains(name), "{error}");
        }
    }
}
