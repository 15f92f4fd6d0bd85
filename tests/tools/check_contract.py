#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Validates recorded HTTP exchanges against mynasim's OpenAPI documents.

usage: check_contract.py LOG API_YAML ADMIN_YAML

LOG has one JSON object per line (tests/support/contract_log.cpp): responses the test clients
read ({"kind": "response", method, target, status, content_type, location, faults, body}) and
IF001-05 notifications a test endpoint received ({"kind": "notification", body}).

Each response is matched to an operation of either document (path template, method, status or
`default`); its media type must be one the operation documents, and a JSON body must validate
against the schema with python3-jsonschema (Draft 2020-12). selfPersonalData, a JSON string,
is parsed and validated against its contentSchema too. A request that no route takes (a
non-canonical path, an unknown path) must be a 4xx with the generic Error body. A body an
injected malformed/truncated-body fault broke on purpose (X-Mynasim-Faults set, not JSON) is
counted apart. Exits 1 and lists what failed when anything does not match.
"""
import json
import re
import sys
import urllib.parse

import jsonschema
import yaml

REFUSALS = {400, 401, 403, 404, 405, 413, 431, 503}


class Document:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.routes = []
        for template, item in self.doc.get("paths", {}).items():
            params = template.count("{")
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            self.routes.append((params, re.compile(pattern), template, item))
        self.routes.sort(key=lambda r: r[0])  # literal paths before templated ones

    def path_item(self, path):
        for _, pattern, template, item in self.routes:
            if pattern.match(path):
                return template, item
        return None, None

    def validate(self, schema, value):
        jsonschema.Draft202012Validator(schema, resolver=self.resolver).validate(value)

    def schema(self, name):
        return {"$ref": f"#/components/schemas/{name}"}


def media(content_type):
    return content_type.split(";")[0].strip().lower()


def check_body(doc, content, rec, problems, label):
    """Checks the record's body against a `content` map; True when a JSON schema validated it."""
    if not content:
        return False
    mtype = media(rec.get("content_type", ""))
    if mtype not in content:
        problems.append(f"{label}: content type {mtype or '(none)'} not documented ({', '.join(content)})")
        return False
    schema = content[mtype].get("schema")
    if mtype != "application/json" or schema is None:
        return False
    try:
        body = json.loads(rec["body"])
    except (ValueError, RecursionError):
        if rec.get("faults"):
            raise InjectedBreakage()
        problems.append(f"{label}: body is not JSON: {rec['body'][:120]!r}")
        return False
    try:
        doc.validate(schema, body)
        nested = (body.get("selfPersonalDataProvisionInfo") or {}).get("selfPersonalData") if isinstance(body, dict) else None
        if isinstance(nested, str):
            doc.validate(doc.schema("SelfPersonalData"), json.loads(nested))
    except (jsonschema.ValidationError, ValueError) as e:
        where = "/".join(str(p) for p in getattr(e, "absolute_path", []))
        problems.append(f"{label}: {getattr(e, 'message', str(e))[:300]} at /{where} in {rec['body'][:200]}")
        return False
    return True


class InjectedBreakage(Exception):
    pass


WORLD_PREFIX = re.compile(r"^/worlds/[a-z0-9][a-z0-9-]{0,62}(/.*)?$")


