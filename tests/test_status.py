"""The status command: sessions, tokens and role credentials, never a secret."""

import json
import re

from conftest import ACCOUNT, REGION, ROLE, SESSION, START_URL


def status_json(home):
    result = home.run(["status", "--json"])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_logged_out_session(home, emulator):
    document = status_json(home)
    assert document["version"] == 1
    session = document["sessions"][0]
    assert session["name"] == SESSION
    assert session["startUrl"] == START_URL
    assert session["region"] == REGION
    assert session["loggedIn"] is False
    assert session["roleCredentials"] == []


def test_status_token_and_roles(home, emulator):
    record = home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    session = status_json(home)["sessions"][0]
    assert session["loggedIn"] is True
    assert session["accessTokenExpiresAt"] == record["expiresAt"]
    assert session["accessTokenExpired"] is False
    assert session["refreshable"] is True
    assert session["registrationExpiresAt"] == record["registrationExpiresAt"]
    role = session["roleCredentials"][0]
    assert (role["accountId"], role["roleName"]) == (ACCOUNT, ROLE)
    assert role["expired"] is False


def test_status_unrefreshable_token(home, emulator):
    home.seed_token(emulator, refreshable=False)
    session = status_json(home)["sessions"][0]
    assert session["refreshable"] is False


def test_status_lists_cache_only_token(home, emulator):
    home.seed_token(emulator, identity="elsewhere")
    sessions = status_json(home)["sessions"]
    assert len(sessions) == 2
    assert sessions[1]["inConfig"] is False
    assert sessions[1]["tokenFile"] == str(home.token_file("elsewhere"))


def test_status_never_prints_secrets(home, emulator):
    record = home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    credentials = home.read_json(home.role_file())["Credentials"]
    for arguments in (["status"], ["status", "--json"]):
        output = home.run(arguments).stdout
        assert record["accessToken"] not in output
        assert record["refreshToken"] not in output
        assert record["clientSecret"] not in output
        assert credentials["SecretAccessKey"] not in output
        assert credentials["SessionToken"] not in output


def test_status_table_columns(home, emulator):
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    result = home.run(["status"])
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header[:3] == ["SESSION", "START", "URL"]
    assert re.search(rf"{SESSION}\s+{ACCOUNT}\s+{ROLE}\s+20", result.stdout)


def test_status_registration_after_logout(home, emulator):
    login = home.run(["login", "--profile", "dev-sso", "--use-device-code",
                      "--no-browser"])
    assert login.returncode == 0, login.stderr
    assert home.run(["logout", "--profile", "dev-sso"]).returncode == 0
    registrations = [path for path in home.sso_cache.iterdir()
                     if "clientSecret" in home.read_json(path)]
    assert len(registrations) == 1
    session = status_json(home)["sessions"][0]
    assert session["loggedIn"] is False
    expected = home.read_json(registrations[0])["expiresAt"]
    assert session["registrationExpiresAt"] == expected


def test_status_missing_config_file(home, emulator, tmp_path):
    home.seed_token(emulator)
    missing = tmp_path / "nonexistent"
    result = home.run(["status", "--json"],
                      extra_env={"AWS_CONFIG_FILE": str(missing)})
    assert result.returncode == 0
    assert result.stderr.count("\n") == 1
    assert f"The AWS config file {missing} does not exist" in result.stderr
    [session] = json.loads(result.stdout)["sessions"]
    assert session["inConfig"] is False
    assert session["tokenFile"] == str(home.token_file())
