//! Properties of the evaluation core over generated clusters, parameters and hostile input.

mod common;

use std::collections::BTreeSet;

use msk_mtls_rule::edge::configuration::{read_facts, read_facts_from_value};
use msk_mtls_rule::edge::event::ConfigRuleEvent;
use msk_mtls_rule::edge::json::Json;
use msk_mtls_rule::rule::authorization::ConfigurationReport;
use msk_mtls_rule::rule::ca::{unremarkable, CaHealth, CaHealthReport, CaStatus};
use msk_mtls_rule::rule::checks::Inputs;
use msk_mtls_rule::rule::evaluation::{ComplianceType, ANNOTATION_MAX_CHARS};
use msk_mtls_rule::rule::facts::{ClientBroker, Cluster, ClusterFacts};
use msk_mtls_rule::rule::params::{RuleParams, SaslMechanism};
use msk_mtls_rule::rule::verdict::{evaluate, Verdict};
use msk_mtls_rule::Timestamp;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const NOW: i64 = 1_700_000_000;

fn ca_arn(n: u8) -> String {
    format!("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/{n:08}-1111-2222-3333-444444444444")
}

/// A recorded configuration in Config's PascalCase, with each block present, absent or null.
fn configuration() -> impl Strategy<Value = Value> {
    let toggle = prop_oneof![
        Just(Value::Null),
        Just(json!({})),
        any::<bool>().prop_map(|enabled| json!({"Enabled": enabled})),
    ];
    let cas = prop::collection::vec(0u8..4, 0..3)
        .prop_map(|ns| ns.into_iter().map(ca_arn).collect::<Vec<_>>());
    let enabled = prop_oneof![4 => Just(Some(true)), 1 => Just(Some(false)), 1 => Just(None)];
    let tls = (enabled, cas).prop_map(|(enabled, cas)| {
        let mut tls = json!({"CertificateAuthorityArnList": cas});
        if let Some(enabled) = enabled {
            tls["Enabled"] = json!(enabled);
        }
        tls
    });
    let broker = prop_oneof![
        Just(Value::Null),
        Just(json!("TLS")),
        Just(json!("TLS_PLAINTEXT")),
        Just(json!("PLAINTEXT")),
    ];
    let tags = prop::collection::btree_set("[a-z]{1,6}", 0..3);
    (
        toggle.clone(),
        toggle.clone(),
        toggle.clone(),
        prop::option::weighted(0.9, tls),
        broker,
        toggle.clone(),
        toggle,
        tags,
    )
        .prop_map(|(iam, scram, unauthenticated, tls, broker, vpc_iam, vpc_scram, tags)| {
            json!({
                "ClientAuthentication": {
                    "Sasl": {"Iam": iam, "Scram": scram},
                    "Tls": tls,
                    "Unauthenticated": unauthenticated,
                },
                "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": broker, "InCluster": true}},
                // KRaft: no ZooKeeper, which only a running cluster's operations could judge.
                "KafkaVersion": "3.7.x.kraft",
                "BrokerNodeGroupInfo": {"ConnectivityInfo": {"VpcConnectivity": {
                    "ClientAuthentication": {"Sasl": {"Iam": vpc_iam, "Scram": vpc_scram}}}}},
                "Tags": tags.into_iter().map(|key| (key, json!("v"))).collect::<Map<String, Value>>(),
            })
        })
}

fn params() -> impl Strategy<Value = RuleParams> {
    (
        prop::collection::btree_set(
            prop_oneof![Just(SaslMechanism::Iam), Just(SaslMechanism::Scram)],
            0..3,
        ),
        prop::option::of(prop::collection::btree_set((0u8..4).prop_map(ca_arn), 0..3)),
        prop::collection::vec("[a-z]{1,6}", 0..3),
        any::<bool>(),
        0u32..400,
        any::<bool>(),
    )
        .prop_map(
            |(sasl, allowed_cas, tags, check_cas, days, require_acl)| RuleParams {
                allowed_sasl_mechanisms: sasl,
                allowed_certificate_authority_arns: allowed_cas,
                required_tag_keys: tags,
                check_certificate_authority_status: check_cas,
                certificate_authority_expiry_days: days,
                require_acl_default_deny: require_acl,
                ..RuleParams::default()
            },
        )
}

