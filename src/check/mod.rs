//! `msk-mtls-rule check FILE...`: the rule's verdict before deploy, on CloudFormation templates
//! (JSON or YAML) and Terraform plans (`terraform show -json`), with the rule's parameters and
//! texts. It never calls AWS unless the parameters ask for the CA check explicitly.

pub mod authorities;
pub mod configuration;
pub mod judge;
pub mod sources;
pub mod yaml;

use std::collections::btree_map::Entry;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use futures_util::future::join;
use serde_json::{json, Value};

use crate::aws::ports::PrivateCaService;
use crate::check::judge::{cas_named, judge, unknown_ca_health, Judged};
use crate::check::sources::{candidates, Candidate, NotRead};
use crate::error::RuleError;
use crate::findings::ocsf::{self, Written};
use crate::findings::Content;
use crate::rule::ca::{CaHealthReport, CaTrust, Issuers};
use crate::rule::checks::{plain, Check, Finding, Severity, CHECKS};
use crate::rule::evaluation::{ComplianceType, ResourceType};
use crate::rule::facts::UNKNOWN_CA;
use crate::rule::outcome::{outcomes, CheckOutcome, CheckStatus, Kind};
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;

/// What to check: the files, and the rule's parameters.
pub struct CheckRequest {
    pub files: Vec<Input>,
    pub params: RuleParams,
}

/// One file to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: String,
    /// A file that is neither a template nor a plan (and names neither) is passed over with a note
    /// instead of stopping the check: only when asked for (a flag, a directory walked), never by
    /// guessing.
    pub skip_unrecognised: bool,
}

/// One cluster of one file, judged, or a part of a file that may hold clusters and is not judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub file: String,
    pub resource: String,
    pub resource_type: ResourceType,
    pub line: Option<usize>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Judged(Judged),
    /// Why not (a nested stack, a module, a macro): said in every format, never a pass.
    NotJudged(String),
}

/// What a reader is told for a part that is not judged, in place of a compliance type.
pub const NOT_JUDGED: &str = "NOT_JUDGED";

/// Why `check` stopped: a file it cannot read (exit 2), or a CA it could not look up (exit 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    Unreadable(String),
    Aws(String),
}

impl CheckError {
    pub fn exit_status(&self) -> u8 {
        match self {
            CheckError::Unreadable(_) => crate::error::exit::USAGE_OR_UNREADABLE_INPUT,
            CheckError::Aws(_) => crate::error::exit::COULD_NOT_FINISH,
        }
    }
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Unreadable(message) | CheckError::Aws(message) => f.write_str(message),
        }
    }
}

/// What a check found, and the files it passed over (`--skip-unrecognised`) with why.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub checked: Vec<Checked>,
    pub skipped: Vec<(String, String)>,
}

/// Judges every cluster of every file (read by `read_file`); an unreadable file is an error naming
/// it. CAs are looked up through `cas` only when the parameters ask for the CA check.
pub async fn check_files<C: PrivateCaService>(
    cas: &C,
    request: &CheckRequest,
    read_file: impl Fn(&str) -> std::io::Result<String>,
    now: Timestamp,
) -> Result<CheckReport, CheckError> {
    let mut report = CheckReport::default();
    let mut health = CaHealthReport::new();
    let mut trust = CaTrust::before_deploy();
    if request.params.check_certificate_authority_status {
        health.insert(UNKNOWN_CA.to_owned(), unknown_ca_health());
        trust.issuers.insert(
            UNKNOWN_CA.to_owned(),
            Issuers::Unknown("not known before deploy".into()),
        );
    }
    for input in &request.files {
        let file = &input.path;
        let text = read_file(file)
            .map_err(|e| CheckError::Unreadable(format!("{file}: cannot read: {e}")))?;
        let found = match candidates(&text) {
            Ok(found) => found,
            Err(NotRead::Unrecognised(why)) if input.skip_unrecognised => {
                report.skipped.push((file.clone(), why));
                continue;
            }
            Err(error) => {
                return Err(CheckError::Unreadable(format!(
                    "{file}: {}",
                    error.message()
                )))
            }
        };
        for candidate in found {
            let verdict = match candidate.not_judged {
                Some(why) => Verdict::NotJudged(why),
                None => Verdict::Judged(
                    judge_candidate(
                        cas,
                        file,
                        &candidate,
                        &request.params,
                        (&mut health, &mut trust),
                        now,
                    )
                    .await?,
                ),
            };
            report.checked.push(Checked {
                file: file.clone(),
                resource: candidate.resource,
                resource_type: candidate.resource_type,
                line: candidate.line,
                verdict,
            });
        }
    }
    Ok(report)
}

