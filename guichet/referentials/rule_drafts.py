"""The agency's « brouillon de règles » (issue 10 §3): edits of a version's profile rules and
questionnaire kept apart from the published ones, previewed on the guides' worked examples,
then published at once through `services.publish_rules`.

Each edit keeps the draft valid: it is refused, changing nothing, when it adds a problem to
those `rules.check_rules` finds in the whole set."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from guichet.common.errors import ApplicationError
from guichet.referentials import rules as rules_engine
from guichet.referentials import services
from guichet.referentials.examples import WorkedExample, worked_examples
from guichet.referentials.models import ReferentialVersion, RuleDraft

# --- reads -------------------------------------------------------------------------------------


def get_draft(version: ReferentialVersion) -> RuleDraft | None:
    return RuleDraft.objects.filter(version=version).select_related("updated_by").first()


def working_rule_set(
    version: ReferentialVersion, draft: RuleDraft | None
) -> tuple[list[dict], list[dict]]:
    """The draft's rules and questions when there is a draft, else the published ones."""
    if draft is not None:
        return list(draft.rules), list(draft.questions)
    return services.published_rule_set(version)


def profile_labels(version: ReferentialVersion) -> tuple[list[str], dict[str, str]]:
    profiles = list(version.profiles.all())
    return [p.code for p in profiles], {p.code: p.label for p in profiles}


@dataclass
class Outcome:
    """What a rule set gives for one example's answers."""

    profiles: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def as_comparable(self) -> tuple:
        return (
            tuple(self.profiles),
            tuple(self.optional),
            tuple(self.violations),
            tuple(self.warnings),
            self.error,
        )


def run_example(
    example: WorkedExample,
    *,
    rules: Sequence[Mapping],
    questions: Sequence[Mapping],
    order: Sequence[str],
    labels: Mapping[str, str],
) -> Outcome:
    errors = rules_engine.validate_answers(questions, example.answers)
    if errors:
        return Outcome(error="Exemple inapplicable : " + " ".join(errors.values()))
    try:
        evaluation = rules_engine.evaluate(
            rules, order=order, answers=example.answers, labels=labels
        )
    except (rules_engine.RuleError, KeyError, TypeError) as exc:
        return Outcome(error=f"Règles inévaluables : {exc}")
    return Outcome(
        profiles=list(evaluation.profiles),
        optional=list(evaluation.optional),
        violations=[v["detail"] for v in evaluation.violations],
        warnings=[w["detail"] for w in evaluation.warnings],
    )


def _marked(before: Sequence[str], after: Sequence[str], order: Sequence[str]) -> list[dict]:
    """The union of two lists, each item marked "same", "added" (only after) or "removed"."""
    rank = {code: i for i, code in enumerate(order)}
    first_seen = list(dict.fromkeys([*before, *after]))
    items = sorted(first_seen, key=lambda item: (rank.get(item, len(rank)), first_seen.index(item)))
    return [
        {
            "value": item,
            "state": "same"
            if item in before and item in after
            else "added"
            if item in after
            else "removed",
        }
        for item in items
    ]


@dataclass
class ExampleComparison:
    example: WorkedExample
    published: Outcome
    draft: Outcome
    labels: Mapping[str, str]
    order: Sequence[str]

    @property
    def changed(self) -> bool:
        return self.published.as_comparable() != self.draft.as_comparable()

    def matches_guide(self, outcome: Outcome) -> bool:
        if outcome.error or set(outcome.profiles) != set(self.example.profiles):
            return False
        return self.example.optional is None or set(outcome.optional) == set(self.example.optional)

    @property
    def published_matches_guide(self) -> bool:
        return self.matches_guide(self.published)

    @property
    def draft_matches_guide(self) -> bool:
        return self.matches_guide(self.draft)

    def _named(self, marked: list[dict]) -> list[dict]:
        return [{**item, "label": self.labels.get(item["value"], item["value"])} for item in marked]

    @property
    def expected(self) -> list[str]:
        return [self.labels.get(code, code) for code in self.example.profiles]

    @property
    def expected_optional(self) -> list[str] | None:
        if self.example.optional is None:
            return None
        return [self.labels.get(code, code) for code in self.example.optional]

    @property
    def profiles(self) -> list[dict]:
        return self._named(_marked(self.published.profiles, self.draft.profiles, self.order))

    @property
    def optional(self) -> list[dict]:
        return self._named(_marked(self.published.optional, self.draft.optional, self.order))

    @property
    def violations(self) -> list[dict]:
        return _marked(self.published.violations, self.draft.violations, ())

    @property
    def warnings(self) -> list[dict]:
        return _marked(self.published.warnings, self.draft.warnings, ())


