//! CloudWatch Logs subscription events from the brokers' log groups (`{"awslogs": {"data": …}}`,
//! the data base64 of gzip of JSON) and the Kafka lines in them that say a client was refused.
//!
//! A broker logs a refused client at INFO from its `Selector`:
//! `Failed authentication with /10.0.1.23 (channelId=…) (SSL handshake failed)`, or with the SASL
//! authenticator's reason in place of `SSL handshake failed`. The line does not say why a handshake
//! failed (no certificate, one from an untrusted CA, a TLS version mismatch read the same), and a
//! client that drops mid-handshake is logged below INFO, which MSK does not deliver.
//!
//! The payload is read as a stream: the decompressed JSON is never held whole, each log event is
//! counted as it is read, and the decompressed size is capped.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use base64::Engine;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// The phrase every refusal line holds: the stack's subscription filters keep only lines with it,
/// so the function is invoked (and paid for) only for refusals.
pub const REFUSAL_PHRASE: &str = "Failed authentication with";

/// The reasons Kafka's TLS transport gives a refused handshake; any other reason is the SASL
/// authenticator's.
const TLS_REASONS: [&str; 2] = [
    "(SSL handshake failed)",
    "(Failed to process post-handshake messages)",
];

/// Decompressed bytes read from one event at most: CloudWatch Logs sends at most 1 MB of events
/// per batch, so anything near this is a compression bomb, refused before it is read whole.
pub const MAX_DECODED_BYTES: u64 = 64 * 1024 * 1024;

/// Distinct client addresses kept per event; the rest are counted together, so a client spraying
/// from many addresses cannot grow the function's memory.
pub const MAX_ADDRESSES: usize = 10_000;

/// What a refusal line says was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The TLS handshake failed: on an mTLS listener, most often a client without a certificate
    /// the cluster's CAs signed.
    TlsHandshake,
    /// SASL (IAM or SCRAM) authentication failed.
    SaslAuthentication,
}

/// A refusal line: what was refused, and the client's address as Kafka wrote it (without the
/// leading `/` or host name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection<'a> {
    pub refusal: Refusal,
    pub address: &'a str,
}

/// The refusal a broker log line records, if it records one; any other line is `None`.
pub fn rejection(line: &str) -> Option<Rejection<'_>> {
    let (_, after) = line.split_once(REFUSAL_PHRASE)?;
    let after = after.strip_prefix(' ')?;
    let (peer, reasons) = after.split_once(' ').unwrap_or((after, ""));
    // Java's InetAddress prints `host/address`, or `/address` when no name was looked up.
    let address = peer.rsplit_once('/').map_or(peer, |(_, address)| address);
    if address.is_empty() || !reasons.trim_start().starts_with('(') {
        return None;
    }
    let refusal = if TLS_REASONS.iter().any(|reason| reasons.contains(reason)) {
        Refusal::TlsHandshake
    } else {
        Refusal::SaslAuthentication
    };
    Some(Rejection { refusal, address })
}

/// What one subscription event held.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// Log events read.
    pub lines: u64,
    pub rejected_handshakes: u64,
    pub failed_sasl_authentications: u64,
    /// Refusals per client address (at most `MAX_ADDRESSES` of them).
    pub addresses: BTreeMap<String, u64>,
    /// Refusals from addresses past `MAX_ADDRESSES`.
    pub other_addresses: u64,
}

impl Tally {
    /// Counts one broker log line: a refusal by its kind and address, any other line as read only.
    pub fn count(&mut self, line: &str) {
        self.lines += 1;
        let Some(rejection) = rejection(line) else {
            return;
        };
        match rejection.refusal {
            Refusal::TlsHandshake => self.rejected_handshakes += 1,
            Refusal::SaslAuthentication => self.failed_sasl_authentications += 1,
        }
        if let Some(count) = self.addresses.get_mut(rejection.address) {
            *count += 1;
        } else if self.addresses.len() < MAX_ADDRESSES {
            self.addresses.insert(rejection.address.to_owned(), 1);
        } else {
            self.other_addresses += 1;
        }
    }

    /// The addresses refused most, most first (ties in address order), at most `n`.
    pub fn top_addresses(&self, n: usize) -> Vec<(&str, u64)> {
        let mut top: Vec<(&str, u64)> = self
            .addresses
            .iter()
            .map(|(address, count)| (address.as_str(), *count))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        top.truncate(n);
        top
    }
}

