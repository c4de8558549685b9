//! The rule itself, with no AWS SDK in sight: what a cluster's access settings are (`facts`), the
//! rule's parameters, every check in one table (`checks`), the verdict over it, the one decision on
//! NOT_APPLICABLE (`applicability`), and the evaluations Config receives.

pub mod alert;
pub mod applicability;
pub mod checks;
pub mod evaluation;
pub mod facts;
pub mod params;
pub mod time;
pub mod verdict;
