//! What the rule reports to Config: one `Evaluation` per resource, with PutEvaluations' field names.

use aws_sdk_config::primitives::{DateTime, DateTimeFormat};
use serde::ser::{Serialize, SerializeStruct, Serializer};

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

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub resource_type: String,
    pub resource_id: String,
    pub compliance: ComplianceType,
    /// 1 to 256 characters, or none.
    pub annotation: Option<String>,
    pub ordering_timestamp: DateTime,
}

impl Evaluation {
    /// The resource an evaluation is about, as Config identifies it in `FailedEvaluations`.
    pub fn key(&self) -> (&str, &str) {
        (&self.resource_type, &self.resource_id)
    }
}

/// The JSON the local `evaluate` command prints: PutEvaluations' own field names.
impl Serialize for Evaluation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.annotation.is_some() { 5 } else { 4 };
        let mut out = serializer.serialize_struct("Evaluation", fields)?;
        out.serialize_field("ComplianceResourceType", &self.resource_type)?;
        out.serialize_field("ComplianceResourceId", &self.resource_id)?;
        out.serialize_field("ComplianceType", self.compliance.as_str())?;
        if let Some(annotation) = &self.annotation {
            out.serialize_field("Annotation", annotation)?;
        }
        out.serialize_field("OrderingTimestamp", &rfc3339(&self.ordering_timestamp))?;
        out.end()
    }
}

pub fn rfc3339(time: &DateTime) -> String {
    time.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| time.secs().to_string())
}

/// Joins the reasons into one annotation of at most 256 characters. Whole reasons are kept while
/// they fit, and what is left out is counted (`(+2 more)`), so a cut never ends mid-word.
pub fn annotation(reasons: &[String]) -> Option<String> {
    const SEPARATOR: &str = "; ";
    let full = reasons.join(SEPARATOR);
    if full.chars().count() <= ANNOTATION_MAX_CHARS {
        return (!full.is_empty()).then_some(full);
    }
    for kept in (1..reasons.len()).rev() {
        let text = format!(
            "{} (+{} more)",
            reasons[..kept].join(SEPARATOR),
            reasons.len() - kept
        );
        if text.chars().count() <= ANNOTATION_MAX_CHARS {
            return Some(text);
        }
    }
    let mut cut: String = full.chars().take(ANNOTATION_MAX_CHARS - 1).collect();
    cut.push('…');
    Some(cut)
}
