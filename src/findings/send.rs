//! Sending one account-region's findings to Security Hub: those already there are found first, so
//! each check's finding is updated in place (keeping when it was first made), a cluster that is
//! gone has its findings archived, and a check no longer judged on a cluster still there reads
//! NOT_AVAILABLE. Then BatchImportFindings in AWS's limits: at most 100 findings and 6 MB per
//! call, at most 10 calls a second, throttling backed off, and every finding it refused retried
//! once and then named, never dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, RecordState, SeverityLabel,
};

use crate::aws::ports::{HubError, RefusedFinding, SecurityHub};
use crate::findings::asff::{finding, to_json, FirstSeen};
use crate::findings::probe::{content, probed, PROBE};
use crate::findings::{generator_prefix, product_arn};
use crate::probe::ProbeReport;
use crate::rule::arn::ClusterArn;
use crate::rule::time::Timestamp;

/// BatchImportFindings' limits (Security Hub API reference).
pub const MAX_FINDINGS_PER_CALL: usize = 100;
pub const MAX_BYTES_PER_CALL: usize = 6 * 1024 * 1024;
pub const MAX_FINDING_BYTES: usize = 240 * 1024;
/// At most 10 calls a second, with a burst of 30: one call every 100 ms stays within it.
const CALL_INTERVAL: Duration = Duration::from_millis(100);
/// Backoff after the SDK's own retries are spent on a throttled call, doubled each time.
const THROTTLED_BACKOFF: Duration = Duration::from_secs(1);
const THROTTLED_TRIES: u32 = 4;

/// What became of one account-region's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent(Sent),
    /// Security Hub is not enabled there (`InvalidAccessException`): nothing was sent.
    NotEnabled,
    /// Nothing was sent: the findings already there could not be read (an update would otherwise
    /// lose when each was first made, and a gone cluster's findings would stay ACTIVE), or the
    /// account could not be reached.
    NotSent(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// Findings of this run's checks, new or updated in place.
    pub imported: usize,
    /// Findings of clusters that are gone, archived.
    pub archived: usize,
    /// Findings of checks no longer judged on a cluster still there, set NOT_AVAILABLE.
    pub not_judged: usize,
    /// Findings Security Hub did not take, by id, with why.
    pub failed: Vec<RefusedFinding>,
}

/// What became of one account-region's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubDelivery {
    pub account: String,
    pub region: String,
    pub delivery: Delivery,
}

impl HubDelivery {
    /// Whether every finding reached Security Hub.
    pub fn complete(&self) -> bool {
        matches!(&self.delivery, Delivery::Sent(sent) if sent.failed.is_empty())
    }

    /// What `command` says of it on stderr: a line for the account-region, and one per finding
    /// not sent.
    pub fn lines(&self, command: &str) -> Vec<String> {
        let at = format!(
            "msk-mtls-rule: {command}: Security Hub in account {} region {}",
            self.account, self.region
        );
        match &self.delivery {
            Delivery::NotEnabled => vec![format!("{at}: not sent (Security Hub not enabled)")],
            Delivery::NotSent(reason) => vec![format!("{at}: not sent: {reason}")],
            Delivery::Sent(sent) => {
                let total = sent.imported + sent.archived + sent.not_judged;
                let mut lines = vec![format!(
                    "{at}: {} of {total} findings taken: {} of this run (new or updated in place), {} archived (cluster gone), {} set NOT_AVAILABLE (check no longer made); {} not sent",
                    total - sent.failed.len(),
                    sent.imported,
                    sent.archived,
                    sent.not_judged,
                    sent.failed.len()
                )];
                lines.extend(sent.failed.iter().map(|failed| {
                    format!("{at}: finding {} not sent: {}", failed.id, failed.reason)
                }));
                lines
            }
        }
    }
}

/// Where the probe's findings can go: Security Hub of the caller's own account, in one region
/// (BatchImportFindings takes only the caller's own account's findings, in the region called).
#[derive(Debug, Clone, Copy)]
pub struct Here<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub region: &'a str,
}