fn ca_report() -> impl Strategy<Value = CaHealthReport> {
    let health = prop_oneof![
        (-30i64..800).prop_map(|days| CaHealth::Active {
            not_after: Some(Timestamp::from_secs(NOW + days * 86_400))
        }),
        Just(CaHealth::Active { not_after: None }),
        Just(CaHealth::NotActive {
            status: CaStatus::Disabled
        }),
        Just(CaHealth::NotFound),
        Just(CaHealth::Unreadable {
            reason: "AccessDeniedException".into()
        }),
    ];
    prop::collection::btree_map((0u8..4).prop_map(ca_arn), health, 0..4)
}

/// The same JSON with every key in the Kafka API's camelCase.
fn camel_case(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let key = if key == "Tags" {
                        return ("tags".to_owned(), value.clone()); // tag keys are data, not names
                    } else {
                        let mut chars = key.chars();
                        chars
                            .next()
                            .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                            .unwrap_or_default()
                    };
                    (key, camel_case(value))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_case).collect()),
        other => other.clone(),
    }
}

fn verdict_of(
    configuration: Value,
    params: &RuleParams,
    cas: &CaHealthReport,
) -> (ClusterFacts, Verdict) {
    let facts = read_facts_from_value(configuration, []).unwrap();
    let verdict = judge_facts(facts.clone(), params, cas);
    (facts, verdict)
}

