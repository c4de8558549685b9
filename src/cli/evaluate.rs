//! `msk-mtls-rule evaluate --event FILE`: evaluates an event like the Lambda function and prints
//! the evaluations instead of sending them; a CloudFormation hook request gets the answer the hook
//! would give (parameters from `HOOK_RULE_PARAMETERS`, as in the function).
//!
//! It exits 0 whatever the verdicts: it shows what the function would send, as the function
//! succeeds whatever it finds; gating on verdicts is `check`'s and `audit`'s job. An event it cannot
//! use is 2, an AWS call it could not make 3.

use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Value};

use crate::alerts::settings::AlertSettings;
use crate::app::delivery::{DoorUsersLookup, Mode};
use crate::app::hook::{answer_hook, PARAMETERS_VARIABLE};
use crate::app::invoke;
use crate::aws::sdk::AwsAccount;
use crate::cli::parameters::read_input;
use crate::edge::hook::hook_payload;
use crate::error::{exit, RuleError};
use crate::logging;
use crate::rule::checks::{plain, Finding, InPlace};
use crate::rule::time::Timestamp;

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A Config rule event or a CloudFormation hook request (JSON); `-` reads standard input
    #[arg(long, value_name = "FILE")]
    event: String,
    /// With each finding, the check that found it and its fix
    #[arg(long)]
    explain: bool,
    /// Name nobody who uses an open door: no MSK Connect, MSK Replicator or VPC connection
    /// listing is made (the offline samples)
    #[arg(long)]
    skip_door_users: bool,
}

pub async fn run(args: EvaluateArgs) -> ExitCode {
    logging::init_local();
    let text = match read_input(&args.event) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("msk-mtls-rule: cannot read {}: {error}", args.event);
            return ExitCode::from(exit::USAGE_OR_UNREADABLE_INPUT);
        }
    };
    let door_users = if args.skip_door_users {
        DoorUsersLookup::Skipped
    } else {
        DoorUsersLookup::Named
    };
    match evaluate(&text, args.explain, door_users).await {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("msk-mtls-rule: {}: {}", error.error_type(), error.message());
            ExitCode::from(error.exit_status())
        }
    }
}

/// The evaluations the event gives, as PutEvaluations-shaped JSON; with `explain`, each also with
/// its findings, the check that found each, and the fix.
async fn evaluate(
    text: &str,
    explain: bool,
    door_users: DoorUsersLookup,
) -> Result<String, RuleError> {
    let aws = AwsAccount::default();
    if let Some(payload) = hook_payload(text) {
        let parameters = std::env::var(PARAMETERS_VARIABLE).ok();
        let response = answer_hook(&aws, &payload, parameters.as_deref(), Timestamp::now()).await;
        return Ok(serde_json::to_string_pretty(&response).unwrap_or_default());
    }
    let outcome = invoke(
        &aws,
        text,
        None,
        Mode::Collect(door_users),
        &AlertSettings {
            region: std::env::var("AWS_REGION").unwrap_or_default(),
            ..AlertSettings::default()
        },
        Timestamp::now(),
    )
    .await?;
    let printed: Vec<Value> = outcome
        .evaluations
        .iter()
        .map(|judgement| {
            let mut value = serde_json::to_value(&judgement.evaluation).unwrap_or_default();
            if let (true, Some(object)) = (explain, value.as_object_mut()) {
                object.insert("Findings".into(), explained(&judgement.findings));
                if !judgement.notes.is_empty() {
                    object.insert("Notes".into(), explained(&judgement.notes));
                }
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
            let check = finding.check();
            let fix = &check.remediation;
            let in_place = match fix.in_place {
                InPlace::Command(command) => json!({ "command": command }),
                InPlace::NotPossible(why) => json!({ "notPossible": plain(why) }),
                InPlace::AfterFirst { first, command } => {
                    json!({ "first": plain(first), "command": command })
                }
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
