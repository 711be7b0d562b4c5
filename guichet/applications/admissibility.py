"""The admissibility forms of R-APP-5 (DMN) and R-APP-6 (TLC) as data: fields, conditions,
documents. Drafts validate what is given; submission lists every missing item at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from guichet.accounts.identifiers import IdentifierError, parse_company_id, parse_phone
from guichet.applications.models import Application, Product, ProductModule
from guichet.common.text import ngettext


def _column(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# Answers are stored in a JSON column, which has no length of its own: sane limits, so that a
# name stays a name and a description a page. Those that repeat a column take its length.
TEXT_MAX_LENGTH = 255
LONG_TEXT_MAX_LENGTH = 5000
EMAIL_MAX_LENGTH = 254  # RFC 5321's longest address
IDENTIFIER_MAX_LENGTH = 64  # CNDA numbers, Basic UDI-DI

# Profiles of the identity referential: they make the CNDA NIE/NIL required (R-APP-5, R-APP-6).
IDENTITY_PROFILES = {
    "DMN": {"referentiel_identite", "ri_etablissement_sante", "ri_hors_etablissement_sante"},
    "TLC": {"referentiel_identite", "ri_insi_cv"},
}
DEVICE_CLASSES = [
    ("I", "Classe I"),
    ("IIa", "Classe IIa"),
    ("IIb", "Classe IIb"),
    ("III", "Classe III"),
]
LIST_CHOICES = [("LPPR", "LPPR"), ("LATM", "LATM")]


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str = "text"  # text | email | phone | date | bool | choice | company_id | textarea
    group: str = ""
    required: bool | Callable[[Mapping, set, object], bool] = True
    choices: list = field(default_factory=list)
    help_text: str = ""
    siret: bool = False  # TLC asks for a SIRET (or VAT), DMN for a SIREN (or VAT)
    max_length: int | None = None  # else by type: see `limit`
    # Whether the form asks it of this application (None: always); a question whose period
    # is over is not asked (R-APP-6).
    offered: Callable[[object], bool] | None = None
    # R-REF-8: the same fact as a question of the profiles' questionnaire, `(key, value)`: the
    # field is yes exactly when that question's answer is `value`. Asked once, by the
    # questionnaire, when the version's questionnaire has the question.
    fact: tuple[str, object] | None = None

    def is_offered(self, application) -> bool:
        return self.offered is None or application is None or self.offered(application)

    @property
    def limit(self) -> int:
        if self.max_length is not None:
            return self.max_length
        if self.type == "textarea":
            return LONG_TEXT_MAX_LENGTH
        if self.type == "email":
            return EMAIL_MAX_LENGTH
        return TEXT_MAX_LENGTH

    def is_required(self, data: Mapping, profiles: set, application) -> bool:
        return (
            self.required(data, profiles, application) if callable(self.required) else self.required
        )


@dataclass(frozen=True)
class Document:
    key: str
    # Its name, or a function of the application that names it (a date of the version's
    # settings in it): see documents_of, which gives every label as text.
    label: str | Callable[[object], str]
    required: bool | Callable[[Mapping, set, object], bool] = True
    # Whether the form asks for it (None: always); a document whose period is over is not
    # asked for (R-APP-6).
    offered: Callable[[object], bool] | None = None

    def is_offered(self, application) -> bool:
        return self.offered is None or application is None or self.offered(application)

    def is_required(self, data: Mapping, profiles: set, application) -> bool:
        if not self.is_offered(application):
            return False
        return (
            self.required(data, profiles, application) if callable(self.required) else self.required
        )


def _identity(referential):
    return lambda data, profiles, app: bool(profiles & IDENTITY_PROFILES[referential])


def _is_false(key):
    return lambda data, profiles, app: data.get(key) is False


def commitment_deadline(application) -> dt.date | None:
    """R-APP-6: the date by which a TLC applicant that cannot provide every proof commits to
    obtain the full certificate — the end of the exceptional certificate's window, a setting
    of the version (R-CRT-4) — while that window is open; None once it has closed, or where
    the version has no such window."""
    from guichet.applications.clock import legal_today
    from guichet.referentials.process import exceptional_period

    period = exceptional_period(application.referential_version.process_settings)
    if period is None:
        return None
    until = period[1]
    return until if legal_today() <= until else None


def _commitment_open(application) -> bool:
    return commitment_deadline(application) is not None


def _commitment_label(application) -> str:
    from guichet.deadlines import french_date

    until = commitment_deadline(application)
    if until is None:
        return "Engagement à obtenir le certificat complet"
    return f"Engagement à obtenir le certificat complet au plus tard le {french_date(until)}"


CONTACTS = "Contacts et entité"
SOFTWARE = "Logiciel"
PLANNING = "Calendrier"
CNDA = "Identifiants CNDA"


def _contacts(siret: bool) -> list[Field]:
    return [
        Field("legal_rep_name", "Représentant légal — nom et prénom", group=CONTACTS),
        Field("legal_rep_email", "Représentant légal — adresse électronique", "email", CONTACTS),
        Field("legal_rep_phone", "Représentant légal — téléphone", "phone", CONTACTS),
        Field("contact_name", "Contact — nom et prénom", group=CONTACTS),
        Field("contact_email", "Contact — adresse électronique", "email", CONTACTS),
        Field("contact_phone", "Contact — téléphone", "phone", CONTACTS),
        Field("entity_name", "Nom de l'entité", group=CONTACTS),
        Field(
            "entity_id",
            "SIRET ou numéro de TVA intracommunautaire"
            if siret
            else "SIREN ou numéro de TVA intracommunautaire",
            "company_id",
            CONTACTS,
            siret=siret,
        ),
    ]


def _planning() -> list[Field]:
    return [
        Field(
            "planned_complete_date",
            "Date prévue de dépôt d'un dossier de preuves complet",
            "date",
            PLANNING,
        ),
        Field(
            "publish_planned_date",
            "J'accepte que cette date soit publiée",
            "bool",
            PLANNING,
        ),
    ]


PRODUCT_NAME = _column(Product, "name")
PRODUCT_VERSION = _column(Application, "product_version")

FIELDS: dict[str, list[Field]] = {
    "DMN": [
        *_contacts(siret=False),
        Field("software_name", "Nom du logiciel", group=SOFTWARE, max_length=PRODUCT_NAME),
        Field(
            "software_version",
            "Version du logiciel",
            group=SOFTWARE,
            help_text="La version certifiée : la même dans tous les documents.",
            max_length=PRODUCT_VERSION,
        ),
        Field(
            "patient_access",
            "Le logiciel est-il accessible aux patients ?",
            "bool",
            SOFTWARE,
            fact=("patient_access", True),
        ),
        Field(
            "basic_udi_di",
            "Basic UDI-DI (s'il existe)",
            group=SOFTWARE,
            required=False,
            max_length=IDENTIFIER_MAX_LENGTH,
        ),
        Field("reimbursement_list", "Liste visée", "choice", SOFTWARE, choices=LIST_CHOICES),
        Field(
            "device_class",
            "Classe du dispositif médical",
            "choice",
            SOFTWARE,
            choices=DEVICE_CLASSES,
        ),
        Field(
            "connected_objects",
            "Objets connectés compatibles (Basic UDI-DI ou critères de compatibilité)",
            "textarea",
            SOFTWARE,
            required=False,
        ),
        Field(
            "host_is_applicant",
            "Le candidat héberge-t-il lui-même les données de santé ?",
            "bool",
            SOFTWARE,
        ),
        Field(
            "host_name",
            "Nom de l'hébergeur certifié HDS",
            group=SOFTWARE,
            required=_is_false("host_is_applicant"),
        ),
        *_planning(),
        Field(
            "cnda_nie",
            "Numéro d'identification de l'éditeur (NIE) du CNDA",
            group=CNDA,
            required=_identity("DMN"),
            max_length=IDENTIFIER_MAX_LENGTH,
        ),
        Field(
            "cnda_nil",
            "Numéro d'identification du logiciel (NIL) du CNDA",
            group=CNDA,
            required=_identity("DMN"),
            max_length=IDENTIFIER_MAX_LENGTH,
        ),
    ],
    "TLC": [
        *_contacts(siret=True),
        Field("software_name", "Nom du logiciel", group=SOFTWARE, max_length=PRODUCT_NAME),
        Field(
            "software_version",
            "Version du logiciel",
            group=SOFTWARE,
            help_text="La version certifiée : la même dans tous les documents.",
            max_length=PRODUCT_VERSION,
        ),
        Field(
            "teleconsultation_company",
            "Déployé dans une société de téléconsultation (médecins salariés) ?",
            "bool",
            SOFTWARE,
            fact=("deployment", "societe_teleconsultation"),
        ),
        Field(
            "all_proofs_available",
            "Pouvez-vous fournir toutes les preuves attendues ?",
            "bool",
            SOFTWARE,
            # Asked only while a commitment may replace some proofs (R-APP-6).
            offered=_commitment_open,
        ),
        *_planning(),
        Field(
            "cnda_nie",
            "Numéro d'identification de l'éditeur (NIE) du CNDA",
            group=CNDA,
            required=_identity("TLC"),
            max_length=IDENTIFIER_MAX_LENGTH,
        ),
        Field(
            "cnda_nil",
            "Numéro d'identification du logiciel (NIL) du CNDA",
            group=CNDA,
            required=_identity("TLC"),
            max_length=IDENTIFIER_MAX_LENGTH,
        ),
    ],
}

# Per additional component (R-APP-5: name, version, NIL, description; TLC adds the NIE), each
# required always, never, or as a function of (form, profiles, application); and the longest
# each may be (a component is named as a product's module is).
COMPONENT_LIMITS = {
    "name": _column(ProductModule, "name"),
    "version": _column(ProductModule, "version"),
    "nil": IDENTIFIER_MAX_LENGTH,
    "nie": IDENTIFIER_MAX_LENGTH,
    "description": 500,
}
COMPONENT_FIELDS = {
    "DMN": [
        ("name", "Nom commercial", True),
        ("version", "Version", True),
        ("nil", "NIL", False),
        ("description", "Description courte", True),
    ],
    "TLC": [
        ("name", "Nom commercial", True),
        ("version", "Version", True),
        # TLC §4.2: the component's NIE is « nécessaire en fonction du profil choisi (profil
        # RI) » (R-APP-6).
        ("nie", "NIE", _identity("TLC")),
        ("nil", "NIL", False),
        ("description", "Description courte", True),
    ],
}


def _group(data, profiles, app):
    return bool(app is not None and app.is_group)


DOCUMENTS: dict[str, list[Document]] = {
    "DMN": [
        Document("functional_documentation", "Documentation fonctionnelle"),
        Document("gdpr_declaration", "Déclaration de conformité au RGPD"),
        Document(
            "hds_declaration",
            "Déclaration de conformité HDS (nommant l'hébergeur s'il n'est pas le candidat)",
        ),
        Document(
            "hds_host_certificate",
            "Certificat HDS de l'hébergeur",
            required=_is_false("host_is_applicant"),
        ),
        Document("ce_declaration", "Déclaration de marquage CE"),
        Document(
            "notified_body_certificate",
            "Certificat CE de l'organisme notifié",
            required=lambda data, profiles, app: (
                bool(data.get("device_class")) and data.get("device_class") != "I"
            ),
        ),
        Document("mandates", "Mandats des membres du groupement", required=_group),
    ],
    "TLC": [
        Document("functional_documentation", "Documentation fonctionnelle"),
        Document(
            "commitment",
            _commitment_label,
            required=_is_false("all_proofs_available"),
            offered=_commitment_open,
        ),
        Document("mandates", "Mandats des membres du groupement", required=_group),
    ],
}


def fields_for(code: str) -> list[Field]:
    return FIELDS[code]


def documents_for(code: str) -> list[Document]:
    return DOCUMENTS[code]


def offered_fields(application) -> list[Field]:
    """The fields the application's form asks now, in order."""
    code = application.referential_version.process_settings.admissibility_form
    return [spec for spec in fields_for(code) if spec.is_offered(application)]


