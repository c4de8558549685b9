//! Whether a cluster's authorization is closed by default: Kafka's `allow.everyone.if.no.acl.found`
//! in the configuration the brokers run, read from `server.properties` as Java's
//! `Properties.load` reads it. MSK sets the property true by default (MSK developer guide, "Apache
//! Kafka ACLs": "if you don't explicitly set ACLs on a resource, all principals can access this
//! resource"), so a topic without an ACL is open to every certificate the CA issues.

use std::collections::BTreeMap;
use std::fmt;

/// The property, spelled as Kafka reads it: the key is matched exactly (case-sensitive).
pub const ACL_DEFAULT_PROPERTY: &str = "allow.everyone.if.no.acl.found";

/// One revision of an MSK configuration (`ConfigurationInfo` on the cluster).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigurationRevision {
    pub arn: String,
    pub revision: i64,
}

impl fmt::Display for ConfigurationRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self
            .arn
            .split_once(":configuration/")
            .and_then(|(_, rest)| rest.split('/').next())
            .unwrap_or(&self.arn);
        write!(f, "{name} revision {}", self.revision)
    }
}

/// The configuration a cluster's brokers run, as its source records it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BrokerConfiguration {
    /// No `ConfigurationInfo`: MSK's default configuration, which sets the property true.
    #[default]
    MskDefault,
    /// A revision to be read with DescribeConfigurationRevision.
    Revision(ConfigurationRevision),
    /// Read already from the source itself (a template's or plan's configuration resource).
    Read(AclDefault),
}

/// Why topics without an ACL are open to every authenticated client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenBecause {
    /// The cluster runs MSK's default configuration.
    MskDefaultConfiguration,
    /// The configuration sets the property to `true`.
    PropertyTrue,
    /// The configuration does not set the property: Kafka's default for it is false, but MSK's
    /// is true, and it is MSK's that the brokers run.
    PropertyNotSet,
    /// The property holds something that is neither `true` nor `false`.
    PropertyNotABoolean(String),
    /// The configuration could not be read (not found, access denied): never read as closed.
    ConfigurationUnreadable { revision: String, reason: String },
    /// A template or plan does not say which configuration before deploy, or says one the tool
    /// cannot resolve.
    NotKnownBeforeDeploy,
}

impl fmt::Display for OpenBecause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenBecause::MskDefaultConfiguration => {
                write!(
                    f,
                    "MSK's default configuration sets {ACL_DEFAULT_PROPERTY} true"
                )
            }
            OpenBecause::PropertyTrue => write!(f, "{ACL_DEFAULT_PROPERTY} is true"),
            OpenBecause::PropertyNotSet => {
                write!(
                    f,
                    "{ACL_DEFAULT_PROPERTY} is not set (MSK's default is true)"
                )
            }
            OpenBecause::PropertyNotABoolean(value) => {
                write!(f, "{ACL_DEFAULT_PROPERTY} is {value:?}, not false")
            }
            OpenBecause::ConfigurationUnreadable { revision, reason } => {
                write!(f, "configuration {revision} could not be read ({reason})")
            }
            OpenBecause::NotKnownBeforeDeploy => {
                write!(f, "the configuration is not known before deploy")
            }
        }
    }
}

/// What a configuration says happens to a resource without an ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclDefault {
    /// `allow.everyone.if.no.acl.found=false`: only clients an ACL names get in.
    Deny,
    Allow(OpenBecause),
}

/// What DescribeConfigurationRevision gave, in the rule's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigurationRead {
    /// The revision's `server.properties`, as bytes (Java reads the file as ISO 8859-1).
    Properties(Vec<u8>),
    /// Not found, access denied, or an answer without properties.
    Unreadable(String),
}

/// The revisions read in one invocation (a sweep reads each once, however many clusters share it).
pub type ConfigurationReport = BTreeMap<ConfigurationRevision, ConfigurationRead>;

