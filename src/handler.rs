//! From a Config event to evaluations sent: parameters first, then the message type, then the
//! verdict for each resource, then PutEvaluations in batches with FailedEvaluations retried.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::time::Duration;

use aws_sdk_config::primitives::DateTime;
use serde::Serialize;
use serde_json::Value;

use crate::cluster::{Cluster, ClusterFacts};
use crate::error::RuleError;
use crate::evaluation::{annotation, rfc3339, ComplianceType, Evaluation};
use crate::event::{ConfigRuleEvent, ConfigurationItem, ItemStatus, Notification, ResultToken};
use crate::event::{MSK_CLUSTER, MSK_SERVERLESS_CLUSTER};
use crate::params::RuleParams;
use crate::ports::{
    CertificateAuthorities, ClusterInventory, ConfigHistory, EvaluationSink, StoredResults,
};
use crate::verdict::{evaluate, CaHealthReport};

/// PutEvaluations accepts at most 100 evaluations a call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;
/// Attempts at delivering evaluations that Config reported in `FailedEvaluations`.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 3;
const DELIVERY_BACKOFF: Duration = Duration::from_millis(100);
/// GetComplianceDetailsByConfigRule takes a rule name of at most 64 characters, although Config
/// lets a rule be named with up to 128.
pub const MAX_RULE_NAME_CHARS: usize = 64;

/// Where evaluations go as they are made: batched to Config by the Lambda handler, collected by
/// the local command.
pub trait EvaluationOutput {
    fn push(
        &mut self,
        evaluation: Evaluation,
    ) -> impl Future<Output = Result<(), RuleError>> + Send;
}

impl EvaluationOutput for Vec<Evaluation> {
    async fn push(&mut self, evaluation: Evaluation) -> Result<(), RuleError> {
        Vec::push(self, evaluation);
        Ok(())
    }
}

/// Turns events into evaluations: `history` serves oversized items, `authorities` CA health, and
/// `fleet` the cluster listing and stored results of a periodic sweep.
pub struct Evaluator<H, C, F> {
    history: H,
    authorities: C,
    fleet: F,
    now: fn() -> DateTime,
}

