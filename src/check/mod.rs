//! `msk-mtls-rule check FILE...`: the rule's verdict before deploy, on CloudFormation templates
//! (JSON or YAML) and Terraform plans (`terraform show -json`), with the rule's parameters and
//! texts. It never calls AWS unless the parameters ask for the CA check explicitly.

pub mod judge;
pub mod sources;
pub mod yaml;

use std::collections::btree_map::Entry;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::app::flags::Flags;
use crate::aws::ports::PrivateCaService;
use crate::check::judge::{cas_named, judge, unknown_ca_health, Judged, UNKNOWN_CA};
use crate::check::sources::candidates;
use crate::rule::checks::{plain, CHECKS};
use crate::rule::evaluation::{ComplianceType, ResourceType};
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::CaHealthReport;

pub const USAGE: &str = "       msk-mtls-rule check [--parameters JSON|@FILE] [--format text|json|sarif] FILE...
                                              judge the MSK clusters of CloudFormation templates and
                                              Terraform plans (JSON); exit 0 none NON_COMPLIANT, 1 some,
                                              2 usage or unreadable input";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

pub struct CheckRequest {
    pub files: Vec<String>,
    pub params: RuleParams,
    pub format: Format,
}

pub fn parse_check_args(
    args: &[String],
    read_file: impl Fn(&str) -> std::io::Result<String>,
) -> Result<CheckRequest, String> {
    let flags = Flags::read("check", args, &["--parameters", "--format"], &[])?;
    if flags.positional.is_empty() {
        return Err("check: give at least one template or plan file".into());
    }
    let params = match flags.parameters("check", read_file)? {
        None => RuleParams {
            check_certificate_authority_status: false,
            ..RuleParams::default()
        },
        Some((mut params, json)) => {
            // The CA check calls AWS: only when asked for by name.
            let asked = serde_json::from_str::<Value>(&json)
                .ok()
                .and_then(|value| value.get("checkCertificateAuthorityStatus").cloned())
                .is_some();
            params.check_certificate_authority_status &= asked;
            params
        }
    };
    let format = match flags.value("--format") {
        None | Some("text") => Format::Text,
        Some("json") => Format::Json,
        Some("sarif") => Format::Sarif,
        Some(other) => {
            return Err(format!(
                "check: --format {other:?} is not one of text, json, sarif"
            ))
        }
    };
    Ok(CheckRequest {
        files: flags.positional,
        params,
        format,
    })
}

/// One cluster of one file, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub file: String,
    pub resource: String,
    pub resource_type: ResourceType,
    pub line: Option<usize>,
    pub judged: Judged,
}

/// Judges every cluster of every file (read by `read_file`); an unreadable file is an error naming
/// it. CAs are looked up through `cas` only when the parameters ask for the CA check.
pub async fn check_files<C: PrivateCaService>(
    cas: &C,
    request: &CheckRequest,
    read_file: impl Fn(&str) -> std::io::Result<String>,
    now: Timestamp,
) -> Result<Vec<Checked>, String> {
    let mut checked = Vec::new();
    let mut report = CaHealthReport::new();
    if request.params.check_certificate_authority_status {
        report.insert(UNKNOWN_CA.to_owned(), unknown_ca_health());
    }
    for file in &request.files {
        let text = read_file(file).map_err(|e| format!("{file}: cannot read: {e}"))?;
        for candidate in candidates(file, &text).map_err(|e| format!("{file}: {e}"))? {
            if request.params.check_certificate_authority_status {
                for arn in cas_named(&candidate.properties) {
                    if let Entry::Vacant(slot) = report.entry(arn) {
                        let health = cas
                            .health(slot.key())
                            .await
                            .map_err(|e| format!("{file}: {}", e.message()))?;
                        slot.insert(health);
                    }
                }
            }
            let judged = judge(
                &candidate.resource_type,
                &candidate.properties,
                &request.params,
                &report,
                now,
            )
            .map_err(|e| {
                format!(
                    "{file}: {} ({}): {e}",
                    candidate.resource, candidate.resource_type
                )
            })?;
            checked.push(Checked {
                file: file.clone(),
                resource: candidate.resource,
                resource_type: candidate.resource_type,
                line: candidate.line,
                judged,
            });
        }
    }
    Ok(checked)
}

