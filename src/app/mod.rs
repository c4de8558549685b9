//! One invocation, from the event's text to its evaluations, for both ways in: the Lambda handler
//! (`lambda`) sends them to Config, the local command (`local`) prints them. `audit` judges every
//! cluster the credentials can list, with the same evaluator, and writes nothing. Parse, choose the
//! account's credentials, dispatch by message type, sweep, deliver, summarise.

pub mod access;
pub mod audit;
pub mod delivery;
pub mod evaluate;
pub mod flags;
pub mod hook;
pub mod lambda;
pub mod local;
pub mod sweep;

use crate::app::access::{account_access, AccountAccess};
use crate::app::delivery::{Delivery, InvocationSummary, Mode};
use crate::app::evaluate::Evaluator;
use crate::aws::ports::{Account, Accounts};
use crate::edge::event::ConfigRuleEvent;
use crate::error::RuleError;
use crate::metrics::Trigger;
use crate::rule::evaluation::Evaluation;
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::CaHealthReport;

/// What an invocation did.
#[derive(Debug)]
pub struct Outcome {
    pub summary: InvocationSummary,
    /// The evaluations, when collected rather than sent.
    pub evaluations: Vec<Evaluation>,
    pub rule_name: Option<String>,
    pub trigger: Trigger,
}

/// The event and its rule parameters, both checked before anything is evaluated.
pub fn parse_invocation(event: &str) -> Result<(ConfigRuleEvent, RuleParams), RuleError> {
    let event = ConfigRuleEvent::from_text(event)?;
    let params = RuleParams::parse(event.rule_parameters.as_deref())?;
    Ok((event, params))
}

/// One invocation with the function's own credentials in `own`. `own_account` is the account the
/// function runs in, when known (in Lambda, from the invoked function's ARN); otherwise it is asked
/// of STS, and only when a role could apply.
pub async fn invoke<A: Accounts>(
    own: &A,
    event: &str,
    own_account: Option<&str>,
    mode: Mode,
    now: Timestamp,
) -> Result<Outcome, RuleError> {
    let (event, params) = parse_invocation(event)?;
    let own_account = match (own_account, &params.execution_role_name) {
        (Some(account), _) => Some(account.to_owned()),
        (None, Some(_)) => Some(own.own_account().await?),
        (None, None) => None,
    };
    match account_access(&event, &params, own_account.as_deref())? {
        AccountAccess::Own => evaluate_in(own, &event, &params, mode, now).await,
        AccountAccess::Role(role_arn) => {
            let member = own.assume_role(&role_arn).await?;
            evaluate_in(&member, &event, &params, mode, now).await
        }
    }
}

/// Every call for the event's account, PutEvaluations included, goes through `account`.
async fn evaluate_in<A: Account>(
    account: &A,
    event: &ConfigRuleEvent,
    params: &RuleParams,
    mode: Mode,
    now: Timestamp,
) -> Result<Outcome, RuleError> {
    let mut delivery = Delivery::new(account, &event.result_token, mode);
    let mut evaluator = Evaluator {
        account,
        params,
        now,
        cas: CaHealthReport::new(),
    };
    evaluator.run(event, &mut delivery).await?;
    let (mut summary, evaluations) = delivery.finish().await?;
    summary.ca_days_to_expiry = evaluator
        .cas
        .values()
        .filter_map(|health| health.days_to_expiry(now))
        .min();
    Ok(Outcome {
        summary,
        evaluations,
        rule_name: event.config_rule_name.clone(),
        trigger: Trigger::of(&event.notification),
    })
}
