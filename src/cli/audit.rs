//! `msk-mtls-rule audit`: its flags, checked before any AWS call (a bad one is a usage error that
//! names it, never a narrower audit than the one asked for), and its report on stdout.

use std::collections::BTreeSet;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::audit::report::AuditReport;
use crate::audit::security_hub::send_findings;
use crate::audit::{
    audit, AccountChoice, AuditError, AuditRequest, Progress, RegionChoice, DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
};
use crate::aws::sdk::AwsAccount;
use crate::cli::parameters::read_parameters;
use crate::cli::{usage_error, List};
use crate::error::exit;
use crate::findings::send::HubDelivery;
use crate::logging;
use crate::rule::params::{is_role_name, RuleParams};
use crate::rule::time::Timestamp;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Regions to audit in each account, or `all` for every region enabled there [default: the
    /// configured region]
    #[arg(long, value_name = "R1,R2|all", value_parser = regions)]
    regions: Option<RegionChoice>,
    /// The role assumed in each other account (with --accounts or --organization)
    #[arg(long, value_name = "NAME", value_parser = role_name)]
    role_name: Option<String>,
    /// These accounts, through --role-name
    #[arg(long, value_name = "ID,ID", value_parser = account_ids)]
    accounts: Option<List<String>>,
    /// Every ACTIVE account of the organization, through --role-name
    #[arg(long)]
    organization: bool,
    /// With --organization: accounts left out (each reported as not audited)
    #[arg(long, value_name = "ID,ID", value_parser = account_ids)]
    exclude_accounts: Option<List<String>>,
    /// The rule's parameters, as JSON or @FILE
    #[arg(long, value_name = "JSON|@FILE")]
    parameters: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Send one finding per cluster and check to AWS Security Hub (ASFF, BatchImportFindings) in
    /// each account-region read, updated in place; a gone cluster's findings are archived
    #[arg(long)]
    security_hub: bool,
    /// Account-regions audited at once
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = concurrency)]
    concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
    /// AWS Security Finding Format: one finding per cluster and check, a JSON array
    Asff,
    /// OCSF 1.5 Compliance Findings (class 2003), a JSON array
    Ocsf,
}

/// Prints the report in the format asked; what could not be read also goes to stderr, one line
/// each, when stdout is JSON or CSV for a program.
pub async fn run(args: AuditArgs) -> ExitCode {
    let (format, security_hub) = (args.format, args.security_hub);
    let request = match args.into_request(|path| std::fs::read_to_string(path)) {
        Ok(request) => request,
        Err(message) => return usage_error("audit", &message),
    };
    logging::init_local();
    let own = AwsAccount::default();
    let now = Timestamp::now();
    let report = match audit(&own, &request, now, &Progress::on_stderr()).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("msk-mtls-rule: {error}");
            return ExitCode::from(match error {
                AuditError::NoRegion => exit::USAGE_OR_UNREADABLE_INPUT,
                AuditError::Aws(_) => exit::COULD_NOT_FINISH,
            });
        }
    };
    let (stdout, stderr) = rendered(&report, format, now);
    print!("{stdout}");
    for line in stderr {
        eprintln!("{line}");
    }
    if !security_hub {
        return ExitCode::from(report.exit_status());
    }
    let deliveries = send_findings(&own, &request, &report, now).await;
    for line in deliveries
        .iter()
        .flat_map(|delivery| delivery.lines("audit"))
    {
        eprintln!("{line}");
    }
    if deliveries.iter().all(HubDelivery::complete) {
        ExitCode::from(report.exit_status())
    } else {
        // A finding not sent is what a pipeline that sends them must notice, whatever was found.
        ExitCode::from(exit::COULD_NOT_FINISH)
    }
}

/// The report in `format` for stdout, and the lines for stderr: what was not read or not audited,
/// one line each, when stdout is JSON or CSV for a program (the table shows them itself).
fn rendered(report: &AuditReport, format: Format, now: Timestamp) -> (String, Vec<String>) {
    match format {
        Format::Table => (report.to_table(), Vec::new()),
        Format::Json => (format!("{}\n", report.to_json()), report.stderr_lines()),
        Format::Csv => (report.to_csv(), report.stderr_lines()),
        Format::Asff => (report.to_asff(now), report.stderr_lines()),
        Format::Ocsf => (report.to_ocsf(now), report.stderr_lines()),
    }
}

/// The audit the arguments after `audit` ask for (`read_file` reads `--parameters @FILE`), as the
/// command parses them: for tests and programs that drive an audit without a process.
pub fn request_from_args(
    args: &[&str],
    read_file: impl Fn(&str) -> std::io::Result<String>,
) -> Result<AuditRequest, String> {
    use clap::Parser;
    let argv = ["msk-mtls-rule", "audit"].iter().chain(args);
    match crate::cli::Cli::try_parse_from(argv)
        .map_err(|e| e.to_string())?
        .command
    {
        crate::cli::Command::Audit(audit) => audit.into_request(read_file),
        _ => Err("not an audit".into()),
    }
}