impl<H, C, F> Evaluator<H, C, F>
where
    H: ConfigHistory + Sync,
    C: CertificateAuthorities + Sync,
    F: ClusterInventory + StoredResults + Sync,
{
    pub fn new(history: H, authorities: C, fleet: F) -> Self {
        Evaluator {
            history,
            authorities,
            fleet,
            now: || DateTime::from(std::time::SystemTime::now()),
        }
    }

    /// Fixes the clock that CA expiry is measured from (tests).
    pub fn with_clock(mut self, now: fn() -> DateTime) -> Self {
        self.now = now;
        self
    }

    /// Evaluates the event's resources into `out`; returns the health of the CAs it looked up.
    pub async fn run<O: EvaluationOutput + Send>(
        &self,
        event: &ConfigRuleEvent,
        params: &RuleParams,
        out: &mut O,
    ) -> Result<CaHealthReport, RuleError> {
        let mut cas = CaHealthReport::new();
        self.run_with(event, params, &mut cas, out).await?;
        Ok(cas)
    }

    async fn run_with<O: EvaluationOutput + Send>(
        &self,
        event: &ConfigRuleEvent,
        params: &RuleParams,
        cas: &mut CaHealthReport,
        out: &mut O,
    ) -> Result<(), RuleError> {
        match &event.notification {
            Notification::Change(item) => {
                out.push(
                    self.evaluate_item(item, event.event_left_scope, params, cas)
                        .await?,
                )
                .await
            }
            Notification::Oversized(summary) => {
                if let Some(reason) = not_applicable_reason(summary, event.event_left_scope) {
                    return out
                        .push(not_applicable(
                            &summary.resource_type,
                            &summary.resource_id,
                            summary.capture_time,
                            reason,
                        ))
                        .await;
                }
                let item = self
                    .history
                    .latest_item(
                        &summary.resource_type,
                        &summary.resource_id,
                        summary.capture_time,
                    )
                    .await?;
                if (item.resource_type.as_str(), item.resource_id.as_str())
                    != (summary.resource_type.as_str(), summary.resource_id.as_str())
                {
                    return Err(RuleError::aws(
                        "GetResourceConfigHistory",
                        format!(
                            "answered for {} {} instead of {} {}",
                            item.resource_type,
                            item.resource_id,
                            summary.resource_type,
                            summary.resource_id
                        ),
                    ));
                }
                // Only the item the notification is about may be judged: an older one may hold the
                // settings the change just removed. Failing lets Lambda retry the event, by when
                // Config has recorded the item.
                if to_millis(item.capture_time) != to_millis(summary.capture_time) {
                    return Err(RuleError::aws(
                        "GetResourceConfigHistory",
                        format!(
                            "the newest item of {} recorded at or before {} was captured at {}, not \
                             at the notification's time: the item it is about is not readable yet",
                            summary.resource_id,
                            rfc3339(&summary.capture_time),
                            rfc3339(&item.capture_time)
                        ),
                    ));
                }
                let evaluation = self
                    .evaluate_item(&item, event.event_left_scope, params, cas)
                    .await
                    .map_err(|error| match error {
                        RuleError::InvalidEvent(message) => {
                            RuleError::aws("GetResourceConfigHistory", message)
                        }
                        other => other,
                    })?;
                out.push(evaluation).await
            }
            Notification::Scheduled {
                notification_creation_time,
            } => {
                let rule_name = event.config_rule_name.as_deref().ok_or_else(|| {
                    RuleError::InvalidEvent(
                        "configRuleName is missing: a sweep needs it to find stale results".into(),
                    )
                })?;
                if rule_name.chars().count() > MAX_RULE_NAME_CHARS {
                    return Err(RuleError::InvalidEvent(format!(
                        "configRuleName {rule_name:?} has {} characters: GetComplianceDetailsByConfigRule, \
                         which the sweep needs to find stale results, takes at most {MAX_RULE_NAME_CHARS}; \
                         rename the rule",
                        rule_name.chars().count()
                    )));
                }
                self.sweep(rule_name, *notification_creation_time, params, cas, out)
                    .await
            }
        }
    }

    /// Evaluates every cluster of the account and region, page by page, then gives NOT_APPLICABLE
    /// to the results this rule held for clusters that no longer exist. The held results are read
    /// first, so the sweep's own new results are never read back.
    async fn sweep<O: EvaluationOutput + Send>(
        &self,
        rule_name: &str,
        ordering_timestamp: DateTime,
        params: &RuleParams,
        cas: &mut CaHealthReport,
        out: &mut O,
    ) -> Result<(), RuleError> {
        let mut unseen = BTreeMap::new(); // resource id -> resource type, of held results
        let mut pages = Pager::new("GetComplianceDetailsByConfigRule");
        loop {
            let page = self
                .fleet
                .evaluated_resources(rule_name, pages.token())
                .await?;
            for (resource_type, resource_id) in page.items {
                if resource_type == MSK_CLUSTER || resource_type == MSK_SERVERLESS_CLUSTER {
                    unseen.insert(resource_id, resource_type);
                }
            }
            if !pages.advance(page.next_token)? {
                break;
            }
        }
        let mut evaluated = HashSet::new();
        let mut pages = Pager::new("ListClustersV2");
        loop {
            let page = self.fleet.list_clusters(pages.token()).await?;
            for cluster in page.items {
                // A listing that shifts between pages can list a cluster twice: judged once.
                if !evaluated.insert(cluster.arn.clone()) {
                    tracing::warn!(resource_id = %cluster.arn, "ListClustersV2 listed a cluster twice; evaluated once");
                    continue;
                }
                let evaluation = match outside_tag_scope(&cluster.tags, params) {
                    Some(reason) => not_applicable(
                        cluster.resource_type,
                        &cluster.arn,
                        ordering_timestamp,
                        reason,
                    ),
                    None => {
                        self.evaluate_cluster(
                            cluster.resource_type,
                            &cluster.arn,
                            &cluster.cluster,
                            params,
                            ordering_timestamp,
                            cas,
                        )
                        .await?
                    }
                };
                unseen.remove(&cluster.arn);
                out.push(evaluation).await?;
            }
            if !pages.advance(page.next_token)? {
                break;
            }
        }
        for (resource_id, resource_type) in unseen {
            let reason = "the cluster no longer exists".to_owned();
            out.push(not_applicable(
                &resource_type,
                &resource_id,
                ordering_timestamp,
                reason,
            ))
            .await?;
        }
        Ok(())
    }

    async fn evaluate_item(
        &self,
        item: &ConfigurationItem,
        event_left_scope: bool,
        params: &RuleParams,
        cas: &mut CaHealthReport,
    ) -> Result<Evaluation, RuleError> {
        let reason = not_applicable_reason(item, event_left_scope)
            .or_else(|| outside_tag_scope(&item.tags, params));
        if let Some(reason) = reason {
            return Ok(not_applicable(
                &item.resource_type,
                &item.resource_id,
                item.capture_time,
                reason,
            ));
        }
        let cluster = cluster_from_item(item)?;
        self.evaluate_cluster(
            &item.resource_type,
            &item.resource_id,
            &cluster,
            params,
            item.capture_time,
            cas,
        )
        .await
    }

    async fn evaluate_cluster(
        &self,
        resource_type: &str,
        resource_id: &str,
        cluster: &Cluster,
        params: &RuleParams,
        ordering_timestamp: DateTime,
        cas: &mut CaHealthReport,
    ) -> Result<Evaluation, RuleError> {
        self.look_up_cas(cluster, params, cas).await?;
        let verdict = evaluate(cluster, params, cas, (self.now)());
        Ok(Evaluation {
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_owned(),
            compliance: verdict.compliance,
            annotation: verdict.annotation(),
            ordering_timestamp,
        })
    }

    /// Adds the health of the cluster's CAs to the invocation's report, looking up each CA once
    /// per invocation, and only when the rule checks CAs.
    async fn look_up_cas(
        &self,
        cluster: &Cluster,
        params: &RuleParams,
        cas: &mut CaHealthReport,
    ) -> Result<(), RuleError> {
        let Cluster::Provisioned(facts) = cluster else {
            return Ok(());
        };
        if !params.check_certificate_authority_status {
            return Ok(());
        }
        for arn in &facts.certificate_authority_arns {
            if !cas.contains_key(arn) {
                cas.insert(arn.clone(), self.authorities.health(arn).await?);
            }
        }
        Ok(())
    }
}

