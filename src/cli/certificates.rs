//! `msk-mtls-rule certificates --report FILE|s3://... | --ca-arn ARN --bucket BUCKET`: each client identity of a Private CA's audit report,
//! its newest certificate, its predecessor, and whether its rotation is due or was missed; the
//! rotation failures in the report's history, per calendar quarter.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::app::rotation::{watch_ca, RotationSettings, Watched};
use crate::audit::report::csv_field;
use crate::aws::ports::{AuditReports, StoredReport};
use crate::aws::sdk::AwsAccount;
use crate::cli::usage_error;
use crate::edge::audit_report::{parse_offset_time, read_report};
use crate::error::exit;
use crate::rule::rotation::{Kept, Rotation, State};
use crate::rule::time::Timestamp;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["report", "ca_arn"])))]
pub struct CertificatesArgs {
    /// The CA's audit report in JSON, as ACM Private CA writes it to its bucket
    /// (`audit-report/<CA id>/<report id>.json`): a file, `-` for standard input, or
    /// `s3://BUCKET/KEY` (read with your credentials)
    #[arg(long, value_name = "FILE|s3://BUCKET/KEY")]
    report: Option<String>,
    /// The CA whose newest report in `--bucket` is read (a new one asked for when it is older than
    /// `--max-age-hours`; ACM Private CA writes one per 30 minutes, which the rule's sweep shares)
    #[arg(
        long,
        value_name = "ARN",
        requires = "bucket",
        conflicts_with = "report"
    )]
    ca_arn: Option<String>,
    /// The bucket the CA's audit reports are written to (the stack's AuditReportBucket)
    #[arg(long, value_name = "BUCKET", conflicts_with = "report")]
    bucket: Option<String>,
    /// With --ca-arn: a newest report older than this is replaced by a new one
    #[arg(
        long,
        value_name = "HOURS",
        default_value_t = 24,
        conflicts_with = "report"
    )]
    max_age_hours: u16,
    /// With --ca-arn: how long to wait for a new report to be written
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 120,
        conflicts_with = "report"
    )]
    wait: u16,
    /// Days before expiry a certificate's rotation is due; a certificate that lives 7 days or less
    /// (short-lived) is due in the last quarter of its life instead
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    expiry_days: u16,
    /// Judge at this time (RFC 3339, e.g. the report's own), not now
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

/// Prints every identity's rotation; exit 1 when one is due or missed, 2 when a report file cannot
/// be read, 3 when a report in AWS cannot be (or is not written yet).
pub async fn run(args: CertificatesArgs) -> ExitCode {
    let now = match args.at.as_deref().map(parse_offset_time) {
        None => Timestamp::now(),
        Some(Some(at)) => at,
        Some(None) => return usage_error("certificates", "--at is not an RFC 3339 time"),
    };
    let (mut rotations, certificates) = match read_source(&args, now).await {
        Ok(read) => read,
        Err((message, code)) => {
            eprintln!("msk-mtls-rule: certificates: {message}");
            return ExitCode::from(code);
        }
    };
    rotations.sort_by(|a, b| (a.state, &a.identity).cmp(&(b.state, &b.identity)));
    match args.format {
        Format::Table => print!("{}", to_table(&rotations, certificates)),
        Format::Json => println!("{:#}", to_json(&rotations, certificates)),
        Format::Csv => print!("{}", to_csv(&rotations)),
    }
    let attention = rotations
        .iter()
        .any(|rotation| matches!(rotation.state, State::Due | State::Missed));
    ExitCode::from(if attention {
        exit::FINDINGS
    } else {
        exit::NOTHING_FOUND
    })
}

