from portal.views.errors import favicon, page_not_found, permission_denied, server_error
from portal.views.home import home
from portal.views.profile import create_token, profile, revoke_token

__all__ = [
    "create_token",
    "favicon",
    "home",
    "page_not_found",
    "permission_denied",
    "profile",
    "revoke_token",
    "server_error",
]
