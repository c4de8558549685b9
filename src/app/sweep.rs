//! The periodic sweep: every cluster of the account and region, page by page, then NOT_APPLICABLE
//! for the results the rule held for clusters that no longer exist. The call streams overlap: the
//! held results are read beside the listing, the listing runs ahead of the judging (a page's reads
//! going out together), and full PutEvaluations batches go out while the listing goes on.

use std::collections::{BTreeMap, HashMap};

use futures_util::future::try_join;
use tokio::sync::mpsc;

use crate::alerts::{ca_report, follow_up};
use crate::app::delivery::Delivery;
use crate::app::evaluate::{Evaluator, Follow, Judged};
use crate::aws::pager::Pager;
use crate::aws::ports::{Account, Notifier};
use crate::edge::kafka::ListedCluster;
use crate::error::RuleError;
use crate::rule::applicability::{Presence, Subject};
use crate::rule::ca::{add_trusted_by, Fleet, TrustedBy};
use crate::rule::evaluation::ResourceType;
use crate::rule::held::HeldResult;
use crate::rule::time::Timestamp;

/// The results the rule holds for clusters: resource id -> type and the result.
type HeldResults = BTreeMap<String, (ResourceType, HeldResult)>;

/// The held results are read beside the listing, and every cluster's follow-up (its transition,
/// clock and alert) waits until they are all read: a cluster's held result may be on any of their
/// pages, and one decided early could miss it. Until then the judged pages wait in a queue, as
/// many as were listed while the held results were read (the listing and the held results hold one
/// entry per cluster already). The sweep's own new results are never read back, since the held
/// results are read before any is sent; those held for clusters no longer listed become
/// NOT_APPLICABLE. Returns the CAs the clusters trust, with those clusters.
pub async fn sweep<A: Account, N: Notifier>(
    evaluator: &mut Evaluator<'_, A>,
    rule_name: &str,
    ordering_timestamp: Timestamp,
    out: &mut Delivery<'_, A, N>,
) -> Result<TrustedBy, RuleError> {
    let account = evaluator.account;
    let follow = evaluator.follow.clone();
    let (judged_pages, mut waiting) = mpsc::unbounded_channel();
    let listing = judge_every_cluster(&mut *evaluator, ordering_timestamp, move |page| {
        // Closed only when the follow-up failed, whose error the sweep returns.
        let _ = judged_pages.send(page);
    });
    let following = follow_judged(held_results(account, rule_name), &mut waiting, &follow, out);
    let (trusted_by, unseen) = try_join(listing, following).await?;
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
        let cas = (&evaluator.cas, &evaluator.trust);
        let params = evaluator.params;
        if let Some(report) = ca_report(cas, &trusted_by, params, days, evaluator.now, context) {
            out.notify(report);
        }
    }
    Ok(trusted_by)
}

/// Every cluster of the account and region, listed and judged page by page, each page handed to
/// `each_page` as it is judged. The listing runs ahead of the judging (up to `PAGES_AHEAD` pages),
/// so that a page whose reads take longer (the account's listings of who uses a door) never holds
/// up the next `ListClustersV2` page; a page's clusters (or the pages waiting, when the judging
/// is behind) are judged with their reads out together.
/// Returns the CAs the clusters trust.
pub async fn judge_every_cluster<A: Account>(
    evaluator: &mut Evaluator<'_, A>,
    ordering_timestamp: Timestamp,
    mut each_page: impl FnMut(Vec<Judged>),
) -> Result<TrustedBy, RuleError> {
    let account = evaluator.account;
    let (listed_pages, mut to_judge) = mpsc::channel::<Vec<ListedCluster>>(PAGES_AHEAD);
    let judging = async {
        if evaluator.params.certificate_authority_per_cluster {
            // Whether a CA serves one cluster alone needs every cluster: judged once all are listed.
            let (mut fleet, mut trusted_by) = (Vec::new(), TrustedBy::new());
            while let Some(page) = to_judge.recv().await {
                for listed in &page {
                    add_trusted_by(&mut trusted_by, &listed.arn, &listed.cluster);
                }
                fleet.extend(page);
            }
            evaluator.trust.fleet = Fleet::Listed(trusted_by);
            each_page(evaluator.judge_page(fleet, ordering_timestamp).await?);
            return Ok(());
        }
        while let Some(mut listed) = to_judge.recv().await {
            // The pages listed while the last were judged, judged together: their reads go out
            // at once, and the judging catches up with the listing.
            while let Ok(page) = to_judge.try_recv() {
                listed.extend(page);
            }
            each_page(evaluator.judge_page(listed, ordering_timestamp).await?);
        }
        Ok(())
    };
    let (trusted_by, ()) = try_join(list_every_cluster(account, listed_pages), judging).await?;
    Ok(trusted_by)
}

/// A listing of every cluster may run this many pages ahead of their judging.
const PAGES_AHEAD: usize = 4;

/// Every cluster, once, page by page into `listed_pages`, as fast as ListClustersV2 answers.
async fn list_every_cluster<A: Account>(
    account: &A,
    listed_pages: mpsc::Sender<Vec<ListedCluster>>,
) -> Result<TrustedBy, RuleError> {
    let mut listing = Listing::default();
    let mut trusted_by = TrustedBy::new();
    let mut pages = Pager::new("ListClustersV2");
    loop {
        let page = account.list_clusters(pages.token()).await?;
        let more = pages.advance(page.next_token)?;
        let mut fresh = Vec::with_capacity(page.items.len());
        for listed in page.items {
            if !listing.first(&listed)? {
                tracing::warn!(resource_id = %listed.arn, "ListClustersV2 listed a cluster twice; evaluated once");
                continue;
            }
            add_trusted_by(&mut trusted_by, &listed.arn, &listed.cluster);
            fresh.push(listed);
        }
        // Closed only when the judging failed, whose error the sweep returns.
        if listed_pages.send(fresh).await.is_err() || !more {
            return Ok(trusted_by);
        }
    }
}

/// Each judged cluster followed up against the result held for it, once every held result is
/// read; the full batches go out as they fill, while the listing goes on. Returns the held results
/// of the clusters not listed.
async fn follow_judged<A: Account, N: Notifier>(
    held: impl std::future::Future<Output = Result<HeldResults, RuleError>>,
    waiting: &mut mpsc::UnboundedReceiver<Vec<Judged>>,
    follow: &Follow<'_>,
    out: &mut Delivery<'_, A, N>,
) -> Result<HeldResults, RuleError> {
    let mut unseen = held.await?;
    let mut follow_page = |page: Vec<Judged>, out: &mut Delivery<'_, A, N>| {
        for judged in page {
            let held = unseen
                .remove(&judged.judgement.evaluation.resource_id)
                .map(|(_, held)| held);
            out.push(follow_up(
                held.as_ref(),
                judged.judgement,
                judged.tags.as_ref(),
                follow.owner_tag_keys,
                &follow.context,
            ));
        }
    };
    while let Some(page) = waiting.recv().await {
        follow_page(page, out);
        // Every page judged meanwhile, so that their batches go out together.
        while let Ok(page) = waiting.try_recv() {
            follow_page(page, out);
        }
        out.send_full_batches().await?;
    }
    Ok(unseen)
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
    out.push(evaluator.follow_up(Some(&held), judgement, None));
    Ok(())
}

/// The clusters this rule holds a COMPLIANT or NON_COMPLIANT result for: resource id -> type and
/// the result.
async fn held_results<A: Account>(account: &A, rule_name: &str) -> Result<HeldResults, RuleError> {
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
