//! The scheduled probe's Lambda function, as SAM builds it from `deploy/probe.yaml` (`bootstrap`):
//! its own binary, so that the rule's function carries neither the knocks nor the Security Hub
//! client the probe sends its findings with.

fn main() -> std::process::ExitCode {
    msk_mtls_rule::lambda::main_probe()
}
