//! The Kafka requests the probe sends: `ApiVersions` v0, which every broker answers before any
//! authentication, and `Metadata` v1 for no topic, which a SASL listener answers only after
//! authentication (so an answer before it is a door). Neither reads a topic nor writes anything.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Kafka's API key for ApiVersions.
const API_VERSIONS: i16 = 18;
/// Kafka's API key for Metadata.
const METADATA: i16 = 3;
const CLIENT_ID: &str = "msk-mtls-rule-probe";
/// An ApiVersions answer lists some hundred APIs in a few kilobytes; more is not Kafka.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The size-prefixed request: header v1 (api key, version 0, correlation id, client id), no body.
pub fn api_versions_request(correlation_id: i32) -> Vec<u8> {
    request(API_VERSIONS, 0, correlation_id, &[])
}

/// Metadata v1 with an empty topic list, which asks for no topic (v1's "all topics" is null): the
/// answer names the brokers only.
pub fn metadata_request(correlation_id: i32) -> Vec<u8> {
    request(METADATA, 1, correlation_id, &0i32.to_be_bytes())
}

fn request(api_key: i16, version: i16, correlation_id: i32, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&api_key.to_be_bytes());
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&correlation_id.to_be_bytes());
    body.extend_from_slice(&(CLIENT_ID.len() as i16).to_be_bytes());
    body.extend_from_slice(CLIENT_ID.as_bytes());
    body.extend_from_slice(payload);
    let mut request = (body.len() as i32).to_be_bytes().to_vec();
    request.extend_from_slice(&body);
    request
}

/// What came back after the request.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// A Kafka response with our correlation id.
    Kafka,
    /// Bytes, but not a Kafka response to our request.
    NotKafka,
}

/// Reads one answer: a Kafka response is a 4-byte size, then the correlation id we sent.
pub async fn read_answer<S: AsyncRead + Unpin>(
    stream: &mut S,
    correlation_id: i32,
) -> std::io::Result<Answer> {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await?;
    let size = i32::from_be_bytes(size);
    if !(4..=MAX_ANSWER_BYTES as i32).contains(&size) {
        return Ok(Answer::NotKafka);
    }
    let mut correlation = [0u8; 4];
    stream.read_exact(&mut correlation).await?;
    Ok(if i32::from_be_bytes(correlation) == correlation_id {
        Answer::Kafka
    } else {
        Answer::NotKafka
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_api_versions_v0_with_its_size_and_correlation_id() {
        let request = api_versions_request(0x0102_0304);
        assert_eq!(&request[..4], &(request.len() as i32 - 4).to_be_bytes());
        assert_eq!(&request[4..6], &[0, 18], "ApiVersions");
        assert_eq!(&request[6..8], &[0, 0], "version 0");
        assert_eq!(&request[8..12], &[1, 2, 3, 4]);
        assert_eq!(&request[12..14], &(CLIENT_ID.len() as i16).to_be_bytes());
        assert_eq!(&request[14..], CLIENT_ID.as_bytes());
    }

    #[test]
    fn the_metadata_request_is_v1_for_no_topic() {
        let request = metadata_request(7);
        assert_eq!(&request[..4], &(request.len() as i32 - 4).to_be_bytes());
        assert_eq!(&request[4..6], &[0, 3], "Metadata");
        assert_eq!(&request[6..8], &[0, 1], "version 1");
        assert_eq!(&request[8..12], &[0, 0, 0, 7]);
        assert_eq!(
            &request[request.len() - 4..],
            &[0, 0, 0, 0],
            "an empty topic list"
        );
    }

    #[tokio::test]
    async fn an_answer_is_kafka_only_with_a_plausible_size_and_our_correlation_id() {
        let answer = |size: i32, correlation: i32| {
            let mut bytes = size.to_be_bytes().to_vec();
            bytes.extend_from_slice(&correlation.to_be_bytes());
            bytes.extend_from_slice(&[0, 0]);
            bytes
        };
        let read = |bytes: Vec<u8>| async move { read_answer(&mut bytes.as_slice(), 7).await };
        assert_eq!(read(answer(6, 7)).await.unwrap(), Answer::Kafka);
        assert_eq!(read(answer(6, 8)).await.unwrap(), Answer::NotKafka);
        assert_eq!(read(answer(0, 7)).await.unwrap(), Answer::NotKafka);
        assert_eq!(read(answer(1 << 20, 7)).await.unwrap(), Answer::NotKafka);
        assert_eq!(read(answer(64 * 1024, 7)).await.unwrap(), Answer::Kafka);
        assert_eq!(
            read(answer(64 * 1024 + 1, 7)).await.unwrap(),
            Answer::NotKafka
        );
        assert_eq!(
            read(b"HTTP/1.1 400 Bad".to_vec()).await.unwrap(),
            Answer::NotKafka
        );
        assert!(
            read(vec![0, 0]).await.is_err(),
            "a short read is an I/O error"
        );
    }
}