def documents_of(application) -> list[Document]:
    """Every document of the application's form, each label as people read it (the dates of
    the version's settings in French); `is_offered` says which the form asks for now."""
    code = application.referential_version.process_settings.admissibility_form
    return [
        replace(document, label=document.label(application))
        if callable(document.label)
        else document
        for document in documents_for(code)
    ]


@dataclass(frozen=True)
class Fact:
    """A field of the form that is the answer to a question of the profiles' questionnaire
    (R-REF-8): one fact, asked once, that feeds the form and the profile rules."""

    field: Field
    question: Mapping  # the question as data (key, type, label, choices)
    value: object  # the answer that makes the field yes

    def field_value(self, answer) -> bool | None:
        """The field's value that an answer gives (None while the question is unanswered)."""
        return None if answer is None else answer == self.value

    def answer_for(self, field_value: bool | None):
        """The answer a field's value gives, when it gives one: a yes/no question is answered
        either way; a choice only by « oui » (« non » leaves the choice among the others)."""
        if field_value is None:
            return None
        if field_value:
            return self.value
        if self.question.get("type") == "boolean" and isinstance(self.value, bool):
            return not self.value
        return None

    def answer_label(self, answer) -> str:
        if isinstance(answer, bool):
            return "oui" if answer else "non"
        for choice in self.question.get("choices") or ():
            if choice.get("value") == answer:
                return str(choice.get("label"))
        return str(answer)


