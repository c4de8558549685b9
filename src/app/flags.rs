//! The commands' flags: `--flag value`, `--flag=value` and switches, each given at most once, and
//! nothing unknown.

use crate::rule::params::RuleParams;

/// The flags given, in order, and the arguments that are not flags.
pub struct Flags {
    given: Vec<(String, String)>,
    pub positional: Vec<String>,
}

impl Flags {
    /// Reads `args` for `command` (named in errors): `with_value` flags take one value, `switches`
    /// none.
    pub fn read(
        command: &str,
        args: &[String],
        with_value: &[&str],
        switches: &[&str],
    ) -> Result<Flags, String> {
        let mut given: Vec<(String, String)> = Vec::new();
        let mut positional = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if !arg.starts_with('-') || arg == "-" {
                positional.push(arg.clone());
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            let takes_value = if with_value.contains(&flag) {
                true
            } else if switches.contains(&flag) {
                false
            } else {
                return Err(format!("{command}: unknown argument {flag:?}"));
            };
            if given.iter().any(|(seen, _)| seen == flag) {
                return Err(format!("{command}: {flag} is given twice"));
            }
            let value = match (takes_value, inline) {
                (true, Some(value)) => value,
                (true, None) => rest
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{command}: {flag} needs a value"))?,
                (false, None) => String::new(),
                (false, Some(_)) => return Err(format!("{command}: {flag} takes no value")),
            };
            given.push((flag.to_owned(), value));
        }
        Ok(Flags { given, positional })
    }

    /// Refuses arguments that are not flags, for commands that take none.
    pub fn no_positional(self, command: &str) -> Result<Self, String> {
        match self.positional.first() {
            Some(arg) => Err(format!("{command}: unexpected argument {arg:?}")),
            None => Ok(self),
        }
    }

    pub fn value(&self, flag: &str) -> Option<&str> {
        self.given
            .iter()
            .find(|(seen, _)| seen == flag)
            .map(|(_, value)| value.as_str())
    }

    /// `--parameters JSON|@FILE`: the rule's parameters and the JSON they were read from, or
    /// `None` when the flag is not given.
    pub fn parameters(
        &self,
        command: &str,
        read_file: impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<Option<(RuleParams, String)>, String> {
        let Some(text) = self.value("--parameters") else {
            return Ok(None);
        };
        let json = match text.strip_prefix('@') {
            Some(path) => read_file(path)
                .map_err(|e| format!("{command}: cannot read --parameters file {path}: {e}"))?,
            None => text.to_owned(),
        };
        let params = RuleParams::parse(Some(&json))
            .map_err(|e| format!("{command}: --parameters: {}", e.message()))?;
        Ok(Some((params, json)))
    }

    pub fn has(&self, flag: &str) -> bool {
        self.value(flag).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(args: &[&str]) -> Result<Flags, String> {
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        Flags::read("check", &args, &["--format"], &["--explain"])
    }

    #[test]
    fn only_long_flags_take_a_value_after_an_equals_sign() {
        let flags = read(&["--format=json", "--explain", "a.yaml", "-"]).unwrap();
        assert_eq!(flags.value("--format"), Some("json"));
        assert!(flags.has("--explain"));
        assert_eq!(flags.positional, ["a.yaml", "-"]);
        assert_eq!(
            read(&["-f=json"]).err().unwrap(),
            r#"check: unknown argument "-f=json""#
        );
        assert_eq!(
            read(&["--explain=yes"]).err().unwrap(),
            "check: --explain takes no value"
        );
        assert_eq!(
            read(&["--format"]).err().unwrap(),
            "check: --format needs a value"
        );
        assert_eq!(
            read(&["--format", "json", "--format=text"]).err().unwrap(),
            "check: --format is given twice"
        );
    }
}
