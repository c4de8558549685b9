// The sweep nests enough futures (SDK calls inside pages inside the Lambda runtime) that computing
// the layout of `serve()` needs more than the default query depth in release builds.
#![recursion_limit = "256"]

//! One binary, two ways in: started by Lambda (no arguments, `AWS_LAMBDA_RUNTIME_API` set) it serves
//! the Runtime API; `msk-mtls-rule evaluate --event FILE` prints the evaluations an event would send.

use std::future::Future;
use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

use msk_mtls_rule::aws::AwsPorts;
use msk_mtls_rule::handler::{
    account_access, account_of_function_arn, handle_parsed, parse_invocation, AccountAccess,
    Evaluator, InvocationSummary,
};
use msk_mtls_rule::logging::{self, LogLevel};
use msk_mtls_rule::metrics;
use msk_mtls_rule::RuleError;

const USAGE: &str = "\
usage: msk-mtls-rule                          serve the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API set)
       msk-mtls-rule evaluate --event FILE    print the evaluations a Config event gives (FILE or - for stdin)";

/// Time kept back from the Lambda deadline to report a clear timeout instead of being killed.
const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

enum Command {
    Serve,
    Evaluate { event_path: String },
    Help,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Serve),
        [help] if help == "-h" || help == "--help" => Ok(Command::Help),
        [evaluate, flag, path] if evaluate == "evaluate" && flag == "--event" => {
            Ok(Command::Evaluate {
                event_path: path.clone(),
            })
        }
        _ => Err(format!("unrecognised arguments: {}", args.join(" "))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("msk-mtls-rule: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("msk-mtls-rule: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match command {
        Command::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::Serve => match runtime.block_on(serve()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("msk-mtls-rule: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Evaluate { event_path } => match runtime.block_on(evaluate_file(&event_path)) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("msk-mtls-rule: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

async fn serve() -> Result<(), lambda_runtime::Error> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return Err(
            format!("AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda\n{USAGE}").into(),
        );
    }
    let log_level = LogLevel::from_env();
    logging::init_lambda(log_level);
    let aws = &AwsPorts::default();
    let namespace = &std::env::var("METRICS_NAMESPACE")
        .unwrap_or_else(|_| metrics::DEFAULT_NAMESPACE.to_owned());
    // The payload is taken raw: the event parser then reports any payload (even JSON nested past
    // serde's depth limit) as InvalidEvent, never as the runtime's own deserializer error.
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            let own_account = account_of_function_arn(&event.context.invoked_function_arn)
                .map(str::to_owned)
                .ok_or_else(|| {
                    RuleError::InvalidEvent(format!(
                        "the invoked function ARN {:?} names no account",
                        event.context.invoked_function_arn
                    ))
                })?;
            let invocation = invoke(aws, namespace, log_level, event.payload.get(), &own_account);
            within_deadline(event.context.deadline, epoch_ms(), invocation).await
        },
    ))
    .await
}

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// Runs `work` until `DEADLINE_MARGIN` before the Lambda deadline (epoch milliseconds). An
/// invocation that arrives with less than the margin left is refused at once, before any call.
async fn within_deadline<T>(
    deadline_ms: u64,
    now_ms: u64,
    work: impl Future<Output = Result<T, RuleError>>,
) -> Result<T, RuleError> {
    let margin_ms = DEADLINE_MARGIN.as_millis() as u64;
    let left_ms = match deadline_ms.checked_sub(now_ms) {
        None | Some(0) => return Err(RuleError::Timeout(format!(
            "before it started: the invocation's deadline had passed {} ms earlier; nothing was \
                 evaluated",
            now_ms - deadline_ms
        ))),
        Some(left_ms) if left_ms <= margin_ms => {
            return Err(RuleError::Timeout(format!(
                "before it started: {left_ms} ms were left before the deadline, not more than the \
                 {margin_ms} ms kept to report; nothing was evaluated"
            )))
        }
        Some(left_ms) => left_ms,
    };
    let budget = Duration::from_millis(left_ms - margin_ms);
    tokio::time::timeout(budget, work)
        .await
        .unwrap_or_else(|_| {
            Err(RuleError::Timeout(format!(
            "after {} ms, {margin_ms} ms before the Lambda deadline: an AWS call had not answered; \
             evaluations already sent stand, the rest were not sent",
            budget.as_millis()
        )))
        })
}

