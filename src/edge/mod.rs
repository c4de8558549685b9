//! What arrives from outside, read once into the rule's types: the Lambda event, configuration items
//! (both envelopes, one reader), recorded configurations, and Kafka and MSK Connect API answers.

pub mod configuration;
pub mod connect;
pub mod event;
pub mod hook;
pub mod item;
pub mod json;
pub mod kafka;
pub mod read;