/// The probe's findings of the clusters in `here`, sent to `hub` (Security Hub there), its earlier
/// findings of them updated in place; a cluster elsewhere is named as not sent, never dropped.
pub async fn send_probe_findings<H: SecurityHub>(
    hub: &H,
    here: Here<'_>,
    reports: &[ProbeReport],
    now: Timestamp,
) -> Vec<HubDelivery> {
    let (mut findings, mut probed_here, mut elsewhere) = (Vec::new(), BTreeSet::new(), Vec::new());
    for report in reports {
        let arn = ClusterArn::parse(&report.target);
        match &arn {
            Some(arn) if arn.account() == here.account && arn.region() == here.region => {
                findings.push(finding(&probed(arn), &content(report), now, None));
                probed_here.insert(arn.as_str().to_owned());
            }
            _ => elsewhere.push(not_here(here, &report.target, arn.as_ref())),
        }
    }
    let mut deliveries = Vec::new();
    if !findings.is_empty() {
        let product = product_arn(here.partition, here.region, here.account);
        let owned = Owned::Probe {
            clusters: &probed_here,
        };
        deliveries.push(HubDelivery {
            account: here.account.to_owned(),
            region: here.region.to_owned(),
            delivery: deliver(hub, &product, findings, owned, now).await,
        });
    }
    deliveries.extend(elsewhere);
    deliveries
}

fn not_here(here: Here, target: &str, arn: Option<&ClusterArn>) -> HubDelivery {
    let (account, region, reason) = match arn {
        Some(arn) => (
            arn.account(),
            arn.region(),
            format!(
                "{target} is in account {} region {}, the findings go to account {} region {}: BatchImportFindings takes only the caller's own account's findings, in the region called",
                arn.account(),
                arn.region(),
                here.account,
                here.region
            ),
        ),
        None => (
            here.account,
            here.region,
            format!("{target} is no cluster ARN: a finding names its cluster"),
        ),
    };
    HubDelivery {
        account: account.to_owned(),
        region: region.to_owned(),
        delivery: Delivery::NotSent(reason),
    }
}

/// The findings already there a run answers for: an audit's are the checks' on every cluster of
/// the account-region, a probe's its own on one cluster; neither touches the other's.
#[derive(Debug, Clone, Copy)]
pub enum Owned<'a> {
    /// The checks' findings; `present` holds the clusters listed there in this run.
    Checks { present: &'a BTreeSet<String> },
    /// The probe's findings of these clusters, probed in this run.
    Probe { clusters: &'a BTreeSet<String> },
}

impl Owned<'_> {
    fn owns(&self, finding: &AwsSecurityFinding) -> bool {
        let probe = format!("{}{PROBE}", generator_prefix());
        let Some(generator) = finding.generator_id.as_deref() else {
            return false;
        };
        match self {
            Owned::Checks { .. } => {
                generator.starts_with(&generator_prefix()) && generator != probe
            }
            Owned::Probe { clusters } => {
                generator == probe && resource_id(finding).is_some_and(|id| clusters.contains(id))
            }
        }
    }

    fn present(&self, cluster: &str) -> bool {
        match self {
            Owned::Checks { present } => present.contains(cluster),
            Owned::Probe { clusters } => clusters.contains(cluster),
        }
    }
}

