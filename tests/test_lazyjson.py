"""lazyjson gives the results and errors of the json package."""

import json
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from credential_process import lazyjson

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
WHITESPACE = st.text(alphabet=" \t\n\r\x0c\xa0", max_size=3)
DOCUMENT_TEXT = st.one_of(
    st.builds(
        lambda before, value, ascii_only, after: before
        + json.dumps(value, ensure_ascii=ascii_only) + after,
        WHITESPACE, JSON_VALUES, st.booleans(), WHITESPACE,
    ),
    st.text(alphabet='{}[]":,.-+eE0123456789 \\ntrufalsNIiy\ufeff', max_size=20),
)


def outcome(function, text):
    """Return the repr of the result, or the type and message of the error."""
    try:
        return repr(function(text))
    except Exception as error:  # Any error must be the same error.
        return type(error).__name__, str(error)


@settings(max_examples=800)
@given(DOCUMENT_TEXT)
def test_loads_matches_json(text):
    assert outcome(lazyjson.loads, text) == outcome(json.loads, text)


FLAT_VALUES = st.one_of(
    st.text(), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=500)
@given(
    st.dictionaries(st.text(max_size=8), FLAT_VALUES, max_size=6),
    st.sampled_from([(", ", ": "), (",", ":")]),
    st.booleans(),
)
def test_dumps_object_matches_json(document, separators, sort_keys):
    expected = json.dumps(document, separators=separators, sort_keys=sort_keys)
    assert lazyjson.dumps_object(document, separators, sort_keys) == expected


def test_dumps_object_escapes_like_json():
    document = {"Token": 'a"b\\c\n\u00e9\U0001f600/', "Version": 1}
    assert lazyjson.dumps_object(document) == json.dumps(document)


def test_loads_rejects_trailing_data():
    assert outcome(lazyjson.loads, '{"a": 1} x') == outcome(json.loads, '{"a": 1} x')


def test_loads_error_in_fresh_process():
    # The json package is not loaded yet, as on a cache hit.
    script = (
        "import sys; from credential_process import lazyjson\n"
        "try:\n    lazyjson.loads('{\"a\": x}')\n"
        "except ValueError as error:\n    print(type(error).__name__, error)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True)
    assert result.stderr == ""
    expected = "JSONDecodeError Expecting value: line 1 column 7 (char 6)\n"
    assert result.stdout == expected
