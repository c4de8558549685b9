//! An MSK cluster's ARN, read once where it enters (a flag, an event, a listing) so that no part of
//! the code splits one by hand again.

use std::fmt;

/// `arn:<partition>:kafka:<region>:<12-digit account>:cluster/<name>/<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterArn {
    arn: String,
    partition: String,
    region: String,
    account: String,
    name: String,
}

impl ClusterArn {
    /// The ARN's parts, or `None` when it is not an MSK cluster's ARN.
    pub fn parse(arn: &str) -> Option<Self> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", partition, "kafka", region, account, resource] = parts.as_slice() else {
            return None;
        };
        let (name, uuid) = resource.strip_prefix("cluster/")?.split_once('/')?;
        let valid = partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && !uuid.is_empty()
            && !uuid.contains('/');
        valid.then(|| ClusterArn {
            arn: arn.to_owned(),
            partition: (*partition).to_owned(),
            region: (*region).to_owned(),
            account: (*account).to_owned(),
            name: name.to_owned(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.arn
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    /// The name the cluster was created with, as the console shows it.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ClusterArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// The cluster's name when `id` is a cluster ARN, else `id` itself (a resource id that is not one).
pub fn cluster_name_or_id(id: &str) -> std::borrow::Cow<'_, str> {
    match ClusterArn::parse(id) {
        Some(arn) => std::borrow::Cow::Owned(arn.name),
        None => std::borrow::Cow::Borrowed(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws-us-gov:kafka:us-gov-west-1:123456789012:cluster/orders/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";

    #[test]
    fn every_part_is_read_once() {
        let arn = ClusterArn::parse(ARN).unwrap();
        assert_eq!(
            (arn.partition(), arn.region(), arn.account(), arn.name()),
            ("aws-us-gov", "us-gov-west-1", "123456789012", "orders")
        );
        assert_eq!(arn.to_string(), ARN);
        assert_eq!(cluster_name_or_id(ARN), "orders");
        assert_eq!(cluster_name_or_id("orders"), "orders");
    }

    #[test]
    fn anything_else_is_not_a_cluster_arn() {
        for bad in [
            "",
            "orders",
            "arn:aws:kafka:eu-west-1:123456789012:topic/orders/uuid/t",
            "arn:aws:kafka:eu-west-1:123456789012:cluster/orders",
            "arn:aws:kafka:eu-west-1:123456789012:cluster//uuid",
            "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/",
            "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/uuid/extra",
            "arn:aws:kafka::123456789012:cluster/orders/uuid",
            "arn:aws:kafka:eu-west-1:12345678901:cluster/orders/uuid",
            "arn:aws:kafka:eu-west-1:12345678901x:cluster/orders/uuid",
            "arn:other:kafka:eu-west-1:123456789012:cluster/orders/uuid",
            "arn:aws:sns:eu-west-1:123456789012:cluster/orders/uuid",
            "urn:aws:kafka:eu-west-1:123456789012:cluster/orders/uuid",
        ] {
            assert_eq!(ClusterArn::parse(bad), None, "{bad}");
        }
    }
}
