//! The Lambda function, as SAM builds it (`bootstrap`): the Config rule and the CloudFormation hook,
//! or the scheduled probe (`MSK_MTLS_RULE_HANDLER=probe`). It carries no command-line code: the
//! commands are the `msk-mtls-rule` binary's.

fn main() -> std::process::ExitCode {
    msk_mtls_rule::lambda::main()
}
