//! One invocation, from the event's text to its evaluations, for both ways in: the Lambda function
//! sends them to Config, `msk-mtls-rule evaluate` prints them. Parse, choose the account's
//! credentials, dispatch by message type, sweep, deliver, summarise. Also the hook's answer and the
//! scheduled probe's run, which the function serves beside the rule.

pub mod access;
pub mod delivery;
pub mod evaluate;
pub mod hook;
pub mod rejections;
pub mod rotation;
pub mod scheduled_probe;
pub mod sweep;

use crate::alerts::settings::AlertSettings;
use crate::alerts::{shared_cas, unhealthy_cas, Context};
use crate::app::access::{account_access, AccountAccess};
use crate::app::delivery::{AlertSink, Delivery, InvocationSummary, Mode};
use crate::app::evaluate::{rule_name, Evaluator, Follow, Stage};
use crate::app::sweep::sweep;
use crate::aws::ports::{Account, Accounts, Notifier};
use crate::edge::event::ConfigRuleEvent;
use crate::edge::event::Notification;
use crate::error::RuleError;
use crate::rule::authorization::ConfigurationReport;
use crate::rule::ca::{CaHealthReport, CaTrust, TrustedBy};
use crate::rule::doors::DoorUsers;
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::Judgement;

/// What the metrics are split by, beside the rule: a sweep's counts (a picture of the whole fleet)
/// are never summed with the change events'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Change,
    Oversized,
    Scheduled,
}

impl Trigger {
    pub fn of(notification: &Notification) -> Self {
        match notification {
            Notification::Change(_) => Trigger::Change,
            Notification::Oversized(_) => Trigger::Oversized,
            Notification::Scheduled { .. } => Trigger::Scheduled,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Change => "ConfigurationItemChange",
            Trigger::Oversized => "OversizedConfigurationItemChange",
            Trigger::Scheduled => "Scheduled",
        }
    }
}

/// What an invocation did.
#[derive(Debug)]
pub struct Outcome {
    pub summary: InvocationSummary,
    /// The evaluations with every finding and note, when collected rather than sent.
    pub evaluations: Vec<Judgement>,
    pub rule_name: Option<String>,
    /// The account evaluated.
    pub account: Option<String>,
    pub trigger: Trigger,
    /// A sweep's CAs, each with the clusters that trust it.
    pub trusted_by: TrustedBy,
}

/// The event and its rule parameters, both checked before anything is evaluated.
pub fn parse_invocation(event: &str) -> Result<(ConfigRuleEvent, RuleParams), RuleError> {
    let event = ConfigRuleEvent::from_text(event)?;
    let params = RuleParams::parse(event.rule_parameters.as_deref())?;
    Ok((event, params))
}

/// One invocation with the function's own credentials in `own`. `own_account` is the account the
/// function runs in, when known (in Lambda, from the invoked function's ARN); otherwise it is asked
/// of STS, and only when a role could apply. Alerts are published with `own` credentials, whatever
/// account the event is about.
pub async fn invoke<A: Accounts + Notifier>(
    own: &A,
    event: &str,
    own_account: Option<&str>,
    mode: Mode,
    alerts: &AlertSettings,
    now: Timestamp,
) -> Result<Outcome, RuleError> {
    let (event, params) = parse_invocation(event)?;
    let own_account = match (own_account, &params.execution_role_name) {
        (Some(account), _) => Some(account.to_owned()),
        (None, Some(_)) => Some(own.own_account().await?),
        (None, None) => None,
    };
    let sink = alerts.topic_arn.as_deref().map(|topic_arn| AlertSink {
        notifier: own,
        topic_arn,
    });
    match account_access(&event, &params, own_account.as_deref())? {
        AccountAccess::Own => evaluate_in(own, sink, &event, &params, mode, alerts, now).await,
        AccountAccess::Role(role_arn) => {
            let member = own.assume_role(&role_arn).await?;
            evaluate_in(&member, sink, &event, &params, mode, alerts, now).await
        }
    }
}

/// Every call for the event's account, PutEvaluations included, goes through `account`.
async fn evaluate_in<A: Account, N: Notifier>(
    account: &A,
    sink: Option<AlertSink<'_, N>>,
    event: &ConfigRuleEvent,
    params: &RuleParams,
    mode: Mode,
    alerts: &AlertSettings,
    now: Timestamp,
) -> Result<Outcome, RuleError> {
    let follow = follow_of(event, mode, alerts);
    let mut delivery = Delivery::new(account, &event.result_token, mode, sink);
    let mut evaluator = Evaluator {
        account,
        params,
        now,
        cas: CaHealthReport::new(),
        trust: CaTrust::default(),
        configurations: ConfigurationReport::new(),
        stage: Stage::Deployed,
        follow,
        door_users: mode.door_users(),
        listed: DoorUsers::default(),
    };
    let mut swept = None;
    match &event.notification {
        Notification::Change(item) => evaluator.run_change(event, item, &mut delivery).await?,
        Notification::Oversized(summary) => {
            evaluator
                .run_oversized(event, summary, &mut delivery)
                .await?
        }
        Notification::Scheduled {
            notification_creation_time,
        } => {
            let rule_name = rule_name(event)?;
            let ordering_timestamp = *notification_creation_time;
            swept =
                Some(sweep(&mut evaluator, rule_name, ordering_timestamp, &mut delivery).await?);
        }
    }
    let (mut summary, evaluations) = delivery.finish().await?;
    ca_figures(&mut summary, &evaluator, swept.as_ref());
    Ok(Outcome {
        summary,
        evaluations,
        rule_name: event.config_rule_name.clone(),
        account: event.account_id.clone(),
        trigger: Trigger::of(&event.notification),
        trusted_by: swept.unwrap_or_default(),
    })
}

/// The invocation's figures of the CAs it read: the soonest expiry; for a sweep, how many are not
/// healthy, the most clusters one CA is trusted by, and how many other accounts can issue from.
fn ca_figures<A>(
    summary: &mut InvocationSummary,
    evaluator: &Evaluator<'_, A>,
    swept: Option<&TrustedBy>,
) {
    summary.ca_days_to_expiry = evaluator
        .cas
        .values()
        .filter_map(|health| health.days_to_expiry(evaluator.now))
        .min();
    if let Some(trusted_by) = swept {
        if !evaluator.cas.is_empty() {
            summary.ca_unhealthy = Some(unhealthy_cas(&evaluator.cas));
        }
        summary.ca_most_clusters = trusted_by.values().map(Vec::len).max();
        if !evaluator.trust.issuers.is_empty() {
            summary.ca_shared = Some(shared_cas(&evaluator.trust));
        }
    }
}

/// What follows each evaluation sent for `event`: the held result read (when sending), the owner's
/// tags, where the rule runs, and the sweep's CA report.
fn follow_of<'a>(event: &'a ConfigRuleEvent, mode: Mode, alerts: &'a AlertSettings) -> Follow<'a> {
    Follow {
        read_held: mode == Mode::Send,
        owner_tag_keys: &alerts.owner_tag_keys,
        context: Context {
            rule_name: event.config_rule_name.as_deref().unwrap_or_default(),
            account: event.account_id.as_deref().unwrap_or_default(),
            region: &alerts.region,
        },
        ca_alert_days: alerts.ca_alert_days,
    }
}
