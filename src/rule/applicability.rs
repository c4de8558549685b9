//! Every reason a resource gets NOT_APPLICABLE, decided in one place, before its configuration is
//! read or any check runs.

use std::collections::BTreeMap;
use std::fmt;

use crate::rule::evaluation::{ComplianceType, ResourceType};
use crate::rule::params::{RuleParams, TagScope};

/// What is known of a resource when it is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Recorded by Config, or listed by the Kafka API.
    Present,
    /// `ResourceDeleted` or `ResourceDeletedNotRecorded`.
    Deleted,
    /// `ResourceNotRecorded`: Config does not record the type.
    NotRecorded,
    /// A result this rule holds for a cluster the sweep no longer lists.
    Gone,
}

pub struct Subject<'a> {
    pub resource_type: &'a ResourceType,
    pub presence: Presence,
    /// The event says the resource left the rule's scope.
    pub left_scope: bool,
    /// The resource's tags, where known (not for a cluster that is gone).
    pub tags: Option<&'a BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotApplicable {
    LeftScope,
    Deleted,
    NotRecorded,
    Gone,
    NotAnMskCluster(ResourceType),
    OutsideTagScope(TagScope),
    Serverless,
}

impl fmt::Display for NotApplicable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotApplicable::LeftScope => {
                f.write_str("the resource is no longer in the rule's scope")
            }
            NotApplicable::Deleted => f.write_str("the cluster was deleted"),
            NotApplicable::NotRecorded => f.write_str("Config does not record this resource"),
            NotApplicable::Gone => f.write_str("the cluster no longer exists"),
            NotApplicable::NotAnMskCluster(kind) => write!(f, "{kind} is not an MSK cluster"),
            NotApplicable::OutsideTagScope(scope) => {
                write!(f, "the cluster is outside the rule's scope ({scope})")
            }
            NotApplicable::Serverless => {
                f.write_str("MSK Serverless supports only SASL/IAM and cannot enforce mTLS")
            }
        }
    }
}

/// Why the resource is NOT_APPLICABLE, if it is; `None` when the checks must judge it.
pub fn applicability(subject: &Subject, params: &RuleParams) -> Option<NotApplicable> {
    if subject.left_scope {
        return Some(NotApplicable::LeftScope);
    }
    match subject.presence {
        Presence::Present => {}
        Presence::Deleted => return Some(NotApplicable::Deleted),
        Presence::NotRecorded => return Some(NotApplicable::NotRecorded),
        Presence::Gone => return Some(NotApplicable::Gone),
    }
    if !subject.resource_type.is_msk_cluster() {
        return Some(NotApplicable::NotAnMskCluster(
            subject.resource_type.clone(),
        ));
    }
    // A change event arrives only for clusters in the Config rule's scope; the sweep lists them all.
    if let (Some(scope), Some(tags)) = (&params.scope_tag, subject.tags) {
        if !scope.admits(tags) {
            return Some(NotApplicable::OutsideTagScope(scope.clone()));
        }
    }
    if *subject.resource_type == ResourceType::MskServerlessCluster
        && params.serverless_cluster_compliance == ComplianceType::NotApplicable
    {
        return Some(NotApplicable::Serverless);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(
        resource_type: &'a ResourceType,
        presence: Presence,
        tags: Option<&'a BTreeMap<String, String>>,
    ) -> Subject<'a> {
        Subject {
            resource_type,
            presence,
            left_scope: false,
            tags,
        }
    }

    #[test]
    fn every_reason_in_its_order() {
        let cluster = ResourceType::MskCluster;
        let serverless = ResourceType::MskServerlessCluster;
        let other = ResourceType::parse("AWS::EC2::Instance");
        let tags = BTreeMap::from([("environment".to_owned(), "staging".to_owned())]);
        let scoped = RuleParams::parse(Some(
            r#"{"scopeTagKey":"environment","scopeTagValue":"production"}"#,
        ))
        .unwrap();
        let defaults = RuleParams::default();
        let cases = [
            (
                Subject {
                    left_scope: true,
                    ..subject(&cluster, Presence::Deleted, None)
                },
                &defaults,
                Some(NotApplicable::LeftScope),
            ),
            (
                subject(&cluster, Presence::Deleted, None),
                &defaults,
                Some(NotApplicable::Deleted),
            ),
            (
                subject(&cluster, Presence::NotRecorded, None),
                &defaults,
                Some(NotApplicable::NotRecorded),
            ),
            (
                subject(&cluster, Presence::Gone, None),
                &scoped,
                Some(NotApplicable::Gone),
            ),
            (
                subject(&other, Presence::Present, Some(&tags)),
                &defaults,
                Some(NotApplicable::NotAnMskCluster(other.clone())),
            ),
            (
                subject(&cluster, Presence::Present, Some(&tags)),
                &scoped,
                Some(NotApplicable::OutsideTagScope(
                    scoped.scope_tag.clone().unwrap(),
                )),
            ),
            (
                subject(&serverless, Presence::Present, Some(&tags)),
                &defaults,
                Some(NotApplicable::Serverless),
            ),
            (
                subject(&cluster, Presence::Present, Some(&tags)),
                &defaults,
                None,
            ),
        ];
        for (subject, params, expected) in cases {
            assert_eq!(applicability(&subject, params), expected);
        }
        let strict = RuleParams {
            serverless_cluster_compliance: ComplianceType::NonCompliant,
            ..RuleParams::default()
        };
        assert_eq!(
            applicability(&subject(&serverless, Presence::Present, None), &strict),
            None
        );
    }

    #[test]
    fn reasons_read_as_annotations() {
        let scope = TagScope {
            key: "environment".into(),
            value: Some("production".into()),
        };
        assert_eq!(
            NotApplicable::OutsideTagScope(scope).to_string(),
            "the cluster is outside the rule's scope (tag \"environment\" = \"production\")"
        );
        assert_eq!(
            NotApplicable::NotAnMskCluster(ResourceType::parse("AWS::EC2::Instance")).to_string(),
            "AWS::EC2::Instance is not an MSK cluster"
        );
    }
}
