//! What an audit found, and how it is printed: pure, no I/O.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::error::exit;
use crate::findings::{asff, ocsf, Content, JudgedCluster};
use crate::rule::arn::cluster_name_or_id;
use crate::rule::evaluation::{ComplianceType, ResourceType};
use crate::rule::facts::ClusterFacts;
use crate::rule::outcome::CheckOutcome;
use crate::rule::time::Timestamp;

/// One cluster's verdict, as the rule would send it, with every finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterResult {
    pub account: String,
    pub region: String,
    pub resource_type: ResourceType,
    pub resource_id: String,
    pub compliance: ComplianceType,
    pub findings: Vec<String>,
    /// What the verdict notes without failing on it.
    pub notes: Vec<String>,
    /// Whether topics without an ACL are open to every client certificate; `None` for a cluster
    /// not judged by the checks (NOT_APPLICABLE, serverless).
    pub authorization_open_by_default: Option<bool>,
    pub annotation: Option<String>,
    /// Each check made, with its outcome (none for a NOT_APPLICABLE cluster).
    pub outcomes: Vec<CheckOutcome>,
    /// What was read of a provisioned cluster.
    pub facts: Option<ClusterFacts>,
}

impl ClusterResult {
    /// The cluster as its findings (ASFF, OCSF) name it.
    pub fn judged(&self) -> JudgedCluster<'_> {
        JudgedCluster {
            account: &self.account,
            region: &self.region,
            arn: &self.resource_id,
            facts: self.facts.as_ref(),
            outcomes: &self.outcomes,
        }
    }

    /// The cluster's name, from its ARN (`...:cluster/<name>/<uuid>`).
    pub fn name(&self) -> Cow<'_, str> {
        cluster_name_or_id(&self.resource_id)
    }
}

/// An account, or one of its regions, that could not be read: counted apart, never as compliant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub account: String,
    /// `None` when nothing in the account could be read (the role could not be assumed, its
    /// regions could not be listed).
    pub region: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub clusters: Vec<ClusterResult>,
    pub unreadable: Vec<Unreadable>,
    /// Organization accounts not audited because they are not ACTIVE: id and state.
    pub skipped_accounts: Vec<(String, String)>,
    /// Organization accounts not audited because `--exclude-accounts` named them.
    pub excluded_accounts: Vec<String>,
    /// Account-regions read to the end: account and region.
    pub regions_read: Vec<(String, String)>,
}

/// Counts of verdicts and the share enforcing mTLS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
}

impl Tally {
    fn add(&mut self, compliance: ComplianceType) {
        match compliance {
            ComplianceType::Compliant => self.compliant += 1,
            ComplianceType::NonCompliant => self.non_compliant += 1,
            ComplianceType::NotApplicable => self.not_applicable += 1,
        }
    }

    pub fn clusters(&self) -> usize {
        self.compliant + self.non_compliant + self.not_applicable
    }

    /// Percent of the judged clusters (COMPLIANT or NON_COMPLIANT) that enforce mTLS, as the
    /// rule's `MtlsCompliancePercent` metric counts it; `None` when none was judged.
    pub fn percent_enforcing(&self) -> Option<f64> {
        let judged = self.compliant + self.non_compliant;
        (judged > 0).then(|| 100.0 * self.compliant as f64 / judged as f64)
    }

    fn share(&self) -> String {
        self.percent_enforcing()
            .map_or_else(|| "-".to_owned(), |percent| format!("{percent:.1}%"))
    }
}

impl AuditReport {
    pub fn exit_status(&self) -> u8 {
        let tally = self.tally();
        if tally.non_compliant > 0 {
            exit::FINDINGS
        } else if !self.unreadable.is_empty() {
            exit::COULD_NOT_FINISH
        } else {
            exit::NOTHING_FOUND
        }
    }

