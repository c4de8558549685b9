//! The periodic sweep: every cluster of the account and region, page by page, then NOT_APPLICABLE
//! for the results the rule held for clusters that no longer exist.

use std::collections::{BTreeMap, HashMap};

use crate::alerts::ca_report;
use crate::app::delivery::Delivery;
use crate::app::evaluate::Evaluator;
use crate::aws::pager::Pager;
use crate::aws::ports::{Account, Notifier};
use crate::edge::kafka::ListedCluster;
use crate::error::RuleError;
use crate::rule::applicability::{Presence, Subject};
use crate::rule::evaluation::ResourceType;
use crate::rule::facts::Cluster;
use crate::rule::held::HeldResult;
use crate::rule::time::Timestamp;

/// The held results are read first, so the sweep's own new results are never read back; each
/// cluster's new result is compared with its held one, and the results held for clusters that no
/// longer exist become NOT_APPLICABLE.
pub async fn sweep<A: Account, N: Notifier>(
    evaluator: &mut Evaluator<'_, A>,
    rule_name: &str,
    ordering_timestamp: Timestamp,
    out: &mut Delivery<'_, A, N>,
) -> Result<(), RuleError> {
    let account = evaluator.account;
    let mut unseen = held_results(account, rule_name).await?;
    let mut listing = Listing::default();
    let mut trusted_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut pages = Pager::new("ListClustersV2");
    loop {
        let page = account.list_clusters(pages.token()).await?;
        for listed in page.items {
            if !listing.first(&listed)? {
                tracing::warn!(resource_id = %listed.arn, "ListClustersV2 listed a cluster twice; evaluated once");
                continue;
            }
            let held = unseen.remove(&listed.arn).map(|(_, held)| held);
            if let Cluster::Provisioned(facts) = &listed.cluster {
                for ca in &facts.certificate_authority_arns {
                    trusted_by
                        .entry(ca.clone())
                        .or_default()
                        .push(listed.arn.clone());
                }
            }
            judge_listed(evaluator, listed, held, ordering_timestamp, out).await?;
        }
        if !pages.advance(page.next_token)? {
            break;
        }
    }
    for (resource_id, (resource_type, held)) in unseen {
        judge_gone(
            evaluator,
            &resource_id,
            &resource_type,
            held,
            ordering_timestamp,
            out,
        )
        .await?;
    }
    if let Some(days) = evaluator.follow.ca_alert_days {
        let context = &evaluator.follow.context;
        if let Some(report) = ca_report(&evaluator.cas, &trusted_by, days, evaluator.now, context) {
            out.notify(report);
        }
    }
    Ok(())
}

/// A listed cluster judged and followed up against the result held for it.
async fn judge_listed<A: Account, N: Notifier>(
    evaluator: &mut Evaluator<'_, A>,
    listed: ListedCluster,
    held: Option<HeldResult>,
    ordering_timestamp: Timestamp,
    out: &mut Delivery<'_, A, N>,
) -> Result<(), RuleError> {
    let tags = listed.tags.clone();
    let judgement = evaluator.judge_listed(listed, ordering_timestamp).await?;
    let followed = evaluator.follow_up(held.as_ref(), judgement, Some(&tags));
    out.push(followed).await
}

/// A cluster the rule holds a result for and the listing no longer has: NOT_APPLICABLE.
async fn judge_gone<A: Account, N: Notifier>(
    evaluator: &mut Evaluator<'_, A>,
    resource_id: &str,
    resource_type: &ResourceType,
    held: HeldResult,
    ordering_timestamp: Timestamp,
    out: &mut Delivery<'_, A, N>,
) -> Result<(), RuleError> {
    let subject = Subject {
        resource_type,
        presence: Presence::Gone,
        left_scope: false,
        tags: None,
    };
    let gone = || {
        Err(RuleError::InvalidEvent(
            "a cluster that is gone has no settings".into(),
        ))
    };
    let judgement = evaluator
        .judge(&subject, resource_id, ordering_timestamp, gone)
        .await?;
    out.push(evaluator.follow_up(Some(&held), judgement, None))
        .await
}

/// The clusters this rule holds a COMPLIANT or NON_COMPLIANT result for: resource id -> type and
/// the result.
async fn held_results<A: Account>(
    account: &A,
    rule_name: &str,
) -> Result<BTreeMap<String, (ResourceType, HeldResult)>, RuleError> {
    let mut held = BTreeMap::new();
    let mut pages = Pager::new("GetComplianceDetailsByConfigRule");
    loop {
        let page = account
            .evaluated_resources(rule_name, pages.token())
            .await?;
        for entry in page.items {
            if entry.key.resource_type.is_msk_cluster() {
                held.insert(
                    entry.key.resource_id,
                    (entry.key.resource_type, entry.result),
                );
            }
        }
        if !pages.advance(page.next_token)? {
            return Ok(held);
        }
    }
}

/// The clusters one ListClustersV2 walk has listed. A listing that shifts between pages can list a
/// cluster twice: with the same settings it is judged once; with other settings (changed while the
/// walk went on) the walk is ambiguous and refused, since judging either reading could pass the
/// cluster on the safe one.
#[derive(Default)]
pub struct Listing {
    seen: HashMap<String, ListedCluster>,
}

impl Listing {
    /// Whether `listed` is new and to be judged; an error when it was listed before otherwise.
    pub fn first(&mut self, listed: &ListedCluster) -> Result<bool, RuleError> {
        match self.seen.get(&listed.arn) {
            None => {
                self.seen.insert(listed.arn.clone(), listed.clone());
                Ok(true)
            }
            Some(before) if before == listed => Ok(false),
            Some(_) => Err(RuleError::aws(
                "ListClustersV2",
                format!(
                    "cluster {} was listed twice with different settings (it changed while the listing was read): the walk is ambiguous and nothing of it is judged as read; the next walk reads it again",
                    listed.arn
                ),
            )),
        }
    }
}
