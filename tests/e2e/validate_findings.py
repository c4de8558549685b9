#!/usr/bin/env python3
"""Validates the tool's findings against the formats' own definitions, not the project's description
of them. Prints "OK <count>" or one line per problem, and exits 1 on any.

    validate_findings.py asff FILE         a JSON array of ASFF findings: botocore's model of Security
                                           Hub's BatchImportFindings (every member known, required,
                                           typed, enum, pattern and length as the model says; then
                                           botocore's own request validator), and the limits the
                                           Security Hub API reference gives in prose (Title 256,
                                           Description 1024, Recommendation.Text 512 characters;
                                           240 KB a finding)
    validate_findings.py ocsf FILE         a JSON array of OCSF Compliance Findings (class 2003): the
                                           py-ocsf-models package's ComplianceFinding (Prowler's OCSF
                                           models, OCSF 1.5.0), and no member it does not know
                                           (the `cloud` profile's member checked by its Cloud model)
    validate_findings.py sarif FILE SCHEMA a SARIF log against the SARIF 2.1.0 JSON schema (a copy
                                           published in the serde-sarif crate, src/schema.json)
"""
import json
import re
import sys


def asff(findings):
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("securityhub")
    operation = model.operation_model("BatchImportFindings")
    finding_shape = operation.input_shape.members["Findings"].member
    problems = []
    for finding in findings:
        where = finding.get("Id", "?")
        walk(finding_shape, finding, where, problems)
        size = len(json.dumps(finding).encode())
        if size > 240 * 1024:
            problems.append(f"{where}: {size} bytes, over 240 KB")
        for path, limit in (("Title", 256), ("Description", 1024)):
            if len(finding.get(path, "")) > limit:
                problems.append(f"{where}: {path} over {limit} characters")
        text = finding.get("Remediation", {}).get("Recommendation", {}).get("Text", "")
        if len(text) > 512:
            problems.append(f"{where}: Remediation.Recommendation.Text over 512 characters")
    for start in range(0, len(findings), 100):
        report = ParamValidator().validate({"Findings": findings[start:start + 100]}, operation.input_shape)
        if report.has_errors():
            problems.append(report.generate_report())
    return problems


def walk(shape, value, where, problems):
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{where}: not an object")
            return
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{where}: required {name} missing")
        for name, member in value.items():
            if name not in shape.members:
                problems.append(f"{where}: {name} is not a member of {shape.name}")
            else:
                walk(shape.members[name], member, f"{where}.{name}", problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{where}: not a list")
            return
        limits(shape, len(value), where, problems)
        for n, item in enumerate(value):
            walk(shape.member, item, f"{where}[{n}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{where}: not a map")
            return
        for key, item in value.items():
            walk(shape.key, key, f"{where} key {key}", problems)
            walk(shape.value, item, f"{where}.{key}", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: not a string")
            return
        limits(shape, len(value), where, problems)
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value, re.DOTALL):
            problems.append(f"{where}: {value!r} does not match {pattern}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{where}: not a boolean")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{where}: not an integer")
    elif kind == "double":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{where}: not a number")
    else:
        problems.append(f"{where}: a {kind} member this validator does not know")


def limits(shape, length, where, problems):
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        problems.append(f"{where}: length {length} under {low}")
    if high is not None and length > high:
        problems.append(f"{where}: length {length} over {high}")


def ocsf(events):
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.objects.cloud import Cloud

    problems = []
    for event in events:
        where = event.get("finding_info", {}).get("uid", "?")
        body = dict(event)
        cloud = body.pop("cloud", None)
        if cloud is not None:
            if "cloud" not in event.get("metadata", {}).get("profiles", []):
                problems.append(f"{where}: cloud given without the cloud profile")
            kept(Cloud, cloud, f"{where}.cloud", problems)
        if event.get("class_uid") != 2003:
            problems.append(f"{where}: class_uid {event.get('class_uid')}, not 2003")
        kept(ComplianceFinding, body, where, problems)
    return problems


def kept(model, data, where, problems):
    """Validates `data` with the pydantic `model` and checks every member given survived it: the
    models ignore members they do not know, which here must be none."""
    from pydantic import ValidationError

    try:
        parsed = model.model_validate(data)
    except ValidationError as error:
        problems.append(f"{where}: {error}")
        return
    dumped = parsed.model_dump(mode="json", exclude_unset=True)
    unknown(data, dumped, where, problems)


def unknown(given, dumped, where, problems):
    if isinstance(given, dict) and isinstance(dumped, dict):
        for key, value in given.items():
            if key not in dumped:
                problems.append(f"{where}: {key} is not a member the model knows")
            else:
                unknown(value, dumped[key], f"{where}.{key}", problems)
    elif isinstance(given, list) and isinstance(dumped, list):
        for n, (value, kept_value) in enumerate(zip(given, dumped)):
            unknown(value, kept_value, f"{where}[{n}]", problems)


def sarif(log, schema_path):
    import jsonschema

    with open(schema_path) as f:
        schema = json.load(f)
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        document = json.load(f)
    if kind == "asff":
        problems, count = asff(document), len(document)
    elif kind == "ocsf":
        problems, count = ocsf(document), len(document)
    elif kind == "sarif":
        problems, count = sarif(document, sys.argv[3]), len(document["runs"][0]["results"])
    else:
        sys.exit(f"unknown format {kind}")
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"OK {count}")


if __name__ == "__main__":
    main()
