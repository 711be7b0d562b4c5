"""The guides' worked examples of the profile choice (R-REF-4, R-REF-5), shipped as data in the
catalogue (the `examples` list of each version's YAML): answers to the questionnaire and the
profiles the guide gives for them. The tests and the agency's preview of rule changes share
them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from guichet.referentials.services import CATALOGUE_DIR, _load_yaml, normalize_version_number


@dataclass(frozen=True)
class WorkedExample:
    code: str
    title: str
    source: str
    description: str
    answers: dict
    profiles: list[str]
    # The optional profiles the guide proposes, when it lists them (the TLC table does).
    optional: list[str] | None = None
    # The catalogue version the example comes from ("DMN V1.2.2").
    guide: str = ""


def _version_key(number: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in re.split(r"[.\-]", number))


def _catalogue_versions(directory: Path) -> list[dict]:
    versions = []
    for path in sorted(directory.glob("*-*.yaml")):
        if path.name.endswith("-exigences.yaml"):
            continue
        versions.append(_load_yaml(path))
    return versions


def catalogue_examples(
    referential_code: str, number: str, directory: Path = CATALOGUE_DIR
) -> list[WorkedExample]:
    """The examples of that version's catalogue file; for a version not shipped (an import),
    those of the latest shipped version of the same referential, whose rules it inherits."""
    number = normalize_version_number(number)
    candidates = [
        data
        for data in _catalogue_versions(directory)
        if str(data.get("referential", "")).upper() == referential_code.upper()
    ]
    if not candidates:
        return []
    exact = [d for d in candidates if normalize_version_number(str(d["version"])) == number]
    data = (
        exact[0]
        if exact
        else max(candidates, key=lambda d: _version_key(normalize_version_number(d["version"])))
    )
    guide = f"{data['referential']} V{normalize_version_number(str(data['version']))}"
    return [
        WorkedExample(
            code=item["code"],
            title=item["title"],
            source=item.get("source", ""),
            description=item.get("description", ""),
            answers=dict(item.get("answers") or {}),
            profiles=list(item.get("profiles") or []),
            optional=list(item["optional"]) if "optional" in item else None,
            guide=guide,
        )
        for item in data.get("examples") or ()
    ]


def worked_examples(version) -> list[WorkedExample]:
    return catalogue_examples(version.referential.code, version.number)
