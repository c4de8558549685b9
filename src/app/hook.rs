//! The CloudFormation Lambda hook: the rule's verdict on a cluster before it exists. Create and
//! update are judged from the proposed properties, with the rule's parameters (the function's
//! `HOOK_RULE_PARAMETERS`, set from the template's) and the CA check; delete always passes. The answer
//! is SUCCESS, FAILED with `NonCompliant` naming every failed check, or FAILED with
//! `InternalFailure` when the request cannot be judged: never a pass for what could not be read.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::evaluate::{Evaluator, Stage};
use crate::aws::ports::{Account, Stacks};
use crate::edge::configuration::read_facts;
use crate::edge::hook::{read_hook_request, token_of, HookOperation, HookRequest};
use crate::edge::json::Json;
use crate::error::RuleError;
use crate::rule::applicability::{Presence, Subject};
use crate::rule::ca::CaTrust;
use crate::rule::checks::Finding;
use crate::rule::evaluation::{join_within, ComplianceType, ResourceType};
use crate::rule::facts::Cluster;
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::Judgement;

/// Cloud Control cuts a hook's message at 1,024 characters (CloudFormation at 4,096): the smaller
/// fits both.
pub const HOOK_MESSAGE_MAX_CHARS: usize = 1024;

/// How long the stack's tags are waited for, within the 25 s the hook gives itself: a stack that
/// cannot be read in time is judged as unread, never passed.
pub const STACK_READ_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// Where the hook's function reads the rule's parameters (a hook has none of its own).
pub const PARAMETERS_VARIABLE: &str = "HOOK_RULE_PARAMETERS";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookStatus {
    Success,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HookErrorCode {
    NonCompliant,
    InternalFailure,
}

/// The hook's answer, with the Hooks guide's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookResponse {
    pub hook_status: HookStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<HookErrorCode>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

impl HookResponse {
    fn success(token: Option<String>, message: String) -> Self {
        HookResponse {
            hook_status: HookStatus::Success,
            error_code: None,
            message: cut(&message),
            client_request_token: token,
        }
    }

    fn failed(token: Option<String>, code: HookErrorCode, message: String) -> Self {
        HookResponse {
            hook_status: HookStatus::Failed,
            error_code: Some(code),
            message: cut(&message),
            client_request_token: token,
        }
    }

    /// The answer when judging failed (an unreadable request or parameter, an AWS error, the
    /// deadline): FAILED with InternalFailure, naming the problem.
    pub fn internal_failure(token: Option<String>, problem: &str) -> Self {
        Self::failed(
            token,
            HookErrorCode::InternalFailure,
            format!("msk-mtls-rule could not judge the request: {problem}"),
        )
    }
}

fn cut(message: &str) -> String {
    join_within(&[message.to_owned()], HOOK_MESSAGE_MAX_CHARS).unwrap_or_default()
}

/// Answers one hook request (`payload`, already parsed) with the rule's parameters in
/// `parameters` (JSON, as a Config rule's `InputParameters`).
pub async fn answer_hook<A: Account + Stacks>(
    account: &A,
    payload: &Json,
    parameters: Option<&str>,
    now: Timestamp,
) -> HookResponse {
    let token = token_of(payload);
    let request = match read_hook_request(payload) {
        Ok(request) => request,
        Err(problem) => return HookResponse::internal_failure(token, &problem),
    };
    let params = match RuleParams::parse(parameters) {
        Ok(params) => params,
        Err(error) => {
            return HookResponse::internal_failure(
                token,
                &format!("{PARAMETERS_VARIABLE}: {}", error.message()),
            )
        }
    };
    match judge(account, &request, &params, now).await {
        Ok(response) => response,
        Err(error) => {
            HookResponse::internal_failure(request.client_request_token, &error.message())
        }
    }
}

/// What is known of the tags the stack gives the cluster.
enum StackTags {
    /// No stack to read (Cloud Control), or no tag parameter that needs it.
    NoStack,
    Read(BTreeMap<String, String>),
    /// The read failed or ran out of time: why.
    Unread(String),
}

async fn stack_tags<A: Stacks>(account: &A, request: &HookRequest) -> StackTags {
    let Some(stack_id) = &request.stack_id else {
        return StackTags::NoStack;
    };
    match tokio::time::timeout(STACK_READ_BUDGET, account.stack_tags(stack_id)).await {
        Ok(Ok(tags)) => StackTags::Read(tags),
        Ok(Err(error)) => StackTags::Unread(error.message()),
        Err(_) => StackTags::Unread(format!(
            "DescribeStacks did not answer within {} s",
            STACK_READ_BUDGET.as_secs()
        )),
    }
}

async fn judge<A: Account + Stacks>(
    account: &A,
    request: &HookRequest,
    params: &RuleParams,
    now: Timestamp,
) -> Result<HookResponse, RuleError> {
    let token = request.client_request_token.clone();
    let subject_name = format!("{} ({})", request.logical_id, request.resource_type);
    // The hook's TargetFilters send MSK clusters only: anything else is a surprise, never a pass.
    if !request.resource_type.is_msk_cluster() {
        return Ok(HookResponse::internal_failure(
            token,
            &format!(
                "{} arrived, but this hook judges AWS::MSK::Cluster and AWS::MSK::ServerlessCluster only: check the hook's TargetFilters",
                request.resource_type
            ),
        ));
    }
    if request.operation == HookOperation::Delete {
        return Ok(HookResponse::success(
            token,
            format!("{subject_name}: a delete closes every door"),
        ));
    }
    // Stack-level tags are not in the request: the stack is read (as AWS's own sample tag hook
    // does), and the cluster's own tags win over the stack's. A stack that cannot be read, or no
    // stack at all (Cloud Control), leaves the scope tag unknown: judged, never passed.
    let stack = if params.scope_tag.is_some() || !params.required_tag_keys.is_empty() {
        stack_tags(account, request).await
    } else {
        StackTags::NoStack
    };
    let (tags, scoped_tags) = tags_of(request, params, &stack);
    let subject = Subject {
        resource_type: &request.resource_type,
        presence: Presence::Present,
        left_scope: false,
        tags: Some(&scoped_tags),
    };
    let cluster = || match request.resource_type {
        ResourceType::MskServerlessCluster => Ok(Cluster::Serverless),
        _ => read_facts(&request.properties, tags.keys().cloned())
            .map(Cluster::Provisioned)
            .map_err(|e| RuleError::InvalidEvent(format!("resourceProperties: {e}"))),
    };
    let mut evaluator = Evaluator::judging_only(account, params, now);
    evaluator.stage = Stage::BeforeDeploy;
    // No other cluster is known before this one exists: nothing to list.
    evaluator.trust = CaTrust::before_deploy();
    let judgement = evaluator
        .judge(&subject, &request.logical_id, now, cluster)
        .await?;
    Ok(answer(token, &subject_name, judgement, &stack))
}

/// The cluster's tags (the stack's, then its own over them), and those the scope is judged by: a
/// scope tag not seen because no stack was read is assumed as deploy would set it.
fn tags_of(
    request: &HookRequest,
    params: &RuleParams,
    stack: &StackTags,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut tags = match stack {
        StackTags::Read(stack_tags) => stack_tags.clone(),
        StackTags::NoStack | StackTags::Unread(_) => BTreeMap::new(),
    };
    tags.extend(request.tags.clone());
    let scoped_tags = match (&params.scope_tag, stack) {
        (Some(scope), StackTags::NoStack | StackTags::Unread(_)) => {
            scope.assumed_before_deploy(&tags)
        }
        _ => tags.clone(),
    };
    (tags, scoped_tags)
}

/// The hook's answer to a judged cluster: FAILED with every reason, or SUCCESS; a required tag
/// that only an unread stack could carry is a warning, said as such.
fn answer(
    token: Option<String>,
    subject_name: &str,
    judgement: Judgement,
    stack: &StackTags,
) -> HookResponse {
    let Judgement {
        evaluation,
        findings,
        notes,
    } = judgement;
    // A required tag missing from the cluster's own tags may come from a stack that could not be
    // read: a warning, said as such; with the stack read, or with no stack, it is missing.
    let (warnings, failures): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|finding| {
            matches!(finding, Finding::MissingTag(_)) && matches!(stack, StackTags::Unread(_))
        });
    let warned = |message: String| {
        let StackTags::Unread(why) = &stack else {
            return message;
        };
        if warnings.is_empty() {
            return message;
        }
        let tags: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        format!(
            "{message}; warning, not judged: {} in the cluster's own tags, and the stack's tags, which may carry it, could not be read ({why})",
            tags.join(", ")
        )
    };
    match evaluation.compliance {
        ComplianceType::NonCompliant if !failures.is_empty() => {
            let reasons: Vec<String> = failures.iter().map(ToString::to_string).collect();
            let prefix = format!("{subject_name} does not enforce mutual TLS: ");
            let room = HOOK_MESSAGE_MAX_CHARS
                .saturating_sub(prefix.chars().count())
                .max(64);
            let named = join_within(&reasons, room).unwrap_or_default();
            HookResponse::failed(
                token,
                HookErrorCode::NonCompliant,
                warned(format!("{prefix}{named}")),
            )
        }
        ComplianceType::Compliant | ComplianceType::NonCompliant => {
            let notes: Vec<String> = notes.iter().map(|note| format!("; note: {note}")).collect();
            HookResponse::success(
                token,
                warned(format!("{subject_name} enforces mutual TLS")) + &notes.concat(),
            )
        }
        ComplianceType::NotApplicable => HookResponse::success(
            token,
            format!(
                "{subject_name} is not judged: {}",
                evaluation.annotation.unwrap_or_default()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_has_the_hooks_field_names_and_fits_cloud_controls_limit() {
        let failed =
            HookResponse::failed(Some("t".into()), HookErrorCode::NonCompliant, "no".into());
        assert_eq!(
            serde_json::to_value(&failed).unwrap(),
            serde_json::json!({"hookStatus": "FAILED", "errorCode": "NonCompliant", "message": "no", "clientRequestToken": "t"})
        );
        let long = HookResponse::internal_failure(None, &"x".repeat(5000));
        let value = serde_json::to_value(&long).unwrap();
        assert_eq!(value["errorCode"], "InternalFailure");
        assert!(
            value.get("clientRequestToken").is_none(),
            "no token read, none invented"
        );
        assert_eq!(long.message.chars().count(), HOOK_MESSAGE_MAX_CHARS);
        let success = HookResponse::success(None, "ok".into());
        assert_eq!(
            serde_json::to_value(&success).unwrap(),
            serde_json::json!({"hookStatus": "SUCCESS", "message": "ok"})
        );
    }
}
