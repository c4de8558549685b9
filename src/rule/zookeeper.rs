//! Whether clients can reach a cluster's ZooKeeper directly (ports 2181 plaintext, 2182 TLS), where
//! anyone can rewrite the ACLs without a certificate. Only a ZooKeeper-mode cluster with Standard
//! brokers has that door: KRaft clusters keep metadata in Kafka's own controllers, and MSK manages
//! ZooKeeper for Express brokers (MSK developer guide, "Disable or enable direct Apache ZooKeeper
//! client access"). MSK creates clusters with it on; `UpdateConnectivity` with `ZookeeperAccess`
//! turns it off, and DescribeClusterV2 does not say which: the cluster's operations do.

use std::fmt;

use crate::rule::time::Timestamp;

/// Where a cluster keeps its metadata, as far as a client reaching ZooKeeper is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metadata {
    /// ZooKeeper mode with Standard brokers: direct access is on unless an operation turned it
    /// off. Also what a cluster reads as whose Kafka version is not recorded (the unsafe reading).
    #[default]
    ZooKeeper,
    /// KRaft mode: a `.kraft` version, or Kafka 4 and later, which have no ZooKeeper.
    KRaft,
    /// Express brokers (`express.*`): MSK manages their ZooKeeper, which clients cannot reach.
    ExpressBrokers,
}

impl Metadata {
    /// The mode a cluster runs, from its Kafka version (`3.7.x.kraft`, `3.6.0`, `4.0.x`) and its
    /// brokers' instance type.
    pub fn of(kafka_version: Option<&str>, instance_type: Option<&str>) -> Self {
        if instance_type.is_some_and(|kind| kind.starts_with("express.")) {
            return Metadata::ExpressBrokers;
        }
        let Some(version) = kafka_version.map(str::trim) else {
            return Metadata::ZooKeeper;
        };
        let major = version
            .split('.')
            .next()
            .and_then(|major| major.parse::<u32>().ok());
        if version.ends_with(".kraft") || major.is_some_and(|major| major >= 4) {
            Metadata::KRaft
        } else {
            Metadata::ZooKeeper
        }
    }
}

/// One operation on a cluster that set `ZookeeperAccess` (its `targetClusterInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZooKeeperChange {
    pub created: Timestamp,
    /// `operationState` is `UPDATE_COMPLETE`: a pending or failed change changed nothing.
    pub completed: bool,
    /// `ZookeeperAccess.Enabled`; `None` when the block has no flag.
    pub enabled: Option<bool>,
}

/// What the cluster's operations gave (ListClusterOperations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationsRead {
    /// Every operation that set ZooKeeper access, in any order.
    Changes(Vec<ZooKeeperChange>),
    /// Not found, access denied: never read as off.
    Unreadable(String),
}

/// Whether a ZooKeeper-mode cluster's ZooKeeper is reachable directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZooKeeperAccess {
    /// The latest completed change turned it off.
    Off,
    On(OnBecause),
}

/// Why ZooKeeper is (or may be) reachable directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnBecause {
    /// No completed operation turned it off: MSK creates clusters with it on.
    NeverTurnedOff,
    /// The latest completed change turned it on again (or carried no flag).
    TurnedOn,
    /// The operations could not be read (access denied, not found): never read as off.
    Unreadable(String),
    /// A template or a hook request: the cluster does not exist yet, and MSK creates it with
    /// direct access on. A note, not a failure: the rule judges it once the cluster exists.
    NotKnownBeforeDeploy,
}

impl fmt::Display for OnBecause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnBecause::NeverTurnedOff => f.write_str("never turned off"),
            OnBecause::TurnedOn => f.write_str("turned on again"),
            OnBecause::Unreadable(reason) => {
                write!(f, "the cluster's operations could not be read: {reason}")
            }
            OnBecause::NotKnownBeforeDeploy => {
                f.write_str("MSK creates the cluster with it on; judged once the cluster exists")
            }
        }
    }
}