/// `messageType`: CloudWatch Logs sends one `CONTROL_MESSAGE` when a subscription is created, to
/// check the destination is reachable; it holds no broker line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Data,
    Control,
}

/// One subscription event, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBatch {
    /// The account of the log group.
    pub owner: String,
    pub log_group: String,
    pub message_type: MessageType,
    pub tally: Tally,
}

/// Why a subscription event cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError(pub String);

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloudWatch Logs subscription event: {}", self.0)
    }
}

#[derive(Deserialize)]
struct Envelope {
    awslogs: Option<serde_json::Value>,
}

/// `None` when the payload is not a subscription event (no top-level `awslogs`); otherwise the
/// batch read, or why it cannot be.
pub fn subscription_event(payload: &str) -> Option<Result<LogBatch, BatchError>> {
    if !payload.contains("\"awslogs\"") {
        return None;
    }
    let envelope: Envelope = serde_json::from_str(payload).ok()?;
    let awslogs = envelope.awslogs?;
    Some(
        match awslogs.get("data").and_then(serde_json::Value::as_str) {
            Some(data) => read_batch(data),
            None => Err(BatchError("awslogs.data is not a string".into())),
        },
    )
}

/// Reads `awslogs.data`: base64, then gzip (at most `MAX_DECODED_BYTES`), then the JSON, counted
/// as it streams.
pub fn read_batch(data: &str) -> Result<LogBatch, BatchError> {
    read_batch_within(data, MAX_DECODED_BYTES)
}

fn read_batch_within(data: &str, max_decoded_bytes: u64) -> Result<LogBatch, BatchError> {
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| BatchError(format!("awslogs.data is not base64: {e}")))?;
    let mut limited = flate2::read::GzDecoder::new(compressed.as_slice()).take(max_decoded_bytes);
    let read = serde_json::Deserializer::from_reader(&mut limited)
        .into_iter::<RawBatch>()
        .next();
    let cut_off = limited.limit() == 0;
    match read {
        _ if cut_off => Err(BatchError(format!(
            "awslogs.data decompresses to more than {} MiB: refused unread",
            max_decoded_bytes / (1024 * 1024)
        ))),
        None => Err(BatchError("awslogs.data holds no JSON".into())),
        Some(Err(e)) if e.is_io() => Err(BatchError(format!("awslogs.data is not gzip: {e}"))),
        Some(Err(e)) => Err(BatchError(format!(
            "awslogs.data is not the JSON CloudWatch Logs sends: {e}"
        ))),
        Some(Ok(raw)) => raw.into_batch(),
    }
}

/// The JSON of a subscription event, its log events counted as they are read.
#[derive(Default)]
struct RawBatch {
    owner: Option<String>,
    log_group: Option<String>,
    message_type: Option<String>,
    tally: Option<Tally>,
}

impl RawBatch {
    fn into_batch(self) -> Result<LogBatch, BatchError> {
        let missing = |key: &str| BatchError(format!("the decoded event has no {key}"));
        let message_type = match self.message_type.as_deref() {
            Some("DATA_MESSAGE") => MessageType::Data,
            Some("CONTROL_MESSAGE") => MessageType::Control,
            Some(other) => {
                return Err(BatchError(format!(
                    "messageType {other:?} is not DATA_MESSAGE or CONTROL_MESSAGE"
                )))
            }
            None => return Err(missing("messageType")),
        };
        let tally = match (message_type, self.tally) {
            (_, Some(tally)) => tally,
            (MessageType::Control, None) => Tally::default(),
            (MessageType::Data, None) => return Err(missing("logEvents")),
        };
        Ok(LogBatch {
            owner: self.owner.ok_or_else(|| missing("owner"))?,
            log_group: self.log_group.ok_or_else(|| missing("logGroup"))?,
            message_type,
            tally,
        })
    }
}

impl<'de> Deserialize<'de> for RawBatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(BatchVisitor)
    }
}

struct BatchVisitor;