def facts_of(application, questions: list[Mapping] | None = None) -> list[Fact]:
    """The form's fields that the version's questionnaire asks too (R-REF-8), with their
    question; a field whose question the version does not have stays a field of its own."""
    code = application.referential_version.process_settings.admissibility_form
    if questions is None:
        questions = [q.as_data() for q in application.referential_version.questions.all()]
    by_key = {question["key"]: question for question in questions}
    return [
        Fact(spec, by_key[spec.fact[0]], spec.fact[1])
        for spec in fields_for(code)
        if spec.fact is not None and spec.fact[0] in by_key
    ]


def fact_conflicts(application, facts: list[Fact] | None = None) -> list[dict]:
    """Where the form and the questionnaire say two things of one fact (R-REF-8, DMN §3:
    « Accès Usager » « dès lors que la solution possède un accès patient »)."""
    form, answers = application.form or {}, application.answers or {}
    conflicts = []
    for fact in facts if facts is not None else facts_of(application):
        value, answer = form.get(fact.field.key), answers.get(fact.question["key"])
        if value is None or answer is None or fact.field_value(answer) == value:
            continue
        conflicts.append(
            {
                "rule": "fait_unique",
                "item": fact.field.key,
                "detail": (
                    f"Le formulaire répond « {'Oui' if value else 'Non'} » à « {fact.field.label} » "
                    f"et le questionnaire des profils « {fact.answer_label(answer)} » à "
                    f"« {fact.question['label']} » : un même fait ne peut avoir deux réponses. "
                    "Corrigez le questionnaire des profils."
                ),
            }
        )
    return conflicts


