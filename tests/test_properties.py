"""Arbitrary config and cache contents never crash the credential process.

The properties call the console entry point in this process (the code the script
runs, without its start-up cost) with HOME, the config file and the endpoints
pointed at a scratch directory and the emulator. For every input the exit code
is one of the documented failures or 0, no traceback appears, and stdout is
either empty or exactly one credential document.
"""

import contextlib
import io
import json
import os
import shutil
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SESSION_CONFIG, Home
from credential_process.emulator import Emulator
from credential_process.entry import main

EXIT_CODES = {0, 2, 3, 4, 5}
ARGUMENTS = ["--profile", "dev-sso", "--no-login"]
EXAMPLES = settings(
    max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture,
                           HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def shared_emulator():
    with Emulator() as running:
        yield running


@pytest.fixture
def scratch(tmp_path, shared_emulator):
    home = Home(tmp_path / "home", shared_emulator.url)
    home.write_config(SESSION_CONFIG)
    return home


def run_in_process(home, arguments=ARGUMENTS):
    """Run the entry point with ``home``'s environment; return code, stdout, stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(home.env)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(arguments)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, stdout.getvalue(), stderr.getvalue()


def assert_contract(code, stdout, stderr):
    assert code in EXIT_CODES, stderr
    assert "Traceback" not in stderr
    assert "unexpected error" not in stderr
    if code != 0:
        assert stdout == ""
        return
    assert stdout.endswith("\n")
    assert stdout.count("\n") == 1
    document = json.loads(stdout)
    assert document["Version"] == 1
    assert isinstance(document["AccessKeyId"], str)
    assert isinstance(document["SecretAccessKey"], str)
    assert isinstance(document["SessionToken"], str)


KEYS = ["sso_session", "sso_start_url", "sso_region", "sso_account_id",
        "sso_role_name", "sso_registration_scopes", "credential_process",
        "endpoint_url", "services", "region", "ca_bundle"]
VALUES = st.one_of(
    st.sampled_from([
        "my-sso", "https://example.awsapps.com/start", "http://example.com",
        "us-east-1", "111122223333", "ReadOnly", "sso:account:access", "",
        "https://example.awsapps.com/start#/", "a ; b # c", "'quoted'", "\"x y\"",
        "%(interpolate)s", "\\", "\u00e9\u4e2d", "http://127.0.0.1:1",
    ]),
    st.text(max_size=30).map(lambda text: text.replace("\n", " ").replace("\r", " ")),
)
HEADERS = st.one_of(
    st.sampled_from([
        "[profile dev-sso]", "[sso-session my-sso]", "[default]", "[profile default]",
        "[services local]", "[profile]", "[sso-session]", "[profile dev-sso extra]",
        '[profile "dev-sso"]', "[ profile dev-sso ]", "[]",
    ]),
    st.text(max_size=20).map(lambda text: "[" + text.replace("\n", "") + "]"),
)
LINES = st.one_of(
    st.tuples(st.sampled_from(KEYS), VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.tuples(st.sampled_from(KEYS), VALUES).map(lambda kv: f"  {kv[0]} = {kv[1]}"),
    st.sampled_from(["# comment", "; comment", "no equals sign", "=", "  indented"]),
)
SECTIONS = st.tuples(HEADERS, st.lists(LINES, max_size=6)).map(
    lambda section: "\n".join([section[0], *section[1]])
)
VALID_CONFIG = textwrap.dedent(SESSION_CONFIG)


def insert_into_profile(lines):
    """Return the working config with ``lines`` added to [profile dev-sso]."""
    header = "[profile dev-sso]\n"
    return VALID_CONFIG.replace(header, header + "".join(f"{x}\n" for x in lines))


CONFIG_TEXTS = st.one_of(
    st.lists(SECTIONS, max_size=5).map("\n".join),
    st.lists(LINES, min_size=1, max_size=3).map(insert_into_profile),
    st.text(max_size=200),
)


@EXAMPLES
@given(text=CONFIG_TEXTS)
def test_any_config_keeps_contract(scratch, text):
    scratch.config_file.write_text(text)
    assert_contract(*run_in_process(scratch))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
TOKEN_FIELDS = ["startUrl", "region", "accessToken", "expiresAt", "clientId",
                "clientSecret", "registrationExpiresAt", "refreshToken"]
ROLE_FIELDS = ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
TIMESTAMPS = st.sampled_from([
    "2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "soon", "", "2099-01-01T00:00:00",
    "2099-01-01T00:00:00UTC", "2099-01-01T00:00:00.123+01:00", "9999-99-99T99:99:99Z",
])


def mutated(record, fields):
    """Return a strategy of ``record`` with some fields replaced or removed."""
    changes = st.dictionaries(
        st.sampled_from(fields), st.one_of(JSON_VALUES, TIMESTAMPS, st.just(None)),
        max_size=4,
    )
    removals = st.sets(st.sampled_from(fields), max_size=3)

    def apply(change):
        replaced, removed = change
        document = dict(record, **replaced)
        for field in removed:
            document.pop(field, None)
        return json.dumps(document)

    return st.tuples(changes, removals).map(apply)


def cache_contents(record, fields):
    return st.one_of(
        mutated(record, fields),
        st.binary(max_size=200).map(lambda data: data.decode("latin-1")),
        JSON_VALUES.map(json.dumps),
        st.just(json.dumps(record)).map(lambda text: text + "}"),
        st.just(json.dumps(record)).map(lambda text: text[: len(text) // 2]),
    )


@pytest.fixture(scope="module")
def token_record(shared_emulator):
    issued = shared_emulator.issue_token(expires_in=3600)
    return {
        "startUrl": "https://example.awsapps.com/start", "region": "us-east-1",
        "accessToken": issued["accessToken"], "expiresAt": "2099-01-01T00:00:00Z",
        "clientId": issued["clientId"], "clientSecret": issued["clientSecret"],
        "registrationExpiresAt": "2099-01-01T00:00:00Z",
        "refreshToken": issued["refreshToken"],
    }


@EXAMPLES
@given(data=st.data())
def test_any_token_file_keeps_contract(scratch, token_record, data):
    content = data.draw(cache_contents(token_record, TOKEN_FIELDS))
    shutil.rmtree(scratch.aws / "cli", ignore_errors=True)
    scratch.write_json(scratch.token_file(), content)
    assert_contract(*run_in_process(scratch))


ROLE_RECORD = {"ProviderType": "sso", "Credentials": {
    "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret",
    "SessionToken": "session", "Expiration": "2099-01-01T00:00:00Z",
}}


@settings(EXAMPLES, max_examples=100)
@given(data=st.data())
def test_any_role_file_keeps_contract(scratch, token_record, data):
    credentials = data.draw(cache_contents(ROLE_RECORD["Credentials"], ROLE_FIELDS))
    content = data.draw(st.one_of(
        st.just('{"ProviderType": "sso", "Credentials": ' + credentials + "}"),
        cache_contents(ROLE_RECORD, ["ProviderType", "Credentials"]),
    ))
    scratch.write_json(scratch.token_file(), token_record)
    scratch.write_json(scratch.role_file(), content)
    assert_contract(*run_in_process(scratch))
