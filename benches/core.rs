//! The evaluation core's throughput: a Config event from raw JSON bytes to a verdict, as the handler
//! does it for each change event (parse the event and the parameters, read the item, judge it).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use msk_mtls_rule::edge::event::{ConfigRuleEvent, Notification};
use msk_mtls_rule::rule::authorization::ConfigurationReport;
use msk_mtls_rule::rule::ca::CaHealthReport;
use msk_mtls_rule::rule::checks::Inputs;
use msk_mtls_rule::rule::params::RuleParams;
use msk_mtls_rule::rule::verdict::{evaluate, Verdict};
use msk_mtls_rule::Timestamp;

fn verdict_of(bytes: &[u8], now: Timestamp) -> Verdict {
    let event = ConfigRuleEvent::from_text(std::str::from_utf8(bytes).unwrap()).unwrap();
    let params = RuleParams::parse(event.rule_parameters.as_deref()).unwrap();
    let Notification::Change(item) = event.notification else {
        panic!("a change event")
    };
    let cluster = item.cluster().unwrap();
    evaluate(&Inputs {
        cluster: &cluster,
        params: &params,
        cas: &CaHealthReport::new(),
        resource_id: "",
        trust: &msk_mtls_rule::rule::ca::CaTrust::default(),
        configurations: &ConfigurationReport::new(),
        zookeeper: None,
        used_by: &Default::default(),
        now,
    })
}

fn change_events(c: &mut Criterion) {
    let now = Timestamp::from_secs(1_700_000_000);
    let mut group = c.benchmark_group("change_event_to_verdict");
    group.throughput(Throughput::Elements(1));
    for name in [
        "compliant",
        "noncompliant-client-broker-tls-plaintext",
        "noncompliant-everything-open",
    ] {
        let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap();
        group.bench_function(name, |b| {
            b.iter_batched(
                || bytes.clone(),
                |bytes| verdict_of(&bytes, now),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, change_events);
criterion_main!(benches);
