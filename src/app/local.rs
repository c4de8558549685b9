//! The local command: evaluates an event like the Lambda handler, and prints instead of sending; a
//! CloudFormation hook request gets the answer the hook would give (parameters from
//! `HOOK_RULE_PARAMETERS`, as in the function).

use std::fmt;
use std::io::Read;

use serde_json::{json, Value};

use crate::app::alerts::AlertSettings;
use crate::app::delivery::Mode;
use crate::app::hook::{answer_hook, PARAMETERS_VARIABLE};
use crate::app::invoke;
use crate::aws::sdk::AwsAccount;
use crate::edge::hook::hook_payload;
use crate::error::RuleError;
use crate::logging;
use crate::rule::checks::{check_of, plain, Finding, InPlace};
use crate::rule::time::Timestamp;

/// Why the local command printed no evaluation.
#[derive(Debug)]
pub enum LocalError {
    Read {
        path: String,
        source: std::io::Error,
    },
    Rule(RuleError),
}

impl LocalError {
    pub fn exit_status(&self) -> u8 {
        match self {
            LocalError::Read { .. } => crate::error::exit::USAGE_OR_UNREADABLE_INPUT,
            LocalError::Rule(error) => error.exit_status(),
        }
    }
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalError::Read { path, source } => write!(f, "cannot read {path}: {source}"),
            LocalError::Rule(error) => write!(f, "{}: {}", error.error_type(), error.message()),
        }
    }
}

impl std::error::Error for LocalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LocalError::Read { source, .. } => Some(source),
            LocalError::Rule(error) => Some(error),
        }
    }
}

/// The evaluations the event at `path` (`-` for stdin) gives, as PutEvaluations-shaped JSON; with
/// `explain`, each also with its findings, the check that found each, and the fix.
pub async fn evaluate_file(path: &str, explain: bool) -> Result<String, LocalError> {
    logging::init_local();
    let text = read_input(path).map_err(|source| LocalError::Read {
        path: path.to_owned(),
        source,
    })?;
    if let Some(payload) = hook_payload(&text) {
        let parameters = std::env::var(PARAMETERS_VARIABLE).ok();
        let response = answer_hook(
            &AwsAccount::default(),
            &payload,
            parameters.as_deref(),
            Timestamp::now(),
        )
        .await;
        return Ok(serde_json::to_string_pretty(&response).unwrap_or_default());
    }
    let outcome = invoke(
        &AwsAccount::default(),
        &text,
        None,
        Mode::Collect,
        &AlertSettings::default(),
        Timestamp::now(),
    )
    .await
    .map_err(LocalError::Rule)?;
    let printed: Vec<Value> = outcome
        .evaluations
        .iter()
        .map(|(evaluation, findings)| {
            let mut value = serde_json::to_value(evaluation).unwrap_or_default();
            if let (true, Some(object)) = (explain, value.as_object_mut()) {
                object.insert("Findings".into(), explained(findings));
            }
            value
        })
        .collect();
    Ok(serde_json::to_string_pretty(&printed).unwrap_or_default())
}

/// Each finding with the check that found it and that check's fix.
fn explained(findings: &[Finding]) -> Value {
    findings
        .iter()
        .map(|finding| {
            let check = check_of(finding);
            let fix = &check.remediation;
            let in_place = match fix.in_place {
                InPlace::Command(command) => json!({ "command": command }),
                InPlace::NotPossible(why) => json!({ "notPossible": plain(why) }),
            };
            json!({
                "check": check.name,
                "finding": finding.to_string(),
                "fix": {
                    "inPlace": in_place,
                    "cloudFormation": plain(fix.cloudformation),
                    "terraform": plain(fix.terraform),
                },
            })
        })
        .collect()
}

fn read_input(path: &str) -> std::io::Result<String> {
    let mut text = String::new();
    if path == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(path)?;
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn an_error_keeps_its_cause() {
        let read = LocalError::Read {
            path: "event.json".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        };
        assert_eq!(read.to_string(), "cannot read event.json: no such file");
        assert_eq!(read.source().unwrap().to_string(), "no such file");
        let rule = LocalError::Rule(RuleError::InvalidEvent("no resultToken".into()));
        assert!(rule
            .source()
            .unwrap()
            .to_string()
            .contains("no resultToken"));
    }
}
