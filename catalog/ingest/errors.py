"""Errors of catalog ingestion, and the problem records stored as ``LocationError`` rows."""

from __future__ import annotations

from dataclasses import dataclass


class ReadError(Exception):
    """A file or URL could not be read.

    ``missing``: it does not exist (its entities become orphans); ``transient``: it may work later
    (a timeout, an unreachable host, a 5xx), so what was read from it before is kept.
    """

    def __init__(
        self, message: str, *, missing: bool = False, transient: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.transient = transient
        #: Seconds the server asked to wait before trying again (``Retry-After``), if it said.
        self.retry_after = retry_after


class SubstitutionError(Exception):
    """A ``$text``, ``$json`` or ``$yaml`` placeholder could not be resolved; ``path`` is where."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class LocationFailure(Exception):
    """The location as a whole could not be read (its root is unreachable, missing, not allowed)."""

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class ConcurrentRefresh(Exception):
    """Another refresh of the same location finished while this one was reading; nothing was written."""


class ErrorKind:
    PARSE = "parse"
    VALIDATION = "validation"
    SUBSTITUTION = "substitution"
    READ = "read"
    CONFLICT = "conflict"


#: Kinds whose cause may lie outside the file's own bytes: a source with such an error is read
#: and processed again on the next refresh even when its content did not change.
VOLATILE_KINDS = frozenset({ErrorKind.SUBSTITUTION, ErrorKind.READ, ErrorKind.CONFLICT})


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a location: stored as a ``LocationError``."""

    kind: str
    message: str
    source_url: str = ""
    document_index: int | None = None
    line: int | None = None
    entity_ref: str = ""

    def where(self) -> str:
        if self.line:
            return f"{self.source_url}:{self.line}"
        return self.source_url or "(location)"

    def __str__(self) -> str:
        return f"{self.where()}: [{self.kind}] {self.message}"