impl<'de> Visitor<'de> for BatchVisitor {
    type Value = RawBatch;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudWatch Logs subscription object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<RawBatch, M::Error> {
        let mut batch = RawBatch::default();
        while let Some(key) = map.next_key::<String>()? {
            let twice = match key.as_str() {
                "owner" => batch.owner.replace(map.next_value()?).is_some(),
                "logGroup" => batch.log_group.replace(map.next_value()?).is_some(),
                "messageType" => batch.message_type.replace(map.next_value()?).is_some(),
                "logEvents" => batch
                    .tally
                    .replace(map.next_value::<CountedEvents>()?.0)
                    .is_some(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    false
                }
            };
            if twice {
                return Err(de::Error::custom(format!("{key} is given twice")));
            }
        }
        Ok(batch)
    }
}

/// `logEvents`, counted one by one: no event is kept.
struct CountedEvents(Tally);

impl<'de> Deserialize<'de> for CountedEvents {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EventsVisitor)
    }
}

struct EventsVisitor;

#[derive(Deserialize)]
struct LogEvent {
    message: String,
}

impl<'de> Visitor<'de> for EventsVisitor {
    type Value = CountedEvents;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of log events")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut events: S) -> Result<CountedEvents, S::Error> {
        let mut tally = Tally::default();
        while let Some(event) = events.next_element::<LogEvent>()? {
            tally.count(&event.message);
        }
        Ok(CountedEvents(tally))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;

    use super::*;

    const TLS_LINE: &str = "[2026-12-03 05:30:00,123] INFO [SocketServer listenerType=ZK_BROKER, nodeId=2] Failed authentication with /10.0.1.23 (channelId=10.0.0.7:9094-10.0.1.23:51234-12) (SSL handshake failed) (org.apache.kafka.common.network.Selector)";

    fn encoded(json: &serde_json::Value) -> String {
        encoded_bytes(json.to_string().as_bytes())
    }

