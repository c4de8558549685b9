"""Checks what cfn-lint, sam validate and checkov cannot: the limits and behaviours of real AWS accounts.

Run by `make templates` with the SAM venv's Python (cfn-lint parses the templates; botocore, which SAM
CLI brings, gives Config's API limits from its model). Each check names the defect it keeps out.
Exits 1 with one line per failure.
"""

import gzip
import json
import pathlib
import re
import sys

import botocore
from cfnlint.decode import decode

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATES = {
    "template.yaml": ROOT / "template.yaml",
    "conformance-pack.yaml": ROOT / "conformance-pack.yaml",
    "deploy/member-role.yaml": ROOT / "deploy/member-role.yaml",
    "deploy/audit-role.yaml": ROOT / "deploy/audit-role.yaml",
    "deploy/probe.yaml": ROOT / "deploy/probe.yaml",
    "deploy/organization-rule.yaml": ROOT / "deploy/organization-rule.yaml",
}
# Service-managed StackSets refuse templates with transforms.
STACKSET_TEMPLATES = ["deploy/member-role.yaml", "deploy/audit-role.yaml"]
# The longest suffixes Config adds to a rule's name: a conformance pack's copy is
# <name>-conformance-pack-<8 characters>, an organization rule's member copy OrgConfigRule-<name>-<8>.
PACK_SUFFIX = len("-conformance-pack-") + 8
ORGANIZATION_AFFIXES = len("OrgConfigRule-") + 1 + 8
LAMBDA_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
# Lambda refuses a function whose environment sets these (Lambda developer guide, "Defined runtime
# environment variables": reserved keys).
LAMBDA_RESERVED_VARIABLES = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}
# The actions of AWS's managed policy AWSLambdaVPCAccessExecutionRole besides the logs ones (its
# current version, which added ec2:DescribeSubnets).
LAMBDA_VPC_ACTIONS = {
    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}
# CloudWatch's PutMetricAlarm: a period of 10, 20, 30 or a multiple of 60 seconds; Period x
# EvaluationPeriods at most one day for periods under an hour, seven days otherwise.
ONE_DAY, SEVEN_DAYS = 86400, 604800
SWEEP_SECONDS = {"One_Hour": 3600, "Three_Hours": 10800, "Six_Hours": 21600, "Twelve_Hours": 43200,
                 "TwentyFour_Hours": 86400}
# A stack parameter's value holds at most 4,096 bytes; EventBridge's target Input 8,192 characters.
PARAMETER_VALUE_MAX, EVENT_INPUT_MAX = 4096, 8192
# The shortest and longest cluster ARNs in a region named like us-east-1: a 1- or 64-character name,
# then /<uuid>-<digit>.
CLUSTER_ARN_LENGTHS = (len("arn:aws:kafka:us-east-1:123456789012:cluster/") + 1 + len("/") + 36 + 2,
                       len("arn:aws:kafka:us-east-1:123456789012:cluster/") + 64 + len("/") + 36 + 2)

failures = []


def fail(template, message):
    failures.append(f"{template}: {message}")


def load(name):
    template, errors = decode(str(TEMPLATES[name]))
    if errors:
        sys.exit(f"{name}: cannot parse: {errors}")
    return template


def config_limits():
    """Config's limits from botocore's model of the API."""
    path = pathlib.Path(botocore.__file__).parent / "data/config/2014-11-12/service-2.json.gz"
    shapes = json.load(gzip.open(path))["shapes"]
    rule_name = shapes["GetComplianceDetailsByConfigRuleRequest"]["members"]["ConfigRuleName"]["shape"]
    input_parameters = shapes["ConfigRule"]["members"]["InputParameters"]["shape"]
    return shapes[rule_name]["max"], shapes[input_parameters]["max"]


def worst_case(template, name, parameter):
    """The longest text a parameter can take, from its constraints; None when it is unbounded."""
    if "AllowedValues" in parameter:
        return max((str(v) for v in parameter["AllowedValues"]), key=len)
    if "MaxLength" in parameter:
        return "x" * int(parameter["MaxLength"])
    if parameter.get("Type") == "Number" and "MaxValue" in parameter:
        return str(parameter["MaxValue"])
    fail(template, f"parameter {name} has no AllowedValues, MaxLength or MaxValue: its length is unbounded")
    return None


def worst_input_parameters(template_name, template, value):
    """The longest InputParameters text a template can produce, as CloudFormation could write it."""
    parameters = template.get("Parameters", {})

    def resolve(node):
        if isinstance(node, dict) and list(node) == ["Ref"] and node["Ref"] in parameters:
            return worst_case(template_name, node["Ref"], parameters[node["Ref"]]) or ""
        return node

    if isinstance(value, dict) and list(value) == ["Fn::Sub"]:
        text = value["Fn::Sub"]
        return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: resolve({"Ref": m.group(1)}), text)
    # An object: the longer spelling of JSON (", " and ": "), so the budget holds either way.
    return json.dumps({key: resolve(v) for key, v in value.items()})


def evaluate_condition(template, condition, values):
    """Evaluates a condition over parameter values (defaults unless given)."""
    def value_of(node):
        if isinstance(node, dict) and "Ref" in node:
            return str(values.get(node["Ref"], template["Parameters"][node["Ref"]].get("Default", "")))
        return str(node)

    def walk(node):
        (function, argument), = node.items()
        if function == "Fn::Equals":
            return value_of(argument[0]) == value_of(argument[1])
        if function == "Fn::Not":
            return not walk(argument[0])
        if function == "Fn::And":
            return all(walk(a) for a in argument)
        if function == "Fn::Or":
            return any(walk(a) for a in argument)
        if function == "Condition":
            return walk(template["Conditions"][argument])
        raise ValueError(f"condition function {function}")

    return walk(template["Conditions"][condition])


def event_pattern_matches(values, name):
    """EventBridge's matching of one string against a list of exact values and {prefix} filters."""
    for value in values:
        if isinstance(value, str) and value == name:
            return True
        if isinstance(value, dict) and "prefix" in value and name.startswith(value["prefix"]):
            return True
    return False


