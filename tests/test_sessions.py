"""Session edge cases: cache identities, ended sessions, short credentials, paths."""

import json
import os
import subprocess
import textwrap

from conftest import (ACCOUNT, REGION, ROLE, SESSION, START_URL, parse_credentials,
                      tool_command)
from test_login import run_with_terminal


def test_start_url_token_not_adopted(home, emulator):
    """A token under the start-URL key belongs to another cache identity."""
    home.seed_token(emulator, identity=START_URL)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert f'sso-session "{SESSION}"' in result.stderr
    assert emulator.calls["GetRoleCredentials"] == 0


def test_start_url_token_left_alone(home, emulator):
    home.seed_token(emulator, identity=START_URL)
    before = home.token_file(START_URL).read_bytes()
    code, _, stderr, _ = run_with_terminal(home, ["--profile", "dev-sso"])
    assert code == 0, stderr
    assert home.token_file(START_URL).read_bytes() == before
    assert home.token_file().exists()


def test_expired_session_file_wins(home, emulator):
    home.seed_token(emulator, identity=START_URL)
    home.seed_token(emulator, expires_in=-60, refreshable=False)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert f'sso-session "{SESSION}" has expired' in result.stderr


def test_registration_files_not_tokens(home, emulator):
    home.sso_cache.mkdir(parents=True, mode=0o700)
    others = {
        "e83b78ff73aa2ebd41812af5abcc466dca567738.json": {
            "clientId": "CID-1", "clientSecret": "CSECRET-1",
            "expiresAt": "2099-04-15T12:00:00Z", "scopes": ["sso:account:access"]},
        "botocore-client-id-us-east-1.json": {
            "clientId": "CID-0", "clientSecret": "S",
            "expiresAt": "2099-01-01T00:00:00Z"},
        "aws-toolkit-example.json": {"accessToken": "x", "expiresAt": "2099-01-01"},
    }
    for name, document in others.items():
        home.write_json(home.sso_cache / name, document)
    before = {name: (home.sso_cache / name).read_bytes() for name in others}
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert "there is no cached SSO token" in result.stderr
    after = {name: (home.sso_cache / name).read_bytes() for name in others}
    assert after == before


def test_ended_session_logs_in_again(home, emulator):
    home.seed_token(emulator, expires_in=-600)
    emulator.inject("CreateToken", status=400, error_type="InvalidGrantException",
                    body={"error": "invalid_grant"})
    code, stdout, stderr, screen = run_with_terminal(home, ["--profile", "dev-sso"])
    assert code == 0, stderr
    parse_credentials(stdout)
    assert emulator.calls["StartDeviceAuthorization"] == 1
    assert "and enter the code" in screen


def test_short_lived_credentials_warned(home, emulator):
    emulator.configure(role_credentials_ttl=300)
    home.seed_token(emulator)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "expire in" in result.stderr


def test_debug_level_keeps_stdout_clean(home, emulator):
    home.seed_token(emulator)
    result = home.run(["--profile", "dev-sso"],
                      extra_env={"SSO_CREDENTIAL_PROCESS_LOG_LEVEL": "debug"})
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert result.stderr != ""


def test_quoted_path_with_spaces(home, emulator, tmp_path):
    """botocore splits the command with shlex: a quoted path with spaces works."""
    directory = tmp_path / "example tools"
    directory.mkdir()
    link = directory / "ssocp"
    os.symlink(tool_command()[0], link)
    home.write_config(textwrap.dedent(f"""\
        [sso-session {SESSION}]
        sso_start_url = {START_URL}
        sso_region = {REGION}
        sso_registration_scopes = sso:account:access
        [profile "dev sso"]
        sso_session = {SESSION}
        sso_account_id = {ACCOUNT}
        sso_role_name = {ROLE}
        [profile dev]
        credential_process = "{link}" --profile "dev sso"
        """))
    home.seed_token(emulator)
    result = home.python("""
        import boto3
        session = boto3.Session(profile_name="dev")
        print(session.client("sts", region_name="us-east-1")
              .get_caller_identity()["Account"])
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ACCOUNT


def test_rejected_refresh_uses_other_writer(home, emulator):
    """The AWS CLI refreshes without our lock; its new token is used, not dropped."""
    home.seed_token(emulator, expires_in=-60)
    emulator.inject("CreateToken", status=400, error_type="InvalidGrantException",
                    body={"error": "invalid_grant"}, delay=2)
    process = subprocess.Popen(
        tool_command() + ["--profile", "dev-sso"], env=home.env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )
    from test_storms import wait_for_activity

    wait_for_activity(home, "refresh")
    written = home.seed_token(emulator)  # what a concurrent `aws sso login` leaves
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    parse_credentials(stdout)
    assert json.loads(home.token_file().read_text()) == written
