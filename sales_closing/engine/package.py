"""Integrity of closing packages: canonical JSON, hashes, hash chain and diff.

A closing package is a JSON-compatible snapshot (dicts, lists, strings,
numbers, booleans, ``None``, plus ``Decimal``, ``date`` and ``datetime``).
Its *content hash* is the SHA-256 of its canonical JSON form.  Each package
also stores a *chain hash* computed from its content hash and the chain hash
of the previous package of the same company, so that altering, removing or
inserting an older package breaks every later link.

This module is pure Python (stdlib only) and never imports Odoo.
"""

import hashlib
import json
import math
import re
from datetime import date, datetime, time
from decimal import Decimal

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHAIN_SEPARATOR = "\n"


def _decimal_text(value):
    """Return a canonical fixed-point string for a finite ``Decimal``.

    Equal values give equal strings: ``Decimal("1.50")`` and
    ``Decimal("1.5")`` both give ``"1.5"``, ``Decimal("1E+2")`` gives
    ``"100"`` and negative zero gives ``"0"``.
    """
    if not value.is_finite():
        raise ValueError(f"Cannot serialise the non-finite amount {value}.")
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scalar_text(value):
    """Return the canonical string of a Decimal, datetime, date or time."""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise TypeError(
        f"Cannot serialise a value of type {type(value).__name__} in a closing package."
    )


def _key_text(key):
    """Return the string form of a dict key, as JSON would write it."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return json.dumps(key)
    return _scalar_text(key)


def _normalise(value):
    """Return ``value`` with only plain JSON types, ready for ``json.dumps``.

    Decimals, dates and datetimes become strings, tuples become lists and
    dict keys become strings.  Raises ``ValueError`` when two keys of one
    dict collide once converted (for example ``1`` and ``"1"``) or when a
    float is not finite, and ``TypeError`` for unsupported types.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Cannot serialise the non-finite number {value}.")
        return value
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            text = _key_text(key)
            if text in result:
                raise ValueError(f"Two keys of one mapping both serialise to {text!r}.")
            result[text] = _normalise(item)
        return result
    if isinstance(value, (list, tuple)):
        return [_normalise(item) for item in value]
    return _scalar_text(value)


