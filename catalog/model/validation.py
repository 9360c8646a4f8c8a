"""Validation of one descriptor document against Backstage's rules, without a database.

The rules are those a Backstage catalog (catalog-model 1.10.1, catalog-backend 4.0.0) applies to an
entity read from a file: the ``Entity`` and ``EntityMeta`` schemas, the default entity policies
(no top-level fields but apiVersion, kind, metadata and spec; the field formats of
``FieldFormatEntityPolicy``), the schema of the entity's kind and apiVersion (an entity no kind
recognises is refused), the parsing of every reference its kind's processor reads, and the search
table's refusal of keys that differ only in letter case. Backstage stops at the first problem; this
collects all of them, at most one per path.

Validation runs on the document as the catalog will store it: after ``$text``/``$json``/``$yaml``
substitution, so a ``definition`` that is still a ``{"$text": ...}`` mapping is reported as such.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import unquote

from .kinds import (
    KNOWN_KINDS,
    METADATA_SCHEMA,
    ROOT_FIELDS,
    ROOT_SCHEMA,
    SPEC_SCHEMAS,
    check,
    describe,
    join,
    ref_fields,
)
from .refs import DEFAULT_NAMESPACE, RefError, parse_ref
from .search import case_conflicts

__all__ = ["KNOWN_KINDS", "Problem", "validate_entity"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a dotted path, "" for the whole document) and what."""

    path: str
    message: str


# --- the formats of Backstage's validators (KubernetesValidatorFunctions, makeValidator) ----------

_OBJECT_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_LABEL = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$")
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
_KIND = re.compile(r"^[a-zA-Z][a-z0-9A-Z]*$")
_VERSION = re.compile(r"^[a-z0-9A-Z]+$")

NAME_RULE = "a string of 1-63 characters of [a-zA-Z0-9], separated by [-_.]"
NAMESPACE_RULE = "a string of 1-63 characters of [a-z0-9], separated by [-]"
TAG_RULE = "a string of 1-63 characters of [a-z0-9:+#], separated by [-]"
KIND_RULE = "a letter followed by letters and digits, at most 63 characters (e.g. Component)"
API_VERSION_RULE = (
    "an optional DNS subdomain prefix and '/', then 1-63 characters of [a-zA-Z0-9] (e.g. backstage.io/v1alpha1)"
)
KEY_RULE = f"an optional DNS subdomain prefix (e.g. example.com) and '/', then {NAME_RULE}"
LABEL_VALUE_RULE = f"an empty string or {NAME_RULE}"
URL_RULE = "an absolute URL (e.g. https://example.com/docs)"


def is_valid_object_name(value: str) -> bool:
    return 1 <= len(value) <= 63 and _OBJECT_NAME.match(value) is not None


def is_valid_dns_label(value: str) -> bool:
    return 1 <= len(value) <= 63 and _DNS_LABEL.match(value) is not None


def is_valid_dns_subdomain(value: str) -> bool:
    return 1 <= len(value) <= 253 and all(is_valid_dns_label(part) for part in value.split("."))


def is_valid_tag(value: str) -> bool:
    return 1 <= len(value) <= 63 and _TAG.match(value) is not None


def is_valid_kind(value: str) -> bool:
    return 1 <= len(value) <= 63 and _KIND.match(value) is not None


def _prefix_and_or_suffix(value: str, suffix_ok) -> bool:
    parts = value.split("/")
    if len(parts) == 1:
        return suffix_ok(parts[0])
    return len(parts) == 2 and is_valid_dns_subdomain(parts[0]) and suffix_ok(parts[1])


def is_valid_api_version(value: str) -> bool:
    return _prefix_and_or_suffix(value, lambda part: 1 <= len(part) <= 63 and _VERSION.match(part) is not None)


def is_valid_key(value: str) -> bool:
    """A label or annotation key: ``[<dns-subdomain>/]<object-name>``."""
    return _prefix_and_or_suffix(value, is_valid_object_name)


def is_valid_label_value(value: str) -> bool:
    return value == "" or is_valid_object_name(value)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(.*)$", re.DOTALL)
_SPECIAL_SCHEMES = {"http", "https", "ws", "wss", "ftp", "file"}
_FORBIDDEN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | {chr(code) for code in range(0x20)} | {"%", "\x7f"}
_IPV4_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")


def _ipv4_number(part: str) -> int | None:
    if not _IPV4_PART.match(part):
        return None
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part[1:], 8)
    return int(part)


