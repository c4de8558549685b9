//! What arrives from outside, read once into the rule's types: the Lambda event, configuration items
//! (both envelopes, one reader), recorded configurations, Kafka and MSK Connect API answers, and
//! the brokers' logs a CloudWatch Logs subscription sends.

pub mod audit_report;
pub mod broker_log;
pub mod configuration;
pub mod connect;
pub mod event;
pub mod hook;
pub mod item;
pub mod json;
pub mod kafka;
pub mod read;
