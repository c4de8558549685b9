//! The Config rule's and the CloudFormation hook's Lambda function, as SAM builds it (`bootstrap`).
//! It carries no command-line code (the commands are the `msk-mtls-rule` binary's), nor the
//! scheduled probe (the `msk-mtls-rule-probe` binary's).

fn main() -> std::process::ExitCode {
    msk_mtls_rule::lambda::main_rule()
}