/// One cluster's verdict, its CAs looked up first (once per run) when the parameters ask for it:
/// each described and its resource policy read.
async fn judge_candidate<C: PrivateCaService>(
    cas: &C,
    file: &str,
    candidate: &Candidate,
    params: &RuleParams,
    (health, trust): (&mut CaHealthReport, &mut CaTrust),
    now: Timestamp,
) -> Result<Judged, CheckError> {
    if params.check_certificate_authority_status {
        let failed = |e: RuleError| CheckError::Aws(format!("{file}: {}", e.message()));
        for arn in cas_named(&candidate.properties) {
            if candidate.cas.contains_key(&arn) {
                // Created by this template: nothing in AWS to read yet.
                health.entry(arn).or_insert_with(unknown_ca_health);
                continue;
            }
            if let Entry::Vacant(slot) = health.entry(arn) {
                let arn = slot.key().clone();
                let (described, issuers) = join(cas.describe(&arn), cas.issuers(&arn)).await;
                let described = described.map_err(failed)?;
                slot.insert(described.health);
                if let Some(profile) = described.profile {
                    trust.profiles.insert(arn.clone(), profile);
                }
                trust.issuers.insert(arn, issuers.map_err(failed)?);
            }
        }
    }
    // What the template shows of the CAs it creates, for this cluster alone.
    let mut trust = trust.clone();
    for (arn, ca) in &candidate.cas {
        trust.profiles.insert(arn.clone(), ca.profile.clone());
        trust.issuers.insert(arn.clone(), ca.issuers.clone());
    }
    judge(
        &candidate.resource_type,
        &candidate.properties,
        &candidate.configuration,
        params,
        (health, &trust),
        now,
    )
    .map_err(|e| {
        CheckError::Unreadable(format!(
            "{file}: {} ({}): {e}",
            candidate.resource, candidate.resource_type
        ))
    })
}

/// 1 when a cluster is NON_COMPLIANT; otherwise 3 when a part of a file is not judged (the check
/// could not finish: what it did not see may be open); 0 only when everything was judged and passed.
pub fn exit_status(checked: &[Checked]) -> u8 {
    let non_compliant = checked.iter().any(|c| {
        matches!(&c.verdict, Verdict::Judged(judged) if judged.compliance == ComplianceType::NonCompliant)
    });
    let not_judged = checked
        .iter()
        .any(|c| matches!(c.verdict, Verdict::NotJudged(_)));
    match (non_compliant, not_judged) {
        (true, _) => 1,
        (false, true) => 3,
        (false, false) => 0,
    }
}

fn findings(judged: &Judged) -> Vec<String> {
    texts(&judged.findings)
}

