"""DRF authentication with Atrium API tokens: ``Authorization: Bearer atr_…``.

Every way a bearer token can be wrong (malformed, not ASCII, unknown, wrong secret, expired,
revoked, its user deactivated) answers the same 401 with the same body and the same
``WWW-Authenticate`` header. A request without a bearer token is left to the other authenticators.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal import tokens

KEYWORD = "bearer"
FAILURE = "Invalid or expired API token."
WWW_AUTHENTICATE = 'Bearer realm="api"'


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        # Read the header as the WSGI server gave it (a str decoded as latin-1) and never re-encode
        # it: DRF's get_authorization_header() raises on characters outside latin-1.
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if isinstance(header, bytes):
            header = header.decode("latin-1")
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != KEYWORD:
            return None
        try:
            # tokens.authenticate() refuses anything that is not exactly a token (empty, several
            # words, non-ASCII …) at the same cost as a wrong secret.
            token = tokens.authenticate(credentials.strip())
        except tokens.InvalidToken:
            raise exceptions.AuthenticationFailed(FAILURE) from None
        return token.user, token

    def authenticate_header(self, request) -> str:
        return WWW_AUTHENTICATE


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.tokens.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An Atrium API token, atr_<id>_<secret>."}
