//! One binary, several ways in: started by Lambda (no arguments, `AWS_LAMBDA_RUNTIME_API` set) it
//! serves the Runtime API, as the Config rule or (`MSK_MTLS_RULE_HANDLER=probe`) as the scheduled
//! probe; `msk-mtls-rule evaluate --event FILE` prints the evaluations an event would send;
//! `msk-mtls-rule audit` judges every cluster the credentials can list, now; `msk-mtls-rule probe`
//! knocks on a cluster's brokers.

use std::process::ExitCode;

use msk_mtls_rule::app::audit::args::{self, parse_audit_args, AuditRequest, Format};
use msk_mtls_rule::app::audit::report::{EXIT_UNREADABLE, EXIT_USAGE};
use msk_mtls_rule::app::audit::{audit, AuditError, Progress};
use msk_mtls_rule::app::{lambda, local};
use msk_mtls_rule::aws::sdk::AwsAccount;
use msk_mtls_rule::logging;
use msk_mtls_rule::probe::args::{parse_probe_args, ProbeRequest};
use msk_mtls_rule::rule::time::Timestamp;

fn usage() -> String {
    format!(
        "\
usage: msk-mtls-rule                          serve the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API set)
       msk-mtls-rule evaluate --event FILE    print the evaluations a Config event gives (FILE or - for stdin)
                 [--explain]                  with each finding, its check and its fix
{}
{}
{}",
        args::USAGE,
        msk_mtls_rule::probe::args::USAGE,
        msk_mtls_rule::check::USAGE
    )
}

enum Command {
    Serve,
    ServeProbe,
    Evaluate { event_path: String, explain: bool },
    Audit(Box<AuditRequest>),
    Check(Box<msk_mtls_rule::check::CheckRequest>),
    Probe(Box<ProbeRequest>),
    Help,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [] if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => {
            match std::env::var("MSK_MTLS_RULE_HANDLER").as_deref() {
                Err(_) | Ok("rule") => Ok(Command::Serve),
                Ok("probe") => Ok(Command::ServeProbe),
                Ok(other) => Err(format!(
                    "MSK_MTLS_RULE_HANDLER={other:?} is not rule or probe"
                )),
            }
        }
        [] => Err("AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda".into()),
        [help] if help == "-h" || help == "--help" => Ok(Command::Help),
        [evaluate, rest @ ..] if evaluate == "evaluate" => {
            let explain = rest.iter().any(|arg| arg == "--explain");
            match rest
                .iter()
                .filter(|arg| *arg != "--explain")
                .collect::<Vec<_>>()
                .as_slice()
            {
                [flag, path] if *flag == "--event" && (explain as usize) + 2 == rest.len() => {
                    Ok(Command::Evaluate {
                        event_path: (*path).clone(),
                        explain,
                    })
                }
                _ => Err(format!("unrecognised arguments: {}", args.join(" "))),
            }
        }
        [audit, rest @ ..] if audit == "audit" => {
            parse_audit_args(rest, |path| std::fs::read_to_string(path))
                .map(|request| Command::Audit(Box::new(request)))
        }
        [check, rest @ ..] if check == "check" => {
            msk_mtls_rule::check::parse_check_args(rest, |path| std::fs::read_to_string(path))
                .map(|request| Command::Check(Box::new(request)))
        }
        [probe, rest @ ..] if probe == "probe" => {
            parse_probe_args(rest).map(|request| Command::Probe(Box::new(request)))
        }
        _ => Err(format!("unrecognised arguments: {}", args.join(" "))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("msk-mtls-rule: {message}\n{}", usage());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("msk-mtls-rule: cannot start the async runtime: {e}");
            return ExitCode::from(msk_mtls_rule::error::exit::COULD_NOT_FINISH);
        }
    };
    let result = match command {
        Command::Help => Ok(Some(usage())),
        Command::Serve => runtime
            .block_on(lambda::serve())
            .map(|()| None)
            .map_err(|e| e.to_string()),
        // `evaluate` shows what the function would send, whatever the verdicts (0): gating on
        // them is `check`'s and `audit`'s job; an event it cannot use is 2, an AWS call it could
        // not make 3.
        Command::Evaluate {
            event_path,
            explain,
        } => match runtime.block_on(local::evaluate_file(&event_path, explain)) {
            Ok(output) => Ok(Some(output)),
            Err(error) => {
                eprintln!("msk-mtls-rule: {error}");
                return ExitCode::from(error.exit_status());
            }
        },
        Command::ServeProbe => runtime
            .block_on(lambda::serve_probe())
            .map(|()| None)
            .map_err(|e| e.to_string()),
        Command::Audit(request) => return runtime.block_on(run_audit(&request)),
        Command::Probe(request) => return runtime.block_on(run_probe(*request)),
        Command::Check(request) => return runtime.block_on(run_check(&request)),
    };
    match result {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(output)) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("msk-mtls-rule: {message}");
            ExitCode::from(msk_mtls_rule::error::exit::COULD_NOT_FINISH)
        }
    }
}