fn texts(findings: &[(&'static Check, Finding)]) -> Vec<String> {
    findings
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
        let _ = write!(out, "{place}: {} ({}) ", c.resource, c.resource_type);
        let judged = match &c.verdict {
            Verdict::NotJudged(why) => {
                let _ = writeln!(out, "{NOT_JUDGED}: {why}");
                continue;
            }
            Verdict::Judged(judged) => judged,
        };
        out.push_str(judged.compliance.as_str());
        match judged.compliance {
            ComplianceType::NonCompliant => {
                let _ = write!(out, ": {}", findings(judged).join("; "));
            }
            ComplianceType::NotApplicable => {
                let _ = write!(
                    out,
                    ": {}",
                    judged.annotation.as_deref().unwrap_or_default()
                );
            }
            ComplianceType::Compliant => {}
        }
        if !judged.notes.is_empty() {
            let _ = write!(out, " [note: {}]", texts(&judged.notes).join("; "));
        }
        if !judged.unknown.is_empty() {
            let _ = write!(
                out,
                " [not known before deploy, read the unsafe way: {}]",
                judged.unknown.join(", ")
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
                let mut entry = json!({
                    "file": c.file,
                    "resource": c.resource,
                    "resourceType": c.resource_type.as_str(),
                    "line": c.line,
                });
                let details = match &c.verdict {
                    Verdict::Judged(judged) => json!({
                        "complianceType": judged.compliance.as_str(),
                        "findings": findings(judged),
                        "notes": texts(&judged.notes),
                        "annotation": judged.annotation,
                        "unknownBeforeDeploy": judged.unknown,
                    }),
                    Verdict::NotJudged(why) => json!({
                        "complianceType": NOT_JUDGED,
                        "findings": [],
                        "notes": [],
                        "annotation": why,
                        "unknownBeforeDeploy": [],
                    }),
                };
                if let (Some(entry), Some(details)) = (entry.as_object_mut(), details.as_object()) {
                    entry.extend(details.clone());
                }
                entry
            })
            .collect(),
    )
}

/// The SARIF rule of the parts that are not judged.
const NOT_JUDGED_RULE: &str = "not-judged";

/// A check's SARIF rule id: its name in kebab case (`TLS-only listener` is `tls-only-listener`).
pub fn rule_id(name: &str) -> String {
    name.to_ascii_lowercase().replace(' ', "-")
}

/// SARIF 2.1.0, one rule per check of the rule's table, one result per finding.
pub fn to_sarif(checked: &[Checked]) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "msk-mtls-rule", "rules": sarif_rules()}},
            "results": sarif_results(checked),
        }],
    })
}

/// One OCSF Compliance Finding per cluster and check made (as `audit --format ocsf` writes them,
/// the cluster named by file and resource), and one per part not judged.
pub fn to_ocsf(checked: &[Checked], params: &RuleParams, now: Timestamp) -> Value {
    let events = checked.iter().flat_map(|c| {
        let written = Written {
            file: &c.file,
            resource: &c.resource,
            resource_type: c.resource_type.as_str(),
            line: c.line,
        };
        let contents = match &c.verdict {
            Verdict::Judged(judged) => outcomes_of(c, judged, params)
                .iter()
                .map(Content::of_check)
                .collect(),
            Verdict::NotJudged(why) => vec![not_judged(why)],
        };
        contents
            .into_iter()
            .map(move |content| ocsf::written_finding(&written, &content, now))
    });
    Value::Array(events.collect())
}

