//! `msk-mtls-rule audit`: every MSK cluster the credentials can list, judged now by the rule's own
//! checks, across regions and accounts, without Config and without writing anything. An account or
//! region that cannot be read is reported by name and counted apart, never as compliant.

pub mod report;
pub mod security_hub;

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use futures_util::stream::{self, StreamExt};

use crate::app::evaluate::{Evaluator, Judged};
use crate::app::sweep::judge_every_cluster;
use crate::audit::report::{AuditReport, ClusterResult, Unreadable};
use crate::aws::pager::Pager;
use crate::aws::ports::{Caller, Directory};
use crate::error::RuleError;
use crate::rule::checks::Finding;
use crate::rule::evaluation::{ComplianceType, ResourceType};
use crate::rule::facts::Cluster;
use crate::rule::outcome::{outcomes, Kind};
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::Judgement;

/// Which regions to audit in each account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionChoice {
    /// The region the credentials are configured for.
    Configured,
    Listed(Vec<String>),
    /// Every region enabled for each account (Account's ListRegions).
    AllEnabled,
}

/// Which accounts to audit, and how to reach the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChoice {
    /// The credentials' own account.
    Own,
    Listed {
        role_name: String,
        ids: Vec<String>,
    },
    /// Every ACTIVE account of the organization but those excluded by name (reported in every
    /// audit, never dropped silently).
    Organization {
        role_name: String,
        excluded: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRequest {
    pub regions: RegionChoice,
    pub accounts: AccountChoice,
    pub params: RuleParams,
    /// Account-regions audited at once.
    pub concurrency: usize,
}

pub const DEFAULT_CONCURRENCY: usize = 8;
pub const MAX_CONCURRENCY: usize = 64;

/// Why an audit could not run at all (as opposed to an account or region it could not read).
#[derive(Debug)]
pub enum AuditError {
    /// Nothing says which region to call: exit status 2.
    NoRegion,
    /// Who the credentials are, or the organization's accounts, could not be read: exit status 3.
    Aws(RuleError),
}

impl std::fmt::Display for AuditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditError::NoRegion => f.write_str(
                "audit: no region is configured: set AWS_REGION (or a profile's region) or pass --regions",
            ),
            AuditError::Aws(error) => write!(f, "audit: {}", error.message()),
        }
    }
}

/// Accounts done, on stderr when it is a terminal; nothing otherwise.
pub struct Progress {
    sink: Option<Mutex<Box<dyn Write + Send>>>,
}

impl Progress {
    pub fn on_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Self::to(std::io::stderr())
        } else {
            Self::hidden()
        }
    }

    /// Progress written to `terminal`, as to a terminal: each line overwrites the last.
    pub fn to(terminal: impl Write + Send + 'static) -> Self {
        Progress {
            sink: Some(Mutex::new(Box::new(terminal))),
        }
    }

    pub fn hidden() -> Self {
        Progress { sink: None }
    }

    fn write(&self, text: &str) {
        if let Some(Ok(mut terminal)) = self.sink.as_ref().map(Mutex::lock) {
            let _ = terminal.write_all(text.as_bytes());
            let _ = terminal.flush();
        }
    }

    fn show(&self, counts: &Counts, total: usize) {
        self.write(&format!(
            "\r\x1b[2Kaudit: accounts {}/{total}, account-regions {}",
            counts.accounts.load(Ordering::Relaxed),
            counts.regions.load(Ordering::Relaxed)
        ));
    }

    fn finish(&self) {
        self.write("\r\x1b[2K");
    }
}

/// Accounts and account-regions done so far, for the progress line.
#[derive(Default)]
struct Counts {
    accounts: AtomicUsize,
    regions: AtomicUsize,
}

/// An account's services: the caller's own, or a role's assumed there.
enum Reach<'a, D> {
    Own(&'a D),
    Role(D),
}

impl<D> Reach<'_, D> {
    fn get(&self) -> &D {
        match self {
            Reach::Own(own) => own,
            Reach::Role(member) => member,
        }
    }
}