def sub_with(node, parameter, value):
    """A rule-name pattern element with the rule's name in it (!Ref or !Sub)."""
    if isinstance(node, dict) and node.get("Ref") == parameter:
        return value
    if isinstance(node, dict) and "prefix" in node:
        return {"prefix": sub_with(node["prefix"], parameter, value)}
    if isinstance(node, dict) and "Fn::Sub" in node:
        return node["Fn::Sub"].replace("${" + parameter + "}", value)
    return node


def resolve(template, node, values):
    """A value with Ref, Fn::If and Fn::FindInMap resolved for the parameter values given."""
    if isinstance(node, dict) and list(node) == ["Ref"] and node["Ref"] in template.get("Parameters", {}):
        return values.get(node["Ref"], template["Parameters"][node["Ref"]].get("Default"))
    if isinstance(node, dict) and list(node) == ["Fn::If"]:
        condition, yes, no = node["Fn::If"]
        return resolve(template, yes if evaluate_condition(template, condition, values) else no, values)
    if isinstance(node, dict) and list(node) == ["Fn::FindInMap"]:
        name, first, second = (resolve(template, part, values) for part in node["Fn::FindInMap"])
        return template["Mappings"][name][str(first)][second]
    return node


def check_alarms(template_name, template, interval_parameter, interval_seconds, heartbeats):
    """Alarms that can go off: valid periods and windows for every allowed schedule, each window at
    least one interval of the schedule its metric follows, heartbeats breaching on missing data, and
    an alarm on each function's Errors and on each dead-letter queue."""
    resources = template["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    if "AllowedValues" not in template["Parameters"].get(interval_parameter, {}):
        fail(template_name, f"no {interval_parameter} parameter with allowed values: the alarms cannot follow the schedule")
    for value in template["Parameters"].get(interval_parameter, {}).get("AllowedValues", []):
        values = {interval_parameter: value}
        interval = interval_seconds(value)
        for name, alarm in alarms.items():
            if "Period" not in alarm:
                continue
            period = int(resolve(template, alarm["Period"], values))
            evaluations = int(alarm["EvaluationPeriods"])
            window = period * evaluations
            if period not in (10, 20, 30) and period % 60:
                fail(template_name, f"{name}: period {period} s is not one CloudWatch accepts")
            if window > (ONE_DAY if period < 3600 else SEVEN_DAYS):
                fail(template_name, f"{name}: {evaluations} x {period} s is over CloudWatch's limit")
            follows = alarm.get("Namespace") == {"Ref": "MetricsNamespace"}
            if follows and window < interval:
                fail(template_name, f"{name}: {evaluations} x {period} s is shorter than the "
                                    f"{interval} s between runs at {interval_parameter}={value}: it goes back to OK between runs")
            if alarm.get("MetricName") in heartbeats and (evaluations < 2 or window < 2 * interval):
                fail(template_name, f"{name}: a heartbeat needs two intervals, one run may slip across a period's edge")
    for name, alarm in alarms.items():
        heartbeat = alarm.get("MetricName") in heartbeats
        if heartbeat and alarm.get("TreatMissingData") != "breaching":
            fail(template_name, f"{name}: a heartbeat's missing data must breach")
        if not heartbeat and alarm.get("TreatMissingData") == "breaching":
            fail(template_name, f"{name}: missing data breaches, so it alarms whenever nothing runs")
    for heartbeat in heartbeats:
        if not any(alarm.get("MetricName") == heartbeat for alarm in alarms.values()):
            fail(template_name, f"no alarm on the heartbeat {heartbeat}")
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        if not any(a.get("Namespace") == "AWS/Lambda" and a.get("MetricName") == "Errors"
                   and {"Name": "FunctionName", "Value": {"Ref": name}} in a.get("Dimensions", [])
                   for a in alarms.values()):
            fail(template_name, f"no alarm on {name}'s Errors")
        queue = resource["Properties"].get("DeadLetterQueue", {}).get("TargetArn", {}).get("Fn::GetAtt", [None])[0]
        if queue and not any(a.get("Namespace") == "AWS/SQS"
                             and {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}} in a.get("Dimensions", [])
                             for a in alarms.values()):
            fail(template_name, f"no alarm on {name}'s dead-letter queue {queue}")
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        for variable in sorted(set(variables) & LAMBDA_RESERVED_VARIABLES):
            fail(template_name, f"{name} sets {variable}, which Lambda reserves")


def check_namespace(template_name, template):
    pattern = template["Parameters"]["MetricsNamespace"].get("AllowedPattern")
    if pattern is None:
        fail(template_name, "MetricsNamespace takes any text")
        return
    for namespace, allowed in [("MskMtlsRule", True), ("msk.mtls:rule_1#a-b", True), ("Msk/Mtls", False),
                               ("AWS/Lambda", False), ("Msk Mtls", False), ("", False)]:
        if bool(re.fullmatch(pattern, namespace)) != allowed:
            fail(template_name, f"MetricsNamespace {'refuses' if allowed else 'takes'} {namespace!r}")


