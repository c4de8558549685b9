//! `msk-mtls-rule check PATH...`: files, directories (walked for templates and plans) and `-` for
//! standard input; the verdicts on stdout in the format asked.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::Value;

use crate::aws::sdk::AwsAccount;
use crate::check::{
    check_files, exit_status, to_json, to_ocsf, to_sarif, to_text, CheckRequest, Input,
};
use crate::cli::parameters::{read_input, read_parameters};
use crate::cli::usage_error;
use crate::logging;
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Templates (JSON or YAML) and plans (`terraform show -json`); a directory is walked for
    /// .json, .yaml, .yml and .template files, passing over those that are neither (with a note);
    /// `-` reads standard input
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// The rule's parameters, as JSON or @FILE; the CA check (an AWS call) runs only when they name
    /// checkCertificateAuthorityStatus
    #[arg(long, value_name = "JSON|@FILE")]
    parameters: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Pass over (with a note) a file named here that is neither a template nor a plan and names
    /// neither, as a pre-commit hook needs
    #[arg(long)]
    skip_unrecognised: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
    /// OCSF 1.5 Compliance Findings, one per cluster and check made (a JSON array)
    Ocsf,
}

/// What a directory is walked for: the extensions templates and plans are kept under.
const EXTENSIONS: [&str; 4] = ["json", "yaml", "yml", "template"];

/// Prints the verdict of every cluster in the files; exit 1 when one is NON_COMPLIANT, 2 when a
/// file cannot be read (one line naming the file and the path), 3 when a part is not judged or a CA
/// cannot be looked up.
pub async fn run(args: CheckArgs) -> ExitCode {
    let format = args.format;
    let request = match args.into_request(|path| std::fs::read_to_string(path)) {
        Ok(request) => request,
        Err(message) => return usage_error("check", &message),
    };
    logging::init_local();
    let (now, params) = (Timestamp::now(), request.params.clone());
    match check_files(&AwsAccount::default(), &request, read_input, now).await {
        Ok(report) => {
            for (file, why) in &report.skipped {
                eprintln!("msk-mtls-rule: check: skipped {file}: {why}");
            }
            match format {
                Format::Text => print!("{}", to_text(&report.checked)),
                Format::Json => println!("{:#}", to_json(&report.checked)),
                Format::Sarif => println!("{:#}", to_sarif(&report.checked)),
                Format::Ocsf => println!("{:#}", to_ocsf(&report.checked, &params, now)),
            }
            ExitCode::from(exit_status(&report.checked))
        }
        Err(error) => {
            eprintln!("msk-mtls-rule: check: {error}");
            ExitCode::from(error.exit_status())
        }
    }
}