/// The tokens of one listing. A token seen before in the same listing (not only the last one)
/// would page in a cycle, sending the same evaluations again until the deadline: it is an error
/// that names the API.
pub struct Pager {
    operation: &'static str,
    current: Option<String>,
    seen: BTreeSet<String>,
}

impl Pager {
    pub fn new(operation: &'static str) -> Self {
        Pager {
            operation,
            current: None,
            seen: BTreeSet::new(),
        }
    }

    /// The token to ask the next page with (`None` for the first).
    pub fn token(&self) -> Option<String> {
        self.current.clone()
    }

    /// Takes a page's `nextToken`: `Ok(false)` when the listing is done.
    pub fn advance(&mut self, next: Option<String>) -> Result<bool, RuleError> {
        match next {
            None => Ok(false),
            Some(next) if next.is_empty() => Ok(false),
            Some(next) if !self.seen.insert(next.clone()) => Err(RuleError::aws(
                self.operation,
                format!(
                    "nextToken {next:?} came back after {} pages: the listing pages in a cycle",
                    self.seen.len() + 1
                ),
            )),
            Some(next) => {
                self.current = Some(next);
                Ok(true)
            }
        }
    }
}

/// A time to the nearest millisecond: Config writes capture times with milliseconds, and
/// GetResourceConfigHistory answers them as epoch seconds in a double (`…11.636` reads back as
/// `…11.635999…`).
fn to_millis(time: DateTime) -> i64 {
    time.secs() * 1_000 + i64::from((time.subsec_nanos() + 500_000) / 1_000_000)
}

/// Why an item gets NOT_APPLICABLE before its configuration is even read, if it does.
pub fn not_applicable_reason(item: &ConfigurationItem, event_left_scope: bool) -> Option<String> {
    if event_left_scope {
        return Some("the resource is no longer in the rule's scope".to_owned());
    }
    match item.status {
        ItemStatus::ResourceDeleted | ItemStatus::ResourceDeletedNotRecorded => {
            return Some("the cluster was deleted".to_owned())
        }
        ItemStatus::ResourceNotRecorded => {
            return Some("Config does not record this resource".to_owned())
        }
        ItemStatus::Ok | ItemStatus::ResourceDiscovered => {}
    }
    if item.resource_type != MSK_CLUSTER && item.resource_type != MSK_SERVERLESS_CLUSTER {
        return Some(format!("{} is not an MSK cluster", item.resource_type));
    }
    None
}

/// Why a cluster is outside the `scopeTagKey`/`scopeTagValue` scope, if it is. A change event
/// arrives only for clusters in the Config rule's scope; the sweep lists them all.
fn outside_tag_scope(tags: &BTreeMap<String, String>, params: &RuleParams) -> Option<String> {
    let scope = params.scope_tag.as_ref()?;
    (!scope.admits(tags)).then(|| format!("the cluster is outside the rule's scope ({scope})"))
}

