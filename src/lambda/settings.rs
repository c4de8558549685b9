//! The function's settings, read from its environment once, at start: nothing below reads a
//! variable. A setting that is invalid fails every invocation with its name (never silences alerts
//! or narrows the probe); the process itself still starts, so Lambda reports the error.

use crate::alerts::settings::AlertSettings;
use crate::app::hook::PARAMETERS_VARIABLE;
use crate::app::rotation::RotationSettings;
use crate::app::scheduled_probe::ProbeSettings;
use crate::error::RuleError;
use crate::lambda::metrics;
use crate::logging::LogLevel;

/// Which handler a binary serves: each function is its own binary, so that the rule's carries
/// neither the probe nor the probe's Security Hub client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// The Config rule and the CloudFormation hook (`msk-mtls-rule-lambda`).
    Rule,
    /// The scheduled probe (`msk-mtls-rule-probe`).
    Probe,
}

/// Names a handler for the binary to check it serves: a stack that gives a function the other
/// binary fails at start, by name, instead of answering its events with the wrong handler.
pub const HANDLER_VARIABLE: &str = "MSK_MTLS_RULE_HANDLER";

impl Handler {
    pub fn binary(self) -> &'static str {
        match self {
            Handler::Rule => "msk-mtls-rule-lambda",
            Handler::Probe => "msk-mtls-rule-probe",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Handler::Rule => "rule",
            Handler::Probe => "probe",
        }
    }

    /// Whether the handler the environment names, if any, is this one.
    pub fn served_with(self, env: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        let named = match env(HANDLER_VARIABLE).as_deref() {
            None => return Ok(()),
            Some("rule") => Handler::Rule,
            Some("probe") => Handler::Probe,
            Some(other) => {
                return Err(format!("{HANDLER_VARIABLE}={other:?} is not rule or probe"))
            }
        };
        if named == self {
            return Ok(());
        }
        Err(format!(
            "{HANDLER_VARIABLE}={} is the {} binary's handler; this binary serves {}",
            named.name(),
            named.binary(),
            self.name()
        ))
    }
}

/// Everything the function takes from its environment.
#[derive(Debug)]
pub struct Settings {
    pub log_level: LogLevel,
    /// Lambda's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`): log lines are JSON too.
    pub json_logs: bool,
    /// CloudWatch metrics namespace; empty: no metrics lines.
    pub namespace: String,
    /// `CONFIG_RULE_NAME`: the stack's rule, the metrics' dimension whatever copy invoked it.
    pub rule_name: Option<String>,
    /// The hook's rule parameters (JSON), as the stack's rule has them.
    pub hook_parameters: Option<String>,
    pub alerts: Result<AlertSettings, String>,
    pub probe: Result<ProbeSettings, String>,
    /// Client certificates' rotations watched by the sweep (`None`: no audit-report bucket).
    pub rotation: Result<Option<RotationSettings>, String>,
}

impl Settings {
    pub fn from_variables(env: impl Fn(&str) -> Option<String>) -> Self {
        Settings {
            log_level: LogLevel::from_variables(&env),
            json_logs: env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            namespace: metrics::namespace(&env),
            rule_name: env("CONFIG_RULE_NAME").filter(|name| !name.is_empty()),
            hook_parameters: env(PARAMETERS_VARIABLE),
            alerts: AlertSettings::from_variables(&env).map_err(|error| setting_error(&error)),
            probe: ProbeSettings::from_variables(&env).map_err(|error| setting_error(&error)),
            rotation: RotationSettings::from_variables(&env),
        }
    }

    /// The alert settings, or the error every invocation fails with.
    pub fn alerts(&self) -> Result<&AlertSettings, RuleError> {
        self.alerts
            .as_ref()
            .map_err(|message| RuleError::InvalidEnvironment(message.clone()))
    }

    pub fn rotation(&self) -> Result<Option<&RotationSettings>, RuleError> {
        self.rotation
            .as_ref()
            .map(Option::as_ref)
            .map_err(|message| RuleError::InvalidEnvironment(message.clone()))
    }

    pub fn probe(&self) -> Result<&ProbeSettings, RuleError> {
        self.probe
            .as_ref()
            .map_err(|message| RuleError::InvalidEnvironment(message.clone()))
    }
}

fn setting_error(error: &RuleError) -> String {
    match error {
        RuleError::InvalidEnvironment(message) => message.clone(),
        other => other.message(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn a_binary_serves_its_own_handler_and_refuses_the_others_by_name() {
        for handler in [Handler::Rule, Handler::Probe] {
            assert_eq!(handler.served_with(env(&[])), Ok(()));
            assert_eq!(
                handler.served_with(env(&[(HANDLER_VARIABLE, handler.name())])),
                Ok(())
            );
            assert_eq!(
                handler.served_with(env(&[(HANDLER_VARIABLE, "bogus")])),
                Err("MSK_MTLS_RULE_HANDLER=\"bogus\" is not rule or probe".to_owned())
            );
        }
        assert_eq!(
            Handler::Rule.served_with(env(&[(HANDLER_VARIABLE, "probe")])),
            Err("MSK_MTLS_RULE_HANDLER=probe is the msk-mtls-rule-probe binary's handler; this binary serves rule".to_owned())
        );
        assert_eq!(
            Handler::Probe.served_with(env(&[(HANDLER_VARIABLE, "rule")])),
            Err("MSK_MTLS_RULE_HANDLER=rule is the msk-mtls-rule-lambda binary's handler; this binary serves probe".to_owned())
        );
    }

    #[test]
    fn an_invalid_setting_is_kept_to_fail_each_invocation_by_name() {
        let settings = Settings::from_variables(env(&[
            ("ALERT_TOPIC_ARN", "not-a-topic"),
            ("PROBE_TIMEOUT_MS", "5"),
            ("CONFIG_RULE_NAME", ""),
        ]));
        assert!(settings
            .alerts()
            .unwrap_err()
            .to_string()
            .contains("ALERT_TOPIC_ARN"));
        assert!(settings
            .probe()
            .unwrap_err()
            .to_string()
            .contains("PROBE_TIMEOUT_MS"));
        assert_eq!(settings.rule_name, None, "an empty name is no name");
        let settings = Settings::from_variables(env(&[
            ("AUDIT_REPORT_BUCKET", "audit"),
            ("SWEEP_FREQUENCY", "Weekly"),
        ]));
        let error = settings.rotation().unwrap_err().to_string();
        assert!(error.contains("SWEEP_FREQUENCY"), "{error}");
        let settings = Settings::from_variables(env(&[("AUDIT_REPORT_BUCKET", "audit")]));
        assert_eq!(settings.rotation().unwrap().unwrap().bucket, "audit");
        let settings = Settings::from_variables(env(&[("CONFIG_RULE_NAME", "msk-mtls")]));
        assert_eq!(settings.rotation().unwrap(), None);
        assert_eq!(settings.rule_name.as_deref(), Some("msk-mtls"));
        assert!(settings.alerts().is_ok() && settings.probe().is_ok());
        assert_eq!(settings.namespace, "MskMtlsRule");
    }
}
