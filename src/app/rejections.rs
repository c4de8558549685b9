//! Refused clients counted from the brokers' logs: which cluster a log group is the broker log of
//! (the clusters' `LoggingInfo`, listed with ListClustersV2 and kept while the function is warm),
//! and what one subscription event counted, for the answer and the metrics.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::aws::pager::Pager;
use crate::aws::ports::KafkaService;
use crate::edge::broker_log::{LogBatch, MessageType, Tally};
use crate::error::RuleError;
use crate::rule::arn::cluster_name_or_id;
use crate::rule::facts::Cluster;

/// How long a listing of the clusters' log groups is used before it is read again.
const LISTING_KEPT: Duration = Duration::from_secs(15 * 60);

/// A group no cluster was listed with is looked up again, at most this often: a cluster created or
/// given broker logs since the last listing is found within a minute.
const UNKNOWN_GROUP_RELIST: Duration = Duration::from_secs(60);

/// Client addresses named in the answer and the log line, the most refused first.
pub const TOP_ADDRESSES: usize = 5;

/// Which cluster's brokers write a log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribution {
    Cluster(String),
    /// Several clusters log to the group: a line does not say whose broker wrote it.
    Shared(Vec<String>),
    /// No cluster of the account and region logs to it.
    NoCluster,
}

/// Each CloudWatch Logs group a cluster's brokers log to, with those clusters' names.
pub type LogGroupClusters = BTreeMap<String, BTreeSet<String>>;

/// Every cluster of the account and region (ListClustersV2, all pages), by broker log group.
pub async fn list_log_groups<K: KafkaService>(kafka: &K) -> Result<LogGroupClusters, RuleError> {
    let mut groups = LogGroupClusters::new();
    let mut pages = Pager::new("ListClustersV2");
    loop {
        let page = kafka.list_clusters(pages.token()).await?;
        for listed in page.items {
            let Cluster::Provisioned(facts) = &listed.cluster else {
                continue;
            };
            if let Some(group) = &facts.broker_logs.cloudwatch_log_group {
                groups
                    .entry(group.clone())
                    .or_default()
                    .insert(cluster_name_or_id(&listed.arn).into_owned());
            }
        }
        if !pages.advance(page.next_token)? {
            return Ok(groups);
        }
    }
}

/// The listing of log groups, kept between invocations of a warm function.
#[derive(Debug, Default)]
pub struct LogGroupCache {
    listed: Option<(Instant, LogGroupClusters)>,
}

impl LogGroupCache {
    /// Whose brokers write `group`, from the kept listing while it is fresh; listed again when it
    /// is older than `LISTING_KEPT`, or when it does not know the group and is older than
    /// `UNKNOWN_GROUP_RELIST`.
    pub async fn attribution<K: KafkaService>(
        &mut self,
        kafka: &K,
        group: &str,
        now: Instant,
    ) -> Result<Attribution, RuleError> {
        let stale = match &self.listed {
            None => true,
            Some((at, groups)) => {
                let age = now.saturating_duration_since(*at);
                age >= LISTING_KEPT || (!groups.contains_key(group) && age >= UNKNOWN_GROUP_RELIST)
            }
        };
        if stale {
            self.listed = Some((now, list_log_groups(kafka).await?));
        }
        let groups = self.listed.as_ref().map(|(_, groups)| groups);
        Ok(attribution(groups.and_then(|groups| groups.get(group))))
    }
}

fn attribution(clusters: Option<&BTreeSet<String>>) -> Attribution {
    let names: Vec<String> = clusters.into_iter().flatten().cloned().collect();
    match <[String; 1]>::try_from(names) {
        Ok([only]) => Attribution::Cluster(only),
        Err(names) if names.is_empty() => Attribution::NoCluster,
        Err(names) => Attribution::Shared(names),
    }
}

/// What one subscription event counted, and whose brokers it was from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejections {
    pub batch: LogBatch,
    pub attribution: Attribution,
}

