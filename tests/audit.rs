//! `msk-mtls-rule audit` end to end: the release binary, with the caller's credentials, against the
//! local AWS emulator (moto) holding clusters in two accounts and two regions, an organization, an
//! account whose role is missing and a region an account has not enabled. Every output format is
//! parsed back. Needs `make tools build` first.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

use std::path::PathBuf;
use std::process::{Command, Output};

use harness::{cli_against, python, Emulator};
use serde_json::{json, Value};

/// The caller's account: the emulator's default, the organization's management account.
const OWN: &str = "123456789012";
const MEMBER: &str = "111111111111";
const ROLE_MISSING: &str = "222222222222";
const SUSPENDED: &str = "333333333333";
const ROLE: &str = "msk-mtls-audit";

fn audit(emulator: &Emulator, args: &[&str]) -> Output {
    audit_in(emulator, Some("us-east-1"), args)
}

fn audit_in(emulator: &Emulator, region: Option<&str>, args: &[&str]) -> Output {
    cli_against(emulator, region)
        .arg("audit")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A CA whose resource policy lets only its own account issue (GetPolicy answers it).
fn ca(emulator: &Emulator, account: &str, region: &str, days: u32, status: &str) -> String {
    let own_account_only = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
        "Action": "acm-pca:IssueCertificate", "Resource": "*"}]});
    emulator.control(
        "/_e2e/private-ca",
        json!({"account": account, "region": region, "days": days, "status": status,
               "policy": own_account_only}),
    )["arn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn mtls(name: &str, ca: &str) -> Value {
    json!({"name": name,
           "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                    "sasl": {"iam": {"enabled": false}, "scram": {"enabled": false}},
                                    "unauthenticated": {"enabled": false}},
           "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": true}}})
}

fn clusters(emulator: &Emulator, account: &str, region: &str, clusters: Vec<Value>) {
    emulator.control(
        "/_e2e/clusters",
        json!({"account": account, "region": region, "clusters": clusters}),
    );
}

/// Own account: us-east-1 has one cluster of each verdict, eu-west-1 one whose CA is DISABLED.
/// Member account: one compliant cluster in each region.
fn two_accounts_two_regions(emulator: &Emulator) {
    let own_ca = ca(emulator, OWN, "us-east-1", 400, "ACTIVE");
    clusters(
        emulator,
        OWN,
        "us-east-1",
        vec![
            mtls("orders", &own_ca),
            json!({"name": "open-door", "clientAuthentication": {"unauthenticated": {"enabled": true}},
                   "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT"}}}),
            json!({"name": "events", "serverless": true}),
        ],
    );
    let disabled_ca = ca(emulator, OWN, "eu-west-1", 400, "DISABLED");
    clusters(
        emulator,
        OWN,
        "eu-west-1",
        vec![mtls("payments", &disabled_ca)],
    );
    // The member's clusters run a configuration that closes the ACL default: read with the role.
    let closed = format!("arn:aws:kafka:us-east-1:{MEMBER}:configuration/tenants/7e1f-1");
    emulator.control(
        "/_e2e/configurations",
        json!({"configurations": [{"arn": closed, "revision": 1,
                                   "serverProperties": "allow.everyone.if.no.acl.found=false"}]}),
    );
    for region in ["us-east-1", "eu-west-1"] {
        let member_ca = ca(emulator, MEMBER, region, 400, "ACTIVE");
        let mut cluster = mtls(&format!("member-{region}"), &member_ca);
        cluster["configurationInfo"] = json!({"arn": closed, "revision": 1});
        clusters(emulator, MEMBER, region, vec![cluster]);
    }
    emulator.control(
        "/_e2e/missing-roles",
        json!({"arns": [format!("arn:aws:iam::{ROLE_MISSING}:role/{ROLE}")]}),
    );
}

