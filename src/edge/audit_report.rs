//! An ACM Private CA audit report in JSON (`CreateCertificateAuthorityAuditReport` with
//! `--audit-report-response-format JSON`): a list of every certificate the CA issued, read as a
//! stream, one certificate at a time, into `Issued`.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::rule::rotation::{Issued, IssuedCertificate};
use crate::rule::time::Timestamp;

/// Why a report cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError(pub String);

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "audit report: {}", self.0)
    }
}

/// Reads a report from `reader`: every certificate, or the first thing that is wrong (with the
/// certificate's place in the list); a CSV report is refused with what to ask for instead.
pub fn read_report(reader: impl Read) -> Result<Issued, ReportError> {
    let mut reader = std::io::BufReader::new(reader);
    let mut deserializer = serde_json::Deserializer::from_reader(&mut reader);
    let issued = CertificateList
        .deserialize(&mut deserializer)
        .map_err(|e| match e.classify() {
            serde_json::error::Category::Syntax if e.line() == 1 && e.column() <= 1 => ReportError(
                "not JSON: a CSV report? ask for JSON (--audit-report-response-format JSON)".into(),
            ),
            serde_json::error::Category::Eof => {
                ReportError(format!("it ends early (truncated?): {e}"))
            }
            _ => ReportError(e.to_string()),
        })?;
    deserializer
        .end()
        .map_err(|e| ReportError(format!("more after the list: {e}")))?;
    Ok(issued)
}

/// The report's list, each certificate added to `Issued` as it is read.
struct CertificateList;

impl<'de> DeserializeSeed<'de> for CertificateList {
    type Value = Issued;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Issued, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CertificateList {
    type Value = Issued;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of certificates")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut list: S) -> Result<Issued, S::Error> {
        let mut issued = Issued::default();
        while let Some(record) = list.next_element::<Record>()? {
            let place = issued.certificates() + 1;
            let certificate = record
                .certificate()
                .map_err(|why| de::Error::custom(format!("certificate {place}: {why}")))?;
            issued.add(certificate);
        }
        Ok(issued)
    }
}

/// One certificate as the report writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    serial: Option<String>,
    subject: Option<String>,
    not_before: Option<String>,
    not_after: Option<String>,
    revoked_at: Option<String>,
    template_arn: Option<String>,
}

impl Record {
    fn certificate(self) -> Result<IssuedCertificate, String> {
        let missing = |key: &str| format!("no {key}");
        let serial = self.serial.ok_or_else(|| missing("serial"))?;
        let time = |key: &str, text: Option<String>| -> Result<Option<Timestamp>, String> {
            text.filter(|text| !text.is_empty())
                .map(|text| report_time(key, &text))
                .transpose()
        };
        Ok(IssuedCertificate {
            subject: self.subject.ok_or_else(|| missing("subject"))?,
            template: self.template_arn.filter(|arn| !arn.is_empty()),
            not_before: time("notBefore", self.not_before)?.ok_or_else(|| missing("notBefore"))?,
            not_after: time("notAfter", self.not_after)?.ok_or_else(|| missing("notAfter"))?,
            revoked_at: time("revokedAt", self.revoked_at)?,
            serial,
        })
    }
}

/// The report's times, `2018-02-26T18:39:57+0000`: RFC 3339 but for the offset's colon (taken
/// either way, and `Z`); fractions of a second are dropped.
fn report_time(key: &str, text: &str) -> Result<Timestamp, String> {
    parse_offset_time(text).ok_or_else(|| format!("{key} {text:?} is not a time"))
}

