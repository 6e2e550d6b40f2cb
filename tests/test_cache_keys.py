"""Cache file names and timestamps must match the AWS CLI v2 and botocore exactly."""

import os
import subprocess
import sys

import pytest

from credential_process import cachefiles, timeutil

TOKEN_KEYS = [
    # botocore tests/unit/test_tokens.py and test_utils.py vectors
    ("admin", "d033e22ae348aeb5660fc2140aec35850c4da997"),
    ("https://d-abc123.awsapps.com/start", "40a89917e3175433e361b710a9d43528d7f1890a"),
    ("my-sso", "0ad374308c5a4e22f723adf10145eafad7c4031c"),
    ("https://example.awsapps.com/start", "e8be5486177c5b5392bd9aa76563515b29358e6e"),
    # The start URL is hashed byte for byte: a trailing "/" or "#" changes the file.
    ("https://example.awsapps.com/start/", "8be3a7791abdeea628d9fbf768cc17b92db6f738"),
    ("https://example.awsapps.com/start#/", "fce6462ed5b8bda828c0368fed3ece58786a0808"),
]


@pytest.mark.parametrize("identity,expected", TOKEN_KEYS)
def test_token_cache_key(identity, expected):
    assert cachefiles.token_cache_key(identity) == expected


REGISTRATION_KEYS = [
    ("https://d-abc123.awsapps.com/start", "us-east-1", None, "admin",
     "f2255efab60641210521cd103e526c9008140d62"),
    ("https://d-abc123.awsapps.com/start", "us-east-1", ["sso:account:access"],
     "admin", "e9e74bf7798bd1f6aed10f56b9f351f01bd50a96"),
    ("https://d-abc123.awsapps.com/start", "us-east-1", None, None,
     "c7029af06842ab71c7d71a4f2d85fc584e0c5528"),
    ("https://example.awsapps.com/start", "us-east-1", ["sso:account:access"],
     "my-sso", "e83b78ff73aa2ebd41812af5abcc466dca567738"),
]


@pytest.mark.parametrize("start_url,region,scopes,session,expected", REGISTRATION_KEYS)
def test_registration_cache_key(start_url, region, scopes, session, expected):
    key = cachefiles.registration_cache_key(start_url, region, scopes, session)
    assert key == expected


def test_role_cache_key_legacy():
    key = cachefiles.role_cache_key(
        "1234567890", "test-role", None, "https://d-92671207e4.awsapps.com/start"
    )
    assert key == "048db75bbe50955c16af7aba6ff9c41a3131bb7e"


def test_role_cache_key_session():
    key = cachefiles.role_cache_key("111122223333", "ReadOnly", "my-sso", "ignored")
    assert key == "0521d1f6a6c4e68f9e18540309367cc3cccb6305"


def test_role_cache_key_matches_botocore():
    from botocore.credentials import SSOCredentialFetcher

    fetcher = SSOCredentialFetcher(
        "https://example.awsapps.com/start", "us-east-1", "ReadOnly",
        "111122223333", client_creator=None, sso_session_name="my-sso",
    )
    expected = cachefiles.role_cache_key(
        "111122223333", "ReadOnly", "my-sso", "https://example.awsapps.com/start"
    )
    assert fetcher._create_cache_key() == expected


EXPIRY_FORMS = [
    "2025-01-15T13:00:00Z",
    "2025-01-15T13:00:00UTC",
    "2025-01-15T13:00:00+00:00",
    "2025-01-15T13:00:00.123Z",
    "2025-01-15T13:00:00.123456+00:00",
    "2025-01-15T14:00:00+01:00",
]
THIRTEEN_UTC = 1736946000.0


@pytest.mark.parametrize("value", EXPIRY_FORMS)
def test_parse_timestamp_forms(value):
    assert int(timeutil.parse_timestamp(value)) == int(THIRTEEN_UTC)


@pytest.mark.parametrize("value", ["soon", "", None, 1736946000, "2025-01-15T13:00:00"])
def test_parse_timestamp_invalid_is_none(value):
    # None means expired to every caller: no value is read as "never expires".
    assert timeutil.parse_timestamp(value) is None


def test_parse_cli_timestamp_agrees_with_dateutil():
    from dateutil.parser import isoparse

    for seconds in range(0, 4_000_000_000, 7_777_777):
        text = timeutil.format_timestamp(seconds)
        assert timeutil.parse_cli_timestamp(text) == isoparse(text).timestamp()


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles", "UTC"])
def test_timestamps_independent_of_tz(zone):
    script = (
        "from credential_process import timeutil;"
        "print(timeutil.parse_timestamp('2025-01-15T13:00:00UTC'),"
        "timeutil.parse_timestamp('2025-01-15T14:00:00+01:00'),"
        "timeutil.format_timestamp(1736946000.9))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True,
        env=dict(os.environ, TZ=zone), check=True,
    )
    assert result.stdout.split() == ["1736946000.0", "1736946000.0",
                                     "2025-01-15T13:00:00Z"]