def canonical_json(data):
    """Return the canonical UTF-8 JSON encoding of ``data`` as bytes.

    Keys are sorted, separators carry no whitespace, non-ASCII characters
    are kept as UTF-8, ``Decimal`` values become normalised fixed-point
    strings and dates/datetimes become ISO 8601 strings.  The same data
    always gives the same bytes, and data reloaded from the JSON (where
    those values are now strings) gives the same bytes again.
    """
    text = json.dumps(
        _normalise(data),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def _sha256_hex(payload):
    """Return the hexadecimal SHA-256 digest of ``payload`` bytes."""
    return hashlib.sha256(payload).hexdigest()


def content_hash(data):
    """Return the hexadecimal SHA-256 of the canonical JSON of ``data``."""
    return _sha256_hex(canonical_json(data))


def _check_hash(value, label, allow_empty=False):
    """Raise ``ValueError`` unless ``value`` is a lowercase 64-digit hex hash."""
    if allow_empty and not value:
        return
    if not isinstance(value, str) or not _HEX64.match(value):
        raise ValueError(f"The {label} must be a 64-character lowercase hex SHA-256.")


def chain_hash(content_hash_value, previous_chain_hash=""):
    """Return the chain hash linking a package to the previous one.

    ``previous_chain_hash`` is the chain hash of the company's previous
    package, or ``""`` (or ``None``) for the first package of the chain.
    """
    previous = previous_chain_hash or ""
    _check_hash(content_hash_value, "content hash")
    _check_hash(previous, "previous chain hash", allow_empty=True)
    payload = f"{previous}{_CHAIN_SEPARATOR}{content_hash_value}"
    return _sha256_hex(payload.encode("ascii"))


def file_hash(payload):
    """Return the hexadecimal SHA-256 of a file's bytes."""
    if isinstance(payload, str):
        raise TypeError("file_hash expects bytes, not text; encode it first.")
    return _sha256_hex(bytes(payload))


def _hash_problem(value, label, optional=False):
    """Return a sentence when ``value`` is a missing or malformed hash, else ''."""
    if not value:
        return "" if optional else f"The {label} is missing."
    if not isinstance(value, str) or not _HEX64.match(value):
        return f"The {label} is not a valid SHA-256 value."
    return ""


def verify(package_data, stored_content_hash, stored_chain_hash, previous_chain_hash):
    """Check a stored package against its hashes and return the problems.

    Returns an empty list when the package is intact.  Otherwise each item
    is a plain-English sentence naming what does not match:

    * the data no longer matches the stored content hash (the snapshot was
      edited after the close);
    * the stored chain hash does not match the stored content hash and the
      previous package's chain hash (the hashes were rewritten, or the
      previous package of the chain was altered, removed or replaced);
    * a stored hash is missing or malformed.
    """
    previous = previous_chain_hash or ""
    problems = [
        problem
        for problem in (
            _hash_problem(stored_content_hash, "stored content hash"),
            _hash_problem(stored_chain_hash, "stored chain hash"),
            _hash_problem(previous, "previous package's chain hash", optional=True),
        )
        if problem
    ]
    try:
        actual = content_hash(package_data)
    except (TypeError, ValueError) as error:
        problems.append(f"The package data cannot be serialised: {error}")
        actual = None
    if problems:
        return problems
    if actual != stored_content_hash:
        problems.append(
            "The package data does not match its stored content hash: "
            "the snapshot was changed after it was sealed."
        )
    if chain_hash(stored_content_hash, previous) != stored_chain_hash:
        problems.append(
            "The stored chain hash does not match the content hash and the "
            "previous package's chain hash: the hashes were rewritten or the "
            "previous package in the chain was altered, removed or replaced."
        )
    return problems


def verify_chain(packages):
    """Verify a company's packages in chain order and return the problems.

    ``packages`` is an iterable of ``(label, package_data, content_hash,
    chain_hash)`` tuples, oldest first; the first one must start the chain.
    Each problem is prefixed with the label of the package it concerns.
    """
    problems = []
    previous = ""
    for label, data, stored_content, stored_chain in packages:
        for problem in verify(data, stored_content, stored_chain, previous):
            problems.append(f"{label}: {problem}")
        previous = stored_chain or ""
    return problems


# Content hash formats: 1 hashed the snapshot and the file hashes only
# (packages sealed before issue #19); 2 also hashes every sealed field of the
# package record (ids, version, dates, diff, previous package and hash).
LEGACY_HASH_VERSION = 1
HASH_VERSION = 2


def sealed_content(snapshot, files, record=None):
    """Return the data whose hash is a package's content hash.

    ``files`` maps a file name to its hash.  Without ``record`` (the sealed
    fields of the package row) this is the legacy format 1; with it,
    format 2, which also covers the row itself.
    """
    content = {"snapshot": snapshot, "files": files}
    if record is not None:
        content["hash_version"] = HASH_VERSION
        content["package"] = record
    return content


def versions_in_sequence(versions):
    """Whether ``versions`` are exactly 1..n, each once (no gap, no double)."""
    return sorted(versions) == list(range(1, len(versions) + 1))


def _list_keys(items):
    """Return the 'key' values of a list of dicts, or None if not keyed.

    A list is keyed when every element is a dict with a ``key`` entry and
    those keys are distinct.
    """
    if not items or not all(isinstance(item, dict) and "key" in item for item in items):
        return None
    keys = [_key_text(item["key"]) for item in items]
    if len(set(keys)) != len(keys):
        return None
    return keys


def _flatten(value, path, out):
    """Store the leaves of ``value`` into ``out`` as ``path -> leaf``."""
    if isinstance(value, dict) and value:
        for key in sorted(value, key=_key_text):
            name = _key_text(key)
            _flatten(value[key], f"{path}.{name}" if path else name, out)
    elif isinstance(value, (list, tuple)) and value:
        keys = _list_keys(value)
        for index, item in enumerate(value):
            segment = keys[index] if keys is not None else str(index)
            _flatten(item, f"{path}[{segment}]", out)
    else:
        out[path] = value


def flatten(data):
    """Return ``{path: leaf}`` for a nested snapshot.

    Paths join dict keys with ``.`` and list positions with ``[i]``; a list
    whose elements are all dicts with distinct ``key`` values is indexed by
    that key instead (``lines[INV/2026/0001].amount``), so inserting a row
    does not shift the others.  Empty dicts and lists are leaves.
    """
    out = {}
    _flatten(data, "", out)
    return out


def _comparable(value):
    """Return a value comparable across fresh and JSON-reloaded snapshots."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (Decimal, datetime, date, time)):
        return _scalar_text(value)
    return value


def diff(snapshot_v1, snapshot_v2):
    """Return ``[(path, old, new)]`` for every leaf that differs.

    Paths come from :func:`flatten`.  A leaf present in only one snapshot
    has ``None`` on the other side.  Decimals and dates are compared through
    their canonical strings, so ``Decimal("1.50")`` equals ``"1.5"`` read
    back from a stored package.  Rows follow the order of the first
    snapshot, then the paths only found in the second one.
    """
    old = flatten(snapshot_v1)
    new = flatten(snapshot_v2)
    missing = object()
    changes = []
    for path in list(old) + [path for path in new if path not in old]:
        before = old.get(path, missing)
        after = new.get(path, missing)
        if missing in (before, after) or _comparable(before) != _comparable(after):
            changes.append(
                (
                    path,
                    None if before is missing else before,
                    None if after is missing else after,
                )
            )
    return changes
