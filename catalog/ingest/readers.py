"""Reading bytes from a location's URLs: files and globs on disk, http(s) URLs, GitHub files.

Every place is named by a URL: ``file:/absolute/path`` (Backstage's form) for files, ``https://…``
otherwise. What may be read is contained:

* files only inside ``CATALOG_FILE_ROOTS`` (after ``..`` and symbolic links are resolved);
* GitHub URLs through the GitHub API (``catalog.ingest.github``);
* other http(s) URLs only on hosts of ``CATALOG_URL_ALLOWED_HOSTS``, redirects included, within
  ``CATALOG_READ_MAX_BYTES`` and ``CATALOG_READ_TIMEOUT``;
* a descriptor read from a URL never reaches a file on the server: a relative target resolves
  against its own URL.
"""

from __future__ import annotations

import datetime
import email.utils
import functools
import glob
import os
import stat
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from catalog.ingest import github
from catalog.ingest.errors import ReadError
from catalog.models import LocationType
from portal.integrations import localgit
from portal.paths import is_inside

FILE_PREFIX = "file:"
_CHUNK = 64 * 1024


def is_http(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def is_file(url: str) -> bool:
    return url.startswith(FILE_PREFIX)


def location_type(target: str) -> str:
    """The type of location a target names: ``https://github.com/ORG`` is organisation discovery,
    another http(s) URL is a URL location, anything else a file (a path or a glob)."""
    if is_http(target):
        try:
            github.parse_org_url(target)
        except ValueError:
            return LocationType.URL
        return LocationType.GITHUB_DISCOVERY
    return LocationType.FILE


def file_url(path: str) -> str:
    return FILE_PREFIX + path


def file_path(url: str) -> str:
    return url[len(FILE_PREFIX) :]


def has_magic(path: str) -> bool:
    return glob.has_magic(path)


# --- resolution and containment -----------------------------------------------------------------


def resolve(base_url: str | None, target: str) -> str:
    """The URL of ``target`` written in the descriptor at ``base_url`` (None: a registered target)."""
    target = target.strip()
    if not target:
        raise ReadError("The target is empty")
    if is_http(target):
        return target
    if urlsplit(target).scheme not in ("", "file") and not os.path.isabs(target):
        raise ReadError(f"{target} is neither a path nor an http(s) URL")
    if base_url is not None and is_http(base_url):
        if target.startswith(FILE_PREFIX):
            raise ReadError(f"A descriptor read from {base_url} cannot refer to a file on the server ({target})")
        return urljoin(base_url, target)
    path = file_path(target) if target.startswith(FILE_PREFIX) else target
    if base_url is None:
        if not os.path.isabs(path):
            raise ReadError(f"{target} is not an absolute path")
        return file_url(os.path.normpath(path))
    return file_url(os.path.normpath(os.path.join(os.path.dirname(file_path(base_url)), path)))


@functools.lru_cache(maxsize=8)
def _real_roots(configured: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(os.path.realpath(root) for root in configured)


def roots() -> tuple[str, ...]:
    """``CATALOG_FILE_ROOTS``, and the working copies of the local git host's repositories (what golden paths
    register), resolved."""
    return _real_roots((*settings.CATALOG_FILE_ROOTS, str(localgit.checkout_root())))


def _inside_roots(path: str) -> bool:
    real = os.path.realpath(path)
    return any(is_inside(real, root) for root in roots())


def fixed_part(path: str) -> str:
    """``path`` itself, or for a glob its fixed leading folder (what must lie inside a root)."""
    if not has_magic(path):
        return path
    parts = path.split(os.sep)
    return os.sep.join(parts[: next(i for i, part in enumerate(parts) if has_magic(part))]) or os.sep


def check_file(path: str) -> None:
    """:class:`ReadError` unless ``path`` (or, for a glob, its fixed leading folder) is inside a root."""
    if not _inside_roots(fixed_part(path)):
        raise ReadError(
            f"{path} is outside the folders the catalog may read "
            f"(CATALOG_FILE_ROOTS: {', '.join(settings.CATALOG_FILE_ROOTS)})"
        )


def allowed_host(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = {entry.lower() for entry in settings.CATALOG_URL_ALLOWED_HOSTS}
    return host in allowed or f"{host}:{parts.port}" in allowed


def check_url(url: str) -> None:
    """:class:`ReadError` unless ``url`` is a GitHub file URL or an http(s) URL on an allowed host."""
    if not is_http(url):
        raise ReadError(f"{url} is not an http(s) URL")
    if github.is_github_url(url):
        github.parse_file_url(url)
        return
    if not allowed_host(url):
        raise ReadError(
            f"Reading {url} is not allowed: the host {urlsplit(url).hostname} is not in CATALOG_URL_ALLOWED_HOSTS"
        )


def expand(url: str) -> list[str]:
    """The files a URL names: the matches of a file glob (sorted), else the URL itself.

    Reading each match checks it again (a symbolic link may lead out of the roots).
    """
    if not is_file(url) or not has_magic(file_path(url)):
        return [url]
    pattern = file_path(url)
    check_file(pattern)
    return [
        file_url(os.path.normpath(match))
        for match in sorted(glob.glob(pattern, recursive=True))
        if os.path.isfile(match)
    ]


# --- reading ------------------------------------------------------------------------------------


def _too_large(url: str, size: int | None = None) -> ReadError:
    what = f"{size} bytes, " if size is not None else ""
    return ReadError(f"{url} is {what}larger than the limit of {settings.CATALOG_READ_MAX_BYTES} bytes")


def _read_file(url: str) -> bytes:
    path = file_path(url)
    check_file(path)
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            raise ReadError(f"{path} is not a file")
        if status.st_size > settings.CATALOG_READ_MAX_BYTES:
            raise _too_large(url, status.st_size)
        with open(path, "rb") as handle:
            data = handle.read(settings.CATALOG_READ_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ReadError(f"{path} does not exist", missing=True) from None
    except OSError as exc:
        raise ReadError(f"{path} cannot be read: {exc.strerror}") from None
    if len(data) > settings.CATALOG_READ_MAX_BYTES:
        raise _too_large(url)
    return data


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to an allowed host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        newurl = urljoin(req.full_url, newurl)
        if not is_http(newurl) or github.is_github_url(newurl) or not allowed_host(newurl):
            raise ReadError(f"{req.full_url} redirects to {newurl}, whose host is not in CATALOG_URL_ALLOWED_HOSTS")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


#: A ``Retry-After`` longer than this is not waited for (the kind's own backoff applies).
MAX_RETRY_AFTER = 3600


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    return max(1.0, seconds) if seconds <= MAX_RETRY_AFTER else None


def _timeout(url: str) -> ReadError:
    return ReadError(f"{url} did not answer within {settings.CATALOG_READ_TIMEOUT} s", transient=True)


def _read_http(url: str) -> bytes:
    check_url(url)
    limit = settings.CATALOG_READ_MAX_BYTES
    timeout = settings.CATALOG_READ_TIMEOUT
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_CheckedRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": "Atrium-catalog", "Accept": "*/*"})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise _too_large(url, int(length))
            chunks, total = [], 0
            while chunk := response.read1(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _too_large(url)
                if time.monotonic() > deadline:
                    raise _timeout(url)
                chunks.append(chunk)
    except urllib.error.HTTPError as exc:
        raise ReadError(
            f"{url} answered {exc.code} {exc.reason}",
            missing=exc.code in (404, 410),
            transient=exc.code >= 500 or exc.code == 429,
            retry_after=retry_after(exc.headers.get("Retry-After") if exc.headers else None),
        ) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _timeout(url) from None
        raise ReadError(f"{url} cannot be reached: {exc.reason}", transient=True) from None
    except TimeoutError:
        raise _timeout(url) from None
    except OSError as exc:
        raise ReadError(f"{url} cannot be read: {exc}", transient=True) from None
    return b"".join(chunks)


def read(url: str) -> bytes:
    """The bytes at ``url``, or :class:`ReadError` saying why not."""
    if is_file(url):
        return _read_file(url)
    if github.is_github_url(url):
        return github.read_file(url)
    if is_http(url):
        return _read_http(url)
    raise ReadError(f"{url} is neither a file: nor an http(s) URL")