/// Prints the report in the format asked; what could not be read also goes to stderr, one line
/// each, when stdout is JSON or CSV for a program.
async fn run_audit(request: &AuditRequest) -> ExitCode {
    logging::init_local();
    let own = AwsAccount::default();
    let report = match audit(&own, request, Timestamp::now(), &Progress::on_stderr()).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("msk-mtls-rule: {error}");
            return ExitCode::from(match error {
                AuditError::NoRegion => EXIT_USAGE,
                AuditError::Aws(_) => EXIT_UNREADABLE,
            });
        }
    };
    match request.format {
        Format::Table => print!("{}", report.to_table()),
        Format::Json => println!("{}", report.to_json()),
        Format::Csv => print!("{}", report.to_csv()),
    }
    for line in report.stderr_lines(request.format) {
        eprintln!("{line}");
    }
    ExitCode::from(report.exit_status())
}

/// Prints the probe's report; the exit status is its verdict's.
async fn run_probe(request: ProbeRequest) -> ExitCode {
    logging::init_local();
    let format = request.format;
    match msk_mtls_rule::probe::run::probe(&AwsAccount::default(), request).await {
        Ok(report) => {
            match format {
                msk_mtls_rule::probe::args::Format::Text => print!("{}", report.to_text()),
                msk_mtls_rule::probe::args::Format::Json => println!("{:#}", report.to_json()),
            }
            ExitCode::from(report.verdict.exit_status())
        }
        Err(error) => {
            eprintln!("msk-mtls-rule: {error}");
            ExitCode::from(EXIT_UNREADABLE)
        }
    }
}

/// Prints the verdict of every cluster in the files; exit 1 when one is NON_COMPLIANT, 2 when a
/// file cannot be read (one line naming the file and the path), 3 when a part is not judged or a CA
/// cannot be looked up.
async fn run_check(request: &msk_mtls_rule::check::CheckRequest) -> ExitCode {
    use msk_mtls_rule::check::{check_files, exit_status, to_json, to_sarif, to_text, Format};
    logging::init_local();
    let read = |path: &str| std::fs::read_to_string(path);
    match check_files(&AwsAccount::default(), request, read, Timestamp::now()).await {
        Ok(msk_mtls_rule::check::CheckReport { checked, skipped }) => {
            for (file, why) in &skipped {
                eprintln!("msk-mtls-rule: check: skipped {file} (--skip-unrecognised): {why}");
            }
            match request.format {
                Format::Text => print!("{}", to_text(&checked)),
                Format::Json => println!("{:#}", to_json(&checked)),
                Format::Sarif => println!("{:#}", to_sarif(&checked)),
            }
            ExitCode::from(exit_status(&checked))
        }
        Err(error) => {
            eprintln!("msk-mtls-rule: check: {error}");
            ExitCode::from(error.exit_status())
        }
    }
}
