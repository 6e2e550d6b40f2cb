"""Device authorization logins: the login command and the credential path."""

import json
import os
import pty
import select
import subprocess
import sys
import time

from conftest import REGION, SESSION, START_URL, parse_credentials, tool_command
from credential_process import cachefiles, timeutil
from credential_process.tokencache import TOKEN_FIELDS

LOGIN = ["login", "--profile", "dev-sso", "--use-device-code", "--no-browser"]


def registration_file(home, scopes=("sso:account:access",), session=SESSION):
    key = cachefiles.registration_cache_key(
        START_URL, REGION, list(scopes) if scopes else None, session
    )
    return home.sso_cache / (key + ".json")


def test_login_writes_cli_token(home, emulator):
    result = home.run(LOGIN)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"{emulator.url}/device" in result.stderr
    assert "user_code=" in result.stderr
    token = home.read_json(home.token_file())
    assert list(token) == list(TOKEN_FIELDS)
    assert token["startUrl"] == START_URL
    assert token["region"] == REGION
    assert token["expiresAt"].endswith("Z")


def test_login_caches_registration(home, emulator):
    assert home.run(LOGIN).returncode == 0
    registration = home.read_json(registration_file(home))
    assert sorted(registration) == ["clientId", "clientSecret", "expiresAt", "scopes"]
    assert registration["scopes"] == ["sso:account:access"]
    assert home.run(LOGIN).returncode == 0
    assert emulator.calls["RegisterClient"] == 1
    assert emulator.calls["StartDeviceAuthorization"] == 2


def test_login_sends_configured_scopes(home, emulator):
    assert home.run(LOGIN).returncode == 0
    register = [r for r in emulator.requests if r["operation"] == "RegisterClient"]
    assert register[0]["body"]["scopes"] == ["sso:account:access"]
    assert register[0]["body"]["clientName"] == f"botocore-client-{SESSION}"


def test_expired_registration_replaced(home, emulator):
    home.write_json(registration_file(home), {
        "clientId": "CID-old", "clientSecret": "secret",
        "expiresAt": timeutil.format_timestamp(time.time() + 300),
        "scopes": ["sso:account:access"],
    })
    assert home.run(LOGIN).returncode == 0
    assert emulator.calls["RegisterClient"] == 1
    device = [r for r in emulator.requests if r["operation"] ==
              "StartDeviceAuthorization"]
    assert device[0]["body"]["clientId"] != "CID-old"


def test_rejected_client_registers_again(home, emulator):
    issued = emulator.issue_token(scopes=["sso:account:access"])
    home.write_json(registration_file(home), {
        "clientId": issued["clientId"], "clientSecret": issued["clientSecret"],
        "expiresAt": timeutil.format_timestamp(time.time() + 86400),
        "scopes": ["sso:account:access"],
    })
    emulator.inject("CreateToken", status=401, error_type="InvalidClientException",
                    body={"error": "invalid_client"})
    result = home.run(LOGIN)
    assert result.returncode == 0, result.stderr
    # issue_token registers its client directly, so only the tool's call counts.
    assert emulator.calls["RegisterClient"] == 1
    assert emulator.calls["StartDeviceAuthorization"] == 2


def test_login_denied_is_refusal(home, emulator):
    emulator.auto_approve = False
    emulator.inject("CreateToken", status=400, error_type="AccessDeniedException",
                    body={"error": "access_denied"})
    result = home.run(LOGIN)
    assert result.returncode == 4
    assert "denied" in result.stderr


def test_expired_device_code(home, emulator):
    emulator.auto_approve = False
    emulator.device_code_ttl = 2
    result = home.run(LOGIN)
    assert result.returncode == 3
    assert "expired" in result.stderr
    assert not home.token_file().exists()


def test_browser_opens_complete_uri(home, emulator, tmp_path):
    emulator.auto_approve = False
    browser = tmp_path / "browser"
    browser.write_text(
        f"#!{sys.executable}\nimport sys, urllib.request\n"
        "urllib.request.urlopen(sys.argv[1]).read()\n"
    )
    browser.chmod(0o755)
    result = home.run(["login", "--profile", "dev-sso", "--use-device-code"],
                      extra_env={"BROWSER": str(browser)})
    assert result.returncode == 0, result.stderr
    assert emulator.calls["DeviceVerification"] == 1
    assert home.token_file().exists()


def run_with_terminal(home, arguments, timeout=60):
    """Run the tool with a pseudo-terminal as controlling terminal and stdin,
    stdout and stderr on pipes, as botocore runs it from an interactive shell."""
    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)

    def attach_terminal():
        os.setsid()
        os.close(os.open(slave_name, os.O_RDWR))  # becomes the controlling terminal

    process = subprocess.Popen(
        tool_command() + arguments, env=home.env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=attach_terminal,
    )
    os.close(slave)
    screen = b""
    deadline = time.time() + timeout
    while process.poll() is None and time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                screen += os.read(master, 4096)
            except OSError:
                break
    stdout, stderr = process.communicate(timeout=timeout)
    while select.select([master], [], [], 0.1)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    return process.returncode, stdout, stderr, screen.decode(errors="replace")


def test_credential_path_prompts_on_terminal(home, emulator):
    code, stdout, stderr, screen = run_with_terminal(home, ["--profile", "dev-sso"])
    assert code == 0, stderr
    parse_credentials(stdout)
    assert f"{emulator.url}/device" in screen
    assert "user_code=" in screen
    assert "user_code=" not in stderr
    assert emulator.calls["StartDeviceAuthorization"] == 1


def test_credential_path_no_login_with_terminal(home, emulator):
    code, stdout, stderr, screen = run_with_terminal(
        home, ["--profile", "dev-sso", "--no-login"])
    assert code == 3
    assert stdout == ""
    assert screen == ""
    assert emulator.calls["RegisterClient"] == 0


def test_login_then_credentials(home, emulator):
    assert home.run(LOGIN).returncode == 0
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccountId"] == "111122223333"
    assert emulator.calls["CreateToken:refresh_token"] == 0


def test_control_characters_not_echoed(home, emulator):
    emulator.inject("StartDeviceAuthorization", status=200, body=json.dumps({
        "deviceCode": "DC", "userCode": "AB\x1b[2J\x1b]0;title\x07CD",
        "verificationUri": "https://device.example/", "expiresIn": 2, "interval": 1,
    }))
    result = home.run(LOGIN)
    assert "\x1b" not in result.stderr
    assert "AB?[2J?]0;title?CD" in result.stderr


def test_incomplete_device_authorization(home, emulator):
    emulator.inject("StartDeviceAuthorization", status=200,
                    body=json.dumps({"deviceCode": "DC"}))
    result = home.run(LOGIN)
    assert result.returncode == 5
    assert "userCode" in result.stderr
    assert emulator.calls["CreateToken"] == 0


def test_login_follows_credential_process_profile(home, emulator):
    result = home.run(["login", "--profile", "dev", "--use-device-code",
                       "--no-browser"])
    assert result.returncode == 0, result.stderr
    assert 'sso-session "my-sso"' in result.stderr
    assert home.token_file().exists()
