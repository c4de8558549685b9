#!/usr/bin/env python3
"""A local AWS for the end-to-end tests: moto's server, patched (not forked), behind a small WSGI layer.

    python aws_emulator.py [--port 0]      prints "READY <port>" once listening

What the layer adds in front of moto, all on 127.0.0.1 only:
  * Faults, seeded so a run is repeatable: for the operations named, a share of calls answers
    HTTP 400 ThrottlingException or AccessDeniedException (kind "denied") or HTTP 500 InternalFailure,
    or stalls, without reaching moto.
  * PutEvaluations answers that list FailedEvaluations (moto never reports any).
  * GetResourceConfigHistory for MSK items (moto records no MSK configuration): items are seeded
    through the control API and answered in the shape of the Config API model.
  * Private CAs in a chosen state and expiry, created through moto's own ACM PCA backend, so moto
    serves DescribeCertificateAuthority.
  * PutEvaluations with a real result token is accepted (moto takes TestMode only), and its results
    are served back by GetComplianceDetailsByConfigRule (moto lacks it), paged.
  * Kafka: creationTime with a UTC offset, real ARN format, ListClustersV2 paging; clusters are made
    with moto's v1 CreateCluster model call, which keeps their authentication settings.
  * A log of every AWS call: operation, HTTP status, whether a fault was injected, the access key,
    the region it was signed for, and the emulator's own time for it.
  * Kafka GetBootstrapBrokers (moto lacks it): the broker strings set for a cluster.
  * Kafka DescribeClusterV2 gives ZooKeeper's connection strings only where a test set them
    (/_e2e/zookeeper-nodes; moto writes a placeholder host for every cluster), and answers for a
    cluster moto does not hold but a test gave brokers or ZooKeeper nodes.
  * Kafka ListClusterOperations (moto lacks it): the operations set for a cluster, paged, each with
    its targetClusterInfo (zookeeperAccess), as the MSK API reference shapes them; none by default.
  * Clusters are made in KRaft mode (kafkaVersion 3.7.x.kraft) unless a test names a version: moto's
    default, 2.8.1, is ZooKeeper mode, whose direct access the rule reads from the operations.
  * Config GetComplianceDetailsByResource (moto lacks it): the stored result, and another rule's
    result on the same resource beside it. Results keep their Annotation.
  * Several accounts and regions (moto keys its backends by both): clusters and CAs are made in the
    account and region asked; an organization with chosen account ids and states; Account's
    ListRegions (moto lacks it) per account, and a region not enabled for an account refuses every
    call signed for it, as AWS does (UnrecognizedClientException); AssumeRole of a role named
    missing is refused with AccessDenied, as AWS refuses a role that does not exist.
moto's request recorder is on: the bodies of the calls that reached moto can be read back from
/moto-api/recorder/download-recording.

Control API (JSON bodies): POST /_e2e/faults, /_e2e/config-history, /_e2e/private-ca, /_e2e/clusters,
/_e2e/stored-results, /_e2e/token-cycle, /_e2e/organization, /_e2e/regions, /_e2e/missing-roles,
/_e2e/latency (milliseconds added to every AWS call), /_e2e/door-users (the connectors, replicators and
clients' VPC connections ListConnectors, ListReplicators and ListClientVpcConnections answer), /_e2e/cluster-operations (a cluster's
ListClusterOperations answer), /_e2e/zookeeper-nodes (a cluster's ZooKeeper connection strings), /_e2e/configurations (MSK configuration revisions
and their server.properties, for DescribeConfigurationRevision), /_e2e/stack (a CloudFormation stack with tags), /_e2e/bootstrap-brokers (a cluster's
GetBootstrapBrokers answer), /_e2e/alert-topic (an SNS topic with SQS subscribers and their filter
policies); /_e2e/alert-messages (what a subscriber's queue received);
/_e2e/security-hub (account-regions where Security Hub is not enabled; finding ids BatchImportFindings
refuses, each a number of times), /_e2e/security-hub-findings (what moto holds), /_e2e/cluster-change
(a cluster fixed or deleted); GET /_e2e/calls, /_e2e/recorded-evaluations.
"""
import argparse
import datetime
import io
import json
import os
import random
import sys
import tempfile
import threading
import time

os.environ.setdefault("MOTO_ENABLE_RECORDING", "true")
os.environ.setdefault("MOTO_RECORDER_FILEPATH", os.path.join(tempfile.mkdtemp(prefix="moto-rec-"), "recording"))

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"


