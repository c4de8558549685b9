//! Paging through a listing: the tokens of one listing, and the cycle AWS must never send.

use std::collections::BTreeSet;

use crate::error::RuleError;

/// The tokens of one listing. A token seen before in the same listing (not only the last one)
/// would page in a cycle, sending the same evaluations again until the deadline: it is an error
/// that names the API.
pub struct Pager {
    operation: &'static str,
    current: Option<String>,
    seen: BTreeSet<String>,
}

impl Pager {
    pub fn new(operation: &'static str) -> Self {
        Pager {
            operation,
            current: None,
            seen: BTreeSet::new(),
        }
    }

    /// The token to ask the next page with (`None` for the first).
    pub fn token(&self) -> Option<String> {
        self.current.clone()
    }

    /// Takes a page's `nextToken`: `Ok(false)` when the listing is done.
    pub fn advance(&mut self, next: Option<String>) -> Result<bool, RuleError> {
        match next {
            None => Ok(false),
            Some(next) if next.is_empty() => Ok(false),
            Some(next) if !self.seen.insert(next.clone()) => Err(RuleError::aws(
                self.operation,
                format!(
                    "nextToken {next:?} came back after {} pages: the listing pages in a cycle",
                    self.seen.len() + 1
                ),
            )),
            Some(next) => {
                self.current = Some(next);
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_ends_on_no_token_or_an_empty_one_and_fails_on_any_repeat() {
        let mut pages = Pager::new("ListClustersV2");
        assert_eq!(pages.token(), None);
        assert!(pages.advance(Some("A".into())).unwrap());
        assert!(pages.advance(Some("B".into())).unwrap());
        assert_eq!(pages.token().as_deref(), Some("B"));
        let error = pages.advance(Some("A".into())).unwrap_err().to_string();
        assert!(
            error.contains("ListClustersV2")
                && error.contains("\"A\"")
                && error.contains("after 3 pages"),
            "{error}"
        );
        assert!(!Pager::new("x").advance(None).unwrap());
        assert!(!Pager::new("x").advance(Some(String::new())).unwrap());
    }
}