/// Each identity's rotation in the report the flags name and how many certificates it holds, or
/// what to say and the exit status.
async fn read_source(
    args: &CertificatesArgs,
    now: Timestamp,
) -> Result<(Vec<Rotation>, usize), (String, u8)> {
    let unreadable = |what: &str, error: &dyn std::fmt::Display| {
        (format!("{what}: {error}"), exit::USAGE_OR_UNREADABLE_INPUT)
    };
    let issued = match (&args.report, &args.ca_arn) {
        (Some(report), _) if report.starts_with("s3://") => {
            let Some((bucket, key)) = report["s3://".len()..].split_once('/') else {
                return Err(unreadable(report, &"not s3://BUCKET/KEY"));
            };
            let stored = StoredReport {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                written: now,
            };
            AwsAccount::default()
                .read_report(&stored)
                .await
                .map_err(|error| (error.message(), exit::COULD_NOT_FINISH))?
        }
        (Some(report), _) if report == "-" => {
            read_report(std::io::stdin().lock()).map_err(|e| unreadable(report, &e))?
        }
        (Some(report), _) => {
            let file = std::fs::File::open(report).map_err(|e| unreadable(report, &e))?;
            read_report(file).map_err(|e| unreadable(report, &e))?
        }
        (None, Some(ca_arn)) => return newest_of(args, ca_arn, now).await,
        (None, None) => {
            return Err(unreadable(
                "certificates",
                &"--report or --ca-arn is required",
            ))
        }
    };
    let certificates = issued.certificates();
    Ok((
        issued.rotations(now, i64::from(args.expiry_days)),
        certificates,
    ))
}

/// The rotations in the CA's newest report, read as the rule's sweep reads it (asked for anew when
/// stale, shared when one is being written), with where it came from on standard error.
async fn newest_of(
    args: &CertificatesArgs,
    ca_arn: &str,
    now: Timestamp,
) -> Result<(Vec<Rotation>, usize), (String, u8)> {
    let settings = RotationSettings {
        bucket: args.bucket.clone().unwrap_or_default(),
        max_report_age_secs: i64::from(args.max_age_hours) * 3_600,
        due_days: i64::from(args.expiry_days),
        sweep_period_secs: 0,
    };
    let wait = Duration::from_secs(u64::from(args.wait));
    match watch_ca(&AwsAccount::default(), &settings, ca_arn, now, wait).await {
        Watched::Judged {
            report,
            certificates,
            rotations,
            newer_requested,
        } => {
            let newer = if newer_requested {
                "; a newer report is being written: certificates issued since are not in this one"
            } else {
                ""
            };
            eprintln!(
                "msk-mtls-rule: certificates: s3://{}/{} (written {}){newer}",
                report.bucket, report.key, report.written
            );
            Ok((rotations, certificates))
        }
        Watched::Waiting => Err((
            format!(
                "{ca_arn} has no audit report in s3://{}/ yet: one was asked for; run again when \
                 it is written (or raise --wait)",
                settings.bucket
            ),
            exit::COULD_NOT_FINISH,
        )),
        Watched::Unread(error) => Err((error.message(), exit::COULD_NOT_FINISH)),
    }
}

/// The calendar quarter a time falls in, `2026-Q3`.
fn quarter(time: Timestamp) -> String {
    let text = time.to_string();
    let month: u32 = text[5..7].parse().unwrap_or(1);
    format!("{}-Q{}", &text[..4], (month - 1) / 3 + 1)
}

/// Every lapse in the report's history, by the quarter it happened in: the KPI "rotation failures
/// per quarter".
fn lapses_by_quarter(rotations: &[Rotation]) -> BTreeMap<String, usize> {
    let mut quarters = BTreeMap::new();
    for lapse in rotations.iter().flat_map(|rotation| &rotation.lapses) {
        *quarters.entry(quarter(*lapse)).or_default() += 1;
    }
    quarters
}

fn template_name(template: Option<&str>) -> &str {
    // arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1
    template
        .and_then(|arn| arn.split('/').nth(1))
        .unwrap_or("-")
}