def _diff(before: Sequence[dict], after: Sequence[dict], key: str) -> dict[str, list[str]]:
    old = {item[key]: item for item in before}
    new = {item[key]: item for item in after}
    common_old = [item[key] for item in before if item[key] in new]
    common_new = [item[key] for item in after if item[key] in old]
    return {
        "added": [k for k in new if k not in old],
        "removed": [k for k in old if k not in new],
        "changed": [k for k in new if k in old and old[k] != new[k]],
        "reordered": common_old != common_new,
    }


@dataclass
class RulesPreview:
    version: ReferentialVersion
    draft: RuleDraft
    comparisons: list[ExampleComparison]
    rule_changes: dict
    question_changes: dict
    problems: list[str]
    is_stale: bool

    @property
    def changed_examples(self) -> list[ExampleComparison]:
        return [c for c in self.comparisons if c.changed]

    @property
    def has_changes(self) -> bool:
        changes = (self.rule_changes, self.question_changes)
        return any(c["added"] or c["removed"] or c["changed"] or c["reordered"] for c in changes)

    @property
    def can_publish(self) -> bool:
        return not self.problems and not self.is_stale


def preview(version: ReferentialVersion, draft: RuleDraft) -> RulesPreview:
    """The draft against the published rules, on the guides' worked examples; plus what would
    refuse its publication. A constant number of queries."""
    published_rules, published_questions = services.published_rule_set(version)
    order, labels = profile_labels(version)
    comparisons = [
        ExampleComparison(
            example=example,
            published=run_example(
                example,
                rules=published_rules,
                questions=published_questions,
                order=order,
                labels=labels,
            ),
            draft=run_example(
                example, rules=draft.rules, questions=draft.questions, order=order, labels=labels
            ),
            labels=labels,
            order=order,
        )
        for example in worked_examples(version)
    ]
    problems = rules_engine.check_rules(draft.rules, order, questions=draft.questions)
    problems += services.lost_answers_problems(version, draft.questions)
    return RulesPreview(
        version=version,
        draft=draft,
        comparisons=comparisons,
        rule_changes=_diff(published_rules, draft.rules, "code"),
        question_changes=_diff(published_questions, draft.questions, "key"),
        problems=problems,
        is_stale=draft.base_fingerprint
        != rules_engine.fingerprint(published_rules, published_questions),
    )


# --- writes ------------------------------------------------------------------------------------


def _locked_draft(version: ReferentialVersion, by) -> RuleDraft:
    """The version's draft, locked for this transaction; started from the published rules
    when there is none. The version row is locked first, so two first edits do not race."""
    ReferentialVersion.objects.select_for_update().get(pk=version.pk)
    draft = RuleDraft.objects.select_for_update().filter(version=version).first()
    if draft is None:
        rules, questions = services.published_rule_set(version)
        draft = RuleDraft.objects.create(
            version=version,
            rules=rules,
            questions=questions,
            base_fingerprint=rules_engine.fingerprint(rules, questions),
            created_by=by,
            updated_by=by,
            revision=0,
        )
    return draft


def _edit(
    version: ReferentialVersion,
    *,
    by,
    change: Callable[[list[dict], list[dict]], tuple[list[dict], list[dict]]],
) -> RuleDraft:
    with transaction.atomic():
        draft = _locked_draft(version, by)
        before = services.rule_set_problems(version, rules=draft.rules, questions=draft.questions)
        rules, questions = change(copy.deepcopy(draft.rules), copy.deepcopy(draft.questions))
        after = services.rule_set_problems(version, rules=rules, questions=questions)
        new = [problem for problem in after if problem not in before]
        if new:
            raise ApplicationError(
                "Modification refusée, le brouillon n'a pas changé : " + " ".join(new),
                extra={"status": 400, "problems": new},
            )
        draft.rules, draft.questions = rules, questions
        draft.revision += 1
        draft.updated_by = by
        draft.save()
        return draft


def _index(items: list[dict], key: str, value: str, what: str) -> int:
    for i, item in enumerate(items):
        if item.get(key) == value:
            return i
    raise ApplicationError(
        f"{what} « {value} » n'est pas dans le brouillon (un autre agent l'a peut-être "
        "supprimé) : rechargez la page.",
        extra={"status": 404},
    )


def save_rule(
    version: ReferentialVersion, *, rule: dict, replacing: str | None = None, by
) -> RuleDraft:
    """Add a rule at the end of the draft, or replace the rule coded ``replacing`` in place."""
    rule = services.rule_data(rule)

    def change(rules, questions):
        if replacing is None:
            rules.append(rule)
        else:
            rules[_index(rules, "code", replacing, "La règle")] = rule
        return rules, questions

    return _edit(version, by=by, change=change)


def delete_rule(version: ReferentialVersion, *, code: str, by) -> RuleDraft:
    def change(rules, questions):
        del rules[_index(rules, "code", code, "La règle")]
        return rules, questions

    return _edit(version, by=by, change=change)


