//! `make bench`: the release function (`msk-mtls-rule-lambda`) as Lambda runs it, through a Lambda Runtime API, against the
//! local AWS emulator (moto), with the figures printed. Nothing here asserts a time; it fails only
//! when the function answers wrongly or makes more calls than the minimum.
//!
//! Also `msk-mtls-rule audit` over many clusters in several accounts and regions, the way a user runs
//! it: wall time and peak RSS of the process.
//!
//! Environment: `BENCH_COLD_STARTS` (10), `BENCH_WARM_EVENTS` (200), `BENCH_SWEEPS`
//! ("300,2000,10000"), `BENCH_AUDIT` (clusters per audit, "2000"), `BENCH_LATENCY_MS` (milliseconds
//! the emulator adds to every call of the warm change events and the sweeps, "0,30": 30 is a real
//! region's round trip), `BENCH_REJECTIONS` (broker log lines per subscription event, "10000"),
//! `BENCH_REPORT` (certificates in a Private CA audit report read by `certificates`, "100000"),
//! `BENCH_SWEEP_REPORT` (certificates in the audit report a sweep reads from S3, "100000"), plus the e2e harness's `MSK_MTLS_RULE_BIN` (the command line; the function
//! is the binary beside it) and `E2E_PYTHON`.
//!
//! Side by side: `BENCH_PEER` (a command line) and `BENCH_PEER_DIR` (its working directory) start
//! another Lambda Runtime API handler of the same rule (say, one written with AWS's rdklib) on the
//! same emulator, events, fleet and latency; each figure is then printed with the other's and their
//! ratio. Nothing is asserted about the other handler but that it answers.

#[path = "../tests/e2e/harness.rs"]
#[allow(dead_code)] // the e2e tests use the rest of it
mod harness;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use harness::{item_of, response, sample, with_item, Emulator, Function, RuntimeApi};
use serde_json::{json, Value};

/// As template.yaml deploys it: INFO, not the e2e tests' DEBUG (the SDK's debug events cost CPU).
const DEPLOYED_ENV: &[(&str, &str)] = &[("AWS_LAMBDA_LOG_LEVEL", "INFO")];
const TIMEOUT: Duration = Duration::from_secs(900);
const CHANGE_SAMPLES: [&str; 6] = [
    "compliant.json",
    "compliant-camelcase.json",
    "noncompliant-client-broker-tls-plaintext.json",
    "noncompliant-sasl-scram.json",
    "noncompliant-unauthenticated-access.json",
    "notapplicable-deleted.json",
];

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let cold_starts: usize = setting("BENCH_COLD_STARTS", "10").parse().unwrap();
    let warm_events: usize = setting("BENCH_WARM_EVENTS", "200").parse().unwrap();
    let sweeps: Vec<usize> = setting("BENCH_SWEEPS", "300,2000,10000")
        .split(',')
        .filter(|n| !n.is_empty())
        .map(|n| n.trim().parse().unwrap())
        .collect();

    println!(
        "msk-mtls-rule-lambda release binary, Runtime API + moto on 127.0.0.1; msk-mtls-rule audit"
    );
    println!("host: {} cores, load average {}", cores(), load_average());
    if cold_starts > 0 {
        cold_start(cold_starts);
    }
    let latencies: Vec<u64> = setting("BENCH_LATENCY_MS", "0,30")
        .split(',')
        .map(|ms| ms.trim().parse().unwrap())
        .collect();
    let peer = Peer::from_env();
    if warm_events > 0 {
        for &latency_ms in &latencies {
            for ca_check in [false, true] {
                let ours = warm_change_events(warm_events, latency_ms, ca_check);
                // The other handler checks no CA: compared with the CA check off.
                if let (Some(peer), false) = (&peer, ca_check) {
                    let theirs = peer.warm_change_events(warm_events, latency_ms);
                    side_by_side("warm change event, median", ours, theirs);
                }
            }
        }
    }
    for clusters in sweeps {
        for &latency_ms in &latencies {
            let ours = sweep(clusters, latency_ms);
            if let Some(peer) = &peer {
                let theirs = peer.sweep(clusters, latency_ms);
                side_by_side("steady sweep", ours, theirs);
            }
        }
    }
    for lines in setting("BENCH_REJECTIONS", "10000")
        .split(',')
        .filter(|n| !n.is_empty())
    {
        rejections(lines.trim().parse().unwrap());
    }
    for certificates in setting("BENCH_REPORT", "100000")
        .split(',')
        .filter(|n| !n.is_empty())
    {
        audit_report(certificates.trim().parse().unwrap());
    }
    for certificates in setting("BENCH_SWEEP_REPORT", "100000")
        .split(',')
        .filter(|n| !n.is_empty())
    {
        sweep_report(certificates.trim().parse().unwrap());
    }
    for clusters in setting("BENCH_AUDIT", "2000")
        .split(',')
        .filter(|n| !n.is_empty())
    {
        audit(clusters.trim().parse().unwrap());
    }
    println!("load average at the end: {}", load_average());
}

