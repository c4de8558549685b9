//! The commands' flags: `--flag value`, `--flag=value` and switches, each given at most once, and
//! nothing unknown.

/// The flags given, in order.
pub struct Flags(Vec<(String, String)>);

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
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
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
        Ok(Flags(given))
    }

    pub fn value(&self, flag: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(seen, _)| seen == flag)
            .map(|(_, value)| value.as_str())
    }

    pub fn has(&self, flag: &str) -> bool {
        self.value(flag).is_some()
    }
}