    /// What goes to stderr beside a report in JSON or CSV for a program (the table shows them
    /// itself): one line per account not audited (excluded, or not ACTIVE) and per account or
    /// region that could not be read.
    pub fn stderr_lines(&self) -> Vec<String> {
        let not_audited = self
            .excluded_accounts
            .iter()
            .map(|id| {
                format!("msk-mtls-rule: audit: account {id} not audited: excluded by --exclude-accounts")
            })
            .chain(self.skipped_accounts.iter().map(|(id, state)| {
                format!("msk-mtls-rule: audit: account {id} not audited: it is {state}, not ACTIVE")
            }));
        let unreadable = self.unreadable.iter().map(|unreadable| {
            format!(
                "msk-mtls-rule: audit: account {} {} could not be read: {}",
                unreadable.account,
                unreadable.region.as_deref().map_or_else(
                    || "(every region)".to_owned(),
                    |region| format!("region {region}")
                ),
                unreadable.reason
            )
        });
        not_audited.chain(unreadable).collect()
    }

    /// Clusters sorted by account, region and name, so runs compare line by line.
    pub fn sort(&mut self) {
        self.clusters.sort_by(|a, b| {
            (&a.account, &a.region, a.name(), &a.resource_id).cmp(&(
                &b.account,
                &b.region,
                b.name(),
                &b.resource_id,
            ))
        });
        self.unreadable
            .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    }

    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for cluster in &self.clusters {
            tally.add(cluster.compliance);
        }
        tally
    }

    pub fn by_account(&self) -> BTreeMap<&str, Tally> {
        self.tally_by(|cluster| &cluster.account)
    }

    pub fn by_region(&self) -> BTreeMap<&str, Tally> {
        self.tally_by(|cluster| &cluster.region)
    }

    fn tally_by<'a>(
        &'a self,
        key: impl Fn(&'a ClusterResult) -> &'a str,
    ) -> BTreeMap<&'a str, Tally> {
        let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
        for cluster in &self.clusters {
            tallies
                .entry(key(cluster))
                .or_default()
                .add(cluster.compliance);
        }
        tallies
    }

    /// One ASFF finding per judged cluster and check made, as a JSON array (the `Findings` that
    /// BatchImportFindings takes).
    pub fn to_asff(&self, now: Timestamp) -> String {
        let findings: Vec<Value> = self
            .clusters
            .iter()
            .flat_map(|cluster| {
                let judged = cluster.judged();
                cluster.outcomes.iter().map(move |outcome| {
                    asff::to_json(&asff::finding(
                        &judged,
                        &Content::of_check(outcome),
                        now,
                        None,
                    ))
                })
            })
            .collect();
        format!("{:#}\n", Value::Array(findings))
    }

    /// The same findings as OCSF Compliance Findings, a JSON array.
    pub fn to_ocsf(&self, now: Timestamp) -> String {
        let findings: Vec<Value> =
            self.clusters
                .iter()
                .flat_map(|cluster| {
                    let judged = cluster.judged();
                    cluster.outcomes.iter().map(move |outcome| {
                        ocsf::finding(&judged, &Content::of_check(outcome), now)
                    })
                })
                .collect();
        format!("{:#}\n", Value::Array(findings))
    }

    /// An array of `{account, region, resourceType, resourceId, complianceType, findings, notes,
    /// authorizationOpenByDefault, annotation}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Row<'a> {
            account: &'a str,
            region: &'a str,
            resource_type: &'a str,
            resource_id: &'a str,
            compliance_type: &'a str,
            findings: &'a [String],
            notes: &'a [String],
            authorization_open_by_default: Option<bool>,
            annotation: Option<&'a str>,
        }
        let rows: Vec<Row> = self
            .clusters
            .iter()
            .map(|cluster| Row {
                account: &cluster.account,
                region: &cluster.region,
                resource_type: cluster.resource_type.as_str(),
                resource_id: &cluster.resource_id,
                compliance_type: cluster.compliance.as_str(),
                findings: &cluster.findings,
                notes: &cluster.notes,
                authorization_open_by_default: cluster.authorization_open_by_default,
                annotation: cluster.annotation.as_deref(),
            })
            .collect();
        serde_json::to_string_pretty(&rows).unwrap_or_default()
    }

    /// RFC 4180 CSV with a header; findings and notes joined with `; `; the columns added later
    /// come last, so a reader of the first ones reads them as before.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "account,region,resourceType,resourceId,complianceType,findings,annotation,notes,authorization\r\n",
        );
        for cluster in &self.clusters {
            let authorization = match cluster.authorization_open_by_default {
                Some(true) => "open by default",
                Some(false) => "closed by default",
                None => "",
            };
            let fields = [
                cluster.account.as_str(),
                &cluster.region,
                cluster.resource_type.as_str(),
                &cluster.resource_id,
                cluster.compliance.as_str(),
                &cluster.findings.join("; "),
                cluster.annotation.as_deref().unwrap_or(""),
                &cluster.notes.join("; "),
                authorization,
            ];
            let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// Clusters grouped by verdict (NON_COMPLIANT first), what could not be read, then the
    /// summary security teams report: clusters and the share enforcing mTLS, by account and region.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        for compliance in [
            ComplianceType::NonCompliant,
            ComplianceType::Compliant,
            ComplianceType::NotApplicable,
        ] {
            self.write_verdict_group(&mut out, compliance);
        }
        self.write_not_read(&mut out);
        out.push_str(&self.summary());
        out
    }

    /// The clusters of one verdict, with why, under a heading that counts them; nothing if none.
    fn write_verdict_group(&self, out: &mut String, compliance: ComplianceType) {
        let group: Vec<&ClusterResult> = self
            .clusters
            .iter()
            .filter(|cluster| cluster.compliance == compliance)
            .collect();
        if group.is_empty() {
            return;
        }
        let _ = writeln!(out, "{} ({})", compliance.as_str(), group.len());
        let rows: Vec<Vec<String>> = group
            .iter()
            .map(|cluster| {
                let why = if cluster.findings.is_empty() {
                    cluster.annotation.clone().unwrap_or_default()
                } else {
                    cluster.findings.join("; ")
                };
                vec![
                    cluster.account.clone(),
                    cluster.region.clone(),
                    cluster.name().into_owned(),
                    cluster.compliance.as_str().to_owned(),
                    why,
                ]
            })
            .collect();
        out.push_str(&columns(
            &["ACCOUNT", "REGION", "CLUSTER", "VERDICT", "FINDINGS"],
            &rows,
        ));
        out.push('\n');
    }

    /// What was not read, and the accounts not audited (excluded, or not ACTIVE), each named.
    fn write_not_read(&self, out: &mut String) {
        if !self.unreadable.is_empty() {
            let _ = writeln!(out, "COULD NOT BE READ ({})", self.unreadable.len());
            let rows: Vec<Vec<String>> = self
                .unreadable
                .iter()
                .map(|unreadable| {
                    vec![
                        unreadable.account.clone(),
                        unreadable
                            .region
                            .clone()
                            .unwrap_or_else(|| "(every region)".into()),
                        unreadable.reason.clone(),
                    ]
                })
                .collect();
            out.push_str(&columns(&["ACCOUNT", "REGION", "REASON"], &rows));
            out.push('\n');
        }
        if !self.excluded_accounts.is_empty() {
            let _ = writeln!(
                out,
                "NOT AUDITED: EXCLUDED BY --exclude-accounts ({}): {}\n",
                self.excluded_accounts.len(),
                self.excluded_accounts.join(", ")
            );
        }
        if !self.skipped_accounts.is_empty() {
            let _ = writeln!(
                out,
                "NOT AUDITED: NOT ACTIVE ({})",
                self.skipped_accounts.len()
            );
            let rows: Vec<Vec<String>> = self
                .skipped_accounts
                .iter()
                .map(|(id, state)| vec![id.clone(), state.clone()])
                .collect();
            out.push_str(&columns(&["ACCOUNT", "STATE"], &rows));
            out.push('\n');
        }
    }

    /// The closing summary: totals, then the share enforcing mTLS by account and by region.
    pub fn summary(&self) -> String {
        let tally = self.tally();
        let mut out = format!(
            "SUMMARY: {} clusters in {} account-regions read; {} enforce mTLS, {} do not, {} not applicable; {} of the judged enforce mTLS",
            tally.clusters(),
            self.regions_read.len(),
            tally.compliant,
            tally.non_compliant,
            tally.not_applicable,
            tally.share(),
        );
        let open = self
            .clusters
            .iter()
            .filter(|cluster| cluster.authorization_open_by_default == Some(true))
            .count();
        let _ = write!(
            out,
            "; {open} with authorization open by default (a topic without an ACL open to every client certificate)"
        );
        if !self.unreadable.is_empty() {
            let _ = write!(out, "; {} could not be read", self.unreadable.len());
        }
        out.push('\n');
        for (heading, tallies) in [("ACCOUNT", self.by_account()), ("REGION", self.by_region())] {
            if tallies.is_empty() {
                continue;
            }
            let rows: Vec<Vec<String>> = tallies
                .iter()
                .map(|(key, tally)| {
                    vec![
                        key.to_string(),
                        tally.clusters().to_string(),
                        tally.compliant.to_string(),
                        tally.non_compliant.to_string(),
                        tally.not_applicable.to_string(),
                        tally.share(),
                    ]
                })
                .collect();
            out.push('\n');
            out.push_str(&columns(
                &[
                    heading,
                    "CLUSTERS",
                    "COMPLIANT",
                    "NON_COMPLIANT",
                    "NOT_APPLICABLE",
                    "ENFORCING",
                ],
                &rows,
            ));
        }
        out
    }
}

