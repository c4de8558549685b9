//! Tests that keep the generated parts of the README and docs/ equal to what the code renders.

/// Checks that `file` (relative to the repository) holds `expected` between the `begin` line and
/// the `end` marker. With `MSK_MTLS_RULE_WRITE_DOCS=1` it writes `expected` there instead of
/// failing.
pub fn keep_block(file: &str, begin: &str, end: &str, expected: &str) {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(begin)
        .unwrap_or_else(|| panic!("{file} has no {begin:?}"))
        + begin.len();
    let stop = text[start..]
        .find(end)
        .unwrap_or_else(|| panic!("{file} has no {end:?} after {begin:?}"))
        + start;
    if text[start..stop] == *expected {
        return;
    }
    if std::env::var_os("MSK_MTLS_RULE_WRITE_DOCS").is_some() {
        let updated = format!("{}{expected}{}", &text[..start], &text[stop..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!("{file} differs from the code after {begin:?}; rerun with MSK_MTLS_RULE_WRITE_DOCS=1, or replace it with:\n{expected}");
}
