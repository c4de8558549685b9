//! Client certificates rotated before they lapse, from what a Private CA issued (its audit report):
//! each identity's certificates in time order, the gaps where one lapsed before its successor was
//! issued (a missed rotation, with its time), and where the newest stands now.
//!
//! An identity is a subject together with the template it was issued from (a client and a server
//! certificate for one host are two). The audit report holds no subject alternative names, so
//! replicas sharing one subject are one identity: the newest of their certificates speaks for all
//! of them, and a replica left behind is not seen. Give each replica a subject of its own
//! (`CN=orders-0`) to watch each.

use std::collections::BTreeMap;

use crate::rule::time::Timestamp;

/// ACM Private CA's short-lived certificates live at most 7 days.
pub const SHORT_LIVED_MAX_SECS: i64 = 7 * 86_400;

/// One certificate of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    pub serial: String,
    pub subject: String,
    /// `templateArn`, when the report gives one.
    pub template: Option<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A subject, with the template its certificates were issued from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identity {
    pub subject: String,
    pub template: Option<String>,
}

/// A certificate as kept per identity: what the timeline needs, not the whole record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub serial: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub revoked: bool,
}

/// Every certificate of a report, by identity: built one certificate at a time, so a report of
/// any size is read without being held whole.
#[derive(Debug, Default)]
pub struct Issued {
    by_identity: BTreeMap<Identity, Vec<Kept>>,
    certificates: usize,
}

impl Issued {
    pub fn add(&mut self, certificate: IssuedCertificate) {
        self.certificates += 1;
        let identity = Identity {
            subject: certificate.subject,
            template: certificate.template,
        };
        self.by_identity.entry(identity).or_default().push(Kept {
            serial: certificate.serial,
            not_before: certificate.not_before,
            not_after: certificate.not_after,
            revoked: certificate.revoked_at.is_some(),
        });
    }

    pub fn certificates(&self) -> usize {
        self.certificates
    }

    /// Each identity's rotation, at `now`, with `due_days` before expiry counting as due (for
    /// certificates that live longer than short-lived ones; those are due in their last quarter).
    pub fn rotations(self, now: Timestamp, due_days: i64) -> Vec<Rotation> {
        self.by_identity
            .into_iter()
            .map(|(identity, certificates)| Rotation::of(identity, certificates, now, due_days))
            .collect()
    }
}

/// Where an identity's newest certificate stands, in the order a report lists them (what needs a
/// hand first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// The newest certificate has expired and no successor was issued: the clients holding it
    /// are refused now.
    Missed,
    /// The newest certificate is within its threshold of expiry, and no successor was issued.
    Due,
    /// Valid beyond the due threshold, or a successor already issued (overlap is how rotation is
    /// done).
    Fine,
    /// Every certificate of the identity is revoked: retired on purpose, not a rotation to make.
    Revoked,
}

impl State {
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Fine => "fine",
            State::Due => "rotation due",
            State::Missed => "rotation missed",
            State::Revoked => "revoked",
        }
    }
}

/// One identity's rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub identity: Identity,
    pub state: State,
    /// The certificate that is not revoked and lives longest (`None`: all revoked).
    pub newest: Option<Kept>,
    /// The one before it.
    pub predecessor: Option<Kept>,
    /// Each time a certificate lapsed before a successor was issued: the rotation failures in the
    /// identity's history (the last is now, for `Missed`).
    pub lapses: Vec<Timestamp>,
    pub certificates: usize,
}

impl Rotation {
    fn of(identity: Identity, mut certificates: Vec<Kept>, now: Timestamp, due_days: i64) -> Self {
        let total = certificates.len();
        certificates.retain(|certificate| !certificate.revoked);
        certificates.sort_by_key(|certificate| (certificate.not_before, certificate.not_after));
        let lapses = lapses(&certificates, now);
        certificates.sort_by_key(|certificate| certificate.not_after);
        let newest = certificates.pop();
        let predecessor = certificates.pop();
        let state = match &newest {
            None => State::Revoked,
            Some(newest) if newest.not_after <= now => State::Missed,
            Some(newest) if newest.not_after.secs() - now.secs() < due_secs(newest, due_days) => {
                State::Due
            }
            Some(_) => State::Fine,
        };
        Rotation {
            identity,
            state,
            newest,
            predecessor,
            lapses,
            certificates: total,
        }
    }
}

impl Rotation {
    /// When the identity turned to its state: the newest certificate's expiry less its due
    /// threshold (`Due`), or its expiry (`Missed`); `None` for the others.
    pub fn turned_at(&self, due_days: i64) -> Option<Timestamp> {
        let newest = self.newest.as_ref()?;
        match self.state {
            State::Due => Some(Timestamp::from_secs(
                newest.not_after.secs() - due_secs(newest, due_days),
            )),
            State::Missed => Some(newest.not_after),
            State::Fine | State::Revoked => None,
        }
    }
}

