"""The answers of a form of several pages, carried from page to page in one hidden field, encrypted.

The token is ``portal.crypto`` (Fernet: encrypted and authenticated) over the answers, secrets included,
bound to the user and the template and valid for a day: the page never holds a secret in clear, the
session holds nothing, two tabs filling two forms do not mix, and a token cannot be altered or replayed
for another user or template.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from portal import crypto

#: How long a form may stay open between two pages.
MAX_AGE = 24 * 3600


@dataclass
class FormState:
    values: dict = field(default_factory=dict)
    #: Pages shown at least once (their defaults were filled in then, not again).
    seen: set[int] = field(default_factory=set)


def dump(state: FormState, *, user, template_ref: str) -> str:
    return crypto.encrypt_json(
        {"u": user.pk, "t": template_ref, "at": int(time.time()), "v": state.values, "s": sorted(state.seen)}
    )


def load(token: str, *, user, template_ref: str) -> FormState | None:
    """The state in ``token``; None when it is missing, altered, too old, or another user's or template's."""
    if not token:
        return None
    try:
        data = crypto.decrypt_json(token)
    except (crypto.DecryptionError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk or data.get("t") != template_ref:
        return None
    if not isinstance(data.get("at"), int) or time.time() - data["at"] > MAX_AGE:
        return None
    values = found if isinstance(found := data.get("v"), dict) else {}
    seen = {page for page in data.get("s") or [] if isinstance(page, int)}
    return FormState(values, seen)
