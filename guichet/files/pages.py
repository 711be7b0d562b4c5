"""Pages that receive files (issue 10 §1): who may upload is decided before the body is read."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect

from guichet.common.errors import ApplicationError
from guichet.files.api import receive_files, take_uploads
from guichet.files.services import parse_produced_on

# Where a refused upload waits for its page, which shows it at the file input (issue 19).
REFUSAL_KEY = "guichet_upload_refusal"


def upload_page(request, access, attach, *, back, fragment=None, field: str = ""):
    """A page receiving files (issue 10 §1). The decorators have checked the login and the
    role, the view found the application; `access()` raises when this user may not upload
    here now, else says whether the upload is encrypted as it streams. Nothing of the body is
    read before that, nor before the CSRF token of the X-CSRFToken header is checked (the
    token of a form sent without JavaScript is in the body, read afterwards). Then
    `attach(uploads, produced_on)` keeps every file or none; a JSON answer for the
    progress-bar script (with `fragment()`'s keys: the part of the page to replace in place),
    a message and a redirect otherwise. With `field` (the id of the file input), a refusal
    is kept for the page, which shows it as the DSFR error of that input
    (`take_upload_refusal`), not as an alert of the whole page."""
    try:
        encrypt = access()
    except ApplicationError as exc:
        return _upload_refused(request, exc, back, field)
    handler, csrf_refused = receive_files(request, encrypt=encrypt)
    if csrf_refused is not None:
        return csrf_refused
    try:
        uploads = take_uploads(handler, request.FILES)
        produced_on = parse_produced_on(request.POST.get("produced_on"))
        created = attach(uploads, produced_on)
    except ApplicationError as exc:
        return _upload_refused(request, exc, back, field)
    names = ", ".join(item.file.original_name for item in created)
    if request.headers.get("X-Requested-With") == "fetch":
        payload = {"detail": f"Déposé : {names}."}
        if fragment is not None:
            payload |= fragment()
        return JsonResponse(payload, status=201)
    messages.success(request, f"Déposé : {names}.")
    return redirect(back)


def _upload_refused(request, exc: ApplicationError, back, field: str):
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse(
            {"detail": exc.message, "field": field}, status=exc.extra.get("status", 409)
        )
    if field:
        request.session[REFUSAL_KEY] = {"field": field, "message": exc.message}
    else:
        messages.error(request, exc.message)
    return redirect(back)


def take_upload_refusal(request) -> dict:
    """The refusal of the last upload, once: {file input id: French message}."""
    refusal = request.session.pop(REFUSAL_KEY, None) if hasattr(request, "session") else None
    return {refusal["field"]: refusal["message"]} if refusal else {}
