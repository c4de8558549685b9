//! Tests that keep generated parts of the README equal to what the code renders.

/// Checks that README.md holds `expected` between the `begin` line and the `end` marker. With
/// `MSK_MTLS_RULE_WRITE_README=1` it writes `expected` there instead of failing.
pub fn keep_readme_block(begin: &str, end: &str, expected: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(begin)
        .unwrap_or_else(|| panic!("the README has no {begin:?}"))
        + begin.len();
    let stop = readme[start..]
        .find(end)
        .unwrap_or_else(|| panic!("the README has no {end:?} after {begin:?}"))
        + start;
    if readme[start..stop] == *expected {
        return;
    }
    if std::env::var_os("MSK_MTLS_RULE_WRITE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[stop..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!("README.md differs from the code after {begin:?}; rerun with MSK_MTLS_RULE_WRITE_README=1, or replace it with:\n{expected}");
}
