"""The profile rules evaluator (R-REF-3, R-REF-4, R-REF-5): data in, verdict out.

Pure Python, no Django import, so that it is tested with plain values.

A rule is a dict: ``{"code", "kind", "condition", "profiles", "message"}``.
Kinds:
- ``always``: the profiles are always selected;
- ``mandatory_when``: the profiles are mandatory when the condition holds (an answer of the
  questionnaire, usually);
- ``requires``: the profiles are mandatory when the condition holds (a selected profile,
  usually: "A requires B");
- ``at_least_one_of`` / ``exactly_one_of``: when the condition holds, at least one / exactly
  one of the profiles must be selected;
- ``optional``: when the condition holds, the profiles may be added by the applicant;
- ``warning``: when the condition holds, the message is shown (never blocks).

A condition is ``None`` (always true) or one of:
``{"answer": key, "equals": value}``, ``{"answer": key, "in": [values]}``,
``{"profile": code}`` (selected), ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": cond}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MANDATING_KINDS = ("always", "mandatory_when", "requires")
RULE_KINDS = (
    "always",
    "mandatory_when",
    "requires",
    "at_least_one_of",
    "exactly_one_of",
    "optional",
    "warning",
)


class RuleError(ValueError):
    """A rule or condition that is not well formed."""


@dataclass
class Evaluation:
    profiles: list[str]
    mandatory: dict[str, list[str]] = field(default_factory=dict)
    optional: dict[str, list[str]] = field(default_factory=dict)
    violations: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.violations


def condition_holds(condition, answers: Mapping, selected: set[str]) -> bool:
    if condition is None:
        return True
    if not isinstance(condition, Mapping):
        raise RuleError(f"Condition invalide : {condition!r}")
    if "answer" in condition:
        value = answers.get(condition["answer"])
        if "equals" in condition:
            return value is not None and value == condition["equals"]
        if "in" in condition:
            return value is not None and value in condition["in"]
        raise RuleError(f"Condition sur une réponse sans « equals » ni « in » : {condition!r}")
    if "profile" in condition:
        return condition["profile"] in selected
    if "all" in condition:
        return all(condition_holds(c, answers, selected) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, answers, selected) for c in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], answers, selected)
    raise RuleError(f"Condition inconnue : {condition!r}")


def referenced_profiles(rule: Mapping) -> set[str]:
    """Every profile code a rule names, in its targets and its condition."""
    codes = set(rule.get("profiles") or ())

    def walk(condition):
        if isinstance(condition, Mapping):
            if "profile" in condition:
                codes.add(condition["profile"])
            for key in ("all", "any"):
                for child in condition.get(key, ()):
                    walk(child)
            if "not" in condition:
                walk(condition["not"])

    walk(rule.get("condition"))
    return codes


def check_rules(rules: Sequence[Mapping], profile_codes: Iterable[str]) -> list[str]:
    """Problems of a rule set (unknown kind or profile); empty when the set is sound."""
    known = set(profile_codes)
    problems = []
    for rule in rules:
        if rule.get("kind") not in RULE_KINDS:
            problems.append(f"Règle {rule.get('code')} : type inconnu « {rule.get('kind')} ».")
        unknown = referenced_profiles(rule) - known
        if unknown:
            problems.append(
                f"Règle {rule.get('code')} : profil(s) inconnu(s) {', '.join(sorted(unknown))}."
            )
        if rule.get("kind") != "warning" and not rule.get("profiles"):
            problems.append(f"Règle {rule.get('code')} : aucun profil visé.")
    return problems


def evaluate(
    rules: Sequence[Mapping],
    *,
    order: Sequence[str],
    answers: Mapping | None = None,
    selected: Iterable[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Evaluation:
    """Evaluate the rules on a questionnaire's answers, a profile choice, or both.

    - answers only: ``profiles`` is the set of mandatory profiles the answers give;
    - profiles (with or without answers): ``profiles`` is the choice, checked against
      every rule; each mandatory profile missing from it is a violation.
    ``order`` lists the version's profile codes, to return profiles in a stable order;
    ``labels`` gives their French names for the messages.
    """
    labels = labels or {}
    answers = dict(answers or {})
    chosen = set(selected) if selected is not None else None
    rank = {code: i for i, code in enumerate(order)}

    def sort(codes: Iterable[str]) -> list[str]:
        return sorted(codes, key=lambda code: (rank.get(code, len(rank)), code))

    # Mandatory profiles: a fixed point, since "A requires B" may follow from an answer.
    mandatory: dict[str, list[str]] = {}
    mandatory_rule: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        current = (chosen or set()) | set(mandatory)
        for rule in rules:
            if rule["kind"] not in MANDATING_KINDS:
                continue
            if rule["kind"] != "always" and not condition_holds(
                rule.get("condition"), answers, current
            ):
                continue
            for code in rule["profiles"]:
                reasons = mandatory.setdefault(code, [])
                if rule["message"] not in reasons:
                    reasons.append(rule["message"])
                    mandatory_rule.setdefault(code, rule["code"])
                    changed = True

    effective = (chosen | set(mandatory)) if chosen is not None else set(mandatory)
    violations: list[dict] = []
    if chosen is not None:
        for code in sort(set(mandatory) - chosen):
            violations.append(
                {
                    "rule": mandatory_rule[code],
                    "profile": code,
                    "detail": (
                        f"Profil obligatoire manquant « {labels.get(code, code)} » : "
                        f"{mandatory[code][0]}"
                    ),
                }
            )
        checked = chosen
    else:
        checked = effective

    optional: dict[str, list[str]] = {}
    warnings: list[dict] = []
    for rule in rules:
        kind = rule["kind"]
        if kind in MANDATING_KINDS:
            continue
        if not condition_holds(rule.get("condition"), answers, effective):
            continue
        targets = list(rule.get("profiles") or ())
        if kind == "at_least_one_of":
            if not checked.intersection(targets):
                violations.append({"rule": rule["code"], "detail": rule["message"]})
        elif kind == "exactly_one_of":
            if len(checked.intersection(targets)) != 1:
                violations.append({"rule": rule["code"], "detail": rule["message"]})
        elif kind == "optional":
            for code in targets:
                if code not in effective:
                    reasons = optional.setdefault(code, [])
                    if rule["message"] not in reasons:
                        reasons.append(rule["message"])
        elif kind == "warning":
            warnings.append({"rule": rule["code"], "detail": rule["message"]})

    profiles = sort(chosen if chosen is not None else mandatory)
    return Evaluation(
        profiles=profiles,
        mandatory={code: mandatory[code] for code in sort(mandatory)},
        optional={code: optional[code] for code in sort(optional)},
        violations=violations,
        warnings=warnings,
    )


def validate_answers(questions: Sequence[Mapping], answers: Mapping) -> dict[str, str]:
    """French error per answer key that the questionnaire does not know or does not accept."""
    by_key = {question["key"]: question for question in questions}
    errors: dict[str, str] = {}
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            errors[key] = (
                f"Clé de réponse inconnue « {key} ». Clés attendues : {', '.join(by_key)}."
            )
        elif value is None:
            continue
        elif question["type"] == "boolean":
            if not isinstance(value, bool):
                errors[key] = f"La réponse « {key} » doit être true ou false."
        else:
            allowed = [choice["value"] for choice in question.get("choices", ())]
            if value not in allowed:
                errors[key] = (
                    f"Valeur inconnue « {value} » pour « {key} ». "
                    f"Valeurs possibles : {', '.join(allowed)}."
                )
    return errors
