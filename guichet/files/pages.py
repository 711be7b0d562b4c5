"""Pages that receive files (issue 10 §1): who may upload is decided before the body is read."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect

from guichet.common.errors import ApplicationError
from guichet.files.api import receive_files, take_uploads
from guichet.files.services import parse_produced_on


def upload_page(request, access, attach, *, back, fragment=None):
    """A page receiving files (issue 10 §1). The decorators have checked the login and the
    role, the view found the application; `access()` raises when this user may not upload
    here now, else says whether the upload is encrypted as it streams. Nothing of the body is
    read before that, nor before the CSRF token of the X-CSRFToken header is checked (the
    token of a form sent without JavaScript is in the body, read afterwards). Then
    `attach(uploads, produced_on)` keeps every file or none; a JSON answer for the
    progress-bar script (with `fragment()`'s keys: the part of the page to replace in place),
    a message and a redirect otherwise."""
    try:
        encrypt = access()
    except ApplicationError as exc:
        return _upload_refused(request, exc, back)
    handler, csrf_refused = receive_files(request, encrypt=encrypt)
    if csrf_refused is not None:
        return csrf_refused
    try:
        uploads = take_uploads(handler, request.FILES)
        produced_on = parse_produced_on(request.POST.get("produced_on"))
        created = attach(uploads, produced_on)
    except ApplicationError as exc:
        return _upload_refused(request, exc, back)
    names = ", ".join(item.file.original_name for item in created)
    if request.headers.get("X-Requested-With") == "fetch":
        payload = {"detail": f"Déposé : {names}."}
        if fragment is not None:
            payload |= fragment()
        return JsonResponse(payload, status=201)
    messages.success(request, f"Déposé : {names}.")
    return redirect(back)


def _upload_refused(request, exc: ApplicationError, back):
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"detail": exc.message}, status=exc.extra.get("status", 409))
    messages.error(request, exc.message)
    return redirect(back)