fn certificate_json(certificate: Option<&Kept>) -> Value {
    certificate.map_or(Value::Null, |certificate| {
        json!({"serial": certificate.serial, "notBefore": certificate.not_before.to_string(),
            "notAfter": certificate.not_after.to_string()})
    })
}

fn to_json(rotations: &[Rotation], certificates: usize) -> Value {
    json!({
        "certificates": certificates,
        "identities": rotations.iter().map(|rotation| json!({
            "subject": rotation.identity.subject,
            "template": rotation.identity.template,
            "state": rotation.state.as_str(),
            "newest": certificate_json(rotation.newest.as_ref()),
            "predecessor": certificate_json(rotation.predecessor.as_ref()),
            "certificates": rotation.certificates,
            "lapses": rotation.lapses.iter().map(Timestamp::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "lapsesByQuarter": lapses_by_quarter(rotations),
    })
}

fn to_table(rotations: &[Rotation], certificates: usize) -> String {
    let mut counts = BTreeMap::new();
    for rotation in rotations {
        *counts.entry(rotation.state).or_insert(0) += 1;
    }
    let count = |state: State| counts.get(&state).copied().unwrap_or(0);
    let mut out = format!(
        "{} identities from {certificates} certificates: {} rotation missed, {} due, {} fine, {} revoked\n",
        rotations.len(),
        count(State::Missed),
        count(State::Due),
        count(State::Fine),
        count(State::Revoked)
    );
    for rotation in rotations {
        let expires = rotation
            .newest
            .as_ref()
            .map_or("-".into(), |newest| newest.not_after.to_string());
        let serial = rotation
            .newest
            .as_ref()
            .map_or("-", |newest| newest.serial.as_str());
        out.push_str(&format!(
            "{:<15}  {}  [{}]  newest {serial} expires {expires}",
            rotation.state.as_str(),
            rotation.identity.subject,
            template_name(rotation.identity.template.as_deref()),
        ));
        if let Some(predecessor) = &rotation.predecessor {
            out.push_str(&format!(
                ", after {} ({})",
                predecessor.serial, predecessor.not_after
            ));
        }
        if !rotation.lapses.is_empty() {
            out.push_str(&format!(", {} lapse(s)", rotation.lapses.len()));
        }
        out.push('\n');
    }
    let quarters = lapses_by_quarter(rotations);
    if !quarters.is_empty() {
        let listed: Vec<String> = quarters
            .iter()
            .map(|(quarter, n)| format!("{quarter} {n}"))
            .collect();
        out.push_str(&format!(
            "rotation failures per quarter: {}\n",
            listed.join(", ")
        ));
    }
    out
}

fn to_csv(rotations: &[Rotation]) -> String {
    let mut out = String::from("state,subject,template,newest_serial,newest_not_after,predecessor_serial,predecessor_not_after,certificates,lapses\n");
    for rotation in rotations {
        let part = |certificate: Option<&Kept>| {
            certificate.map_or((String::new(), String::new()), |certificate| {
                (
                    certificate.serial.clone(),
                    certificate.not_after.to_string(),
                )
            })
        };
        let (newest, newest_after) = part(rotation.newest.as_ref());
        let (predecessor, predecessor_after) = part(rotation.predecessor.as_ref());
        let row = [
            rotation.state.as_str().to_owned(),
            rotation.identity.subject.clone(),
            rotation.identity.template.clone().unwrap_or_default(),
            newest,
            newest_after,
            predecessor,
            predecessor_after,
            rotation.certificates.to_string(),
            rotation.lapses.len().to_string(),
        ];
        let row: Vec<String> = row.iter().map(|value| csv_field(value)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_template_names() {
        assert_eq!(quarter(Timestamp::from_secs(1_767_225_599)), "2025-Q4");
        assert_eq!(quarter(Timestamp::from_secs(1_767_225_600)), "2026-Q1");
        assert_eq!(
            template_name(Some(
                "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"
            )),
            "EndEntityClientAuthCertificate"
        );
        assert_eq!(template_name(None), "-");
    }
}