/// The findings to import: this run's, with when each was first made carried over from the one
/// already there, and the others already there that it owns, archived (cluster gone) or set
/// NOT_AVAILABLE (cluster still there).
pub fn plan(
    current: Vec<AwsSecurityFinding>,
    existing: Vec<AwsSecurityFinding>,
    owned: Owned,
    now: Timestamp,
) -> (Vec<AwsSecurityFinding>, Sent) {
    let mut before: BTreeMap<String, AwsSecurityFinding> = existing
        .into_iter()
        .filter(|f| owned.owns(f))
        .filter(|f| f.record_state != Some(RecordState::Archived))
        .filter_map(|f| Some((f.id.clone()?, f)))
        .collect();
    let mut sent = Sent {
        imported: current.len(),
        ..Sent::default()
    };
    let mut findings: Vec<AwsSecurityFinding> = current
        .into_iter()
        .map(|mut finding| {
            let first = finding
                .id
                .as_ref()
                .and_then(|id| before.remove(id))
                .and_then(first_seen);
            if let Some(first) = first {
                finding.created_at = Some(first.created_at);
                finding.first_observed_at = Some(first.first_observed_at);
            }
            finding
        })
        .collect();
    let now = now.to_string();
    for mut left in before.into_values() {
        left.updated_at = Some(now.clone());
        if resource_id(&left).is_some_and(|id| owned.present(id)) {
            sent.not_judged += 1;
            left.compliance = Some(
                Compliance::builder()
                    .status(ComplianceStatus::NotAvailable)
                    .build(),
            );
            left.finding_provider_fields = Some(informational(left.finding_provider_fields.take()));
        } else {
            sent.archived += 1;
            left.record_state = Some(RecordState::Archived);
        }
        findings.push(left);
    }
    (findings, sent)
}

fn first_seen(finding: AwsSecurityFinding) -> Option<FirstSeen> {
    Some(FirstSeen {
        created_at: finding.created_at?,
        first_observed_at: finding.first_observed_at?,
    })
}

fn resource_id(finding: &AwsSecurityFinding) -> Option<&str> {
    finding.resources.as_ref()?.first()?.id.as_deref()
}

fn informational(fields: Option<FindingProviderFields>) -> FindingProviderFields {
    let types = fields.and_then(|f| f.types);
    FindingProviderFields::builder()
        .severity(
            FindingProviderSeverity::builder()
                .label(SeverityLabel::Informational)
                .build(),
        )
        .set_types(types)
        .build()
}