impl BrokerConfiguration {
    /// The ACL default the brokers run with; a revision missing from `read` was not read, which is
    /// never closed.
    pub fn acl_default(&self, read: &ConfigurationReport) -> AclDefault {
        match self {
            BrokerConfiguration::MskDefault => {
                AclDefault::Allow(OpenBecause::MskDefaultConfiguration)
            }
            BrokerConfiguration::Read(default) => default.clone(),
            BrokerConfiguration::Revision(revision) => match read.get(revision) {
                Some(ConfigurationRead::Properties(bytes)) => acl_default_of(bytes),
                Some(ConfigurationRead::Unreadable(reason)) => {
                    AclDefault::Allow(OpenBecause::ConfigurationUnreadable {
                        revision: revision.to_string(),
                        reason: reason.clone(),
                    })
                }
                None => AclDefault::Allow(OpenBecause::ConfigurationUnreadable {
                    revision: revision.to_string(),
                    reason: "not read".to_owned(),
                }),
            },
        }
    }
}

/// The ACL default a `server.properties` sets: the last value of the exact key wins, as in Java's
/// `Properties`; `false` in any case (surrounding whitespace trimmed, as Kafka's `ConfigDef`
/// does) closes it, anything else leaves MSK's open default.
pub fn acl_default_of(server_properties: &[u8]) -> AclDefault {
    let value = java_properties(server_properties)
        .into_iter()
        .rfind(|(key, _)| key == ACL_DEFAULT_PROPERTY)
        .map(|(_, value)| value);
    match value {
        None => AclDefault::Allow(OpenBecause::PropertyNotSet),
        Some(value) if value.trim().eq_ignore_ascii_case("false") => AclDefault::Deny,
        Some(value) if value.trim().eq_ignore_ascii_case("true") => {
            AclDefault::Allow(OpenBecause::PropertyTrue)
        }
        Some(value) => AclDefault::Allow(OpenBecause::PropertyNotABoolean(value)),
    }
}

