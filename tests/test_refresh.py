"""Token refresh, expiry windows, and the token file shared with botocore."""

import time

import pytest

from conftest import SESSION, parse_credentials
from credential_process import timeutil
from credential_process.tokencache import TOKEN_FIELDS

BOTOCORE_NATIVE = """\
    import json, boto3
    credentials = boto3.Session(profile_name="dev-sso").get_credentials()
    frozen = credentials.get_frozen_credentials()
    print(json.dumps({"AccessKeyId": frozen.access_key}))
    """


def test_refresh_rotates_refresh_token(home, emulator):
    record = home.seed_token(emulator, expires_in=300)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    saved = home.read_json(home.token_file())
    assert emulator.calls["CreateToken:refresh_token"] == 1
    assert saved["accessToken"] != record["accessToken"]
    assert saved["refreshToken"] != record["refreshToken"]
    assert list(saved) == list(TOKEN_FIELDS)


def test_refresh_keeps_registration_expiry(home, emulator):
    record = home.seed_token(emulator, expires_in=300)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    saved = home.read_json(home.token_file())
    assert saved["registrationExpiresAt"] == record["registrationExpiresAt"]
    assert saved["clientId"] == record["clientId"]
    assert saved["clientSecret"] == record["clientSecret"]


def test_second_refresh_succeeds(home, emulator):
    home.seed_token(emulator, expires_in=300)
    emulator.access_token_ttl = 300
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    home.role_file().unlink()
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 2


def test_refresh_keeps_old_refresh_token(home, emulator):
    emulator.rotate_refresh_tokens = False
    record = home.seed_token(emulator, expires_in=300)
    emulator.issue_refresh_tokens = "never"
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    saved = home.read_json(home.token_file())
    assert saved["refreshToken"] == record["refreshToken"]
    assert saved["accessToken"] != record["accessToken"]


def test_unknown_fields_kept(home, emulator):
    home.seed_token(emulator, expires_in=300, extraField={"kept": True})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    saved = home.read_json(home.token_file())
    assert saved["extraField"] == {"kept": True}
    assert list(saved)[: len(TOKEN_FIELDS)] == list(TOKEN_FIELDS)


@pytest.mark.parametrize("minutes_left,refreshes", [
    (20, 0), (16, 0), (14, 1), (7, 1), (2, 1), (-10, 1),
])
def test_token_refresh_window(home, emulator, minutes_left, refreshes):
    home.seed_token(emulator, expires_in=minutes_left * 60)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == refreshes
    assert emulator.calls["GetRoleCredentials"] == 1


@pytest.mark.parametrize("minutes_left,fetches", [(16, 0), (14, 1), (-1, 1)])
def test_role_cache_window(home, emulator, minutes_left, fetches):
    home.seed_token(emulator)
    expiration = timeutil.format_timestamp(time.time() + minutes_left * 60)
    home.write_json(home.role_file(), {"ProviderType": "sso", "Credentials": {
        "AccessKeyId": "ASIACACHED", "SecretAccessKey": "s", "SessionToken": "t",
        "Expiration": expiration, "AccountId": "111122223333"}})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == fetches
    printed = parse_credentials(result.stdout)
    assert (printed["AccessKeyId"] == "ASIACACHED") == (fetches == 0)


def test_expired_token_with_old_format_refreshed(home, emulator):
    home.seed_token(emulator, expiresAt="2020-01-01T00:00:00UTC")
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1
    assert home.read_json(home.token_file())["expiresAt"].endswith("Z")


def test_unparseable_expiry_is_expired(home, emulator):
    home.seed_token(emulator, expiresAt="soon")
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1


def test_botocore_uses_token_tool_wrote(home, emulator):
    home.seed_token(emulator, expires_in=300)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    refreshes = emulator.calls["CreateToken:refresh_token"]
    result = home.python(BOTOCORE_NATIVE)
    assert result.returncode == 0, result.stderr
    assert refreshes == 1
    assert emulator.calls["CreateToken:refresh_token"] == 1
    assert emulator.calls["GetRoleCredentials"] == 2


def test_tool_uses_token_botocore_refreshed(home, emulator):
    home.seed_token(emulator, expires_in=300)
    result = home.python(BOTOCORE_NATIVE)
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1
    tool = home.run(["--profile", "dev-sso"])
    assert tool.returncode == 0, tool.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1


def test_portal_401_forces_refresh(home, emulator):
    record = home.seed_token(emulator, expires_in=8 * 3600)
    emulator.revoke_access_token(record["accessToken"])
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1
    assert emulator.calls["GetRoleCredentials"] == 2


def test_invalid_grant_reports_session_ended(home, emulator):
    record = home.seed_token(emulator, expires_in=-600)
    emulator.inject("CreateToken", status=400, error_type="InvalidGrantException",
                    body={"error": "invalid_grant",
                          "error_description": "Invalid refresh token provided"})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert result.stdout == ""
    assert "session" in result.stderr and "has ended" in result.stderr
    assert f"--sso-session {SESSION}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert emulator.calls["CreateToken"] == 1
    saved = home.read_json(home.token_file())
    assert "refreshToken" not in saved
    assert saved["accessToken"] == record["accessToken"]


def test_run_after_invalid_grant_says_session_ended(home, emulator):
    home.seed_token(emulator, expires_in=-600)
    emulator.inject("CreateToken", status=400, error_type="InvalidGrantException",
                    body={"error": "invalid_grant"})
    assert home.run(["--profile", "dev-sso"]).returncode == 3
    # The config already sets sso_registration_scopes, so advice to set it is wrong.
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert "session ended" in result.stderr
    assert "set sso_registration_scopes" not in result.stderr
    assert emulator.calls["CreateToken"] == 1


def test_network_failure_with_valid_token_succeeds(home, emulator):
    home.seed_token(emulator, expires_in=600)
    for _ in range(3):
        emulator.inject("CreateToken", close_connection=True)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 1


def test_cache_files_private_under_umask_000(home, emulator):
    home.seed_token(emulator, expires_in=300)
    result = home.run(["--profile", "dev-sso"], umask=0)
    assert result.returncode == 0, result.stderr
    assert home.token_file().stat().st_mode & 0o777 == 0o600
    assert home.role_file().stat().st_mode & 0o777 == 0o600
    assert home.role_cache.stat().st_mode & 0o777 == 0o700
    assert (home.aws / "cli").stat().st_mode & 0o777 == 0o700
    locks = home.aws / "sso-credential-process" / "locks"
    assert locks.stat().st_mode & 0o777 == 0o700


def test_cached_expiration_printed_with_z(home, emulator):
    home.seed_token(emulator)
    home.write_json(home.role_file(), {"ProviderType": "sso", "Credentials": {
        "AccessKeyId": "ASIACACHED", "SecretAccessKey": "s", "SessionToken": "t",
        "Expiration": "2099-01-15T13:00:00.250+00:00", "AccountId": "111122223333"}})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert parse_credentials(result.stdout)["Expiration"] == "2099-01-15T13:00:00Z"
    assert emulator.calls["GetRoleCredentials"] == 0


@pytest.mark.parametrize("expires_at",
                         ["2030-01-01T00:00:00", "2030-01-01T00:00:00 EST"])
def test_naive_expiry_named_in_message(home, emulator, expires_at):
    home.seed_token(emulator, refreshable=False, expiresAt=expires_at)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert repr(expires_at) in result.stderr
    assert "not a time with a time zone" in result.stderr
    assert "Warning" not in result.stderr
    assert "Traceback" not in result.stderr
    assert home.read_json(home.token_file())["expiresAt"] == expires_at