/// The IAM action of an operation the audit calls.
fn iam_action(operation: &str) -> String {
    let service = match operation {
        "ListClustersV2" => "kafka",
        "DescribeCertificateAuthority" | "GetPolicy" => "acm-pca",
        "DescribeConfigurationRevision" | "ListClusterOperations" => "kafka",
        "GetBootstrapBrokers" | "ListClientVpcConnections" | "ListReplicators" => "kafka",
        "ListConnectors" => "kafkaconnect",
        "ListRegions" => "account",
        other => panic!("the audit called {other} in a member account"),
    };
    format!("{service}:{operation}")
}

/// The actions deploy/audit-role.yaml grants (`- service:Action` and `Action: service:Action`
/// lines of its policy; the trust policy's sts:AssumeRole is not the role's).
fn audit_role_actions() -> std::collections::BTreeSet<String> {
    let template = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/audit-role.yaml"),
    )
    .unwrap();
    let policy = template.split("Policies:").nth(1).unwrap();
    policy
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            line.strip_prefix("- ")
                .or_else(|| line.strip_prefix("Action: "))
        })
        .filter(|action| {
            action.split_once(':').is_some_and(|(service, name)| {
                !service.is_empty()
                    && service.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                    && name.bytes().all(|b| b.is_ascii_alphanumeric())
            })
        })
        .map(str::to_owned)
        .collect()
}

