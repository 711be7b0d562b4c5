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
