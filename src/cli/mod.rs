//! The command line people and CI run: `msk-mtls-rule
//! evaluate|audit|check|probe|rejections|certificates|completions`.
//! clap reads the flags (help, `--version`, `--flag=value`, suggestions, completions); each
//! subcommand's module turns them into the request of the part it runs, runs it and prints the
//! report. Every subcommand exits by one scheme, [`crate::error::exit`]: clap's usage errors are 2
//! like ours, its `--help` and `--version` 0.

pub mod audit;
mod certificates;
mod check;
mod evaluate;
mod parameters;
mod probe;
mod rejections;

use std::future::Future;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::exit;

/// The exit-status table every subcommand's help ends with (also in docs/cli.md, tested).
pub const EXIT_STATUS: &str = "\
Exit status (every subcommand):
  0  nothing found: every cluster judged enforces mTLS (evaluate: the evaluations were printed)
  1  findings: a cluster NON_COMPLIANT, a door open
  2  usage error, or input that cannot be read (a file, an event, a parameter)
  3  could not finish: an account, region, CA or broker could not be read, reached or sent to;
     what was not seen is never counted as a pass";

#[derive(Debug, Parser)]
#[command(
    name = "msk-mtls-rule",
    version,
    about = "Finds the Amazon MSK clusters that let clients in without mutual TLS",
    propagate_version = true,
    after_help = EXIT_STATUS,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the evaluations a Config event gives, as the rule would send them (or a hook
    /// request's answer); exit 0 whatever the verdicts
    #[command(after_help = EXIT_STATUS)]
    Evaluate(evaluate::EvaluateArgs),
    /// Judge every MSK cluster the credentials can list, now, in one or many accounts and regions
    #[command(after_help = EXIT_STATUS)]
    Audit(audit::AuditArgs),
    /// Judge the MSK clusters of CloudFormation templates and Terraform plans before deploy
    #[command(after_help = EXIT_STATUS)]
    Check(check::CheckArgs),
    /// Knock on a cluster's brokers: no certificate, an untrusted one, and (control) yours
    #[command(after_help = EXIT_STATUS)]
    Probe(Box<probe::ProbeArgs>),
    /// Count the clients the brokers refused, from broker log files (S3's gzip or plain)
    #[command(after_help = EXIT_STATUS)]
    Rejections(rejections::RejectionsArgs),
    /// Each client identity of a Private CA's audit report: its newest certificate, and whether its
    /// rotation is due or was missed
    #[command(after_help = EXIT_STATUS)]
    Certificates(certificates::CertificatesArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Parses the process's arguments (a usage error exits 2, `--help` 0) and runs the subcommand.
pub fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Evaluate(args) => block_on(evaluate::run(args)),
        Command::Audit(args) => block_on(audit::run(args)),
        Command::Check(args) => block_on(check::run(args)),
        Command::Probe(args) => block_on(probe::run(*args)),
        Command::Rejections(args) => block_on(rejections::run(args)),
        Command::Certificates(args) => block_on(certificates::run(args)),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "msk-mtls-rule", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

/// Runs a subcommand on a runtime of one thread: the commands wait on AWS and brokers, not CPU.
fn block_on(command: impl Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(command),
        Err(error) => {
            eprintln!("msk-mtls-rule: cannot start the async runtime: {error}");
            ExitCode::from(exit::COULD_NOT_FINISH)
        }
    }
}

/// A comma list given as one value (`--accounts 1,2`): clap would read a bare `Vec` as a flag given
/// many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

/// A usage error found after clap's own checks (flags that go together, a file's content): one
/// line naming it, then where to read more; exit 2.
fn usage_error(subcommand: &str, message: &str) -> ExitCode {
    eprintln!("msk-mtls-rule: {message}\n\nFor more information, try 'msk-mtls-rule {subcommand} --help'.");
    ExitCode::from(exit::USAGE_OR_UNREADABLE_INPUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// docs/cli.md's exit-status table is the one `--help` prints.
    #[test]
    fn the_docs_exit_status_is_the_helps() {
        crate::docs::keep_block(
            "docs/cli.md",
            "<!-- exit-status:begin (rendered from src/cli/mod.rs) -->\n",
            "<!-- exit-status:end -->",
            &format!("```text\n{EXIT_STATUS}\n```\n"),
        );
    }
}
