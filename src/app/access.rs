//! Whose credentials evaluate an event's account, decided before any AWS call.

use crate::edge::event::ConfigRuleEvent;
use crate::error::RuleError;
use crate::rule::params::RuleParams;

/// Whose credentials evaluate an event's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAccess {
    /// The function's own.
    Own,
    /// A role assumed in the event's account: `arn:<partition of the rule>:iam::<account>:role/<name>`.
    Role(String),
}

/// Decides, before any AWS call, whose credentials evaluate the event. `own_account` is the account
/// the function runs in, when known (in Lambda, from the invoked function's ARN).
///
/// - An event from the function's own account is evaluated with its own credentials, also in an
///   organization roll-out: service-managed StackSets never create the member role in the
///   management account.
/// - With `executionRoleName`, any other account is evaluated through that role (which IAM lets the
///   function assume only in the organization's accounts).
/// - Without it, an event from another account is refused: Config in an account the function does
///   not serve gets nothing done with it.
pub fn account_access(
    event: &ConfigRuleEvent,
    params: &RuleParams,
    own_account: Option<&str>,
) -> Result<AccountAccess, RuleError> {
    let account = event
        .account_id
        .as_deref()
        .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let Some(name) = &params.execution_role_name else {
        return match (own_account, account) {
            (None, _) => Ok(AccountAccess::Own),
            (Some(own), Some(account)) if own == account => Ok(AccountAccess::Own),
            (Some(own), _) => Err(RuleError::InvalidEvent(format!(
                "the event is for account {}, but the function runs in account {own} and no \
                 executionRoleName is set: refused before any AWS call",
                event.account_id.as_deref().unwrap_or("(none)")
            ))),
        };
    };
    let account = account.ok_or_else(|| {
        RuleError::InvalidEvent("executionRoleName needs the event's 12-digit accountId".into())
    })?;
    if own_account == Some(account) {
        return Ok(AccountAccess::Own);
    }
    let partition = event
        .config_rule_arn
        .as_deref()
        .and_then(|arn| arn.strip_prefix("arn:"))
        .and_then(|rest| rest.split(':').next())
        .filter(|partition| partition.starts_with("aws"))
        .ok_or_else(|| {
            RuleError::InvalidEvent("executionRoleName needs the event's configRuleArn".into())
        })?;
    Ok(AccountAccess::Role(format!(
        "arn:{partition}:iam::{account}:role/{name}"
    )))
}

/// The account in a Lambda function ARN (`arn:<partition>:lambda:<region>:<account>:function:...`).
pub fn account_of_function_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    let account = parts.nth(4)?;
    (arn.starts_with("arn:aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit()))
    .then_some(account)
}
