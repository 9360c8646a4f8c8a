"""Who a template is for: its ``atrium.dev/allowed-groups`` annotation (read by the rules and the pages)."""

from __future__ import annotations

import re

ALLOWED_GROUPS_ANNOTATION = "atrium.dev/allowed-groups"
_GROUP_REF = re.compile(r"^group:[^\s:/]+/[^\s:/]+$", re.IGNORECASE)


def allowed_groups(template: dict) -> tuple[set[str], list[str]] | None:
    """The annotation ``atrium.dev/allowed-groups``: (valid group refs lower-cased, unreadable entries), or
    None when the template has no such annotation (everyone signed in may run it)."""
    metadata = template.get("metadata") if isinstance(template, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get(ALLOWED_GROUPS_ANNOTATION) if isinstance(annotations, dict) else None
    if value is None:
        return None
    valid: set[str] = set()
    invalid: list[str] = []
    for item in str(value).split(","):
        item = item.strip()
        if not item:
            continue
        (valid.add(item.lower()) if _GROUP_REF.match(item) else invalid.append(item))
    return valid, invalid
