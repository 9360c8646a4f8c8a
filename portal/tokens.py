"""API tokens: create, revoke and authenticate.

A token reads ``atr_<key id>_<secret>``. The key id finds the row; the secret is checked against an
HMAC-SHA256 digest keyed with ``API_TOKEN_PEPPER``, so a stolen database alone cannot be used to
call the API. The plaintext is returned once, by :func:`create_token`, and stored nowhere.

Every failure (malformed, unknown key id, wrong secret, expired, revoked, inactive user) is the
same :class:`InvalidToken`, so a caller learns nothing about which part was wrong; a digest is
computed on every path so that the time taken does not tell either.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.models import ApiToken

PREFIX = "atr"
KEY_ID_BYTES = 6  # 12 hex characters
SECRET_BYTES = 32  # 43 url-safe base64 characters
#: ``last_used`` is written at most once per this interval per token (a write per call is wasteful).
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
MAX_EXPIRY_DAYS = 3650
MAX_NAME_LENGTH = cast(int, ApiToken._meta.get_field("name").max_length)  # a CharField's: always set
#: Longer than any token we issue; anything longer is refused before any work is done on it.
MAX_TOKEN_LENGTH = 128

_TOKEN_RE = re.compile(rf"{PREFIX}_(?P<key_id>[0-9a-f]{{{KEY_ID_BYTES * 2}}})_(?P<secret>[A-Za-z0-9_-]{{16,}})")
#: Digested in place of the secret when the token is malformed, so that path costs the same.
_DUMMY_SECRET = "atrium-malformed-token"  # noqa: S105


class InvalidToken(Exception):
    """The presented token does not authenticate anyone."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    #: The full token, shown to its owner once and never stored.
    plaintext: str


def digest(secret: str, *, pepper: str | None = None) -> str:
    """HMAC-SHA256 of ``secret`` keyed with the pepper (``settings.API_TOKEN_PEPPER`` by default)."""
    pepper = settings.API_TOKEN_PEPPER if pepper is None else pepper
    if not pepper:
        # An empty key would make the digest a plain hash anyone holding the database can attack.
        raise ImproperlyConfigured("API_TOKEN_PEPPER is empty: API tokens cannot be issued or checked.")
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def create_token(user, *, name: str, read_only: bool = True, expires_in_days: int | None = None) -> IssuedToken:
    """Issue a token for ``user``; the plaintext is in the result and nowhere else.

    Raises ``ValueError`` for an empty or too long name and for an expiry outside
    1..``MAX_EXPIRY_DAYS`` days (``None`` means the token never expires).
    """
    name = (name or "").strip()
    if not name:
        raise ValueError("A token needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"A token name has at most {MAX_NAME_LENGTH} characters.")
    if expires_in_days is not None and (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= MAX_EXPIRY_DAYS
    ):
        raise ValueError(f"Expiry must be a whole number of days between 1 and {MAX_EXPIRY_DAYS}.")
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    now = timezone.now()
    expires = now + datetime.timedelta(days=expires_in_days) if expires_in_days is not None else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_id=key_id,
            digest=digest(secret),
            read_only=read_only,
            expires=expires,
        )
    return IssuedToken(token=token, plaintext=f"{PREFIX}_{key_id}_{secret}")


def revoke_token(token: ApiToken) -> bool:
    """Revoke ``token``; returns False when it was already revoked.

    The row is locked, so two concurrent revocations record one revocation time, not two.
    """
    with transaction.atomic():
        current = ApiToken.objects.select_for_update().get(pk=token.pk)
        if current.revoked is not None:
            token.revoked = current.revoked
            return False
        current.revoked = timezone.now()
        current.save(update_fields=["revoked"])
    token.revoked = current.revoked
    return True


def authenticate(plaintext: str) -> ApiToken:
    """Return the active token (with its user) for ``plaintext`` or raise :class:`InvalidToken`."""
    match = None
    if isinstance(plaintext, str) and len(plaintext) <= MAX_TOKEN_LENGTH:
        match = _TOKEN_RE.fullmatch(plaintext)
    candidate = None
    secret = _DUMMY_SECRET
    if match is not None:
        secret = match["secret"]
        candidate = ApiToken.objects.select_related("user").filter(key_id=match["key_id"]).first()
    # Compare against a digest even when no row matched, so timing does not reveal valid key ids.
    expected = candidate.digest if candidate is not None else digest("atrium-no-such-token")
    valid_secret = hmac.compare_digest(expected, digest(secret))
    if candidate is None or not valid_secret or not candidate.is_active or not candidate.user.is_active:
        raise InvalidToken
    _touch(candidate)
    return candidate


def _touch(token: ApiToken) -> None:
    """Record the use, at most once per ``LAST_USED_RESOLUTION`` even under concurrent calls."""
    now = timezone.now()
    if token.last_used is not None and now - token.last_used < LAST_USED_RESOLUTION:
        return
    # Conditional UPDATE: of several requests racing here, only the first one writes.
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used__isnull=True) | Q(last_used__lte=now - LAST_USED_RESOLUTION))
        .update(last_used=now)
    )
    if updated:
        token.last_used = now