/// What one sweep reports of a CA's identities, with no state kept between sweeps: those due and
/// missed now, and what happened since the last sweep (`since`, one sweep period ago): the
/// lapses (a rotation failure, counted once by the sweep after it, so that their sum over a
/// quarter is the KPI) and the identities that turned due or missed (what an alert is sent for).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepFigures {
    pub due: usize,
    pub missed: usize,
    pub lapses_since: usize,
    pub turned_since: usize,
}

impl SweepFigures {
    pub fn of(rotations: &[Rotation], since: Timestamp, now: Timestamp, due_days: i64) -> Self {
        let within = |time: Timestamp| since < time && time <= now;
        let count = |state| rotations.iter().filter(|r| r.state == state).count();
        SweepFigures {
            due: count(State::Due),
            missed: count(State::Missed),
            lapses_since: rotations
                .iter()
                .flat_map(|rotation| &rotation.lapses)
                .filter(|lapse| within(**lapse))
                .count(),
            turned_since: rotations
                .iter()
                .filter_map(|rotation| rotation.turned_at(due_days))
                .filter(|turned| within(*turned))
                .count(),
        }
    }
}

/// How long before expiry a certificate is due: `due_days`, or the last quarter of its life for a
/// short-lived one (which never lives 30 days).
fn due_secs(certificate: &Kept, due_days: i64) -> i64 {
    let lifetime = certificate.not_after.secs() - certificate.not_before.secs();
    if lifetime <= SHORT_LIVED_MAX_SECS {
        lifetime / 4
    } else {
        due_days * 86_400
    }
}