/// Runs the audit with the credentials in `own`. Only reads: no PutEvaluations, no change to any
/// cluster.
pub async fn audit<D: Directory>(
    own: &D,
    request: &AuditRequest,
    now: Timestamp,
    progress: &Progress,
) -> Result<AuditReport, AuditError> {
    let rehomed;
    let (own, home) = match (own.home_region().await, &request.regions) {
        (Some(home), _) => (own, home),
        (None, RegionChoice::Listed(regions)) => {
            rehomed = own.in_region(&regions[0]).await;
            (&rehomed, regions[0].clone())
        }
        (None, _) => return Err(AuditError::NoRegion),
    };
    let caller = own.caller().await.map_err(AuditError::Aws)?;
    let mut report = AuditReport::default();
    let account_ids = accounts_to_audit(own, &caller, request, &mut report).await?;
    let role_name = match &request.accounts {
        AccountChoice::Own => None,
        AccountChoice::Listed { role_name, .. } | AccountChoice::Organization { role_name, .. } => {
            Some(role_name.as_str())
        }
    };

    // Each account's role is assumed just before its regions are read (and renewed while they
    // are, when it nears its expiry), never all first: in a large organization the first ones
    // would lapse before their regions came up. Region reads share one bound across accounts.
    let total = account_ids.len();
    let reads = tokio::sync::Semaphore::new(request.concurrency);
    let counts = Counts::default();
    let shown = |counts: &Counts| progress.show(counts, total);
    let mut accounts = stream::iter(account_ids)
        .map(|account| {
            let context = Context {
                own,
                caller: &caller,
                role_name,
                request,
                home: &home,
                now,
                reads: &reads,
                counts: &counts,
                shown: &shown,
            };
            audit_account(context, account)
        })
        .buffer_unordered(request.concurrency);
    while let Some(account) = accounts.next().await {
        report.clusters.extend(account.clusters);
        report.regions_read.extend(account.regions_read);
        report.unreadable.extend(account.unreadable);
        counts.accounts.fetch_add(1, Ordering::Relaxed);
        shown(&counts);
    }
    progress.finish();
    report.sort();
    Ok(report)
}

/// The accounts asked for: the caller's own, those listed, or the organization's ACTIVE ones but
/// those excluded (the excluded and the not ACTIVE noted in `report`, never dropped silently).
async fn accounts_to_audit<D: Directory>(
    own: &D,
    caller: &Caller,
    request: &AuditRequest,
    report: &mut AuditReport,
) -> Result<Vec<String>, AuditError> {
    Ok(match &request.accounts {
        AccountChoice::Own => vec![caller.account.clone()],
        AccountChoice::Listed { ids, .. } => ids.clone(),
        AccountChoice::Organization { excluded, .. } => {
            let (active, skipped) = organization_accounts(own).await.map_err(AuditError::Aws)?;
            report.skipped_accounts = skipped;
            report.excluded_accounts = excluded.clone();
            active
                .into_iter()
                .filter(|account| !excluded.contains(account))
                .collect()
        }
    })
}

/// What one account gave: its clusters, its regions read, and what could not be read.
#[derive(Default)]
struct AccountAudit {
    clusters: Vec<ClusterResult>,
    regions_read: Vec<(String, String)>,
    unreadable: Vec<Unreadable>,
}

/// What every account's audit shares.
struct Context<'a, D> {
    own: &'a D,
    caller: &'a Caller,
    role_name: Option<&'a str>,
    request: &'a AuditRequest,
    home: &'a str,
    now: Timestamp,
    /// One bound on region reads across accounts.
    reads: &'a tokio::sync::Semaphore,
    counts: &'a Counts,
    shown: &'a (dyn Fn(&Counts) + Sync),
}

/// One account: its role assumed (unless it is the caller's), its regions listed, each read.
async fn audit_account<D: Directory>(context: Context<'_, D>, account: String) -> AccountAudit {
    let Context {
        own,
        caller,
        role_name,
        request,
        home,
        now,
        reads,
        counts,
        shown,
    } = context;
    let mut audit = AccountAudit::default();
    let (account, reach, regions) =
        match reach(own, caller, role_name, account, &request.regions, home).await {
            Ok(reached) => reached,
            Err(unreadable) => {
                audit.unreadable.push(unreadable);
                return audit;
            }
        };
    let mut regions = stream::iter(regions)
        .map(|region| {
            let (reach, account) = (&reach, &account);
            async move {
                let _permit = reads.acquire().await;
                let result =
                    audit_region(reach.get(), account, &region, &request.params, now).await;
                (region, result)
            }
        })
        .buffer_unordered(request.concurrency);
    while let Some((region, result)) = regions.next().await {
        match result {
            Ok(clusters) => {
                audit.clusters.extend(clusters);
                audit.regions_read.push((account.clone(), region));
            }
            Err(unreadable) => audit.unreadable.push(unreadable),
        }
        counts.regions.fetch_add(1, Ordering::Relaxed);
        shown(counts);
    }
    audit
}

