//! Raw bytes into what arrives before a cluster exists, or at its brokers' doors: a CloudFormation
//! template (YAML and JSON) or Terraform plan judged by `check`, a CloudFormation hook request, and
//! the probe's endpoint lists and scheduled event: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msk_mtls_rule::check::judge::judge;
use msk_mtls_rule::check::sources::candidates;
use msk_mtls_rule::edge::hook::read_hook_request;
use msk_mtls_rule::edge::json::Json;
use msk_mtls_rule::probe::endpoints::parse_bootstrap;
use msk_mtls_rule::app::scheduled_probe::parse_probe_event;
use msk_mtls_rule::rule::params::RuleParams;
use msk_mtls_rule::rule::ca::{CaHealthReport, CaTrust};
use msk_mtls_rule::Timestamp;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let params = RuleParams::default();
    // JSON or YAML by content: a leading `{` reaches the JSON reader, anything else the YAML one.
    if let Ok(found) = candidates(&text) {
        for candidate in found {
            let _ = judge(&candidate.resource_type, &candidate.properties, &candidate.configuration, &params, (&CaHealthReport::new(), &CaTrust::before_deploy()), Timestamp::from_secs(0));
        }
    }
    if let Ok(json) = Json::parse(&text) {
        let _ = read_hook_request(&json);
    }
    if let Ok(value) = serde_json::from_str(&text) {
        let _ = parse_probe_event(&value);
    }
    let _ = parse_bootstrap(&text, None);
});
