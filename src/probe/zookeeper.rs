//! The one ZooKeeper request the probe sends: a `ConnectRequest` for a new session (protocol
//! version 0, no password), as every ZooKeeper client sends first. A server that answers with a
//! session lets the client read and rewrite every znode the ACLs leave open, Kafka's ACLs among
//! them; nothing else is sent, and the session is dropped unused.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The session timeout asked for, in milliseconds (the server clamps it to its own bounds).
const SESSION_TIMEOUT_MS: i32 = 30_000;
/// A `ConnectResponse` is 36 or 37 bytes; anything larger is not one.
const MAX_ANSWER_BYTES: i32 = 1024;

/// The size-prefixed `ConnectRequest` (jute): protocolVersion, lastZxidSeen, timeOut, sessionId,
/// passwd (16 zero bytes, as a client with no session sends), readOnly false.
pub fn connect_request() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&0i64.to_be_bytes());
    body.extend_from_slice(&SESSION_TIMEOUT_MS.to_be_bytes());
    body.extend_from_slice(&0i64.to_be_bytes());
    body.extend_from_slice(&16i32.to_be_bytes());
    body.extend_from_slice(&[0u8; 16]);
    body.push(0);
    let mut request = (body.len() as i32).to_be_bytes().to_vec();
    request.extend_from_slice(&body);
    request
}

/// What came back after the request.
#[derive(Debug, PartialEq, Eq)]
pub enum ZooKeeperAnswer {
    /// A session: its id and the timeout the server granted.
    Session { id: i64, timeout_ms: i32 },
    /// A `ConnectResponse` without a session (id or timeout 0): the server turned the client away.
    NoSession,
    /// Bytes, but not a `ConnectResponse`.
    NotZooKeeper,
}

/// Reads one `ConnectResponse`: size, protocolVersion, timeOut, sessionId, passwd (a length and
/// that many bytes), and an optional readOnly byte.
pub async fn read_connect_response<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> std::io::Result<ZooKeeperAnswer> {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await?;
    let size = i32::from_be_bytes(size);
    if !(20..=MAX_ANSWER_BYTES).contains(&size) {
        return Ok(ZooKeeperAnswer::NotZooKeeper);
    }
    let mut body = vec![0u8; size as usize];
    stream.read_exact(&mut body).await?;
    Ok(parse_connect_response(&body))
}

fn parse_connect_response(body: &[u8]) -> ZooKeeperAnswer {
    let int = |at: usize| -> Option<i32> {
        Some(i32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?))
    };
    let long = |at: usize| -> Option<i64> {
        Some(i64::from_be_bytes(body.get(at..at + 8)?.try_into().ok()?))
    };
    let (Some(version), Some(timeout_ms), Some(id), Some(password)) =
        (int(0), int(4), long(8), int(16))
    else {
        return ZooKeeperAnswer::NotZooKeeper;
    };
    let rest = body.len() as i64 - 20 - i64::from(password);
    if version != 0 || !(0..=64).contains(&password) || !(0..=1).contains(&rest) {
        return ZooKeeperAnswer::NotZooKeeper;
    }
    if id == 0 || timeout_ms <= 0 {
        ZooKeeperAnswer::NoSession
    } else {
        ZooKeeperAnswer::Session { id, timeout_ms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(
        version: i32,
        timeout_ms: i32,
        id: i64,
        password: usize,
        read_only: bool,
    ) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&version.to_be_bytes());
        body.extend_from_slice(&timeout_ms.to_be_bytes());
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(&(password as i32).to_be_bytes());
        body.extend(std::iter::repeat_n(7u8, password));
        if read_only {
            body.push(0);
        }
        let mut framed = (body.len() as i32).to_be_bytes().to_vec();
        framed.extend_from_slice(&body);
        framed
    }

    async fn read(bytes: Vec<u8>) -> std::io::Result<ZooKeeperAnswer> {
        read_connect_response(&mut bytes.as_slice()).await
    }

    /// The request is what ZooKeeper's own client sends for a new session (45 bytes framed).
    #[test]
    fn the_request_is_a_connect_request_for_a_new_session() {
        let request = connect_request();
        assert_eq!(request.len(), 4 + 45);
        assert_eq!(&request[..4], &45i32.to_be_bytes());
        assert_eq!(&request[16..20], &30_000i32.to_be_bytes());
        assert_eq!(&request[28..32], &16i32.to_be_bytes());
        assert!(request[4..16]
            .iter()
            .chain(&request[20..28])
            .all(|b| *b == 0));
    }

    #[tokio::test]
    async fn a_session_is_told_from_a_refusal_and_from_anything_else() {
        let session = 0x0100_001f_b9ea_0000;
        assert_eq!(
            read(response(0, 30_000, session, 16, true)).await.unwrap(),
            ZooKeeperAnswer::Session {
                id: session,
                timeout_ms: 30_000
            }
        );
        assert_eq!(
            read(response(0, 4_000, -2, 16, false)).await.unwrap(),
            ZooKeeperAnswer::Session {
                id: -2,
                timeout_ms: 4_000
            },
            "every bit of the id is kept, and the readOnly byte is optional"
        );
        assert_eq!(
            read(response(0, 0, 0, 16, true)).await.unwrap(),
            ZooKeeperAnswer::NoSession
        );
        assert_eq!(
            read(response(0, 30_000, 0, 16, true)).await.unwrap(),
            ZooKeeperAnswer::NoSession
        );
        assert_eq!(
            read(response(0, 0, 5, 16, true)).await.unwrap(),
            ZooKeeperAnswer::NoSession
        );
        assert_eq!(
            read(response(1, 30_000, 5, 16, true)).await.unwrap(),
            ZooKeeperAnswer::NotZooKeeper,
            "another protocol version"
        );
        assert_eq!(
            read(response(0, 30_000, 5, 65, true)).await.unwrap(),
            ZooKeeperAnswer::NotZooKeeper,
            "a password longer than any ZooKeeper's"
        );
        let mut trailing = response(0, 30_000, 5, 16, true);
        trailing.push(1);
        trailing[3] += 1;
        assert_eq!(read(trailing).await.unwrap(), ZooKeeperAnswer::NotZooKeeper);
        // A Kafka answer, an HTTP one, a huge size: not ZooKeeper.
        let mut kafka = 8i32.to_be_bytes().to_vec();
        kafka.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(read(kafka).await.unwrap(), ZooKeeperAnswer::NotZooKeeper);
        assert_eq!(
            read(b"HTTP/1.1 400 Bad".to_vec()).await.unwrap(),
            ZooKeeperAnswer::NotZooKeeper
        );
        assert!(read(vec![0, 0]).await.is_err(), "a close before an answer");
        assert!(read(response(0, 30_000, 5, 16, true)[..20].to_vec())
            .await
            .is_err());
    }
}
