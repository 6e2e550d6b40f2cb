"""Browser logins: the authorization-code grant with PKCE against the emulator."""

import sys
import urllib.parse

from conftest import REGION, SESSION, SESSION_CONFIG, START_URL
from credential_process import cachefiles
from credential_process.tokencache import TOKEN_FIELDS

LOGIN = ["login", "--profile", "dev-sso"]
PKCE_CONFIG = SESSION_CONFIG.replace(
    "sso_registration_scopes = sso:account:access\n",
    "sso_registration_scopes = sso:account:access\n"
    "    sso_login_method = authorization_code\n",
)


def write_browser(tmp_path, log_file=None):
    """Write a BROWSER script that loads the page and follows its redirect."""
    script = tmp_path / "browser"
    record = f"open({str(log_file)!r}, 'a').write(sys.argv[1] + '\\n')\n" if log_file \
        else ""
    script.write_text(
        f"#!{sys.executable}\nimport sys, urllib.request\n{record}"
        "urllib.request.urlopen(sys.argv[1], timeout=30).read()\n"
    )
    script.chmod(0o755)
    return str(script)


def pkce_home(home, tmp_path, log_file=None, **env):
    home.write_config(PKCE_CONFIG)
    home.env["BROWSER"] = write_browser(tmp_path, log_file)
    home.env.update(env)
    return home


def registration_file(home):
    key = cachefiles.registration_cache_key(
        START_URL, REGION, ["sso:account:access"], SESSION
    )
    return home.sso_cache / (key + ".json")


def test_pkce_login_writes_token(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    result = home.run(LOGIN)
    assert result.returncode == 0, result.stderr
    token = home.read_json(home.token_file())
    assert list(token) == list(TOKEN_FIELDS)
    assert emulator.calls["CreateToken:authorization_code"] == 1
    assert emulator.calls["StartDeviceAuthorization"] == 0


def test_pkce_registration_fields(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    assert home.run(LOGIN).returncode == 0
    register = [r for r in emulator.requests if r["operation"] == "RegisterClient"]
    body = register[0]["body"]
    assert body["grantTypes"] == ["authorization_code", "refresh_token"]
    assert body["redirectUris"] == ["http://127.0.0.1/oauth/callback"]
    assert body["issuerUrl"] == START_URL
    registration = home.read_json(registration_file(home))
    assert registration["grantTypes"] == ["authorization_code", "refresh_token"]
    assert sorted(registration) == [
        "clientId", "clientSecret", "expiresAt", "grantTypes", "scopes"]


def test_pkce_authorize_url_shape(home, emulator, tmp_path):
    opened = tmp_path / "opened.txt"
    pkce_home(home, tmp_path, log_file=opened)
    assert home.run(LOGIN).returncode == 0
    url = opened.read_text().strip()
    assert url.startswith(f"{emulator.url}/authorize?response_type=code&client_id=")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["scopes"] == "sso:account:access"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    redirect = urllib.parse.urlsplit(query["redirect_uri"])
    assert redirect.hostname == "127.0.0.1"
    assert redirect.port


def test_pkce_token_exchange_has_verifier(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    assert home.run(LOGIN).returncode == 0
    exchange = [r["body"] for r in emulator.requests
                if r["operation"] == "CreateToken"
                and r["body"]["grantType"] == "authorization_code"]
    assert exchange[0]["redirectUri"].startswith("http://127.0.0.1:")
    assert len(exchange[0]["codeVerifier"]) == 64


def test_pkce_registration_reused(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    assert home.run(LOGIN).returncode == 0
    assert home.run(LOGIN).returncode == 0
    assert emulator.calls["RegisterClient"] == 1


def test_device_flow_rejects_pkce_registration(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    assert home.run(LOGIN).returncode == 0
    result = home.run(LOGIN + ["--use-device-code", "--no-browser"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["RegisterClient"] == 2
    assert emulator.calls["StartDeviceAuthorization"] == 1


def test_pkce_denied_exit_four(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    emulator.authorize_mode = "deny"
    result = home.run(LOGIN)
    assert result.returncode == 4
    assert "denied" in result.stderr
    assert not home.token_file().exists()
    assert emulator.calls["CreateToken:authorization_code"] == 0


def test_pkce_wrong_state_rejected(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    emulator.authorize_mode = "wrong_state"
    result = home.run(LOGIN)
    assert result.returncode == 3
    assert "state" in result.stderr
    assert not home.token_file().exists()
    assert emulator.calls["CreateToken:authorization_code"] == 0


def test_pkce_timeout_exit_three(home, emulator, tmp_path):
    pkce_home(home, tmp_path, SSO_CREDENTIAL_PROCESS_LOGIN_TIMEOUT="2")
    emulator.authorize_mode = "ignore"
    result = home.run(LOGIN)
    assert result.returncode == 3
    assert "timed out" in result.stderr
    assert "--use-device-code" in result.stderr
    assert not home.token_file().exists()


def test_use_device_code_overrides_config(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    result = home.run(LOGIN + ["--use-device-code", "--no-browser"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["StartDeviceAuthorization"] == 1
    assert emulator.calls["Authorize"] == 0


def test_ssh_session_uses_device_code(home, emulator):
    home.env.update(SSH_CONNECTION="10.0.0.1 22 10.0.0.2 5555", DISPLAY=":0")
    result = home.run(LOGIN + ["--no-browser"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["StartDeviceAuthorization"] == 1


def test_invalid_login_method_config(home, emulator):
    home.write_config(SESSION_CONFIG.replace(
        "sso_registration_scopes = sso:account:access\n",
        "sso_registration_scopes = sso:account:access\n"
        "    sso_login_method = browser\n"))
    result = home.run(LOGIN)
    assert result.returncode == 2
    assert '"browser"' in result.stderr


def test_pkce_token_used_by_credentials(home, emulator, tmp_path):
    pkce_home(home, tmp_path)
    assert home.run(LOGIN).returncode == 0
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 0