def rule_answers(application, facts: list[Fact] | None = None) -> dict:
    """The answers the profile rules read (R-REF-8): the questionnaire's, completed by the
    facts the form gives and the questionnaire has not answered yet."""
    answers = dict(application.answers or {})
    form = application.form or {}
    for fact in facts if facts is not None else facts_of(application):
        key = fact.question["key"]
        if answers.get(key) is None:
            implied = fact.answer_for(form.get(fact.field.key))
            if implied is not None:
                answers[key] = implied
    return answers


def _clean_bool(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "oui", "1", "on", "yes"}:
        return True
    if text in {"false", "non", "0", "off", "no"}:
        return False
    raise ValueError("Répondez par oui ou par non.")


def clean_value(spec: Field, value):
    """The stored form of one value, or ValueError with a French message. Empty means unset."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if spec.type == "bool":
        return _clean_bool(value)
    value = str(value).strip()
    if len(value) > spec.limit:
        raise ValueError(f"Saisissez au plus {spec.limit} caractères (reçu : {len(value)}).")
    if spec.type == "email":
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(
                "Saisissez une adresse électronique valide, par exemple nom@entreprise.fr."
            ) from None
        return value.lower()
    if spec.type == "phone":
        try:
            return parse_phone(value)
        except IdentifierError as exc:
            raise ValueError(str(exc)) from None
    if spec.type == "company_id":
        try:
            parsed = parse_company_id(value)
        except IdentifierError as exc:
            raise ValueError(str(exc)) from None
        if spec.siret and parsed.kind == "siren":
            raise ValueError(
                "Indiquez le SIRET (14 chiffres) de l'établissement, ou un numéro de TVA."
            )
        if not spec.siret and parsed.kind == "siret":
            return parsed.siren
        return parsed.value
    if spec.type == "date":
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("Saisissez une date au format AAAA-MM-JJ.") from None
    if spec.type == "choice":
        allowed = {key for key, _ in spec.choices}
        if value not in allowed:
            raise ValueError(f"Choisissez parmi : {', '.join(sorted(allowed))}.")
        return value
    return value


def clean_components(code: str, components) -> list[dict]:
    if components in (None, ""):
        return []
    if not isinstance(components, list):
        raise ValueError("Les composants sont une liste.")
    cleaned = []
    for i, item in enumerate(components, start=1):
        if not isinstance(item, Mapping):
            raise ValueError("Chaque composant a un nom, une version et une description.")
        values = {}
        for key, label, _required in COMPONENT_FIELDS[code]:
            value = str(item.get(key) or "").strip()
            if len(value) > COMPONENT_LIMITS[key]:
                raise ValueError(
                    f"Composant {i}, {label.lower()} : saisissez au plus {COMPONENT_LIMITS[key]} "
                    f"caractères (reçu : {len(value)})."
                )
            values[key] = value
        cleaned.append(values)
    return cleaned


def missing_items(application, documents_present: dict[str, int] | None = None) -> list[dict]:
    """Every item that blocks submission, in the form's order, each with the anchor of its
    field: `{"item", "label", "detail"}` (R-APP-7)."""
    code = application.referential_version.process_settings.admissibility_form
    data = application.form or {}
    profiles = set(application.profiles or [])
    missing = []
    asked_by_questionnaire = {fact.field.key for fact in facts_of(application)}  # R-REF-8
    for spec in offered_fields(application):
        if spec.is_required(data, profiles, application) and data.get(spec.key) is None:
            detail = (
                "à renseigner dans le questionnaire des profils"
                if spec.key in asked_by_questionnaire
                else "à renseigner"
            )
            missing.append({"item": spec.key, "label": spec.label, "detail": detail})
    for i, component in enumerate(data.get("components") or []):
        for key, label, required in COMPONENT_FIELDS[code]:
            if callable(required):
                required = required(data, profiles, application)
            if required and not component.get(key):
                missing.append(
                    {
                        "item": f"components.{i}.{key}",
                        "label": f"Composant {i + 1} — {label}",
                        "detail": "à renseigner",
                    }
                )
    if application.is_group and not application.group_members:
        missing.append(
            {"item": "group_members", "label": "Membres du groupement", "detail": "à renseigner"}
        )
    if not profiles:
        missing.append({"item": "profiles", "label": "Profils", "detail": "choisissez les profils"})
    if documents_present is not None:
        members = len(application.group_members or []) if application.is_group else 0
        present = documents_present.get("mandates", 0) if isinstance(documents_present, dict) else 0
        if members and "mandates" in documents_present and present < members:
            missing.append(
                {
                    "item": "documents.mandates",
                    "label": "Mandats des membres du groupement",
                    "detail": (
                        ngettext("%(n)d mandat déposé", "%(n)d mandats déposés", present)
                        % {"n": present}
                        + ngettext(" pour %(n)d membre", " pour %(n)d membres", members)
                        % {"n": members}
                        + " : un mandat par membre"
                    ),
                }
            )
        for document in documents_of(application):
            if (
                document.is_required(data, profiles, application)
                and document.key not in documents_present
            ):
                missing.append(
                    {
                        "item": f"documents.{document.key}",
                        "label": document.label,
                        "detail": "document à déposer",
                    }
                )
    return missing