def check_response(docs, rec, problems, stats):
    target = rec["target"]
    raw_path = target.split("?", 1)[0]
    path = urllib.parse.unquote(raw_path)
    # A named world answers every path of a listener under /worlds/{id}/ (both documents'
    # descriptions): its operations are the unprefixed ones.
    world = WORLD_PREFIX.match(path)
    if world:
        path = world.group(1) or "/"
    status = rec["status"]
    label = f"{rec['method']} {target[:100]} → {status}"
    canonical = raw_path.startswith("/") and "//" not in raw_path and "%2f" not in raw_path.lower() and not any(
        s in (".", "..") for s in urllib.parse.unquote(raw_path).split("/"))
    matches = [(d, *d.path_item(path)) for d in docs] if canonical else []
    matches = [m for m in matches if m[1] is not None]
    if not matches:
        # No route takes it: a refusal with the generic Error body.
        if status not in REFUSALS:
            problems.append(f"{label}: undocumented path answered {status}")
            return
        check_body(docs[-1], {"application/json": {"schema": docs[-1].schema("Error")}}, rec, problems, label)
        stats["refusals"] += 1
        return
    errors = []
    for doc, template, item in matches:
        local = []
        op = item.get(rec["method"].lower())
        if op is None and rec["method"] == "HEAD":
            op = item.get("get")
        if op is None:
            if status in REFUSALS:
                check_body(doc, {"application/json": {"schema": doc.schema("Error")}}, rec, local, label)
            else:
                local.append(f"{label}: method not documented for {template}")
            if not local:
                stats["refusals"] += 1
                return
            errors += local
            continue
        responses = op.get("responses", {})
        # The status's own entry; else an injected fault's answer (the operation's default, or
        # InjectedError); else a transport refusal (Error); else the default.
        response = responses.get(str(status))
        if response is None and rec.get("faults"):
            name = "InjectedError" if "InjectedError" in doc.doc["components"]["schemas"] else "Error"
            response = responses.get("default") or {"content": {"application/json": {"schema": doc.schema(name)}}}
        if response is None and status in REFUSALS:
            response = {"content": {"application/json": {"schema": doc.schema("Error")}}}
        if response is None:
            response = responses.get("default")
        if response is None:
            errors.append(f"{label}: status {status} not documented for {rec['method']} {template}")
            continue
        if "Location" in (response.get("headers") or {}) and not rec.get("location"):
            local.append(f"{label}: no Location header")
        try:
            validated = check_body(doc, response.get("content"), rec, local, label)
        except InjectedBreakage:
            stats["broken_by_fault"] += 1
            return
        if not local:
            stats["validated"] += 1
            stats["schema_checked"] += 1 if validated else 0
            stats["operations"].add(f"{rec['method']} {template} {status}")
            return
        errors += local
    problems.extend(errors[:1] if len(matches) == 1 else errors)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    log, api_path, admin_path = sys.argv[1:]
    api, admin = Document(api_path), Document(admin_path)
    docs = [admin, api]
    webhook = api.doc["webhooks"]["resultReady"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    problems = []
    stats = {"validated": 0, "schema_checked": 0, "refusals": 0, "broken_by_fault": 0, "notifications": 0,
             "operations": set()}
    records = 0
    try:
        f = open(log, encoding="utf-8")
    except FileNotFoundError:
        print(f"contract: nothing was recorded in {log} — run it with the integration tests (ctest)", file=sys.stderr)
        return 1
    with f:
        for line in f:
            records += 1
            rec = json.loads(line)
            if rec["kind"] == "notification":
                try:
                    api.validate(webhook, json.loads(rec["body"]))
                    stats["notifications"] += 1
                except (jsonschema.ValidationError, ValueError) as e:
                    problems.append(f"IF001-05 notification: {getattr(e, 'message', str(e))[:300]} in {rec['body'][:200]}")
            else:
                check_response(docs, rec, problems, stats)
    print(f"contract: {records} exchanges — {stats['validated']} responses matched an operation "
          f"({stats['schema_checked']} JSON bodies validated by schema), {stats['refusals']} refusals with the Error "
          f"body, {stats['notifications']} IF001-05 notifications validated, {stats['broken_by_fault']} bodies broken "
          f"on purpose by an injected fault; {len(stats['operations'])} distinct operation/status pairs")
    if problems:
        unique = list(dict.fromkeys(problems))
        print(f"contract: {len(problems)} mismatches ({len(unique)} distinct):", file=sys.stderr)
        for p in unique[:40]:
            print("  " + p, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
