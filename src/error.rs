//! The one error type of the rule. Every variant has a stable `error_type` that Lambda reports and that
//! alarms and tests can match on; the message names the problem.

use std::error::Error as StdError;
use std::fmt;

pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The Lambda event or the configuration item inside it is not what AWS Config sends.
    #[error("invalid event: {0}")]
    InvalidEvent(String),

    /// A rule parameter is unknown or outside its domain: nothing is evaluated, so a typo cannot
    /// silently weaken or tighten the rule.
    #[error("invalid rule parameter {key}={value:?}: {reason}")]
    InvalidRuleParameter {
        key: String,
        value: String,
        reason: String,
    },

    /// A well-formed event this rule cannot act on (e.g. proactive evaluation).
    #[error("unsupported event: {0}")]
    UnsupportedEvent(String),

    /// An AWS call failed after the SDK's own retries.
    #[error("AWS {operation} failed: {}", ErrorChain(source.as_ref()))]
    AwsApi {
        operation: &'static str,
        source: BoxError,
    },

    /// Config kept rejecting evaluations after our retries: never dropped silently.
    #[error("Config rejected {count} evaluation(s) after {attempts} attempts (first: {first})")]
    EvaluationsRejected {
        count: usize,
        attempts: u32,
        first: String,
    },

    /// A setting in the function's environment (alerts) is invalid: every invocation fails with
    /// its name, so a typo never silences the alerts.
    #[error("invalid function setting {0}")]
    InvalidEnvironment(String),

    /// The invocation would outlive its Lambda deadline.
    #[error("timed out {0}")]
    Timeout(String),
}

impl RuleError {
    pub fn aws(operation: &'static str, source: impl Into<BoxError>) -> Self {
        RuleError::AwsApi {
            operation,
            source: source.into(),
        }
    }

    pub fn invalid_parameter(key: &str, value: &str, reason: impl Into<String>) -> Self {
        RuleError::InvalidRuleParameter {
            key: key.to_owned(),
            value: value.to_owned(),
            reason: reason.into(),
        }
    }

    /// The message on one line: SDK errors can carry line breaks in their sources, and a
    /// one-line message is what alarms, log queries and the local command's stderr expect.
    pub fn message(&self) -> String {
        self.to_string()
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The stable name reported as Lambda's `errorType`.
    /// The exit status of a command that stopped on this error, in the one scheme every command
    /// follows ([`exit`]): an AWS call that failed, or evaluations Config kept refusing, or the
    /// deadline, is "could not finish"; anything else is input that cannot be used.
    pub fn exit_status(&self) -> u8 {
        match self {
            RuleError::AwsApi { .. }
            | RuleError::EvaluationsRejected { .. }
            | RuleError::Timeout(_) => exit::COULD_NOT_FINISH,
            RuleError::InvalidEvent(_)
            | RuleError::InvalidRuleParameter { .. }
            | RuleError::UnsupportedEvent(_)
            | RuleError::InvalidEnvironment(_) => exit::USAGE_OR_UNREADABLE_INPUT,
        }
    }

    pub fn error_type(&self) -> &'static str {
        match self {
            RuleError::InvalidEvent(_) => "InvalidEvent",
            RuleError::InvalidRuleParameter { .. } => "InvalidRuleParameter",
            RuleError::UnsupportedEvent(_) => "UnsupportedEvent",
            RuleError::AwsApi { .. } => "AwsApi",
            RuleError::EvaluationsRejected { .. } => "EvaluationsRejected",
            RuleError::InvalidEnvironment(_) => "InvalidEnvironment",
            RuleError::Timeout(_) => "Timeout",
        }
    }
}

impl From<RuleError> for lambda_runtime::Diagnostic {
    fn from(error: RuleError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.message(),
        }
    }
}

/// An error with what it was about (`role arn:…`), its source kept for the chain.
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
pub struct WithContext {
    context: String,
    #[source]
    source: BoxError,
}

impl WithContext {
    pub fn new(context: impl Into<String>, source: BoxError) -> Self {
        WithContext {
            context: context.into(),
            source,
        }
    }
}

/// Displays an error with all its sources, `outer: inner: innermost`, because SDK errors keep the
/// useful part (the service's code and message, or the I/O cause) in the source chain.
pub struct ErrorChain<'a>(pub &'a (dyn StdError + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_one_line_whatever_the_sources_hold() {
        let error = RuleError::aws(
            "GetResourceConfigHistory",
            "no credentials:\n  - profile\r\n  - env",
        );
        assert_eq!(
            error.message(),
            "AWS GetResourceConfigHistory failed: no credentials: - profile - env"
        );
    }
}

/// The exit status of every command (`evaluate`, `audit`, `check`, `probe`): one scheme, written
/// down once in the README ("Exit status").
pub mod exit {
    /// Everything was judged and nothing was found (`evaluate`: the evaluations were printed).
    pub const NOTHING_FOUND: u8 = 0;
    /// Something was found: a cluster NON_COMPLIANT, a door open.
    pub const FINDINGS: u8 = 1;
    /// A usage error, or input that cannot be read (a file, an event, a parameter).
    pub const USAGE_OR_UNREADABLE_INPUT: u8 = 2;
    /// The command could not finish: an AWS call, a broker or a part of the input it could not
    /// read, reach or send to; what it did not see is never counted as a pass.
    pub const COULD_NOT_FINISH: u8 = 3;
}
