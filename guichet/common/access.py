from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def agency_admin_required(view):
    """Pages of the agency administration: agency admins only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_agency_admin", False):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