fn not_applicable(
    resource_type: &str,
    resource_id: &str,
    ordering_timestamp: DateTime,
    reason: String,
) -> Evaluation {
    Evaluation {
        resource_type: resource_type.to_owned(),
        resource_id: resource_id.to_owned(),
        compliance: ComplianceType::NotApplicable,
        annotation: annotation(&[reason]),
        ordering_timestamp,
    }
}

fn cluster_from_item(item: &ConfigurationItem) -> Result<Cluster, RuleError> {
    if item.resource_type == MSK_SERVERLESS_CLUSTER {
        return Ok(Cluster::Serverless);
    }
    let configuration = item.configuration.as_ref().ok_or_else(|| {
        RuleError::InvalidEvent(format!(
            "configurationItem.configuration is missing for {} (status {})",
            item.resource_id,
            item.status.as_str()
        ))
    })?;
    let facts = ClusterFacts::from_configuration(configuration, item.tags.keys().cloned())
        .map_err(|e| RuleError::InvalidEvent(format!("configurationItem.{e}")))?;
    Ok(Cluster::Provisioned(facts))
}

/// Sends evaluations in batches of 100. Evaluations Config reports in `FailedEvaluations` are sent
/// again; if they still fail, the invocation fails: an evaluation is never dropped silently.
pub async fn send_evaluations<S: EvaluationSink>(
    sink: &S,
    token: &ResultToken,
    evaluations: &[Evaluation],
) -> Result<(), RuleError> {
    for batch in evaluations.chunks(MAX_EVALUATIONS_PER_CALL) {
        let mut pending = batch.to_vec();
        let mut attempt = 1;
        loop {
            let failed = sink.put_evaluations(token, &pending).await?;
            if failed.is_empty() {
                break;
            }
            pending.retain(|evaluation| {
                failed
                    .iter()
                    .any(|(kind, id)| evaluation.key() == (kind.as_str(), id.as_str()))
            });
            if pending.is_empty() || attempt >= MAX_DELIVERY_ATTEMPTS {
                let (kind, id) = &failed[0];
                return Err(RuleError::EvaluationsRejected {
                    count: failed.len(),
                    attempts: attempt,
                    first: format!("{kind} {id}"),
                });
            }
            tokio::time::sleep(DELIVERY_BACKOFF * attempt).await;
            attempt += 1;
        }
    }
    Ok(())
}

/// What an invocation returns to Lambda: counts, so a test or an operator sees what was sent.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationSummary {
    pub evaluations: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
    /// Whole days until the soonest expiry among the active CAs looked up, if any was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_days_to_expiry: Option<i64>,
}

impl InvocationSummary {
    pub fn count(&mut self, evaluation: &Evaluation) {
        self.evaluations += 1;
        match evaluation.compliance {
            ComplianceType::Compliant => self.compliant += 1,
            ComplianceType::NonCompliant => self.non_compliant += 1,
            ComplianceType::NotApplicable => self.not_applicable += 1,
        }
    }
}

/// Sends evaluations to Config as they come, 100 a call, so a sweep's memory does not grow with
/// the number of clusters; logs one line per evaluation.
pub struct Batcher<'a, S> {
    sink: &'a S,
    token: &'a ResultToken,
    pending: Vec<Evaluation>,
    summary: InvocationSummary,
}

impl<'a, S: EvaluationSink + Sync> Batcher<'a, S> {
    pub fn new(sink: &'a S, token: &'a ResultToken) -> Self {
        Batcher {
            sink,
            token,
            pending: Vec::with_capacity(MAX_EVALUATIONS_PER_CALL),
            summary: InvocationSummary::default(),
        }
    }

    /// Sends what is left and returns the counts.
    pub async fn finish(mut self) -> Result<InvocationSummary, RuleError> {
        self.flush().await?;
        Ok(self.summary)
    }

    async fn flush(&mut self) -> Result<(), RuleError> {
        send_evaluations(self.sink, self.token, &self.pending).await?;
        self.pending.clear();
        Ok(())
    }
}

impl<S: EvaluationSink + Sync> EvaluationOutput for Batcher<'_, S> {
    async fn push(&mut self, evaluation: Evaluation) -> Result<(), RuleError> {
        tracing::info!(
            resource_type = %evaluation.resource_type,
            resource_id = %evaluation.resource_id,
            compliance = evaluation.compliance.as_str(),
            annotation = evaluation.annotation.as_deref().unwrap_or(""),
            "evaluated"
        );
        self.summary.count(&evaluation);
        self.pending.push(evaluation);
        if self.pending.len() == MAX_EVALUATIONS_PER_CALL {
            self.flush().await?;
        }
        Ok(())
    }
}

