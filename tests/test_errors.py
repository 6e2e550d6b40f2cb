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


@pytest.mark.parametrize("url,accepted", [
    ("https://portal.sso.us-east-1.amazonaws.com", True),
    ("http://127.0.0.1:8080", True),
    ("http://127.9.9.9", True),
    ("http://[::1]:80", True),
    ("http://localhost:1", True),
    ("HTTP://127.0.0.1", True),
    ("http://127.0.0.1.nip.io", False),
    ("http://127.evil.example", False),
    ("http://10.0.0.1:9", False),
    ("ftp://127.0.0.1", False),
])
def test_endpoint_scheme_check(url, accepted):
    from credential_process.clients import validate_endpoint
    from credential_process.errors import ConfigError

    if accepted:
        validate_endpoint(url, "sso")
    else:
        with pytest.raises(ConfigError):
            validate_endpoint(url, "sso")


@pytest.mark.parametrize("which", ["token", "role"])
def test_deeply_nested_json_is_miss(home, emulator, which):
    home.seed_token(emulator)
    path = home.token_file() if which == "token" else home.role_file()
    home.write_json(path, "[" * 100000 + "]" * 100000)
    result = home.run(["--profile", "dev-sso", "--no-login"])
    assert "Traceback" not in result.stderr
    assert "nests JSON too deeply" in result.stderr
    assert result.returncode == (3 if which == "token" else 0)


def test_directory_in_place_of_cache_file(home, emulator):
    home.sso_cache.mkdir(parents=True)
    home.token_file().mkdir()
    result = home.run(["--profile", "dev-sso", "--no-login"])
    assert result.returncode == EXIT_LOGIN
    assert "not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_cache_warning_printed_once(home, emulator):
    home.write_json(home.token_file(), "")
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_LOGIN
    assert result.stderr.count("Ignoring the SSO token cache file") == 1


def test_verbose_before_subcommand(home, emulator):
    result = home.run(["--debug", "login", "--sso-session", "nope"])
    assert result.returncode == EXIT_USAGE
    assert "Traceback" in result.stderr


def test_role_keys_named_in_profile(home):
    home.write_config("""\
        [sso-session s1]
        sso_start_url = https://example.awsapps.com/start
        sso_region = us-east-1
        [profile p]
        sso_session = s1
        sso_account_id = 111122223333
        """)
    result = home.run(["--profile", "p"])
    assert result.returncode == EXIT_USAGE
    assert "sso_role_name (or --role-name) in [profile p]" in result.stderr


def test_credential_process_profile_hint(home):
    result = home.run(["--profile", "dev"])
    assert result.returncode == EXIT_USAGE
    assert "runs credential_process itself" in result.stderr


def test_start_url_option_named(home):
    result = home.run(["--start-url", "http://x/start", "--sso-region", "us-east-1",
                       "--account-id", "111122223333", "--role-name", "ReadOnly"])
    assert result.returncode == EXIT_USAGE
    assert "the --start-url option" in result.stderr


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["--debug"]])
def test_echoed_refresh_token_masked(home, emulator, verbosity):
    record = home.seed_token(emulator, expires_in=-600)
    secret = record["refreshToken"]
    emulator.inject("CreateToken", status=400, error_type="InvalidGrantException",
                    body={"error": "invalid_grant",
                          "error_description": f"refresh token {secret} is revoked"})
    result = home.run(verbosity + ["--profile", "dev-sso"])
    assert result.returncode == 3
    assert secret not in result.stderr
    assert "Traceback" not in result.stderr or verbosity == ["--debug"]


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["--debug"]])
def test_echoed_access_token_masked(home, emulator, verbosity):
    record = home.seed_token(emulator)
    secret = record["accessToken"]
    emulator.inject("GetRoleCredentials", status=400,
                    error_type="InvalidRequestException",
                    body={"message": f"token {secret} is not valid here"})
    result = home.run(verbosity + ["--profile", "dev-sso"])
    assert result.returncode == 4
    assert "is not valid here" in result.stderr
    assert secret not in result.stderr