impl CheckArgs {
    fn into_request(
        self,
        read_file: impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<CheckRequest, String> {
        let params = match self.parameters {
            None => RuleParams {
                check_certificate_authority_status: false,
                ..RuleParams::default()
            },
            Some(given) => {
                let (mut params, json) = read_parameters("check", &given, read_file)?;
                // The CA check calls AWS: only when asked for by name.
                let asked = serde_json::from_str::<Value>(&json)
                    .ok()
                    .and_then(|value| value.get("checkCertificateAuthorityStatus").cloned())
                    .is_some();
                params.check_certificate_authority_status &= asked;
                params
            }
        };
        let mut files = Vec::new();
        for path in &self.paths {
            files.extend(inputs(path, self.skip_unrecognised)?);
        }
        Ok(CheckRequest { files, params })
    }
}

/// The files a path names: itself, or a directory's templates and plans (sorted, hidden
/// directories such as .git and .terraform left out), each passed over when unrecognised.
fn inputs(path: &str, skip_unrecognised: bool) -> Result<Vec<Input>, String> {
    if path == "-" || !Path::new(path).is_dir() {
        return Ok(vec![Input {
            path: path.to_owned(),
            skip_unrecognised,
        }]);
    }
    let mut found = Vec::new();
    walk(Path::new(path), &mut found)
        .map_err(|e| format!("check: {path}: cannot read the directory: {e}"))?;
    if found.is_empty() {
        // Nothing to judge is never a pass: a mistyped directory would otherwise exit 0.
        return Err(format!(
            "check: {path} holds no .json, .yaml, .yml or .template file to judge"
        ));
    }
    found.sort();
    Ok(found
        .into_iter()
        .map(|path| Input {
            path,
            skip_unrecognised: true,
        })
        .collect())
}

fn walk(dir: &Path, found: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // A linked directory is not followed: a link back up would never end.
        if entry.file_type()?.is_dir() {
            if !hidden {
                walk(&path, found)?;
            }
        } else if path.is_file()
            && path
                .extension()
                .is_some_and(|ext| EXTENSIONS.iter().any(|known| ext == *known))
        {
            found.push(path.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(given: &[&str]) -> Result<CheckArgs, String> {
        let argv = ["msk-mtls-rule", "check"].iter().chain(given);
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Check(args) => Ok(args),
            other => panic!("{other:?}"),
        }
    }

    fn no_file(_: &str) -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ))
    }

    #[test]
    fn a_directory_is_walked_for_templates_and_plans_each_passed_over_when_neither() {
        let dir = std::env::temp_dir().join(format!("msk-check-walk-{}", std::process::id()));
        for (path, text) in [
            ("b.yaml", "Resources: {}"),
            ("nested/a.json", "{}"),
            ("nested/deeper/c.template", "{}"),
            ("nested/README.md", "# not read"),
            (".git/config.yaml", "not read"),
            (".terraform/modules/x.json", "{}"),
        ] {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let root = dir.to_str().unwrap();
        let request = args(&[root, "named.yaml", "-"])
            .unwrap()
            .into_request(no_file)
            .unwrap();
        let found: Vec<(String, bool)> = request
            .files
            .iter()
            .map(|input| {
                let path = input.path.strip_prefix(root).unwrap_or(&input.path);
                (path.to_owned(), input.skip_unrecognised)
            })
            .collect();
        assert_eq!(
            found,
            [
                ("/b.yaml".to_owned(), true),
                ("/nested/a.json".to_owned(), true),
                ("/nested/deeper/c.template".to_owned(), true),
                ("named.yaml".to_owned(), false),
                ("-".to_owned(), false),
            ]
        );
        let skipping = args(&["--skip-unrecognised", "named.yaml"])
            .unwrap()
            .into_request(no_file)
            .unwrap();
        assert!(skipping.files[0].skip_unrecognised);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_with_nothing_to_judge_is_an_error_not_a_pass() {
        let dir = std::env::temp_dir().join(format!("msk-check-empty-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join(".git/config.yaml"), "x").unwrap();
        std::fs::write(dir.join("notes.md"), "Resources").unwrap();
        let error = args(&[dir.to_str().unwrap()])
            .unwrap()
            .into_request(no_file)
            .err()
            .unwrap();
        assert!(error.contains("holds no .json"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_ca_check_runs_only_when_the_parameters_name_it() {
        let request = args(&["t.yaml"]).unwrap().into_request(no_file).unwrap();
        assert!(!request.params.check_certificate_authority_status);
        let request = args(&[
            "--parameters",
            r#"{"allowedSaslMechanisms":"IAM"}"#,
            "t.yaml",
        ])
        .unwrap()
        .into_request(no_file)
        .unwrap();
        assert!(!request.params.check_certificate_authority_status);
        let request = args(&[
            "--parameters={\"checkCertificateAuthorityStatus\":\"true\"}",
            "t.yaml",
        ])
        .unwrap()
        .into_request(no_file)
        .unwrap();
        assert!(request.params.check_certificate_authority_status);
        let error = args(&["--parameters", "@missing.json", "t.yaml"])
            .unwrap()
            .into_request(no_file)
            .err()
            .unwrap();
        assert!(
            error.contains("cannot read --parameters file missing.json"),
            "{error}"
        );
    }

    #[test]
    fn at_least_one_path_is_needed() {
        let error = args(&[]).err().unwrap();
        assert!(error.contains("<PATH>..."), "{error}");
    }
}
