"""The real executable, run by real consumers, against the emulator."""

import json
import subprocess
import time

import pytest

from conftest import ACCOUNT, ROLE, awscli_command, parse_credentials

CALLER_IDENTITY = """\
    import json, boto3
    identity = boto3.Session(profile_name="{profile}").client("sts").get_caller_identity()
    print(json.dumps({{"Account": identity["Account"], "Arn": identity["Arn"]}}))
    """


def caller_identity(home, profile):
    result = home.python(CALLER_IDENTITY.format(profile=profile))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_boto3_session_profile(home, emulator):
    home.seed_token(emulator)
    identity = caller_identity(home, "dev")
    assert identity["Account"] == ACCOUNT
    assert f"/AWSReservedSSO_{ROLE}_" in identity["Arn"]
    assert emulator.calls["GetRoleCredentials"] == 1
    assert emulator.calls["GetCallerIdentity"] == 1


def test_boto3_legacy_profile(legacy_home, emulator):
    legacy_home.seed_token(emulator, identity="https://example.awsapps.com/start",
                           refreshable=False)
    identity = caller_identity(legacy_home, "legacy")
    assert identity["Account"] == ACCOUNT


@pytest.mark.parametrize("layout", ["session", "legacy"])
def test_awscli_v1_caller_identity(home, legacy_home, emulator, layout):
    if layout == "session":
        scratch, profile, identity = home, "dev", "my-sso"
    else:
        scratch, profile = legacy_home, "legacy"
        identity = "https://example.awsapps.com/start"
    scratch.seed_token(emulator, identity=identity)
    aws = awscli_command()
    assert aws, "the AWS CLI v1 is a test dependency"
    result = subprocess.run(
        [aws, "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
        env=scratch.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        start_new_session=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == ACCOUNT


def test_output_document_shape(home, emulator):
    home.seed_token(emulator)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    document = parse_credentials(result.stdout)
    assert list(document) == ["Version", "AccessKeyId", "SecretAccessKey",
                              "SessionToken", "Expiration", "AccountId"]
    assert document["Version"] == 1
    assert document["AccountId"] == ACCOUNT
    assert time.strptime(document["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    assert document["AccessKeyId"] in emulator.valid_access_keys


def test_warm_cache_is_silent(home, emulator):
    home.seed_token(emulator)
    first = home.run(["--profile", "dev-sso"])
    second = home.run(["--profile", "dev-sso"])
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0
    assert second.stderr == ""
    assert second.stdout == first.stdout
    assert emulator.calls["GetRoleCredentials"] == 1


def test_explicit_session_form(home, emulator):
    home.seed_token(emulator)
    result = home.run(["--sso-session", "my-sso", "--account-id", ACCOUNT,
                       "--role-name", ROLE])
    assert result.returncode == 0, result.stderr
    assert parse_credentials(result.stdout)["AccountId"] == ACCOUNT


def test_explicit_start_url_form(home, emulator):
    url = "https://example.awsapps.com/start"
    home.seed_token(emulator, identity=url)
    result = home.run(["--start-url", url, "--sso-region", "us-east-1",
                       "--account-id", ACCOUNT, "--role-name", ROLE])
    assert result.returncode == 0, result.stderr
    assert parse_credentials(result.stdout)["AccountId"] == ACCOUNT


def test_role_cache_written_in_cli_layout(home, emulator):
    home.seed_token(emulator)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    entry = home.read_json(home.role_file())
    assert entry["ProviderType"] == "sso"
    printed = parse_credentials(result.stdout)
    for key in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration",
                "AccountId"):
        assert entry["Credentials"][key] == printed[key]


def test_verbose_logs_stay_off_stdout(home, emulator):
    record = home.seed_token(emulator, expires_in=60)
    result = home.run(["--profile", "dev-sso", "--debug"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "Refreshed the SSO token" in result.stderr
    assert record["refreshToken"] not in result.stderr
    assert record["clientSecret"] not in result.stderr
    secret = json.loads(result.stdout)["SecretAccessKey"]
    assert secret not in result.stderr


def test_missing_secrets_print_nothing(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", status=200, body=json.dumps(
        {"roleCredentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "x",
                             "sessionToken": None, "expiration": 1}}))
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 5
    assert result.stdout == ""
    assert "sessionToken" in result.stderr
    assert not home.role_file().exists()


@pytest.mark.parametrize("expiration", [1000, '"soon"', 99999999999999999999, "true"])
def test_invalid_expiration_rejected(home, emulator, expiration):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", status=200, body=(
        '{"roleCredentials": {"accessKeyId": "ASIAEXAMPLE", "secretAccessKey": "x", '
        f'"sessionToken": "t", "expiration": {expiration}}}}}'))
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 5
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert not home.role_file().exists()