/// An RFC 3339 time, or one whose offset lacks its colon (`+0000`), as the reports write them.
pub fn parse_offset_time(text: &str) -> Option<Timestamp> {
    let (date, rest) = text.split_once('T')?;
    let mut date = date.splitn(3, '-');
    let year: i64 = date.next()?.parse().ok()?;
    let month: u32 = date.next()?.parse().ok()?;
    let day: u32 = date.next()?.parse().ok()?;
    let offset_at = rest.find(['Z', '+', '-'])?;
    let (clock, offset) = rest.split_at(offset_at);
    let clock = clock.split_once('.').map_or(clock, |(whole, _)| whole);
    let mut clock = clock.splitn(3, ':');
    let hour: u32 = clock.next()?.parse().ok()?;
    let minute: u32 = clock.next()?.parse().ok()?;
    let second: u32 = clock.next()?.parse().ok()?;
    let offset_secs = match offset {
        "Z" => 0,
        _ => {
            let digits = offset[1..].replace(':', "");
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let minutes =
                digits[..2].parse::<i64>().ok()? * 60 + digits[2..].parse::<i64>().ok()?;
            if offset.starts_with('-') {
                -minutes * 60
            } else {
                minutes * 60
            }
        }
    };
    let local = Timestamp::from_utc(year, month, day, hour, minute, second)?;
    Some(Timestamp::from_secs(local.secs() - offset_secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::rotation::State;

    /// The example of the Private CA user guide's audit report page, in its shape.
    const REPORT: &str = r#"[{ "awsAccountId": "123456789012", "certificateArn": "arn:aws:acm-pca:region:account:certificate-authority/CA_ID/certificate/e8cbd2bedb122329f97706bcfec990f8", "serial": "e8:cb:d2:be:db:12:23:29:f9:77:06:bc:fe:c9:90:f8", "subject": "1.2.840.113549.1.9.1=#161173616c6573406578616d706c652e636f6d,,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US", "notBefore": "2018-02-26T18:39:57+0000", "notAfter": "2019-02-26T19:39:57+0000", "issuedAt": "2018-02-26T19:39:58+0000", "revokedAt": "2018-02-26T20:00:36+0000", "revocationReason": "KEY_COMPROMISE" },
        { "awsAccountId": "123456789012", "requestedByServicePrincipal": "", "certificateArn": "arn:aws:acm-pca:region:account:certificate-authority/CA_ID/certificate/2bae9a75d71b42b4e41e36f8b4b488fc", "serial": "2b:ae:9a:75:d7:1b:42:b4:e4:1e:36:f8:b4:b4:88:fc", "subject": "CN=orders,OU=Sales,O=Example Company", "notBefore": "2018-01-22T20:10:49+0000", "notAfter": "2019-01-17T21:10:49+0000", "issuedAt": "2018-01-22T21:10:49+0000", "revokedAt": "", "templateArn": "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1" }]"#;

    #[test]
    fn the_documented_report_is_read() {
        let issued = read_report(REPORT.as_bytes()).unwrap();
        assert_eq!(issued.certificates(), 2);
        let now = report_time("t", "2019-01-01T00:00:00+0000").unwrap();
        let rotations = issued.rotations(now, 30);
        let orders = rotations
            .iter()
            .find(|rotation| rotation.identity.subject.starts_with("CN=orders"))
            .unwrap();
        assert_eq!(orders.state, State::Due);
        assert_eq!(
            orders.identity.template.as_deref(),
            Some("arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1")
        );
        assert_eq!(
            orders.newest.as_ref().unwrap().not_after.to_string(),
            "2019-01-17T21:10:49Z"
        );
        assert!(rotations
            .iter()
            .any(|rotation| rotation.state == State::Revoked));
    }

    #[test]
    fn report_times_take_an_offset_with_or_without_its_colon() {
        for (text, expected) in [
            ("2018-02-26T18:39:57+0000", "2018-02-26T18:39:57Z"),
            ("2018-02-26T18:39:57+02:00", "2018-02-26T16:39:57Z"),
            ("2018-02-26T18:39:57-0130", "2018-02-26T20:09:57Z"),
            ("2018-02-26T18:39:57Z", "2018-02-26T18:39:57Z"),
        ] {
            assert_eq!(
                report_time("t", text).unwrap().to_string(),
                expected,
                "{text}"
            );
        }
        assert!(report_time("notAfter", "26/02/2018")
            .unwrap_err()
            .contains("notAfter"));
        for wrong in [
            "2018-02-26T18:39:57+000000",
            "2018-02-26T18:39:57+00",
            "2018-02-26T18:39:57+0a:00",
            "2018-02-26T18:39:57",
            "2018-02-30T18:39:57Z",
        ] {
            assert_eq!(parse_offset_time(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn what_is_wrong_is_named() {
        let csv =
            "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject\n1,,a,b,c\n";
        let cases = [
            (csv, "a CSV report?"),
            ("[{\"serial\": \"a\", \"subject\": \"CN=x\", \"notBefore\": \"2018-01-22T20:10:49+0000\"}]", "certificate 1: no notAfter"),
            ("[{\"subject\": \"CN=x\"}]", "certificate 1: no serial"),
            ("[{\"serial\": \"a\", \"subject\": \"CN=x\", \"notBefore\": \"yesterday\", \"notAfter\": \"\"}]", "notBefore \"yesterday\" is not a time"),
            ("[{\"serial\": \"a\"", "ends early"),
            ("[] []", "more after the list"),
            ("{}", "invalid type: map, expected a list of certificates"),
            // JSON that breaks later than its first character is not taken for CSV
            ("[{\"serial\": \"a\",}]", "trailing comma at line 1 column 17"),
            ("[\n}", "expected value at line 2 column 1"),
        ];
        for (text, expected) in cases {
            let error = read_report(text.as_bytes()).unwrap_err().to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
        assert_eq!(read_report("[]".as_bytes()).unwrap().certificates(), 0);
    }
}