def check_organization_order(text):
    """docs/organization.md's commands, in order: trusted access before the delegated-administrator
    registration that needs it, both before any --call-as DELEGATED_ADMIN; the function before the
    roles that trust it; the management account's roles (service-managed StackSets never deploy there)
    and the StackSet's instances before the rule that assumes them."""
    doc = "docs/organization.md"
    commands = [re.sub(r"\\\n\s*", " ", c).strip() for c in re.findall(
        r"^[ \t]*((?:aws|\.venv-sam/bin/sam) .*?)(?<!\\)$", text, flags=re.M | re.S)]

    def first(*words):
        for index, command in enumerate(commands):
            if all(word in command for word in words):
                return index
        fail(doc, f"no command with {' '.join(words)}")
        return None

    def before(earlier, later, why):
        if earlier is not None and later is not None and earlier >= later:
            fail(doc, f"{commands[later][:70]}... comes before {commands[earlier][:70]}...: {why}")

    config_access = first("enable-aws-service-access", "config-multiaccountsetup.amazonaws.com")
    config_admin = first("register-delegated-administrator", "config-multiaccountsetup.amazonaws.com")
    stacksets_access = first("aws cloudformation activate-organizations-access")
    stacksets_admin = first("register-delegated-administrator", "member.org.stacksets.cloudformation.amazonaws.com")
    delegated = first("--call-as DELEGATED_ADMIN")
    function = first("sam deploy")
    management_member = first("aws cloudformation deploy", "deploy/member-role.yaml")
    management_audit = first("aws cloudformation deploy", "deploy/audit-role.yaml")
    instances = first("create-stack-instances")
    rule = first("aws cloudformation deploy", "deploy/organization-rule.yaml")
    before(config_access, config_admin, "Config's trusted access comes first")
    before(stacksets_access, stacksets_admin, "StackSets' trusted access comes first")
    before(stacksets_admin, delegated, "--call-as DELEGATED_ADMIN needs the registration")
    before(config_admin, rule, "an organization rule from the security account needs it registered for Config")
    for role in (management_member, instances):
        before(function, role, "the roles trust the function's role, an output of its stack")
        before(role, rule, "the rule's evaluations assume the roles")
    before(function, management_audit, "one procedure, in order")
    for command in commands:
        if re.search(r"create-stack-(set|instances)", command) and "--call-as DELEGATED_ADMIN" not in command:
            fail(doc, f"{command[:60]}... runs from the security account without --call-as DELEGATED_ADMIN")


# The role that judges clusters in each template, and the calls of the probe's own role (which
# reads brokers, not settings).
JUDGING_ROLES = {"template.yaml": "RuleFunctionRole", "deploy/member-role.yaml": "MemberRole",
                 "deploy/audit-role.yaml": "AuditRole"}
PROBE_CALLS = {"kafka:GetBootstrapBrokers", "kafka:DescribeClusterV2"}


# The command's own reads for `probe --client-cert` (which CA issued the control certificate), made
# with the caller's credentials: no role of the templates makes them, so none grants them.
COMMAND_ONLY_IMPLS = ("impl ControlIssuers for AwsAccount",)
# The sweep's audit reports of the function's own CAs (and `certificates`): the stack's role alone
# grants them, and only with AuditReportBucket.
ROTATION_IMPL = "impl AuditReports for AwsAccount"
# `audit --security-hub`: the audit role alone grants them, and only with SendsFindingsToSecurityHub.
SECURITY_HUB_IMPL = "impl SecurityHub for AwsAccount"
ROTATION_GRANTS = {"acm-pca:CreateCertificateAuthorityAuditReport", "acm-pca:DescribeCertificateAuthorityAuditReport",
                   "s3:ListBucket", "s3:GetObject"}


def sdk_calls(probe=False):
    """`service:Operation` for every `self.<client>().await.<operation>()` of src/aws/sdk.rs: those of
    `impl Brokers for AwsAccount` (the probe's) with `probe`, those of every other impl without (the
    command's own, COMMAND_ONLY_IMPLS, neither)."""
    return impl_calls(lambda block: block.startswith("impl Brokers for AwsAccount") == probe
                      and not block.startswith(COMMAND_ONLY_IMPLS + (ROTATION_IMPL, SECURITY_HUB_IMPL)))


def impl_calls(chosen):
    """`service:Operation` for every call in the impl blocks of src/aws/sdk.rs `chosen` takes."""
    services = {"kafka": "kafka", "acmpca": "acm-pca", "kafkaconnect": "kafkaconnect", "s3": "s3",
                "securityhub": "securityhub"}
    text = (ROOT / "src/aws/sdk.rs").read_text()
    blocks = re.split(r"\n(?=impl )", text)
    calls = set()
    for block in blocks:
        if not chosen(block):
            continue
        for client, operation in re.findall(r"self\s*\.(kafka|acmpca|kafkaconnect|s3|securityhub)\(\)\s*\.await\s*\.(\w+)\(\)", block):
            calls.add(services[client] + ":" + "".join(part.capitalize() for part in operation.split("_")))
    return calls


def granted_actions(template, role):
    actions = set()
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if isinstance(statement, dict) and "Fn::If" in statement:
                statement = statement["Fn::If"][1]
            action = statement.get("Action", [])
            actions.update([action] if isinstance(action, str) else action)
    return actions


