"""Demo applications for `make run`: both referentials at each stage (draft, submitted, to
fix, recevable with a convention to sign, evidence in progress, complete). Idempotent."""

from __future__ import annotations

import functools
import io

from django.db import transaction
from reportlab.pdfgen import canvas

from guichet.accounts.models import User
from guichet.applications import review
from guichet.applications.models import Product
from guichet.applications.pathologies import claim_pathologies
from guichet.applications.selectors import documents_payload
from guichet.applications.services import (
    add_document,
    create_application,
    save_draft,
    save_product,
    submit,
)
from guichet.conventions.services import prepare_convention, seal_convention, sign_convention
from guichet.demo.accounts import demo_password
from guichet.evidence import services as evidence
from guichet.evidence.acknowledgment import issue_acknowledgment
from guichet.evidence.selectors import tree
from guichet.files.uploads import upload_from_stream
from guichet.referentials.selectors import get_version


def _pdf(title: str) -> io.BytesIO:
    return io.BytesIO(_pdf_bytes(title))


@functools.lru_cache(maxsize=512)
def _pdf_bytes(title: str) -> bytes:
    """A small PDF titled `title`, drawn once per title (the demo deposits the same expected
    proofs on a dozen dossiers)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setTitle(title)
    page.drawString(72, 770, "Document de démonstration — Guichet")
    page.drawString(72, 750, title[:90])
    page.save()
    return buffer.getvalue()


def _form(code: str, organisation, product, version: str, **extra) -> dict:
    form = {
        "legal_rep_name": "Dominique Durand",
        "legal_rep_email": "dominique.durand@exemple.fr",
        "legal_rep_phone": "01 40 00 00 01",
        "contact_name": "Camille Martin",
        "contact_email": "camille.martin@exemple.fr",
        "contact_phone": "06 12 34 56 78",
        "entity_name": organisation.name,
        "entity_id": organisation.siren if code == "DMN" else SIRETS[organisation.siren],
        "software_name": product.name,
        "software_version": version,
        "planned_complete_date": "2027-03-31",
        "publish_planned_date": True,
    }
    if code == "DMN":
        form |= {
            # The guide's example 1 (DMN_ANSWERS): no patient access, on the form as in the
            # questionnaire — one fact (R-REF-8).
            "patient_access": False,
            "reimbursement_list": "LATM",
            "device_class": "IIa",
            "host_is_applicant": False,
            "host_name": "Hébergeur Santé Démo (certifié HDS)",
        }
    else:
        form |= {
            "teleconsultation_company": True,
            "all_proofs_available": True,
            "cnda_nie": "NIE-DEMO-0042",
            "cnda_nil": "NIL-DEMO-0042-01",
        }
    form |= extra
    return form


# A valid SIRET of each demo company (TLC asks for the SIRET).
SIRETS = {"732829320": "73282932000017", "552100554": "55210055400013"}
DMN_ANSWERS = {"professional_access": False, "patient_access": False, "creates_identities": False}
TLC_PROFILES = ["general", "referentiel_identite", "hds_tiers"]


def _documents(application, by) -> None:
    for document in documents_payload(application):
        if document["required"]:
            upload = upload_from_stream(_pdf(document["label"]), f"{document['item']}.pdf")
            add_document(by=by, application=application, item=document["item"], upload=upload)


def _review_all(application, instructor, *, flag: dict | None = None) -> None:
    for entry in review.reviewable_items(application):
        comment = (flag or {}).get(entry["item"])
        review.set_verdict(
            by=instructor,
            application=application,
            item=entry["item"],
            verdict="to_fix" if comment else "conforme",
            comment=comment or "",
        )


def _deposit(
    application,
    by,
    *,
    sections: int | None = None,
    proofs: int | None = None,
    codes: tuple[str, ...] | None = None,
) -> None:
    """Deposits every proof of the first `sections` sections (all when None), or of the sections
    named by `codes`, and submits them; `proofs` more proofs of the next section are deposited
    without submitting it."""
    nodes = tree(application)
    chosen = nodes if sections is None else nodes[:sections]
    if codes is not None:
        chosen = [node for node in nodes if node.section.code in codes and not node.submitted]
    for node in chosen:
        for requirement in node.requirements:
            for scenario in requirement["scenarios"]:
                for item in scenario["proofs"]:
                    proof = item["proof"]
                    upload = upload_from_stream(
                        _pdf(proof.description),
                        f"preuve-{scenario['scenario'].code}-{proof.position}.pdf",
                        encrypt=proof.sensitive,
                    )
                    evidence.add_evidence(
                        by=by, application=application, proof_id=proof.pk, upload=upload
                    )
        evidence.submit_section(by=by, application=application, section_code=node.section.code)
    if proofs and sections is not None and len(nodes) > sections:
        node = nodes[sections]
        flat = [
            item["proof"]
            for r in node.requirements
            for sc in r["scenarios"]
            for item in sc["proofs"]
        ]
        for proof in flat[:proofs]:
            upload = upload_from_stream(
                _pdf(proof.description), f"preuve-{proof.pk}.pdf", encrypt=proof.sensitive
            )
            evidence.add_evidence(by=by, application=application, proof_id=proof.pk, upload=upload)


@transaction.atomic
def ensure_demo_applications() -> list[str]:
    responsible = User.objects.get(email="responsable@telesante-demo.fr")
    other = User.objects.get(email="responsable@sante-connectee-demo.fr")
    instructor = User.objects.get(email="instructeur@guichet.local")
    if Product.objects.filter(organisation=responsible.organisation).exists():
        return []
    dmn, tlc = get_version("DMN", "1.2.2"), get_version("TLC", "1.4.2")
    made = []

    def new(by, name, version, referential, pathway, pathology="", modules=None):
        product = save_product(
            by=by, name=name, modules=modules or [{"name": "Portail web", "version": version}]
        )
        application = create_application(
            by=by,
            product=product,
            product_version=version,
            referential_version=referential,
            pathway_code=pathway,
            pathology_code=pathology,
        )
        made.append(f"{application.reference} {name} {version}")
        return application

    def filled(application, by, code, profiles=None, answers=None):
        save_draft(
            by=by,
            application=application,
            data={
                "form": _form(
                    code, by.organisation, application.product, application.product_version
                ),
                "answers": answers or {},
                "profiles": profiles or ["general"],
            },
        )
        application.refresh_from_db()
        _documents(application, by)
        return application

    # 1. DMN, draft, partly filled.
    draft = new(
        responsible,
        "TéléSuivi Diabète",
        "2.1",
        dmn,
        "ligne_generique",
        "diabete",
        modules=[
            {"name": "Portail web", "version": "2.1"},
            {"name": "Application iOS", "version": "2.1.3"},
        ],
    )
    save_draft(
        by=responsible,
        application=draft,
        data={
            "form": {"contact_name": "Camille Martin", "entity_name": responsible.organisation.name}
        },
    )
    # R-REF-7: the generic line, two pathologies claimed: each one's specifications apply.
    claim_pathologies(
        by=responsible, application=draft, codes=["diabete", "insuffisance_cardiaque"]
    )

    # 2. DMN, submitted, awaiting the admissibility review.
    submitted = filled(
        new(responsible, "CardioConnect", "1.0", dmn, "nom_de_marque"),
        responsible,
        "DMN",
        answers=DMN_ANSWERS,
    )
    submit(by=responsible, application=submitted)

    # 3. TLC, sent back with items to fix.
    to_fix = filled(
        new(responsible, "ConsultVisio", "4.2", tlc, "teleconsultation"),
        responsible,
        "TLC",
        profiles=TLC_PROFILES,
    )
    submit(by=responsible, application=to_fix)
    _review_all(
        to_fix,
        instructor,
        flag={
            "contact_phone": "Ce numéro ne répond pas : indiquez une ligne directe.",
            "documents.functional_documentation": "La documentation ne décrit pas la version 4.2.",
        },
    )
    review.decide(by=instructor, application=to_fix, decision="request_fixes")

    # 4. DMN, recevable, convention to sign.
    to_sign = filled(
        new(responsible, "RespiSuivi", "3.0", dmn, "nom_de_marque"),
        responsible,
        "DMN",
        answers=DMN_ANSWERS,
    )
    submit(by=responsible, application=to_sign)
    _review_all(to_sign, instructor)
    review.decide(by=instructor, application=to_sign, decision="admissible")
    prepare_convention(to_sign.convention.pk, by_id=instructor.pk)

    # 5. TLC, evidence in progress (another organisation).
    in_progress = filled(
        new(other, "MédecinÀDistance", "5.1", tlc, "teleconsultation"),
        other,
        "TLC",
        profiles=TLC_PROFILES,
    )
    submit(by=other, application=in_progress)
    _review_all(in_progress, instructor)
    review.decide(by=instructor, application=in_progress, decision="admissible")
    _deposit(in_progress, other, sections=2, proofs=3)

    # 6. DMN, complete: convention signed, every proof deposited, acknowledgment issued.
    complete = filled(
        new(responsible, "RénalCare", "1.4", dmn, "nom_de_marque"),
        responsible,
        "DMN",
        answers=DMN_ANSWERS,
    )
    submit(by=responsible, application=complete)
    _review_all(complete, instructor)
    review.decide(by=instructor, application=complete, decision="admissible")
    # What the task worker does after each step is done here at once, so that the demo shows
    # every document: the PDF to sign, the sealed convention, the acknowledgment.
    prepare_convention(complete.convention.pk, by_id=instructor.pk)
    sign_convention(by=responsible, application=complete, password=demo_password())
    seal_convention(complete.convention.pk)
    _deposit(complete, responsible)
    issue_acknowledgment(complete.pk, by_id=responsible.pk)
    return made
