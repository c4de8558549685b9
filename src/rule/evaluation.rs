//! What the rule reports to Config: one `Evaluation` per resource, with PutEvaluations' field names.

use std::fmt;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::rule::time::Timestamp;

/// Config's limit on an evaluation's annotation, in characters.
pub const ANNOTATION_MAX_CHARS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplianceType {
    Compliant,
    NonCompliant,
    NotApplicable,
}

impl ComplianceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceType::Compliant => "COMPLIANT",
            ComplianceType::NonCompliant => "NON_COMPLIANT",
            ComplianceType::NotApplicable => "NOT_APPLICABLE",
        }
    }
}

/// The resource types the rule judges, as Config names them; any other type Config sends (a rule
/// scoped by tag receives every tagged resource) is kept by name, to be reported NOT_APPLICABLE.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    MskCluster,
    MskServerlessCluster,
    Other(String),
}

impl ResourceType {
    pub fn parse(name: &str) -> Self {
        match name {
            "AWS::MSK::Cluster" => ResourceType::MskCluster,
            "AWS::MSK::ServerlessCluster" => ResourceType::MskServerlessCluster,
            other => ResourceType::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ResourceType::MskCluster => "AWS::MSK::Cluster",
            ResourceType::MskServerlessCluster => "AWS::MSK::ServerlessCluster",
            ResourceType::Other(name) => name,
        }
    }

    pub fn is_msk_cluster(&self) -> bool {
        !matches!(self, ResourceType::Other(_))
    }
}

impl PartialEq<&str> for ResourceType {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource as Config identifies it, e.g. in `FailedEvaluations` and held results.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    pub resource_type: ResourceType,
    pub resource_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub resource_type: ResourceType,
    pub resource_id: String,
    pub compliance: ComplianceType,
    /// 1 to 256 characters, or none.
    pub annotation: Option<String>,
    pub ordering_timestamp: Timestamp,
}

impl Evaluation {
    /// The resource an evaluation is about.
    pub fn is_about(&self, key: &ResourceKey) -> bool {
        self.resource_type == key.resource_type && self.resource_id == key.resource_id
    }
}

/// The JSON the local `evaluate` command prints: PutEvaluations' own field names.
impl Serialize for Evaluation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.annotation.is_some() { 5 } else { 4 };
        let mut out = serializer.serialize_struct("Evaluation", fields)?;
        out.serialize_field("ComplianceResourceType", self.resource_type.as_str())?;
        out.serialize_field("ComplianceResourceId", &self.resource_id)?;
        out.serialize_field("ComplianceType", self.compliance.as_str())?;
        if let Some(annotation) = &self.annotation {
            out.serialize_field("Annotation", annotation)?;
        }
        out.serialize_field("OrderingTimestamp", &self.ordering_timestamp.to_string())?;
        out.end()
    }
}

/// Joins the reasons into one annotation of at most 256 characters. Whole reasons are kept while
/// they fit, and what is left out is counted (`(+2 more)`), so a cut never ends mid-word.
pub fn annotation(reasons: &[String]) -> Option<String> {
    join_within(reasons, ANNOTATION_MAX_CHARS)
}