impl AuditArgs {
    /// The audit asked for; `read_file` reads `--parameters @FILE`.
    fn into_request(
        self,
        read_file: impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<AuditRequest, String> {
        let accounts = match (self.role_name, self.accounts, self.organization) {
            (None, None, false) => AccountChoice::Own,
            (Some(role_name), Some(List(ids)), false) => AccountChoice::Listed { role_name, ids },
            (Some(role_name), None, true) => AccountChoice::Organization {
                role_name,
                excluded: self
                    .exclude_accounts
                    .clone()
                    .map(|List(ids)| ids)
                    .unwrap_or_default(),
            },
            (_, Some(_), true) => {
                return Err("audit: --accounts and --organization exclude each other".into())
            }
            (None, _, _) => return Err(
                "audit: --accounts and --organization need --role-name, the role assumed in each account".into(),
            ),
            (Some(_), None, false) => {
                return Err("audit: --role-name needs --accounts ID,ID or --organization".into())
            }
        };
        if self.exclude_accounts.is_some()
            && !matches!(accounts, AccountChoice::Organization { .. })
        {
            return Err("audit: --exclude-accounts goes with --organization".into());
        }
        let params = self
            .parameters
            .map(|given| read_parameters("audit", &given, read_file))
            .transpose()?
            .map_or_else(RuleParams::default, |(params, _)| params);
        if params.execution_role_name.is_some() {
            return Err(
                "audit: --parameters sets executionRoleName: give the role with --role-name".into(),
            );
        }
        Ok(AuditRequest {
            regions: self.regions.unwrap_or(RegionChoice::Configured),
            accounts,
            params,
            concurrency: self.concurrency,
        })
    }
}

fn regions(list: &str) -> Result<RegionChoice, String> {
    if list == "all" {
        return Ok(RegionChoice::AllEnabled);
    }
    comma_list(
        list,
        is_region_name,
        "a region name such as eu-west-1, or all",
    )
    .map(RegionChoice::Listed)
}

fn account_ids(list: &str) -> Result<List<String>, String> {
    comma_list(list, is_account_id, "a 12-digit account id").map(List)
}

fn concurrency(text: &str) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
        .ok_or_else(|| format!("not a whole number from 1 to {MAX_CONCURRENCY}"))
}

/// A comma-separated list with no empty item, each item valid, duplicates dropped, order kept.
fn comma_list(list: &str, valid: fn(&str) -> bool, expected: &str) -> Result<Vec<String>, String> {
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    for item in list.split(',') {
        if !valid(item) {
            return Err(format!("{item:?} is not {expected}"));
        }
        if seen.insert(item) {
            items.push(item.to_owned());
        }
    }
    Ok(items)
}