impl OperationsRead {
    /// The access the operations leave: the latest completed change wins, and of changes made at
    /// the same instant the one that turns it on.
    pub fn access(&self) -> ZooKeeperAccess {
        let changes = match self {
            OperationsRead::Unreadable(reason) => {
                return ZooKeeperAccess::On(OnBecause::Unreadable(reason.clone()))
            }
            OperationsRead::Changes(changes) => changes,
        };
        let latest = changes
            .iter()
            .filter(|change| change.completed)
            .map(|change| (change.created, change.enabled != Some(false)))
            .max();
        match latest {
            None => ZooKeeperAccess::On(OnBecause::NeverTurnedOff),
            Some((_, true)) => ZooKeeperAccess::On(OnBecause::TurnedOn),
            Some((_, false)) => ZooKeeperAccess::Off,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kraft_versions_kafka_4_and_express_brokers_have_no_zookeeper_door() {
        let standard = Some("kafka.m5.large");
        for (version, instance, mode) in [
            (Some("3.7.x.kraft"), standard, Metadata::KRaft),
            (Some("3.9.x.kraft"), standard, Metadata::KRaft),
            (Some("4.0.x"), standard, Metadata::KRaft),
            (Some("4.1.x.kraft"), standard, Metadata::KRaft),
            (Some("10.0.0"), standard, Metadata::KRaft),
            (Some("3.7.x"), standard, Metadata::ZooKeeper),
            (Some("3.6.0"), standard, Metadata::ZooKeeper),
            (Some("2.8.2.tiered"), standard, Metadata::ZooKeeper),
            (Some(" 3.9.x "), standard, Metadata::ZooKeeper),
            (Some("kraft"), standard, Metadata::ZooKeeper),
            (Some(""), standard, Metadata::ZooKeeper),
            (None, standard, Metadata::ZooKeeper),
            (None, None, Metadata::ZooKeeper),
            (
                Some("3.6.0"),
                Some("express.m7g.large"),
                Metadata::ExpressBrokers,
            ),
            (None, Some("express.m7g.xlarge"), Metadata::ExpressBrokers),
            (Some("3.6.0"), Some("kafka.express"), Metadata::ZooKeeper),
        ] {
            assert_eq!(
                Metadata::of(version, instance),
                mode,
                "{version:?} {instance:?}"
            );
        }
    }

    fn change(secs: i64, completed: bool, enabled: Option<bool>) -> ZooKeeperChange {
        ZooKeeperChange {
            created: Timestamp::from_secs(secs),
            completed,
            enabled,
        }
    }

    #[test]
    fn the_latest_completed_change_decides_and_nothing_else_turns_it_off() {
        let access = |changes: Vec<ZooKeeperChange>| OperationsRead::Changes(changes).access();
        let on = |because| ZooKeeperAccess::On(because);
        assert_eq!(access(vec![]), on(OnBecause::NeverTurnedOff));
        assert_eq!(
            access(vec![change(10, true, Some(false))]),
            ZooKeeperAccess::Off
        );
        assert_eq!(
            access(vec![change(10, false, Some(false))]),
            on(OnBecause::NeverTurnedOff),
            "a pending or failed change turned nothing off"
        );
        assert_eq!(
            access(vec![
                change(20, true, Some(false)),
                change(10, true, Some(true))
            ]),
            ZooKeeperAccess::Off,
            "the newest wins whatever the order"
        );
        assert_eq!(
            access(vec![
                change(10, true, Some(false)),
                change(20, true, Some(true))
            ]),
            on(OnBecause::TurnedOn)
        );
        assert_eq!(
            access(vec![
                change(10, true, Some(false)),
                change(20, false, Some(true))
            ]),
            ZooKeeperAccess::Off,
            "a newer change not completed leaves the older one"
        );
        assert_eq!(
            access(vec![change(10, true, Some(false)), change(20, true, None)]),
            on(OnBecause::TurnedOn),
            "a block without its flag is never read as off"
        );
        assert_eq!(
            access(vec![
                change(10, true, Some(false)),
                change(10, true, Some(true))
            ]),
            on(OnBecause::TurnedOn),
            "of two at the same instant, the one that opens it"
        );
        assert_eq!(
            OperationsRead::Unreadable("AccessDeniedException".into()).access(),
            on(OnBecause::Unreadable("AccessDeniedException".into()))
        );
    }
}