/// Each time the identity's coverage ended before `now` with no certificate valid at that moment:
/// certificates sorted by `not_before`, none revoked.
fn lapses(certificates: &[Kept], now: Timestamp) -> Vec<Timestamp> {
    let mut lapses = Vec::new();
    let mut covered_until: Option<Timestamp> = None;
    for certificate in certificates {
        if let Some(until) = covered_until {
            if certificate.not_before > until && until <= now {
                lapses.push(until);
            }
        }
        covered_until = Some(covered_until.map_or(certificate.not_after, |until| {
            until.max(certificate.not_after)
        }));
    }
    if let Some(until) = covered_until.filter(|until| *until <= now) {
        lapses.push(until);
    }
    lapses
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_800_000_000;

    fn certificate(serial: &str, subject: &str, from_days: i64, to_days: i64) -> IssuedCertificate {
        IssuedCertificate {
            serial: serial.into(),
            subject: subject.into(),
            template: None,
            not_before: Timestamp::from_secs(NOW + from_days * DAY),
            not_after: Timestamp::from_secs(NOW + to_days * DAY),
            revoked_at: None,
        }
    }

    fn rotations(certificates: Vec<IssuedCertificate>) -> BTreeMap<String, Rotation> {
        let mut issued = Issued::default();
        for certificate in certificates {
            issued.add(certificate);
        }
        issued
            .rotations(Timestamp::from_secs(NOW), 30)
            .into_iter()
            .map(|rotation| (rotation.identity.subject.clone(), rotation))
            .collect()
    }

    #[test]
    fn each_identity_is_fine_due_missed_or_revoked() {
        let mut revoked = certificate("r1", "CN=retired", -100, 265);
        revoked.revoked_at = Some(Timestamp::from_secs(NOW - DAY));
        let found = rotations(vec![
            certificate("f1", "CN=fine", -300, 65),
            certificate("d1", "CN=due", -345, 20),
            certificate("m1", "CN=missed", -400, -35),
            // rotated: the successor issued while the old one is still valid
            certificate("o1", "CN=overlapped", -355, 10),
            certificate("o2", "CN=overlapped", -5, 360),
            revoked,
        ]);
        let state = |subject: &str| found[subject].state;
        assert_eq!(state("CN=fine"), State::Fine);
        assert_eq!(state("CN=due"), State::Due);
        assert_eq!(state("CN=missed"), State::Missed);
        assert_eq!(state("CN=overlapped"), State::Fine);
        assert_eq!(state("CN=retired"), State::Revoked);
        let overlapped = &found["CN=overlapped"];
        assert_eq!(overlapped.newest.as_ref().unwrap().serial, "o2");
        assert_eq!(overlapped.predecessor.as_ref().unwrap().serial, "o1");
        assert!(overlapped.lapses.is_empty());
        assert_eq!(
            found["CN=missed"].lapses,
            [Timestamp::from_secs(NOW - 35 * DAY)]
        );
    }

    /// A certificate that lapsed before its successor was issued is a rotation failure in the
    /// identity's history, at the moment it lapsed.
    #[test]
    fn a_gap_before_a_successor_is_a_lapse_in_history() {
        let found = rotations(vec![
            certificate("a", "CN=orders", -400, -100),
            certificate("b", "CN=orders", -90, 200),
            certificate("c", "CN=orders", 150, 500),
        ]);
        let orders = &found["CN=orders"];
        assert_eq!(orders.state, State::Fine);
        assert_eq!(orders.lapses, [Timestamp::from_secs(NOW - 100 * DAY)]);
        assert_eq!(orders.newest.as_ref().unwrap().serial, "c");
        assert_eq!(orders.predecessor.as_ref().unwrap().serial, "b");
        assert_eq!(orders.certificates, 3);
    }

    /// A successor valid from the very moment its predecessor expires leaves no gap; a gap still to
    /// come (a successor dated after its predecessor's expiry) is no lapse until it happens.
    #[test]
    fn only_a_gap_that_happened_is_a_lapse() {
        let found = rotations(vec![
            certificate("a", "CN=contiguous", -400, -100),
            certificate("b", "CN=contiguous", -100, 200),
            certificate("c", "CN=postdated", -10, 100),
            certificate("d", "CN=postdated", 150, 400),
        ]);
        assert!(found["CN=contiguous"].lapses.is_empty());
        assert!(found["CN=postdated"].lapses.is_empty());
    }

    /// A revoked certificate covers nothing (the client should no longer use it, though MSK does
    /// not check revocation), so a rotation that leaned on one is due or missed.
    #[test]
    fn revoked_certificates_are_no_successor() {
        let mut successor = certificate("b", "CN=payments", -1, 364);
        successor.revoked_at = Some(Timestamp::from_secs(NOW));
        let found = rotations(vec![certificate("a", "CN=payments", -350, 15), successor]);
        assert_eq!(found["CN=payments"].state, State::Due);
        assert_eq!(found["CN=payments"].newest.as_ref().unwrap().serial, "a");
    }

    /// Short-lived certificates (at most 7 days) are due in their last quarter, whatever the days.
    #[test]
    fn short_lived_certificates_are_due_in_their_last_quarter() {
        let hours = |h: i64| Timestamp::from_secs(NOW + h * 3_600);
        let short = |serial: &str, subject: &str, from: i64, to: i64| IssuedCertificate {
            not_before: hours(from),
            not_after: hours(to),
            ..certificate(serial, subject, 0, 0)
        };
        let found = rotations(vec![
            short("s1", "CN=early", -100, 68),
            short("s2", "CN=late", -130, 38),
            short("s3", "CN=edge", -126, 42),
        ]);
        assert_eq!(found["CN=early"].state, State::Fine);
        assert_eq!(found["CN=late"].state, State::Due);
        // 42 of 168 hours left: exactly a quarter is not yet due
        assert_eq!(found["CN=edge"].state, State::Fine);
    }

    #[test]
    fn each_state_has_the_name_the_report_prints() {
        let names =
            [State::Fine, State::Due, State::Missed, State::Revoked].map(|state| state.as_str());
        assert_eq!(
            names,
            ["fine", "rotation due", "rotation missed", "revoked"]
        );
    }

    #[test]
    fn the_template_tells_two_identities_of_one_subject_apart() {
        let mut server = certificate("s", "CN=host", -350, 15);
        server.template =
            Some("arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1".into());
        let mut issued = Issued::default();
        issued.add(certificate("c", "CN=host", -10, 355));
        issued.add(server);
        let found = issued.rotations(Timestamp::from_secs(NOW), 30);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].state, State::Fine);
        assert_eq!(found[1].state, State::Due);
    }

    /// A sweep counts what happened in its own period, so that sweeps one period apart count each
    /// lapse and each turn once: the boundary belongs to the later sweep.
    #[test]
    fn a_sweep_counts_what_happened_since_the_last_one() {
        let found = rotations(vec![
            certificate("a", "CN=lapsed-today", -300, -1),
            certificate("b", "CN=lapsed-long-ago", -400, -40),
            certificate("c", "CN=due-today", -330, 29),
            certificate("d", "CN=due-for-days", -340, 20),
            certificate("e", "CN=fine", -10, 355),
            certificate("f", "CN=gap-today", -300, -1),
            certificate("g", "CN=gap-today", 0, 365),
        ]);
        let rotations: Vec<Rotation> = found.into_values().collect();
        let now = Timestamp::from_secs(NOW);
        let figures = SweepFigures::of(&rotations, Timestamp::from_secs(NOW - 2 * DAY), now, 30);
        assert_eq!(
            figures,
            SweepFigures {
                due: 2,
                missed: 2,
                lapses_since: 2,
                turned_since: 2,
            }
        );
        let exactly_a_day = SweepFigures::of(&rotations, Timestamp::from_secs(NOW - DAY), now, 30);
        assert_eq!(
            (exactly_a_day.lapses_since, exactly_a_day.turned_since),
            (0, 0)
        );
        let due_today = rotations
            .iter()
            .find(|r| r.identity.subject == "CN=due-today");
        assert_eq!(
            due_today.unwrap().turned_at(30),
            Some(Timestamp::from_secs(NOW - DAY))
        );
    }
}