def check_broker_log_subscriptions(stack):
    """Each place of BrokerLogGroups has its permission and subscription filter, reading that place;
    the pattern takes as many groups as there are places and no more."""
    parameter = stack["Parameters"]["BrokerLogGroups"]
    pattern = parameter["AllowedPattern"]
    places = sorted(name for name in stack["Resources"] if name.startswith("BrokerLogSubscription"))
    groups = [f"/msk/cluster-{i}" for i in range(len(places) + 1)]
    if not re.fullmatch(pattern, ",".join(groups[:-1])) or re.fullmatch(pattern, ",".join(groups)):
        fail("template.yaml", f"BrokerLogGroups takes other than {len(places)} groups, its subscriptions' number")
    if not re.fullmatch(pattern, "/aws/msk/" + "a" * 503) or re.fullmatch(pattern, "a" * 513) or re.fullmatch(pattern, "a, b"):
        fail("template.yaml", "BrokerLogGroups must take CloudWatch Logs group names (up to 512 characters), no spaces")
    if parameter["MaxLength"] != 512 * len(places) + len(places) - 1:
        fail("template.yaml", "BrokerLogGroups' MaxLength is not its places' longest names")
    phrase = re.search(r'pub const REFUSAL_PHRASE: &str = "([^"]+)";', (ROOT / "src/edge/broker_log.rs").read_text()).group(1)
    for index, name in enumerate(places):
        place = name.removeprefix("BrokerLogSubscription")
        subscription = stack["Resources"][name]
        permission = stack["Resources"].get(f"BrokerLogPermission{place}", {})
        selected = {"Fn::Select": [index, {"Fn::Split": [",", {"Fn::Sub": "${BrokerLogGroups}" + "," * (len(places) - 1)}]}]}
        properties = subscription["Properties"]
        if properties["LogGroupName"] != selected or permission.get("Properties", {}).get("SourceArn", {}).get("Fn::Sub", [None, {}])[1].get("Group") != selected:
            fail("template.yaml", f"{name} and its permission must both read place {index + 1} of BrokerLogGroups")
        if properties["FilterPattern"] != f'"{phrase}"':
            fail("template.yaml", f"{name} keeps {properties['FilterPattern']!r}, not the refusal lines the function counts ({phrase!r})")
        if properties["DestinationArn"] != {"Fn::GetAtt": ["RuleFunction", "Arn"]} or subscription.get("DependsOn") != f"BrokerLogPermission{place}":
            fail("template.yaml", f"{name} must send to the rule's function once its permission exists")
        grant = permission.get("Properties", {})
        if grant.get("Principal") != "logs.amazonaws.com" or grant.get("SourceAccount") != {"Ref": "AWS::AccountId"} or \
                not grant.get("SourceArn", {}).get("Fn::Sub", [""])[0].endswith(":log-group:${Group}:*"):
            fail("template.yaml", f"BrokerLogPermission{place} must let CloudWatch Logs invoke the function for its group only")
        condition = stack["Conditions"].get(f"HasBrokerLogGroup{place}")
        if subscription.get("Condition") != f"HasBrokerLogGroup{place}" or permission.get("Condition") != subscription.get("Condition") or \
                condition != {"Fn::Not": [{"Fn::Equals": [selected, ""]}]}:
            fail("template.yaml", f"{name} must exist only when place {index + 1} of BrokerLogGroups is given")
    if len(places) == 0:
        fail("template.yaml", "no broker log subscription: RejectedHandshakes is never written")
    print(f"template.yaml: {len(places)} broker log groups can be subscribed")


def check_read_actions(templates):
    called = sdk_calls()
    if "kafka:DescribeConfigurationRevision" not in called or "kafka:ListClustersV2" not in called:
        fail("src/aws/sdk.rs", f"the calls read from it look wrong: {sorted(called)}")
    if sdk_calls(probe=True) != PROBE_CALLS:
        fail("src/aws/sdk.rs", f"the probe's calls are {sorted(sdk_calls(probe=True))}, not {sorted(PROBE_CALLS)}")
    for name, role in JUDGING_ROLES.items():
        granted = {a for a in granted_actions(templates[name], role)
                   if a.split(":")[0] in ("kafka", "acm-pca", "kafkaconnect")}
        if name == "template.yaml":
            granted -= ROTATION_GRANTS
        if granted != called:
            fail(name, f"{role} grants {sorted(granted)} of Kafka, MSK Connect and ACM PCA; the rule calls {sorted(called)}")
    print(f"judging roles: {', '.join(sorted(called))}")


