//! The alert a sweep sends when a client identity of a CA turned due for rotation, or lapsed, since
//! the last sweep (on change only, with no state kept: what turned within one sweep period); it
//! lists every identity due or missed now, newest first to lapse.

use crate::alerts::Context;
use crate::aws::ports::Message;
use crate::rule::rotation::{Rotation, State, SweepFigures};
use crate::rule::time::Timestamp;

/// SNS takes 256 KB a message: at most this many identities are listed, then how many more.
const MAX_LISTED: usize = 500;

/// The alert for `ca_arn`'s rotations, or `None` when nothing turned since the last sweep.
pub fn rotation_alert(
    ca_arn: &str,
    rotations: &[Rotation],
    figures: &SweepFigures,
    report_written: Timestamp,
    context: &Context,
) -> Option<Message> {
    if figures.turned_since == 0 {
        return None;
    }
    let lines = listed(rotations);
    let body = format!(
        "Client certificates of Private CA {ca_arn}, which MSK clusters in account {}, {} trust: \
         {} identities have a rotation due and {} missed theirs (expired with no successor); {} \
         turned since the last sweep. From the CA's audit report written {report_written} (rule \
         {}):\n\n{}\n\nIssue each a new certificate before the old one expires (overlap is how \
         rotation is done), deliver it to the clients, and keep its key in Secrets Manager, never \
         in code. `msk-mtls-rule certificates --ca-arn {ca_arn} --bucket BUCKET` lists them all.\n",
        context.account,
        context.region,
        figures.due,
        figures.missed,
        figures.turned_since,
        context.rule_name,
        lines.join("\n"),
    );
    Some(Message {
        subject: format!(
            "MSK client certificates: {} due, {} missed in {}",
            figures.due, figures.missed, context.account
        ),
        body,
        attributes: vec![
            ("event".into(), "certificate-rotation".into()),
            ("account".into(), context.account.to_owned()),
            ("region".into(), context.region.to_owned()),
        ],
    })
}

/// Every identity due or missed, soonest to lapse first, as the alert lists them.
fn listed(rotations: &[Rotation]) -> Vec<String> {
    let mut attention: Vec<&Rotation> = rotations
        .iter()
        .filter(|rotation| matches!(rotation.state, State::Due | State::Missed))
        .collect();
    attention.sort_by_key(|rotation| rotation.newest.as_ref().map(|newest| newest.not_after));
    let mut lines: Vec<String> = attention
        .iter()
        .take(MAX_LISTED)
        .map(|rotation| {
            let expiry = rotation
                .newest
                .as_ref()
                .map_or_else(String::new, |newest| newest.not_after.to_string());
            let template = rotation
                .identity
                .template
                .as_deref()
                .unwrap_or("no template");
            format!(
                "  - {}: {} (newest certificate expires {expiry}; {template})",
                rotation.identity.subject,
                rotation.state.as_str()
            )
        })
        .collect();
    if attention.len() > MAX_LISTED {
        lines.push(format!("  ... and {} more", attention.len() - MAX_LISTED));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::rotation::{Issued, IssuedCertificate};

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_800_000_000;

    fn rotations(count: usize) -> Vec<Rotation> {
        rotations_of(count)
    }

    fn rotations_of(count: usize) -> Vec<Rotation> {
        let mut issued = Issued::default();
        for n in 0..count {
            issued.add(IssuedCertificate {
                serial: format!("{n:02x}"),
                subject: format!("CN=client-{n}"),
                template: None,
                not_before: Timestamp::from_secs(NOW - 340 * DAY),
                not_after: Timestamp::from_secs(NOW + 25 * DAY - n as i64),
                revoked_at: None,
            });
        }
        issued.rotations(Timestamp::from_secs(NOW), 30)
    }

    const CONTEXT: Context = Context {
        rule_name: "msk-mtls",
        account: "111122223333",
        region: "eu-west-1",
    };

    #[test]
    fn an_alert_is_sent_only_when_an_identity_turned_and_lists_them_all() {
        let rotations = rotations(2);
        let figures = SweepFigures {
            due: 2,
            ..SweepFigures::default()
        };
        let written = Timestamp::from_secs(NOW);
        assert_eq!(
            rotation_alert("ca", &rotations, &figures, written, &CONTEXT),
            None
        );
        let turned = SweepFigures {
            turned_since: 1,
            ..figures
        };
        let alert = rotation_alert("ca", &rotations, &turned, written, &CONTEXT).unwrap();
        assert_eq!(
            alert.subject,
            "MSK client certificates: 2 due, 0 missed in 111122223333"
        );
        let first = alert.body.find("CN=client-1:").unwrap();
        assert!(
            first < alert.body.find("CN=client-0:").unwrap(),
            "soonest first"
        );
        assert!(
            alert.body.contains("CN=client-0: rotation due"),
            "{}",
            alert.body
        );
    }

    #[test]
    fn a_long_list_stays_within_what_sns_takes() {
        let rotations = rotations(MAX_LISTED + 7);
        let figures = SweepFigures {
            due: MAX_LISTED + 7,
            turned_since: 1,
            ..SweepFigures::default()
        };
        let alert = rotation_alert(
            "ca",
            &rotations,
            &figures,
            Timestamp::from_secs(NOW),
            &CONTEXT,
        )
        .unwrap();
        assert!(alert.body.contains("... and 7 more"));
        let exactly = rotations_of(MAX_LISTED);
        let all_listed = listed(&exactly);
        assert_eq!(all_listed.len(), MAX_LISTED, "no \"and 0 more\"");
        assert!(alert.body.len() < 256 * 1024);
        assert!(alert.subject.len() <= 100);
    }
}