/// A CloudWatch Logs subscription event of `lines` broker lines (nine refused handshakes in ten,
/// from 200 addresses, the rest refused SASL logins), counted in a warm function: the first event
/// lists the clusters' log groups, the next five are timed.
fn rejections(lines: usize) {
    use base64::Engine;
    use std::io::Write;

    let emulator = Emulator::start();
    emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "payments", "loggingInfo": {"brokerLogs": {"cloudWatchLogs": {"enabled": true, "logGroup": "/msk/payments"}}}}]}),
    );
    let runtime = RuntimeApi::start();
    let function = Function::start_with(&runtime, &emulator, DEPLOYED_ENV);
    let messages: Vec<Value> = (0..lines)
        .map(|i| {
            let address = format!("10.0.{}.{}", i % 200 / 100, i % 100);
            let reason = if i % 10 == 9 {
                "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
            } else {
                "SSL handshake failed"
            };
            json!({"id": format!("{i:056}"), "timestamp": 1_764_739_800_000_u64 + i as u64,
                "message": format!("[2026-12-03 05:30:00,123] INFO [SocketServer listenerType=ZK_BROKER, nodeId={}] Failed authentication with /{address} (channelId=10.0.0.7:9094-{address}:{}-{i}) ({reason}) (org.apache.kafka.common.network.Selector)", i % 3 + 1, 40_000 + i % 20_000)})
        })
        .collect();
    let data = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/msk/payments",
        "logStream": "Broker-1", "subscriptionFilters": ["msk-mtls-rule-refused-clients"], "logEvents": messages})
    .to_string();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data.as_bytes()).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    let event = json!({"awslogs": {"data": encoded}});
    let first = response(runtime.invoke(&event, TIMEOUT));
    assert_eq!(first["clusterName"], "payments", "{first}");
    assert_eq!(
        first["rejectedHandshakes"].as_u64().unwrap()
            + first["failedSaslAuthentications"].as_u64().unwrap(),
        lines as u64
    );
    let rss_before = function.peak_rss_kib();
    let cpu_before = function.cpu_time();
    let mut latencies: Vec<Duration> = (0..5)
        .map(|_| {
            let (outcome, latency) = runtime.invoke_timed(&event, TIMEOUT);
            response(outcome);
            latency
        })
        .collect();
    latencies.sort();
    assert_eq!(
        emulator.calls_to("ListClustersV2").len(),
        1,
        "the listing is kept while warm"
    );
    println!("\n## refused clients counted: a subscription event of {lines} broker lines");
    println!(
        "event: {} bytes of JSON, {} bytes as sent (gzip, base64; Lambda takes 256 KiB asynchronously)",
        data.len(),
        event.to_string().len()
    );
    println!(
        "warm: median {}, max {}; the function's CPU per event {}; peak RSS {} KiB (after the first event: {rss_before} KiB); 1 ListClustersV2 for 6 events",
        ms(median(&latencies)),
        ms(*latencies.last().unwrap()),
        ms((function.cpu_time() - cpu_before) / 5),
        function.peak_rss_kib()
    );
}

/// `msk-mtls-rule certificates` on an audit report of `certificates` certificates (10 per client
/// identity, each a year, renewed 30 days before expiry): wall time and peak RSS of the process.
fn audit_report(certificates: usize) {
    let (report, identities) = report_of(certificates);
    let path = std::env::temp_dir().join(format!(
        "msk-mtls-rule-bench-report-{}.json",
        std::process::id()
    ));
    std::fs::write(&path, &report).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    println!("\n## certificates: an audit report of {certificates} certificates ({identities} identities), {size} bytes");
    for format in ["table", "json"] {
        let output = measured_cli()
            .args(["certificates", "--report"])
            .arg(&path)
            .args(["--format", format, "--at", "2026-12-03T00:00:00Z"])
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let line = text.lines().next().unwrap_or_default();
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(
            ["0", "1"].contains(&fields[0]),
            "certificates exited {line}"
        );
        let wall: f64 = fields[1].parse().unwrap();
        println!(
            "--format {format}: wall {:.0} ms, peak RSS {} KiB",
            wall * 1_000.0,
            fields[2]
        );
    }
    let _ = std::fs::remove_file(&path);
}

/// An audit report of `certificates` certificates as ACM Private CA writes it: ten per identity,
/// each identity renewed every 335 days for a year. Returns the JSON and the identities.
fn report_of(certificates: usize) -> (Vec<u8>, usize) {
    let identities = certificates / 10;
    let report: Vec<Value> = (0..certificates)
        .map(|i| {
            let (identity, round) = (i % identities, i / identities);
            let not_before = 1_500_000_000 + round as i64 * 335 * 86_400 + identity as i64;
            let time = |secs: i64| {
                let text = harness_time(secs);
                format!("{}+0000", text.trim_end_matches('Z'))
            };
            json!({"awsAccountId": "123456789012", "requestedByServicePrincipal": "",
                "certificateArn": format!("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11223344-1234-1122-2233-112233445566/certificate/{i:032x}"),
                "serial": format!("{i:032x}"), "subject": format!("CN=client-{identity},OU=Kafka clients,O=Example Company,L=Seattle,ST=Washington,C=US"),
                "notBefore": time(not_before), "notAfter": time(not_before + 365 * 86_400), "issuedAt": time(not_before),
                "templateArn": "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"})
        })
        .collect();
    (serde_json::to_vec(&report).unwrap(), identities)
}

