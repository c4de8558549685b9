//! The result Config holds for a cluster, the transition a new result makes from it (what alerts
//! are sent on), and the clock of time to remediate. Pure: the app layer reads the held result,
//! hands it here, and the alerts module writes the message.
//!
//! The clock is carried in the result itself: a NON_COMPLIANT annotation ends with
//! ` (since <RFC 3339>)`, the time the cluster first turned NON_COMPLIANT. Each re-evaluation reads
//! the held result and keeps that time, so periodic sweeps never reset it, and no database is needed:
//! Config keeps it, per rule and resource, as long as the result stands.

use crate::rule::evaluation::{join_within, ComplianceType, ANNOTATION_MAX_CHARS};
use crate::rule::time::Timestamp;

const SINCE_OPEN: &str = " (since ";

/// The characters the clock takes: ` (since `, an RFC 3339 time in seconds (20), `)`.
pub const SINCE_CLOCK_CHARS: usize = SINCE_OPEN.len() + 21;

/// The result Config holds for the rule and the resource, before this evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldResult {
    pub compliance: ComplianceType,
    pub annotation: Option<String>,
}

impl HeldResult {
    /// The reasons, without the clock.
    pub fn reasons(&self) -> &str {
        split_since(self.annotation.as_deref().unwrap_or_default()).0
    }

    /// The transition whose alert SNS refused when this result was sent, to be sent again.
    pub fn pending_alert(&self) -> Option<Transition> {
        split_pending(self.annotation.as_deref().unwrap_or_default()).1
    }

    /// When a held NON_COMPLIANT result says the cluster first turned NON_COMPLIANT.
    pub fn open_since(&self, parse: impl Fn(&str) -> Option<Timestamp>) -> Option<Timestamp> {
        if self.compliance != ComplianceType::NonCompliant {
            return None;
        }
        split_since(self.annotation.as_deref().unwrap_or_default())
            .1
            .and_then(parse)
    }
}

/// The mark a result carries while its owner's alert is not delivered (SNS refused it). Config's
/// held result is where the next evaluation of the cluster finds it, with no store of its own, and
/// sends the alert again. It is the annotation's end, where no finding's text can reach: a
/// NON_COMPLIANT annotation ends with its clock, the others are fixed texts.
const PENDING_OPEN: &str = "[alert not sent: ";

/// `annotation` with the pending mark of `transition` at its end, cut to fit Config's limit: the
/// reasons give way, never the clock or the mark.
pub fn with_alert_pending(annotation: Option<&str>, transition: Transition) -> String {
    let mark = format!("{PENDING_OPEN}{}]", transition.as_str());
    let (reasons, since) = split_since(annotation.unwrap_or_default());
    let clock = since
        .map(|since| format!("{SINCE_OPEN}{since})"))
        .unwrap_or_default();
    let room = ANNOTATION_MAX_CHARS - mark.chars().count() - clock.chars().count() - 1;
    let reasons = join_within(&[reasons.to_owned()], room).unwrap_or_default();
    format!("{reasons}{clock} {mark}").trim_start().to_owned()
}

/// An annotation without its pending mark, and the transition whose alert is pending, if any.
pub fn split_pending(annotation: &str) -> (&str, Option<Transition>) {
    annotation
        .strip_suffix(']')
        .and_then(|rest| rest.rsplit_once(PENDING_OPEN))
        .and_then(|(before, name)| {
            Transition::ALL
                .into_iter()
                .find(|transition| transition.as_str() == name)
                .map(|transition| (before.trim_end(), Some(transition)))
        })
        .unwrap_or((annotation, None))
}

/// An annotation's reasons and the text of its clock, if it has one (a pending mark set aside).
pub fn split_since(annotation: &str) -> (&str, Option<&str>) {
    let annotation = split_pending(annotation).0;
    annotation
        .strip_suffix(')')
        .and_then(|rest| rest.rsplit_once(SINCE_OPEN))
        .map_or((annotation, None), |(reasons, since)| {
            (reasons, Some(since))
        })
}

/// A NON_COMPLIANT annotation: the reasons that fit, then the clock (seconds are enough).
pub fn annotation_with_since(reasons: &[String], since: Timestamp) -> String {
    let clock = format!("{SINCE_OPEN}{})", Timestamp::from_secs(since.secs()));
    let room = ANNOTATION_MAX_CHARS - clock.chars().count();
    let reasons = join_within(reasons, room).unwrap_or_default();
    format!("{reasons}{clock}")
}