/// Every key and value of a properties text in order, duplicates kept, as `Properties.load` reads
/// it: ISO 8859-1 bytes; lines ended by `\n`, `\r` or `\r\n`; blank lines and comment lines (`#` or
/// `!` first) skipped; a line ending in an odd number of backslashes continued on the next, whose
/// leading whitespace is dropped; the key ended by the first unescaped `=`, `:` or whitespace;
/// escapes (`\t`, `\n`, `\r`, `\f`, `\uXXXX`, and `\` before any other character) resolved.
pub fn java_properties(bytes: &[u8]) -> Vec<(String, String)> {
    logical_lines(bytes)
        .iter()
        .map(|line| split_key_value(line))
        .collect()
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// The logical lines, comments and blank lines dropped, continuations joined (still escaped).
fn logical_lines(bytes: &[u8]) -> Vec<Vec<char>> {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let mut natural = natural_lines(&text).into_iter();
    let mut lines = Vec::new();
    while let Some(line) = natural.next() {
        let mut line: Vec<char> = line.trim_start_matches(is_space).chars().collect();
        if line.is_empty() || matches!(line[0], '#' | '!') {
            continue;
        }
        while ends_in_odd_backslashes(&line) {
            line.pop();
            match natural.next() {
                Some(next) => line.extend(next.trim_start_matches(is_space).chars()),
                None => break,
            }
        }
        lines.push(line);
    }
    lines
}

/// Lines ended by `\n`, `\r` or `\r\n` (one terminator, not two).
fn natural_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'\n' => {
                lines.push(&text[start..index]);
                start = index + 1;
            }
            b'\r' => {
                lines.push(&text[start..index]);
                if bytes.get(index + 1) == Some(&b'\n') {
                    index += 1;
                }
                start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    lines.push(&text[start..]);
    lines
}

fn ends_in_odd_backslashes(line: &[char]) -> bool {
    line.iter().rev().take_while(|c| **c == '\\').count() % 2 == 1
}

fn split_key_value(line: &[char]) -> (String, String) {
    let mut key_end = line.len();
    let mut index = 0;
    while index < line.len() {
        match line[index] {
            '\\' => index += 2,
            c if c == '=' || c == ':' || is_space(c) => {
                key_end = index;
                break;
            }
            _ => index += 1,
        }
    }
    let mut value_start = key_end;
    while value_start < line.len() && is_space(line[value_start]) {
        value_start += 1;
    }
    if value_start < line.len() && matches!(line[value_start], '=' | ':') {
        value_start += 1;
        while value_start < line.len() && is_space(line[value_start]) {
            value_start += 1;
        }
    }
    let key_end = key_end.min(line.len());
    (
        unescape(&line[..key_end]),
        unescape(&line[value_start.min(line.len())..]),
    )
}

fn unescape(chars: &[char]) -> String {
    let mut out = String::new();
    let mut rest = chars.iter().copied();
    while let Some(c) = rest.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match rest.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = rest.by_ref().take(4).collect();
                // Java throws on a malformed `\u`; the brokers would not start, so it can read as
                // the replacement character: no key it is part of is the one that closes ACLs.
                let decoded = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .and_then(char::from_u32);
                out.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(text: &str) -> AclDefault {
        acl_default_of(text.as_bytes())
    }

    fn open(because: OpenBecause) -> AclDefault {
        AclDefault::Allow(because)
    }

    #[test]
    fn false_closes_and_true_or_absent_leaves_it_open() {
        assert_eq!(
            reads("allow.everyone.if.no.acl.found=false\n"),
            AclDefault::Deny
        );
        assert_eq!(
            reads("allow.everyone.if.no.acl.found=FALSE"),
            AclDefault::Deny
        );
        assert_eq!(
            reads("allow.everyone.if.no.acl.found=true"),
            open(OpenBecause::PropertyTrue)
        );
        assert_eq!(
            reads("auto.create.topics.enable=true\n"),
            open(OpenBecause::PropertyNotSet)
        );
        assert_eq!(reads(""), open(OpenBecause::PropertyNotSet));
        assert_eq!(
            reads("allow.everyone.if.no.acl.found=no"),
            open(OpenBecause::PropertyNotABoolean("no".into()))
        );
        assert_eq!(
            reads("allow.everyone.if.no.acl.found="),
            open(OpenBecause::PropertyNotABoolean(String::new()))
        );
    }

    #[test]
    fn the_key_is_matched_exactly_as_kafka_reads_it() {
        for text in [
            "ALLOW.EVERYONE.IF.NO.ACL.FOUND=false",
            "allow.everyone.if.no.acl.found.extra=false",
            "xallow.everyone.if.no.acl.found=false",
            "allow.everyone.if.no.acl=false",
        ] {
            assert_eq!(reads(text), open(OpenBecause::PropertyNotSet), "{text}");
        }
    }

    #[test]
    fn the_last_of_duplicate_keys_wins() {
        let text = "allow.everyone.if.no.acl.found=false\nallow.everyone.if.no.acl.found=true\n";
        assert_eq!(reads(text), open(OpenBecause::PropertyTrue));
        let text = "allow.everyone.if.no.acl.found=true\nallow.everyone.if.no.acl.found=false\n";
        assert_eq!(reads(text), AclDefault::Deny);
    }

    #[test]
    fn comments_blank_lines_and_separators_read_as_java_reads_them() {
        for text in [
            "# allow.everyone.if.no.acl.found=true\nallow.everyone.if.no.acl.found=false",
            "\n\n   \t\nallow.everyone.if.no.acl.found=false\n",
            "allow.everyone.if.no.acl.found:false",
            "allow.everyone.if.no.acl.found false",
            "allow.everyone.if.no.acl.found  =  false  ",
            "   allow.everyone.if.no.acl.found\t:\tfalse",
            "allow.everyone.if.no.acl.found=false\r\n",
            "allow.everyone.if.no.acl.found=false\r",
            "allow\\.everyone.if.no.acl.found=false",
            "allow.everyone.if.no.acl.found=f\\u0061lse",
        ] {
            assert_eq!(reads(text), AclDefault::Deny, "{text:?}");
        }
        for text in [
            "#allow.everyone.if.no.acl.found=false",
            "! allow.everyone.if.no.acl.found=false",
            "  # allow.everyone.if.no.acl.found=false",
        ] {
            assert_eq!(reads(text), open(OpenBecause::PropertyNotSet), "{text:?}");
        }
    }

    #[test]
    fn a_comment_after_a_value_is_part_of_the_value() {
        assert_eq!(
            reads("allow.everyone.if.no.acl.found=false # closed"),
            open(OpenBecause::PropertyNotABoolean("false # closed".into()))
        );
    }

    #[test]
    fn continuations_join_lines_and_an_even_count_of_backslashes_does_not() {
        for text in [
            "allow.everyone.if.no.acl.found=\\\n    false",
            "allow.everyone.if.no.acl.found=fa\\\r\n  lse",
            "allow.everyone.\\\n  if.no.acl.found=false",
        ] {
            assert_eq!(reads(text), AclDefault::Deny, "{text:?}");
        }
        // A continued line hides the next key inside its value.
        assert_eq!(
            reads("other=x\\\nallow.everyone.if.no.acl.found=false"),
            open(OpenBecause::PropertyNotSet)
        );
        // A comment line is never continued: the next line is a property of its own.
        assert_eq!(
            reads("# a comment \\\nallow.everyone.if.no.acl.found=false"),
            AclDefault::Deny
        );
        // Two backslashes are one escaped backslash, not a continuation.
        assert_eq!(
            java_properties(b"a=b\\\\\nc=d"),
            vec![("a".into(), "b\\".into()), ("c".into(), "d".into())]
        );
    }

    #[test]
    fn bytes_are_iso_8859_1_never_refused() {
        let mut bytes = b"motd=caf".to_vec();
        bytes.extend([0xe9, b'\n']);
        bytes.extend(b"allow.everyone.if.no.acl.found=false");
        assert_eq!(acl_default_of(&bytes), AclDefault::Deny);
        assert_eq!(java_properties(&bytes)[0].1, "caf\u{e9}");
    }

    #[test]
    fn escapes_in_keys_and_values() {
        assert_eq!(
            java_properties(b"a\\ b=c\\td\\u00e9\\q"),
            vec![("a b".into(), "c\td\u{e9}q".into())]
        );
        assert_eq!(
            java_properties(b"k=\\u12"),
            vec![("k".into(), "\u{fffd}".into())]
        );
        assert_eq!(java_properties(b"k"), vec![("k".into(), String::new())]);
    }

    #[test]
    fn a_configuration_reads_open_unless_its_revision_was_read_and_says_false() {
        let revision = ConfigurationRevision {
            arn: "arn:aws:kafka:us-east-1:123456789012:configuration/closed/abc-1".into(),
            revision: 2,
        };
        let configured = BrokerConfiguration::Revision(revision.clone());
        assert_eq!(
            configured.acl_default(&ConfigurationReport::new()),
            open(OpenBecause::ConfigurationUnreadable {
                revision: "closed revision 2".into(),
                reason: "not read".into()
            })
        );
        let read = ConfigurationReport::from([(
            revision.clone(),
            ConfigurationRead::Properties(b"allow.everyone.if.no.acl.found=false".to_vec()),
        )]);
        assert_eq!(configured.acl_default(&read), AclDefault::Deny);
        let denied = ConfigurationReport::from([(
            revision,
            ConfigurationRead::Unreadable("AccessDeniedException".into()),
        )]);
        assert_eq!(
            configured.acl_default(&denied).to_owned(),
            open(OpenBecause::ConfigurationUnreadable {
                revision: "closed revision 2".into(),
                reason: "AccessDeniedException".into()
            })
        );
        assert_eq!(
            BrokerConfiguration::MskDefault.acl_default(&read),
            open(OpenBecause::MskDefaultConfiguration)
        );
    }
}