/// A sweep of one cluster whose CA's audit report holds `certificates` certificates, read by the
/// function from the emulator's S3 as a stream: the sweep's time and the function's peak memory,
/// beside the same sweep without the report (no `AUDIT_REPORT_BUCKET`).
fn sweep_report(certificates: usize) {
    let (report, identities) = report_of(certificates);
    let emulator = Emulator::start();
    let ca = emulator.control("/_e2e/private-ca", json!({"days": 400}))["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "orders",
            "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                     "unauthenticated": {"enabled": false}},
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}]}),
    );
    emulator.control(
        "/_e2e/audit-report",
        json!({"caArn": ca, "bucket": "bench-reports", "mode": "in-progress",
            "existing": {"hoursOld": 1, "raw": String::from_utf8(report).unwrap()}}),
    );
    let mut event = sample(
        "aws/scheduled.json",
        Some(json!({"checkCertificateAuthorityStatus": "false"})),
    );
    event["resultToken"] = json!("bench-result-token");
    println!("\n## a sweep reading a Private CA's audit report of {certificates} certificates ({identities} identities) from S3");
    for bucket in ["", "bench-reports"] {
        let runtime = RuntimeApi::start();
        let mut env = DEPLOYED_ENV.to_vec();
        env.push(("AUDIT_REPORT_BUCKET", bucket));
        let function = Function::start_with(&runtime, &emulator, &env);
        let latencies: Vec<Duration> = (0..3)
            .map(|_| {
                let (outcome, latency) = runtime.invoke_timed(&event, TIMEOUT);
                response(outcome);
                latency
            })
            .collect();
        let read = function.logs().matches("certificate-rotations").count();
        assert_eq!(
            read,
            if bucket.is_empty() { 0 } else { 3 },
            "{}",
            function.logs()
        );
        println!(
            "{}: sweeps {} / {} / {}, peak RSS {} KiB",
            if bucket.is_empty() {
                "without the report"
            } else {
                "with the report"
            },
            ms(latencies[0]),
            ms(latencies[1]),
            ms(latencies[2]),
            function.peak_rss_kib()
        );
    }
}

/// The command line (`MSK_MTLS_RULE_BIN`) run under Python, which prints its exit status, wall time
/// and peak RSS (the kernel's rusage of the finished child) on a first line, then its stdout.
fn measured_cli() -> std::process::Command {
    const MEASURED: &str = "import resource, subprocess, sys, time\n\
        started = time.perf_counter()\n\
        run = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n\
        wall = time.perf_counter() - started\n\
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n\
        sys.stdout.write(f'{run.returncode} {wall} {rss}\\n' + run.stdout.decode())\n";
    let binary = std::env::var("MSK_MTLS_RULE_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/msk-mtls-rule").to_owned()
    });
    let python = std::env::var("E2E_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/.venv-test/bin/python").to_owned()
    });
    let mut command = std::process::Command::new(python);
    command.args(["-c", MEASURED, &binary]);
    command
}

/// RFC 3339 of epoch seconds, as the report writes it (before its offset).
fn harness_time(secs: i64) -> String {
    msk_mtls_rule::rule::time::Timestamp::from_secs(secs).to_string()
}

/// Spawn to first `GET /next` (the init Lambda bills), then the first invocation, in fresh processes.
fn cold_start(processes: usize) {
    let emulator = Emulator::start();
    let mut init = Vec::new();
    let mut first_invocation = Vec::new();
    let mut rss = Vec::new();
    for event in change_events(processes) {
        let runtime = RuntimeApi::start();
        let function = Function::start_with(&runtime, &emulator, DEPLOYED_ENV);
        init.push(runtime.wait_for_first_poll(Duration::from_secs(30)) - function.started);
        let (outcome, latency) = runtime.invoke_timed(&event, TIMEOUT);
        response(outcome);
        first_invocation.push(latency);
        rss.push(function.peak_rss_kib());
    }
    println!("\n## cold start ({processes} fresh processes)");
    println!(
        "init (spawn -> first GET /next): median {} (min {}, max {})",
        ms(median(&init)),
        ms(*init.iter().min().unwrap()),
        ms(*init.iter().max().unwrap())
    );
    println!(
        "first change event (served -> response posted): median {}",
        ms(median(&first_invocation))
    );
    println!("peak RSS after it: median {} KiB", median(&rss));
}