/// One Lambda invocation with the ports given: parse the event and its parameters, evaluate, send.
/// (With `executionRoleName`, the caller passes ports for the role: see `execution_role_arn`.)
pub async fn handle_event<H, C, F, S>(
    evaluator: &Evaluator<H, C, F>,
    sink: &S,
    event: Value,
) -> Result<InvocationSummary, RuleError>
where
    H: ConfigHistory + Sync,
    C: CertificateAuthorities + Sync,
    F: ClusterInventory + StoredResults + Sync,
    S: EvaluationSink + Sync,
{
    let (event, params) = parse_invocation(&event.to_string())?;
    handle_parsed(evaluator, sink, &event, &params).await
}

/// The event and its rule parameters, both checked before anything is evaluated.
pub fn parse_invocation(event: &str) -> Result<(ConfigRuleEvent, RuleParams), RuleError> {
    let event = ConfigRuleEvent::from_text(event)?;
    let params = RuleParams::parse(event.rule_parameters.as_deref())?;
    Ok((event, params))
}

pub async fn handle_parsed<H, C, F, S>(
    evaluator: &Evaluator<H, C, F>,
    sink: &S,
    event: &ConfigRuleEvent,
    params: &RuleParams,
) -> Result<InvocationSummary, RuleError>
where
    H: ConfigHistory + Sync,
    C: CertificateAuthorities + Sync,
    F: ClusterInventory + StoredResults + Sync,
    S: EvaluationSink + Sync,
{
    let mut out = Batcher::new(sink, &event.result_token);
    let cas = evaluator.run(event, params, &mut out).await?;
    let mut summary = out.finish().await?;
    summary.ca_days_to_expiry = soonest_expiry_days(&cas, (evaluator.now)());
    Ok(summary)
}

fn soonest_expiry_days(cas: &CaHealthReport, now: DateTime) -> Option<i64> {
    cas.values()
        .filter_map(|health| health.days_to_expiry(now))
        .min()
}

/// Whose credentials evaluate an event's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAccess {
    /// The function's own.
    Own,
    /// A role assumed in the event's account: `arn:<partition of the rule>:iam::<account>:role/<name>`.
    Role(String),
}

/// Decides, before any AWS call, whose credentials evaluate the event. `own_account` is the account
/// the function runs in, when known (in Lambda, from the invoked function's ARN).
///
/// - An event from the function's own account is evaluated with its own credentials, also in an
///   organization roll-out: service-managed StackSets never create the member role in the
///   management account.
/// - With `executionRoleName`, any other account is evaluated through that role (which IAM lets the
///   function assume only in the organization's accounts).
/// - Without it, an event from another account is refused: Config in an account the function does
///   not serve gets nothing done with it.
pub fn account_access(
    event: &ConfigRuleEvent,
    params: &RuleParams,
    own_account: Option<&str>,
) -> Result<AccountAccess, RuleError> {
    let account = event
        .account_id
        .as_deref()
        .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let Some(name) = &params.execution_role_name else {
        return match (own_account, account) {
            (None, _) => Ok(AccountAccess::Own),
            (Some(own), Some(account)) if own == account => Ok(AccountAccess::Own),
            (Some(own), _) => Err(RuleError::InvalidEvent(format!(
                "the event is for account {}, but the function runs in account {own} and no \
                 executionRoleName is set: refused before any AWS call",
                event.account_id.as_deref().unwrap_or("(none)")
            ))),
        };
    };
    let account = account.ok_or_else(|| {
        RuleError::InvalidEvent("executionRoleName needs the event's 12-digit accountId".into())
    })?;
    if own_account == Some(account) {
        return Ok(AccountAccess::Own);
    }
    let partition = event
        .config_rule_arn
        .as_deref()
        .and_then(|arn| arn.strip_prefix("arn:"))
        .and_then(|rest| rest.split(':').next())
        .filter(|partition| partition.starts_with("aws"))
        .ok_or_else(|| {
            RuleError::InvalidEvent("executionRoleName needs the event's configRuleArn".into())
        })?;
    Ok(AccountAccess::Role(format!(
        "arn:{partition}:iam::{account}:role/{name}"
    )))
}

/// The account in a Lambda function ARN (`arn:<partition>:lambda:<region>:<account>:function:...`).
pub fn account_of_function_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    let account = parts.nth(4)?;
    (arn.starts_with("arn:aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit()))
    .then_some(account)
}