fn judge_facts(facts: ClusterFacts, params: &RuleParams, cas: &CaHealthReport) -> Verdict {
    evaluate(&Inputs {
        cluster: &Cluster::Provisioned(facts),
        params,
        cas,
        resource_id: "",
        trust: &unremarkable(cas),
        configurations: &ConfigurationReport::new(),
        zookeeper: None,
        used_by: &Default::default(),
        now: Timestamp::from_secs(NOW),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn open_doors_are_never_compliant(config in configuration(), params in params(), cas in ca_report()) {
        let (facts, verdict) = verdict_of(config, &params, &cas);
        if facts.unauthenticated_access || facts.client_broker != Some(ClientBroker::Tls) || !facts.tls_client_authentication {
            prop_assert_ne!(verdict.compliance, ComplianceType::Compliant);
        }
        if verdict.compliance == ComplianceType::Compliant {
            prop_assert!(verdict.findings.is_empty());
            // A COMPLIANT result says only what it notes; a note never stands where a failure
            // should when the parameters make it one.
            let notes: Vec<String> = verdict.notes.iter().map(ToString::to_string).collect();
            prop_assert_eq!(verdict.annotation(), (!notes.is_empty()).then(|| notes.join("; ")));
            prop_assert!(!params.require_acl_default_deny || verdict.notes.is_empty());
        }
    }

    #[test]
    fn every_failed_check_is_named_or_counted(config in configuration(), params in params(), cas in ca_report()) {
        let (_, verdict) = verdict_of(config, &params, &cas);
        if let Some(annotation) = verdict.annotation() {
            let length = annotation.chars().count();
            prop_assert!((1..=ANNOTATION_MAX_CHARS).contains(&length), "{} chars", length);
            let cut = annotation.ends_with(" more)") || annotation.ends_with('…');
            for finding in &verdict.findings {
                prop_assert!(cut || annotation.contains(&finding.to_string()), "{} missing from {}", finding, annotation);
            }
        } else {
            prop_assert!(verdict.findings.is_empty());
        }
    }

    #[test]
    fn spelling_and_key_order_do_not_change_the_verdict(config in configuration(), params in params(), cas in ca_report()) {
        let (pascal_facts, pascal) = verdict_of(config.clone(), &params, &cas);
        let (camel_facts, camel) = verdict_of(camel_case(&config), &params, &cas);
        prop_assert_eq!(&pascal_facts, &camel_facts);
        prop_assert_eq!(&pascal, &camel);
        // Key order: the same object written with its keys reversed, parsed from text.
        let reversed = reverse_keys(&config).to_string();
        let (_, from_text) = verdict_of(serde_json::from_str(&reversed).unwrap(), &params, &cas);
        prop_assert_eq!(&pascal, &from_text);
    }

    #[test]
    fn arbitrary_configurations_never_panic(config in arbitrary_json(4)) {
        let _ = read_facts_from_value(config, []);
    }

    #[test]
    fn arbitrary_events_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = ConfigRuleEvent::from_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_rule_parameters_never_panic(parameters in arbitrary_json(2)) {
        let _ = RuleParams::parse(Some(&parameters.to_string()));
    }
}

/// serde_json keeps keys sorted, so "reversed" is rendered by hand.
fn reverse_keys(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .rev()
                .map(|(key, value)| {
                    format!("{}:{}", Value::String(key.clone()), reverse_keys(value))
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(reverse_keys).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

fn arbitrary_json(depth: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("TLS".to_owned()),
            Just("Enabled".to_owned()),
            Just("ClientAuthentication".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    let names = prop_oneof![
        Just("ClientAuthentication"),
        Just("clientAuthentication"),
        Just("Tls"),
        Just("tls"),
        Just("Enabled"),
        Just("enabled"),
        Just("Sasl"),
        Just("Iam"),
        Just("Unauthenticated"),
        Just("CertificateAuthorityArnList"),
        Just("EncryptionInfo"),
        Just("EncryptionInTransit"),
        Just("ClientBroker"),
        Just("Tags"),
        Just("Provisioned"),
        Just("BrokerNodeGroupInfo"),
        Just("ConnectivityInfo"),
        Just("VpcConnectivity"),
        Just("other"),
        Just("allowedSaslMechanisms"),
        Just("certificateAuthorityExpiryDays")
    ];
    leaf.prop_recursive(depth, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(names.clone().prop_map(str::to_owned), inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

#[test]
fn the_generators_reach_every_verdict() {
    // Guards the properties above against a generator that never produces the interesting cases.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..2_000 {
        let config = configuration().new_tree(&mut runner).unwrap().current();
        let params = params().new_tree(&mut runner).unwrap().current();
        let cas = ca_report().new_tree(&mut runner).unwrap().current();
        seen.insert(verdict_of(config, &params, &cas).1.compliance.as_str());
    }
    assert_eq!(seen, BTreeSet::from(["COMPLIANT", "NON_COMPLIANT"]));
}

/// A COMPLIANT configuration (mTLS only, multi-VPC over TLS) as a tree of named objects, so one
/// entry can be written into any object on the path the rule reads, before or after the others.
enum Part {
    Object(&'static str, Vec<(&'static str, Part)>),
    Raw(&'static str),
}

fn compliant_tree() -> Part {
    use Part::{Object, Raw};
    let toggle = |name, on| {
        Object(
            name,
            vec![("Enabled", Raw(if on { "true" } else { "false" }))],
        )
    };
    Object(
        "root",
        vec![
            (
                "ClientAuthentication",
                Object(
                    "auth",
                    vec![
                        (
                            "Sasl",
                            Object("sasl", vec![("Iam", toggle("iam", false)), ("Scram", toggle("scram", false))]),
                        ),
                        (
                            "Tls",
                            Object(
                                "tls",
                                vec![
                                    ("CertificateAuthorityArnList", Raw("[\"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000001-1111-2222-3333-444444444444\"]")),
                                    ("Enabled", Raw("true")),
                                ],
                            ),
                        ),
                        ("Unauthenticated", toggle("unauthenticated", false)),
                    ],
                ),
            ),
            ("KafkaVersion", Raw("\"3.7.x.kraft\"")),
            (
                "EncryptionInfo",
                Object(
                    "encryption",
                    vec![("EncryptionInTransit", Object("in_transit", vec![("ClientBroker", Raw("\"TLS\"")), ("InCluster", Raw("true"))]))],
                ),
            ),
            (
                "BrokerNodeGroupInfo",
                Object(
                    "broker_nodes",
                    vec![(
                        "ConnectivityInfo",
                        Object(
                            "connectivity",
                            vec![(
                                "VpcConnectivity",
                                Object(
                                    "vpc",
                                    vec![(
                                        "ClientAuthentication",
                                        Object("vpc_auth", vec![("Tls", toggle("vpc_tls", true))]),
                                    )],
                                ),
                            )],
                        ),
                    )],
                ),
            ),
        ],
    )
}

fn spelled(key: &str, camel: bool) -> String {
    if !camel {
        return key.to_owned();
    }
    let mut chars = key.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The tree as JSON text, with `extra` (a `"key":value` entry) written into object `at`.
fn render(part: &Part, camel: bool, at: &str, extra: &str, first: bool) -> String {
    match part {
        Part::Raw(text) => (*text).to_owned(),
        Part::Object(name, entries) => {
            let mut items: Vec<String> = entries
                .iter()
                .map(|(key, value)| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(&spelled(key, camel)).unwrap(),
                        render(value, camel, at, extra, first)
                    )
                })
                .collect();
            if *name == at {
                if first {
                    items.insert(0, extra.to_owned())
                } else {
                    items.push(extra.to_owned())
                }
            }
            format!("{{{}}}", items.join(","))
        }
    }
}

/// For each object: a key of it, and a value for that key that opens a door.
const OPENING_ENTRIES: &[(&str, &str, &str)] = &[
    (
        "root",
        "ClientAuthentication",
        r#"{"Unauthenticated":{"Enabled":true}}"#,
    ),
    (
        "root",
        "EncryptionInfo",
        r#"{"EncryptionInTransit":{"ClientBroker":"PLAINTEXT"}}"#,
    ),
    ("auth", "Unauthenticated", r#"{"Enabled":true}"#),
    ("auth", "Sasl", r#"{"Scram":{"Enabled":true}}"#),
    ("auth", "Tls", r#"{"Enabled":false}"#),
    ("sasl", "Iam", r#"{"Enabled":true}"#),
    ("sasl", "Scram", r#"{"Enabled":true}"#),
    ("iam", "Enabled", "true"),
    ("scram", "Enabled", "true"),
    ("unauthenticated", "Enabled", "true"),
    ("tls", "Enabled", "false"),
    (
        "encryption",
        "EncryptionInTransit",
        r#"{"ClientBroker":"TLS_PLAINTEXT"}"#,
    ),
    ("in_transit", "ClientBroker", r#""PLAINTEXT""#),
    (
        "connectivity",
        "VpcConnectivity",
        r#"{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}"#,
    ),
    (
        "vpc",
        "ClientAuthentication",
        r#"{"Sasl":{"Scram":{"Enabled":true}}}"#,
    ),
    ("vpc_auth", "Sasl", r#"{"Iam":{"Enabled":true}}"#),
    // A second version in ZooKeeper mode: the door of direct ZooKeeper access.
    ("root", "KafkaVersion", r#""3.6.0""#),
];

/// The objects whose every key the rule knows: an unknown key there is a way in.
const CLIENT_AUTHENTICATION_BLOCKS: &[&str] = &[
    "auth",
    "sasl",
    "tls",
    "iam",
    "scram",
    "unauthenticated",
    "vpc_auth",
    "vpc_tls",
];
const KNOWN_NAMES: &[&str] = &[
    "sasl",
    "tls",
    "unauthenticated",
    "iam",
    "scram",
    "enabled",
    "certificateauthorityarnlist",
];

/// A key that differs from `key` only by case, whitespace, an invisible character or a homoglyph.
fn near_miss(key: &'static str) -> impl Strategy<Value = String> {
    let len = key.chars().count();
    prop_oneof![
        (0..len).prop_map(move |i| key
            .chars()
            .enumerate()
            .map(|(j, c)| if i == j {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            } else {
                c
            })
            .collect::<String>()),
        (0..=len, prop_oneof![Just(' '), Just('\t'), Just('\u{a0}')])
            .prop_map(move |(i, c)| insert_at(key, i, c)),
        (
            0..=len,
            prop_oneof![
                Just('\u{200b}'),
                Just('\u{200c}'),
                Just('\u{2060}'),
                Just('\u{feff}'),
                Just('\u{ad}')
            ]
        )
            .prop_map(move |(i, c)| insert_at(key, i, c)),
        (0..len).prop_filter_map("a letter with a look-alike", move |i| {
            let lookalike = |c: char| match c {
                'a' => Some('\u{430}'),
                'e' => Some('\u{435}'),
                'o' => Some('\u{43e}'),
                'c' => Some('\u{441}'),
                'i' => Some('\u{456}'),
                'p' => Some('\u{440}'),
                'S' => Some('\u{405}'),
                'T' => Some('\u{422}'),
                'E' => Some('\u{415}'),
                'C' => Some('\u{421}'),
                'I' => Some('\u{406}'),
                'B' => Some('\u{412}'),
                _ => None,
            };
            let c = key.chars().nth(i)?;
            let l = lookalike(c)?;
            Some(
                key.chars()
                    .enumerate()
                    .map(|(j, k)| if j == i { l } else { k })
                    .collect(),
            )
        }),
    ]
}

fn insert_at(key: &str, at: usize, c: char) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    chars.insert(at, c);
    chars.into_iter().collect()
}

/// One ambiguous entry that opens a door: a duplicate, an unknown key in a client-authentication
/// block, or a near-miss spelling; with where it goes, in which spelling, and before or after.
fn ambiguous_entry() -> impl Strategy<Value = (&'static str, String, bool, bool)> {
    let duplicate = (0..OPENING_ENTRIES.len(), any::<bool>()).prop_map(|(i, camel)| {
        let (at, key, value) = OPENING_ENTRIES[i];
        (
            at,
            format!(
                "{}:{value}",
                serde_json::to_string(&spelled(key, camel)).unwrap()
            ),
            camel,
        )
    });
    let unknown = (
        0..CLIENT_AUTHENTICATION_BLOCKS.len(),
        "[A-Za-z]{1,12}",
        any::<bool>(),
    )
        .prop_filter("not a known key", |(_, name, _)| {
            !KNOWN_NAMES.contains(&name.to_ascii_lowercase().as_str())
        })
        .prop_map(|(i, name, camel)| {
            (
                CLIENT_AUTHENTICATION_BLOCKS[i],
                format!(r#""{name}":{{"Enabled":true}}"#),
                camel,
            )
        });
    let near = (0..OPENING_ENTRIES.len(), any::<bool>()).prop_flat_map(|(i, camel)| {
        let (at, key, value) = OPENING_ENTRIES[i];
        near_miss(key).prop_map(move |name| {
            (
                at,
                format!(
                    "{}:{value}",
                    serde_json::to_string(&spelled(&name, camel)).unwrap()
                ),
                camel,
            )
        })
    });
    (prop_oneof![duplicate, unknown, near], any::<bool>())
        .prop_map(|((at, entry, camel), first)| (at, entry, camel, first))
}

fn compliant_params() -> RuleParams {
    RuleParams {
        check_certificate_authority_status: false,
        ..RuleParams::default()
    }
}

fn verdict_of_text(text: &str) -> Result<ComplianceType, String> {
    let json = Json::parse(text).map_err(|e| e.to_string())?;
    let facts = read_facts(&json, []).map_err(|e| e.0)?;
    Ok(judge_facts(facts, &compliant_params(), &CaHealthReport::new()).compliance)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn an_ambiguous_entry_that_opens_a_door_never_reads_compliant((at, entry, camel, first) in ambiguous_entry()) {
        let base = render(&compliant_tree(), camel, "", "", first);
        prop_assert_eq!(verdict_of_text(&base), Ok(ComplianceType::Compliant), "{}", base);
        let text = render(&compliant_tree(), camel, at, &entry, first);
        let verdict = verdict_of_text(&text);
        prop_assert_ne!(verdict, Ok(ComplianceType::Compliant), "{}", text);
    }
}

/// Rule parameters as a Config rule (or the hook's `HOOK_RULE_PARAMETERS`) passes them: JSON text.
fn parameters_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just(""), Just("IAM"), Just("SCRAM"), Just("IAM,SCRAM")],
        prop::option::of(prop::collection::btree_set((0u8..4).prop_map(ca_arn), 1..3)),
        prop::collection::vec("[a-z]{1,6}", 0..3),
        any::<bool>(),
        0u32..400,
    )
        .prop_map(|(sasl, allowed_cas, tags, check_cas, days)| {
            json!({
                "allowedSaslMechanisms": sasl,
                "allowedCertificateAuthorityArns": allowed_cas.map(|cas| cas.into_iter().collect::<Vec<_>>().join(",")).unwrap_or_default(),
                "requiredTagKeys": tags.join(","),
                "checkCertificateAuthorityStatus": check_cas.to_string(),
                "certificateAuthorityExpiryDays": days.to_string(),
            })
            .to_string()
        })
}

/// The health of every CA the generator can name.
fn every_ca_health() -> impl Strategy<Value = CaHealthReport> {
    ca_report().prop_map(|mut report| {
        for n in 0..4 {
            report.entry(ca_arn(n)).or_insert(CaHealth::NotFound);
        }
        report
    })
}

/// The same properties as CloudFormation may pass them to a hook: every boolean as a string.
fn stringly(value: &Value) -> Value {
    match value {
        Value::Bool(flag) => json!(flag.to_string()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), stringly(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(stringly).collect()),
        other => other.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A cluster's verdict is the same as a recorded configuration (the Config rule) and as the
    /// proposed properties of a CloudFormation hook request, booleans as strings included.
    #[test]
    fn the_hook_gives_the_rules_verdict(config in configuration(), parameters in parameters_text(), cas in every_ca_health(), as_strings in any::<bool>()) {
        let params = RuleParams::parse(Some(&parameters)).unwrap();
        let (_, verdict) = verdict_of(config.clone(), &params, &cas);
        let properties = if as_strings { stringly(&config) } else { config };
        let request = json!({
            "clientRequestToken": "t",
            "actionInvocationPoint": "CREATE_PRE_PROVISION",
            "requestData": {"targetName": "AWS::MSK::Cluster", "targetType": "AWS::MSK::Cluster", "targetLogicalId": "Cluster",
                            "targetModel": {"resourceProperties": properties}},
        });
        let fakes = (common::FakeSink::default(), common::FakeHistory::default(),
                     common::FakeCas { health: cas.clone(), ..Default::default() },
                     common::FakeFleet::default(), std::sync::Mutex::new(Vec::new()));
        let account = common::FakeAccount { sink: &fakes.0, history: &fakes.1, cas: &fakes.2, fleet: &fakes.3, assumed: &fakes.4 };
        let answer = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(
            msk_mtls_rule::app::hook::answer_hook(&account, &Json::from(request), Some(&parameters), Timestamp::from_secs(NOW)));
        let answer = serde_json::to_value(answer).unwrap();
        match verdict.compliance {
            ComplianceType::Compliant => prop_assert_eq!(&answer["hookStatus"], "SUCCESS", "{}", answer),
            ComplianceType::NonCompliant => {
                prop_assert_eq!(&answer["errorCode"], "NonCompliant", "{}", answer);
                let message = answer["message"].as_str().unwrap();
                for finding in &verdict.findings {
                    prop_assert!(message.contains(&finding.to_string()), "{} missing from {}", finding, message);
                }
            }
            ComplianceType::NotApplicable => prop_assert!(false, "a provisioned cluster is judged"),
        }
    }
}

/// The same cluster as a `terraform show -json` change, when Terraform can say it: a way in given
/// without its flag, or TLS without its flag and without a CA, has no Terraform spelling.
fn to_terraform(config: &Value) -> Option<Value> {
    fn flag(toggle: &Value) -> Option<Value> {
        match toggle {
            Value::Null => Some(Value::Null),
            Value::Object(map) => map.get("Enabled").cloned(),
            _ => None,
        }
    }
    let auth = &config["ClientAuthentication"];
    let tls = match &auth["Tls"] {
        Value::Null => json!([]),
        // AWS's documented shape: a CA list with no flag is on, as a Terraform `tls` block is.
        tls if tls["Enabled"] == json!(true)
            || (tls.get("Enabled").is_none()
                && tls["CertificateAuthorityArnList"]
                    .as_array()
                    .is_some_and(|arns| {
                        arns.iter()
                            .any(|arn| arn.as_str().is_some_and(|arn| !arn.trim().is_empty()))
                    })) =>
        {
            json!([{"certificate_authority_arns": tls["CertificateAuthorityArnList"]}])
        }
        _ => return None,
    };
    let vpc = &config["BrokerNodeGroupInfo"]["ConnectivityInfo"]["VpcConnectivity"]
        ["ClientAuthentication"]["Sasl"];
    Some(json!({
        "client_authentication": [{
            "unauthenticated": flag(&auth["Unauthenticated"])?,
            "sasl": [{"iam": flag(&auth["Sasl"]["Iam"])?, "scram": flag(&auth["Sasl"]["Scram"])?}],
            "tls": tls,
        }],
        "encryption_info": [{"encryption_in_transit": [{
            "client_broker": config["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"], "in_cluster": true}]}],
        "broker_node_group_info": [{"connectivity_info": [{"vpc_connectivity": [{"client_authentication": [{
            "tls": null, "sasl": [{"iam": flag(&vpc["Iam"])?, "scram": flag(&vpc["Scram"])?}]}]}]}]}],
        "kafka_version": config["KafkaVersion"],
        "tags": config["Tags"],
    }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A cluster's verdict is the same whether it is recorded by Config, proposed in a
    /// CloudFormation template, or planned by Terraform (compliance only there: Terraform has no
    /// TLS flag, so "TLS off with CAs listed" reads as "TLS off, no CA", equally NON_COMPLIANT).
    #[test]
    fn templates_and_plans_give_the_rules_verdict(config in configuration(), parameters in parameters_text(), cas in every_ca_health()) {
        use msk_mtls_rule::check::{judge::judge, sources::candidates};
        let params = RuleParams::parse(Some(&parameters)).unwrap();
        let (_, verdict) = verdict_of(config.clone(), &params, &cas);
        let now = Timestamp::from_secs(NOW);

        let template = json!({"Resources": {"Cluster": {"Type": "AWS::MSK::Cluster", "Properties": config}}});
        let found = candidates(&template.to_string()).unwrap();
        let judged = judge(&found[0].resource_type, &found[0].properties, &found[0].configuration, &params, (&cas, &unremarkable(&cas)), now).unwrap();
        prop_assert_eq!(judged.compliance, verdict.compliance);
        let texts: Vec<String> = judged.findings.iter().map(|(_, f)| f.to_string()).collect();
        let expected: Vec<String> = verdict.findings.iter().map(ToString::to_string).collect();
        prop_assert_eq!(texts, expected);

        if let Some(after) = to_terraform(&config) {
            let plan = json!({"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": [{
                "address": "aws_msk_cluster.c", "mode": "managed", "type": "aws_msk_cluster", "name": "c",
                "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {}}}]});
            let found = candidates(&plan.to_string()).unwrap();
            let judged = judge(&found[0].resource_type, &found[0].properties, &found[0].configuration, &params, (&cas, &unremarkable(&cas)), now).unwrap();
            prop_assert_eq!(judged.compliance, verdict.compliance, "{}", after);
        }
    }
}

/// The Terraform form of the property above is reached: a cluster with every flag given has one.
#[test]
fn a_cluster_with_every_flag_given_has_a_terraform_form() {
    let config = json!({
        "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": false}, "Scram": null},
                                 "Tls": {"Enabled": true, "CertificateAuthorityArnList": [ca_arn(1)]},
                                 "Unauthenticated": {"Enabled": false}},
        "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": true}},
        "BrokerNodeGroupInfo": {"ConnectivityInfo": {"VpcConnectivity": {
            "ClientAuthentication": {"Sasl": {"Iam": null, "Scram": {"Enabled": false}}}}}},
        "Tags": {"owner": "v"},
    });
    let after = to_terraform(&config).expect("representable");
    assert_eq!(
        after["client_authentication"][0]["tls"][0]["certificate_authority_arns"],
        json!([ca_arn(1)])
    );
    let flagless = json!({"ClientAuthentication": {"Unauthenticated": {}}});
    assert_eq!(
        to_terraform(&flagless),
        None,
        "a way in without its flag has no Terraform spelling"
    );
}

/// One statement of a CA's resource policy, from the shapes IAM takes: either effect, every way to
/// name a principal and an action, with or without a condition.
fn policy_statement() -> impl Strategy<Value = Value> {
    let effect = prop_oneof![Just("Allow"), Just("Deny")];
    let principal = prop_oneof![
        Just(("Principal", json!("*"))),
        Just(("Principal", json!({"AWS": "*"}))),
        Just(("Principal", json!({"AWS": "444455556666"}))),
        Just((
            "Principal",
            json!({"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::777788889999:role/x"]})
        )),
        Just(("Principal", json!({"Service": "acm.amazonaws.com"}))),
        Just(("NotPrincipal", json!({"AWS": "444455556666"}))),
    ];
    let action = prop_oneof![
        Just(("Action", json!("acm-pca:IssueCertificate"))),
        Just((
            "Action",
            json!(["acm-pca:GetCertificate", "acm-pca:Issue*"])
        )),
        Just(("Action", json!("acm-pca:*"))),
        Just(("Action", json!("acm-pca:GetCertificate"))),
        Just(("NotAction", json!("acm-pca:RevokeCertificate"))),
        Just(("NotAction", json!("acm-pca:IssueCertificate"))),
    ];
    (effect, principal, action, any::<bool>()).prop_map(
        |(effect, (p_key, p), (a_key, a), condition)| {
            let mut statement = json!({"Effect": effect, p_key: p, a_key: a, "Resource": "*"});
            if condition {
                statement["Condition"] =
                    json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}});
            }
            statement
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Who else can issue from a CA is never read narrower than the policy: a statement added
    /// (a Deny, a condition included) never takes an issuer away, and an Allow of issuing to
    /// anyone always reads as `*`.
    #[test]
    fn a_policy_is_never_read_as_narrower_than_it_is(statements in prop::collection::vec(policy_statement(), 0..6), extra in policy_statement()) {
        use msk_mtls_rule::rule::ca::outside_issuers;
        let own = "111122223333";
        let before = outside_issuers(&json!({"Statement": statements}).to_string(), own).unwrap();
        let mut more = statements.clone();
        more.push(extra.clone());
        let after = outside_issuers(&json!({"Statement": more}).to_string(), own).unwrap();
        prop_assert!(before.is_subset(&after), "{before:?} {after:?} after {extra}");
        let anyone = extra["Effect"] == "Allow"
            && (extra.get("NotPrincipal").is_some() || extra["Principal"] == json!("*") || extra["Principal"] == json!({"AWS": "*"}))
            && extra.get("NotAction") != Some(&json!("acm-pca:IssueCertificate"))
            && extra.get("Action") != Some(&json!("acm-pca:GetCertificate"));
        prop_assert!(!anyone || after.contains("*"), "{after:?} after {extra}");
        prop_assert!(!after.contains(own), "the CA's own account is never another issuer");
    }

    /// Whatever text GetPolicy answers, reading it ends in issuers or an error, never a panic.
    #[test]
    fn any_policy_text_is_read_or_refused(text in ".{0,200}", json in arbitrary_json(3)) {
        use msk_mtls_rule::rule::ca::outside_issuers;
        let _ = outside_issuers(&text, "111122223333");
        let _ = outside_issuers(&json.to_string(), "111122223333");
        let _ = outside_issuers(&json!({"Statement": json}).to_string(), "111122223333");
    }
}
