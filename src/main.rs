//! `msk-mtls-rule`, the command line: `evaluate`, `audit`, `check`, `probe` and `completions`
//! (`msk-mtls-rule --help`). The Lambda function is the other binary, `msk-mtls-rule-lambda`.

fn main() -> std::process::ExitCode {
    msk_mtls_rule::cli::main()
}
