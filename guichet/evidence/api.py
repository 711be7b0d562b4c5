from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications import extensions
from guichet.applications.selectors import get_application
from guichet.evidence import services
from guichet.evidence.selectors import evidence_open, progress, reopened_proofs, tree
from guichet.evidence.serializers import (
    EvidenceFileSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    SectionSubmittedSerializer,
)
from guichet.files.api import StreamedUploadMixin
from guichet.files.services import describe, parse_produced_on


def evidence_payload(application, user) -> dict:
    sections = tree(application)
    # The latest verdict on each proof that `user` may see (R-EVD-2): the agency all, the
    # applicant those to fix (the instruction stage decides).
    verdicts = extensions.verdicts_for(application, user)

    return {
        "open": evidence_open(application),
        "reopened": sorted(reopened_proofs(application)),
        "complete_at": application.evidence_complete_at,
        "progress": progress(sections),
        "sections": [
            {
                "code": node.section.code,
                "label": node.section.label,
                "state": node.state,
                "submitted_at": node.submitted_at,
                "return_comment": node.return_comment,
                "progress": {
                    "done": node.proofs_done,
                    "total": node.proofs_total,
                    "percent": node.percent,
                },
                "requirements": [
                    {
                        "code": r["requirement"].code,
                        "statement": r["requirement"].statement,
                        "scenarios": [
                            {
                                "code": sc["scenario"].code,
                                "text": sc["scenario"].text,
                                "proofs": [
                                    {
                                        "id": p["proof"].pk,
                                        "position": p["proof"].position,
                                        "description": p["proof"].description,
                                        "sensitive": p["proof"].sensitive,
                                        "files": [
                                            describe(f.file, replaced_at=f.replaced_at)
                                            for f in p["history"]
                                        ],
                                        "verdict": verdicts.get(p["proof"].pk),
                                    }
                                    for p in sc["proofs"]
                                ],
                            }
                            for sc in r["scenarios"]
                        ],
                    }
                    for r in node.requirements
                ],
            }
            for node in sections
        ],
    }


class EvidenceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Le dossier de preuves",
        description="Sections → exigences → scénarios → preuves attendues, avec leurs fichiers "
        "et l'avancement (R-EVD-1).",
        responses=EvidenceSerializer,
    )
    def get(self, request, pk):
        application = get_application(request.user, pk)
        return Response(evidence_payload(application, request.user))


class EvidenceUploadApi(StreamedUploadMixin, APIView):
    """`multipart/form-data`: `file` (one or several), optional `produced_on` (AAAA-MM-JJ) and
    `replaces` (id of the file replaced, kept in the history)."""

    permission_classes = [IsAuthenticated]

    def upload_access(self, request, pk, proof) -> bool:
        self.application = get_application(request.user, pk)
        target = services.upload_target(
            by=request.user, application=self.application, proof_id=proof
        )
        return target.sensitive  # R-EVD-3: encrypted as it streams

    @extend_schema(
        summary="Déposer une preuve",
        description="Envoi multipart/form-data : `file` (un ou plusieurs), `produced_on`, "
        "`names_version` et `replaces` facultatifs (R-EVD-2) ; une preuve sensible est chiffrée "
        "au repos (R-EVD-3).",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceFileSerializer(many=True)},
    )
    def post(self, request, pk, proof):
        self.form_values(request, EvidenceUploadSerializer)
        created = services.add_evidence_files(
            by=request.user,
            application=self.application,
            proof_id=proof,
            uploads=self.streamed_uploads(request),
            produced_on=parse_produced_on(request.data.get("produced_on")),
            names_version=request.data.get("names_version", ""),
            replaces=request.data.get("replaces") or None,
        )
        return Response(
            [describe(item.file, replaced_at=None) for item in created],
            status=status.HTTP_201_CREATED,
        )


class SectionSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Soumettre une section",
        description="La section passe en lecture seule jusqu'à son renvoi par l'instructeur "
        "(R-EVD-1).",
        request=None,
        responses=SectionSubmittedSerializer,
    )
    def post(self, request, pk, section):
        application = get_application(request.user, pk)
        services.submit_section(by=request.user, application=application, section_code=section)
        application.refresh_from_db()
        return Response(
            {
                "section": section,
                "state": "submitted",
                "application_status": application.status,
                "complete_at": application.evidence_complete_at,
            }
        )