def rfc3339_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def patch_moto(stored_results):
    """Small patches where moto differs from AWS in what this rule reads and writes."""
    import moto.kafka.models as kafka_models
    import moto.kafka.responses as kafka_responses
    from moto.config.models import ConfigBackend
    from moto.moto_api._internal.recorder.models import Recorder

    # The recorder appends each request to one file in several writes when its body is large:
    # concurrent PutEvaluations would interleave their lines. One request is recorded at a time.
    recording = threading.Lock()
    record_request = Recorder._record_request

    def record_whole_request(self, *args, **kwargs):
        with recording:
            return record_request(self, *args, **kwargs)

    Recorder._record_request = record_whole_request

    # PutEvaluations: moto takes TestMode only; AWS takes a real result token too. Results are
    # remembered for GetComplianceDetailsByConfigRule, as Config stores them.
    original_put = ConfigBackend.put_evaluations

    def put_evaluations(self, evaluations=None, result_token=None, test_mode=False):
        answer = original_put(self, evaluations, result_token, True)
        for evaluation in evaluations or []:
            key = (evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
            stored_results.pop(key, None)
            stored_results[key] = evaluation
        return answer

    ConfigBackend.put_evaluations = put_evaluations

    # Kafka: creationTime with a UTC offset (the Rust SDK refuses one without), real ARN format.
    original_init = kafka_models.FakeKafkaCluster.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.creation_time = rfc3339_now()
        suffix = "s1" if self.cluster_type == "SERVERLESS" else "5"
        self.arn = f"arn:aws:kafka:{self.region_name}:{self.account_id}:cluster/{self.cluster_name}/{self.cluster_id}-{suffix}"

    kafka_models.FakeKafkaCluster.__init__ = init

    # Kafka DescribeClusterV2/ListClustersV2: a cluster on MSK's default configuration has no
    # configurationArn (moto writes the placeholder "string", revision 1).
    original_describe_v2 = kafka_models.KafkaBackend.describe_cluster_v2

    def describe_cluster_v2(self, cluster_arn):
        info = original_describe_v2(self, cluster_arn)
        software = info.get("provisioned", {}).get("currentBrokerSoftwareInfo")
        if software is not None and not self.clusters[cluster_arn].configuration_info:
            software.pop("configurationArn", None)
            software.pop("configurationRevision", None)
        # ZooKeeper's connection strings only where a test set them (moto writes a placeholder host
        # for every cluster, KRaft ones included).
        provisioned = info.get("provisioned")
        if provisioned is not None:
            provisioned.pop("zookeeperConnectString", None)
            provisioned.pop("zookeeperConnectStringTls", None)
            provisioned.update(ZOOKEEPER_NODES.get(cluster_arn, {}))
        return info

    kafka_models.KafkaBackend.describe_cluster_v2 = describe_cluster_v2

    # Kafka ListClustersV2: honour maxResults and nextToken (moto returns everything at once).
    def list_clusters_v2(self):
        everything = self.kafka_backend.list_clusters_v2(
            cluster_name_filter=self._get_param("clusterNameFilter"),
            cluster_type_filter=self._get_param("clusterTypeFilter"))
        size = int(self._get_param("maxResults") or 10)
        start, next_token = page_of(TOKEN_CYCLES.get("ListClustersV2"), self._get_param("nextToken"), size,
                                    len(everything))
        body = {"clusterInfoList": everything[start:start + size]}
        if next_token is not None:
            body["nextToken"] = next_token
        return json.dumps(body)

    kafka_responses.KafkaResponse.list_clusters_v2 = list_clusters_v2


# Operations whose tokens go A, B, A, B, ... (a listing that pages in a cycle): operation -> True.
TOKEN_CYCLES = {}
# Cluster ARN -> DescribeClusterV2's ZooKeeper connection strings (zookeeperConnectString[Tls]).
ZOOKEEPER_NODES = {}
# Cluster ARN -> the CAs DescribeClusterV2 says it trusts (ClientAuthentication.Tls), for a cluster
# moto does not hold but a test gave brokers to.
CLUSTER_CAS = {}
CYCLE = {None: ("A", 0), "A": ("B", 1), "B": ("A", 2)}


def page_of(cycle, token, size, total):
    """The start of the page a token asks for, and the next token: offsets, or a cycle A, B, A."""
    if cycle:
        next_token, page = CYCLE[token or None]
        return page * size, next_token
    start = int(token or 0)
    return start, (str(start + size) if start + size < total else None)


class Emulator:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.calls = []  # {"operation", "status", "fault", "key", "ms"}
        self.request = threading.local()  # the werkzeug server answers each request on its own thread
        self.faults = {}  # operation -> {"kind", "rate", "remaining"}
        self.random = random.Random(0)
        self.failed_evaluations_left = 0
        self.history = {}  # (resource type, resource id) -> configuration item (API spelling)
        self.stored_results = {}  # (resource type, resource id) -> last evaluation, as Config keeps it
        self.regions = {}  # account -> {region: opt status}, for ListRegions and refusing the others
        self.missing_roles = set()  # role ARNs AssumeRole refuses, as AWS refuses a missing role
        self.latency = 0.0  # seconds added to every AWS call, as a network round trip would
        self.bootstrap_brokers = {}  # cluster ARN -> GetBootstrapBrokers answer (moto lacks it)
        self.configurations = {}  # (configuration ARN, revision) -> server.properties text (moto lacks them)
        self.cluster_operations = {}  # cluster ARN -> ClusterOperationInfo list (moto lacks ListClusterOperations)
        # Who uses a cluster's doors (moto lacks MSK Connect, MSK Replicator and VPC connections),
        # in the wire shapes: ListConnectors' connectors, ListReplicators' replicators, and
        # ListClientVpcConnections' answer by cluster ARN.
        self.connectors = []
        self.replicators = []
        self.client_vpc_connections = {}
        self.rule_name = "msk-mtls-enforced"  # whose results GetComplianceDetailsByResource answers with
        # ACM PCA audit reports (moto lacks them): what CreateCertificateAuthorityAuditReport does per
        # CA ARN ({"mode": write | creating | fail | in-progress, "certificates" or "raw"}), and the
        # reports asked for, by id, for DescribeCertificateAuthorityAuditReport.
        self.audit_reports = {}
        self.audit_requests = {}
        self.hub_disabled = set()  # (account, region) where Security Hub is not enabled
        self.hub_refusals = {}  # finding id -> how many more imports refuse it

    def compliance_by_resource(self, request):
        """GetComplianceDetailsByResource (moto lacks it): the stored result under the rule's name, and
        a result of another rule on the same resource, which the function must not take for its own."""
        with self.lock:
            stored = self.stored_results.get((request.get("ResourceType"), request.get("ResourceId")))
        def result(rule_name, evaluation):
            return {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {"ConfigRuleName": rule_name,
                                                  "ResourceType": evaluation["ComplianceResourceType"],
                                                  "ResourceId": evaluation["ComplianceResourceId"]},
                    "OrderingTimestamp": time.time()},
                "ComplianceType": evaluation["ComplianceType"],
                "ResultRecordedTime": time.time(), "ConfigRuleInvokedTime": time.time(),
                **({"Annotation": evaluation["Annotation"]} if evaluation.get("Annotation") else {}),
            }
        decoy = {"ComplianceResourceType": request.get("ResourceType"), "ComplianceResourceId": request.get("ResourceId"),
                 "ComplianceType": "NON_COMPLIANT", "Annotation": "another rule's result (since 2001-01-01T00:00:00Z)"}
        results = [result("another-rule", decoy)]
        if stored is not None:
            results.append(result(self.rule_name, stored))
        return {"EvaluationResults": results}

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_e2e/"):
            return self.control(environ, start_response, path)
        self.request.started = time.perf_counter()
        body = read_body(environ)
        operation = operation_of(environ, path)
        if self.latency:  # every AWS call's round trip, whatever answers it
            time.sleep(self.latency)
        # per request (the server answers each on its own thread): concurrent callers sign with different keys
        self.request.key = access_key_of(environ)
        self.request.region = signed_region_of(environ)
        refusal = self.account_refusal(operation, environ, body)
        if refusal is not None:
            status, answer, kind = refusal
            self.log(operation, int(status.split()[0]), kind)
            if kind == "missing-role":
                return xml_response(start_response, status, answer)
            return json_response(start_response, status, answer)
        if operation == "DescribeClusterV2":
            answer = self.describe_unlisted_cluster(path)
            if answer is not None:
                self.log(operation, 200, None)
                return json_response(start_response, "200 OK", answer)
        if operation == "GetBootstrapBrokers":
            from urllib.parse import unquote
            arn = unquote(path[len("/v1/clusters/"):-len("/bootstrap-brokers")])
            answer = self.bootstrap_brokers.get(arn)
            if answer is None:
                self.log(operation, 404, None)
                return json_response(start_response, "404 Not Found",
                                     {"__type": "NotFoundException", "message": f"cluster {arn} not found"})
            self.log(operation, 200, None)
            return json_response(start_response, "200 OK", answer)
        if operation == "ListRegions":
            self.log(operation, 200, None)
            return json_response(start_response, "200 OK", self.list_regions(json.loads(body or b"{}")))
        fault = self.pick_fault(operation)
        if fault == "stall":
            time.sleep(60)
        if fault in ("throttle", "error500", "denied", "limit"):
            self.log(operation, {"error500": 500, "limit": 429}.get(fault, 400), fault)
            return aws_error(start_response, fault)
        if operation in ("CreateCertificateAuthorityAuditReport", "DescribeCertificateAuthorityAuditReport"):
            return self.audit_report_call(operation, start_response, json.loads(body or b"{}"))
        if operation in ("BatchImportFindings", "GetFindings"):
            answer = self.security_hub_call(operation, start_response, body)
            if answer is not None:
                return answer
        if operation == "DescribeConfigurationRevision":
            return self.configuration_revision(start_response, path)
        if operation == "ListClusterOperations":
            return self.list_cluster_operations(start_response, environ, path)
        if operation in ("ListConnectors", "ListReplicators", "ListClientVpcConnections"):
            return self.list_door_users(operation, start_response, environ, path)
        if operation == "GetResourceConfigHistory":
            answer = self.config_history(json.loads(body or b"{}"))
            if answer is not None:
                self.log(operation, 200, None)
                return json_response(start_response, "200 OK", answer)
        if operation == "GetComplianceDetailsByConfigRule":
            request = json.loads(body or b"{}")
            # Config's model: ConfigRuleName is a StringWithCharLimit64 here (128 elsewhere).
            if not 1 <= len(request.get("ConfigRuleName") or "") <= 64:
                self.log(operation, 400, "validation")
                return json_response(start_response, "400 Bad Request", {
                    "__type": "ValidationException",
                    "message": "1 validation error detected: Value at 'configRuleName' failed to satisfy "
                               "constraint: Member must have length less than or equal to 64"})
            self.log(operation, 200, None)
            return json_response(start_response, "200 OK", self.compliance_details(request))
        if operation == "GetComplianceDetailsByResource":
            self.log(operation, 200, None)
            return json_response(start_response, "200 OK", self.compliance_by_resource(json.loads(body or b"{}")))
        if operation == "PutEvaluations" and self.take_failed_evaluations():
            sent = json.loads(body or b"{}").get("Evaluations", [])
            self.log(operation, 200, "failed-evaluations")
            return json_response(start_response, "200 OK", {"FailedEvaluations": sent})
        status = {}

        def recording_start_response(code, headers, exc_info=None):
            status["code"] = int(code.split()[0])
            return start_response(code, headers, exc_info)

        result = self.app(environ, recording_start_response)
        self.log(operation, status.get("code", 0), None)
        return result

    def security_hub_call(self, operation, start_response, body):
        """Security Hub not enabled in an account-region (InvalidAccessException, as AWS answers),
        and findings BatchImportFindings refuses by id; otherwise moto answers."""
        if (self.account_of_request(), self.request.region) in self.hub_disabled:
            self.log(operation, 403, "hub-disabled")
            return json_response(start_response, "403 Forbidden", {
                "__type": "InvalidAccessException",
                "message": f"Account {self.account_of_request()} is not subscribed to AWS Security Hub"})
        if operation != "BatchImportFindings":
            return None
        findings = json.loads(body or b"{}").get("Findings", [])
        with self.lock:
            refused = [f["Id"] for f in findings if self.hub_refusals.get(f["Id"], 0) > 0]
            for finding_id in refused:
                self.hub_refusals[finding_id] -= 1
        if not refused:
            return None
        from moto.securityhub.models import securityhub_backends
        backend = securityhub_backends[self.account_of_request()][self.request.region]
        _, imported, _ = backend.batch_import_findings([f for f in findings if f["Id"] not in refused])
        self.log(operation, 200, "refused-findings")
        return json_response(start_response, "200 OK", {
            "FailedCount": len(refused), "SuccessCount": imported,
            "FailedFindings": [{"Id": i, "ErrorCode": "InvalidInput", "ErrorMessage": "injected: refused"}
                               for i in refused]})

    def audit_report_call(self, operation, start_response, request):
        """CreateCertificateAuthorityAuditReport and DescribeCertificateAuthorityAuditReport (moto lacks
        them): a report written to the bucket where ACM PCA writes it (audit-report/<CA id>/<id>.json),
        or, as the test set the CA up, one still being written, one that failed, or a refusal because
        one was asked for within 30 minutes."""
        ca = request.get("CertificateAuthorityArn", "")
        if operation == "DescribeCertificateAuthorityAuditReport":
            with self.lock:
                found = self.audit_requests.get(request.get("AuditReportId"))
            if found is None or found["ca"] != ca:
                self.log(operation, 400, None)
                return json_response(start_response, "400 Bad Request", {
                    "__type": "ResourceNotFoundException", "message": "no such audit report"})
            answer = {"AuditReportStatus": found["status"], "CreatedAt": found["created"]}
            if found["status"] == "SUCCESS":
                answer.update(S3BucketName=found["bucket"], S3Key=found["key"])
            self.log(operation, 200, None)
            return json_response(start_response, "200 OK", answer)
        with self.lock:
            setup = dict(self.audit_reports.get(ca, {"mode": "write", "certificates": []}))
        if setup["mode"] == "in-progress":
            self.log(operation, 400, None)
            return json_response(start_response, "400 Bad Request", {
                "__type": "RequestInProgressException", "message": "Your request is already in progress."})
        report_id = f"{random.Random().getrandbits(64):016x}"
        key = f"audit-report/{ca.rsplit('/', 1)[-1]}/{report_id}.json"
        status = {"write": "SUCCESS", "creating": "CREATING", "fail": "FAILED"}[setup["mode"]]
        if status == "SUCCESS":
            put_audit_report(request["S3BucketName"], key, setup, 0)
        with self.lock:
            self.audit_requests[report_id] = {"ca": ca, "bucket": request["S3BucketName"], "key": key,
                                              "status": status, "created": time.time()}
        self.log(operation, 200, None)
        return json_response(start_response, "200 OK", {"AuditReportId": report_id, "S3Key": key})

    def configuration_revision(self, start_response, path):
        """Kafka DescribeConfigurationRevision (GET /v1/configurations/{arn}/revisions/{revision}):
        serverProperties is the base64 of the server.properties text, as the service sends it."""
        import base64
        from urllib.parse import unquote
        arn, _, revision = unquote(path[len("/v1/configurations/"):]).rpartition("/revisions/")
        text = self.configurations.get((arn, revision))
        if text is None:
            self.log("DescribeConfigurationRevision", 404, None)
            return json_response(start_response, "404 Not Found",
                                 {"__type": "NotFoundException", "message": f"configuration {arn} revision {revision} not found"})
        self.log("DescribeConfigurationRevision", 200, None)
        return json_response(start_response, "200 OK", {
            "arn": arn, "revision": int(revision), "creationTime": rfc3339_now(), "description": "",
            "serverProperties": base64.b64encode(text.encode("latin-1")).decode()})

    def describe_unlisted_cluster(self, path):
        """DescribeClusterV2 of a cluster moto does not hold but a test gave brokers or ZooKeeper nodes
        (as GetBootstrapBrokers answers for one): a provisioned cluster with those strings."""
        from urllib.parse import unquote
        from moto.kafka.models import kafka_backends
        arn = unquote(path[len("/api/v2/clusters/"):])
        parts = arn.split(":")
        if len(parts) >= 6 and arn in kafka_backends[parts[4]][parts[3]].clusters:
            return None
        if arn not in self.bootstrap_brokers and arn not in ZOOKEEPER_NODES:
            return None
        provisioned = dict(ZOOKEEPER_NODES.get(arn, {}))
        if arn in CLUSTER_CAS:
            provisioned["clientAuthentication"] = {"tls": {"enabled": True, "certificateAuthorityArnList": CLUSTER_CAS[arn]}}
        return {"clusterInfo": {"clusterArn": arn, "clusterName": arn.split("/")[1] if "/" in arn else arn,
                                "clusterType": "PROVISIONED", "state": "ACTIVE", "provisioned": provisioned}}

    def list_cluster_operations(self, start_response, environ, path):
        """Kafka ListClusterOperations (GET /v1/clusters/{arn}/operations), paged by maxResults and
        nextToken; a cluster neither moto nor the seeded operations know is NotFoundException, as the
        service answers (a Config item's cluster exists for the emulator once its operations are set)."""
        from urllib.parse import parse_qs, unquote
        from moto.kafka.models import kafka_backends
        arn = unquote(path[len("/v1/clusters/"):-len("/operations")])
        account = arn.split(":")[4] if arn.count(":") >= 5 else ACCOUNT
        region = arn.split(":")[3] if arn.count(":") >= 5 else REGION
        if arn not in kafka_backends[account][region].clusters and arn not in self.cluster_operations:
            self.log("ListClusterOperations", 404, None)
            return json_response(start_response, "404 Not Found",
                                 {"__type": "NotFoundException", "message": f"cluster {arn} not found"})
        query = parse_qs(environ.get("QUERY_STRING", ""))
        everything = self.cluster_operations.get(arn, [])
        size = int((query.get("maxResults") or ["100"])[0])
        start, next_token = page_of(None, (query.get("nextToken") or [None])[0], size, len(everything))
        body = {"clusterOperationInfoList": everything[start:start + size]}
        if next_token is not None:
            body["nextToken"] = next_token
        self.log("ListClusterOperations", 200, None)
        return json_response(start_response, "200 OK", body)

    def list_door_users(self, operation, start_response, environ, path):
        """MSK Connect ListConnectors (GET /v1/connectors), Kafka ListReplicators (GET
        /replication/v1/replicators) and ListClientVpcConnections (GET
        /v1/clusters/{arn}/client-vpc-connections), each paged by maxResults and nextToken."""
        from urllib.parse import parse_qs, unquote
        if operation == "ListConnectors":
            member, everything = "connectors", self.connectors
        elif operation == "ListReplicators":
            member, everything = "replicators", self.replicators
        else:
            arn = unquote(path[len("/v1/clusters/"):-len("/client-vpc-connections")])
            member, everything = "clientVpcConnections", self.client_vpc_connections.get(arn, [])
        query = parse_qs(environ.get("QUERY_STRING", ""))
        size = int((query.get("maxResults") or ["100"])[0])
        if not 1 <= size <= 100:
            self.log(operation, 400, "validation")
            return json_response(start_response, "400 Bad Request",
                                 {"__type": "BadRequestException", "message": "maxResults must be 1 to 100"})
        start, next_token = page_of(None, (query.get("nextToken") or [None])[0], size, len(everything))
        body = {member: everything[start:start + size]}
        if next_token is not None:
            body["nextToken"] = next_token
        self.log(operation, 200, None)
        return json_response(start_response, "200 OK", body)

    def log(self, operation, status, fault):
        with self.lock:
            # ms: the emulator's own time for the call, the floor no client can go below
            self.calls.append({"operation": operation, "status": status, "fault": fault, "key": self.request.key,
                               "region": getattr(self.request, "region", None),
                               "ms": (time.perf_counter() - self.request.started) * 1000,
                               # when the call arrived and was answered, for a timeline of overlaps
                               "startedMs": self.request.started * 1000, "endedMs": time.perf_counter() * 1000})

    def account_of_request(self):
        from moto.iam.models import get_account_id_from
        return get_account_id_from(self.request.key or "")

    def account_refusal(self, operation, environ, body):
        """AssumeRole of a missing role, or a call into a region the account has not enabled."""
        if operation == "AssumeRole":
            from urllib.parse import parse_qs
            role = parse_qs(body.decode()).get("RoleArn", [""])[0]
            if role in self.missing_roles:
                return ("403 Forbidden", sts_error("AccessDenied", f"User: arn:aws:iam::{ACCOUNT}:user/e2e is not "
                        f"authorized to perform: sts:AssumeRole on resource: {role}"), "missing-role")
            return None
        region = self.request.region
        enabled = self.regions.get(self.account_of_request())
        if enabled is None or region is None or operation in GLOBAL_OPERATIONS:
            return None
        if enabled.get(region) not in ("ENABLED", "ENABLED_BY_DEFAULT"):
            return ("403 Forbidden", {"__type": "UnrecognizedClientException",
                                      "message": "The security token included in the request is invalid."},
                    "region-not-enabled")
        return None

    def list_regions(self, request):
        """Account's ListRegions (moto lacks it) for the calling account, filtered and paged."""
        regions = self.regions.get(self.account_of_request(), {REGION: "ENABLED_BY_DEFAULT"})
        wanted = request.get("RegionOptStatusContains") or []
        everything = [{"RegionName": name, "RegionOptStatus": status} for name, status in sorted(regions.items())
                      if not wanted or status in wanted]
        size = int(request.get("MaxResults") or 20)
        start, next_token = page_of(None, request.get("NextToken"), size, len(everything))
        body = {"Regions": everything[start:start + size]}
        if next_token is not None:
            body["NextToken"] = next_token
        return body

    def pick_fault(self, operation):
        with self.lock:
            rule = self.faults.get(operation) or self.faults.get("*")
            if not rule or rule["remaining"] == 0:
                return None
            if self.random.random() >= rule["rate"]:
                return None
            if rule["remaining"] > 0:
                rule["remaining"] -= 1
            kind = rule["kind"]
            return self.random.choice(["throttle", "error500"]) if kind == "mixed" else kind

    def take_failed_evaluations(self):
        with self.lock:
            if self.failed_evaluations_left == 0:
                return False
            if self.failed_evaluations_left > 0:
                self.failed_evaluations_left -= 1
            return True

    def config_history(self, request):
        item = self.history.get((request.get("resourceType"), request.get("resourceId")))
        if item is None:
            return None
        later = request.get("laterTime")
        if later is not None and item["configurationItemCaptureTime"] > later:
            return {"configurationItems": []}
        return {"configurationItems": [item][: request.get("limit") or 10]}

    def compliance_details(self, request):
        """GetComplianceDetailsByConfigRule (moto lacks it), paged by Limit and NextToken."""
        wanted = request.get("ComplianceTypes") or []
        with self.lock:
            results = [e for e in self.stored_results.values() if not wanted or e["ComplianceType"] in wanted]
        limit = int(request.get("Limit") or 100)
        start, next_token = page_of(TOKEN_CYCLES.get("GetComplianceDetailsByConfigRule"), request.get("NextToken"),
                                    limit, len(results))
        page = [{
            "EvaluationResultIdentifier": {
                "EvaluationResultQualifier": {"ConfigRuleName": request.get("ConfigRuleName"),
                                              "ResourceType": e["ComplianceResourceType"],
                                              "ResourceId": e["ComplianceResourceId"],
                                              "EvaluationMode": "DETECTIVE"},
                "OrderingTimestamp": e["OrderingTimestamp"]},
            "ComplianceType": e["ComplianceType"],
            "ResultRecordedTime": time.time(), "ConfigRuleInvokedTime": time.time(),
            **({"Annotation": e["Annotation"]} if e.get("Annotation") else {}),
        } for e in results[start:start + limit]]
        body = {"EvaluationResults": page}
        if next_token is not None:
            body["NextToken"] = next_token
        return body

    # -- control API ----------------------------------------------------------------------------
    def control(self, environ, start_response, path):
        request = json.loads(read_body(environ) or b"{}")
        if path == "/_e2e/calls":
            with self.lock:
                return json_response(start_response, "200 OK", {"calls": list(self.calls)})
        if path == "/_e2e/recorded-evaluations":
            return json_response(start_response, "200 OK", {"requests": recorded_put_evaluations()})
        if path == "/_e2e/faults":
            with self.lock:
                self.random = random.Random(request.get("seed", 0))
                self.faults = {
                    operation: {"kind": request["kind"], "rate": float(request.get("rate", 1.0)),
                                "remaining": int(request.get("count", -1))}
                    for operation in request.get("operations", [])
                }
                self.failed_evaluations_left = int(request.get("failedEvaluations", 0))
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/config-history":
            item = history_item(request)
            with self.lock:
                self.history[(item["resourceType"], item["resourceId"])] = item
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/stored-results":
            with self.lock:
                for evaluation in request["evaluations"]:
                    key = (evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
                    self.stored_results[key] = dict(evaluation, OrderingTimestamp=time.time())
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/token-cycle":
            TOKEN_CYCLES.clear()
            TOKEN_CYCLES.update({operation: True for operation in request.get("operations", [])})
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/clusters":
            arns = create_clusters(request["clusters"], request.get("account", ACCOUNT), request.get("region", REGION))
            return json_response(start_response, "200 OK", {"arns": arns})
        if path == "/_e2e/organization":
            return json_response(start_response, "200 OK", {"accounts": create_organization(request["accounts"])})
        if path == "/_e2e/regions":
            with self.lock:
                self.regions[request["account"]] = dict(request["regions"])
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/bootstrap-brokers":
            with self.lock:
                self.bootstrap_brokers[request["arn"]] = dict(request["brokers"])
                if "certificateAuthorities" in request:
                    CLUSTER_CAS[request["arn"]] = list(request["certificateAuthorities"])
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/zookeeper-nodes":
            with self.lock:
                ZOOKEEPER_NODES[request["arn"]] = dict(request["nodes"])
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/door-users":
            with self.lock:
                self.connectors = request.get("connectors", [])
                self.replicators = request.get("replicators", [])
                self.client_vpc_connections = request.get("clientVpcConnections", {})
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/cluster-operations":
            with self.lock:
                self.cluster_operations[request["arn"]] = list(request["operations"])
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/configurations":
            with self.lock:
                for configuration in request["configurations"]:
                    key = (configuration["arn"], str(configuration["revision"]))
                    self.configurations[key] = configuration["serverProperties"]
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/latency":
            self.latency = float(request["ms"]) / 1000
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/missing-roles":
            with self.lock:
                self.missing_roles = set(request["arns"])
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/alert-topic":
            return json_response(start_response, "200 OK", {"topicArn": create_alert_topic(request)})
        if path == "/_e2e/alert-messages":
            return json_response(start_response, "200 OK", {"messages": drain_queue(request["queue"])})
        if path == "/_e2e/private-ca":
            return json_response(start_response, "200 OK", {"arn": create_private_ca(request)})
        if path == "/_e2e/audit-report":
            # What the CA's next CreateCertificateAuthorityAuditReport does, and a report written
            # `existing.hoursOld` hours ago, if given, in the bucket (created if missing).
            with self.lock:
                self.audit_reports[request["caArn"]] = {k: v for k, v in request.items() if k != "existing"}
            ensure_bucket(request["bucket"])
            existing = request.get("existing")
            if existing is not None:
                key = f"audit-report/{request['caArn'].rsplit('/', 1)[-1]}/{existing.get('id', 'earlier')}.json"
                put_audit_report(request["bucket"], key, existing, float(existing.get("hoursOld", 0)))
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/security-hub":
            # Account-regions where Security Hub is not enabled, and findings refused N times.
            with self.lock:
                self.hub_disabled = {tuple(pair) for pair in request.get("disabled", [])}
                self.hub_refusals = dict(request.get("refuse", {}))
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/security-hub-findings":
            from moto.securityhub.models import securityhub_backends
            backend = securityhub_backends[request["account"]][request["region"]]
            return json_response(start_response, "200 OK", {"findings": [f.as_dict() for f in backend.findings]})
        if path == "/_e2e/cluster-change":
            # A cluster fixed (its authentication and encryption replaced) or deleted.
            from moto.kafka.models import kafka_backends
            backend = kafka_backends[request["account"]][request["region"]]
            for arn in request.get("delete", []):
                backend.clusters.pop(arn)
            for arn, fix in request.get("fix", {}).items():
                backend.clusters[arn].client_authentication = fix["clientAuthentication"]
                backend.clusters[arn].encryption_info = fix["encryptionInfo"]
            return json_response(start_response, "200 OK", {})
        if path == "/_e2e/stack":
            return json_response(start_response, "200 OK", {"stackId": create_stack(request)})
        return json_response(start_response, "404 Not Found", {"message": path})


# Calls answered the same from every region: never refused for a region the account has not enabled.
GLOBAL_OPERATIONS = {"AssumeRole", "GetCallerIdentity", "ListAccounts", "ListRegions"}


def create_organization(accounts):
    """An organization managed from ACCOUNT, with member accounts of the ids and states given."""
    import moto.organizations.utils as organizations_utils
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[ACCOUNT]["aws"]
    if backend.org is None:
        backend.create_organization(region="us-east-1", FeatureSet="ALL")
    chosen = iter([account["id"] for account in accounts])
    original = organizations_utils.make_random_account_id
    organizations_utils.make_random_account_id = lambda: next(chosen)
    try:
        for account in accounts:
            backend.create_account(AccountName=f"e2e-{account['id']}", Email=f"{account['id']}@example.com")
            made = backend.get_account_by_id(account["id"])
            made.state = made.status = account.get("state", "ACTIVE")
    finally:
        organizations_utils.make_random_account_id = original
    return [account.id for account in backend.accounts]


def create_alert_topic(request):
    """An SNS topic with an SQS queue per subscriber, each with its filter policy (none: every message),
    made through moto's own backends, so moto delivers and filters what the function publishes."""
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends
    sns = sns_backends[ACCOUNT][REGION]
    topic = sns.create_topic(request["name"])
    for subscriber in request["subscribers"]:
        queue = sqs_backends[ACCOUNT][REGION].create_queue(subscriber["queue"])
        subscription = sns.subscribe(topic.arn, queue.queue_arn, "sqs")
        if subscriber.get("filterPolicy"):
            sns.set_subscription_attributes(subscription.arn, "FilterPolicy", json.dumps(subscriber["filterPolicy"]))
    return topic.arn


def drain_queue(queue_name):
    """Every message waiting in a queue, as the SNS envelopes SQS holds (taken for an hour: read once)."""
    from moto.sqs.models import sqs_backends
    messages = []
    while True:
        batch = sqs_backends[ACCOUNT][REGION].receive_message(queue_name, 10, 0, 3600)
        if not batch:
            return messages
        messages.extend(json.loads(message.body) for message in batch)


def create_clusters(clusters, account=ACCOUNT, region=REGION):
    """Clusters through moto's v1 CreateCluster model call (v2 drops the authentication settings);
    `"serverless": true` makes a serverless one."""
    from moto.kafka.models import kafka_backends

    backend = kafka_backends[account][region]
    arns = []
    for cluster in clusters:
        if cluster.get("serverless"):
            arn, _, _, _ = backend.create_cluster_v2(
                cluster_name=cluster["name"], tags=cluster.get("tags"), provisioned=None,
                serverless={"vpcConfigs": [{"subnetIds": ["subnet-1"]}],
                            "clientAuthentication": {"sasl": {"iam": {"enabled": True}}}})
        else:
            arn, _, _ = backend.create_cluster(
                broker_node_group_info=cluster.get("brokerNodeGroupInfo") or {"instanceType": "kafka.m5.large",
                                                                              "clientSubnets": ["subnet-1"]},
                client_authentication=cluster.get("clientAuthentication"),
                cluster_name=cluster["name"], encryption_info=cluster.get("encryptionInfo"),
                configuration_info=cluster.get("configurationInfo"), tags=cluster.get("tags"),
                kafka_version=cluster.get("kafkaVersion", "3.7.x.kraft"), logging_info=cluster.get("loggingInfo"))
        arns.append(arn)
    return arns


def recorded_put_evaluations():
    """The PutEvaluations request bodies that reached moto, from moto's own request recorder."""
    import base64
    path = os.environ["MOTO_RECORDER_FILEPATH"]
    if not os.path.exists(path):
        return []
    bodies = []
    with open(path) as recording:
        for line in recording:
            entry = json.loads(line)
            if entry["headers"].get("X-Amz-Target", "").endswith(".PutEvaluations"):
                body = entry["body"] or ""
                bodies.append(json.loads(base64.b64decode(body) if entry["body_encoded"] else body))
    return bodies


def read_body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def access_key_of(environ):
    """The access key id a request was signed with (SigV4 `Credential=<key>/...`)."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    _, _, rest = authorization.partition("Credential=")
    return rest.split("/", 1)[0] or None


def operation_of(environ, path):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[-1]  # JSON protocols: Config, ACM PCA
    if environ.get("REQUEST_METHOD") == "GET" and path == "/api/v2/clusters":
        return "ListClustersV2"
    if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/v1/clusters/") and path.endswith("/bootstrap-brokers"):
        return "GetBootstrapBrokers"
    if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/v1/configurations/") and "/revisions/" in path:
        return "DescribeConfigurationRevision"
    if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/v1/clusters/") and path.endswith("/operations"):
        return "ListClusterOperations"
    if environ.get("REQUEST_METHOD") == "GET" and path == "/v1/connectors":
        return "ListConnectors"  # MSK Connect
    if environ.get("REQUEST_METHOD") == "GET" and path == "/replication/v1/replicators":
        return "ListReplicators"
    if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/v1/clusters/") and path.endswith("/client-vpc-connections"):
        return "ListClientVpcConnections"
    if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/api/v2/clusters/"):
        return "DescribeClusterV2"
    if environ.get("REQUEST_METHOD") == "POST" and path == "/findings/import":
        return "BatchImportFindings"  # Security Hub (REST-JSON)
    if environ.get("REQUEST_METHOD") == "POST" and path == "/findings":
        return "GetFindings"
    if environ.get("REQUEST_METHOD") == "POST" and path == "/listRegions":
        return "ListRegions"  # Account (REST-JSON)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qs
        action = parse_qs(environ["wsgi.input"].getvalue().decode()).get("Action")
        if action:
            return action[0]  # query protocol: STS
    return environ.get("REQUEST_METHOD", "") + " " + path


def signed_region_of(environ):
    """The region a request was signed for (SigV4 `Credential=<key>/<date>/<region>/...`)."""
    _, _, rest = environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")
    parts = rest.split("/")
    return parts[2] if len(parts) > 2 else None


def sts_error(code, message):
    return (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f'<Code>{code}</Code><Message>{message}</Message></Error><RequestId>e2e</RequestId></ErrorResponse>')


def xml_response(start_response, status, body):
    data = body.encode()
    start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
    return [data]


def aws_error(start_response, fault):
    if fault == "limit":  # Security Hub's throttling: HTTP 429 LimitExceededException
        return json_response(start_response, "429 Too Many Requests",
                             {"__type": "LimitExceededException", "message": "Rate exceeded"})
    if fault == "throttle":
        return json_response(start_response, "400 Bad Request",
                             {"__type": "ThrottlingException", "message": "Rate exceeded"})
    if fault == "denied":
        return json_response(start_response, "400 Bad Request",
                             {"__type": "AccessDeniedException", "message": "injected: not authorized"})
    return json_response(start_response, "500 Internal Server Error",
                         {"__type": "InternalFailure", "message": "injected server error"})


def json_response(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))])
    return [data]


def history_item(lambda_item):
    """A Lambda-event configuration item, respelled as GetResourceConfigHistory returns it."""
    capture = datetime.datetime.fromisoformat(lambda_item["configurationItemCaptureTime"].replace("Z", "+00:00"))
    return {
        "version": lambda_item.get("configurationItemVersion", "1.3"),
        "accountId": lambda_item.get("awsAccountId", ACCOUNT),
        "configurationItemCaptureTime": capture.timestamp(),
        "configurationItemStatus": lambda_item["configurationItemStatus"],
        "configurationStateId": str(lambda_item.get("configurationStateId", "1")),
        "configurationItemMD5Hash": "",
        "arn": lambda_item.get("ARN", lambda_item["resourceId"]),
        "resourceType": lambda_item["resourceType"],
        "resourceId": lambda_item["resourceId"],
        "resourceName": lambda_item.get("resourceName"),
        "awsRegion": lambda_item.get("awsRegion", REGION),
        "availabilityZone": lambda_item.get("availabilityZone", "Regional"),
        "tags": lambda_item.get("tags") or {},
        "relatedEvents": [],
        "relationships": [],
        "configuration": json.dumps(lambda_item.get("configuration")),
        "supplementaryConfiguration": {},
    }


def create_stack(request):
    """A CloudFormation stack with the stack-level tags given, in moto's backend (for the hook)."""
    from moto.cloudformation.models import cloudformation_backends
    template = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
    stack = cloudformation_backends[ACCOUNT][REGION].create_stack(
        name=request["name"], template=template, parameters={}, tags=request.get("tags", {}))
    return stack.stack_id


def ensure_bucket(name, account=ACCOUNT):
    from moto.s3.models import s3_backends

    backend = s3_backends[account]["aws"]
    if name not in backend.buckets:
        backend.create_bucket(name, REGION)


def put_audit_report(bucket, key, setup, hours_old, account=ACCOUNT):
    """A report as ACM PCA writes it: a JSON list of every certificate (`certificates`: subject, serial,
    days from now it became valid and expires, revoked or not, template), or a test's own `raw` text."""
    from moto.s3.models import s3_backends

    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = lambda days: (now + datetime.timedelta(days=float(days))).strftime("%Y-%m-%dT%H:%M:%S+0000")
    if "raw" in setup:
        body = setup["raw"].encode()
    else:
        body = json.dumps([{
            "awsAccountId": account, "requestedByServicePrincipal": "",
            "certificateArn": f"arn:aws:acm-pca:{REGION}:{account}:certificate-authority/x/certificate/{c['serial']}",
            "serial": c["serial"], "subject": c["subject"],
            "notBefore": stamp(c["fromDays"]), "notAfter": stamp(c["toDays"]), "issuedAt": stamp(c["fromDays"]),
            **({"revokedAt": stamp(0), "revocationReason": "KEY_COMPROMISE"} if c.get("revoked") else {}),
            "templateArn": c.get("template", "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"),
        } for c in setup.get("certificates", [])], indent=1).encode()
    ensure_bucket(bucket, account)
    stored = s3_backends[account]["aws"].put_object(bucket, key, body)
    stored.last_modified = now.replace(tzinfo=None) - datetime.timedelta(hours=hours_old)


def create_private_ca(request):
    """A CA in moto's ACM PCA backend with a real self-signed certificate expiring in `days`: of
    `type` (default SUBORDINATE), its own `certificatePem` if given, and `usageMode` (default GENERAL_PURPOSE, ACM PCA's; moto records
    every CA as SHORT_LIVED_CERTIFICATE), with the resource `policy` given, and shared through AWS RAM
    with the accounts of `ramShareWith` (RAM attaches a resource policy to the CA, which GetPolicy
    returns: written here in the shape of the Private CA guide's cross-account example)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from moto.acmpca.models import acmpca_backends

    backend = acmpca_backends[request.get("account", ACCOUNT)][request.get("region", REGION)]
    ca = backend.create_certificate_authority(
        certificate_authority_configuration={
            "KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": request.get("commonName", "e2e-ca")}},
        revocation_configuration={}, certificate_authority_type=request.get("type", "SUBORDINATE"),
        security_standard=None, tags=[])
    arn = ca if isinstance(ca, str) else ca.arn
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e-ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=float(request.get("days", 365))))
            .sign(key, hashes.SHA256()))
    # A test's own CA certificate (its key signs the test's client certificates), or one made here.
    pem = request["certificatePem"].encode() if "certificatePem" in request else cert.public_bytes(serialization.Encoding.PEM)
    backend.certificate_authorities[arn].import_certificate_authority_certificate(pem, None)
    authority = backend.certificate_authorities[arn]
    authority.usage_mode = request.get("usageMode", "GENERAL_PURPOSE")
    if "policy" in request:
        authority.policy = json.dumps(request["policy"])
    if request.get("ramShareWith"):
        authority.policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "RamShare", "Effect": "Allow", "Principal": {"AWS": request["ramShareWith"]},
            "Action": ["acm-pca:IssueCertificate", "acm-pca:GetCertificate", "acm-pca:ListPermissions",
                       "acm-pca:DescribeCertificateAuthority", "acm-pca:GetCertificateAuthorityCertificate"],
            "Resource": arn}]})
    if request.get("status", "ACTIVE") != "ACTIVE":
        authority.status = request["status"]
    return arn


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    emulator = Emulator(DomainDispatcherApplication(create_backend_app))
    patch_moto(emulator.stored_results)
    server = make_server("127.0.0.1", args.port, emulator, threaded=True)
    print(f"READY {server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
