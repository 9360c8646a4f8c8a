"""Durations as the pages show them, shared by every app's run and task pages."""

from __future__ import annotations

import datetime


def duration(start: datetime.datetime | None, end: datetime.datetime | None) -> str:
    """``1 min 5 s``, ``12 s``, ``0.4 s`` (empty when it has not started, or has no end yet)."""
    if start is None or end is None:
        return ""
    seconds = max((end - start) / datetime.timedelta(seconds=1), 0)
    if seconds < 10:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
