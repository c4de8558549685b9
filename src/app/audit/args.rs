//! `msk-mtls-rule audit`'s arguments, checked before any AWS call: a bad one is a usage error (exit
//! status 2) that names it, never a narrower audit than the one asked for.

use std::collections::BTreeSet;

use crate::app::flags::Flags;
use crate::rule::params::{is_role_name, RuleParams};

/// Which regions to audit in each account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionChoice {
    /// The region the credentials are configured for.
    Configured,
    Listed(Vec<String>),
    /// Every region enabled for each account (Account's ListRegions).
    AllEnabled,
}

/// Which accounts to audit, and how to reach the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChoice {
    /// The credentials' own account.
    Own,
    Listed {
        role_name: String,
        ids: Vec<String>,
    },
    /// Every ACTIVE account of the organization but those excluded by name (reported in every
    /// audit, never dropped silently).
    Organization {
        role_name: String,
        excluded: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRequest {
    pub regions: RegionChoice,
    pub accounts: AccountChoice,
    pub params: RuleParams,
    pub format: Format,
    /// Account-regions audited at once.
    pub concurrency: usize,
}

pub const DEFAULT_CONCURRENCY: usize = 8;
const MAX_CONCURRENCY: usize = 64;

pub const USAGE: &str = "       msk-mtls-rule audit [--regions R1,R2|all]
                           [--role-name NAME (--accounts ID,ID | --organization [--exclude-accounts ID,ID])]
                           [--parameters JSON|@FILE] [--format table|json|csv] [--concurrency N]
                                              judge every MSK cluster the credentials can list, now;
                                              exit 0 all enforce mTLS, 1 some do not, 3 some account
                                              or region could not be read, 2 usage";

/// Parses the arguments after `audit`. `read_file` reads `--parameters @FILE`.
pub fn parse_audit_args(
    args: &[String],
    read_file: impl Fn(&str) -> std::io::Result<String>,
) -> Result<AuditRequest, String> {
    let flags = Flags::read(
        "audit",
        args,
        &[
            "--regions",
            "--role-name",
            "--accounts",
            "--exclude-accounts",
            "--parameters",
            "--format",
            "--concurrency",
        ],
        &["--organization"],
    )?
    .no_positional("audit")?;
    let value = |flag: &str| flags.value(flag);

    let regions = match value("--regions") {
        None => RegionChoice::Configured,
        Some("all") => RegionChoice::AllEnabled,
        Some(list) => RegionChoice::Listed(comma_list(
            "--regions",
            list,
            is_region_name,
            "a region name such as eu-west-1, or all",
        )?),
    };
    let accounts = match (value("--role-name"), value("--accounts"), flags.has("--organization")) {
        (None, None, false) => AccountChoice::Own,
        (Some(name), Some(list), false) => AccountChoice::Listed {
            role_name: role_name(name)?,
            ids: comma_list("--accounts", list, is_account_id, "a 12-digit account id")?,
        },
        (Some(name), None, true) => AccountChoice::Organization {
            role_name: role_name(name)?,
            excluded: value("--exclude-accounts")
                .map(|list| {
                    comma_list("--exclude-accounts", list, is_account_id, "a 12-digit account id")
                })
                .transpose()?
                .unwrap_or_default(),
        },
        (_, Some(_), true) => return Err("audit: --accounts and --organization exclude each other".into()),
        (None, _, _) => {
            return Err("audit: --accounts and --organization need --role-name, the role assumed in each account".into())
        }
        (Some(_), None, false) => {
            return Err("audit: --role-name needs --accounts ID,ID or --organization".into())
        }
    };
    if value("--exclude-accounts").is_some()
        && !matches!(accounts, AccountChoice::Organization { .. })
    {
        return Err("audit: --exclude-accounts goes with --organization".into());
    }
    let params = flags
        .parameters("audit", read_file)?
        .map_or_else(RuleParams::default, |(params, _)| params);
    if params.execution_role_name.is_some() {
        return Err(
            "audit: --parameters sets executionRoleName: give the role with --role-name".into(),
        );
    }
    let format = match value("--format") {
        None | Some("table") => Format::Table,
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some(other) => {
            return Err(format!(
                "audit: --format {other:?} is not one of table, json, csv"
            ))
        }
    };
    let concurrency = match value("--concurrency") {
        None => DEFAULT_CONCURRENCY,
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
            .ok_or_else(|| format!("audit: --concurrency {text:?} is not a whole number from 1 to {MAX_CONCURRENCY}"))?,
    };
    Ok(AuditRequest {
        regions,
        accounts,
        params,
        format,
        concurrency,
    })
}

/// A comma-separated list with no empty item, each item valid, duplicates dropped, order kept.
fn comma_list(
    flag: &str,
    list: &str,
    valid: fn(&str) -> bool,
    expected: &str,
) -> Result<Vec<String>, String> {
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    for item in list.split(',') {
        if !valid(item) {
            return Err(format!("audit: {flag}: {item:?} is not {expected}"));
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
        Err(format!(
            "audit: --role-name {name:?} is not an IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-; not a path or an ARN)"
        ))
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

    fn parse(args: &[&str]) -> Result<AuditRequest, String> {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        parse_audit_args(&args, |path| {
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
    fn no_arguments_audit_the_own_account_in_the_configured_region_as_a_table() {
        let request = parse(&[]).unwrap();
        assert_eq!(request.regions, RegionChoice::Configured);
        assert_eq!(request.accounts, AccountChoice::Own);
        assert_eq!(request.params, RuleParams::default());
        assert_eq!(request.format, Format::Table);
        assert_eq!(request.concurrency, DEFAULT_CONCURRENCY);
    }

    #[test]
    fn every_option_parses_in_both_spellings() {
        let request = parse(&[
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
        ])
        .unwrap();
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
        assert_eq!(request.format, Format::Csv);
        assert_eq!(request.concurrency, 64);
        let organization = parse(&[
            "--organization",
            "--role-name",
            "audit",
            "--regions",
            "all",
            "--format",
            "json",
        ])
        .unwrap();
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
        assert_eq!(organization.format, Format::Json);
    }

    #[test]
    fn every_bad_argument_is_refused_by_name() {
        for (args, named) in [
            (&["--region", "eu-west-1"][..], "\"--region\""),
            (&["--regions"][..], "--regions needs a value"),
            (&["--regions", "eu-west-1,"][..], "\"\" is not a region"),
            (&["--regions", "EU-WEST-1"][..], "\"EU-WEST-1\""),
            (&["--regions", "eu-west"][..], "\"eu-west\""),
            (
                &["--regions", "eu-west-1", "--regions", "all"][..],
                "--regions is given twice",
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
                "--organization takes no value",
            ),
            (
                &["--format", "yaml"][..],
                "\"yaml\" is not one of table, json, csv",
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