/// One invocation: the event's account is evaluated with the function's own credentials or with
/// the role assumed in it (see `account_access`); every call for that account is made with them.
async fn invoke(
    aws: &AwsPorts,
    metrics_namespace: &str,
    log_level: LogLevel,
    event: &str,
    own_account: &str,
) -> Result<InvocationSummary, RuleError> {
    let (event, params) = parse_invocation(event)?;
    let member;
    let ports = match account_access(&event, &params, Some(own_account))? {
        AccountAccess::Own => aws,
        AccountAccess::Role(role_arn) => {
            member = aws.assume_role(&role_arn).await?;
            &member
        }
    };
    let summary =
        handle_parsed(&Evaluator::new(ports, ports, ports), ports, &event, &params).await?;
    let rule_name = event.config_rule_name.as_deref().unwrap_or_default();
    if !metrics_namespace.is_empty() && !rule_name.is_empty() {
        let trigger = metrics::Trigger::of(&event.notification);
        // stdout, not the tracing subscriber: CloudWatch reads EMF only from a bare JSON line
        println!(
            "{}",
            metrics::emf_line(
                metrics_namespace,
                rule_name,
                trigger,
                &summary,
                epoch_ms(),
                log_level.metrics_level()
            )
        );
    }
    Ok(summary)
}

/// The local command: evaluates like the Lambda handler, prints instead of sending. Its "own
/// account" is the credentials' (GetCallerIdentity), asked only when a role could apply.
async fn evaluate_file(path: &str) -> Result<String, String> {
    logging::init_local();
    let text = read_input(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let (event, params) = parse_invocation(&text).map_err(describe)?;
    let own = AwsPorts::default();
    let own_account = match params.execution_role_name {
        Some(_) => Some(own.own_account().await.map_err(describe)?),
        None => None,
    };
    let member;
    let aws = match account_access(&event, &params, own_account.as_deref()).map_err(describe)? {
        AccountAccess::Own => &own,
        AccountAccess::Role(role_arn) => {
            member = own.assume_role(&role_arn).await.map_err(describe)?;
            &member
        }
    };
    let evaluator = Evaluator::new(aws, aws, aws);
    let mut evaluations = Vec::new();
    evaluator
        .run(&event, &params, &mut evaluations)
        .await
        .map_err(describe)?;
    serde_json::to_string_pretty(&evaluations).map_err(|e| e.to_string())
}

fn describe(error: RuleError) -> String {
    format!("{}: {}", error.error_type(), error.message())
}

fn read_input(path: &str) -> std::io::Result<String> {
    let mut text = String::new();
    if path == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(path)?;
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn never() -> Result<(), RuleError> {
        std::future::pending().await
    }

    #[tokio::test]
    async fn a_deadline_already_past_is_refused_at_once() {
        let error = within_deadline(1_000, 4_000, never()).await.unwrap_err();
        assert_eq!(error.error_type(), "Timeout");
        assert!(
            error.to_string().contains("had passed 3000 ms earlier"),
            "{error}"
        );
        let error = within_deadline(4_000, 4_000, never()).await.unwrap_err();
        assert!(
            error.to_string().contains("had passed 0 ms earlier"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_deadline_within_the_margin_is_refused_at_once_without_blaming_aws() {
        let error = within_deadline(4_500, 4_000, never()).await.unwrap_err();
        let message = error.to_string();
        assert!(message.contains("500 ms were left"), "{message}");
        assert!(!message.contains("AWS"), "{message}");
    }

    #[tokio::test]
    async fn work_that_outlives_the_budget_times_out_naming_the_budget() {
        let error = within_deadline(4_520, 4_000, never()).await.unwrap_err();
        assert!(error.to_string().contains("after 20 ms"), "{error}");
        let done = within_deadline(4_520, 4_000, async { Ok(7) }).await;
        assert_eq!(done.unwrap(), 7);
    }
}
