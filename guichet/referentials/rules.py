"""The profile rules evaluator (R-REF-3, R-REF-4, R-REF-5): data in, verdict out.

Pure Python, no Django import, so that it is tested with plain values.

A rule is a dict: ``{"code", "kind", "condition", "profiles", "message", "audience"}``;
``audience`` says who reads the message: ``"all"`` (the default) or, for a warning only,
``"agency"`` (a note for the agency, such as an ambiguity of the guide, R-REF-5).
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

import hashlib
import itertools
import json
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
QUESTION_TYPES = ("boolean", "choice")
AUDIENCES = ("all", "agency")


def _plural(count: int, one: str, many: str) -> str:
    """French agreement without Django (this module imports none): « 1 profil », « 2 profils »."""
    return one if count < 2 else many


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
            if isinstance(condition.get("profile"), str):
                codes.add(condition["profile"])
            for key in ("all", "any"):
                children = condition.get(key, ())
                for child in children if isinstance(children, list | tuple) else ():
                    walk(child)
            if "not" in condition:
                walk(condition["not"])

    walk(rule.get("condition"))
    return codes


def check_rules(
    rules: Sequence[Mapping],
    profile_codes: Iterable[str],
    questions: Sequence[Mapping] | None = None,
) -> list[str]:
    """Problems of a rule set, in French; empty when the set is sound.

    Always checked: unknown kind or profile, malformed condition, missing message, duplicate
    code, a kind's needs (a condition for "mandatory_when"/"requires", none for "always", two
    profiles or more for "…_one_of", none for "warning"), a condition that can never hold and an
    "exactly one of" that two always-selected profiles break. With ``questions``, the
    questionnaire itself is checked too and every answer a condition names must exist.
    """
    known = set(profile_codes)
    by_key = {q.get("key"): q for q in questions} if questions is not None else None
    problems = check_questions(questions) if questions is not None else []
    seen: set = set()
    for rule in rules:
        code = rule.get("code")
        where = f"Règle {code}"
        if not code:
            problems.append("Une règle n'a pas d'identifiant : donnez-lui un identifiant unique.")
        elif code in seen:
            problems.append(
                f"Deux règles portent l'identifiant « {code} » : chaque règle a le sien."
            )
        seen.add(code)
        kind = rule.get("kind")
        if kind not in RULE_KINDS:
            problems.append(f"{where} : type inconnu « {kind} ».")
        if not str(rule.get("message") or "").strip():
            problems.append(f"{where} : le message, qui explique la règle au candidat, manque.")
        targets = rule.get("profiles") or []
        if not isinstance(targets, list | tuple):
            problems.append(f"{where} : les profils visés forment une liste.")
            targets = []
        unknown = (
            referenced_profiles({**rule, "profiles": [t for t in targets if isinstance(t, str)]})
            - known
        )
        if unknown:
            problems.append(
                f"{where} : "
                + _plural(len(unknown), "profil inconnu", "profils inconnus")
                + f" {', '.join(sorted(unknown))}."
            )
        condition = rule.get("condition")
        condition_errors = condition_problems(condition, questions=by_key)
        problems += [f"{where} : {problem}" for problem in condition_errors]
        if kind == "always" and condition is not None:
            problems.append(
                f"{where} : une règle « toujours sélectionné » n'a pas de condition ; "
                "retirez-la ou choisissez « obligatoire selon une réponse »."
            )
        if kind in ("mandatory_when", "requires") and condition is None:
            problems.append(
                f"{where} : sans condition, la règle rend ses profils toujours obligatoires ; "
                "ajoutez une condition ou choisissez « toujours sélectionné »."
            )
        audience = rule.get("audience") or "all"
        if audience not in AUDIENCES:
            problems.append(
                f"{where} : destinataires inconnus « {audience} » (« all » : le candidat et "
                "l'agence ; « agency » : l'agence seulement)."
            )
        elif audience == "agency" and kind != "warning":
            problems.append(
                f"{where} : seul un avertissement peut être réservé à l'agence ; le message des "
                "autres règles explique au candidat un refus ou un profil obligatoire."
            )
        if kind == "warning":
            if targets:
                problems.append(
                    f"{where} : un avertissement ne vise aucun profil ; décochez les profils."
                )
        elif kind in ("at_least_one_of", "exactly_one_of"):
            if len(set(targets)) < 2:
                problems.append(
                    f"{where} : choisissez au moins deux profils parmi lesquels choisir "
                    "(pour un seul profil, choisissez « obligatoire selon une réponse »)."
                )
        elif kind in RULE_KINDS and not targets:
            problems.append(f"{where} : aucun profil visé ; cochez au moins un profil.")
        if condition is not None and not condition_errors and not can_hold(condition, by_key):
            problems.append(
                f"{where} : la condition ne peut jamais être remplie, la règle serait sans effet ; "
                "corrigez la condition ou supprimez la règle."
            )
    problems += _never_satisfied(rules)
    return problems


def _never_satisfied(rules: Sequence[Mapping]) -> list[str]:
    """ "Exactly one of" rules that the always-selected profiles break whatever the answers."""
    always = {
        code
        for rule in rules
        if rule.get("kind") == "always"
        for code in (rule.get("profiles") or ())
    }
    problems = []
    for rule in rules:
        if rule.get("kind") != "exactly_one_of":
            continue
        forced = sorted(always.intersection(rule.get("profiles") or ()))
        if len(forced) >= 2:
            problems.append(
                f"Règle {rule.get('code')} : les profils {', '.join(forced)} sont toujours "
                "sélectionnés, « exactement un profil parmi » ne pourrait jamais être respectée."
            )
    return problems


def condition_problems(
    condition, *, questions: Mapping[str, Mapping] | None = None, answers_only: bool = False
) -> list[str]:
    """What is wrong with a condition of the language above (French); empty when well formed.

    With ``questions`` (by key), every answer it names must be a question of the
    questionnaire, with a value that question accepts."""
    problems: list[str] = []

    def walk(node, depth):
        if depth > 10:
            problems.append("condition trop imbriquée (dix niveaux au plus).")
            return
        if not isinstance(node, Mapping):
            problems.append(f"condition mal formée : {node!r} n'est pas un objet JSON.")
            return
        forms = [key for key in ("answer", "profile", "all", "any", "not") if key in node]
        if len(forms) != 1:
            problems.append(
                "condition mal formée : attendu un seul de « answer », « profile », « all », "
                f"« any », « not » ; reçu {', '.join(map(str, node)) or 'un objet vide'}."
            )
            return
        form = forms[0]
        allowed = {"answer": {"answer", "equals", "in"}}.get(form, {form})
        extra = set(node) - allowed
        if extra:
            problems.append(
                "condition mal formée : "
                + _plural(len(extra), "clé inattendue", "clés inattendues")
                + f" {', '.join(map(str, sorted(extra)))}."
            )
        if form == "answer":
            walk_answer(node)
        elif form == "profile":
            if answers_only:
                problems.append("cette condition ne porte que sur des réponses, pas sur un profil.")
            elif not isinstance(node["profile"], str) or not node["profile"]:
                problems.append("condition mal formée : « profile » attend un code de profil.")
        elif form in ("all", "any"):
            children = node[form]
            if not isinstance(children, list) or not children:
                problems.append(f"condition mal formée : « {form} » attend une liste non vide.")
                return
            for child in children:
                walk(child, depth + 1)
        else:
            walk(node["not"], depth + 1)

    def walk_answer(node):
        key = node["answer"]
        if not isinstance(key, str) or not key:
            problems.append("condition mal formée : « answer » attend la clé d'une question.")
            return
        if ("equals" in node) == ("in" in node):
            problems.append(
                f"condition sur la réponse « {key} » : indiquez soit « equals » (une valeur), "
                "soit « in » (une liste de valeurs)."
            )
            return
        values = [node["equals"]] if "equals" in node else node["in"]
        if not isinstance(values, list) or not values:
            problems.append(
                f"condition sur la réponse « {key} » : « in » attend une liste non vide."
            )
            return
        if questions is None:
            return
        question = questions.get(key)
        if question is None:
            known = ", ".join(str(k) for k in questions) or "aucune"
            problems.append(
                f"la question « {key} » n'existe pas dans le questionnaire (questions : {known})."
            )
            return
        for value in values:
            if question.get("type") == "boolean":
                if not isinstance(value, bool):
                    problems.append(
                        f"« {key} » est une question oui/non : la valeur attendue est oui (true) "
                        f"ou non (false), pas {value!r}."
                    )
            else:
                allowed = [c.get("value") for c in question.get("choices") or ()]
                if value not in allowed:
                    problems.append(
                        f"valeur inconnue « {value} » pour la question « {key} » "
                        f"(valeurs possibles : {', '.join(map(str, allowed))})."
                    )

    if condition is not None:
        walk(condition, 0)
    return problems


def _answer_domain(question: Mapping) -> list:
    if question.get("type") == "boolean":
        return [True, False, None]
    return [c.get("value") for c in question.get("choices") or ()] + [None]


def _variables(condition, answers: set[str], profiles: set[str]) -> None:
    if not isinstance(condition, Mapping):
        return
    if "answer" in condition:
        answers.add(condition["answer"])
    if "profile" in condition:
        profiles.add(condition["profile"])
    for key in ("all", "any"):
        for child in condition.get(key) or ():
            _variables(child, answers, profiles)
    if "not" in condition:
        _variables(condition["not"], answers, profiles)


def can_hold(condition, questions: Mapping[str, Mapping] | None, *, limit: int = 4096) -> bool:
    """Whether some answers and profile choice make a well-formed condition true; tried on every
    combination of the answers and profiles it names (assumed possible beyond ``limit``)."""
    if condition is None:
        return True
    answer_keys: set[str] = set()
    profile_codes: set[str] = set()
    _variables(condition, answer_keys, profile_codes)
    domains: list[tuple[str, str, list]] = []
    for key in sorted(answer_keys):
        question = (questions or {}).get(key)
        if question is None:
            values = set()
            _collect_values(condition, key, values)
            domain = [*values, None]
        else:
            domain = _answer_domain(question)
        domains.append(("answer", key, domain))
    domains += [("profile", code, [True, False]) for code in sorted(profile_codes)]
    size = 1
    for _kind, _name, domain in domains:
        size *= len(domain)
    if size > limit:
        return True
    for combination in itertools.product(*(domain for _, _, domain in domains)):
        answers = {}
        selected = set()
        for (kind, name, _domain), value in zip(domains, combination, strict=True):
            if kind == "answer":
                if value is not None:
                    answers[name] = value
            elif value:
                selected.add(name)
        if condition_holds(condition, answers, selected):
            return True
    return False


def _collect_values(condition, key: str, values: set) -> None:
    if not isinstance(condition, Mapping):
        return
    if condition.get("answer") == key:
        for value in [condition["equals"]] if "equals" in condition else condition.get("in", ()):
            try:
                values.add(value)
            except TypeError:
                pass
    for child_key in ("all", "any"):
        for child in condition.get(child_key) or ():
            _collect_values(child, key, values)
    if "not" in condition:
        _collect_values(condition["not"], key, values)


def check_questions(questions: Sequence[Mapping]) -> list[str]:
    """Problems of a questionnaire, in French: keys, types, choices, and "asked when"
    conditions that name only questions placed before."""
    problems: list[str] = []
    earlier: dict[str, Mapping] = {}
    for question in questions:
        key = question.get("key")
        where = f"Question {key}"
        if not key or not isinstance(key, str):
            problems.append("Une question n'a pas de clé : donnez-lui une clé unique.")
            continue
        if key in earlier:
            problems.append(
                f"Deux questions portent la clé « {key} » : chaque question a la sienne."
            )
        if question.get("type") not in QUESTION_TYPES:
            problems.append(
                f"{where} : type inconnu « {question.get('type')} » (oui/non ou choix)."
            )
        if not str(question.get("label") or "").strip():
            problems.append(f"{where} : le libellé de la question manque.")
        choices = question.get("choices") or []
        if question.get("type") == "choice":
            values = [c.get("value") if isinstance(c, Mapping) else None for c in choices]
            if len(choices) < 2:
                problems.append(f"{where} : une question à choix propose au moins deux choix.")
            if any(
                not isinstance(c, Mapping) or not c.get("value") or not c.get("label")
                for c in choices
            ):
                problems.append(f"{where} : chaque choix a une valeur et un libellé.")
            duplicates = sorted({str(v) for v in values if v and values.count(v) > 1})
            if duplicates:
                problems.append(
                    f"{where} : "
                    + _plural(
                        len(duplicates), "valeur de choix en double", "valeurs de choix en double"
                    )
                    + f" {', '.join(duplicates)}."
                )
        elif question.get("type") == "boolean" and choices:
            problems.append(f"{where} : une question oui/non n'a pas de liste de choix.")
        asked_when = question.get("asked_when")
        if asked_when is not None:
            errors = condition_problems(asked_when, answers_only=True)
            if not errors:
                answer_keys: set[str] = set()
                _variables(asked_when, answer_keys, set())
                later = sorted(k for k in answer_keys if k not in earlier)
                if key in answer_keys:
                    errors = ["elle ne peut pas dépendre de sa propre réponse."]
                elif later:
                    errors = [
                        f"elle n'est posée que selon la question {', '.join(later)}, qui doit "
                        "venir avant elle dans le questionnaire : déplacez l'une ou l'autre."
                    ]
            if not errors:
                errors = condition_problems(asked_when, questions=earlier, answers_only=True)
            if not errors and not can_hold(asked_when, earlier):
                errors = ["la condition « posée si » ne peut jamais être remplie."]
            problems += [f"{where} : {error}" for error in errors]
        earlier.setdefault(key, question)
    return problems


def fingerprint(rules: Sequence[Mapping], questions: Sequence[Mapping]) -> str:
    """A digest of a rule set and its questionnaire, to notice that either changed."""
    payload = json.dumps(
        {"rules": list(rules), "questions": list(questions)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
            warnings.append(
                {
                    "rule": rule["code"],
                    "detail": rule["message"],
                    "audience": rule.get("audience") or "all",
                }
            )

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


# --- the rules in words (the agency's pages) ------------------------------------------------


def describe_condition(
    condition, *, questions: Mapping[str, Mapping], labels: Mapping[str, str]
) -> str:
    """A condition in French: « si la réponse à “…” est oui », « toujours » when there is none.

    ``questions`` maps keys to questions (for their labels and choices), ``labels`` profile
    codes to their names; an unknown key or code is shown as is."""
    if condition is None:
        return "toujours"
    phrase = _phrase(condition, questions, labels)
    return ("s'" if phrase.startswith("il ") else "si ") + phrase


def _quoted_question(key, questions) -> str:
    question = questions.get(key) if isinstance(key, str) else None
    label = question.get("label") if question else None
    return f"“{label}”" if label else f"“{key}” (question inconnue)"


def _shown_value(key, value, questions) -> str:
    question = questions.get(key) if isinstance(key, str) else None
    if isinstance(value, bool) and (question is None or question.get("type") == "boolean"):
        return "oui" if value else "non"
    for choice in (question or {}).get("choices") or ():
        if isinstance(choice, Mapping) and choice.get("value") == value:
            return f"“{choice.get('label')}”"
    return f"“{value}”"


def _profile_name(code, labels) -> str:
    return f"« {labels.get(code, code)} »"


def _phrase(condition, questions, labels, *, negated: bool = False, nested: bool = False) -> str:
    if not isinstance(condition, Mapping):
        return f"(condition illisible : {condition!r})"
    if "answer" in condition:
        key = condition["answer"]
        values = [condition["equals"]] if "equals" in condition else condition.get("in") or []
        shown = [_shown_value(key, value, questions) for value in values]
        subject = f"la réponse à {_quoted_question(key, questions)}"
        if negated:
            if len(shown) == 1:
                return f"{subject} n'est pas {shown[0]}"
            return f"{subject} n'est ni {' ni '.join(shown)}"
        return f"{subject} est {' ou '.join(shown)}"
    if "profile" in condition:
        verb = "n'est pas sélectionné" if negated else "est sélectionné"
        return f"le profil {_profile_name(condition['profile'], labels)} {verb}"
    if "not" in condition:
        inner = condition["not"]
        if negated:
            return _phrase(inner, questions, labels, nested=nested)
        if isinstance(inner, Mapping) and ("answer" in inner or "profile" in inner):
            return _phrase(inner, questions, labels, negated=True)
        return f"il est faux que ({_phrase(inner, questions, labels)})"
    for key, word in (("all", " et "), ("any", " ou ")):
        if key in condition:
            parts = [
                _phrase(child, questions, labels, nested=True) for child in condition[key] or ()
            ]
            text = word.join(parts)
            if negated:
                return f"il est faux que ({text})"
            return f"({text})" if nested and len(parts) > 1 else text
    return f"(condition illisible : {condition!r})"


def describe_rule(
    rule: Mapping, *, questions: Mapping[str, Mapping], labels: Mapping[str, str]
) -> str:
    """What a rule does, in one French sentence."""
    condition = rule.get("condition")
    kind = rule.get("kind")
    if kind == "always" or condition is None:
        opening = "Dans tous les cas"
    else:
        opening = describe_condition(condition, questions=questions, labels=labels)
        opening = opening[0].upper() + opening[1:]
    names = [_profile_name(code, labels) for code in rule.get("profiles") or ()]
    listed = ", ".join(names)
    plural = len(names) > 1
    if kind in MANDATING_KINDS:
        effect = f"{listed} {'sont obligatoires' if plural else 'est obligatoire'}"
    elif kind == "at_least_one_of":
        effect = f"au moins un profil parmi {listed} est exigé"
    elif kind == "exactly_one_of":
        effect = f"exactement un profil parmi {listed} est exigé"
    elif kind == "optional":
        effect = f"{listed} {'sont proposés' if plural else 'est proposé'} en option"
    elif kind == "warning":
        effect = "un avertissement est affiché, sans bloquer le choix"
    else:
        effect = f"type de règle inconnu « {kind} »"
    return f"{opening} : {effect}."
