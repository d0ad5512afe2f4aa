"""OpenAPI 3.1 documents built from the routes' declarations (path, roles, body, query, response)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from shared.limits import PATH_SEGMENT

_PARAM = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)>")
_CONVERTER_SCHEMAS = {
    "uuid": {"type": "string", "format": "uuid"},
    "int": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999},
    "float": {"type": "number"},
    None: {"type": "string", "pattern": f"^{PATH_SEGMENT}$", "maxLength": 200},  # shared.http's converters
    "string": {"type": "string", "pattern": f"^{PATH_SEGMENT}$", "maxLength": 200},
    "path": {"type": "string"},
}
REF = "#/components/schemas/{model}"


class Codes:
    """`Annotated[str, Codes(...)]`: a code from a closed list, an `enum` in the JSON Schema.

    Only the schema: the models keep checking the codes in their validators (whose errors list
    the allowed codes), so the list is declared once, where the check takes it from."""

    def __init__(self, codes):
        self.codes = tuple(codes)

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        schema["enum"] = list(self.codes)
        return schema

    def __repr__(self):
        return f"Codes({len(self.codes)} codes)"


class DecimalText:
    """`Annotated[Decimal, Field(max_digits=..., decimal_places=...), DecimalText(...)]`: pydantic
    accepts a number or a string but documents no bounds on the string; this adds the pattern
    (non-negative, at most `integer_digits` digits before the point and `places` after) and the
    largest number."""

    def __init__(self, integer_digits: int, places: int):
        self.pattern = rf"^\d{{1,{integer_digits}}}(\.\d{{1,{places}}})?$"
        self.maximum = float(10 ** integer_digits - 10 ** -places)

    def __get_pydantic_json_schema__(self, core_schema, handler):
        schema = handler(core_schema)
        for branch in schema.get("anyOf", [schema]):
            if branch.get("type") == "string":
                branch.setdefault("pattern", self.pattern)
            elif branch.get("type") == "number":
                branch.setdefault("maximum", self.maximum)
        return schema

    def __repr__(self):
        return f"DecimalText({self.pattern!r})"


def _problem_schema() -> dict:
    return {
        "type": "object",
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "correlation_id": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string"},
                        "location": {"type": "string", "enum": ["body", "query", "path"]},
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                    },
                },
            },
        },
    }


def _openapi_path(path: str) -> tuple[str, list[dict]]:
    params = []

    def replace(match):
        params.append({
            "name": match["name"], "in": "path", "required": True,
            "schema": _CONVERTER_SCHEMAS.get(match["converter"], {"type": "string"}),
        })
        return "{" + match["name"] + "}"

    return _PARAM.sub(replace, path), params


def _response_schema(response: Any, definitions: dict) -> dict | None:
    if response is None:
        return None
    if isinstance(response, type) and issubclass(response, BaseModel):
        return {"$ref": REF.format(model=response.__name__)}
    schema = TypeAdapter(response).json_schema(ref_template=REF, mode="serialization")
    definitions.update(schema.pop("$defs", {}))
    return schema


def openapi_document(service: str, routes: list) -> dict:
    models: list[tuple[type[BaseModel], str]] = []
    for r in routes:
        if r.body is not None:
            models.append((r.body, "validation"))
        if isinstance(r.response, type) and issubclass(r.response, BaseModel):
            models.append((r.response, "serialization"))
    _, top = models_json_schema(models, ref_template=REF) if models else ({}, {})
    definitions: dict = dict(top.get("$defs", {}))
    paths: dict[str, dict] = {}
    for r in routes:
        path, params = _openapi_path(r.path)
        if r.query is not None:
            query_schema = r.query.model_json_schema(ref_template=REF)
            definitions.update(query_schema.pop("$defs", {}))
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                               **({"explode": True} if prop.get("type") == "array" else {})})
        description = r.description
        operation: dict[str, Any] = {
            "operationId": f"{service}_{r.method_name}",
            "summary": r.summary or (description.splitlines()[0] if description else r.method_name),
            "tags": [service],
            "parameters": params,
            "responses": {},
        }
        if description:
            operation["description"] = description
        if r.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": REF.format(model=r.body.__name__)}}},
            }
        elif getattr(r, "raw_body", None):
            operation["requestBody"] = {"required": True, "content": {
                kind: {"schema": schema} for kind, schema in r.raw_body.items()}}
        schema = _response_schema(r.response, definitions)
        ok: dict[str, Any] = {"description": "success"}
        if schema is not None:
            ok["content"] = {"application/json": {"schema": schema}}
        for content_type in getattr(r, "content_types", ()):
            ok.setdefault("content", {})[content_type] = {"schema": {"type": "string"}}
        if r.query is not None and "cursor" in r.query.model_fields:
            ok["headers"] = _PAGING_HEADERS
        operation["responses"][str(r.status)] = ok
        if getattr(r, "conditional", False):
            ok["headers"] = {**ok.get("headers", {}), **_CONDITIONAL_HEADERS}
            params.append(_IF_NONE_MATCH)
            operation["responses"]["304"] = {"description": _REASONS[304], "headers": _CONDITIONAL_HEADERS}
        problem = {"content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}}
        codes = set(r.errors)
        if r.body is not None or getattr(r, "raw_body", None):
            codes |= {400, 413, 415, 422}
        if r.query is not None:
            codes.add(422)
        if r.public:
            operation["security"] = []  # overrides the document's default: no token needed
        else:
            codes |= {401, 403}
            operation["security"] = [{"bearer": []}]
            operation["description"] = (operation.get("description", "") +
                                        f"\n\nRoles: {', '.join(r.roles)}.").strip()
        for code in sorted(codes):
            operation["responses"][str(code)] = {"description": _REASONS.get(code, "error"), **problem,
                                                 **({"headers": _HEADERS[code]} if code in _HEADERS else {})}
        # shared/tenancy.py: how the operation's data belongs to a municipality (tests derive from it)
        operation["x-tenancy"] = [scope.document() for scope in getattr(r, "scopes", ())]
        paths.setdefault(path, {})[r.method.lower()] = operation
    definitions["Problem"] = _problem_schema()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"Savivalda {service} API",
            "version": "0.1.0",
            "description": f"HTTP API of the {service} service. Errors are application/problem+json (RFC 9457).",
            "contact": {"name": "Savivalda training centre"},
        },
        "servers": [{"url": "/", "description": "this server (the gateway or the embedded process)"}],
        "security": [{"bearer": []}],
        "tags": [{"name": service, "description": f"the {service} service"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(definitions.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


_REASONS = {
    304: "the client's copy (the ETag it named in If-None-Match) is still the answer; no body",
    400: "malformed JSON",
    401: "missing, invalid or expired token",
    403: "role or municipality not allowed",
    404: "not found",
    409: "conflicts with the current state",
    413: "body larger than the server accepts (SAVIVALDA_MAX_BODY_BYTES)",
    415: "body is not JSON",
    422: "invalid fields or a broken business rule; `errors` names each field",
    429: "too many requests from this client; wait the seconds in Retry-After",
}
# A paged list answers the same JSON array as always; the way to the next page is in headers.
_PAGING_HEADERS = {
    "X-Next-Cursor": {"description": "present when more items follow: pass it as `cursor` for the next page",
                      "schema": {"type": "string"}},
    "Link": {"description": 'RFC 8288 link to the next page (`rel="next"`), present when more items follow',
             "schema": {"type": "string"}},
}

# A conditional GET (shared/http.py PreparedJson): revalidate with If-None-Match, gzip on request.
_CONDITIONAL_HEADERS = {
    "ETag": {"description": "strong entity tag of this answer (for this municipality and encoding)",
             "schema": {"type": "string"}},
    "Vary": {"description": "`Accept-Encoding`: the body is gzip-encoded when the client accepts gzip",
             "schema": {"type": "string"}},
    "Cache-Control": {"description": "`private, no-cache`: a client may keep it and revalidate; no shared cache",
                      "schema": {"type": "string"}},
}
_IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                  "description": "an ETag this client holds: 304 with no body while it is still the answer"}

_HEADERS = {
    401: {"WWW-Authenticate": {"description": "the bearer challenge", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds until the client may try again", "schema": {"type": "integer"}}},
}
