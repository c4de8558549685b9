//! Raw bytes into the event parser and the rule-parameter parser: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msk_mtls_rule::event::ConfigRuleEvent;
use msk_mtls_rule::params::RuleParams;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(event) = ConfigRuleEvent::from_json(value) {
        let _ = RuleParams::parse(event.rule_parameters.as_deref());
    }
});
