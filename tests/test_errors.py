"""Exit codes and messages for bad configuration, missing logins and refusals."""

import socket

import pytest

from conftest import ACCOUNT, Home

EXIT_USAGE, EXIT_LOGIN, EXIT_REFUSED, EXIT_NETWORK = 2, 3, 4, 5


def assert_one_clean_message(result):
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_missing_config_file(home):
    home.config_file.unlink()
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_USAGE
    assert 'profile "dev-sso" was not found' in result.stderr
    assert_one_clean_message(result)


def test_unknown_session(home):
    result = home.run(["--sso-session", "nope", "--account-id", ACCOUNT,
                       "--role-name", "ReadOnly"])
    assert result.returncode == EXIT_USAGE
    assert 'sso-session "nope" was not found' in result.stderr
    assert str(home.config_file) in result.stderr
    assert_one_clean_message(result)


def test_no_selection_is_usage_error(home):
    result = home.run([])
    assert result.returncode == EXIT_USAGE
    assert "--profile" in result.stderr


def test_unknown_option_is_usage_error(home):
    result = home.run(["--profile", "dev-sso", "--bogus"])
    assert result.returncode == EXIT_USAGE
    assert "--bogus" in result.stderr


def test_missing_role_keys_listed(home):
    result = home.run(["--sso-session", "my-sso"])
    assert result.returncode == EXIT_USAGE
    assert "sso_account_id (or --account-id)" in result.stderr
    assert "sso_role_name (or --role-name)" in result.stderr


def test_no_token_no_terminal_fails_fast(home, emulator):
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_LOGIN
    assert "sso-credential-process login --sso-session my-sso" in result.stderr
    assert "aws sso login --sso-session my-sso" in result.stderr
    assert_one_clean_message(result)
    assert emulator.calls["RegisterClient"] == 0
    assert emulator.calls["StartDeviceAuthorization"] == 0


def test_expired_session_no_terminal(home, emulator):
    home.seed_token(emulator, expires_in=-60, refreshable=False)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_LOGIN
    assert "has expired" in result.stderr
    assert emulator.calls["StartDeviceAuthorization"] == 0


def test_no_login_still_refreshes(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    result = home.run(["--profile", "dev-sso", "--no-login"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1


def test_no_login_names_flag(home, emulator):
    result = home.run(["--profile", "dev-sso", "--no-login"])
    assert result.returncode == EXIT_LOGIN
    assert "--no-login" in result.stderr


def test_legacy_expired_explains_layout(legacy_home, emulator):
    legacy_home.seed_token(emulator, identity="https://example.awsapps.com/start",
                           expires_in=-60, refreshable=False)
    result = legacy_home.run(["--profile", "legacy-sso"])
    assert result.returncode == EXIT_LOGIN
    assert "[sso-session]" in result.stderr
    assert "--profile legacy-sso" in result.stderr


def test_unassigned_role_refused(home, emulator):
    home.seed_token(emulator)
    result = home.run(["--profile", "dev-sso", "--role-name", "NotAssigned"])
    assert result.returncode == EXIT_REFUSED
    assert "NotAssigned" in result.stderr
    assert "ForbiddenException" in result.stderr
    assert_one_clean_message(result)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_is_network_error(home, emulator):
    home.seed_token(emulator)
    url = f"http://127.0.0.1:{closed_port()}"
    result = home.run(["--profile", "dev-sso"], extra_env={"AWS_ENDPOINT_URL_SSO": url})
    assert result.returncode == EXIT_NETWORK
    assert "GetRoleCredentials" in result.stderr
    assert_one_clean_message(result)


def test_plain_http_remote_endpoint_rejected(home, emulator):
    home.seed_token(emulator)
    result = home.run(["--profile", "dev-sso"],
                      extra_env={"AWS_ENDPOINT_URL_SSO": "http://portal.example.com"})
    assert result.returncode == EXIT_USAGE
    assert "AWS_ENDPOINT_URL_SSO" in result.stderr
    assert emulator.calls["GetRoleCredentials"] == 0


def test_service_error_after_retries(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", status=500,
                    error_type="InternalServerException", body={"message": "x"},
                    count=3)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_NETWORK
    assert emulator.calls["GetRoleCredentials"] == 3


def test_transient_error_retried(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", status=429,
                    error_type="TooManyRequestsException", body={"message": "slow"})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 2


def test_services_section_endpoint(tmp_path, emulator):
    scratch = Home(tmp_path / "h", "http://127.0.0.1:9")
    for key in ("AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_SSO"):
        del scratch.env[key]
    scratch.write_config(f"""\
        [services local]
        sso =
          endpoint_url = {emulator.url}
        [sso-session my-sso]
        sso_start_url = https://example.awsapps.com/start
        sso_region = us-east-1
        [profile dev-sso]
        sso_session = my-sso
        sso_account_id = {ACCOUNT}
        sso_role_name = ReadOnly
        services = local
        """)
    scratch.seed_token(emulator)
    result = scratch.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 1


@pytest.mark.parametrize("content", [
    "",
    '{"startUrl": "https://example.awsapps.com/start", "accessTo',
    "VALID" + '"}' + "x" * 40,
    "[1, 2]",
    '{"accessToken": 5, "expiresAt": "2030-01-01T00:00:00Z"}',
])
def test_corrupt_token_file_is_miss(home, emulator, content):
    if content.startswith("VALID"):
        import json

        record = home.seed_token(emulator)
        content = json.dumps(record) + content[len("VALID"):]
    home.write_json(home.token_file(), content)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_LOGIN
    assert "Traceback" not in result.stderr
    assert "Ignoring the SSO token cache file" in result.stderr
    assert str(home.token_file()) in result.stderr
    assert home.token_file().read_text() == content


def test_corrupt_role_cache_refetched(home, emulator):
    home.seed_token(emulator)
    home.write_json(home.role_file(), '{"ProviderType": "sso", "Credentials": {')
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 1
    assert home.read_json(home.role_file())["ProviderType"] == "sso"


def test_symlinked_token_file_ignored(home, emulator, tmp_path):
    record = home.seed_token(emulator)
    target = tmp_path / "elsewhere.json"
    target.write_text(home.token_file().read_text())
    home.token_file().unlink()
    home.token_file().symlink_to(target)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_LOGIN
    assert "symbolic link" in result.stderr
    assert target.read_text().count(record["accessToken"]) == 1