fn outcomes_of(c: &Checked, judged: &Judged, params: &RuleParams) -> Vec<CheckOutcome> {
    let distinct = |found: &[(&'static Check, Finding)]| {
        let mut seen = BTreeSet::new();
        found
            .iter()
            .map(|(_, finding)| finding.clone())
            .filter(|finding| seen.insert(finding.to_string()))
            .collect::<Vec<_>>()
    };
    let kind = match c.resource_type {
        ResourceType::MskServerlessCluster => Kind::Serverless,
        _ => Kind::Provisioned,
    };
    outcomes(
        kind,
        judged.compliance,
        params,
        &distinct(&judged.findings),
        &distinct(&judged.notes),
    )
}

/// A part of a file that is not judged, as a finding of its own: never a pass.
fn not_judged(why: &str) -> Content {
    Content {
        of: NOT_JUDGED_RULE.to_owned(),
        name: "not judged".to_owned(),
        description: format!("not judged: {why}"),
        recommendation: "check the nested stack's, module's or macro's template on its own"
            .to_owned(),
        status: CheckStatus::NotJudged,
        severity: Severity::Medium,
        evidence: Vec::new(),
    }
}

/// One SARIF rule per check of the table, and one for what is not judged.
fn sarif_rules() -> Vec<Value> {
    let not_judged_rule = json!({
        "id": NOT_JUDGED_RULE,
        "name": "not judged",
        "shortDescription": {"text": "MSK mTLS: a part of the file that may hold MSK clusters is not judged"},
        "fullDescription": {"text": "A nested stack, nested application, CloudFormation module or template macro may create MSK clusters this file does not show: check their templates on their own"},
        "defaultConfiguration": {"level": "note"},
    });
    CHECKS
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
        .chain(std::iter::once(not_judged_rule))
        .collect()
}

/// Where a SARIF result points: the file, the line when known, and the resource.
fn sarif_location(c: &Checked) -> Value {
    let region = c.line.map_or(json!({}), |line| json!({"startLine": line}));
    json!([{
        "physicalLocation": {"artifactLocation": {"uri": c.file}, "region": region},
        "logicalLocations": [{"name": c.resource, "kind": "resource"}],
    }])
}

/// One result per distinct finding of each cluster, then one note per part not judged.
fn sarif_results(checked: &[Checked]) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    let not_judged = checked.iter().filter_map(|c| match &c.verdict {
        Verdict::NotJudged(why) => Some(json!({
            "ruleId": NOT_JUDGED_RULE,
            "level": "note",
            "message": {"text": format!("{} ({}) is not judged: {why}", c.resource, c.resource_type)},
            "locations": sarif_location(c),
        })),
        Verdict::Judged(_) => None,
    });
    checked
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::Judged(judged) => Some((c, judged)),
            Verdict::NotJudged(_) => None,
        })
        .flat_map(|(c, judged)| {
            let errors = judged.findings.iter().map(|found| (found, "error"));
            let notes = judged.notes.iter().map(|found| (found, "note"));
            errors
                .chain(notes)
                .map(move |((check, finding), level)| (c, check, finding, level))
        })
        .filter(|(c, check, finding, _)| {
            seen.insert((
                c.file.clone(),
                c.resource.clone(),
                check.name,
                finding.to_string(),
            ))
        })
        .map(|(c, check, finding, level)| {
            json!({
                "ruleId": rule_id(check.name),
                "level": level,
                "message": {"text": format!("{} ({}): {finding}", c.resource, c.resource_type)},
                "locations": sarif_location(c),
            })
        })
        .chain(not_judged)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/check.md shows one OCSF finding as this build writes it.
    #[test]
    fn the_docs_example_finding_is_this_builds() {
        let checked = Checked {
            file: "infra/kafka.yaml".into(),
            resource: "Clickstream".into(),
            resource_type: ResourceType::MskCluster,
            line: Some(48),
            verdict: Verdict::Judged(Judged {
                compliance: ComplianceType::NonCompliant,
                findings: vec![(
                    &CHECKS[0],
                    Finding::UnauthenticatedAccess(Default::default()),
                )],
                notes: Vec::new(),
                annotation: None,
                unknown: Vec::new(),
            }),
        };
        let now = Timestamp::from_utc(2026, 12, 3, 9, 0, 0).unwrap();
        let events = to_ocsf(&[checked], &RuleParams::default(), now);
        let first = &events[0];
        assert_eq!(first["compliance"]["control"], "unauthenticated access");
        assert_eq!(first["compliance"]["status_id"], 3);
        crate::docs::keep_block(
            "docs/check.md",
            "<!-- ocsf-example:begin (rendered from src/check) -->",
            "<!-- ocsf-example:end -->",
            &format!("\n```json\n{first:#}\n```\n"),
        );
    }
}