/// Left-aligned columns two spaces apart, no trailing spaces.
fn columns(headings: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headings.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headings: Vec<String> = headings.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&headings).chain(rows) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            let _ = write!(line, "{cell:<width$}  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A CSV field (RFC 4180), quoted when it holds a comma, a quote or a line break.
pub fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(
        account: &str,
        region: &str,
        name: &str,
        compliance: ComplianceType,
        findings: &[&str],
    ) -> ClusterResult {
        ClusterResult {
            account: account.into(),
            region: region.into(),
            resource_type: ResourceType::MskCluster,
            resource_id: format!("arn:aws:kafka:{region}:{account}:cluster/{name}/abcd-1"),
            compliance,
            findings: findings.iter().map(|f| f.to_string()).collect(),
            notes: Vec::new(),
            authorization_open_by_default: (compliance != ComplianceType::NotApplicable)
                .then_some(false),
            annotation: (!findings.is_empty()).then(|| findings.join("; ")),
            outcomes: Vec::new(),
            facts: None,
        }
    }

    fn report() -> AuditReport {
        AuditReport {
            clusters: vec![
                cluster(
                    "111111111111",
                    "us-east-1",
                    "orders",
                    ComplianceType::Compliant,
                    &[],
                ),
                cluster(
                    "111111111111",
                    "us-east-1",
                    "payments",
                    ComplianceType::NonCompliant,
                    &[
                        "unauthenticated access is enabled",
                        "tag \"a,b\" is missing",
                    ],
                ),
                ClusterResult {
                    notes: vec![
                        "authorization open by default: allow.everyone.if.no.acl.found is true"
                            .into(),
                    ],
                    authorization_open_by_default: Some(true),
                    ..cluster(
                        "111111111111",
                        "eu-west-1",
                        "audit",
                        ComplianceType::Compliant,
                        &[],
                    )
                },
                cluster(
                    "222222222222",
                    "us-east-1",
                    "logs",
                    ComplianceType::NotApplicable,
                    &[],
                ),
            ],
            unreadable: Vec::new(),
            skipped_accounts: Vec::new(),
            excluded_accounts: Vec::new(),
            regions_read: ["us-east-1", "eu-west-1", "ap-south-1"]
                .map(|region| ("123456789012".to_owned(), region.to_owned()))
                .into(),
        }
    }

    #[test]
    fn asff_and_ocsf_hold_one_finding_per_cluster_and_check_made() {
        use crate::rule::checks::CHECKS;
        use crate::rule::outcome::CheckStatus;
        let outcome = |n: usize, status| CheckOutcome {
            check: &CHECKS[n],
            status,
            findings: Vec::new(),
        };
        let mut report = report();
        report.clusters[0].outcomes = vec![
            outcome(0, CheckStatus::Passed),
            outcome(1, CheckStatus::Passed),
        ];
        report.clusters[1].outcomes = vec![outcome(0, CheckStatus::Failed)];
        let now = Timestamp::from_secs(0);
        let asff: Vec<Value> = serde_json::from_str(&report.to_asff(now)).unwrap();
        let ids: Vec<&str> = asff.iter().map(|f| f["Id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 3);
        assert!(
            ids[0].ends_with("/orders/abcd-1/unauthenticated-access"),
            "{ids:?}"
        );
        assert_eq!(asff[2]["Compliance"]["Status"], "FAILED");
        let ocsf: Vec<Value> = serde_json::from_str(&report.to_ocsf(now)).unwrap();
        assert_eq!(ocsf.len(), 3);
        assert_eq!(ocsf[2]["compliance"]["status_id"], 3);
        assert_eq!(ocsf[0]["finding_info"]["uid"], asff[0]["Id"]);
    }

    #[test]
    fn the_exit_status_puts_non_compliant_before_unreadable_before_all_enforcing() {
        let mut report = report();
        assert_eq!(report.exit_status(), exit::FINDINGS);
        report.unreadable.push(Unreadable {
            account: "3".repeat(12),
            region: None,
            reason: "AccessDenied".into(),
        });
        assert_eq!(
            report.exit_status(),
            exit::FINDINGS,
            "a NON_COMPLIANT cluster wins"
        );
        report
            .clusters
            .retain(|c| c.compliance != ComplianceType::NonCompliant);
        assert_eq!(report.exit_status(), exit::COULD_NOT_FINISH);
        report.unreadable.clear();
        assert_eq!(report.exit_status(), exit::NOTHING_FOUND);
        assert_eq!(
            AuditReport::default().exit_status(),
            exit::NOTHING_FOUND,
            "no cluster, nothing unreadable"
        );
    }

    #[test]
    fn the_share_enforcing_counts_judged_clusters_only() {
        let report = report();
        let tally = report.tally();
        assert_eq!(
            (tally.compliant, tally.non_compliant, tally.not_applicable),
            (2, 1, 1)
        );
        assert!((tally.percent_enforcing().unwrap() - 200.0 / 3.0).abs() < 1e-9);
        let accounts = report.by_account();
        assert_eq!(
            accounts["111111111111"].percent_enforcing(),
            Some(200.0 / 3.0)
        );
        assert_eq!(
            accounts["222222222222"].percent_enforcing(),
            None,
            "only NOT_APPLICABLE"
        );
        assert_eq!(
            report.by_region()["eu-west-1"].percent_enforcing(),
            Some(100.0)
        );
    }

    #[test]
    fn the_table_groups_by_verdict_and_ends_with_the_summary() {
        let mut report = report();
        report.unreadable.push(Unreadable {
            account: "333333333333".into(),
            region: None,
            reason: "AWS AssumeRole failed: AccessDenied".into(),
        });
        let table = report.to_table();
        let non_compliant = table.find("NON_COMPLIANT (1)").unwrap();
        let compliant = table.find("\nCOMPLIANT (2)").unwrap();
        let not_applicable = table.find("NOT_APPLICABLE (1)").unwrap();
        let unreadable = table.find("COULD NOT BE READ (1)").unwrap();
        let summary = table.find("SUMMARY: 4 clusters in 3 account-regions read; 2 enforce mTLS, 1 do not, 1 not applicable; 66.7% of the judged enforce mTLS; 1 with authorization open by default (a topic without an ACL open to every client certificate); 1 could not be read").unwrap();
        assert!(
            non_compliant < compliant
                && compliant < not_applicable
                && not_applicable < unreadable
                && unreadable < summary,
            "{table}"
        );
        assert!(table.contains("payments  NON_COMPLIANT  unauthenticated access is enabled; tag \"a,b\" is missing"), "{table}");
        assert!(
            table.contains("333333333333  (every region)  AWS AssumeRole failed: AccessDenied"),
            "{table}"
        );
        assert!(
            table.contains(
                "111111111111  3         2          1              0               66.7%"
            ),
            "{table}"
        );
        assert!(
            table.contains("222222222222  1         0          0              1               -"),
            "{table}"
        );
        assert!(
            table.contains("eu-west-1  1         1          0              0               100.0%"),
            "{table}"
        );
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_json_keeps_every_finding() {
        let report = report();
        let csv = report.to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "account,region,resourceType,resourceId,complianceType,findings,annotation,notes,authorization"
        );
        assert_eq!(
            lines[2],
            "111111111111,us-east-1,AWS::MSK::Cluster,arn:aws:kafka:us-east-1:111111111111:cluster/payments/abcd-1,NON_COMPLIANT,\"unauthenticated access is enabled; tag \"\"a,b\"\" is missing\",\"unauthenticated access is enabled; tag \"\"a,b\"\" is missing\",,closed by default"
        );
        assert!(
            lines.contains(&"111111111111,eu-west-1,AWS::MSK::Cluster,arn:aws:kafka:eu-west-1:111111111111:cluster/audit/abcd-1,COMPLIANT,,,authorization open by default: allow.everyone.if.no.acl.found is true,open by default"),
            "{csv}"
        );
        assert!(
            lines
                .iter()
                .any(|line| line.contains("cluster/logs/") && line.ends_with("NOT_APPLICABLE,,,,")),
            "{csv}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json[1]["findings"].as_array().unwrap().len(), 2);
        assert_eq!(json[1]["complianceType"], "NON_COMPLIANT");
        assert_eq!(json[0]["annotation"], serde_json::Value::Null);
        assert_eq!(
            json[0].as_object().unwrap().keys().collect::<Vec<_>>(),
            [
                "account",
                "region",
                "resourceType",
                "resourceId",
                "complianceType",
                "findings",
                "notes",
                "authorizationOpenByDefault",
                "annotation"
            ]
        );
    }

    /// docs/audit.md's sample audit: the findings and reasons are the rule's own texts, so the sample
    /// changes when they do. `MSK_MTLS_RULE_WRITE_DOCS=1 cargo test --lib docs` rewrites it.
    #[test]
    fn the_docs_sample_is_what_the_table_renders() {
        use crate::rule::applicability::NotApplicable;
        use crate::rule::authorization::OpenBecause;
        use crate::rule::ca::CaStatus;
        use crate::rule::checks::Finding;
        use crate::rule::facts::ClientBroker;

        let ca =
            |id: &str| format!("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/{id}");
        let judged = |account: &str, region: &str, name: &str, findings: Vec<Finding>| {
            let findings: Vec<String> = findings.iter().map(Finding::to_string).collect();
            let compliance = if findings.is_empty() {
                ComplianceType::Compliant
            } else {
                ComplianceType::NonCompliant
            };
            ClusterResult {
                annotation: (!findings.is_empty()).then(|| findings.join("; ")),
                findings,
                compliance,
                ..cluster(account, region, name, ComplianceType::Compliant, &[])
            }
        };
        let serverless = ClusterResult {
            resource_type: ResourceType::MskServerlessCluster,
            compliance: ComplianceType::NotApplicable,
            annotation: Some(NotApplicable::Serverless.to_string()),
            ..cluster(
                "123456789012",
                "us-east-1",
                "events",
                ComplianceType::NotApplicable,
                &[],
            )
        };
        let mut report = AuditReport {
            clusters: vec![
                judged("123456789012", "us-east-1", "clickstream", vec![
                    Finding::UnauthenticatedAccess(Default::default()),
                    Finding::TlsClientAuthenticationDisabled,
                    Finding::NoCertificateAuthority,
                    Finding::PlaintextListener { client_broker: Some(ClientBroker::TlsPlaintext) },
                ]),
                judged("123456789012", "us-east-1", "orders", vec![Finding::CertificateAuthorityExpiring {
                    arn: ca("0b6f7a1e-4c1d-4b8e-9a52-3f1d2c7e8a90"),
                    days_left: 20,
                }]),
                judged("111111111111", "eu-west-1", "payments", vec![Finding::CertificateAuthorityNotActive {
                    arn: ca("5d2e9c4b-7f3a-4e61-8b0d-6a9f1c2e3d47"),
                    status: CaStatus::Disabled,
                }]),
                judged("111111111111", "us-east-1", "ledger", vec![]),
                ClusterResult {
                    notes: vec![Finding::AuthorizationOpenByDefault(OpenBecause::MskDefaultConfiguration).to_string()],
                    annotation: Some(Finding::AuthorizationOpenByDefault(OpenBecause::MskDefaultConfiguration).to_string()),
                    authorization_open_by_default: Some(true),
                    ..judged("111111111111", "us-east-1", "inventory", vec![])
                },
                serverless,
            ],
            unreadable: vec![Unreadable {
                account: "222222222222".into(),
                region: None,
                reason: "AWS AssumeRole failed: role arn:aws:iam::222222222222:role/msk-mtls-rule-audit: AccessDenied: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/msk-mtls-rule-audit".into(),
            }],
            skipped_accounts: Vec::new(),
            excluded_accounts: Vec::new(),
            regions_read: [("123456789012", "us-east-1"), ("123456789012", "eu-west-1"), ("111111111111", "us-east-1"), ("111111111111", "eu-west-1")]
                .map(|(account, region)| (account.to_owned(), region.to_owned()))
                .into(),
        };
        report.sort();
        let sample = format!(
            "```text\n$ msk-mtls-rule audit --regions us-east-1,eu-west-1 --role-name msk-mtls-rule-audit \\\n    --accounts 123456789012,111111111111,222222222222\n{}```\n",
            report.to_table()
        );
        crate::docs::keep_block(
            "docs/audit.md",
            "<!-- audit-sample:begin (rendered by src/audit/report.rs) -->\n",
            "<!-- audit-sample:end -->",
            &sample,
        );
    }

    #[test]
    fn a_cluster_name_comes_from_its_arn() {
        let result = cluster(
            "111111111111",
            "us-east-1",
            "orders-prod",
            ComplianceType::Compliant,
            &[],
        );
        assert_eq!(result.name(), "orders-prod");
        let odd = ClusterResult {
            resource_id: "not-an-arn".into(),
            ..result
        };
        assert_eq!(odd.name(), "not-an-arn");
    }
    #[test]
    fn what_could_not_be_read_goes_to_stderr_only_beside_json_and_csv() {
        let report = AuditReport {
            unreadable: vec![
                Unreadable {
                    account: "111122223333".into(),
                    region: None,
                    reason: "AccessDenied".into(),
                },
                Unreadable {
                    account: "444455556666".into(),
                    region: Some("eu-west-1".into()),
                    reason: "timed out".into(),
                },
            ],
            ..AuditReport::default()
        };
        let expected = [
            "msk-mtls-rule: audit: account 111122223333 (every region) could not be read: AccessDenied",
            "msk-mtls-rule: audit: account 444455556666 region eu-west-1 could not be read: timed out",
        ];
        assert_eq!(report.stderr_lines(), expected);
        assert!(AuditReport::default().stderr_lines().is_empty());
    }

    /// Accounts left out of an organization audit are said in every format: the table's sections,
    /// stderr beside JSON and CSV (before what could not be read).
    #[test]
    fn accounts_not_audited_are_named_in_every_format() {
        let report = AuditReport {
            excluded_accounts: vec!["999999999999".into(), "888888888888".into()],
            skipped_accounts: vec![("222222222222".into(), "SUSPENDED".into())],
            unreadable: vec![Unreadable {
                account: "111122223333".into(),
                region: None,
                reason: "AccessDenied".into(),
            }],
            ..AuditReport::default()
        };
        assert_eq!(
            report.stderr_lines(),
            [
                "msk-mtls-rule: audit: account 999999999999 not audited: excluded by --exclude-accounts",
                "msk-mtls-rule: audit: account 888888888888 not audited: excluded by --exclude-accounts",
                "msk-mtls-rule: audit: account 222222222222 not audited: it is SUSPENDED, not ACTIVE",
                "msk-mtls-rule: audit: account 111122223333 (every region) could not be read: AccessDenied",
            ]
        );
        let table = report.to_table();
        let excluded = table
            .find("NOT AUDITED: EXCLUDED BY --exclude-accounts (2): 999999999999, 888888888888\n")
            .unwrap_or_else(|| panic!("{table}"));
        let skipped = table.find("NOT AUDITED: NOT ACTIVE (1)").unwrap();
        assert!(
            excluded < skipped && skipped < table.find("SUMMARY").unwrap(),
            "{table}"
        );
        assert!(!AuditReport::default().to_table().contains("NOT AUDITED"));
    }
}
