//! Why a door other than mTLS is open: the AWS services that cannot use a client certificate and
//! use the cluster through another door. MSK Connect connectors authenticate with `NONE` or `IAM`
//! only, MSK Replicator reaches its source and target clusters with SASL/IAM (port 9098), and a
//! client's multi-VPC connection uses the authentication it was created with. Naming them tells the
//! owner who breaks when the door closes, instead of an exemption for the whole cluster. A name is
//! never a verdict: the finding fails the cluster whoever uses the door.

use std::fmt;

use crate::rule::params::SaslMechanism;

/// A way into a cluster that the checks find open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Door {
    Unauthenticated,
    Sasl(SaslMechanism),
    /// SASL through multi-VPC private connectivity.
    MultiVpcSasl(SaslMechanism),
}

/// An MSK Connect connector as ListConnectors gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    pub name: String,
    /// The hosts of its `bootstrapServers`.
    pub hosts: Vec<String>,
    /// Its `kafkaClusterClientAuthentication.authenticationType`: `IAM` is SASL/IAM; `NONE` (or
    /// none given, MSK Connect's default) is unauthenticated access.
    pub iam: bool,
}

impl Connector {
    /// Whether the connector's bootstrap servers could be the brokers of the cluster `cluster_arn`,
    /// from its name alone: MSK names a broker `b-N.<cluster name>.<id>.c<N>.kafka...`, the name
    /// in lower case without its hyphens and the characters DNS refuses (`demo-cluster-1` as
    /// `democluster1`; with its hyphens is taken too). Only such a cluster's brokers are read, so a
    /// sweep reads the brokers of the clusters the connectors name, not of every cluster with the
    /// door open; the match itself is by the brokers' domain.
    pub fn may_use(&self, cluster_arn: &str) -> bool {
        let name = cluster_arn
            .split('/')
            .nth(1)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let spellings = [
            name.replace(|c: char| !c.is_ascii_alphanumeric(), ""),
            name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', ""),
        ];
        self.hosts.iter().any(|host| {
            let label = host.split('.').nth(1).unwrap_or_default();
            !label.is_empty() && spellings.iter().any(|name| name == label)
        })
    }
}

/// An MSK Replicator as ListReplicators gives it: every MSK cluster it names (source or target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replicator {
    pub name: String,
    pub cluster_arns: Vec<String>,
}

/// A client's multi-VPC connection to the cluster (ListClientVpcConnections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientVpcConnection {
    pub arn: String,
    /// The account that owns the client's end, when given.
    pub owner: Option<String>,
    /// `SASL_IAM` or `SASL_SCRAM`; `None` for `TLS` or a value this build does not know, which
    /// open no SASL door.
    pub sasl: Option<SaslMechanism>,
}

/// A listing, or why it could not be read (its API and the error's code): what it would have named
/// is then unknown, and said so.
pub type Listing<T> = Result<Vec<T>, String>;

/// Who uses one of a cluster's doors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoorUser {
    Connector(String),
    Replicator(String),
    VpcConnection { arn: String, owner: Option<String> },
}

impl fmt::Display for DoorUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DoorUser::Connector(name) => write!(f, "MSK Connect connector {name}"),
            DoorUser::Replicator(name) => write!(f, "MSK Replicator {name}"),
            DoorUser::VpcConnection { arn, owner } => {
                let id = arn.rsplit('/').next().unwrap_or(arn);
                match owner {
                    Some(owner) => write!(f, "VPC connection {id} of account {owner}"),
                    None => write!(f, "VPC connection {id}"),
                }
            }
        }
    }
}

/// What a finding says about who uses its door: nothing when not looked at (before deploy, or a
/// door nobody was asked about).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsedBy {
    pub users: Vec<DoorUser>,
    /// The listings that could not be read, each as its reason.
    pub unread: Vec<String>,
}

impl UsedBy {
    /// The users, in full (for `--explain`, alerts and `audit`).
    pub fn describe(&self) -> String {
        self.render(usize::MAX)
    }

    /// The first user only and a count of the others (for the 256-character annotation).
    pub fn summarise(&self) -> String {
        self.render(1)
    }

    fn render(&self, shown: usize) -> String {
        let mut parts = Vec::new();
        if !self.users.is_empty() {
            let names: Vec<String> = self
                .users
                .iter()
                .take(shown)
                .map(ToString::to_string)
                .collect();
            let more = self.users.len().saturating_sub(shown);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            parts.push(format!("used by {}{more}", names.join(", ")));
        }
        if !self.unread.is_empty() {
            parts.push(format!("users not listed: {}", self.unread.join(", ")));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        }
    }
}

/// Everything read about who uses a cluster's doors: the account's connectors and replicators, the
/// cluster's broker hosts (which a connector's bootstrap servers are matched against) and its
/// clients' VPC connections. `None` where not read (no door needed it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DoorUsers {
    pub connectors: Option<Listing<Connector>>,
    pub broker_hosts: Option<Listing<String>>,
    pub replicators: Option<Listing<Replicator>>,
    pub vpc_connections: Option<Listing<ClientVpcConnection>>,
}

