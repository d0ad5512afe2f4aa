"""Each service's OpenAPI document passes two standard OpenAPI linters with no errors: Redocly
(its `recommended` ruleset) and Spectral (`spectral:oas`). They catch different things: Redocly
the keywords JSON Schema does not know (pydantic's `gt`, `max_digits` leaking into a schema),
Spectral formats (an `info.contact.url` that is not a URI). Both rulesets are used unchanged
(tools/openapi-lint/redocly.yaml, tools/openapi-lint/.spectral.yaml).

The linters (pinned in tools/openapi-lint/package-lock.json) are installed by
`bin/install-node-tools` (bin/test runs it). Without node or the linters the tests skip on a
developer machine and fail under CI=true.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import SERVICES, _unavailable
from tests.support import http

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "openapi-lint"
REDOCLY = TOOL / "node_modules" / ".bin" / "redocly"
SPECTRAL = TOOL / "node_modules" / ".bin" / "spectral"
# Warnings we live with, each with its reason; any other warning fails the test like an error.
ACCEPTED_WARNINGS = {
    "info-license": "no licence has been chosen for the API yet (info.license would claim one)",
}
# Keywords pydantic writes when it cannot translate a constraint (e.g. on an Optional field)
PYDANTIC_ONLY = {"gt", "ge", "lt", "le", "max_digits", "decimal_places", "min_items", "max_items"}


def _linters() -> None:
    if shutil.which("node") is None:
        _unavailable("node", "not on PATH (the OpenAPI linters run on Node.js)")
    for tool in (REDOCLY, SPECTRAL):
        if not tool.exists():
            _unavailable(tool.name, f"not installed in {TOOL} (run bin/install-node-tools)")


def _json_values(text: str) -> list:
    """Redocly prints one JSON document per linted file, one after the other."""
    decoder, values, at = json.JSONDecoder(), [], 0
    text = text.strip()
    while at < len(text):
        value, end = decoder.raw_decode(text, at)
        values.append(value)
        at = end
        while at < len(text) and text[at].isspace():
            at += 1
    return values


def lint(documents: dict[str, dict], folder: Path) -> dict[str, list[dict]]:
    """service -> problems [{linter, rule, severity (error|warn|...), where, message}] of both linters."""
    _linters()
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, document in documents.items():
        files[name] = folder / f"{name}.openapi.json"
        files[name].write_text(json.dumps(document, indent=2, ensure_ascii=False))
    by_path = {str(path.resolve()): name for name, path in files.items()}
    problems: dict[str, list[dict]] = {name: [] for name in documents}
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}

    for name, path in files.items():  # one file a run: Redocly's JSON names sources relative to the cwd
        done = subprocess.run([str(REDOCLY), "lint", "--config", str(TOOL / "redocly.yaml"), "--format=json",
                               str(path)], capture_output=True, text=True, timeout=300, env=env, cwd=folder)
        assert done.returncode in (0, 1), f"redocly did not run (exit {done.returncode}): {done.stderr}"
        for report in _json_values(done.stdout):
            for p in report["problems"]:
                where = ", ".join(loc.get("pointer", "") for loc in p.get("location", []))
                problems[name].append({"linter": "redocly", "rule": p["ruleId"], "severity": p["severity"],
                                       "where": where, "message": p["message"]})

    done = subprocess.run([str(SPECTRAL), "lint", "--quiet", "--ruleset", str(TOOL / ".spectral.yaml"),
                           "--format", "json", *map(str, files.values())],
                          capture_output=True, text=True, timeout=300, env=env, cwd=folder)
    assert done.returncode in (0, 1), f"spectral did not run (exit {done.returncode}): {done.stderr}"
    severities = {0: "error", 1: "warn", 2: "info", 3: "hint"}
    for p in json.loads(done.stdout or "[]"):
        name = by_path[str(Path(p["source"]).resolve())]
        problems[name].append({"linter": "spectral", "rule": p["code"], "severity": severities[p["severity"]],
                               "where": "/".join(map(str, p["path"])), "message": p["message"]})
    return problems


def listed(problems: list[dict]) -> str:
    return "\n".join(f"  {p['linter']} {p['severity']} {p['rule']} at {p['where'] or '(root)'}: {p['message']}"
                     for p in problems)


def fetch_documents(embedded) -> dict[str, dict]:
    documents = {}
    for service in SERVICES:
        reply = http("GET", f"{embedded.base_url}/{service}/openapi.json")
        assert reply.status == 200, reply.body
        documents[service] = reply.body
    return documents


def test_each_services_openapi_document_has_no_errors_from_redocly_or_spectral(embedded, tmp_path):
    problems = lint(fetch_documents(embedded), tmp_path / "openapi")
    report = "\n".join(f"{service}:\n{listed(found)}" for service, found in problems.items() if found)
    if report:
        print(f"linter findings (accepted warnings: {', '.join(ACCEPTED_WARNINGS)}):\n{report}")
    errors = {s: [p for p in found if p["severity"] == "error"] for s, found in problems.items()}
    assert not any(errors.values()), "OpenAPI linter errors:\n" + "\n".join(
        f"{s}: {len(e)} errors\n{listed(e)}" for s, e in errors.items() if e)
    unexpected = {s: [p for p in found if p["severity"] != "error" and p["rule"] not in ACCEPTED_WARNINGS]
                  for s, found in problems.items()}
    assert not any(unexpected.values()), "OpenAPI linter warnings not accepted in ACCEPTED_WARNINGS:\n" + "\n".join(
        f"{s}:\n{listed(w)}" for s, w in unexpected.items() if w)


def test_the_linters_report_what_the_documents_must_not_contain(tmp_path):
    """The check has teeth: a leaked pydantic keyword, an operation without security and a contact
    URL that is not a URI are errors."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": "broken", "version": "1", "description": "x", "contact": {"name": "x", "url": "/"}},
        "servers": [{"url": "/"}],
        "tags": [{"name": "t", "description": "t"}],
        "paths": {"/things": {"get": {
            "operationId": "things", "summary": "things", "description": "things", "tags": ["t"],
            "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "400": {"description": "bad"}},
        }}},
        "components": {"schemas": {"Thing": {"type": "object", "properties": {
            "cost_eur": {"anyOf": [{"anyOf": [{"type": "number"}, {"type": "string"}], "gt": 0, "max_digits": 14},
                                   {"type": "null"}]}}}}},
    }
    problems = lint({"broken": document}, tmp_path / "broken")["broken"]
    errors = {(p["linter"], p["rule"]) for p in problems if p["severity"] == "error"}
    assert ("redocly", "struct") in errors, listed(problems)
    assert ("redocly", "security-defined") in errors, listed(problems)
    assert ("spectral", "oas3-schema") in errors, listed(problems)