/// `annotation` for any limit in characters (a hook's message takes 1,024).
pub fn join_within(reasons: &[String], max_chars: usize) -> Option<String> {
    const SEPARATOR: &str = "; ";
    let full = reasons.join(SEPARATOR);
    if full.chars().count() <= max_chars {
        return (!full.is_empty()).then_some(full);
    }
    for kept in (1..reasons.len()).rev() {
        let text = format!(
            "{} (+{} more)",
            reasons[..kept].join(SEPARATOR),
            reasons.len() - kept
        );
        if text.chars().count() <= max_chars {
            return Some(text);
        }
    }
    let mut cut: String = full.chars().take(max_chars - 1).collect();
    cut.push('…');
    Some(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_type_equals_its_config_name_only() {
        assert!(ResourceType::MskCluster == "AWS::MSK::Cluster");
        assert!(ResourceType::MskCluster != "AWS::MSK::ServerlessCluster");
        assert!(ResourceType::parse("AWS::EC2::Instance") == "AWS::EC2::Instance");
        assert!(ResourceType::parse("AWS::EC2::Instance") != "AWS::MSK::Cluster");
    }

    /// How a FailedEvaluations entry finds its evaluation to send again: type and id both.
    #[test]
    fn an_evaluation_is_about_the_resource_of_its_type_and_id_only() {
        let evaluation = Evaluation {
            resource_type: ResourceType::MskCluster,
            resource_id: "a".into(),
            compliance: ComplianceType::Compliant,
            annotation: None,
            ordering_timestamp: Timestamp::from_millis(0),
        };
        let key = |resource_type, id: &str| ResourceKey {
            resource_type,
            resource_id: id.into(),
        };
        assert!(evaluation.is_about(&key(ResourceType::MskCluster, "a")));
        assert!(!evaluation.is_about(&key(ResourceType::MskServerlessCluster, "a")));
        assert!(!evaluation.is_about(&key(ResourceType::MskCluster, "b")));
        assert!(!evaluation.is_about(&key(ResourceType::MskServerlessCluster, "b")));
    }

    #[test]
    fn nothing_to_say_is_no_annotation() {
        assert_eq!(annotation(&[]), None);
        assert_eq!(annotation(&[String::new()]), None);
    }

    #[test]
    fn reasons_are_joined_when_they_fit() {
        assert_eq!(annotation(&["a".into(), "b".into()]).unwrap(), "a; b");
    }

    #[test]
    fn long_annotations_keep_whole_reasons_and_count_the_rest() {
        let reasons: Vec<String> = (0..10)
            .map(|i| format!("reason number {i} {}", "x".repeat(40)))
            .collect();
        let text = annotation(&reasons).unwrap();
        assert!(text.chars().count() <= ANNOTATION_MAX_CHARS);
        assert!(text.starts_with(&reasons[0]));
        let kept = text.matches("reason number").count();
        assert!(text.ends_with(&format!("(+{} more)", 10 - kept)), "{text}");
    }

    #[test]
    fn one_huge_reason_is_cut_on_a_character_boundary() {
        let text = annotation(&["é".repeat(400)]).unwrap();
        assert_eq!(text.chars().count(), ANNOTATION_MAX_CHARS);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn evaluations_print_with_put_evaluations_field_names() {
        let evaluation = Evaluation {
            resource_type: ResourceType::MskCluster,
            resource_id: "arn:aws:kafka:us-east-1:123456789012:cluster/a/b".into(),
            compliance: ComplianceType::NonCompliant,
            annotation: Some("why".into()),
            ordering_timestamp: Timestamp::from_secs(1_682_607_791),
        };
        assert_eq!(
            serde_json::to_value(&evaluation).unwrap(),
            serde_json::json!({
                "ComplianceResourceType": "AWS::MSK::Cluster",
                "ComplianceResourceId": "arn:aws:kafka:us-east-1:123456789012:cluster/a/b",
                "ComplianceType": "NON_COMPLIANT",
                "Annotation": "why",
                "OrderingTimestamp": "2023-04-27T15:03:11Z"
            })
        );
        let quiet = Evaluation {
            annotation: None,
            ..evaluation
        };
        assert!(serde_json::to_value(&quiet)
            .unwrap()
            .get("Annotation")
            .is_none());
    }

    #[test]
    fn resource_types_round_trip_and_keep_unknown_names() {
        for name in [
            "AWS::MSK::Cluster",
            "AWS::MSK::ServerlessCluster",
            "AWS::EC2::Instance",
        ] {
            assert_eq!(ResourceType::parse(name).as_str(), name);
        }
        assert!(!ResourceType::parse("AWS::EC2::Instance").is_msk_cluster());
    }
}