def _moved(items: list[dict], index: int, offset: int) -> list[dict]:
    target = index + offset
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    return items


def move_rule(version: ReferentialVersion, *, code: str, offset: int, by) -> RuleDraft:
    """Move a rule one place up (-1) or down (+1); the order is the order of the messages."""

    def change(rules, questions):
        return _moved(rules, _index(rules, "code", code, "La règle"), offset), questions

    return _edit(version, by=by, change=change)


def rename_answer(condition, old: str, new: str):
    """The condition with every reference to the answer ``old`` renamed ``new``."""
    if isinstance(condition, dict):
        renamed = {k: rename_answer(v, old, new) for k, v in condition.items()}
        if renamed.get("answer") == old:
            renamed["answer"] = new
        return renamed
    if isinstance(condition, list):
        return [rename_answer(child, old, new) for child in condition]
    return condition


def _answer_users(rules: Sequence[dict], questions: Sequence[dict], key: str) -> list[str]:
    """Rules and questions whose condition names the answer ``key``."""

    def names(condition) -> bool:
        return rename_answer(condition, key, "\0") != condition

    return [f"la règle {r['code']}" for r in rules if names(r.get("condition"))] + [
        f"la question {q['key']}"
        for q in questions
        if q.get("key") != key and names(q.get("asked_when"))
    ]


def save_question(
    version: ReferentialVersion, *, question: dict, replacing: str | None = None, by
) -> RuleDraft:
    """Add a question at the end, or replace the question keyed ``replacing``; a new key is
    carried into every condition that named the old one."""
    question = services.question_data(question)

    def change(rules, questions):
        if replacing is None:
            questions.append(question)
            return rules, questions
        questions[_index(questions, "key", replacing, "La question")] = question
        if question["key"] != replacing:
            for rule in rules:
                rule["condition"] = rename_answer(rule.get("condition"), replacing, question["key"])
            for other in questions:
                other["asked_when"] = rename_answer(
                    other.get("asked_when"), replacing, question["key"]
                )
        return rules, questions

    return _edit(version, by=by, change=change)


def delete_question(version: ReferentialVersion, *, key: str, by) -> RuleDraft:
    def change(rules, questions):
        index = _index(questions, "key", key, "La question")
        users = _answer_users(rules, questions, key)
        if users:
            raise ApplicationError(
                f"La question « {key} » est utilisée par {', '.join(users)} : modifiez-les ou "
                "supprimez-les d'abord.",
                extra={"status": 400},
            )
        del questions[index]
        return rules, questions

    return _edit(version, by=by, change=change)


def move_question(version: ReferentialVersion, *, key: str, offset: int, by) -> RuleDraft:
    def change(rules, questions):
        return rules, _moved(questions, _index(questions, "key", key, "La question"), offset)

    return _edit(version, by=by, change=change)


@transaction.atomic
def discard_draft(version: ReferentialVersion, *, by) -> bool:
    ReferentialVersion.objects.select_for_update().get(pk=version.pk)
    deleted, _ = RuleDraft.objects.filter(version=version).delete()
    return bool(deleted)


@transaction.atomic
def publish_draft(
    version: ReferentialVersion, *, revision: int, confirm_changes: bool, by
) -> RulesPreview:
    """Publish the draft that was previewed (its ``revision``): refused if it changed since,
    if the published rules changed since it was started, or if a worked example changes its
    result without ``confirm_changes``. Returns the preview that was published."""
    ReferentialVersion.objects.select_for_update().get(pk=version.pk)
    draft = RuleDraft.objects.select_for_update().filter(version=version).first()
    if draft is None:
        raise ApplicationError(
            "Il n'y a pas de brouillon de règles à publier pour cette version (il a peut-être "
            "déjà été publié ou abandonné).",
            extra={"status": 409},
        )
    if draft.revision != revision:
        raise ApplicationError(
            "Le brouillon a été modifié depuis l'aperçu que vous avez vu : vérifiez l'aperçu "
            "à nouveau avant de publier.",
            extra={"status": 409},
        )
    result = preview(version, draft)
    if result.is_stale:
        raise ApplicationError(
            "Les règles publiées ont changé depuis l'ouverture de ce brouillon : abandonnez-le "
            "et refaites vos modifications à partir des règles publiées.",
            extra={"status": 409},
        )
    if result.changed_examples and not confirm_changes:
        raise ApplicationError(
            "Des exemples du guide changent de résultat : confirmez explicitement la "
            "publication en cochant la case prévue.",
            field="confirm_changes",
            extra={"status": 400},
        )
    services.publish_rules(version, rules=draft.rules, questions=draft.questions, by=by)
    draft.delete()
    return result
