//! `--parameters JSON|@FILE`, the rule's parameters for `audit` and `check`, as Config takes them.

use crate::rule::params::RuleParams;

/// The parameters given (`@FILE` read with `read_file`) and the JSON they were read from; an
/// unreadable file or an invalid parameter is an error naming it.
pub fn read_parameters(
    subcommand: &str,
    given: &str,
    read_file: impl Fn(&str) -> std::io::Result<String>,
) -> Result<(RuleParams, String), String> {
    let json = match given.strip_prefix('@') {
        Some(path) => read_file(path)
            .map_err(|e| format!("{subcommand}: cannot read --parameters file {path}: {e}"))?,
        None => given.to_owned(),
    };
    let params = RuleParams::parse(Some(&json))
        .map_err(|e| format!("{subcommand}: --parameters: {}", e.message()))?;
    Ok((params, json))
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &str) -> std::io::Result<String> {
    if path == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
}
