"""Forms of the agency's rules editor (issue 10 §3). A condition is built from selects (answers
of the questionnaire, selected profiles), or typed as JSON in the « avancé » field; both are
checked by the evaluator's own validation (rules.condition_problems), then the whole set is
checked by the service before the draft changes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from guichet.referentials import rules as rules_engine
from guichet.referentials.models import QuestionType, RuleAudience, RuleKind

CLAUSES = 4

identifier_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    _(
        "Utilisez des lettres minuscules sans accent, des chiffres et « _ », en commençant "
        "par une lettre (par exemple acces_usager_si_acces_patient)."
    ),
)


def _encode_atom(atom: Mapping) -> str:
    if "profile" in atom:
        return f"profile:{atom['profile']}"
    return f"answer:{atom['answer']}:{json.dumps(atom['equals'], ensure_ascii=False)}"


def _decode_atom(value: str) -> dict:
    kind, _sep, rest = value.partition(":")
    if kind == "profile":
        return {"profile": rest}
    key, _sep, raw = rest.partition(":")
    return {"answer": key, "equals": json.loads(raw)}


def answer_atoms(questions: Sequence[Mapping], *, exclude: str | None = None) -> list:
    """(value, label) for every answer a condition may test, question by question."""
    choices = []
    for question in questions:
        if question.get("key") == exclude:
            continue
        label = question.get("label") or question.get("key")
        if question.get("type") == "boolean":
            values = [(True, "oui"), (False, "non")]
        else:
            values = [(c.get("value"), c.get("label")) for c in question.get("choices") or ()]
        choices.append(
            (
                label,
                [
                    (
                        _encode_atom({"answer": question["key"], "equals": value}),
                        f"« {label} » : {shown}",
                    )
                    for value, shown in values
                ],
            )
        )
    return choices


def _parse_json_condition(text: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise forms.ValidationError(
            _("JSON trop profondément imbriqué : une condition compte quelques niveaux au plus.")
        ) from None
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            _("JSON invalide (ligne %(line)s, colonne %(column)s) : %(error)s.")
            % {"line": exc.lineno, "column": exc.colno, "error": exc.msg}
        ) from None


class ConditionFieldsMixin:
    """Selects for up to four tests combined by « et » / « ou », each possibly inverted, and
    the « avancé » JSON field; ``condition()`` gives the condition of the language."""

    def _add_condition_fields(self, atoms: list, *, json_label: str):
        self.atom_choices = [("", _("— aucune —"))] + atoms
        self.fields["combinator"] = forms.ChoiceField(
            label=_("Combinaison des conditions"),
            choices=[
                ("all", _("toutes les conditions choisies (et)")),
                ("any", _("au moins une des conditions choisies (ou)")),
            ],
            initial="all",
        )
        for i in range(1, CLAUSES + 1):
            self.fields[f"clause_{i}"] = forms.ChoiceField(
                label=_("Condition %(n)s") % {"n": i}, required=False, choices=self.atom_choices
            )
            self.fields[f"negate_{i}"] = forms.BooleanField(
                label=_("Inverser (« n'est pas »)"), required=False
            )
        self.fields["condition_json"] = forms.CharField(
            label=json_label,
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=_(
                "Pour une condition que les listes n'expriment pas. Langage : "
                '{"answer": clé, "equals": valeur}, {"answer": clé, "in": [valeurs]}, '
                '{"profile": code}, {"all": [...]}, {"any": [...]}, {"not": condition}. '
                "Laissez vide pour utiliser les listes."
            ),
        )

    @property
    def clause_rows(self):
        return [(self[f"clause_{i}"], self[f"negate_{i}"]) for i in range(1, CLAUSES + 1)]

    def _clean_condition(self, cleaned: dict):
        text = (cleaned.get("condition_json") or "").strip()
        chosen = [i for i in range(1, CLAUSES + 1) if cleaned.get(f"clause_{i}")]
        if text and chosen:
            self.add_error(
                "condition_json",
                _("Utilisez soit les listes, soit le champ avancé, pas les deux : videz l'un."),
            )
            return None
        if text:
            try:
                condition = _parse_json_condition(text)
            except forms.ValidationError as exc:
                self.add_error("condition_json", exc)
                return None
        else:
            parts = []
            for i in chosen:
                atom = _decode_atom(cleaned[f"clause_{i}"])
                parts.append({"not": atom} if cleaned.get(f"negate_{i}") else atom)
            if not parts:
                condition = None
            elif len(parts) == 1:
                condition = parts[0]
            else:
                condition = {cleaned.get("combinator") or "all": parts}
        return condition

    def _initial_condition(self, condition) -> dict:
        """Initial values showing ``condition`` in the selects when they can, else as JSON."""
        if condition is None:
            return {}
        known = {value for _group, options in self.atom_choices[1:] for value, _label in options}
        combinator, parts = "all", [condition]
        if (
            isinstance(condition, dict)
            and len(condition) == 1
            and ("all" in condition or "any" in condition)
        ):
            combinator = "all" if "all" in condition else "any"
            parts = condition[combinator]
        initial = {"combinator": combinator}
        if isinstance(parts, list) and 0 < len(parts) <= CLAUSES:
            for i, part in enumerate(parts, start=1):
                negated = isinstance(part, dict) and set(part) == {"not"}
                atom = part["not"] if negated else part
                if not isinstance(atom, dict) or not (
                    set(atom) == {"profile"} or set(atom) == {"answer", "equals"}
                ):
                    break
                encoded = _encode_atom(atom)
                if encoded not in known:
                    break
                initial[f"clause_{i}"] = encoded
                initial[f"negate_{i}"] = negated
            else:
                return initial
        return {"condition_json": json.dumps(condition, ensure_ascii=False, indent=2)}


class RuleForm(ConditionFieldsMixin, forms.Form):
    code = forms.CharField(
        label=_("Identifiant"),
        max_length=64,
        validators=[identifier_validator],
        help_text=_("Unique dans la version ; il nomme la règle dans les refus (API, journal)."),
    )
    kind = forms.ChoiceField(label=_("Type de règle"), choices=RuleKind.choices)
    profiles = forms.MultipleChoiceField(
        label=_("Profils visés"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun pour un avertissement ; au moins deux pour « … un profil parmi »."),
    )
    message = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Il explique la règle (citez le paragraphe du guide)."),
    )
    audience = forms.ChoiceField(
        label=_("Destinataires du message"),
        choices=RuleAudience.choices,
        initial=RuleAudience.EVERYONE,
        required=False,  # not sent: the candidate and the agency
        help_text=_(
            "Un avertissement peut être réservé à l'agence (une ambiguïté du guide à vérifier) : "
            "le candidat ne le lit pas. Le message des autres règles s'adresse au candidat."
        ),
    )

    def __init__(self, *args, profiles, questions, rule=None, **kwargs):
        self.profile_choices = [(p.code, p.label) for p in profiles]
        self.questions = list(questions)
        super().__init__(*args, **kwargs)
        self.fields["profiles"].choices = self.profile_choices
        atoms = answer_atoms(self.questions)
        atoms.append(
            (
                _("Profils sélectionnés"),
                [
                    (_encode_atom({"profile": code}), f"profil « {label} » sélectionné")
                    for code, label in self.profile_choices
                ],
            )
        )
        self._add_condition_fields(atoms, json_label=_("Condition avancée (JSON)"))
        if rule is not None and not self.is_bound:
            self.initial = {
                "code": rule.get("code"),
                "kind": rule.get("kind"),
                "profiles": list(rule.get("profiles") or []),
                "message": rule.get("message"),
                "audience": rule.get("audience") or RuleAudience.EVERYONE,
                **self._initial_condition(rule.get("condition")),
            }

    def clean(self):
        cleaned = super().clean()
        condition = self._clean_condition(cleaned)
        if "condition_json" not in self.errors:
            problems = rules_engine.condition_problems(
                condition, questions={q["key"]: q for q in self.questions}
            )
            for problem in problems:
                self.add_error(
                    "condition_json" if cleaned.get("condition_json") else None,
                    problem[0].upper() + problem[1:],
                )
        cleaned["condition"] = condition
        if cleaned.get("kind") == RuleKind.WARNING and cleaned.get("profiles"):
            self.add_error("profiles", _("Un avertissement ne vise aucun profil : décochez-les."))
        if (
            cleaned.get("audience") == RuleAudience.AGENCY
            and cleaned.get("kind") != RuleKind.WARNING
        ):
            self.add_error("audience", _("Seul un avertissement peut être réservé à l'agence."))
        return cleaned

    def rule(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "kind": data["kind"],
            "condition": data["condition"],
            "profiles": list(dict.fromkeys(data["profiles"])),
            "message": data["message"].strip(),
            "audience": data["audience"] or RuleAudience.EVERYONE,
        }


CHOICE_LINE = re.compile(r"^\s*([^|]*?)\s*\|\s*(.*?)\s*$")


class QuestionForm(ConditionFieldsMixin, forms.Form):
    key = forms.CharField(
        label=_("Clé"),
        max_length=64,
        validators=[identifier_validator],
        help_text=_(
            "Nom de la réponse dans l'API et les règles (par exemple patient_access). La "
            "renommer met à jour les règles qui la citent."
        ),
    )
    type = forms.ChoiceField(label=_("Type de réponse"), choices=QuestionType.choices)
    label = forms.CharField(label=_("Question"), max_length=500)
    help_text = forms.CharField(
        label=_("Aide"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    choices = forms.CharField(
        label=_("Choix"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Pour une question à choix : une ligne par choix, « valeur | libellé » (par exemple "
            "« etablissement_sante | En établissement de santé »). Vide pour oui / non."
        ),
    )

    def __init__(self, *args, questions, question=None, **kwargs):
        self.questions = list(questions)
        super().__init__(*args, **kwargs)
        exclude = question.get("key") if question else None
        self._add_condition_fields(
            answer_atoms(self.questions, exclude=exclude),
            json_label=_("« Posée si » avancé (JSON)"),
        )
        if question is not None and not self.is_bound:
            self.initial = {
                "key": question.get("key"),
                "type": question.get("type"),
                "label": question.get("label"),
                "help_text": question.get("help_text"),
                "choices": "\n".join(
                    f"{c.get('value')} | {c.get('label')}" for c in question.get("choices") or ()
                ),
                **self._initial_condition(question.get("asked_when")),
            }

    def clean_choices(self):
        parsed, values = [], set()
        for number, line in enumerate(self.cleaned_data["choices"].splitlines(), start=1):
            if not line.strip():
                continue
            match = CHOICE_LINE.match(line)
            if match is None or not match.group(1) or not match.group(2):
                raise forms.ValidationError(
                    _("Ligne %(n)s : écrivez « valeur | libellé ».") % {"n": number}
                )
            value, label = match.groups()
            try:
                identifier_validator(value)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _(
                        "Ligne %(n)s : la valeur « %(value)s » ne prend que des minuscules sans "
                        "accent, des chiffres et « _ »."
                    )
                    % {"n": number, "value": value}
                ) from None
            if value in values:
                raise forms.ValidationError(
                    _("Ligne %(n)s : la valeur « %(value)s » est déjà utilisée.")
                    % {"n": number, "value": value}
                )
            values.add(value)
            parsed.append({"value": value, "label": label})
        return parsed

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("type") == QuestionType.CHOICE and "choices" not in self.errors:
            if len(cleaned.get("choices") or []) < 2:
                self.add_error("choices", _("Une question à choix propose au moins deux choix."))
        if cleaned.get("type") == QuestionType.BOOLEAN and cleaned.get("choices"):
            self.add_error(
                "choices", _("Une question oui / non n'a pas de choix : videz ce champ.")
            )
        condition = self._clean_condition(cleaned)
        if "condition_json" not in self.errors:
            others = {q["key"]: q for q in self.questions if q["key"] != cleaned.get("key")}
            for problem in rules_engine.condition_problems(
                condition, questions=others, answers_only=True
            ):
                self.add_error(
                    "condition_json" if cleaned.get("condition_json") else None,
                    problem[0].upper() + problem[1:],
                )
        cleaned["asked_when"] = condition
        return cleaned

    def question(self) -> dict:
        data = self.cleaned_data
        return {
            "key": data["key"],
            "type": data["type"],
            "label": data["label"].strip(),
            "help_text": data["help_text"].strip(),
            "choices": data["choices"] if data["type"] == QuestionType.CHOICE else [],
            "asked_when": data["asked_when"],
        }


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "monter"), ("down", "descendre")])

    @property
    def offset(self) -> int:
        return -1 if self.cleaned_data["direction"] == "up" else 1


class PublishRulesForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    confirm_changes = forms.BooleanField(
        label=_("Je confirme la publication bien que des exemples du guide changent de résultat."),
        required=False,
    )