    fn encoded_bytes(bytes: &[u8]) -> String {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(bytes).unwrap();
        base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap())
    }

    fn event(messages: &[&str]) -> serde_json::Value {
        json!({
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": "/msk/payments",
            "logStream": "Broker-2",
            "subscriptionFilters": ["msk-mtls-rule-rejections"],
            "logEvents": messages.iter().enumerate()
                .map(|(i, message)| json!({"id": i.to_string(), "timestamp": 1_764_739_800_000_u64, "message": message}))
                .collect::<Vec<_>>(),
        })
    }

    #[test]
    fn kafkas_refusal_lines_are_told_apart_and_other_lines_count_as_nothing() {
        let cases = [
            (TLS_LINE, Some((Refusal::TlsHandshake, "10.0.1.23"))),
            // Kafka before channelId was logged, an IPv6 peer, a resolved host name.
            ("INFO [SocketServer brokerId=0] Failed authentication with /0:0:0:0:0:0:0:1 (SSL handshake failed) (org.apache.kafka.common.network.Selector)", Some((Refusal::TlsHandshake, "0:0:0:0:0:0:0:1"))),
            ("INFO Failed authentication with client.example/10.2.0.9 (channelId=x) (Failed to process post-handshake messages) (Selector)", Some((Refusal::TlsHandshake, "10.2.0.9"))),
            ("INFO [SocketServer listenerType=BROKER, nodeId=1] Failed authentication with /172.20.0.4 (channelId=172.20.0.2:9096-172.20.0.4:33076-4-3) (Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512) (org.apache.kafka.common.network.Selector)", Some((Refusal::SaslAuthentication, "172.20.0.4"))),
            ("INFO [SocketServer brokerId=1] Failed authentication with /10.130.2.58 (Unexpected Kafka request of type METADATA during SASL handshake.) (org.apache.kafka.common.network.Selector)", Some((Refusal::SaslAuthentication, "10.130.2.58"))),
            ("INFO [SocketServer brokerId=1] Successfully authenticated with /10.0.1.23", None),
            ("WARN Failed authentication with", None),
            ("Failed authentication with / (SSL handshake failed)", None),
            ("Failed authentication with /10.0.0.1", None),
            ("", None),
        ];
        for (line, expected) in cases {
            let got = rejection(line).map(|r| (r.refusal, r.address));
            assert_eq!(got, expected, "{line}");
        }
    }

    #[test]
    fn a_data_message_is_counted_per_kind_and_address() {
        let sasl = "Failed authentication with /10.0.1.40 (channelId=a) (Authentication failed: Invalid username or password)";
        let payload = json!({"awslogs": {"data": encoded(&event(&[TLS_LINE, TLS_LINE, sasl, "INFO unrelated"]))}});
        let batch = subscription_event(&payload.to_string()).unwrap().unwrap();
        assert_eq!(batch.log_group, "/msk/payments");
        assert_eq!(batch.owner, "123456789012");
        assert_eq!(batch.message_type, MessageType::Data);
        assert_eq!(
            batch.tally,
            Tally {
                lines: 4,
                rejected_handshakes: 2,
                failed_sasl_authentications: 1,
                addresses: BTreeMap::from([("10.0.1.23".into(), 2), ("10.0.1.40".into(), 1)]),
                other_addresses: 0,
            }
        );
        assert_eq!(batch.tally.top_addresses(1), [("10.0.1.23", 2)]);
    }

    #[test]
    fn a_control_message_holds_nothing_to_count() {
        let control = json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
            "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda."}]});
        let batch = read_batch(&encoded(&control)).unwrap();
        assert_eq!(batch.message_type, MessageType::Control);
        assert_eq!(
            batch.tally.rejected_handshakes + batch.tally.failed_sasl_authentications,
            0
        );
    }

    #[test]
    fn other_payloads_are_not_subscription_events() {
        for payload in [
            "{}",
            r#"{"invokingEvent":"{}"}"#,
            r#"{"detail":{"awslogs":1}}"#,
            "not json \"awslogs\"",
        ] {
            assert!(subscription_event(payload).is_none(), "{payload}");
        }
        for payload in [
            r#"{"awslogs":{"data":17}}"#,
            r#"{"awslogs":{}}"#,
            r#"{"awslogs":"x"}"#,
        ] {
            let error = subscription_event(payload)
                .unwrap()
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("awslogs.data is not a string"),
                "{payload}: {error}"
            );
        }
    }

    #[test]
    fn malformed_payloads_are_errors_that_say_what_is_wrong() {
        let no_group = {
            let mut batch = event(&[TLS_LINE]);
            batch.as_object_mut().unwrap().remove("logGroup");
            batch
        };
        let cases = [
            ("%%%".to_owned(), "is not base64"),
            (
                base64::engine::general_purpose::STANDARD.encode(b"plain text"),
                "is not gzip",
            ),
            (
                encoded_bytes(b"[1, 2]"),
                "is not the JSON CloudWatch Logs sends: invalid type: sequence, expected a CloudWatch Logs subscription object",
            ),
            (
                encoded_bytes(br#"{"logEvents": {}}"#),
                "expected a list of log events",
            ),
            (encoded_bytes(b""), "holds no JSON"),
            (encoded(&no_group), "has no logGroup"),
            (
                encoded(&json!({"messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "g"})),
                "has no logEvents",
            ),
            (
                encoded(
                    &json!({"messageType": "DATA", "owner": "1", "logGroup": "g", "logEvents": []}),
                ),
                "messageType \"DATA\"",
            ),
            (
                encoded_bytes(br#"{"logGroup": "a", "logGroup": "b"}"#),
                "logGroup is given twice",
            ),
            (
                encoded(
                    &json!({"messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "g", "logEvents": [{"id": "1"}]}),
                ),
                "missing field `message`",
            ),
        ];
        for (data, expected) in cases {
            let payload = json!({"awslogs": {"data": data}}).to_string();
            let error = subscription_event(&payload)
                .unwrap()
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }

    /// A small payload that decompresses past the cap is refused, without being read whole.
    #[test]
    fn a_compression_bomb_is_refused() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(b"{\"logEvents\": [").unwrap();
        gzip.write_all(&[b' '; 2 * 1024 * 1024]).unwrap();
        let data = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
        assert!(data.len() < 16 * 1024, "{}", data.len());
        let error = read_batch_within(&data, 1024 * 1024)
            .unwrap_err()
            .to_string();
        assert!(error.contains("decompresses to more than 1 MiB"), "{error}");
        assert!(read_batch(&data)
            .unwrap_err()
            .to_string()
            .contains("is not the JSON"));
    }

    #[test]
    fn addresses_past_the_cap_are_counted_together() {
        let mut tally = Tally::default();
        for i in 0..MAX_ADDRESSES + 3 {
            tally.count(&format!(
                "Failed authentication with /fd00::{i:x} (SSL handshake failed)"
            ));
        }
        assert_eq!(tally.addresses.len(), MAX_ADDRESSES);
        assert_eq!(tally.other_addresses, 3);
        assert_eq!(tally.rejected_handshakes, MAX_ADDRESSES as u64 + 3);
    }
}