impl DoorUsers {
    /// Who uses `door` of the cluster `cluster_arn`.
    pub fn of(&self, door: Door, cluster_arn: &str) -> UsedBy {
        let mut used = UsedBy::default();
        match door {
            Door::Unauthenticated => self.connectors_through(false, &mut used),
            Door::Sasl(SaslMechanism::Iam) => {
                self.connectors_through(true, &mut used);
                read(&self.replicators, &mut used, |replicator: &Replicator| {
                    replicator
                        .cluster_arns
                        .iter()
                        .any(|arn| arn == cluster_arn)
                        .then(|| DoorUser::Replicator(replicator.name.clone()))
                });
            }
            Door::Sasl(SaslMechanism::Scram) => {}
            Door::MultiVpcSasl(_) => {}
        }
        // A client's VPC connection with SASL needs the mechanism on the cluster as well as on its
        // multi-VPC connectivity: it uses both doors.
        if let Door::Sasl(mechanism) | Door::MultiVpcSasl(mechanism) = door {
            read(
                &self.vpc_connections,
                &mut used,
                |connection: &ClientVpcConnection| {
                    (connection.sasl == Some(mechanism)).then(|| DoorUser::VpcConnection {
                        arn: connection.arn.clone(),
                        owner: connection.owner.clone(),
                    })
                },
            );
        }
        used
    }

    /// The connectors of one authentication whose bootstrap servers are this cluster's brokers.
    fn connectors_through(&self, iam: bool, used: &mut UsedBy) {
        if let Some(Err(reason)) = &self.connectors {
            used.unread.push(reason.clone());
            return;
        }
        // Not read when no connector of the account could use a door of the cluster.
        let hosts = match &self.broker_hosts {
            Some(Ok(hosts)) => hosts,
            Some(Err(reason)) => {
                used.unread.push(reason.clone());
                return;
            }
            None => return,
        };
        let domains: Vec<&str> = hosts
            .iter()
            .filter_map(|host| cluster_domain(host))
            .collect();
        read(&self.connectors, used, |connector: &Connector| {
            let ours = connector
                .hosts
                .iter()
                .filter_map(|host| cluster_domain(host))
                .any(|domain| domains.contains(&domain));
            (connector.iam == iam && ours).then(|| DoorUser::Connector(connector.name.clone()))
        });
    }
}

fn read<T>(listing: &Option<Listing<T>>, used: &mut UsedBy, user: impl Fn(&T) -> Option<DoorUser>) {
    match listing {
        Some(Ok(items)) => used.users.extend(items.iter().filter_map(user)),
        Some(Err(reason)) => used.unread.push(reason.clone()),
        _ => {}
    }
}

/// The part of a broker's host name that is the cluster's: `b-1.orders.abc123.c2.kafka.<region>.
/// amazonaws.com` without its broker label (`b-1`, `b-1-public`), in lower case, since DNS names
/// match in any case. A bare name (no dot) has no cluster part.
fn cluster_domain(host: &str) -> Option<&str> {
    let host = host.trim();
    let host = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    let (_, domain) = host.split_once('.')?;
    (!domain.is_empty()).then_some(domain)
}