impl Rejections {
    /// Counts an event: a control message (the subscription's check that it can invoke the
    /// function) needs no listing and counts nothing; a group of another account than
    /// `own_account` is no cluster's the listing could name.
    pub async fn of<K: KafkaService>(
        batch: LogBatch,
        own_account: &str,
        kafka: &K,
        cache: &mut LogGroupCache,
        now: Instant,
    ) -> Result<Self, RuleError> {
        let attribution = match batch.message_type {
            MessageType::Data if batch.owner == own_account => {
                cache.attribution(kafka, &batch.log_group, now).await?
            }
            MessageType::Data | MessageType::Control => Attribution::NoCluster,
        };
        Ok(Rejections { batch, attribution })
    }

    pub fn tally(&self) -> &Tally {
        &self.batch.tally
    }

    /// The invocation's answer (CloudWatch Logs does not read it; a test or a person does).
    pub fn to_json(&self) -> Value {
        let tally = self.tally();
        let (cluster, shared_by) = match &self.attribution {
            Attribution::Cluster(name) => (Some(name.as_str()), Vec::new()),
            Attribution::Shared(names) => (None, names.clone()),
            Attribution::NoCluster => (None, Vec::new()),
        };
        json!({
            "logGroup": self.batch.log_group,
            "messageType": match self.batch.message_type {
                MessageType::Data => "DATA_MESSAGE",
                MessageType::Control => "CONTROL_MESSAGE",
            },
            "clusterName": cluster,
            "sharedBy": shared_by,
            "lines": tally.lines,
            "rejectedHandshakes": tally.rejected_handshakes,
            "failedSaslAuthentications": tally.failed_sasl_authentications,
            "topAddresses": tally.top_addresses(TOP_ADDRESSES).into_iter()
                .map(|(address, count)| json!({"address": address, "refusals": count}))
                .collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::aws::ports::Page;
    use crate::edge::kafka::ListedCluster;
    use crate::rule::evaluation::ResourceType;
    use crate::rule::facts::{BrokerLogs, ClusterFacts};

    /// The clusters' log groups, in pages of one, counting the listings.
    struct Fleet {
        clusters: Vec<(&'static str, Option<&'static str>)>,
        pages_read: AtomicUsize,
    }

    impl Fleet {
        fn new(clusters: Vec<(&'static str, Option<&'static str>)>) -> Self {
            Fleet {
                clusters,
                pages_read: AtomicUsize::new(0),
            }
        }
    }

    impl KafkaService for Fleet {
        async fn list_clusters(
            &self,
            next_token: Option<String>,
        ) -> Result<Page<ListedCluster>, RuleError> {
            self.pages_read.fetch_add(1, Ordering::SeqCst);
            let index: usize = next_token.map_or(0, |token| token.parse().unwrap());
            let (name, group) = self.clusters[index];
            let facts = ClusterFacts {
                broker_logs: BrokerLogs {
                    cloudwatch_log_group: group.map(str::to_owned),
                    ..BrokerLogs::default()
                },
                ..ClusterFacts::default()
            };
            Ok(Page {
                items: vec![ListedCluster {
                    resource_type: ResourceType::MskCluster,
                    arn: format!("arn:aws:kafka:us-east-1:123456789012:cluster/{name}/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"),
                    tags: BTreeMap::new(),
                    cluster: Cluster::Provisioned(facts),
                }],
                next_token: (index + 1 < self.clusters.len()).then(|| (index + 1).to_string()),
            })
        }
        async fn configuration_revision(
            &self,
            _: &crate::rule::authorization::ConfigurationRevision,
        ) -> Result<crate::rule::authorization::ConfigurationRead, RuleError> {
            unimplemented!()
        }
        async fn zookeeper_changes(
            &self,
            _: &str,
        ) -> Result<crate::rule::zookeeper::OperationsRead, RuleError> {
            unimplemented!()
        }
        async fn replicators(&self) -> crate::rule::doors::Listing<crate::rule::doors::Replicator> {
            unimplemented!()
        }
        async fn client_vpc_connections(
            &self,
            _: &str,
        ) -> crate::rule::doors::Listing<crate::rule::doors::ClientVpcConnection> {
            unimplemented!()
        }
        async fn broker_hosts(&self, _: &str) -> crate::rule::doors::Listing<String> {
            unimplemented!()
        }
    }

    /// The answer names the cluster (or who shares the group), the counts and the top addresses.
    #[test]
    fn the_answer_says_what_was_counted_and_whose() {
        let mut tally = Tally::default();
        for line in [
            "Failed authentication with /10.0.0.1 (SSL handshake failed)",
            "Failed authentication with /10.0.0.1 (SSL handshake failed)",
            "Failed authentication with /10.0.0.2 (Authentication failed)",
            "INFO something else",
        ] {
            tally.count(line);
        }
        let batch = LogBatch {
            owner: "123456789012".into(),
            log_group: "/msk/shared".into(),
            message_type: MessageType::Data,
            tally,
        };
        let shared = Rejections {
            batch,
            attribution: Attribution::Shared(vec!["a".into(), "b".into()]),
        };
        assert_eq!(shared.tally().rejected_handshakes, 2);
        assert_eq!(
            shared.to_json(),
            json!({"logGroup": "/msk/shared", "messageType": "DATA_MESSAGE", "clusterName": null,
                "sharedBy": ["a", "b"], "lines": 4, "rejectedHandshakes": 2, "failedSaslAuthentications": 1,
                "topAddresses": [{"address": "10.0.0.1", "refusals": 2}, {"address": "10.0.0.2", "refusals": 1}]})
        );
        let one = Rejections {
            attribution: Attribution::Cluster("payments".into()),
            ..shared
        };
        assert_eq!(one.to_json()["clusterName"], "payments");
        assert_eq!(one.to_json()["sharedBy"], json!([]));
    }

    #[tokio::test]
    async fn a_group_is_one_clusters_shared_or_nobodys() {
        let fleet = Fleet::new(vec![
            ("payments", Some("/msk/payments")),
            ("orders", Some("/msk/shared")),
            ("billing", Some("/msk/shared")),
            ("quiet", None),
        ]);
        let mut cache = LogGroupCache::default();
        let now = Instant::now();
        for (group, expected) in [
            ("/msk/payments", Attribution::Cluster("payments".into())),
            (
                "/msk/shared",
                Attribution::Shared(vec!["billing".into(), "orders".into()]),
            ),
            ("/other", Attribution::NoCluster),
        ] {
            let got = cache.attribution(&fleet, group, now).await.unwrap();
            assert_eq!(got, expected, "{group}");
        }
        // One listing (four pages) answered all three, the unknown group too, being fresh.
        assert_eq!(fleet.pages_read.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn the_listing_is_read_again_when_old_or_when_a_group_is_unknown_for_a_minute() {
        let fleet = Fleet::new(vec![("payments", Some("/msk/payments"))]);
        let mut cache = LogGroupCache::default();
        let start = Instant::now();
        let batch = |owner: &str| LogBatch {
            owner: owner.into(),
            log_group: "/msk/payments".into(),
            message_type: MessageType::Data,
            tally: Tally::default(),
        };
        let other_account = Rejections::of(
            batch("444455556666"),
            "123456789012",
            &fleet,
            &mut cache,
            start,
        );
        assert_eq!(
            other_account.await.unwrap().attribution,
            Attribution::NoCluster
        );
        let reads = |fleet: &Fleet| fleet.pages_read.load(Ordering::SeqCst);
        assert_eq!(reads(&fleet), 0);
        let own = Rejections::of(
            batch("123456789012"),
            "123456789012",
            &fleet,
            &mut cache,
            start,
        );
        assert_eq!(
            own.await.unwrap().attribution,
            Attribution::Cluster("payments".into())
        );
        // Kept 15 minutes, as the docs say.
        let known_later = start + Duration::from_secs(15 * 60 - 1);
        cache
            .attribution(&fleet, "/msk/payments", known_later)
            .await
            .unwrap();
        cache
            .attribution(&fleet, "/new", start + Duration::from_secs(59))
            .await
            .unwrap();
        assert_eq!(reads(&fleet), 1);
        cache
            .attribution(&fleet, "/new", start + Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(reads(&fleet), 2);
        // A minute on, the unknown group listed again: 15 minutes from then, the known one too.
        let relisted = start + Duration::from_secs(60) + Duration::from_secs(15 * 60);
        cache
            .attribution(&fleet, "/msk/payments", relisted - Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(reads(&fleet), 2);
        cache
            .attribution(&fleet, "/msk/payments", relisted)
            .await
            .unwrap();
        assert_eq!(reads(&fleet), 3);
    }
}
