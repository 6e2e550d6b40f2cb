"""``json.loads`` and flat ``json.dumps`` without importing the ``json`` package.

``json.decoder`` and ``json.encoder`` import ``re``, which costs several
milliseconds per process, about a third of a cache hit. Both wrap the scanner and
the string encoder of the C module ``_json``, so calling those directly gives the
same results as ``json.loads`` and ``json.dumps``, which the tests check on
generated input. Any input handled nowhere here, and every error, goes through the
``json`` package, so the results and error messages stay those of ``json``.
"""

from __future__ import annotations

try:
    from _json import encode_basestring_ascii as _encode_string
    from _json import make_scanner as _make_scanner
except ImportError:  # pragma: no cover - interpreters without the C module
    _encode_string = _make_scanner = None

# The whitespace that json.decoder.WHITESPACE skips around a document.
_JSON_WHITESPACE = " \t\n\r"


class _DecoderSettings:
    """The attributes that ``_json.make_scanner`` reads from ``json.JSONDecoder()``."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {
        "-Infinity": float("-inf"),
        "Infinity": float("inf"),
        "NaN": float("nan"),
    }.__getitem__


_scan_once = _make_scanner(_DecoderSettings()) if _make_scanner else None


def loads(text: str):
    """Return ``json.loads(text)`` for a ``str``, raising the same errors."""
    if _scan_once is not None:
        start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
        try:
            value, end = _scan_once(text, start)
        except (StopIteration, ValueError, RecursionError, SystemError):
            # json.loads below raises the error with its usual message. Before
            # Python 3.12 the scanner looks up its error class in json.decoder and
            # raises SystemError when that module is not loaded yet.
            pass
        else:
            if not text[end:].strip(_JSON_WHITESPACE):
                return value
    import json

    return json.loads(text)


def dumps_object(document: dict, separators=(", ", ": "), sort_keys=False) -> str:
    """Return ``json.dumps(document, separators=separators, sort_keys=sort_keys)``.

    Objects whose keys are strings and whose values are strings or integers are
    encoded here; any other object goes to ``json.dumps``.
    """
    encoded = _encode_flat(document, separators, sort_keys)
    if encoded is not None:
        return encoded
    import json

    return json.dumps(document, separators=separators, sort_keys=sort_keys)


def _encode_flat(document: dict, separators, sort_keys: bool):
    if _encode_string is None or not isinstance(document, dict):
        return None
    item_separator, key_separator = separators
    items = list(document.items())
    if sort_keys:
        if not all(type(key) is str for key, _ in items):
            return None
        items.sort()
    members = []
    for key, value in items:
        if type(key) is not str:
            return None
        # Exact types only: json encodes bool as true/false and str and int
        # subclasses through their own methods.
        if type(value) is str:
            text = _encode_string(value)
        elif type(value) is int:
            text = int.__repr__(value)
        else:
            return None
        members.append(_encode_string(key) + key_separator + text)
    return "{" + item_separator.join(members) + "}"