pub fn exit_status(checked: &[Checked]) -> u8 {
    u8::from(
        checked
            .iter()
            .any(|c| c.judged.compliance == ComplianceType::NonCompliant),
    )
}

fn findings(checked: &Checked) -> Vec<String> {
    checked
        .judged
        .findings
        .iter()
        .map(|(_, finding)| finding.to_string())
        .collect()
}

pub fn to_text(checked: &[Checked]) -> String {
    let mut out = String::new();
    for c in checked {
        let place = match c.line {
            Some(line) => format!("{}:{line}", c.file),
            None => c.file.clone(),
        };
        let _ = write!(
            out,
            "{place}: {} ({}) {}",
            c.resource,
            c.resource_type,
            c.judged.compliance.as_str()
        );
        match c.judged.compliance {
            ComplianceType::NonCompliant => {
                let _ = write!(out, ": {}", findings(c).join("; "));
            }
            ComplianceType::NotApplicable => {
                let _ = write!(
                    out,
                    ": {}",
                    c.judged.annotation.as_deref().unwrap_or_default()
                );
            }
            ComplianceType::Compliant => {}
        }
        if !c.judged.unknown.is_empty() {
            let _ = write!(
                out,
                " [not known before deploy, read the unsafe way: {}]",
                c.judged.unknown.join(", ")
            );
        }
        out.push('\n');
    }
    out
}

pub fn to_json(checked: &[Checked]) -> Value {
    Value::Array(
        checked
            .iter()
            .map(|c| {
                json!({
                    "file": c.file,
                    "resource": c.resource,
                    "resourceType": c.resource_type.as_str(),
                    "complianceType": c.judged.compliance.as_str(),
                    "findings": findings(c),
                    "annotation": c.judged.annotation,
                    "line": c.line,
                    "unknownBeforeDeploy": c.judged.unknown,
                })
            })
            .collect(),
    )
}

/// A check's SARIF rule id: its name in kebab case (`TLS-only listener` is `tls-only-listener`).
pub fn rule_id(name: &str) -> String {
    name.to_ascii_lowercase().replace(' ', "-")
}

/// SARIF 2.1.0, one rule per check of the rule's table, one result per finding.
pub fn to_sarif(checked: &[Checked]) -> Value {
    let rules: Vec<Value> = CHECKS
        .iter()
        .map(|check| {
            json!({
                "id": rule_id(check.name),
                "name": check.name,
                "shortDescription": {"text": format!("MSK mTLS: {}", check.name)},
                "fullDescription": {"text": format!("Fails when {}", check.fails_when.replace('`', ""))},
                "help": {"text": format!(
                    "Fix: CloudFormation {}; Terraform {}; on a running cluster {}",
                    plain(check.remediation.cloudformation),
                    plain(check.remediation.terraform),
                    plain(&check.remediation.in_place.to_string())
                )},
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let results: Vec<Value> = checked
        .iter()
        .flat_map(|c| {
            c.judged
                .findings
                .iter()
                .map(move |(check, finding)| (c, check, finding))
        })
        .filter(|(c, check, finding)| {
            seen.insert((
                c.file.clone(),
                c.resource.clone(),
                check.name,
                finding.to_string(),
            ))
        })
        .map(|(c, check, finding)| {
            let mut region = json!({});
            if let Some(line) = c.line {
                region = json!({"startLine": line});
            }
            json!({
                "ruleId": rule_id(check.name),
                "level": "error",
                "message": {"text": format!("{} ({}): {finding}", c.resource, c.resource_type)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": c.file}, "region": region},
                    "logicalLocations": [{"name": c.resource, "kind": "resource"}],
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "msk-mtls-rule", "rules": rules}},
            "results": results,
        }],
    })
}