fn role_name(name: &str) -> Result<String, String> {
    if is_role_name(name) {
        Ok(name.to_owned())
    } else {
        Err("not an IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-; not a path or an ARN)".into())
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `eu-west-1`, `us-gov-east-1`, `ap-southeast-5`: lowercase words, then a number.
fn is_region_name(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    text.len() <= 32
        && words.len() >= 2
        && words
            .iter()
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::Unreadable;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(args: &[&str]) -> Result<AuditArgs, String> {
        let argv = ["msk-mtls-rule", "audit"].iter().chain(args);
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Audit(args) => Ok(args),
            other => panic!("{other:?}"),
        }
    }

    fn parse(given: &[&str]) -> Result<AuditRequest, String> {
        args(given)?.into_request(|path| {
            if path == "params.json" {
                Ok(r#"{"allowedSaslMechanisms": "IAM"}"#.to_owned())
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file",
                ))
            }
        })
    }

    #[test]
    fn what_was_not_read_goes_to_stderr_only_beside_json_or_csv() {
        let report = AuditReport {
            unreadable: vec![Unreadable {
                account: "111111111111".into(),
                region: Some("eu-west-1".into()),
                reason: "AccessDenied".into(),
            }],
            ..AuditReport::default()
        };
        let now = Timestamp::from_secs(0);
        let (table, quiet) = rendered(&report, Format::Table, now);
        assert!(table.contains("COULD NOT BE READ (1)") && quiet.is_empty());
        for format in [Format::Json, Format::Csv, Format::Asff, Format::Ocsf] {
            let (_, said) = rendered(&report, format, now);
            assert_eq!(said.len(), 1, "{format:?}");
            assert!(said[0].contains("AccessDenied"), "{said:?}");
        }
        let (json, _) = rendered(&report, Format::Json, now);
        assert!(json.ends_with('\n') && !json.ends_with("\n\n"), "{json}");
    }

    #[test]
    fn no_arguments_audit_the_own_account_in_the_configured_region_as_a_table() {
        let request = parse(&[]).unwrap();
        assert_eq!(request.regions, RegionChoice::Configured);
        assert_eq!(request.accounts, AccountChoice::Own);
        assert_eq!(request.params, RuleParams::default());
        assert_eq!(args(&[]).unwrap().format, Format::Table);
        assert_eq!(request.concurrency, DEFAULT_CONCURRENCY);
    }

    #[test]
    fn every_option_parses_in_both_spellings() {
        let given = [
            "--regions=eu-west-1,us-gov-east-1,eu-west-1",
            "--role-name",
            "msk-mtls-rule-audit",
            "--accounts",
            "111111111111,222222222222",
            "--parameters",
            "@params.json",
            "--format=csv",
            "--concurrency",
            "64",
        ];
        assert_eq!(args(&given).unwrap().format, Format::Csv);
        let request = parse(&given).unwrap();
        assert_eq!(
            request.regions,
            RegionChoice::Listed(vec!["eu-west-1".into(), "us-gov-east-1".into()])
        );
        assert_eq!(
            request.accounts,
            AccountChoice::Listed {
                role_name: "msk-mtls-rule-audit".into(),
                ids: vec!["111111111111".into(), "222222222222".into()]
            }
        );
        assert_eq!(
            request.params.allowed_sasl_mechanisms.len(),
            1,
            "the file's parameters are read"
        );
        assert_eq!(request.concurrency, 64);
        let given = [
            "--organization",
            "--role-name",
            "audit",
            "--regions",
            "all",
            "--format",
            "json",
        ];
        assert_eq!(args(&given).unwrap().format, Format::Json);
        let organization = parse(&given).unwrap();
        assert_eq!(
            organization.accounts,
            AccountChoice::Organization {
                role_name: "audit".into(),
                excluded: Vec::new()
            }
        );
        let excluding = parse(&[
            "--organization",
            "--role-name",
            "audit",
            "--exclude-accounts",
            "111111111111,222222222222,111111111111",
        ])
        .unwrap();
        assert_eq!(
            excluding.accounts,
            AccountChoice::Organization {
                role_name: "audit".into(),
                excluded: vec!["111111111111".into(), "222222222222".into()]
            }
        );
        assert_eq!(organization.regions, RegionChoice::AllEnabled);
    }

    #[test]
    fn every_bad_argument_is_refused_by_name() {
        for (args, named) in [
            (
                &["--region", "eu-west-1"][..],
                "tip: a similar argument exists: '--regions'",
            ),
            (&["--regions"][..], "a value is required for '--regions"),
            (&["--regions", "eu-west-1,"][..], "\"\" is not a region"),
            (&["--regions", "EU-WEST-1"][..], "\"EU-WEST-1\""),
            (&["--regions", "eu-west"][..], "\"eu-west\""),
            (
                &["--regions", "eu-west-1", "--regions", "all"][..],
                "cannot be used multiple times",
            ),
            (&["--accounts", "111111111111"][..], "need --role-name"),
            (&["--organization"][..], "need --role-name"),
            (
                &[
                    "--role-name",
                    "a",
                    "--accounts",
                    "111111111111",
                    "--exclude-accounts",
                    "111111111111",
                ][..],
                "--exclude-accounts goes with --organization",
            ),
            (
                &[
                    "--role-name",
                    "a",
                    "--organization",
                    "--exclude-accounts",
                    "management",
                ][..],
                "\"management\" is not a 12-digit account id",
            ),
            (
                &["--role-name", "audit"][..],
                "--role-name needs --accounts",
            ),
            (
                &["--role-name", "audit", "--accounts", "11111111111"][..],
                "\"11111111111\" is not a 12-digit",
            ),
            (
                &[
                    "--role-name",
                    "audit",
                    "--accounts",
                    "111111111111",
                    "--organization",
                ][..],
                "exclude each other",
            ),
            (
                &["--role-name", "path/audit", "--organization"][..],
                "not an IAM role name",
            ),
            (
                &["--role-name", "", "--organization"][..],
                "not an IAM role name",
            ),
            (
                &["--organization=yes", "--role-name", "a"][..],
                "unexpected value 'yes' for '--organization'",
            ),
            (
                &["--format", "yaml"][..],
                "[possible values: table, json, csv, asff, ocsf]",
            ),
            (&["--concurrency", "0"][..], "from 1 to 64"),
            (&["--concurrency", "65"][..], "from 1 to 64"),
            (
                &["--parameters", "@missing.json"][..],
                "cannot read --parameters file missing.json",
            ),
            (
                &["--parameters", r#"{"allowedSaslMechanism": "IAM"}"#][..],
                "allowedSaslMechanism",
            ),
            (
                &["--parameters", r#"{"executionRoleName": "r"}"#][..],
                "give the role with --role-name",
            ),
        ] {
            let error = parse(args).expect_err(&format!("{args:?} must be refused"));
            assert!(error.contains(named), "{args:?}: {error}");
        }
    }
}
