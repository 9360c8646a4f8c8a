"""Placeholders in descriptors: ``$text``, ``$json`` and ``$yaml``, as Backstage resolves them.

A mapping with exactly one key, ``$text``/``$json``/``$yaml``, whose value is a string, is replaced by
the content of the file or URL the string names, read relative to the descriptor's own location and
under the same containment as every other read (``catalog.ingest.readers``): a descriptor on GitHub
cannot read a file of the server, a file descriptor cannot leave ``CATALOG_FILE_ROOTS``, and a URL
must be on GitHub or an allowed host.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from catalog.ingest import readers
from catalog.ingest.errors import ReadError, SubstitutionError
from catalog.ingest.parsing import parse_single

RESOLVERS = ("text", "json", "yaml")
_MARKERS = tuple(f"${name}".encode() for name in RESOLVERS)
#: Bytes of substituted content kept for reuse during one refresh (a shared definition file).
CACHE_BYTES = 32 * 1024 * 1024


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def has_placeholders(data: bytes) -> bool:
    """Whether a file may hold placeholders: such a file is processed on every refresh, since what
    it includes may have changed while its own bytes did not."""
    return any(marker in data for marker in _MARKERS)


class Substituter:
    """Resolves placeholders for one refresh, reading each included file once."""

    def __init__(self, read: Callable[[str], bytes] = readers.read) -> None:
        self._read = read
        self._cache: dict[str, bytes | ReadError] = {}
        self._cached_bytes = 0

    def substitute(self, data, base_url: str, path: str = ""):
        """``data`` with every placeholder replaced (a new structure where something changed).

        :class:`SubstitutionError` carries the dotted path of the placeholder that failed.
        """
        if isinstance(data, list):
            return [self.substitute(item, base_url, _join(path, index)) for index, item in enumerate(data)]
        if not isinstance(data, dict):
            return data
        if len(data) == 1:
            ((key, value),) = data.items()
            if isinstance(key, str) and key[:1] == "$" and key[1:] in RESOLVERS and isinstance(value, str):
                try:
                    return self._resolve(key[1:], value, base_url)
                except SubstitutionError as exc:
                    raise SubstitutionError(str(exc), path=_join(path, key)) from None
        return {key: self.substitute(value, base_url, _join(path, key)) for key, value in data.items()}

    def _fetch(self, url: str) -> bytes:
        cached = self._cache.get(url)
        if cached is None:
            try:
                cached = self._read(url)
            except ReadError as exc:
                cached = exc
            size = len(cached) if isinstance(cached, bytes) else 0
            if self._cached_bytes + size <= CACHE_BYTES:
                self._cache[url] = cached
                self._cached_bytes += size
        if isinstance(cached, ReadError):
            raise cached
        return cached

    def _resolve(self, kind: str, target: str, base_url: str):
        where = f"${kind} {target!r}"
        try:
            url = readers.resolve(base_url, target)
        except ReadError as exc:
            raise SubstitutionError(f"{where}: {exc}") from None
        try:
            content = self._fetch(url)
        except ReadError as exc:
            raise SubstitutionError(f"${kind} could not be read: {exc}") from None
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SubstitutionError(f"{where}: {url} is not UTF-8 text") from None
        if kind == "text":
            return text
        if kind == "json":
            try:
                return json.loads(text)
            except ValueError as exc:
                raise SubstitutionError(f"{where}: {url} is not valid JSON ({exc})") from None
        try:
            return parse_single(content)
        except ValueError as exc:
            raise SubstitutionError(f"{where}: {url} is not one valid YAML document ({exc})") from None
