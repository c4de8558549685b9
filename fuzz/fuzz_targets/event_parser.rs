//! Raw bytes into the event parser, the rule-parameter parser, the configuration reader and the
//! broker-log readers (a subscription event, a refusal line): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msk_mtls_rule::edge::broker_log::{rejection, subscription_event};
use msk_mtls_rule::edge::configuration::read_facts;
use msk_mtls_rule::edge::event::ConfigRuleEvent;
use msk_mtls_rule::edge::json::Json;
use msk_mtls_rule::rule::params::RuleParams;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(event) = ConfigRuleEvent::from_text(&text) {
        let _ = RuleParams::parse(event.rule_parameters.as_deref());
    }
    // the configuration reader on its own, duplicate keys and all
    if let Ok(json) = Json::parse(&text) {
        let _ = read_facts(&json, []);
    }
    let _ = subscription_event(&text);
    let _ = rejection(&text);
});
