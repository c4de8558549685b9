//! Client certificates rotated before they lapse, for the CAs the clusters trust: each CA's newest
//! audit report found in its bucket (there is no API listing them), a new one asked for when it is
//! older than the settings allow (one per CA per 30 minutes, shared by the sweep and the command
//! line), and read as a stream into each identity's rotation.

use std::time::Duration;

use crate::aws::ports::{AuditReports, ReportRequest, ReportStatus, StoredReport};
use crate::error::RuleError;
use crate::rule::rotation::Rotation;
use crate::rule::time::Timestamp;

/// The variables the template sets; without a bucket, rotations are not watched.
pub const BUCKET_VARIABLE: &str = "AUDIT_REPORT_BUCKET";
pub const MAX_AGE_VARIABLE: &str = "AUDIT_REPORT_MAX_AGE_HOURS";
pub const EXPIRY_DAYS_VARIABLE: &str = "CLIENT_CERTIFICATE_EXPIRY_DAYS";
pub const SWEEP_PERIOD_VARIABLE: &str = "SWEEP_FREQUENCY";

/// How the sweep watches rotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSettings {
    pub bucket: String,
    /// A report older than this is replaced by a new one.
    pub max_report_age_secs: i64,
    /// Days before expiry a rotation is due (short-lived certificates: their last quarter).
    pub due_days: i64,
    /// The time between two sweeps (Config's `MaximumExecutionFrequency`): what happened within it
    /// is what a sweep counts and alerts on.
    pub sweep_period_secs: i64,
}

impl RotationSettings {
    /// `None` when no bucket is set (rotations not watched); an error naming a variable that is
    /// set but invalid.
    pub fn from_variables(env: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let Some(bucket) = env(BUCKET_VARIABLE).filter(|bucket| !bucket.is_empty()) else {
            return Ok(None);
        };
        let number =
            |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| match env(name)
                .filter(|value| !value.is_empty())
            {
                None => Ok(default),
                Some(value) => value
                    .parse::<i64>()
                    .ok()
                    .filter(|number| range.contains(number))
                    .ok_or_else(|| {
                        format!("{name}={value:?} is not a whole number from {range:?}")
                    }),
            };
        let sweep_hours = match env(SWEEP_PERIOD_VARIABLE).as_deref() {
            None | Some("TwentyFour_Hours") => 24,
            Some("Twelve_Hours") => 12,
            Some("Six_Hours") => 6,
            Some("Three_Hours") => 3,
            Some("One_Hour") => 1,
            Some(other) => {
                return Err(format!(
                    "{SWEEP_PERIOD_VARIABLE}={other:?} is not a Config MaximumExecutionFrequency"
                ))
            }
        };
        Ok(Some(RotationSettings {
            bucket,
            max_report_age_secs: number(MAX_AGE_VARIABLE, sweep_hours, 1..=720)? * 3_600,
            due_days: number(EXPIRY_DAYS_VARIABLE, 30, 1..=365)?,
            sweep_period_secs: sweep_hours * 3_600,
        }))
    }
}

/// One CA's rotations, or why they were not judged (said out loud: never read as none due).
#[derive(Debug)]
pub enum Watched {
    Judged {
        report: StoredReport,
        certificates: usize,
        rotations: Vec<Rotation>,
        /// A newer report was asked for (this one is older than the settings allow, or the new
        /// one was not written in time): the next sweep reads it.
        newer_requested: bool,
    },
    /// No report yet: one was asked for, and the next sweep reads it.
    Waiting,
    Unread(RuleError),
}

/// How long a sweep waits for a report it asked for before reading the one it has (ACM Private CA
/// writes a report of a few thousand certificates in seconds).
pub const REPORT_WAIT: Duration = Duration::from_secs(10);
const REPORT_POLL: Duration = Duration::from_secs(2);

/// The CA's newest report, replaced by a new one when it is older than the settings allow (waited
/// for up to `wait`), read into each identity's rotation at `now`.
pub async fn watch_ca<R: AuditReports>(
    reports: &R,
    settings: &RotationSettings,
    ca_arn: &str,
    now: Timestamp,
    wait: Duration,
) -> Watched {
    match newest_report(reports, settings, ca_arn, now, wait).await {
        Err(error) => Watched::Unread(error),
        Ok((None, _)) => Watched::Waiting,
        Ok((Some(report), newer_requested)) => match reports.read_report(&report).await {
            Err(error) => Watched::Unread(error),
            Ok(issued) => Watched::Judged {
                certificates: issued.certificates(),
                rotations: issued.rotations(now, settings.due_days),
                report,
                newer_requested,
            },
        },
    }
}

