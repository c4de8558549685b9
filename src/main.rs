//! One binary, two ways in: started by Lambda (no arguments, `AWS_LAMBDA_RUNTIME_API` set) it serves
//! the Runtime API; `msk-mtls-rule evaluate --event FILE` prints the evaluations an event would send.

use std::process::ExitCode;

use msk_mtls_rule::app::{lambda, local};

const USAGE: &str = "\
usage: msk-mtls-rule                          serve the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API set)
       msk-mtls-rule evaluate --event FILE    print the evaluations a Config event gives (FILE or - for stdin)";

enum Command {
    Serve,
    Evaluate { event_path: String },
    Help,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [] if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => Ok(Command::Serve),
        [] => Err("AWS_LAMBDA_RUNTIME_API is not set: not running in Lambda".into()),
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
    let result = match command {
        Command::Help => Ok(USAGE.to_owned()),
        Command::Serve => runtime
            .block_on(lambda::serve())
            .map(|()| String::new())
            .map_err(|e| e.to_string()),
        Command::Evaluate { event_path } => runtime
            .block_on(local::evaluate_file(&event_path))
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(output) if output.is_empty() => ExitCode::SUCCESS,
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("msk-mtls-rule: {message}");
            ExitCode::FAILURE
        }
    }
}