/// The organization's accounts: the ACTIVE ones (or those whose state is not given, which are tried
/// rather than skipped), and the others with their state.
async fn organization_accounts<D: Directory>(
    own: &D,
) -> Result<(Vec<String>, Vec<(String, String)>), RuleError> {
    let mut active = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = HashSet::new();
    let mut pages = Pager::new("ListAccounts");
    loop {
        let page = own.organization_accounts(pages.token()).await?;
        for account in page.items {
            if !seen.insert(account.id.clone()) {
                continue;
            }
            match account.state {
                Some(state) if state != "ACTIVE" => skipped.push((account.id, state)),
                _ => active.push(account.id),
            }
        }
        if !pages.advance(page.next_token)? {
            if active.is_empty() {
                // The management account is always in its organization: none is not an answer.
                return Err(RuleError::aws("ListAccounts", "no ACTIVE account listed"));
            }
            return Ok((active, skipped));
        }
    }
}

/// The account's services (its role assumed, unless it is the caller's own account) and the regions
/// to audit there.
async fn reach<'a, D: Directory>(
    own: &'a D,
    caller: &Caller,
    role_name: Option<&str>,
    account: String,
    regions: &RegionChoice,
    home: &str,
) -> Result<(String, Reach<'a, D>, Vec<String>), Unreadable> {
    let unreadable = |error: RuleError| Unreadable {
        account: account.clone(),
        region: None,
        reason: error.message(),
    };
    let reach = match role_name {
        Some(name) if account != caller.account => {
            let role_arn = format!("arn:{}:iam::{account}:role/{name}", caller.partition);
            Reach::Role(own.assume_role(&role_arn).await.map_err(unreadable)?)
        }
        _ => Reach::Own(own),
    };
    let regions = match regions {
        RegionChoice::Configured => vec![home.to_owned()],
        RegionChoice::Listed(regions) => regions.clone(),
        RegionChoice::AllEnabled => enabled_regions(reach.get()).await.map_err(unreadable)?,
    };
    Ok((account, reach, regions))
}

async fn enabled_regions<D: Directory>(account: &D) -> Result<Vec<String>, RuleError> {
    let mut regions = Vec::new();
    let mut pages = Pager::new("ListRegions");
    loop {
        let page = account.enabled_regions(pages.token()).await?;
        regions.extend(page.items);
        if !pages.advance(page.next_token)? {
            regions.sort();
            regions.dedup();
            if regions.is_empty() {
                // Every account has its default regions enabled: none listed is an answer that
                // would audit nothing and look clean.
                return Err(RuleError::aws("ListRegions", "no enabled region listed"));
            }
            return Ok(regions);
        }
    }
}

/// Every cluster of one account-region, judged as the rule's sweep judges it.
async fn audit_region<D: Directory>(
    account_services: &D,
    account: &str,
    region: &str,
    params: &RuleParams,
    now: Timestamp,
) -> Result<Vec<ClusterResult>, Unreadable> {
    let regional = account_services.in_region(region).await;
    let mut evaluator = Evaluator::judging_only(&regional, params, now);
    let unreadable = |error: RuleError| Unreadable {
        account: account.to_owned(),
        region: Some(region.to_owned()),
        reason: error.message(),
    };
    let mut clusters = Vec::new();
    judge_every_cluster(&mut evaluator, now, |page| {
        clusters.extend(
            page.into_iter()
                .map(|judged| cluster_result(account, region, judged, params)),
        )
    })
    .await
    .map_err(unreadable)?;
    Ok(clusters)
}

