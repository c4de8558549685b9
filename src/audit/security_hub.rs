//! `audit --security-hub`: each account-region's findings sent to Security Hub in that account and
//! region (BatchImportFindings takes only the caller's own account's findings for the default
//! product), through the audit role in the other accounts. An account-region that could not be
//! read sends nothing: its findings already there are left as they are, never archived.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_securityhub::types::AwsSecurityFinding;
use futures_util::stream::{self, StreamExt};

use crate::audit::report::AuditReport;
use crate::audit::{AccountChoice, AuditRequest, Reach};
use crate::aws::ports::{Directory, SecurityHub};
use crate::findings::asff::finding;
use crate::findings::send::{deliver, Delivery, HubDelivery, Owned};
use crate::findings::{product_arn, Content};
use crate::rule::time::Timestamp;

/// This run's findings of one account-region, and the clusters listed there (judged or not).
pub fn findings_of(
    report: &AuditReport,
    account: &str,
    region: &str,
    now: Timestamp,
) -> (Vec<AwsSecurityFinding>, BTreeSet<String>) {
    let here: Vec<_> = report
        .clusters
        .iter()
        .filter(|c| c.account == account && c.region == region)
        .collect();
    let findings = here
        .iter()
        .flat_map(|cluster| {
            let judged = cluster.judged();
            cluster
                .outcomes
                .iter()
                .map(move |outcome| finding(&judged, &Content::of_check(outcome), now, None))
        })
        .collect();
    let present = here.iter().map(|c| c.resource_id.clone()).collect();
    (findings, present)
}

/// Every account-region the audit read to the end, its findings sent there.
pub async fn send_findings<D: Directory + SecurityHub>(
    own: &D,
    request: &AuditRequest,
    report: &AuditReport,
    now: Timestamp,
) -> Vec<HubDelivery> {
    let mut regions_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (account, region) in &report.regions_read {
        regions_of.entry(account).or_default().push(region);
    }
    let caller = own.caller().await;
    let deliveries = stream::iter(regions_of)
        .map(|(account, regions)| {
            let caller = &caller;
            async move {
                let reached = match caller {
                    Ok(caller) => reach(own, &caller.account, &caller.partition, request, account)
                        .await
                        .map(|reach| (reach, caller.partition.as_str())),
                    Err(error) => Err(error.message()),
                };
                let mut deliveries = Vec::new();
                for region in regions {
                    let delivery = match &reached {
                        Ok((reach, partition)) => {
                            let at = At {
                                account,
                                region,
                                partition,
                            };
                            send_region(reach.get(), report, at, now).await
                        }
                        Err(reason) => Delivery::NotSent(reason.clone()),
                    };
                    deliveries.push(HubDelivery {
                        account: account.to_owned(),
                        region: region.to_owned(),
                        delivery,
                    });
                }
                deliveries
            }
        })
        .buffer_unordered(request.concurrency)
        .collect::<Vec<_>>()
        .await;
    let mut deliveries: Vec<HubDelivery> = deliveries.into_iter().flatten().collect();
    deliveries.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    deliveries
}

/// The account's services: the caller's own, or through the audit role.
async fn reach<'a, D: Directory>(
    own: &'a D,
    own_account: &str,
    partition: &str,
    request: &AuditRequest,
    account: &str,
) -> Result<Reach<'a, D>, String> {
    match &request.accounts {
        AccountChoice::Listed { role_name, .. } | AccountChoice::Organization { role_name, .. }
            if account != own_account =>
        {
            let role_arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
            own.assume_role(&role_arn)
                .await
                .map(Reach::Role)
                .map_err(|error| error.message())
        }
        _ => Ok(Reach::Own(own)),
    }
}

/// Where findings are sent.
struct At<'a> {
    account: &'a str,
    region: &'a str,
    partition: &'a str,
}

async fn send_region<D: Directory + SecurityHub>(
    services: &D,
    report: &AuditReport,
    at: At<'_>,
    now: Timestamp,
) -> Delivery {
    let (findings, present) = findings_of(report, at.account, at.region, now);
    let hub = services.in_region(at.region).await;
    let product = product_arn(at.partition, at.region, at.account);
    let owned = Owned::Checks { present: &present };
    deliver(&hub, &product, findings, owned, now).await
}