def check_audit_reports(stack):
    """The rotation reads: exactly the calls the code makes, granted only with AuditReportBucket, on this
    account's CAs and the reports' prefix; a bucket the stack creates is encrypted, private, expires its
    reports and lets ACM Private CA write for this account alone."""
    made = {"s3:ListBucket" if call == "s3:ListObjectsV2" else call
            for call in impl_calls(lambda block: block.startswith(ROTATION_IMPL))}
    if made != ROTATION_GRANTS:
        fail("src/aws/sdk.rs", f"the audit-report calls are {sorted(made)}, not {sorted(ROTATION_GRANTS)}")
    statements = stack["Resources"]["RuleFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    granted = {}
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        condition, statement = (statement["Fn::If"][0], statement["Fn::If"][1]) if "Fn::If" in statement else (None, statement)
        actions = statement.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if action in ROTATION_GRANTS or action == "kms:Decrypt":
                granted[action] = (condition, statement)
    for action in sorted(ROTATION_GRANTS | {"kms:Decrypt"}):
        condition, statement = granted.get(action, (None, {}))
        if condition not in ("WatchesRotations", "HasAuditReportKey"):
            fail("template.yaml", f"{action} is not granted with AuditReportBucket alone")
    if "audit-report/*" not in json.dumps(granted.get("s3:GetObject", (None, {}))[1].get("Resource")):
        fail("template.yaml", "s3:GetObject is not limited to the audit-report/ prefix")
    if granted.get("s3:ListBucket", (None, {}))[1].get("Condition") != {"StringLike": {"s3:prefix": "audit-report/*"}}:
        fail("template.yaml", "s3:ListBucket is not limited to the audit-report/ prefix")
    for action in ("acm-pca:CreateCertificateAuthorityAuditReport", "acm-pca:DescribeCertificateAuthorityAuditReport"):
        resource = granted.get(action, (None, {}))[1].get("Resource")
        if resource != {"Fn::Sub": "arn:${AWS::Partition}:acm-pca:${AWS::Region}:${AWS::AccountId}:certificate-authority/*"}:
            fail("template.yaml", f"{action} is not limited to this account's CAs: {resource}")
    bucket = stack["Resources"]["AuditReportBucketResource"]["Properties"]
    if bucket.get("PublicAccessBlockConfiguration") != {key: True for key in (
            "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}:
        fail("template.yaml", "the audit-report bucket does not block every public access")
    if "BucketEncryption" not in bucket or not bucket.get("LifecycleConfiguration", {}).get("Rules"):
        fail("template.yaml", "the audit-report bucket is not encrypted or keeps reports forever")
    policy = stack["Resources"]["AuditReportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    writers = [s for s in policy if s["Effect"] == "Allow"]
    if [s["Principal"] for s in writers] != [{"Service": "acm-pca.amazonaws.com"}] or \
            writers[0].get("Condition", {}).get("StringEquals", {}).get("aws:SourceAccount") != {"Ref": "AWS::AccountId"}:
        fail("template.yaml", "the audit-report bucket lets other than ACM Private CA, for this account, write")
    print(f"template.yaml: audit reports: {', '.join(sorted(ROTATION_GRANTS))}")


def check_security_hub(templates):
    """Findings sent to Security Hub: the audit role and the probe's role grant exactly the calls the
    code makes, only when SendsFindingsToSecurityHub (default false) says so, on the account's own
    product and hub; the probe's function is told the same parameter; no other role grants any
    Security Hub action (Config already sends the rule's results there)."""
    made = impl_calls(lambda block: block.startswith(SECURITY_HUB_IMPL))
    if made != {"securityhub:BatchImportFindings", "securityhub:GetFindings"}:
        fail("src/aws/sdk.rs", f"the Security Hub calls are {sorted(made)}")
    senders = {
        "deploy/audit-role.yaml": [
            (None if "Fn::If" not in st else st["Fn::If"][0], st if "Fn::If" not in st else st["Fn::If"][1])
            for policy in templates["deploy/audit-role.yaml"]["Resources"]["AuditRole"]["Properties"]["Policies"]
            for st in policy["PolicyDocument"]["Statement"]],
        "deploy/probe.yaml": [
            (resource.get("Condition"), st)
            for resource in templates["deploy/probe.yaml"]["Resources"].values()
            if resource.get("Type") == "AWS::IAM::RolePolicy"
            for st in resource["Properties"]["PolicyDocument"]["Statement"]] + [
            (None, st)
            for policy in templates["deploy/probe.yaml"]["Resources"]["ProbeFunctionRole"]["Properties"]["Policies"]
            for st in policy["PolicyDocument"]["Statement"]],
    }
    for name, statements in senders.items():
        template = templates[name]
        parameter = template["Parameters"].get("SendsFindingsToSecurityHub", {})
        if parameter.get("Default") != "false" or template.get("Conditions", {}).get("SendsFindings") != \
                {"Fn::Equals": [{"Ref": "SendsFindingsToSecurityHub"}, "true"]}:
            fail(name, "sending findings is not off unless SendsFindingsToSecurityHub is true")
        conditional, plain = set(), set()
        for condition, body in statements:
            actions = body.get("Action", [])
            hub = {a for a in ([actions] if isinstance(actions, str) else actions) if a.startswith("securityhub:")}
            if not hub:
                continue
            (conditional if condition == "SendsFindings" else plain).update(hub)
            resources = json.dumps(body.get("Resource"))
            if '"*"' in resources or resources.count("${AWS::AccountId}") < 3:
                fail(name, f"{sorted(hub)} are not limited to the account's own product and hub")
        if plain or conditional != made:
            fail(name, f"grants {sorted(conditional)} with SendsFindings and {sorted(plain)} always; the code calls {sorted(made)}")
    told = templates["deploy/probe.yaml"]["Resources"]["ProbeFunction"]["Properties"]["Environment"]["Variables"]
    if told.get("SECURITY_HUB_FINDINGS") != {"Ref": "SendsFindingsToSecurityHub"}:
        fail("deploy/probe.yaml", "the function is not told SendsFindingsToSecurityHub (SECURITY_HUB_FINDINGS)")
    for name, template in templates.items():
        if name not in senders and "securityhub:" in json.dumps(template):
            fail(name, "grants a Security Hub action: only the audit role and the probe send findings")
    print(f"deploy/audit-role.yaml, deploy/probe.yaml: with SendsFindingsToSecurityHub: {', '.join(sorted(made))}")


def check_function_binaries(templates):
    """Each function is the binary of its own handler: the rule's carries neither the probe nor the
    Security Hub client, the probe's is the binary that serves the probe, each a [[bin]] of Cargo.toml."""
    bins = set(re.findall(r'\[\[bin\]\]\s*name = "([^"]+)"', (ROOT / "Cargo.toml").read_text()))
    expected = {("template.yaml", "RuleFunction"): ("msk-mtls-rule-lambda", None),
                ("deploy/probe.yaml", "ProbeFunction"): ("msk-mtls-rule-probe", "probe")}
    for (name, function), (binary, handler) in expected.items():
        resource = templates[name]["Resources"][function]
        built = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        if built != binary or binary not in bins:
            fail(name, f"{function} is built from {built!r}, not the [[bin]] {binary}")
        named = resource["Properties"].get("Environment", {}).get("Variables", {}).get("MSK_MTLS_RULE_HANDLER")
        if named != handler:
            fail(name, f"{function} names the handler {named!r}; {binary} serves {handler or 'rule'}")
    print("functions: RuleFunction is msk-mtls-rule-lambda, ProbeFunction msk-mtls-rule-probe")


def max_length(template_name, parameters, name):
    parameter = parameters.get(name)
    if parameter is None:
        fail(template_name, f"the rule's name is not the parameter {name}")
        return 10**6
    if "MaxLength" not in parameter:
        fail(template_name, f"{name} has no MaxLength")
        return 10**6
    return int(parameter["MaxLength"])


def main():
    rule_name_max, input_parameters_max = config_limits()
    templates = {name: load(name) for name in TEMPLATES}
    stack, pack = templates["template.yaml"], templates["conformance-pack.yaml"]
    organization = templates["deploy/organization-rule.yaml"]

    # 1, 2, 9: the organization template deploys unchanged for any number of accounts, with no
    # transform, and the rule waits for the permission it needs.
    if "Transform" in organization:
        fail("deploy/organization-rule.yaml", "has a Transform")
    resources = organization["Resources"]
    if any(key.startswith("Fn::ForEach") for key in resources):
        fail("deploy/organization-rule.yaml", "has per-account resources (Fn::ForEach)")
    resources = {k: r for k, r in resources.items() if isinstance(r, dict)}
    for name, parameter in organization["Parameters"].items():
        if "Account" in name and parameter.get("Type") == "CommaDelimitedList" and name != "ExcludedAccounts":
            fail("deploy/organization-rule.yaml", f"parameter {name} lists accounts: resources would grow with them")
    permissions = [k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Permission"]
    if len(permissions) != 1:
        fail("deploy/organization-rule.yaml", f"{len(permissions)} Lambda permissions, not exactly one")
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Config::OrganizationConfigRule":
            depends = resource.get("DependsOn", [])
            depends = [depends] if isinstance(depends, str) else depends
            if not set(permissions) <= set(depends):
                fail("deploy/organization-rule.yaml", f"{name} does not depend on {permissions}")
    for name, resource in stack["Resources"].items():
        if resource["Type"] == "AWS::Config::ConfigRule" and "ConfigInvokePermission" not in [resource.get("DependsOn")]:
            fail("template.yaml", f"{name} does not depend on ConfigInvokePermission")
    for name in STACKSET_TEMPLATES:
        if "Transform" in templates[name]:
            fail(name, "has a Transform: service-managed StackSets refuse it")

    # 2: the function's role assumes member roles only inside the organization.
    role = stack["Resources"]["RuleFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assume = [s for s in role if isinstance(s, dict) and "Fn::If" in s
              and s["Fn::If"][1].get("Action") == "sts:AssumeRole"]
    assume_statement = assume[0]["Fn::If"][1] if assume else {}
    if assume_statement.get("Condition", {}).get("StringEquals", {}).get("aws:ResourceOrgID") is None:
        fail("template.yaml", "sts:AssumeRole is not always limited by aws:ResourceOrgID")
    if "OrganizationIdWithExecutionRole" not in stack.get("Rules", {}):
        fail("template.yaml", "ExecutionRoleName can be set without OrganizationId")

    # 4: no reserved concurrency unless asked for.
    function = stack["Resources"]["RuleFunction"]["Properties"]
    reserved = function.get("ReservedConcurrentExecutions")
    if not (isinstance(reserved, dict) and "Fn::If" in reserved
            and reserved["Fn::If"][2] == {"Ref": "AWS::NoValue"}
            and not evaluate_condition(stack, reserved["Fn::If"][0], {})):
        fail("template.yaml", f"ReservedConcurrentExecutions reserves by default: {reserved}")

    # 5, 6: log levels the function serves, none of which logs the raw event.
    levels = stack["Parameters"]["LogLevel"]["AllowedValues"]
    if "TRACE" in levels:
        fail("template.yaml", "LogLevel offers TRACE, where the Lambda runtime logs the raw event")
    if any(level not in LAMBDA_LOG_LEVELS for level in levels):
        fail("template.yaml", f"LogLevel values {levels} are not all Lambda levels")

    # 7: rule names Config and the sweep accept, with room for the suffixes Config adds.
    for template_name, template, parameter, affix in [
        ("template.yaml", stack, "ConfigRuleName", PACK_SUFFIX),
        ("conformance-pack.yaml", pack, "RuleName", PACK_SUFFIX),
        ("deploy/organization-rule.yaml", organization, "RuleName", max(ORGANIZATION_AFFIXES, PACK_SUFFIX)),
    ]:
        longest = max_length(template_name, template["Parameters"], parameter)
        if longest + affix > rule_name_max:
            fail(template_name, f"{parameter} of {longest} characters plus {affix} of suffix exceeds "
                                f"GetComplianceDetailsByConfigRule's {rule_name_max}")

    # 7: InputParameters within Config's limit in the worst case.
    rules = [("template.yaml", stack, stack["Resources"]["MtlsRule"]["Properties"]["InputParameters"]),
             ("conformance-pack.yaml", pack, pack["Resources"]["MskMtlsEnforced"]["Properties"]["InputParameters"]),
             ("deploy/organization-rule.yaml", organization,
              resources["OrganizationRule"]["Properties"]["OrganizationCustomRuleMetadata"]["InputParameters"])]
    for template_name, template, value in rules:
        text = worst_input_parameters(template_name, template, value)
        if len(text) > input_parameters_max:
            fail(template_name, f"InputParameters can reach {len(text)} characters, over Config's {input_parameters_max}")
        else:
            print(f"{template_name}: InputParameters at most {len(text)} of {input_parameters_max} characters")

    # 8: alerts: the function publishes to its own topic (every copy of the rule runs it, so packs
    # and organization members need nothing of their own), may publish to that topic only, and
    # files every copy's metrics under the stack's rule name, which the alarm and dashboard read.
    variables = stack["Resources"]["RuleFunction"]["Properties"]["Environment"]["Variables"]
    if variables.get("ALERT_TOPIC_ARN") != {"Fn::If": ["AlertsEnabled", {"Ref": "AlertTopic"}, ""]}:
        fail("template.yaml", "ALERT_TOPIC_ARN is not the alert topic (when alerts are on)")
    if variables.get("CONFIG_RULE_NAME") != {"Ref": "ConfigRuleName"}:
        fail("template.yaml", "CONFIG_RULE_NAME is not the ConfigRuleName the dashboard and alarm read")
    statements = stack["Resources"]["RuleFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    publishing = [s for s in statements if "Fn::If" in s and s["Fn::If"][1].get("Action") == "sns:Publish"]
    if len(publishing) != 1 or publishing[0]["Fn::If"][1]["Resource"] != {"Ref": "AlertTopic"}:
        fail("template.yaml", "sns:Publish is not granted on the alert topic alone")
    # The hook reads its stack's tags: DescribeStacks in this account and region only, and only
    # when the hook is on.
    describing = [s for s in statements if "Fn::If" in s and s["Fn::If"][1].get("Action") == "cloudformation:DescribeStacks"]
    if (len(describing) != 1 or describing[0]["Fn::If"][0] != "HookEnabled"
            or describing[0]["Fn::If"][1]["Resource"] != {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*/*"}):
        fail("template.yaml", "cloudformation:DescribeStacks is not granted, with the hook only, on this account's stacks alone")
    if any(isinstance(s, dict) and "cloudformation:DescribeStacks" in str(s.get("Action")) for s in statements):
        fail("template.yaml", "cloudformation:DescribeStacks is granted outside the hook's condition")
    owner_keys = stack["Parameters"]["OwnerTagKeys"]
    for keys, allowed in [("owner,team", True), ("a,b,c,d,e", True), ("a,b,c,d,e,f", False), ("team name", False),
                          ("owner,", False), ("", True)]:
        if bool(re.fullmatch(owner_keys["AllowedPattern"], keys)) != allowed:
            fail("template.yaml", f"OwnerTagKeys {'refuses' if allowed else 'takes'} {keys!r} (SNS takes 10 attributes, 5 are the alert's)")

    # 11: the dashboard and the alarm read only metrics the function writes, and the dashboard body is
    # JSON whatever the parameters.
    metrics_source = (ROOT / "src/lambda/metrics.rs").read_text()
    emitted = set(re.findall(r'\(\s*"([A-Za-z]+)",\s*"(?:Count|Percent|None|Seconds)"', metrics_source))
    emitted |= set(re.findall(r'"Name":\s*"([A-Za-z]+)",\s*"Unit"', metrics_source))
    body_template, names = stack["Resources"]["KpiDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    body = re.sub(r"\$\{([A-Za-z:]+)\}", lambda m: {"CaAlertDays": "45", "Sweep": "86400"}.get(m.group(1), "x"), body_template)
    try:
        widgets = json.loads(body)["widgets"]
    except ValueError as error:
        fail("template.yaml", f"the dashboard body is not JSON: {error}")
        widgets = []
    shown = {metric[1] for widget in widgets for metric in widget["properties"]["metrics"]
             if isinstance(metric[0], str) and metric[0] == "x" and len(metric) > 1 and isinstance(metric[1], str)}
    shown |= {name for widget in widgets for metric in widget["properties"]["metrics"] for name in re.findall(
        r'MetricName=\\?"([A-Za-z]+)', json.dumps(metric))}
    alarm = stack["Resources"]["CaHealthAlarm"]["Properties"]["Metrics"]
    alarmed = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm if "MetricStat" in m}
    for name in sorted((shown | alarmed) - emitted):
        fail("template.yaml", f"the dashboard or alarm reads {name}, which the function never writes")
    for name in ["MtlsCompliancePercent", "TimeToRemediate", "CaDaysToExpiry", "CaUnhealthy", "CaMostClusters", "CaShared",
                 "RejectedHandshakes", "FailedSaslAuthentications", "ClientCertificatesRotationDue",
                 "ClientCertificateRotationsMissed", "RotationsNotJudged"]:
        if name not in shown:
            fail("template.yaml", f"the dashboard does not show {name}")

    # 10: the hook gets the rule's parameters as JSON (any allowed values), fits Lambda's 4 KB of
    # environment, has an alias CloudFormation accepts, and may invoke this function only.
    hook_text = variables["HOOK_RULE_PARAMETERS"]["Fn::Sub"]
    worst_hook = re.sub(r"\$\{([A-Za-z0-9]+)\}",
                        lambda m: worst_case("template.yaml", m.group(1), stack["Parameters"][m.group(1)]) or "",
                        hook_text)
    try:
        hook_keys = set(json.loads(worst_hook))
    except ValueError as error:
        fail("template.yaml", f"HOOK_RULE_PARAMETERS is not JSON at the longest parameter values: {error}")
        hook_keys = set()
    rule_keys = set(stack["Resources"]["MtlsRule"]["Properties"]["InputParameters"]) - {"executionRoleName"}
    if hook_keys and hook_keys != rule_keys:
        fail("template.yaml", f"the hook's parameters {sorted(hook_keys)} differ from the rule's {sorted(rule_keys)}")
    environment = sum(len(name) + len(value if isinstance(value, str) else json.dumps(value))
                      for name, value in variables.items() if name != "HOOK_RULE_PARAMETERS") + len(worst_hook)
    if environment > 4096:
        fail("template.yaml", f"the function's environment can reach {environment} bytes, over Lambda's 4 KB")
    hook = stack["Resources"]["MtlsHook"]["Properties"]
    if not re.fullmatch(r"(?!(?i:aws))[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}", hook["Alias"]):
        fail("template.yaml", f"the hook's alias {hook['Alias']!r} is not Name::Name::Name (not starting with AWS)")
    role = stack["Resources"]["HookExecutionRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    grants = [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
    if [t["Principal"] for t in trust] != [{"Service": "hooks.cloudformation.amazonaws.com"}] or \
            [(g["Action"], g["Resource"]) for g in grants] != [("lambda:InvokeFunction", {"Fn::GetAtt": ["RuleFunction", "Arn"]})]:
        fail("template.yaml", "the hook's role must be trusted by the hooks service only and invoke this function only")
    if sorted(hook["TargetFilters"]["TargetNames"]) != ["AWS::MSK::Cluster", "AWS::MSK::ServerlessCluster"]:
        fail("template.yaml", "the hook must target both MSK cluster types")

    # 9: every deploy command in the README carries the capabilities its template needs.
    readme = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    commands = re.findall(r"^[ \t]*aws cloudformation (?:deploy|create-stack-set|create-stack)(?=\s).*?(?<!\\)$",
                          readme, flags=re.M | re.S)
    deployed = set()
    for command in commands:
        found = re.search(r"--template-(?:file|body) (?:file://)?(\S+)", command)
        if not found:
            fail("README", f"a deploy command names no template: {command[:60]}")
            continue
        template_name = found.group(1)
        deployed.add(template_name)
        template = templates.get(template_name)
        if template is None:
            fail("README", f"deploys {template_name}, which is not a checked template")
            continue
        kinds = {r["Type"] for r in template["Resources"].values()}
        named = any("RoleName" in r.get("Properties", {}) for r in template["Resources"].values()
                    if r["Type"] == "AWS::IAM::Role")
        needed = "CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM" if "AWS::IAM::Role" in kinds else None
        if needed and needed not in command and "CAPABILITY_NAMED_IAM" not in command:
            fail("README", f"the command deploying {template_name} lacks {needed}")
        if "Transform" in template and "CAPABILITY_AUTO_EXPAND" not in command:
            fail("README", f"the command deploying {template_name} lacks CAPABILITY_AUTO_EXPAND")
        if "create-stack-set" in command and "Transform" in template:
            fail("README", f"{template_name} has a transform and cannot go to a StackSet")
    for template_name in ["deploy/member-role.yaml", "deploy/organization-rule.yaml", "deploy/audit-role.yaml"]:
        if template_name not in deployed:
            fail("README", f"no command deploys {template_name}")

    # 12: alarms that go off when they should, and only then.
    probe = templates["deploy/probe.yaml"]
    check_alarms("deploy/probe.yaml", probe, "ProbeIntervalMinutes", lambda minutes: int(minutes) * 60,
                 {"ProbeRuns"})
    check_alarms("template.yaml", stack, "MaximumExecutionFrequency", SWEEP_SECONDS.__getitem__,
                 {"ClustersEvaluated"})
    if set(SWEEP_SECONDS) != set(stack["Parameters"]["MaximumExecutionFrequency"]["AllowedValues"]):
        fail("template.yaml", "MaximumExecutionFrequency offers a frequency the checks do not know")
    schedule = probe["Resources"]["ProbeFunction"]["Properties"]["Events"]["Probe"]["Properties"]["Schedule"]
    if schedule != {"Fn::Sub": "rate(${ProbeIntervalMinutes} minutes)"}:
        fail("deploy/probe.yaml", f"the schedule {schedule} is not the interval the alarms follow")
    for template_name, template in [("template.yaml", stack), ("deploy/probe.yaml", probe)]:
        check_namespace(template_name, template)

    # 13: the scheduled probe: no retry on top of the next run, the VPC actions Lambda checks for,
    # the rule's SASL mechanisms, and as many cluster ARNs as a parameter holds, said truly.
    function = probe["Resources"]["ProbeFunction"]["Properties"]
    if function.get("EventInvokeConfig", {}).get("MaximumRetryAttempts") != 0:
        fail("deploy/probe.yaml", "a failed scheduled run is retried: set MaximumRetryAttempts 0")
    role = probe["Resources"]["ProbeFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    vpc = [set(s["Action"]) for s in role if isinstance(s, dict) and s.get("Sid") == "NetworkInterfacesInTheVpc"]
    if vpc != [LAMBDA_VPC_ACTIONS]:
        fail("deploy/probe.yaml", f"the VPC actions {vpc} are not AWSLambdaVPCAccessExecutionRole's {sorted(LAMBDA_VPC_ACTIONS)}")
    if probe["Parameters"]["AllowedSaslMechanisms"]["AllowedValues"] != stack["Parameters"]["AllowedSaslMechanisms"]["AllowedValues"]:
        fail("deploy/probe.yaml", "AllowedSaslMechanisms does not take the rule's values")
    if function["Environment"]["Variables"].get("ALLOWED_SASL_MECHANISMS") != {"Ref": "AllowedSaslMechanisms"}:
        fail("deploy/probe.yaml", "the function does not get AllowedSaslMechanisms")
    if function["Environment"]["Variables"].get("AWS_USE_DUALSTACK_ENDPOINT") != {"Ref": "UseDualStackEndpoint"}:
        fail("deploy/probe.yaml", "UseDualStackEndpoint does not reach the SDK (AWS_USE_DUALSTACK_ENDPOINT)")
    fewest, most = (PARAMETER_VALUE_MAX + 1) // (CLUSTER_ARN_LENGTHS[1] + 1), (PARAMETER_VALUE_MAX + 1) // (CLUSTER_ARN_LENGTHS[0] + 1)
    if f"{fewest} to {most} ARNs" not in probe["Parameters"]["ClusterArns"]["Description"]:
        fail("deploy/probe.yaml", f"ClusterArns does not say it holds {fewest} to {most} ARNs")
    if PARAMETER_VALUE_MAX + most * len('", "') + len('{"clusterArns": [""]}') > EVENT_INPUT_MAX:
        fail("deploy/probe.yaml", "the schedule's input can outgrow EventBridge's 8,192 characters")
    print(f"deploy/probe.yaml: ClusterArns holds {fewest} to {most} ARNs")

    # 14: fleet figures: in organization mode every account's sweep lands under one rule name, so
    # counts are summed (a Maximum would show one account's) and a Minimum share is named the worst.
    for widget in widgets:
        properties = widget["properties"]
        previous = []
        for metric in properties["metrics"]:
            if not (isinstance(metric[0], str) and len(metric) > 1 and metric[0] != "..."):
                continue
            # "." repeats the previous row's value at that place.
            metric = [previous[i] if item == "." and i < len(previous) else item for i, item in enumerate(metric)]
            previous = metric
            name = metric[1] if isinstance(metric[1], str) else None
            stat = metric[-1].get("stat") if isinstance(metric[-1], dict) else properties.get("stat")
            if name in {"Compliant", "NonCompliant", "NotApplicable", "CaUnhealthy", "CaShared", "AclOpenByDefault"} and "Scheduled" in metric and stat != "Sum":
                fail("template.yaml", f"'{properties['title']}' shows {name} by {stat}, not summed over the accounts")
            if name == "MtlsCompliancePercent" and stat == "Minimum" and "worst" not in json.dumps(metric) + properties["title"]:
                fail("template.yaml", f"'{properties['title']}' shows the worst account's share without saying so")

    # 15: the organization procedure runs in an order real accounts accept.
    check_organization_order((ROOT / "docs/organization.md").read_text())

    # 16: every Kafka and ACM PCA call the rule makes (src/aws/sdk.rs) is granted to each role that
    # judges clusters, and nothing more of those services: a read missing in an account is a
    # failed invocation there, an extra one a privilege nobody uses.
    check_read_actions(templates)

    # 17: the broker log subscriptions: one per place BrokerLogGroups allows, each keeping only the
    # lines the function counts, invoking it with a permission scoped to its own group.
    check_broker_log_subscriptions(stack)

    # 18: client certificates' rotations: the audit reports read with exactly the calls made, on this
    # account's CAs and the reports' prefix alone, from a bucket only ACM Private CA writes to.
    check_audit_reports(stack)

    # 19: findings to Security Hub: only the audit role, only when asked, only the calls made, on the
    # account's own product and hub.
    check_security_hub(templates)
    check_function_binaries(templates)

    for failure in failures:
        print(f"FAIL {failure}")
    print(f"check_templates: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
