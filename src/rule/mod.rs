//! The rule itself, with no AWS SDK in sight: what a cluster's access settings are (`facts`), the
//! rule's parameters, every check in one table (`checks`), the verdict over it, the one decision on
//! NOT_APPLICABLE (`applicability`), and the evaluations Config receives; a Private CA's health
//! (`ca`), a configuration's ACL default (`authorization`), who uses a door other than mTLS
//! (`doors`) and a cluster's ARN (`arn`), each read
//! once where it enters.

pub mod applicability;
pub mod arn;
pub mod authorization;
pub mod ca;
pub mod checks;
pub mod doors;
pub mod evaluation;
pub mod facts;
pub mod held;
pub mod outcome;
pub mod params;
pub mod rotation;
pub mod time;
pub mod verdict;
pub mod zookeeper;
