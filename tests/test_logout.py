"""The logout command: portal Logout, and only the session's own cache files."""

from conftest import ACCOUNT, SESSION, START_URL


def fetch_credentials(home, profile="dev-sso"):
    result = home.run(["--profile", profile])
    assert result.returncode == 0, result.stderr


def test_logout_calls_portal(home, emulator):
    record = home.seed_token(emulator)
    result = home.run(["logout", "--sso-session", SESSION])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["Logout"] == 1
    logout = [r for r in emulator.requests if r["operation"] == "Logout"]
    assert logout[0]["headers"]["x-amz-sso_bearer_token"] == record["accessToken"]


def test_logout_removes_session_files(home, emulator):
    home.seed_token(emulator)
    fetch_credentials(home)
    result = home.run(["logout", "--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert not home.token_file().exists()
    assert not home.role_file().exists()
    assert str(home.token_file()) in result.stdout
    assert str(home.role_file()) in result.stdout


def test_logout_finds_indexed_roles(home, emulator):
    home.seed_token(emulator)
    result = home.run(["--sso-session", SESSION, "--account-id", "444455556666",
                       "--role-name", "ReadOnly"])
    assert result.returncode == 0, result.stderr
    indexed = home.role_file(account="444455556666")
    assert indexed.exists()
    assert home.run(["logout", "--sso-session", SESSION]).returncode == 0
    assert not indexed.exists()


def test_logout_keeps_other_files(home, emulator):
    home.write_config(home.config_file.read_text() + (
        "\n[sso-session other]\nsso_start_url = https://other.awsapps.com/start\n"
        "sso_region = us-east-1\n"))
    home.seed_token(emulator)
    fetch_credentials(home)
    other_token = home.token_file("other")
    home.write_json(other_token, home.read_json(home.token_file()))
    other_role = home.role_file(session="other")
    home.write_json(other_role, home.read_json(home.role_file()))
    foreign = home.role_cache / "assume-role-entry.json"
    home.write_json(foreign, {"Credentials": {}, "ProviderType": "assume-role"})
    assert home.run(["logout", "--sso-session", SESSION]).returncode == 0
    assert other_token.exists()
    assert other_role.exists()
    assert foreign.exists()


def test_logout_all_cache_only_token(home, emulator):
    home.seed_token(emulator, identity="gone-session")
    result = home.run(["logout", "--all"])
    assert result.returncode == 0, result.stderr
    assert not home.token_file("gone-session").exists()
    assert emulator.calls["Logout"] == 1


def test_logout_expired_token_no_call(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    result = home.run(["logout", "--sso-session", SESSION])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["Logout"] == 0
    assert not home.token_file().exists()


def test_logout_portal_down_still_removes(home, emulator):
    home.seed_token(emulator)
    emulator.inject("Logout", status=500, error_type="InternalServerException",
                    count=5)
    result = home.run(["logout", "--sso-session", SESSION])
    assert result.returncode == 0, result.stderr
    assert "failed" in result.stderr
    assert not home.token_file().exists()


def test_logout_needs_selection(home, emulator):
    result = home.run(["logout"])
    assert result.returncode == 2


def test_logout_nothing_to_remove(home, emulator):
    result = home.run(["logout", "--sso-session", SESSION])
    assert result.returncode == 0
    assert "Nothing to remove" in result.stdout


def test_logged_out_token_rejected(home, emulator):
    home.seed_token(emulator)
    fetch_credentials(home)
    assert home.run(["logout", "--sso-session", SESSION]).returncode == 0
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert START_URL not in result.stdout
    assert ACCOUNT not in result.stdout


def test_logout_follows_credential_process_profile(home, emulator):
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    result = home.run(["logout", "--profile", "dev"])
    assert result.returncode == 0, result.stderr
    assert not home.token_file().exists()
    assert not home.role_file().exists()
