"""The OpenAPI schema as the applicants' developers read it (issue 14 §3): French, without the
project's internal references. drf-spectacular takes a component's description from its
serializer's docstring, written in English for this code's readers: those are left out, and
the rule and issue references (« (R-APP-4) », « (issue 11) ») are taken out of every text."""

from __future__ import annotations

import re

# « (R-APP-1, R-APP-2) », « (R-CLK-2 … R-CLK-9) », « (issue 11 §3) », « R-DEC-3 : »…
_REFERENCE = re.compile(
    r"\s*\((?:R-[A-Z]{3}-\d+|issue \d+(?: §\d+)?)(?:\s*(?:,|…|et|;)\s*(?:R-[A-Z]{3}-\d+|issue "
    r"\d+(?: §\d+)?))*\)"
)
_BARE = re.compile(r"\bR-[A-Z]{3}-\d+\b\s*(?::\s*)?")


def _clean(text: str) -> str:
    text = _REFERENCE.sub("", text)
    text = _BARE.sub("", text)
    return re.sub(r"\s+([,.])", r"\1", text).strip()


def _walk(node, *, component: bool = False):
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key in ("description", "summary") and isinstance(value, str):
                node[key] = _clean(value)
            else:
                _walk(value)
    elif isinstance(node, list):
        for item in node:
            _walk(item)


def french_schema(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS)."""
    for schema in result.get("components", {}).get("schemas", {}).values():
        # A serializer's docstring is the code's English; its fields carry the French.
        if "description" in schema and "enum" not in schema:
            del schema["description"]
    for scheme in result.get("components", {}).get("securitySchemes", {}).values():
        if scheme.get("in") == "cookie":
            scheme["description"] = (
                "Session du site : les pages appellent l'API avec le cookie de la personne "
                "connectée (et l'en-tête X-CSRFToken pour écrire)."
            )
        else:
            scheme["description"] = (
                "Jeton d'API : en-tête « Authorization: Token <jeton> », jeton obtenu par "
                "POST /api/v1/auth/token."
            )
    _walk(result)
    return result


# --- What the API refuses, the schema says (issue 20 §1) ---------------------------------------

# No text holds a NUL character (guichet.common.middleware.NulCharacterMiddleware, the JSON
# parser, DRF's text fields); a required text is not blank either (DRF trims it first: Python's
# whitespace, which is also what `\s` reads in Python's regular expressions).
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^\\s*[^\\s\\u0000][^\\u0000]*$"
# Query parameters that mean something when empty; any other filter sent empty is refused
# (400): `q`, a search for nothing, finds everything; `profiles`, no profile, is a choice.
MAY_BE_EMPTY = frozenset({"q", "profiles"})


def _text_bounds(schema: dict) -> None:
    """Every text of a request, at any depth, with the pattern its refusals follow."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
        schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
    for key in ("properties", "patternProperties"):
        for child in schema.get(key, {}).values():
            _text_bounds(child)
    for key in ("items", "additionalProperties", "not"):
        _text_bounds(schema.get(key))
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key, ()):
            _text_bounds(child)


def truthful_inputs(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS): the bounds the views
    enforce, written into what a client reads — request components (`…Request`), inline
    request bodies, path and query parameters."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _text_bounds(schema)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _text_bounds(content.get("schema"))
            for parameter in operation.get("parameters", ()):
                schema = parameter.get("schema", {})
                if parameter["in"] == "query" and parameter["name"] not in MAY_BE_EMPTY:
                    if schema.get("type") == "string" and "enum" not in schema:
                        schema.setdefault("minLength", 1)
                if parameter["in"] in ("query", "path"):
                    _text_bounds(schema)
    return result