/// What happened to a cluster's result, when it is worth telling the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// It turned NON_COMPLIANT.
    Opened,
    /// It stays NON_COMPLIANT, for other reasons.
    Changed,
    /// It turned COMPLIANT again.
    Resolved,
    /// A NON_COMPLIANT cluster is no longer judged (deleted, out of scope).
    Closed,
    /// It stays COMPLIANT, and what it notes without failing has changed (the ACL default opened
    /// or closed under `requireAclDefaultDeny` `false`).
    Noted,
}

impl Transition {
    pub const ALL: [Transition; 5] = [
        Transition::Opened,
        Transition::Changed,
        Transition::Resolved,
        Transition::Closed,
        Transition::Noted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Opened => "opened",
            Transition::Changed => "changed",
            Transition::Resolved => "resolved",
            Transition::Closed => "closed",
            Transition::Noted => "noted",
        }
    }

    /// The transition from the held result to the new one, if any: an unchanged result (a sweep of
    /// an unchanged cluster) is none.
    pub fn between(
        held: Option<&HeldResult>,
        new: ComplianceType,
        new_reasons: &str,
    ) -> Option<Self> {
        // An alert SNS refused is sent again while the verdict it was about still stands.
        if let Some((held, pending)) = held.and_then(|h| Some((h, h.pending_alert()?))) {
            if held.compliance == new && held.reasons() == new_reasons {
                return Some(pending);
            }
        }
        let was_open = held.is_some_and(|h| h.compliance == ComplianceType::NonCompliant);
        let was_closed = held.is_some_and(|h| h.compliance == ComplianceType::Compliant);
        match new {
            ComplianceType::NonCompliant if !was_open => Some(Transition::Opened),
            ComplianceType::NonCompliant => held
                .filter(|h| h.reasons() != new_reasons)
                .map(|_| Transition::Changed),
            ComplianceType::Compliant if was_open => Some(Transition::Resolved),
            // A first result is no news: only a note that changes on a cluster already judged.
            ComplianceType::Compliant if was_closed => held
                .filter(|h| h.reasons() != new_reasons)
                .map(|_| Transition::Noted),
            ComplianceType::NotApplicable if was_open => Some(Transition::Closed),
            ComplianceType::Compliant | ComplianceType::NotApplicable => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_takes_the_characters_counted_for_it() {
        let text = annotation_with_since(&[], Timestamp::from_secs(1_700_000_000));
        assert_eq!(text.chars().count(), SINCE_CLOCK_CHARS, "{text}");
    }

    /// A COMPLIANT cluster whose notes change is told (its ACL default opened); one whose notes
    /// stay, or a first result, or a pending mark alone, is not.
    #[test]
    fn a_compliant_cluster_whose_notes_change_is_noted() {
        use ComplianceType::*;
        let open = "authorization open by default: allow.everyone.if.no.acl.found is true";
        assert_eq!(
            Transition::between(Some(&held(Compliant, "")), Compliant, open),
            Some(Transition::Noted)
        );
        assert_eq!(
            Transition::between(Some(&held(Compliant, open)), Compliant, ""),
            Some(Transition::Noted)
        );
        assert_eq!(
            Transition::between(Some(&held(Compliant, open)), Compliant, open),
            None
        );
        assert_eq!(Transition::between(None, Compliant, open), None);
        assert_eq!(
            Transition::between(
                Some(&held(NotApplicable, "the cluster no longer exists")),
                Compliant,
                open
            ),
            None,
            "a cluster judged again after NOT_APPLICABLE is a first result"
        );
        assert_eq!(
            Transition::between(
                Some(&held(NonCompliant, "x (since 2026-01-01T00:00:00Z)")),
                Compliant,
                open
            ),
            Some(Transition::Resolved)
        );
        let pending = with_alert_pending(Some(open), Transition::Noted);
        assert_eq!(
            Transition::between(Some(&held(Compliant, &pending)), Compliant, open),
            Some(Transition::Noted),
            "an alert SNS refused is sent again"
        );
    }

    fn held(compliance: ComplianceType, annotation: &str) -> HeldResult {
        HeldResult {
            compliance,
            annotation: Some(annotation.to_owned()),
        }
    }

    fn parse(text: &str) -> Option<Timestamp> {
        crate::edge::read::parse_time("since", text).ok()
    }

    #[test]
    fn the_clock_is_the_annotation_s_tail_and_the_reasons_still_fit_in_256() {
        let since = Timestamp::from_millis(1_764_345_600_123);
        let text = annotation_with_since(&["a".into(), "b".into()], since);
        assert_eq!(text, "a; b (since 2025-11-28T16:00:00Z)");
        let result = held(ComplianceType::NonCompliant, &text);
        assert_eq!(result.reasons(), "a; b");
        assert_eq!(
            result.open_since(parse),
            Some(Timestamp::from_secs(1_764_345_600))
        );
        let long: Vec<String> = (0..40).map(|i| format!("reason number {i}")).collect();
        let text = annotation_with_since(&long, since);
        assert!(text.chars().count() <= ANNOTATION_MAX_CHARS, "{text}");
        assert!(
            text.ends_with(" more) (since 2025-11-28T16:00:00Z)"),
            "{text}"
        );
        // No clock, or a clock that does not parse: unknown, never a made-up time.
        assert_eq!(
            held(ComplianceType::NonCompliant, "a; b").open_since(parse),
            None
        );
        assert_eq!(
            held(ComplianceType::NonCompliant, "a (since yesterday)").open_since(parse),
            None
        );
        assert_eq!(
            held(ComplianceType::Compliant, &text).open_since(parse),
            None
        );
    }

    /// An alert SNS refused is marked on the result sent to Config; the next evaluation with the
    /// same verdict finds it held and sends it again, whatever the transition.
    #[test]
    fn a_pending_alert_is_marked_at_the_end_and_sent_again_while_its_verdict_stands() {
        let since = Timestamp::from_secs(1_764_345_600);
        let open = annotation_with_since(&["unauthenticated access is enabled".into()], since);
        let marked = with_alert_pending(Some(&open), Transition::Opened);
        assert_eq!(
            marked,
            format!("{open} [alert not sent: opened]"),
            "the clock stays, the mark is last"
        );
        let held = HeldResult {
            compliance: ComplianceType::NonCompliant,
            annotation: Some(marked.clone()),
        };
        assert_eq!(held.pending_alert(), Some(Transition::Opened));
        assert_eq!(held.reasons(), "unauthenticated access is enabled");
        assert_eq!(
            held.open_since(|text| (text == since.to_string()).then_some(since)),
            Some(since)
        );
        let reasons = "unauthenticated access is enabled";
        assert_eq!(
            Transition::between(Some(&held), ComplianceType::NonCompliant, reasons),
            Some(Transition::Opened),
            "sent again"
        );
        assert_eq!(
            Transition::between(Some(&held), ComplianceType::NonCompliant, "other"),
            Some(Transition::Changed)
        );
        assert_eq!(
            Transition::between(Some(&held), ComplianceType::Compliant, ""),
            Some(Transition::Resolved)
        );
        let resolved = HeldResult {
            compliance: ComplianceType::Compliant,
            annotation: Some(with_alert_pending(None, Transition::Resolved)),
        };
        assert_eq!(
            resolved.annotation.as_deref(),
            Some("[alert not sent: resolved]")
        );
        assert_eq!(
            Transition::between(Some(&resolved), ComplianceType::Compliant, ""),
            Some(Transition::Resolved)
        );
        let long = annotation_with_since(&["x".repeat(400)], since);
        let marked = with_alert_pending(Some(&long), Transition::Changed);
        assert_eq!(marked.chars().count(), ANNOTATION_MAX_CHARS, "{marked}");
        assert_eq!(split_pending(&marked).1, Some(Transition::Changed));
        assert_eq!(
            split_since(&marked).1.map(|t| t.to_owned()),
            split_since(&long).1.map(|t| t.to_owned())
        );
        for unmarked in ["tag \"a\" is missing", "[alert not sent: reopened]", ""] {
            assert_eq!(split_pending(unmarked), (unmarked, None), "{unmarked}");
        }
    }

    #[test]
    fn transitions_only_an_unchanged_result_is_silent() {
        use ComplianceType::*;
        let open = held(NonCompliant, "a (since 2025-11-28T16:00:00Z)");
        let fine = held(Compliant, "");
        assert_eq!(
            Transition::between(None, NonCompliant, "a"),
            Some(Transition::Opened)
        );
        assert_eq!(
            Transition::between(Some(&fine), NonCompliant, "a"),
            Some(Transition::Opened)
        );
        assert_eq!(Transition::between(Some(&open), NonCompliant, "a"), None);
        assert_eq!(
            Transition::between(Some(&open), NonCompliant, "a; b"),
            Some(Transition::Changed)
        );
        assert_eq!(
            Transition::between(Some(&open), Compliant, ""),
            Some(Transition::Resolved)
        );
        assert_eq!(
            Transition::between(Some(&open), NotApplicable, "gone"),
            Some(Transition::Closed)
        );
        assert_eq!(Transition::between(Some(&fine), Compliant, ""), None);
        assert_eq!(Transition::between(None, Compliant, ""), None);
        assert_eq!(Transition::between(None, NotApplicable, "x"), None);
    }
}