/// The hosts of a `host:port,host:port` list, as written (a connector's `bootstrapServers`, a
/// broker string).
pub fn hosts_of(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .rsplit_once(':')
                .map_or(entry, |(host, _port)| host)
                .to_ascii_lowercase()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kafka:us-east-1:111122223333:cluster/orders/0c1b9d1e-1111-2222-3333-444455556666-2";

    fn connector(name: &str, servers: &str, iam: bool) -> Connector {
        Connector {
            name: name.into(),
            hosts: hosts_of(servers),
            iam,
        }
    }

    fn users() -> DoorUsers {
        DoorUsers {
            connectors: Some(Ok(vec![
                connector("orders-sink", "b-2.orders.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098", true),
                connector("legacy-source", "B-1.ORDERS.AB12CD.C2.KAFKA.US-EAST-1.AMAZONAWS.COM:9094", false),
                connector("other-cluster", "b-1.billing.zz99yy.c3.kafka.us-east-1.amazonaws.com:9098", true),
            ])),
            broker_hosts: Some(Ok(hosts_of(
                "b-1.orders.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098,b-3.orders.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098",
            ))),
            replicators: Some(Ok(vec![
                Replicator { name: "eu-copy".into(), cluster_arns: vec![ARN.into(), "arn:other".into()] },
                Replicator { name: "unrelated".into(), cluster_arns: vec!["arn:other".into()] },
            ])),
            vpc_connections: Some(Ok(vec![
                ClientVpcConnection { arn: "arn:aws:kafka:us-east-1:444455556666:vpc-connection/111122223333/orders/abc-1".into(), owner: Some("444455556666".into()), sasl: Some(SaslMechanism::Scram) },
                ClientVpcConnection { arn: "arn:x/tls-1".into(), owner: None, sasl: None },
            ])),
        }
    }

    fn names(used: &UsedBy) -> Vec<String> {
        used.users.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn connectors_are_matched_by_the_clusters_broker_domain_in_any_case_and_by_their_door() {
        let users = users();
        assert_eq!(
            names(&users.of(Door::Sasl(SaslMechanism::Iam), ARN)),
            [
                "MSK Connect connector orders-sink",
                "MSK Replicator eu-copy"
            ]
        );
        assert_eq!(
            names(&users.of(Door::Unauthenticated, ARN)),
            ["MSK Connect connector legacy-source"]
        );
    }

    #[test]
    fn vpc_connections_are_named_on_both_doors_of_their_mechanism_only() {
        let users = users();
        for door in [
            Door::MultiVpcSasl(SaslMechanism::Scram),
            Door::Sasl(SaslMechanism::Scram),
        ] {
            assert_eq!(
                names(&users.of(door, ARN)),
                ["VPC connection abc-1 of account 444455556666"],
                "{door:?}"
            );
        }
        assert!(users
            .of(Door::MultiVpcSasl(SaslMechanism::Iam), ARN)
            .users
            .is_empty());
        assert!(users
            .of(Door::Unauthenticated, ARN)
            .users
            .iter()
            .all(|u| !matches!(u, DoorUser::VpcConnection { .. })));
    }

    #[test]
    fn a_listing_that_could_not_be_read_is_said_once_and_unknown_brokers_match_no_connector() {
        let users = DoorUsers {
            connectors: Some(Ok(vec![connector(
                "c",
                "b-1.orders.x.c1.kafka.r.amazonaws.com:9098",
                true,
            )])),
            broker_hosts: Some(Err("GetBootstrapBrokers: AccessDeniedException".into())),
            replicators: Some(Err("ListReplicators: AccessDeniedException".into())),
            vpc_connections: None,
        };
        let used = users.of(Door::Sasl(SaslMechanism::Iam), ARN);
        assert!(used.users.is_empty());
        assert_eq!(
            used.unread,
            [
                "GetBootstrapBrokers: AccessDeniedException",
                "ListReplicators: AccessDeniedException"
            ]
        );
        assert_eq!(
            used.describe(),
            " (users not listed: GetBootstrapBrokers: AccessDeniedException, ListReplicators: AccessDeniedException)"
        );
    }

    #[test]
    fn connectors_that_could_not_be_listed_are_said_though_no_broker_was_read() {
        let users = DoorUsers {
            connectors: Some(Err("ListConnectors: AccessDeniedException".into())),
            ..DoorUsers::default()
        };
        assert_eq!(
            users.of(Door::Unauthenticated, ARN).unread,
            ["ListConnectors: AccessDeniedException"]
        );
    }

    #[test]
    fn the_annotation_names_the_first_user_and_counts_the_rest_explain_names_all() {
        let used = users().of(Door::Sasl(SaslMechanism::Iam), ARN);
        assert_eq!(
            used.summarise(),
            " (used by MSK Connect connector orders-sink and 1 more)"
        );
        assert_eq!(
            used.describe(),
            " (used by MSK Connect connector orders-sink, MSK Replicator eu-copy)"
        );
        assert_eq!(UsedBy::default().describe(), "");
        assert_eq!(
            DoorUsers::default().of(Door::Unauthenticated, ARN),
            UsedBy::default()
        );
    }

    #[test]
    fn a_connector_may_use_a_cluster_whose_name_its_hosts_spell_as_msk_does() {
        let named = |servers: &str| connector("c", servers, true);
        let arn = "arn:aws:kafka:us-east-1:1:cluster/Demo-Cluster_1/u-1";
        assert!(
            named("b-1.democluster1.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098").may_use(arn)
        );
        assert!(
            named("b-1.demo-cluster1.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098").may_use(arn)
        );
        assert!(
            !named("b-1.democlus.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098").may_use(arn),
            "another name"
        );
        assert!(
            !named("b-1.democluster10.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098").may_use(arn),
            "another name"
        );
        assert!(!named("b-1.billing.ab12cd.c2.kafka.us-east-1.amazonaws.com:9098").may_use(arn));
        assert!(!named("localhost:9092").may_use(arn));
        assert!(!named("b-1..c2:9092").may_use(arn));
    }

    #[test]
    fn a_host_without_a_domain_matches_nothing() {
        assert_eq!(cluster_domain("localhost:9092"), None);
        assert_eq!(cluster_domain("b-1.:9092"), None);
        assert_eq!(hosts_of(" a.b:1 , ,C.D:2"), ["a.b", "c.d"]);
    }
}