def test_public_routes_need_no_token_money_keeps_its_bounds_and_code_lists_are_enums(embedded):
    """What the linters cannot know: the documents say what the API checks."""
    from shared.reference import MUNICIPALITIES, REGIONS, THEMES

    documents = fetch_documents(embedded)
    for service, document in documents.items():
        assert document["security"] == [{"bearer": []}]
        assert "bearer" in document["components"]["securitySchemes"]
        operation_ids = []
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                operation_ids.append(operation["operationId"])
                assert "security" in operation, (service, method, path)
                public = operation["security"] == []
                assert public == ("401" not in operation["responses"]), (service, method, path)
                for status, response in operation["responses"].items():
                    if status.startswith("4"):
                        assert "application/problem+json" in response["content"], (service, method, path, status)
                if "requestBody" in operation:
                    assert {"400", "413", "415", "422"} <= set(operation["responses"]), (service, method, path)
                if not public:
                    assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], (service, method, path)
        assert len(operation_ids) == len(set(operation_ids)), service
        leaked = [(where, key) for where, key in _keys(document)
                  if key in PYDANTIC_ONLY and not where.endswith("/properties")]
        assert not leaked, (service, leaked[:5])

    schemas = documents["grants"]["components"]["schemas"]
    own = schemas["BudgetIn"]["properties"]["own_contribution_eur"]["anyOf"]
    assert {"type": "null"} in own
    number = next(b for b in own if b.get("type") == "number")
    text = next(b for b in own if b.get("type") == "string")
    assert number["minimum"] == 0 and number["maximum"] < 10 ** 12 and text["pattern"].startswith("^")
    final = schemas["FundedProjectIn"]["properties"]["final_cost_eur"]["anyOf"]
    assert next(b for b in final if b.get("type") == "number")["exclusiveMinimum"] == 0

    def enum_of(service, model, field):
        prop = documents[service]["components"]["schemas"][model]["properties"][field]
        prop = prop.get("items", prop)
        branch = next((b for b in prop.get("anyOf", [prop]) if "enum" in b), {})
        return branch.get("enum")

    assert enum_of("grants", "ApplicationIn", "municipality_code") == list(MUNICIPALITIES)
    assert enum_of("grants", "CallIn", "eligible_regions") == list(REGIONS)
    assert enum_of("enrollment", "CourseIn", "themes") == list(THEMES)
    assert enum_of("enrollment", "SessionIn", "region") == list(REGIONS)
    assert enum_of("partners", "OrganisationIn", "organisation_type")
    assert enum_of("notifications", "RecipientIn", "roles")
    theme_query = next(p for p in documents["enrollment"]["paths"]["/enrollment/courses"]["get"]["parameters"]
                       if p["name"] == "theme")
    assert next(b for b in theme_query["schema"]["anyOf"] if "enum" in b)["enum"] == list(THEMES)


def _keys(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield where, key
            yield from _keys(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _keys(item, f"{where}/{i}")