def _is_valid_ipv4(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return False
    found = [_ipv4_number(part) for part in parts]
    numbers = [number for number in found if number is not None]
    if len(numbers) != len(found):
        return False
    if any(number > 255 for number in numbers[:-1]):
        return False
    return numbers[-1] < 256 ** (5 - len(numbers))


def _ends_in_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return (last != "" and last.isascii() and last.isdigit()) or re.fullmatch(r"0[xX][0-9a-fA-F]*", last) is not None


def _is_valid_domain(host: str) -> bool:
    """A special URL's host, as the WHATWG parser reads it (IDNA handled approximately)."""
    if host.startswith("["):
        return host.endswith("]") and re.fullmatch(r"[0-9A-Fa-f:.]+", host[1:-1]) is not None and ":" in host
    host = unquote(host)
    if not host.isascii():
        try:
            host = ".".join(label.encode("idna").decode("ascii") if label else "" for label in host.split("."))
        except UnicodeError:
            return False
    host = host.lower()
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return False
            if not decoded or not decoded.isprintable():
                return False
    if not host or any(char in _FORBIDDEN_DOMAIN for char in host):
        return False
    return _is_valid_ipv4(host) if _ends_in_number(host) else True


def _is_valid_port(port: str) -> bool:
    return port == "" or (port.isascii() and port.isdigit() and int(port) <= 65535)


def _split_host_port(authority: str) -> tuple[str, str | None]:
    """(host, port) of an authority; the port is None when something but a port follows the host,
    and "" when there is none (or an empty one)."""
    host = authority.rpartition("@")[2]
    if host.startswith("[") and "]" in host:
        closing = host.index("]")
        rest = host[closing + 1 :]
        return host[: closing + 1], (rest[1:] if rest.startswith(":") else (None if rest else ""))
    host, _, port = host.partition(":")
    return host, port


def is_valid_url(value: str) -> bool:
    """Whether the WHATWG URL parser (``new URL(value)``, Backstage's check) accepts ``value``: a scheme,
    then for http(s), ws(s), ftp and file, and for any URL with an ``//`` authority, a valid host and port.
    (International domain names are checked with Python's IDNA 2003 codec, close to UTS 46.)"""
    text = value.strip("".join(chr(code) for code in range(0x21)))
    text = text.replace("\t", "").replace("\n", "").replace("\r", "")
    match = _SCHEME.match(text)
    if match is None:
        return False
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme == "file":
        if not re.match(r"^[/\\]{2}", rest):
            return True
        host = re.split(r"[/\\?#]", rest[2:], maxsplit=1)[0]
        return host == "" or _is_valid_domain(host)
    if scheme in _SPECIAL_SCHEMES:
        authority = re.split(r"[/\\?#]", rest.lstrip("/\\"), maxsplit=1)[0]
        host, port = _split_host_port(authority)
        return port is not None and _is_valid_port(port) and host != "" and _is_valid_domain(host)
    if not rest.startswith("//"):
        return True
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    host, port = _split_host_port(authority)
    if port is None or not _is_valid_port(port):
        return False
    if host == "":
        return authority == ""
    if host.startswith("["):
        return _is_valid_domain(host)
    return not any(char in _FORBIDDEN_HOST for char in host)


# --- the checks ----------------------------------------------------------------------------------


def _show(value: object) -> str:
    return f'"{value}"'


def _json_problems(value: object, path: str, report) -> None:
    """Report what JSON cannot hold (the catalog stores entities as JSON, as Backstage does)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                report(join(path, key), f"{join(path, key)}: the key {key!r} is not a string; quote it in the YAML")
                continue
            if "\x00" in key:
                shown = join(path, key.replace("\x00", "\\0"))
                report(shown, f"{shown}: the key contains a NUL character (\\0), which the catalog cannot store")
                continue
            _json_problems(item, join(path, key), report)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_problems(item, join(path, index), report)
    elif isinstance(value, str) and "\x00" in value:
        report(path, f"{path or 'the document'} contains a NUL character (\\0), which the catalog cannot store")
    elif isinstance(value, float) and not math.isfinite(value):
        report(path, f"{path or 'the document'} is {value}, which JSON cannot hold")
    elif isinstance(value, datetime | date | time):
        report(
            path,
            f"{path} is {describe(value)}, which JSON cannot hold; quote it in the YAML to keep it as text",
        )
    elif value is not None and not isinstance(value, str | bool | int | float):
        report(path, f"{path or 'the document'} is {describe(value)}, which JSON cannot hold")


def _check_formats(data: dict, metadata: dict | None, report) -> None:
    """The field formats of Backstage's FieldFormatEntityPolicy, on fields that have the right type."""
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if isinstance(api_version, str) and api_version and not is_valid_api_version(api_version):
        report("apiVersion", f"apiVersion {_show(api_version)} is not valid; expected {API_VERSION_RULE}")
    if isinstance(kind, str) and kind and not is_valid_kind(kind):
        report("kind", f"kind {_show(kind)} is not valid; expected {KIND_RULE}")
    if metadata is None:
        return
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if isinstance(name, str) and name and not is_valid_object_name(name):
        report("metadata.name", f"metadata.name {_show(name)} is not valid; expected {NAME_RULE}")
    if isinstance(namespace, str) and namespace and not is_valid_dns_label(namespace):
        report("metadata.namespace", f"metadata.namespace {_show(namespace)} is not valid; expected {NAMESPACE_RULE}")
    for field in ("labels", "annotations"):
        mapping = metadata.get(field)
        if not isinstance(mapping, dict):
            continue
        for key, value in mapping.items():
            path = f"metadata.{field}.{key}"
            if not isinstance(key, str) or not is_valid_key(key):
                report(path, f"metadata.{field} key {_show(key)} is not valid; expected {KEY_RULE}")
            elif field == "labels" and isinstance(value, str) and not is_valid_label_value(value):
                report(path, f"{path} {_show(value)} is not valid; expected {LABEL_VALUE_RULE}")
    tags = metadata.get("tags")
    if isinstance(tags, list):
        for index, tag in enumerate(tags):
            if isinstance(tag, str) and tag and not is_valid_tag(tag):
                report(
                    f"metadata.tags.{index}", f"metadata.tags.{index} {_show(tag)} is not valid; expected {TAG_RULE}"
                )
    links = metadata.get("links")
    if isinstance(links, list):
        for index, link in enumerate(links):
            if not isinstance(link, dict):
                continue
            url = link.get("url")
            if isinstance(url, str) and url and not is_valid_url(url):
                path = f"metadata.links.{index}.url"
                report(path, f"{path} {_show(url)} is not valid; expected {URL_RULE}")
            for field in ("title", "icon"):
                value = link.get(field)
                if isinstance(value, str) and value and not value.strip():
                    path = f"metadata.links.{index}.{field}"
                    report(path, f"{path} must not be blank")


def _check_kind(data: dict, report) -> str | None:
    """The kind and apiVersion must name a known kind; returns the kind when its spec can be checked."""
    kind, api_version = data.get("kind"), data.get("apiVersion")
    if not isinstance(kind, str) or not is_valid_kind(kind):
        return None
    if kind not in KNOWN_KINDS:
        known = ", ".join(sorted(KNOWN_KINDS, key=str.lower))
        hint = ""
        for candidate in KNOWN_KINDS:
            if candidate.lower() == kind.lower():
                hint = f" (kinds are case-sensitive: did you mean {candidate}?)"
        report("kind", f"kind {_show(kind)} is not a kind the catalog knows{hint}; expected one of: {known}")
        return None
    if not isinstance(api_version, str) or not is_valid_api_version(api_version):
        return None
    accepted = KNOWN_KINDS[kind]
    if api_version not in accepted:
        expected = " or ".join(sorted(accepted))
        report("apiVersion", f"apiVersion {_show(api_version)} is not valid for kind {kind}; expected {expected}")
        return None
    return kind


def _check_refs(data: dict, spec: dict, namespace: str, report) -> None:
    """Every reference the kind's processor reads must parse, with the field's default kind."""
    for field in ref_fields(data):
        value = spec.get(field.field)
        items = [(f"spec.{field.field}", value)] if isinstance(value, str) else []
        if isinstance(value, list):
            items = [(f"spec.{field.field}.{index}", item) for index, item in enumerate(value)]
        for path, item in items:
            if not isinstance(item, str) or not item:
                continue
            try:
                parse_ref(item, default_kind=field.default_kind, default_namespace=namespace)
            except RefError as error:
                report(path, f"{path} {_show(item)} is not a valid entity reference: {error}")


def validate_entity(data: object) -> list[Problem]:
    """All the problems of one descriptor document; ``[]`` when the catalog can accept it."""
    problems: list[Problem] = []
    seen: set[str] = set()

    def report(path: str, message: str) -> None:
        if path not in seen:
            seen.add(path)
            problems.append(Problem(path, message))

    if not isinstance(data, dict):
        report(
            "",
            f"the document must be a mapping with apiVersion, kind, metadata and spec, not {describe(data)}",
        )
        return problems

    _json_problems(data, "", report)
    check(ROOT_SCHEMA, data, "", report)
    for key in data:
        if key not in ROOT_FIELDS:
            report(
                str(key),
                f"{key} is not a known top-level field; a descriptor has only apiVersion, kind, metadata and spec",
            )

    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
    if metadata is not None:
        check(METADATA_SCHEMA, metadata, "metadata", report)
    _check_formats(data, metadata, report)

    kind = _check_kind(data, report)
    if kind is not None:
        spec = data.get("spec")
        if "spec" not in data:
            report("spec", f"spec is missing; it is required for kind {kind}")
        elif isinstance(spec, dict):
            check(SPEC_SCHEMAS[kind], spec, "spec", report, required_by=f"for kind {kind}")
            namespace = metadata.get("namespace") if metadata is not None else None
            if not isinstance(namespace, str) or not namespace:
                namespace = DEFAULT_NAMESPACE
            _check_refs(data, spec, namespace, report)

    for path, other in case_conflicts(data):
        report(path, f"{path} differs from {other} only in letter case; keys are compared without case, keep one")
    return problems