/// One warm process answering change events (PutEvaluations to moto each time), with `latency_ms`
/// added to every call after the first event; with `ca_check`, every cluster's CA is a real one of
/// the emulator's and the rule reads it (DescribeCertificateAuthority and GetPolicy once per event,
/// together).
fn warm_change_events(events: usize, latency_ms: u64, ca_check: bool) -> Duration {
    let emulator = Emulator::start();
    let runtime = RuntimeApi::start();
    let function = Function::start_with(&runtime, &emulator, DEPLOYED_ENV);
    let ca = ca_check.then(|| {
        emulator.control("/_e2e/private-ca", json!({"days": 400}))["arn"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let mut change_events = change_events(events + 1)
        .into_iter()
        .map(|event| match &ca {
            Some(ca) => checking_ca(event, ca),
            None => event,
        });
    response(runtime.invoke(&change_events.next().unwrap(), TIMEOUT));
    emulator.control("/_e2e/latency", json!({ "ms": latency_ms }));
    let mut latencies = Vec::with_capacity(events);
    let cpu_before = function.cpu_time();
    for event in change_events {
        let (outcome, latency) = runtime.invoke_timed(&event, TIMEOUT);
        response(outcome);
        latencies.push(latency);
    }
    let cpu_per_event = (function.cpu_time() - cpu_before) / events as u32;
    let put_calls = emulator.calls_to("PutEvaluations");
    let puts = put_calls.len();
    assert_eq!(puts, events + 1, "one PutEvaluations per change event");
    // Each change event also reads the result Config holds for its cluster (transitions and the
    // clock of time to remediate): one GetComplianceDetailsByResource.
    let read_calls = emulator.calls_to("GetComplianceDetailsByResource");
    let reads = read_calls.len();
    assert!(
        reads == 0 || reads == events + 1,
        "{reads} held-result reads for {} events",
        events + 1
    );
    let mut emulator_ms: Vec<Duration> = (1..=events)
        .map(|i| {
            let read = read_calls
                .get(i)
                .map(std::slice::from_ref)
                .unwrap_or_default();
            emulator_time(std::slice::from_ref(&put_calls[i])) + emulator_time(read)
        })
        .collect();
    emulator_ms.sort();
    latencies.sort();
    let all_calls = emulator.calls();
    let calls_per_event = (all_calls.len() as f64) / (events + 1) as f64;
    // the events come one after another: their rounds add up
    let rounds_per_event = rounds(&all_calls) as f64 / (events + 1) as f64;
    println!(
        "\n## warm change events ({events} events, one process, {latency_ms} ms per call, CA check {})",
        if ca_check { "on" } else { "off" }
    );
    println!(
        "AWS calls per event: {calls_per_event:.2} on average, in {rounds_per_event:.2} dependent rounds"
    );
    println!(
        "latency (served -> response posted): median {}, p99 {}, max {}",
        ms(median(&latencies)),
        ms(percentile(&latencies, 99)),
        ms(*latencies.last().unwrap())
    );
    println!(
        "the emulator's own time per event: median {}; the function's CPU per event: {}",
        ms(median(&emulator_ms)),
        ms(cpu_per_event)
    );
    println!(
        "AWS calls: {puts} PutEvaluations, {reads} GetComplianceDetailsByResource; peak RSS {} KiB",
        function.peak_rss_kib()
    );
    median(&latencies)
}

/// A scheduled sweep over `clusters` clusters on 3 CAs: first with nothing held, then again with the
/// first sweep's results held (the steady state of a deployed rule).
fn sweep(clusters: usize, latency_ms: u64) -> Duration {
    let seeding = Instant::now();
    let (emulator, fleet) = seeded_fleet(clusters);
    let (cas, named) = (fleet.cas.len(), fleet.named);
    let seeded_in = seeding.elapsed();
    let runtime = RuntimeApi::start();
    let function = Function::start_with(&runtime, &emulator, DEPLOYED_ENV);
    // a real (not TESTMODE) token: the emulator keeps the results, as Config does
    let event = sweep_event();
    let event_without_options = event.clone();
    emulator.control("/_e2e/latency", json!({ "ms": latency_ms }));
    println!(
        "\n## sweep of {clusters} clusters ({latency_ms} ms per call; 3 CAs; seeded in {})",
        ms(seeded_in)
    );
    let mut held: usize = 0;
    let mut steady = Duration::ZERO;
    // The last round asks for a CA per cluster: the sweep judges once the listing is complete.
    let per_cluster = with_parameters(
        event.clone(),
        json!({"certificateAuthorityPerCluster": "true"}),
    );
    for (round, event) in [
        ("first (nothing held)", &event),
        ("steady (last sweep's results held)", &event),
        ("steady, certificateAuthorityPerCluster on", &per_cluster),
    ] {
        let before = emulator.calls().len();
        let cpu_before = function.cpu_time();
        let (outcome, wall) = runtime.invoke_timed(event, TIMEOUT);
        let cpu = function.cpu_time() - cpu_before;
        let summary = response(outcome);
        assert_eq!(summary["evaluations"], clusters, "{summary}");
        let calls = &emulator.calls()[before..];
        let mut by_operation: BTreeMap<String, usize> = BTreeMap::new();
        for call in calls {
            *by_operation
                .entry(call["operation"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        let emulator_time = emulator_time(calls);
        let pages = clusters.div_ceil(100);
        let minimum = pages
            + pages
            + held.div_ceil(100).max(1)
            + 2 * cas
            + revisions_among(0..clusters)
            + zookeeper_among(0..clusters)
            + DOOR_LISTINGS
            + named;
        println!(
            "{round}: wall {}, of which the emulator {}; the function's CPU {}; {} calls (minimum {minimum}) in {} dependent rounds {:?}; peak RSS {} KiB",
            ms(wall),
            ms(emulator_time),
            ms(cpu),
            calls.len(),
            rounds(calls),
            by_operation,
            function.peak_rss_kib()
        );
        if std::env::var("BENCH_TIMELINE").is_ok() {
            print_timeline(calls);
        }
        assert_eq!(calls.len(), minimum, "{by_operation:?}");
        if event == &event_without_options {
            steady = wall;
        }
        // the sweep reads back the COMPLIANT and NON_COMPLIANT results it holds
        held = (summary["compliant"].as_u64().unwrap() + summary["nonCompliant"].as_u64().unwrap())
            as usize;
    }
    let naming = emulator
        .recorded_evaluations()
        .iter()
        .filter(|e| {
            e["Annotation"]
                .as_str()
                .unwrap_or("")
                .contains("(used by MSK Connect connector sink-")
        })
        .count();
    assert_eq!(
        naming,
        3 * named,
        "each round names the connector of each of {named} clusters"
    );
    change_event_walking_the_fleet(&runtime, &emulator, &fleet.cas[0], clusters);
    steady
}

/// A change event with `certificateAuthorityPerCluster` on, in the sweep's account: one
/// ListClustersV2 walk beside its other reads.
fn change_event_walking_the_fleet(
    runtime: &RuntimeApi,
    emulator: &Emulator,
    ca: &str,
    clusters: usize,
) {
    let event = with_parameters(
        checking_ca(change_events(1).remove(0), ca),
        json!({"checkCertificateAuthorityStatus": "true", "certificateAuthorityPerCluster": "true"}),
    );
    let before = emulator.calls().len();
    let (outcome, wall) = runtime.invoke_timed(&event, TIMEOUT);
    response(outcome);
    let calls = &emulator.calls()[before..];
    let walked = calls
        .iter()
        .filter(|c| c["operation"] == "ListClustersV2")
        .count();
    println!(
        "change event, certificateAuthorityPerCluster on: wall {}; {} calls, of which {walked} ListClustersV2, in {} dependent rounds",
        ms(wall),
        calls.len(),
        rounds(calls)
    );
    assert_eq!(walked, clusters.div_ceil(100), "one walk of the listing");
}

/// `event` with `parameters` as its rule parameters.
fn with_parameters(mut event: Value, parameters: Value) -> Value {
    event["ruleParameters"] = json!(parameters.to_string());
    event
}

/// A scheduled event with a real (not TESTMODE) token: the emulator keeps the results, as Config
/// does.
fn sweep_event() -> Value {
    let mut event = sample("aws/scheduled.json", Some(json!({})));
    event["resultToken"] = json!("bench-result-token");
    event
}

/// The fleet a sweep judges: its CAs, and how many clusters a connector is named for.
struct Fleet {
    cas: Vec<String>,
    named: usize,
}

/// An emulator holding `clusters` of the fleet's mix on 3 CAs, its configurations and connectors.
fn seeded_fleet(clusters: usize) -> (Emulator, Fleet) {
    let emulator = Emulator::start();
    let cas: Vec<String> = (0..3)
        .map(|_| {
            emulator.control("/_e2e/private-ca", json!({"days": 400}))["arn"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    seed_configurations(&emulator);
    let mut arns: Vec<String> = Vec::new();
    for start in (0..clusters).step_by(1000) {
        let batch: Vec<Value> = (start..clusters.min(start + 1000))
            .map(|index| fleet_cluster(index, &cas))
            .collect();
        let created = emulator.control("/_e2e/clusters", json!({ "clusters": batch }));
        arns.extend(
            created["arns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|arn| arn.as_str().unwrap().to_owned()),
        );
    }
    let named = seed_connectors(&emulator, &arns);
    (emulator, Fleet { cas, named })
}

/// Another handler of the same rule, run side by side (`BENCH_PEER`, `BENCH_PEER_DIR`).
struct Peer {
    command: Vec<String>,
    dir: String,
}

impl Peer {
    fn from_env() -> Option<Peer> {
        let command: Vec<String> = std::env::var("BENCH_PEER")
            .ok()?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let dir = std::env::var("BENCH_PEER_DIR").unwrap_or_else(|_| ".".into());
        (!command.is_empty()).then_some(Peer { command, dir })
    }

    fn start(&self, runtime: &RuntimeApi, emulator: &Emulator) -> Function {
        let mut command = std::process::Command::new(&self.command[0]);
        command.args(&self.command[1..]).current_dir(&self.dir);
        let env = [
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("LAMBDA_TASK_ROOT", self.dir.as_str()),
            ("PYTHONPATH", self.dir.as_str()),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ];
        Function::start_command(command, runtime, emulator, &env)
    }

    /// The same change events as `warm_change_events` with the CA check off, answered by the
    /// other handler: the median latency.
    fn warm_change_events(&self, events: usize, latency_ms: u64) -> Duration {
        let emulator = Emulator::start();
        let runtime = RuntimeApi::start();
        let _function = self.start(&runtime, &emulator);
        let mut change_events = change_events(events + 1).into_iter().map(for_the_peer);
        response(runtime.invoke(&change_events.next().unwrap(), TIMEOUT));
        emulator.control("/_e2e/latency", json!({ "ms": latency_ms }));
        let mut latencies: Vec<Duration> = change_events
            .map(|event| {
                let (outcome, latency) = runtime.invoke_timed(&event, TIMEOUT);
                response(outcome);
                latency
            })
            .collect();
        latencies.sort();
        let all_calls = emulator.calls();
        let calls = all_calls.len() as f64 / (events + 1) as f64;
        let rounds_per_event = rounds(&all_calls) as f64 / (events + 1) as f64;
        println!(
            "the other handler: median {}, p99 {}; AWS calls per event {calls:.2}, in {rounds_per_event:.2} dependent rounds",
            ms(median(&latencies)),
            ms(percentile(&latencies, 99))
        );
        median(&latencies)
    }

    /// The same fleet swept twice by the other handler: the steady sweep's wall time.
    fn sweep(&self, clusters: usize, latency_ms: u64) -> Duration {
        let (emulator, _) = seeded_fleet(clusters);
        let runtime = RuntimeApi::start();
        let _function = self.start(&runtime, &emulator);
        let event = for_the_peer(sweep_event());
        emulator.control("/_e2e/latency", json!({ "ms": latency_ms }));
        let mut wall = Duration::ZERO;
        for round in ["first", "steady"] {
            let before = emulator.calls().len();
            let (outcome, took) = runtime.invoke_timed(&event, TIMEOUT);
            response(outcome);
            let mut by_operation: BTreeMap<String, usize> = BTreeMap::new();
            for call in &emulator.calls()[before..] {
                *by_operation
                    .entry(call["operation"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
            let calls = &emulator.calls()[before..];
            println!(
                "the other handler, {round}: wall {}; {} calls in {} dependent rounds {by_operation:?}",
                ms(took),
                calls.len(),
                rounds(calls)
            );
            wall = took;
        }
        wall
    }
}

/// An event as a rule written with rdklib reads it: it assumes no role unless told.
fn for_the_peer(mut event: Value) -> Value {
    let mut parameters: Value =
        serde_json::from_str(event["ruleParameters"].as_str().unwrap_or("{}")).unwrap();
    parameters["AssumeRoleMode"] = json!("false");
    event["ruleParameters"] = json!(parameters.to_string());
    event
}

fn side_by_side(what: &str, ours: Duration, theirs: Duration) {
    println!(
        "side by side, {what}: this function {}, the other handler {}: {:.2} of its time",
        ms(ours),
        ms(theirs),
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}

/// Two accounts (the caller's and one through a role) times two regions, `clusters` spread evenly,
/// three CAs in each account-region; the audit runs at the default concurrency and prints JSON.
fn audit(clusters: usize) {
    const TARGETS: [(&str, &str); 4] = [
        ("123456789012", "us-east-1"),
        ("123456789012", "eu-west-1"),
        ("111111111111", "us-east-1"),
        ("111111111111", "eu-west-1"),
    ];
    let emulator = Emulator::start();
    let seeding = Instant::now();
    seed_configurations(&emulator);
    for (target, (account, region)) in TARGETS.iter().enumerate() {
        let cas: Vec<String> = (0..3)
            .map(|_| {
                emulator.control(
                    "/_e2e/private-ca",
                    json!({"account": account, "region": region, "days": 400}),
                )["arn"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let batch: Vec<Value> = (target..clusters)
            .step_by(TARGETS.len())
            .map(|index| fleet_cluster(index, &cas))
            .collect();
        emulator.control(
            "/_e2e/clusters",
            json!({"account": account, "region": region, "clusters": batch}),
        );
    }
    let seeded_in = seeding.elapsed();
    println!(
        "\n## audit of {clusters} clusters in 2 accounts x 2 regions (3 CAs each; seeded in {})",
        ms(seeded_in)
    );
    // The first run also pays for moto building each account's and region's backends; the last two
    // add 30 ms to every call, a round trip to a nearby AWS region, which concurrency overlaps.
    for (concurrency, latency_ms, label) in [
        ("8", 0, " (first run, emulator cold)"),
        ("1", 0, ""),
        ("8", 0, ""),
        ("1", 30, ", 30 ms per call"),
        ("8", 30, ", 30 ms per call"),
    ] {
        emulator.control("/_e2e/latency", json!({ "ms": latency_ms }));
        let before = emulator.calls().len();
        let output = measured_cli()
            .args(["audit", "--regions", "us-east-1,eu-west-1"])
            .args([
                "--role-name",
                "msk-mtls-audit",
                "--accounts",
                "123456789012,111111111111",
            ])
            .args(["--format", "json", "--concurrency", concurrency])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_ACCESS_KEY_ID", "AKIAE2EEXAMPLEKEY000")
            .env("AWS_SECRET_ACCESS_KEY", "bench-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", emulator.endpoint())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let (first, report) = text.split_once('\n').unwrap();
        let figures: Vec<&str> = first.split_whitespace().collect();
        let report: Value = serde_json::from_str(report).unwrap();
        assert_eq!(
            report.as_array().unwrap().len(),
            clusters,
            "every cluster judged"
        );
        assert_eq!(
            figures[0], "1",
            "the fleet has NON_COMPLIANT clusters: exit status 1"
        );
        let calls = &emulator.calls()[before..];
        let mut by_operation: BTreeMap<String, usize> = BTreeMap::new();
        for call in calls {
            *by_operation
                .entry(call["operation"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        // who the caller is, one role, every page of every account-region, each CA (described and its
        // policy read) and each
        // configuration revision once per target, each ZooKeeper-mode cluster's operations once,
        // and each target's MSK Connect connectors once (its clusters open unauthenticated access;
        // no connector is seeded here, so no cluster's brokers are read)
        let revisions: usize = (0..TARGETS.len())
            .map(|target| revisions_among((target..clusters).step_by(TARGETS.len())))
            .sum();
        let minimum = 1
            + 1
            + TARGETS.len() * (clusters / TARGETS.len()).div_ceil(100)
            + TARGETS.len() * 3 * 2
            + revisions
            + zookeeper_among(0..clusters)
            + TARGETS.len();
        assert_eq!(calls.len(), minimum, "{by_operation:?}");
        let wall = Duration::from_secs_f64(figures[1].parse().unwrap());
        println!(
            "--concurrency {concurrency}{label}: wall {}, the emulator's time summed over calls {}; peak RSS {} KiB; {} calls (the minimum) {:?}",
            ms(wall),
            ms(emulator_time(calls)),
            figures[2],
            calls.len(),
            by_operation
        );
    }
}

/// The configuration a fifth of the fleet runs, in three revisions: a sweep reads each once
/// (DescribeConfigurationRevision), however many clusters run it.
const FLEET_CONFIGURATION: &str =
    "arn:aws:kafka:us-east-1:123456789012:configuration/fleet/5a7c1e2b-1";

/// How many configuration revisions the fleet's clusters at `indices` run: each is read once.
fn revisions_among(indices: impl Iterator<Item = usize>) -> usize {
    indices
        .filter(|index| index % 5 == 0)
        .map(|index| index % 3)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// How many of the fleet's clusters at `indices` run ZooKeeper mode (with direct access never
/// turned off): each one's operations are listed once (ListClusterOperations, one page).
/// The fleet's clusters open unauthenticated access, not SASL/IAM: a sweep lists the account's MSK
/// Connect connectors once (110, two pages of ListConnectors), and no MSK Replicator.
const DOOR_LISTINGS: usize = 2;

/// One unauthenticated MSK Connect connector for each of the first ten clusters with no client
/// authentication (`fleet_cluster`'s last kind), with those clusters' brokers, and 100 connectors of
/// clusters elsewhere: the clusters whose brokers a sweep reads to name who uses the door (the
/// count returned).
fn seed_connectors(emulator: &Emulator, arns: &[String]) -> usize {
    let named: Vec<usize> = (0..arns.len()).filter(|i| i % 5 == 4).take(10).collect();
    let mut connectors: Vec<Value> = named
        .iter()
        .map(|index| {
            let host = format!("b-1.fleet{index}.x1y2z3.c2.kafka.us-east-1.amazonaws.com:9094");
            emulator.control(
                "/_e2e/bootstrap-brokers",
                json!({"arn": arns[*index], "brokers": {"bootstrapBrokerStringTls": host}}),
            );
            json!({"connectorName": format!("sink-{index}"), "connectorState": "RUNNING",
                   "kafkaCluster": {"apacheKafkaCluster": {"bootstrapServers": host}},
                   "kafkaClusterClientAuthentication": {"authenticationType": "NONE"}})
        })
        .collect();
    connectors.extend((0..100).map(|n| {
        json!({"connectorName": format!("elsewhere-{n}"), "connectorState": "RUNNING",
               "kafkaCluster": {"apacheKafkaCluster": {"bootstrapServers": format!("b-1.other{n}.q9.c1.kafka.us-east-1.amazonaws.com:9098")}},
               "kafkaClusterClientAuthentication": {"authenticationType": "IAM"}})
    }));
    emulator.control("/_e2e/door-users", json!({ "connectors": connectors }));
    named.len()
}

fn zookeeper_among(indices: impl Iterator<Item = usize>) -> usize {
    indices.filter(|index| index % 25 == 1).count()
}

fn seed_configurations(emulator: &Emulator) {
    let revisions: Vec<Value> = (1..=3)
        .map(|revision| {
            json!({"arn": FLEET_CONFIGURATION, "revision": revision,
                   "serverProperties": "allow.everyone.if.no.acl.found=false\n"})
        })
        .collect();
    emulator.control(
        "/_e2e/configurations",
        json!({ "configurations": revisions }),
    );
}

/// The fleet's mix: 2 in 5 mTLS-only (half of them on a configuration of their own), the rest
/// NON_COMPLIANT for one reason or another, every 50th serverless; all run KRaft but 1 in 25 of
/// the mTLS-only, in ZooKeeper mode with direct access on (NON_COMPLIANT).
fn fleet_cluster(index: usize, cas: &[String]) -> Value {
    let ca = &cas[index % cas.len()];
    let name = format!("fleet-{index}");
    let mtls = json!({"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                      "unauthenticated": {"enabled": false}});
    let tls_only = json!({"encryptionInTransit": {"clientBroker": "TLS", "inCluster": true}});
    match index % 5 {
        _ if index % 50 == 3 => json!({"name": name, "serverless": true}),
        0 => json!({"name": name, "clientAuthentication": mtls, "encryptionInfo": tls_only,
                    "configurationInfo": {"arn": FLEET_CONFIGURATION, "revision": index % 3 + 1}}),
        1 if index % 25 == 1 => json!({"name": name, "clientAuthentication": mtls,
                    "encryptionInfo": tls_only, "kafkaVersion": "3.6.0"}),
        1 => json!({"name": name, "clientAuthentication": mtls, "encryptionInfo": tls_only}),
        2 => json!({"name": name, "clientAuthentication": mtls,
                    "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT"}}}),
        _ => json!({"name": name, "encryptionInfo": tls_only}),
    }
}

/// `count` change events, each for its own cluster, cycling through COMPLIANT, NON_COMPLIANT and
/// NOT_APPLICABLE samples (each sample read once).
fn change_events(count: usize) -> Vec<Value> {
    let samples: Vec<Value> = CHANGE_SAMPLES
        .iter()
        .map(|name| sample(name, None))
        .collect();
    (0..count)
        .map(|index| {
            let event = samples[index % samples.len()].clone();
            let arn = item_of(&event)["resourceId"].as_str().unwrap().to_owned();
            with_item(event, |item| {
                item["resourceId"] = json!(format!("{arn}-{index}"));
            })
        })
        .collect()
}

/// The event with the CA check on and `ca` as every CA its cluster names.
fn checking_ca(mut event: Value, ca: &str) -> Value {
    event["ruleParameters"] = json!(r#"{"checkCertificateAuthorityStatus":"true"}"#);
    fn replace(value: &mut Value, ca: &str) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map.iter_mut() {
                    if key.eq_ignore_ascii_case("certificateAuthorityArnList") {
                        *inner = json!([ca]);
                    } else {
                        replace(inner, ca);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| replace(item, ca)),
            _ => {}
        }
    }
    with_item(event, |item| replace(&mut item["configuration"], ca))
}

/// The emulator's own time answering these calls: the floor no handler can go below here.
/// The dependent rounds of `calls`: the longest chain of calls each made after the one before it
/// was answered (calls that overlap are one round), so at L ms per call the calls cost at least
/// rounds x L.
fn rounds(calls: &[Value]) -> usize {
    let mut spans: Vec<(f64, f64)> = calls
        .iter()
        .map(|call| {
            let at = |key: &str| call[key].as_f64().unwrap();
            (at("startedMs"), at("endedMs"))
        })
        .collect();
    spans.sort_by(|a, b| a.1.total_cmp(&b.1));
    // longest[i]: the longest chain ending with call i
    let mut longest: Vec<usize> = Vec::with_capacity(spans.len());
    for (i, (started, _)) in spans.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| spans[j].1 <= *started)
            .map(|j| longest[j])
            .max()
            .unwrap_or(0);
        longest.push(before + 1);
    }
    longest.into_iter().max().unwrap_or(0)
}

/// Each call's start and end, in ms from the first call's start (`BENCH_TIMELINE`).
fn print_timeline(calls: &[Value]) {
    let mut spans: Vec<(f64, f64, &str)> = calls
        .iter()
        .map(|call| {
            let at = |key: &str| call[key].as_f64().unwrap();
            (
                at("startedMs"),
                at("endedMs"),
                call["operation"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let zero = spans.first().map_or(0.0, |span| span.0);
    for (started, ended, operation) in spans {
        println!(
            "  {:>8.1} {:>8.1} {operation}",
            started - zero,
            ended - zero
        );
    }
}

fn emulator_time(calls: &[Value]) -> Duration {
    Duration::from_secs_f64(
        calls
            .iter()
            .map(|call| call["ms"].as_f64().unwrap())
            .sum::<f64>()
            / 1000.0,
    )
}

fn median<T: Copy + Ord>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[((sorted.len() * percent).div_ceil(100)).saturating_sub(1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