/// The report to read (the newest, or one asked for and written within `wait`), and whether a
/// newer one is still being written.
async fn newest_report<R: AuditReports>(
    reports: &R,
    settings: &RotationSettings,
    ca_arn: &str,
    now: Timestamp,
    wait: Duration,
) -> Result<(Option<StoredReport>, bool), RuleError> {
    let found = reports.newest_report(&settings.bucket, ca_arn).await?;
    let fresh =
        |report: &StoredReport| now.secs() - report.written.secs() <= settings.max_report_age_secs;
    if found.as_ref().is_some_and(fresh) {
        return Ok((found, false));
    }
    let report_id = match reports.request_report(&settings.bucket, ca_arn).await? {
        ReportRequest::AlreadyInProgress => return Ok((found, true)),
        ReportRequest::Requested { report_id } => report_id,
    };
    let written = async {
        loop {
            match reports.report_status(ca_arn, &report_id).await? {
                ReportStatus::Written(report) => return Ok(report),
                ReportStatus::Failed => {
                    return Err(RuleError::aws(
                        "CreateCertificateAuthorityAuditReport",
                        format!(
                            "ACM Private CA could not write report {report_id} to bucket {}: its \
                             bucket policy must let acm-pca.amazonaws.com put objects (and a KMS \
                             key, encrypt with it)",
                            settings.bucket
                        ),
                    ))
                }
                ReportStatus::Creating => tokio::time::sleep(REPORT_POLL).await,
            }
        }
    };
    match tokio::time::timeout(wait, written).await {
        Ok(written) => Ok((Some(written?), false)),
        Err(_) => Ok((found, true)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::rule::rotation::{Issued, IssuedCertificate, State};

    const CA: &str = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/ca-1";
    const HOUR: i64 = 3_600;
    const NOW: i64 = 1_800_000_000;

    fn settings() -> RotationSettings {
        RotationSettings {
            bucket: "audit".into(),
            max_report_age_secs: 24 * HOUR,
            due_days: 30,
            sweep_period_secs: 24 * HOUR,
        }
    }

    fn stored(key: &str, hours_old: i64) -> StoredReport {
        StoredReport {
            bucket: "audit".into(),
            key: key.into(),
            written: Timestamp::from_secs(NOW - hours_old * HOUR),
        }
    }

    /// A bucket and a CA in memory: what is found, what a request answers, the statuses in turn,
    /// and every call made.
    struct Reports {
        found: Option<StoredReport>,
        request: ReportRequest,
        statuses: Mutex<Vec<ReportStatus>>,
        calls: Mutex<Vec<String>>,
    }

    impl Reports {
        fn new(
            found: Option<StoredReport>,
            request: ReportRequest,
            statuses: Vec<ReportStatus>,
        ) -> Self {
            Reports {
                found,
                request,
                statuses: Mutex::new(statuses),
                calls: Mutex::new(Vec::new()),
            }
        }

        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl AuditReports for Reports {
        async fn newest_report(&self, _: &str, _: &str) -> Result<Option<StoredReport>, RuleError> {
            self.calls.lock().unwrap().push("list".into());
            Ok(self.found.clone())
        }

        async fn request_report(&self, _: &str, _: &str) -> Result<ReportRequest, RuleError> {
            self.calls.lock().unwrap().push("request".into());
            Ok(self.request.clone())
        }

        async fn report_status(&self, _: &str, _: &str) -> Result<ReportStatus, RuleError> {
            self.calls.lock().unwrap().push("status".into());
            Ok(self.statuses.lock().unwrap().remove(0))
        }

        async fn read_report(&self, report: &StoredReport) -> Result<Issued, RuleError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("read {}", report.key));
            let mut issued = Issued::default();
            issued.add(IssuedCertificate {
                serial: "01".into(),
                subject: "CN=orders".into(),
                template: None,
                not_before: Timestamp::from_secs(NOW - 340 * 24 * HOUR),
                not_after: Timestamp::from_secs(NOW + 25 * 24 * HOUR),
                revoked_at: None,
            });
            Ok(issued)
        }
    }

    async fn watch(reports: &Reports) -> Watched {
        watch_ca(
            reports,
            &settings(),
            CA,
            Timestamp::from_secs(NOW),
            Duration::ZERO,
        )
        .await
    }

    #[tokio::test]
    async fn a_fresh_report_is_read_without_asking_for_another() {
        let reports = Reports::new(
            Some(stored("r1.json", 23)),
            ReportRequest::AlreadyInProgress,
            vec![],
        );
        let Watched::Judged {
            rotations,
            newer_requested,
            ..
        } = watch(&reports).await
        else {
            panic!("not judged")
        };
        assert_eq!(rotations[0].state, State::Due);
        assert!(!newer_requested);
        assert_eq!(reports.calls(), ["list", "read r1.json"]);
    }

    #[tokio::test]
    async fn a_stale_report_is_read_while_a_new_one_is_written() {
        let requested = ReportRequest::Requested {
            report_id: "r2".into(),
        };
        let reports = Reports::new(
            Some(stored("r1.json", 25)),
            requested,
            vec![ReportStatus::Creating],
        );
        let Watched::Judged {
            report,
            newer_requested,
            ..
        } = watch(&reports).await
        else {
            panic!("not judged")
        };
        assert_eq!((report.key.as_str(), newer_requested), ("r1.json", true));
        assert_eq!(
            reports.calls(),
            ["list", "request", "status", "read r1.json"]
        );
    }

    #[tokio::test]
    async fn a_new_report_written_in_time_is_the_one_read() {
        let requested = ReportRequest::Requested {
            report_id: "r2".into(),
        };
        let written = ReportStatus::Written(stored("r2.json", 0));
        let reports = Reports::new(None, requested, vec![written]);
        let Watched::Judged {
            report,
            newer_requested,
            ..
        } = watch(&reports).await
        else {
            panic!("not judged")
        };
        assert_eq!((report.key.as_str(), newer_requested), ("r2.json", false));
    }

    /// The sweep waits for the report it asked for, polling, and reads it once written; past its
    /// wait it reads the one it has.
    #[tokio::test(start_paused = true)]
    async fn a_new_report_is_waited_for_and_read_once_written() {
        let settings = settings();
        let requested = ReportRequest::Requested {
            report_id: "r2".into(),
        };
        let statuses = vec![
            ReportStatus::Creating,
            ReportStatus::Creating,
            ReportStatus::Written(stored("r2.json", 0)),
        ];
        let reports = Reports::new(Some(stored("r1.json", 30)), requested.clone(), statuses);
        let waited = watch_ca(
            &reports,
            &settings,
            CA,
            Timestamp::from_secs(NOW),
            REPORT_WAIT,
        );
        let Watched::Judged { report, .. } = waited.await else {
            panic!("not judged")
        };
        assert_eq!(report.key, "r2.json");
        assert_eq!(
            reports.calls(),
            [
                "list",
                "request",
                "status",
                "status",
                "status",
                "read r2.json"
            ]
        );
        let statuses = vec![ReportStatus::Creating; 3];
        let reports = Reports::new(Some(stored("r1.json", 30)), requested, statuses);
        let short = Duration::from_secs(3);
        let waited = watch_ca(&reports, &settings, CA, Timestamp::from_secs(NOW), short);
        let Watched::Judged {
            report,
            newer_requested,
            ..
        } = waited.await
        else {
            panic!("not judged")
        };
        assert_eq!((report.key.as_str(), newer_requested), ("r1.json", true));
        assert_eq!(
            reports.calls(),
            ["list", "request", "status", "status", "read r1.json"]
        );
    }

    #[tokio::test]
    async fn no_report_yet_is_waiting_and_a_failed_one_is_unread() {
        let in_progress = Reports::new(None, ReportRequest::AlreadyInProgress, vec![]);
        assert!(matches!(watch(&in_progress).await, Watched::Waiting));
        let requested = ReportRequest::Requested {
            report_id: "r2".into(),
        };
        let failed = Reports::new(None, requested, vec![ReportStatus::Failed]);
        let Watched::Unread(error) = watch(&failed).await else {
            panic!("a failed report is not unread")
        };
        assert!(error.to_string().contains("bucket policy"), "{error}");
    }

    #[test]
    fn settings_come_from_the_environment_or_are_off() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(RotationSettings::from_variables(env(&[])), Ok(None));
        assert_eq!(
            RotationSettings::from_variables(env(&[(BUCKET_VARIABLE, "")])),
            Ok(None)
        );
        assert_eq!(
            RotationSettings::from_variables(env(&[
                (BUCKET_VARIABLE, "audit"),
                (MAX_AGE_VARIABLE, ""),
                (EXPIRY_DAYS_VARIABLE, "")
            ])),
            Ok(Some(settings())),
            "an empty number is its default (the template's 0 hours)"
        );
        assert_eq!(
            RotationSettings::from_variables(env(&[
                (BUCKET_VARIABLE, "audit"),
                (SWEEP_PERIOD_VARIABLE, "Six_Hours")
            ])),
            Ok(Some(RotationSettings {
                max_report_age_secs: 6 * HOUR,
                sweep_period_secs: 6 * HOUR,
                ..settings()
            }))
        );
        for bad in [
            (MAX_AGE_VARIABLE, "0"),
            (EXPIRY_DAYS_VARIABLE, "x"),
            (SWEEP_PERIOD_VARIABLE, "Daily"),
        ] {
            let pairs: &'static [(&str, &str)] =
                Box::leak(Box::new([(BUCKET_VARIABLE, "audit"), bad]));
            let error = RotationSettings::from_variables(env(pairs)).unwrap_err();
            assert!(error.contains(bad.0), "{error}");
        }
    }
}
