//! What the rule knows of a Private CA: its status and expiry, as ACM PCA tells them.

use std::collections::BTreeMap;
use std::fmt;

use crate::rule::time::Timestamp;

/// A Private CA's status other than ACTIVE, as ACM PCA names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaStatus {
    Creating,
    PendingCertificate,
    Disabled,
    Expired,
    Failed,
    Deleted,
    /// A status this build does not know yet, by name: never read as healthy.
    Unknown(String),
}

impl CaStatus {
    pub fn as_str(&self) -> &str {
        match self {
            CaStatus::Creating => "CREATING",
            CaStatus::PendingCertificate => "PENDING_CERTIFICATE",
            CaStatus::Disabled => "DISABLED",
            CaStatus::Expired => "EXPIRED",
            CaStatus::Failed => "FAILED",
            CaStatus::Deleted => "DELETED",
            CaStatus::Unknown(name) => name,
        }
    }
}

impl fmt::Display for CaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the rule learned about a Private CA from ACM PCA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaHealth {
    Active {
        not_after: Option<Timestamp>,
    },
    NotActive {
        status: CaStatus,
    },
    NotFound,
    /// The CA exists but cannot be read (e.g. AccessDenied on a CA shared from another account).
    Unreadable {
        reason: String,
    },
}

impl CaHealth {
    /// Whole days until an ACTIVE CA's certificate expires (negative once past), if known.
    pub fn days_to_expiry(&self, now: Timestamp) -> Option<i64> {
        match self {
            CaHealth::Active {
                not_after: Some(not_after),
            } => Some(now.whole_days_until(*not_after)),
            _ => None,
        }
    }
}

/// CA health by ARN, looked up before evaluation; a CA missing here was not checked.
pub type CaHealthReport = BTreeMap<String, CaHealth>;