fn verdicts(report: &Value) -> Vec<(String, String, String, String)> {
    let mut rows: Vec<(String, String, String, String)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let name = row["resourceId"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(1)
                .unwrap()
                .to_owned();
            (
                row["account"].as_str().unwrap().to_owned(),
                row["region"].as_str().unwrap().to_owned(),
                name,
                row["complianceType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report
        .as_array()
        .unwrap()
        .iter()
        .find(|row| {
            row["resourceId"]
                .as_str()
                .unwrap()
                .contains(&format!("/{name}/"))
        })
        .unwrap_or_else(|| panic!("no row for {name}: {report}"))
}

#[test]
fn two_accounts_and_two_regions_give_every_verdict_and_the_missing_role_is_named() {
    let emulator = Emulator::start();
    two_accounts_two_regions(&emulator);
    let accounts = format!("{OWN},{MEMBER},{ROLE_MISSING}");
    let output = audit(
        &emulator,
        &[
            "--regions",
            "us-east-1,eu-west-1",
            "--role-name",
            ROLE,
            "--accounts",
            &accounts,
            "--format",
            "json",
            "--parameters",
            r#"{"serverlessClusterCompliance": "NON_COMPLIANT"}"#,
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "a NON_COMPLIANT cluster: {}",
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let row_of = |account: &str, region: &str, name: &str, verdict: &str| {
        (
            account.to_owned(),
            region.to_owned(),
            name.to_owned(),
            verdict.to_owned(),
        )
    };
    assert_eq!(
        verdicts(&report),
        vec![
            row_of(MEMBER, "eu-west-1", "member-eu-west-1", "COMPLIANT"),
            row_of(MEMBER, "us-east-1", "member-us-east-1", "COMPLIANT"),
            row_of(OWN, "eu-west-1", "payments", "NON_COMPLIANT"),
            row_of(OWN, "us-east-1", "events", "NON_COMPLIANT"),
            row_of(OWN, "us-east-1", "open-door", "NON_COMPLIANT"),
            row_of(OWN, "us-east-1", "orders", "COMPLIANT"),
        ]
    );
    let open_door = row(&report, "open-door");
    assert_eq!(
        open_door["findings"],
        json!([
            "unauthenticated access is enabled",
            "TLS client authentication is disabled",
            "no Private CA is set for TLS client authentication",
            "client-broker encryption is TLS_PLAINTEXT, not TLS: a plaintext listener is open"
        ])
    );
    assert_eq!(open_door["resourceType"], "AWS::MSK::Cluster");
    assert!(open_door["annotation"]
        .as_str()
        .unwrap()
        .starts_with("unauthenticated access is enabled"));
    let payments = row(&report, "payments");
    assert!(
        payments["findings"][0]
            .as_str()
            .unwrap()
            .ends_with("is DISABLED"),
        "the CA's health is read in the cluster's account and region: {payments}"
    );
    let events = row(&report, "events");
    assert_eq!(events["resourceType"], "AWS::MSK::ServerlessCluster");
    assert_eq!(
        events["findings"],
        json!(["MSK Serverless supports only SASL/IAM and cannot enforce mTLS"]),
        "the parameters given are the rule's: {events}"
    );
    assert_eq!(
        row(&report, "orders")["annotation"],
        "authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true",
        "a note, not a failure"
    );
    assert_eq!(row(&report, "member-us-east-1")["annotation"], Value::Null);

    let stderr = stderr(&output);
    assert!(
        stderr.contains(&format!(
            "account {ROLE_MISSING} (every region) could not be read: AWS AssumeRole failed"
        )) && stderr.contains("AccessDenied"),
        "{stderr}"
    );
    assert!(!stderr.contains("e2e-secret-access-key"), "{stderr}");

    let calls = emulator.calls();
    let operations: std::collections::BTreeSet<&str> = calls
        .iter()
        .map(|call| call["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        [
            "AssumeRole",
            "DescribeCertificateAuthority",
            "DescribeConfigurationRevision",
            "GetCallerIdentity",
            "GetPolicy",
            "ListClustersV2",
            // open-door admits anyone: who uses that door is listed (none does).
            "ListConnectors"
        ]
        .into(),
        "an audit only reads"
    );
    let assumed: Vec<&Value> = calls
        .iter()
        .filter(|c| c["operation"] == "AssumeRole")
        .collect();
    assert_eq!(
        assumed.len(),
        2,
        "once per other account, never for the caller's own: {assumed:?}"
    );
    let member_listings = calls
        .iter()
        .filter(|c| c["operation"] == "ListClustersV2" && c["key"] != "AKIAE2EEXAMPLEKEY000")
        .count();
    assert_eq!(
        member_listings, 2,
        "the member's two regions are listed with the role's credentials"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c["operation"] == "ListClustersV2")
            .count(),
        4
    );
}

#[test]
fn the_table_and_csv_carry_the_same_verdicts_and_the_summary_counts_by_account_and_region() {
    let emulator = Emulator::start();
    two_accounts_two_regions(&emulator);
    let accounts = format!("{OWN},{MEMBER}");
    let common = [
        "--regions",
        "us-east-1,eu-west-1",
        "--role-name",
        ROLE,
        "--accounts",
        &accounts,
    ];

    let csv = audit(&emulator, &[&common[..], &["--format", "csv"]].concat());
    assert_eq!(csv.status.code(), Some(1));
    let text = stdout(&csv);
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "account,region,resourceType,resourceId,complianceType,findings,annotation,notes,authorization"
    );
    assert_eq!(lines.len(), 7, "a header and six clusters: {text}");
    let open_door = lines
        .iter()
        .find(|line| line.contains("/open-door/"))
        .unwrap();
    assert!(
        open_door.contains(",NON_COMPLIANT,\"unauthenticated access is enabled; TLS client authentication is disabled; "),
        "{open_door}"
    );
    let serverless = lines.iter().find(|line| line.contains("/events/")).unwrap();
    assert!(
        serverless.contains(",AWS::MSK::ServerlessCluster,")
            && serverless.ends_with(
                ",NOT_APPLICABLE,,MSK Serverless supports only SASL/IAM and cannot enforce mTLS,,"
            ),
        "the default for Serverless, with its reason and no finding: {serverless}"
    );

    let table = audit(&emulator, &common);
    assert_eq!(table.status.code(), Some(1));
    let text = stdout(&table);
    let groups: Vec<usize> = [
        "NON_COMPLIANT (2)",
        "\nCOMPLIANT (3)",
        "NOT_APPLICABLE (1)",
        "SUMMARY:",
    ]
    .iter()
    .map(|heading| {
        text.find(heading)
            .unwrap_or_else(|| panic!("{heading:?} in {text}"))
    })
    .collect();
    assert!(groups.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    assert!(text.contains(
        "SUMMARY: 6 clusters in 4 account-regions read; 3 enforce mTLS, 2 do not, 1 not applicable; 60.0% of the judged enforce mTLS; 3 with authorization open by default (a topic without an ACL open to every client certificate)\n"
    ), "{text}");
    let line_of = |start: &str| {
        text.lines()
            .find(|line| line.starts_with(start))
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no line for {start} in {text}"))
    };
    assert_eq!(
        line_of("123456789012  4"),
        ["123456789012", "4", "1", "2", "1", "33.3%"]
    );
    assert_eq!(
        line_of("111111111111  2"),
        ["111111111111", "2", "2", "0", "0", "100.0%"]
    );
    assert_eq!(
        line_of("us-east-1  4"),
        ["us-east-1", "4", "2", "1", "1", "66.7%"]
    );
    assert_eq!(
        line_of("eu-west-1  2"),
        ["eu-west-1", "2", "1", "1", "0", "50.0%"]
    );
    assert!(
        stderr(&table).is_empty(),
        "no progress when stderr is not a terminal: {}",
        stderr(&table)
    );
}

#[test]
fn the_organization_in_every_enabled_region_skips_suspended_accounts_and_names_what_it_cannot_read()
{
    let emulator = Emulator::start();
    emulator.control(
        "/_e2e/organization",
        json!({"accounts": [{"id": MEMBER}, {"id": ROLE_MISSING}, {"id": SUSPENDED, "state": "SUSPENDED"}]}),
    );
    // The member has enabled eu-west-1 besides the default region, not ap-east-1; the caller's own
    // account is still enabling ap-east-1.
    emulator.control(
        "/_e2e/regions",
        json!({"account": MEMBER, "regions": {"us-east-1": "ENABLED_BY_DEFAULT", "eu-west-1": "ENABLED", "ap-east-1": "DISABLED"}}),
    );
    emulator.control(
        "/_e2e/regions",
        json!({"account": OWN, "regions": {"us-east-1": "ENABLED_BY_DEFAULT", "ap-east-1": "ENABLING"}}),
    );
    emulator.control(
        "/_e2e/missing-roles",
        json!({"arns": [format!("arn:aws:iam::{ROLE_MISSING}:role/{ROLE}")]}),
    );
    // Every cluster runs a configuration of its account, in ZooKeeper mode with direct access
    // turned off: the member's configurations and operations are read with the role.
    for (account, region) in [
        (OWN, "us-east-1"),
        (MEMBER, "us-east-1"),
        (MEMBER, "eu-west-1"),
        (MEMBER, "ap-east-1"),
    ] {
        let ca = ca(&emulator, account, region, 400, "ACTIVE");
        let configuration =
            format!("arn:aws:kafka:{region}:{account}:configuration/tenants/7e1f-1");
        emulator.control(
            "/_e2e/configurations",
            json!({"configurations": [{"arn": configuration, "revision": 1,
                                       "serverProperties": "allow.everyone.if.no.acl.found=false"}]}),
        );
        let mut cluster = mtls(&format!("{account}-{region}"), &ca);
        cluster["configurationInfo"] = json!({"arn": configuration, "revision": 1});
        cluster["kafkaVersion"] = json!("3.6.0");
        let arn = emulator.control(
            "/_e2e/clusters",
            json!({"account": account, "region": region, "clusters": [cluster]}),
        )["arns"][0]
            .clone();
        emulator.control(
            "/_e2e/cluster-operations",
            json!({"arn": arn, "operations": [{"operationType": "UPDATE_CONNECTIVITY",
                "operationState": "UPDATE_COMPLETE", "creationTime": "2026-11-02T10:00:00.000Z",
                "targetClusterInfo": {"zookeeperAccess": {"enabled": false}}}]}),
        );
    }

    let output = audit(
        &emulator,
        &[
            "--organization",
            "--role-name",
            ROLE,
            "--regions",
            "all",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "all compliant, one account unreadable: {}",
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let audited: Vec<(String, String)> = verdicts(&report)
        .into_iter()
        .map(|(account, region, _, verdict)| {
            assert_eq!(verdict, "COMPLIANT");
            (account, region)
        })
        .collect();
    assert_eq!(
        audited,
        [
            (MEMBER, "eu-west-1"),
            (MEMBER, "us-east-1"),
            (OWN, "us-east-1")
        ]
        .map(|(a, r)| (a.to_owned(), r.to_owned()))
    );
    let calls = emulator.calls();
    assert!(
        !calls
            .iter()
            .any(|c| c["region"] == "ap-east-1" && c["key"] != "AKIAE2EEXAMPLEKEY000"),
        "a region the member has not enabled is not called"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c["operation"] == "AssumeRole" && c.to_string().contains(SUSPENDED)),
        "a suspended account is not tried"
    );
    let member_actions: std::collections::BTreeSet<String> = calls
        .iter()
        .filter(|c| c["key"] != "AKIAE2EEXAMPLEKEY000" && c["status"] == 200)
        .map(|c| iam_action(c["operation"].as_str().unwrap()))
        .collect();
    // Every call is granted; of the grants, only those naming who uses an open door go unused here
    // (every cluster is COMPLIANT): tests/e2e.rs makes them, and deploy/check_templates.py holds
    // the role's grants equal to the calls src/aws/sdk.rs makes.
    // Security Hub's, granted only with SendsFindingsToSecurityHub, are made by --security-hub alone
    // (tests/findings.rs).
    let grants: std::collections::BTreeSet<String> = audit_role_actions()
        .into_iter()
        .filter(|action| !action.starts_with("securityhub:"))
        .collect();
    assert!(
        member_actions.is_subset(&grants),
        "deploy/audit-role.yaml grants every call the audit makes in a member account: {member_actions:?} {grants:?}"
    );
    let door_users: std::collections::BTreeSet<String> = [
        "kafka:GetBootstrapBrokers",
        "kafka:ListClientVpcConnections",
        "kafka:ListReplicators",
        "kafkaconnect:ListConnectors",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        grants
            .difference(&member_actions)
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        door_users,
        "deploy/audit-role.yaml grants nothing else the audit does not call"
    );
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!(
            "account {ROLE_MISSING} (every region) could not be read"
        )),
        "{errors}"
    );
    assert!(!errors.contains("ap-east-1"), "{errors}");

    let table = stdout(&audit(
        &emulator,
        &["--organization", "--role-name", ROLE, "--regions", "all"],
    ));
    assert!(table.contains("COULD NOT BE READ (1)"), "{table}");
    assert!(
        table.contains("NOT AUDITED: NOT ACTIVE (1)") && table.contains("333333333333  SUSPENDED"),
        "{table}"
    );
    assert!(
        table.contains("; 100.0% of the judged enforce mTLS; 0 with authorization open by default (a topic without an ACL open to every client certificate); 1 could not be read"),
        "{table}"
    );

    // An account with no audit role (the management account, seen from a delegated administrator)
    // excluded by name: the audit finishes, and says in every format what it left out.
    let calls_before = emulator.calls_to("AssumeRole").len();
    let excluding = [
        "--organization",
        "--role-name",
        ROLE,
        "--regions",
        "all",
        "--exclude-accounts",
        ROLE_MISSING,
    ];
    let output = audit(&emulator, &[&excluding[..], &["--format", "json"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "account {ROLE_MISSING} not audited: excluded by --exclude-accounts"
        )),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("account 333333333333 not audited: it is SUSPENDED"));
    assert!(
        !emulator.calls_to("AssumeRole")[calls_before..]
            .iter()
            .any(|c| c.to_string().contains(ROLE_MISSING)),
        "an excluded account is not tried"
    );
    let table = stdout(&audit(&emulator, &excluding));
    assert!(
        table.contains(&format!(
            "NOT AUDITED: EXCLUDED BY --exclude-accounts (1): {ROLE_MISSING}"
        )),
        "{table}"
    );

    // A region named on the command line that the account has not enabled is named, not skipped.
    let output = audit(
        &emulator,
        &[
            "--regions",
            "us-east-1,ap-east-1",
            "--role-name",
            ROLE,
            "--accounts",
            MEMBER,
            "--format",
            "csv",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).split_terminator("\r\n").count(),
        2,
        "the header and us-east-1's cluster"
    );
    let errors = stderr(&output);
    assert!(
        errors.contains(&format!(
            "account {MEMBER} region ap-east-1 could not be read: AWS ListClustersV2 failed"
        )) && errors.contains("UnrecognizedClientException"),
        "{errors}"
    );
}

/// Public access and encryption between brokers as the Kafka API lists them (camelCase, through the
/// SDK's types), judged by the audit as by the rule.
#[test]
fn public_brokers_and_plaintext_replication_are_found_through_the_kafka_api() {
    let emulator = Emulator::start();
    let ca = ca(&emulator, OWN, "us-east-1", 400, "ACTIVE");
    let mut public = mtls("public", &ca);
    public["brokerNodeGroupInfo"] = json!({"instanceType": "kafka.m5.large", "clientSubnets": ["subnet-1"],
        "connectivityInfo": {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}});
    let mut replication = mtls("replication", &ca);
    replication["encryptionInfo"]["encryptionInTransit"]["inCluster"] = json!(false);
    let mut private = mtls("private", &ca);
    private["brokerNodeGroupInfo"] = json!({"instanceType": "kafka.m5.large", "clientSubnets": ["subnet-1"],
        "connectivityInfo": {"publicAccess": {"type": "DISABLED"}}});
    clusters(
        &emulator,
        OWN,
        "us-east-1",
        vec![public, replication, private],
    );
    let output = audit(&emulator, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        row(&report, "public")["findings"],
        json!(["brokers are reachable from the internet (public access SERVICE_PROVIDED_EIPS)"])
    );
    assert_eq!(
        row(&report, "replication")["findings"],
        json!(["brokers replicate to each other in plaintext (in-cluster encryption is off)"])
    );
    assert_eq!(row(&report, "private")["complianceType"], "COMPLIANT");
    let allowed = audit(
        &emulator,
        &[
            "--parameters",
            r#"{"allowPublicAccess":"true"}"#,
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&stdout(&allowed)).unwrap();
    assert_eq!(row(&report, "public")["complianceType"], "COMPLIANT");
}

/// The ACL default through the Kafka API: each configuration revision read once with
/// DescribeConfigurationRevision (base64 `server.properties` on the wire), whatever the number of
/// clusters running it; MSK's default configuration and a revision that cannot be read are open.
/// A note and a column by default, a failure with `requireAclDefaultDeny`.
#[test]
fn the_acl_default_is_read_once_per_configuration_revision_through_the_kafka_api() {
    let emulator = Emulator::start();
    let ca = ca(&emulator, OWN, "us-east-1", 400, "ACTIVE");
    let configuration =
        |name: &str| format!("arn:aws:kafka:us-east-1:{OWN}:configuration/{name}/0a1b2c3d-1");
    emulator.control(
        "/_e2e/configurations",
        json!({"configurations": [
            {"arn": configuration("tenants"), "revision": 3,
             "serverProperties": "auto.create.topics.enable=false\n# closed: every client needs an ACL\nallow.everyone.if.no.acl.found = false\n"},
            {"arn": configuration("tenants"), "revision": 2,
             "serverProperties": "allow.everyone.if.no.acl.found=true\n"},
        ]}),
    );
    let on = |name: &str, configuration_name: &str, revision: u32| {
        let mut cluster = mtls(name, &ca);
        cluster["configurationInfo"] =
            json!({"arn": configuration(configuration_name), "revision": revision});
        cluster
    };
    clusters(
        &emulator,
        OWN,
        "us-east-1",
        vec![
            on("orders", "tenants", 3),
            on("payments", "tenants", 3),
            on("legacy", "tenants", 2),
            on("orphan", "deleted", 1),
            mtls("default", &ca),
        ],
    );
    let output = audit(&emulator, &["--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "notes do not fail: {}",
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    for name in ["orders", "payments"] {
        assert_eq!(
            row(&report, name)["authorizationOpenByDefault"],
            false,
            "{name}"
        );
        assert_eq!(row(&report, name)["notes"], json!([]), "{name}");
    }
    assert_eq!(
        row(&report, "legacy")["notes"],
        json!(["authorization open by default: allow.everyone.if.no.acl.found is true"])
    );
    assert_eq!(
        row(&report, "orphan")["notes"],
        json!(["authorization open by default: configuration deleted revision 1 could not be read (NotFoundException)"])
    );
    assert_eq!(
        row(&report, "default")["notes"],
        json!(["authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true"])
    );
    assert_eq!(row(&report, "default")["authorizationOpenByDefault"], true);
    let reads = emulator.calls_to("DescribeConfigurationRevision");
    assert_eq!(
        reads.len(),
        3,
        "one read per revision, none for MSK's default: {reads:?}"
    );

    let table = audit(&emulator, &[]);
    assert!(
        stdout(&table).contains("; 3 with authorization open by default"),
        "{}",
        stdout(&table)
    );
    let required = audit(
        &emulator,
        &[
            "--parameters",
            r#"{"requireAclDefaultDeny":"true"}"#,
            "--format",
            "json",
        ],
    );
    assert_eq!(required.status.code(), Some(1));
    let report: Value = serde_json::from_str(&stdout(&required)).unwrap();
    for (name, compliance) in [
        ("orders", "COMPLIANT"),
        ("legacy", "NON_COMPLIANT"),
        ("orphan", "NON_COMPLIANT"),
        ("default", "NON_COMPLIANT"),
    ] {
        assert_eq!(row(&report, name)["complianceType"], compliance, "{name}");
    }
}

#[test]
fn every_cluster_compliant_exits_0_and_no_region_configured_is_a_usage_error() {
    let emulator = Emulator::start();
    let ca = ca(&emulator, OWN, "us-east-1", 400, "ACTIVE");
    clusters(&emulator, OWN, "us-east-1", vec![mtls("orders", &ca)]);
    let output = audit(&emulator, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        verdicts(&serde_json::from_str(&stdout(&output)).unwrap()).len(),
        1
    );

    let expiring = audit(
        &emulator,
        &[
            "--parameters",
            r#"{"certificateAuthorityExpiryDays": "500"}"#,
            "--format",
            "json",
        ],
    );
    assert_eq!(
        expiring.status.code(),
        Some(1),
        "the same parameters as the rule: a CA within 500 days fails"
    );
    let report: Value = serde_json::from_str(&stdout(&expiring)).unwrap();
    assert!(
        report[0]["findings"][0]
            .as_str()
            .unwrap()
            .contains("expires in"),
        "{report}"
    );

    let no_region = audit_in(&emulator, None, &[]);
    assert_eq!(no_region.status.code(), Some(2));
    assert!(
        stderr(&no_region).contains("no region is configured"),
        "{}",
        stderr(&no_region)
    );
    let listed = audit_in(
        &emulator,
        None,
        &["--regions", "us-east-1", "--format", "json"],
    );
    assert_eq!(
        listed.status.code(),
        Some(0),
        "--regions names the region to call: {}",
        stderr(&listed)
    );
}

#[test]
fn credentials_that_cannot_be_read_exit_3_and_usage_errors_exit_2_before_any_call() {
    let emulator = Emulator::start();
    emulator.control(
        "/_e2e/faults",
        json!({"operations": ["GetCallerIdentity"], "kind": "error500"}),
    );
    let output = audit(&emulator, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("GetCallerIdentity"),
        "{}",
        stderr(&output)
    );

    let calls_before = emulator.calls().len();
    for args in [
        &["--format", "yaml"][..],
        &["--accounts", MEMBER],
        &["--regions", "moon-1"],
    ] {
        let output = audit(&emulator, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("--help'"), "{}", stderr(&output));
    }
    assert_eq!(
        emulator.calls().len(),
        calls_before,
        "a usage error makes no AWS call"
    );
}

/// Progress goes to stderr only when it is a terminal: run under a pseudo-terminal (Python's pty
/// module, from the emulator's venv) it shows the accounts and account-regions done.
#[test]
fn progress_is_shown_on_a_terminal() {
    let emulator = Emulator::start();
    two_accounts_two_regions(&emulator);
    let script = r#"
import os, pty, subprocess, sys
controller, terminal = pty.openpty()
run = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=terminal)
os.close(terminal)
shown = b""
while True:
    try:
        chunk = os.read(controller, 65536)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
sys.stdout.write(repr(shown.decode()) + "\n" + str(run.returncode) + "\n" + run.stdout.decode())
"#;
    let accounts = format!("{OWN},{MEMBER}");
    // The user's command, run by Python with its stderr on a pseudo-terminal.
    let user = cli_against(&emulator, Some("us-east-1"));
    let output = Command::new(python())
        .env_clear()
        .envs(
            user.get_envs()
                .filter_map(|(key, value)| Some((key, value?))),
        )
        .args(["-c", script])
        .arg(user.get_program())
        .args([
            "audit",
            "--regions",
            "us-east-1,eu-west-1",
            "--role-name",
            ROLE,
            "--accounts",
            &accounts,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let text = stdout(&output);
    let mut lines = text.splitn(3, '\n');
    let shown = lines.next().unwrap();
    assert_eq!(lines.next(), Some("1"), "{text}");
    assert!(
        shown.contains("audit: accounts 2/2, account-regions 4"),
        "{shown}"
    );
    let report: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(
        report.as_array().unwrap().len(),
        6,
        "stdout stays the report alone"
    );
}

/// An answer that would audit nothing is not taken as a clean audit.
#[test]
fn an_account_that_lists_no_enabled_region_is_unreadable_not_clean() {
    let emulator = Emulator::start();
    emulator.control("/_e2e/regions", json!({"account": MEMBER, "regions": {}}));
    let output = audit(
        &emulator,
        &[
            "--regions",
            "all",
            "--role-name",
            ROLE,
            "--accounts",
            MEMBER,
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), "[]");
    assert!(
        stderr(&output).contains("AWS ListRegions failed: no enabled region listed"),
        "{}",
        stderr(&output)
    );
}

/// ZooKeeper direct access through the Kafka API: the version (`currentBrokerSoftwareInfo`) and the
/// brokers' instance type say which clusters have the door, and only their operations are read
/// (ListClusterOperations, once per cluster); access turned off passes, never turned off fails.
#[test]
fn zookeeper_direct_access_is_read_from_the_operations_of_zookeeper_mode_clusters_only() {
    let emulator = Emulator::start();
    let ca = ca(&emulator, OWN, "us-east-1", 400, "ACTIVE");
    let with = |name: &str, version: &str, instance: &str| {
        let mut cluster = mtls(name, &ca);
        cluster["kafkaVersion"] = json!(version);
        cluster["brokerNodeGroupInfo"] =
            json!({"instanceType": instance, "clientSubnets": ["subnet-1"]});
        cluster
    };
    let arns = emulator.control(
        "/_e2e/clusters",
        json!({"account": OWN, "region": "us-east-1", "clusters": [
            with("kraft", "3.7.x.kraft", "kafka.m5.large"),
            with("kafka4", "4.0.x", "kafka.m5.large"),
            with("express", "3.6.0", "express.m7g.large"),
            with("zk-off", "2.8.1", "kafka.m5.large"),
            with("zk-open", "3.6.0", "kafka.m5.large"),
        ]}),
    )["arns"]
        .clone();
    let off = arns[3].as_str().unwrap();
    emulator.control(
        "/_e2e/cluster-operations",
        json!({"arn": off, "operations": [{
            "clusterArn": off, "operationArn": format!("{off}/operation/1"),
            "operationType": "UPDATE_CONNECTIVITY", "operationState": "UPDATE_COMPLETE",
            "creationTime": "2026-11-02T10:00:00.000Z",
            "targetClusterInfo": {"zookeeperAccess": {"enabled": false}}}]}),
    );
    let output = audit(&emulator, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    for name in ["kraft", "kafka4", "express", "zk-off"] {
        assert_eq!(row(&report, name)["complianceType"], "COMPLIANT", "{name}");
    }
    assert_eq!(
        row(&report, "zk-open")["findings"],
        json!(["ZooKeeper is reachable directly: ACLs can be changed without a certificate (never turned off)"])
    );
    let listings = emulator.calls_to("ListClusterOperations");
    assert_eq!(
        listings.len(),
        2,
        "the two ZooKeeper-mode clusters: {listings:?}"
    );
}