/// The findings in calls within BatchImportFindings' limits; one over 240 KB is refused here, by
/// name.
pub fn batches(
    findings: Vec<AwsSecurityFinding>,
) -> (Vec<Vec<AwsSecurityFinding>>, Vec<RefusedFinding>) {
    let (mut batches, mut too_large) = (Vec::new(), Vec::new());
    let (mut batch, mut bytes) = (Vec::new(), 0);
    for finding in findings {
        let size = to_json(&finding).to_string().len();
        if size > MAX_FINDING_BYTES {
            too_large.push(RefusedFinding {
                id: finding.id.clone().unwrap_or_default(),
                reason: format!("{size} bytes, over Security Hub's 240 KB for a finding"),
            });
            continue;
        }
        if batch.len() == MAX_FINDINGS_PER_CALL || bytes + size > MAX_BYTES_PER_CALL {
            batches.push(std::mem::take(&mut batch));
            bytes = 0;
        }
        bytes += size;
        batch.push(finding);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    (batches, too_large)
}

/// This run's findings of one account-region sent to `hub`, with those already there brought up
/// to date.
pub async fn deliver<H: SecurityHub>(
    hub: &H,
    product_arn: &str,
    current: Vec<AwsSecurityFinding>,
    owned: Owned<'_>,
    now: Timestamp,
) -> Delivery {
    let existing = match hub.active_findings(product_arn, &generator_prefix()).await {
        Ok(existing) => existing,
        Err(HubError::NotEnabled) => return Delivery::NotEnabled,
        Err(HubError::Throttled) => return Delivery::NotSent("GetFindings: throttled".into()),
        Err(HubError::Failed(error)) => return Delivery::NotSent(error.message()),
    };
    // A region that aggregates others' findings answers with theirs too: only this product's.
    let existing = existing
        .into_iter()
        .filter(|f| f.product_arn.as_deref() == Some(product_arn))
        .collect();
    let (findings, mut sent) = plan(current, existing, owned, now);
    let by_id: BTreeMap<String, AwsSecurityFinding> = findings
        .iter()
        .filter_map(|f| Some((f.id.clone()?, f.clone())))
        .collect();
    let refused = match import(hub, findings).await {
        Ok(refused) => refused,
        Err(()) => return Delivery::NotEnabled,
    };
    // Each refused finding once more, alone in its own calls; what is refused again is named.
    let again: Vec<AwsSecurityFinding> = refused
        .iter()
        .filter_map(|r| by_id.get(&r.id).cloned())
        .collect();
    let retried_ids: BTreeSet<&str> = again.iter().filter_map(|f| f.id.as_deref()).collect();
    let mut failed: Vec<RefusedFinding> = refused
        .iter()
        .filter(|r| !retried_ids.contains(r.id.as_str()))
        .cloned()
        .collect();
    if !again.is_empty() {
        match import(hub, again).await {
            Ok(still) => failed.extend(still),
            Err(()) => return Delivery::NotEnabled,
        }
    }
    failed.sort_by(|a, b| a.id.cmp(&b.id));
    sent.failed = failed;
    Delivery::Sent(sent)
}

/// Every finding in calls within the limits, paced; what was refused, each by id (a call that
/// failed whole refuses its every finding). `Err` when Security Hub turned out not enabled.
async fn import<H: SecurityHub>(
    hub: &H,
    findings: Vec<AwsSecurityFinding>,
) -> Result<Vec<RefusedFinding>, ()> {
    let (batches, mut refused) = batches(findings);
    for (n, batch) in batches.into_iter().enumerate() {
        if n > 0 {
            tokio::time::sleep(CALL_INTERVAL).await;
        }
        let ids: Vec<String> = batch
            .iter()
            .map(|f| f.id.clone().unwrap_or_default())
            .collect();
        match import_backing_off(hub, batch).await {
            Ok(batch_refused) => refused.extend(batch_refused),
            Err(HubError::NotEnabled) => return Err(()),
            Err(error) => {
                let reason = match error {
                    HubError::Failed(error) => error.message(),
                    _ => "BatchImportFindings: still throttled after backing off".to_owned(),
                };
                refused.extend(ids.into_iter().map(|id| RefusedFinding {
                    id,
                    reason: reason.clone(),
                }));
            }
        }
    }
    Ok(refused)
}

async fn import_backing_off<H: SecurityHub>(
    hub: &H,
    batch: Vec<AwsSecurityFinding>,
) -> Result<Vec<RefusedFinding>, HubError> {
    let mut wait = THROTTLED_BACKOFF;
    for _ in 1..THROTTLED_TRIES {
        match hub.import_findings(batch.clone()).await {
            Err(HubError::Throttled) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            answer => return answer,
        }
    }
    hub.import_findings(batch).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Content;
    use std::sync::Mutex;

    use crate::findings::asff::finding;
    use crate::findings::JudgedCluster;
    use crate::rule::checks::CHECKS;
    use crate::rule::outcome::{CheckOutcome, CheckStatus};

    const ACCOUNT: &str = "123456789012";
    const PRODUCT_ARN: &str =
        "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";

    fn arn(name: &str) -> String {
        format!("arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/{name}/u-1")
    }

    fn findings_of(name: &str, checks: usize, now: Timestamp) -> Vec<AwsSecurityFinding> {
        let arn = arn(name);
        let cluster = JudgedCluster {
            account: ACCOUNT,
            region: "us-east-1",
            arn: &arn,
            facts: None,
            outcomes: &[],
        };
        CHECKS[..checks]
            .iter()
            .map(|check| {
                let outcome = CheckOutcome {
                    check,
                    status: CheckStatus::Failed,
                    findings: vec!["found".into()],
                };
                finding(&cluster, &Content::of_check(&outcome), now, None)
            })
            .collect()
    }

    /// A Security Hub in memory: the findings it holds, scripted answers per call, the calls made.
    #[derive(Default)]
    struct Hub {
        held: Vec<AwsSecurityFinding>,
        not_enabled: bool,
        /// Answers to the next import calls, before the findings are taken: throttled, or these
        /// ids refused.
        script: Mutex<Vec<Result<Vec<String>, ()>>>,
        calls: Mutex<Vec<Vec<String>>>,
    }

    impl SecurityHub for Hub {
        async fn active_findings(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Vec<AwsSecurityFinding>, HubError> {
            if self.not_enabled {
                return Err(HubError::NotEnabled);
            }
            Ok(self.held.clone())
        }

        async fn import_findings(
            &self,
            findings: Vec<AwsSecurityFinding>,
        ) -> Result<Vec<RefusedFinding>, HubError> {
            let ids: Vec<String> = findings.iter().map(|f| f.id.clone().unwrap()).collect();
            self.calls.lock().unwrap().push(ids.clone());
            let next = {
                let mut script = self.script.lock().unwrap();
                (!script.is_empty()).then(|| script.remove(0))
            };
            match next {
                Some(Err(())) => Err(HubError::Throttled),
                Some(Ok(refused)) => Ok(ids
                    .into_iter()
                    .filter(|id| refused.contains(id))
                    .map(|id| RefusedFinding {
                        id,
                        reason: "InvalidInput: refused".into(),
                    })
                    .collect()),
                None => Ok(Vec::new()),
            }
        }
    }

    #[test]
    fn an_update_keeps_first_times_a_gone_cluster_is_archived_and_a_check_left_off_not_judged() {
        let then = Timestamp::from_secs(1_000);
        let now = Timestamp::from_secs(2_000);
        let mut existing = findings_of("orders", 2, then);
        existing.extend(findings_of("gone", 1, then));
        existing.extend(findings_of("events", 1, then));
        let current = findings_of("orders", 1, now);
        let present: BTreeSet<String> = [arn("orders"), arn("events")].into();
        let (findings, sent) = plan(current, existing, Owned::Checks { present: &present }, now);
        assert_eq!((sent.imported, sent.archived, sent.not_judged), (1, 1, 2));
        let by_id = |suffix: &str, name: &str| {
            findings
                .iter()
                .find(|f| {
                    f.id.as_deref().unwrap().ends_with(suffix)
                        && f.id.as_deref().unwrap().contains(name)
                })
                .unwrap()
        };
        let updated = by_id("/unauthenticated-access", "orders");
        assert_eq!(updated.created_at.as_deref(), Some("1970-01-01T00:16:40Z"));
        assert_eq!(updated.updated_at.as_deref(), Some("1970-01-01T00:33:20Z"));
        assert_eq!(updated.record_state, Some(RecordState::Active));
        let archived = by_id("/unauthenticated-access", "gone");
        assert_eq!(archived.record_state, Some(RecordState::Archived));
        assert_eq!(archived.updated_at.as_deref(), Some("1970-01-01T00:33:20Z"));
        let left_off = by_id("/tls-client-authentication", "orders");
        assert_eq!(left_off.record_state, Some(RecordState::Active));
        assert_eq!(
            left_off.compliance.as_ref().unwrap().status,
            Some(ComplianceStatus::NotAvailable)
        );
        assert_eq!(
            left_off
                .finding_provider_fields
                .as_ref()
                .unwrap()
                .severity
                .as_ref()
                .unwrap()
                .label,
            Some(SeverityLabel::Informational)
        );
    }

    #[test]
    fn another_products_findings_and_archived_ones_are_left_alone() {
        let mut other = findings_of("orders", 1, Timestamp::from_secs(0));
        other[0].generator_id = Some("prowler-kafka".into());
        let mut archived = findings_of("gone", 1, Timestamp::from_secs(0));
        archived[0].record_state = Some(RecordState::Archived);
        other.extend(archived);
        let none = BTreeSet::new();
        let (findings, sent) = plan(
            Vec::new(),
            other,
            Owned::Checks { present: &none },
            Timestamp::from_secs(1),
        );
        assert!(findings.is_empty());
        assert_eq!(sent, Sent::default());
    }

    #[test]
    fn an_audit_leaves_the_probes_findings_and_a_probe_the_checks_and_other_clusters() {
        let now = Timestamp::from_secs(1);
        let orders = arn("orders");
        let cluster = JudgedCluster {
            account: ACCOUNT,
            region: "us-east-1",
            arn: &orders,
            facts: None,
            outcomes: &[],
        };
        let probe_report = crate::probe::ProbeReport {
            target: orders.clone(),
            results: Vec::new(),
            verdict: crate::probe::Verdict::Enforced,
            reason: "every door refused".into(),
            confirmed_by_control: false,
            not_knocked: Vec::new(),
        };
        let probed = finding(
            &cluster,
            &crate::findings::probe::content(&probe_report),
            now,
            None,
        );
        let mut existing = findings_of("orders", 2, now);
        existing.push(probed.clone());
        let mut other_probe = probed.clone();
        other_probe.resources = findings_of("payments", 1, now)[0].resources.clone();
        other_probe.id = Some("other".into());
        existing.push(other_probe);
        // An audit of a region where orders is gone archives its checks, not its probe finding.
        let none = BTreeSet::new();
        let (findings, sent) = plan(
            Vec::new(),
            existing.clone(),
            Owned::Checks { present: &none },
            now,
        );
        assert_eq!((findings.len(), sent.archived), (2, 2));
        assert!(findings
            .iter()
            .all(|f| f.generator_id != probed.generator_id));
        // A probe of orders owns its own finding alone; one of it under another id (an earlier
        // version's) is still about a cluster that is there: not judged, never archived.
        let mut earlier = probed.clone();
        earlier.id = Some("earlier".into());
        existing.push(earlier);
        let probed_now = BTreeSet::from([orders.clone()]);
        let (findings, sent) = plan(
            vec![probed.clone()],
            existing,
            Owned::Probe {
                clusters: &probed_now,
            },
            now,
        );
        assert_eq!(findings.len(), 2);
        assert_eq!((sent.archived, sent.not_judged), (0, 1));
    }

    #[test]
    fn batches_hold_at_most_100_findings() {
        let findings: Vec<AwsSecurityFinding> = (0..6)
            .flat_map(|n| findings_of(&format!("c{n}"), CHECKS.len(), Timestamp::from_secs(0)))
            .collect();
        let total = findings.len();
        let (split, too_large) = batches(findings);
        assert!(too_large.is_empty());
        assert!(split.iter().all(|b| b.len() <= MAX_FINDINGS_PER_CALL));
        assert_eq!(split[0].len(), MAX_FINDINGS_PER_CALL);
        assert_eq!(split.iter().map(Vec::len).sum::<usize>(), total);
    }

    #[test]
    fn a_finding_over_240_kb_is_refused_by_name_and_batches_stay_under_6_mb() {
        let mut findings = findings_of("orders", 2, Timestamp::from_secs(0));
        findings[0].description = Some("x".repeat(MAX_FINDING_BYTES));
        let (split, too_large) = batches(findings.clone());
        assert_eq!(too_large.len(), 1);
        assert_eq!(too_large[0].id, findings[0].id.clone().unwrap());
        assert_eq!(split.concat().len(), 1);
        let big: Vec<AwsSecurityFinding> = (0..60)
            .map(|n| {
                let mut f = findings_of(&format!("c{n}"), 1, Timestamp::from_secs(0)).remove(0);
                f.description = Some("x".repeat(200 * 1024));
                f
            })
            .collect();
        let (split, _) = batches(big);
        assert_eq!(split.len(), 2, "30 findings of about 200 KB fill 6 MB");
        for batch in &split {
            let bytes: usize = batch.iter().map(|f| to_json(f).to_string().len()).sum();
            assert!(bytes <= MAX_BYTES_PER_CALL);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_calls_back_off_and_a_refused_finding_is_tried_again_then_named() {
        let current: Vec<AwsSecurityFinding> = (0..3)
            .flat_map(|n| findings_of(&format!("c{n}"), CHECKS.len(), Timestamp::from_secs(0)))
            .collect();
        let refused_once = current[5].id.clone().unwrap();
        let refused_twice = current[7].id.clone().unwrap();
        let hub = Hub {
            script: Mutex::new(vec![
                Err(()),
                Ok(vec![refused_once.clone(), refused_twice.clone()]),
                Ok(vec![refused_twice.clone()]),
            ]),
            ..Hub::default()
        };
        let started = tokio::time::Instant::now();
        let delivery = deliver(
            &hub,
            PRODUCT_ARN,
            current.clone(),
            Owned::Checks {
                present: &BTreeSet::new(),
            },
            Timestamp::from_secs(1),
        )
        .await;
        let Delivery::Sent(sent) = delivery else {
            panic!("{delivery:?}")
        };
        assert_eq!(sent.imported, current.len());
        assert_eq!(sent.failed.len(), 1);
        assert_eq!(sent.failed[0].id, refused_twice);
        let calls = hub.calls.lock().unwrap().clone();
        // The throttled first call made again, the rest, then the two refused in one more call.
        assert_eq!(calls[0], calls[1]);
        assert_eq!(calls.last().unwrap(), &vec![refused_once, refused_twice]);
        assert!(started.elapsed() >= THROTTLED_BACKOFF);
    }

    #[tokio::test]
    async fn another_regions_findings_aggregated_here_are_left_alone() {
        let mut elsewhere = findings_of("far", 1, Timestamp::from_secs(0));
        elsewhere[0].product_arn = Some(PRODUCT_ARN.replace("us-east-1", "eu-west-1"));
        let hub = Hub {
            held: elsewhere,
            ..Hub::default()
        };
        let none = BTreeSet::new();
        let delivery = deliver(
            &hub,
            PRODUCT_ARN,
            Vec::new(),
            Owned::Checks { present: &none },
            Timestamp::from_secs(1),
        )
        .await;
        assert_eq!(delivery, Delivery::Sent(Sent::default()));
        assert!(hub.calls.lock().unwrap().is_empty());
    }

    #[test]
    fn what_became_of_the_findings_is_said_line_by_line() {
        let sent = Sent {
            imported: 117,
            archived: 13,
            not_judged: 2,
            failed: vec![RefusedFinding {
                id: "a/b".into(),
                reason: "InvalidInput: no".into(),
            }],
        };
        let delivery = |delivery| HubDelivery {
            account: ACCOUNT.into(),
            region: "us-east-1".into(),
            delivery,
        };
        let lines = delivery(Delivery::Sent(sent.clone())).lines("audit");
        assert_eq!(lines, vec![
            "msk-mtls-rule: audit: Security Hub in account 123456789012 region us-east-1: 131 of 132 findings taken: 117 of this run (new or updated in place), 13 archived (cluster gone), 2 set NOT_AVAILABLE (check no longer made); 1 not sent".to_owned(),
            "msk-mtls-rule: audit: Security Hub in account 123456789012 region us-east-1: finding a/b not sent: InvalidInput: no".to_owned(),
        ]);
        assert!(!delivery(Delivery::Sent(sent)).complete());
        assert!(delivery(Delivery::Sent(Sent::default())).complete());
        assert!(!delivery(Delivery::NotEnabled).complete());
        assert_eq!(delivery(Delivery::NotEnabled).lines("probe"), vec![
            "msk-mtls-rule: probe: Security Hub in account 123456789012 region us-east-1: not sent (Security Hub not enabled)".to_owned(),
        ]);
        assert!(!delivery(Delivery::NotSent("x".into())).complete());
    }

    #[tokio::test]
    async fn security_hub_not_enabled_sends_nothing() {
        let hub = Hub {
            not_enabled: true,
            ..Hub::default()
        };
        let delivery = deliver(
            &hub,
            PRODUCT_ARN,
            findings_of("orders", 1, Timestamp::from_secs(0)),
            Owned::Checks {
                present: &BTreeSet::new(),
            },
            Timestamp::from_secs(1),
        )
        .await;
        assert_eq!(delivery, Delivery::NotEnabled);
        assert!(hub.calls.lock().unwrap().is_empty());
    }

    /// A Security Hub that takes everything and keeps the ids of each import call.
    #[derive(Default)]
    struct Taking(Mutex<Vec<Vec<String>>>);

    impl SecurityHub for Taking {
        async fn active_findings(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Vec<AwsSecurityFinding>, HubError> {
            Ok(Vec::new())
        }

        async fn import_findings(
            &self,
            findings: Vec<AwsSecurityFinding>,
        ) -> Result<Vec<RefusedFinding>, HubError> {
            let ids = findings.into_iter().filter_map(|f| f.id).collect();
            self.0.lock().unwrap().push(ids);
            Ok(Vec::new())
        }
    }

    const HERE: Here = Here {
        partition: "aws",
        account: "123456789012",
        region: "us-east-1",
    };

    fn of(target: &str) -> ProbeReport {
        ProbeReport {
            target: target.into(),
            results: Vec::new(),
            verdict: crate::probe::Verdict::Enforced,
            reason: "every door refused".into(),
            confirmed_by_control: false,
            not_knocked: Vec::new(),
        }
    }

    #[tokio::test]
    async fn findings_go_where_the_caller_is_and_each_cluster_elsewhere_is_named() {
        let here_a = "arn:aws:kafka:us-east-1:123456789012:cluster/a/u-1";
        let here_b = "arn:aws:kafka:us-east-1:123456789012:cluster/b/u-2";
        let far = "arn:aws:kafka:eu-west-1:123456789012:cluster/c/u-3";
        let theirs = "arn:aws:kafka:us-east-1:210987654321:cluster/d/u-4";
        let reports = [of(here_a), of(far), of(theirs), of("b-1:9094"), of(here_b)];
        let hub = Taking::default();
        let deliveries = send_probe_findings(&hub, HERE, &reports, Timestamp::from_secs(0)).await;
        let said: Vec<(&str, &str, bool)> = deliveries
            .iter()
            .map(|d| (d.account.as_str(), d.region.as_str(), d.complete()))
            .collect();
        assert_eq!(
            said,
            [
                ("123456789012", "us-east-1", true),
                ("123456789012", "eu-west-1", false),
                ("210987654321", "us-east-1", false),
                ("123456789012", "us-east-1", false),
            ]
        );
        assert!(matches!(&deliveries[0].delivery, Delivery::Sent(sent) if sent.imported == 2));
        let Delivery::NotSent(why) = &deliveries[1].delivery else {
            panic!("{deliveries:?}")
        };
        assert!(
            why.starts_with(&format!("{far} is in account 123456789012 region eu-west-1, the findings go to account 123456789012 region us-east-1")),
            "{why}"
        );
        assert!(
            matches!(&deliveries[3].delivery, Delivery::NotSent(why) if why == "b-1:9094 is no cluster ARN: a finding names its cluster")
        );
        assert_eq!(
            *hub.0.lock().unwrap(),
            [vec![
                format!("123456789012/us-east-1/{here_a}/probe"),
                format!("123456789012/us-east-1/{here_b}/probe"),
            ]]
        );
    }

    #[tokio::test]
    async fn nothing_probed_here_calls_no_security_hub() {
        let hub = Taking::default();
        let far = "arn:aws:kafka:eu-west-1:123456789012:cluster/c/u-3";
        let deliveries = send_probe_findings(&hub, HERE, &[of(far)], Timestamp::from_secs(0)).await;
        assert_eq!(deliveries.len(), 1);
        assert!(!deliveries[0].complete());
        assert!(hub.0.lock().unwrap().is_empty());
        assert!(
            send_probe_findings(&hub, HERE, &[], Timestamp::from_secs(0))
                .await
                .is_empty()
        );
    }
}
