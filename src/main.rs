// The sweep nests enough futures (SDK calls inside pages inside the Lambda runtime) that computing
// the layout of `serve()` needs more than the default query depth in release builds.
#![recursion_limit = "256"]

//! One binary, two ways in: started by Lambda (no arguments, `AWS_LAMBDA_RUNTIME_API` set) it serves
//! the Runtime API; `msk-mtls-rule evaluate --event FILE` prints the evaluations an event would send.

use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

use msk_mtls_rule::aws::AwsPorts;
use msk_mtls_rule::event::ConfigRuleEvent;
use msk_mtls_rule::handler::{
    execution_role_arn, handle_parsed, parse_invocation, Evaluator, InvocationSummary,
};
use msk_mtls_rule::metrics;
use msk_mtls_rule::params::RuleParams;
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
    lambda_runtime::tracing::init_default_subscriber();
    let aws = &AwsPorts::default();
    let namespace = &std::env::var("METRICS_NAMESPACE")
        .unwrap_or_else(|_| metrics::DEFAULT_NAMESPACE.to_owned());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let budget = time_left(event.context.deadline);
        let invocation = invoke(aws, namespace, event.payload);
        match budget {
            Some(budget) => tokio::time::timeout(budget, invocation).await.unwrap_or_else(|_| {
                Err(RuleError::Timeout(format!(
                    "after {} ms, before the Lambda deadline: an AWS endpoint did not answer in time",
                    budget.as_millis()
                )))
            }),
            None => invocation.await,
        }
    }))
    .await
}

/// One invocation, with the function's own credentials or, for `executionRoleName`, the role's in
/// the event's account: every call for that account is made with it.
async fn invoke(
    aws: &AwsPorts,
    metrics_namespace: &str,
    event: Value,
) -> Result<InvocationSummary, RuleError> {
    let (event, params) = parse_invocation(event)?;
    let mut member = None;
    let ports = account_ports(aws, &mut member, &event, &params).await?;
    let summary =
        handle_parsed(&Evaluator::new(ports, ports, ports), ports, &event, &params).await?;
    let rule_name = event.config_rule_name.as_deref().unwrap_or_default();
    if !metrics_namespace.is_empty() && !rule_name.is_empty() {
        let trigger = metrics::Trigger::of(&event.notification);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        // stdout, not the tracing subscriber: CloudWatch reads EMF only from a bare JSON line
        println!(
            "{}",
            metrics::emf_line(metrics_namespace, rule_name, trigger, &summary, now_ms)
        );
    }
    Ok(summary)
}

/// The ports for the event's account: the function's own, or, with `executionRoleName`, the role's
/// in that account (assumed here, kept in `member` for the invocation).
async fn account_ports<'a>(
    own: &'a AwsPorts,
    member: &'a mut Option<AwsPorts>,
    event: &ConfigRuleEvent,
    params: &RuleParams,
) -> Result<&'a AwsPorts, RuleError> {
    match execution_role_arn(event, params)? {
        None => Ok(own),
        Some(role_arn) => Ok(member.insert(own.assume_role(&role_arn).await?)),
    }
}

/// The time until the invocation's deadline (epoch milliseconds), less a margin to report in.
fn time_left(deadline_ms: u64) -> Option<Duration> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis() as u64;
    let left = Duration::from_millis(deadline_ms.checked_sub(now_ms)?);
    Some(left.saturating_sub(DEADLINE_MARGIN))
}

/// The local command: evaluates like the Lambda handler, prints instead of sending.
async fn evaluate_file(path: &str) -> Result<String, String> {
    if std::env::var_os("RUST_LOG").is_some() {
        lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
    }
    let text = read_input(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let event: Value = serde_json::from_str(&text)
        .map_err(|e| format!("invalid event: {path} is not JSON: {e}"))?;
    let (event, params) = parse_invocation(event).map_err(describe)?;
    let own = AwsPorts::default();
    let mut member = None;
    let aws = account_ports(&own, &mut member, &event, &params)
        .await
        .map_err(describe)?;
    let evaluator = Evaluator::new(aws, aws, aws);
    let mut evaluations = Vec::new();
    evaluator
        .run(&event, &params, &mut evaluations)
        .await
        .map_err(describe)?;
    serde_json::to_string_pretty(&evaluations).map_err(|e| e.to_string())
}

fn describe(error: RuleError) -> String {
    format!("{}: {error}", error.error_type())
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