/// One judged cluster as the report shows it; the ACL default is known for every provisioned
/// cluster the checks judged, whether it fails the cluster or is only noted.
fn cluster_result(
    account: &str,
    region: &str,
    judged: Judged,
    params: &RuleParams,
) -> ClusterResult {
    let Judgement {
        evaluation,
        findings,
        notes,
    } = judged.judgement;
    let judged_by_checks = evaluation.resource_type == ResourceType::MskCluster
        && evaluation.compliance != ComplianceType::NotApplicable;
    let open = findings
        .iter()
        .chain(&notes)
        .any(Finding::opens_authorization_by_default);
    let kind = match evaluation.resource_type {
        ResourceType::MskServerlessCluster => Kind::Serverless,
        _ => Kind::Provisioned,
    };
    let facts = match judged.cluster {
        Some(Cluster::Provisioned(facts)) => Some(facts),
        _ => None,
    };
    ClusterResult {
        account: account.to_owned(),
        region: region.to_owned(),
        resource_type: evaluation.resource_type,
        outcomes: outcomes(kind, evaluation.compliance, params, &findings, &notes),
        resource_id: evaluation.resource_id,
        compliance: evaluation.compliance,
        findings: findings.iter().map(ToString::to_string).collect(),
        notes: notes.iter().map(ToString::to_string).collect(),
        authorization_open_by_default: judged_by_checks.then_some(open),
        annotation: evaluation.annotation,
        facts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::authorization::OpenBecause;
    use crate::rule::evaluation::Evaluation;

    fn judgement(
        resource_type: ResourceType,
        compliance: ComplianceType,
        findings: Vec<Finding>,
        notes: Vec<Finding>,
    ) -> Judgement {
        Judgement {
            evaluation: Evaluation {
                resource_type,
                resource_id: "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1".into(),
                compliance,
                annotation: None,
                ordering_timestamp: Timestamp::from_secs(0),
            },
            findings,
            notes,
        }
    }

    /// A provisioned cluster keeps what was read of it and every check made; a serverless one the
    /// serverless check alone.
    #[test]
    fn each_cluster_keeps_its_facts_and_the_checks_made_on_its_kind() {
        use crate::rule::facts::ClusterFacts;
        let facts = ClusterFacts {
            unauthenticated_access: true,
            ..ClusterFacts::default()
        };
        let judged = Judged {
            judgement: judgement(
                ResourceType::MskCluster,
                ComplianceType::NonCompliant,
                vec![Finding::UnauthenticatedAccess(Default::default())],
                vec![],
            ),
            tags: None,
            cluster: Some(Cluster::Provisioned(facts.clone())),
        };
        let params = RuleParams {
            serverless_cluster_compliance: ComplianceType::NonCompliant,
            ..RuleParams::default()
        };
        let result = cluster_result("123456789012", "us-east-1", judged, &params);
        assert_eq!(result.facts, Some(facts));
        assert!(result.outcomes.len() > 1);
        assert!(result.outcomes.iter().all(|o| o.check.name != "serverless"));
        let serverless = Judged {
            judgement: judgement(
                ResourceType::MskServerlessCluster,
                ComplianceType::NonCompliant,
                vec![Finding::ServerlessCannotEnforceMtls],
                vec![],
            ),
            tags: None,
            cluster: Some(Cluster::Serverless),
        };
        let result = cluster_result("123456789012", "us-east-1", serverless, &params);
        assert_eq!(result.facts, None);
        let names: Vec<&str> = result.outcomes.iter().map(|o| o.check.name).collect();
        assert_eq!(names, vec!["serverless"]);
    }

    /// The ACL default is known for a provisioned cluster the checks judged, noted or failed;
    /// not for one they did not judge (NOT_APPLICABLE, serverless).
    #[test]
    fn the_acl_default_is_shown_for_the_clusters_the_checks_judged() {
        let open = || Finding::AuthorizationOpenByDefault(OpenBecause::PropertyTrue);
        let cluster = ResourceType::MskCluster;
        let cases = [
            (
                judgement(
                    cluster.clone(),
                    ComplianceType::Compliant,
                    vec![],
                    vec![open()],
                ),
                Some(true),
            ),
            (
                judgement(
                    cluster.clone(),
                    ComplianceType::NonCompliant,
                    vec![open()],
                    vec![],
                ),
                Some(true),
            ),
            (
                judgement(cluster.clone(), ComplianceType::Compliant, vec![], vec![]),
                Some(false),
            ),
            (
                judgement(
                    cluster.clone(),
                    ComplianceType::NonCompliant,
                    vec![Finding::UnauthenticatedAccess(Default::default())],
                    vec![],
                ),
                Some(false),
            ),
            (
                judgement(cluster, ComplianceType::NotApplicable, vec![], vec![]),
                None,
            ),
            (
                judgement(
                    ResourceType::MskServerlessCluster,
                    ComplianceType::NonCompliant,
                    vec![Finding::ServerlessCannotEnforceMtls],
                    vec![],
                ),
                None,
            ),
        ];
        for (judgement, expected) in cases {
            let notes = judgement.notes.len();
            let judged = Judged {
                judgement,
                tags: None,
                cluster: None,
            };
            let result =
                cluster_result("123456789012", "us-east-1", judged, &RuleParams::default());
            assert_eq!(result.authorization_open_by_default, expected, "{result:?}");
            assert_eq!(result.notes.len(), notes);
            if result.compliance == ComplianceType::NotApplicable {
                assert!(result.outcomes.is_empty());
            }
            assert_eq!(
                (result.account.as_str(), result.region.as_str()),
                ("123456789012", "us-east-1")
            );
        }
    }
}
