"""A process killed at any step leaves no lock, no partial file and a live session.

Kill points come from emulator delays or from the documented crash-test variable
SSO_CREDENTIAL_PROCESS_TEST_PAUSE_AT, which makes the process sleep at a named step.
"""

import json
import os
import signal
import subprocess
import time

from conftest import parse_credentials, tool_command
from test_storms import wait_for_activity

PAUSE = "SSO_CREDENTIAL_PROCESS_TEST_PAUSE_AT"
WAITED = "Waiting for another process"


def start(home, arguments=("--profile", "dev-sso"), **extra_env):
    return subprocess.Popen(
        tool_command() + list(arguments), env=dict(home.env, **extra_env),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )


def kill_at_pause(process, timeout=60):
    """SIGKILL ``process`` once it reports that it paused; return its stderr."""
    deadline = time.time() + timeout
    line = ""
    while "paused at" not in line and time.time() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            raise AssertionError("the process exited before its pause point")
    process.kill()
    process.communicate()
    return line


def temporary_files(directory):
    return [p for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_kill_holding_lock_next_proceeds(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.inject("CreateToken", delay=3)
    holder = start(home)
    wait_for_activity(home, "refresh")
    holder.kill()
    holder.communicate()
    result = home.run(["--profile", "dev-sso", "-v"])
    assert result.returncode == 0, result.stderr
    assert WAITED not in result.stderr


def test_kill_holding_lock_keeps_session(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.inject("CreateToken", delay=8)
    injected = time.time()
    holder = start(home)
    wait_for_activity(home, "refresh")
    holder.kill()
    holder.communicate()
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    # Wait until the emulator has served the killed process's delayed request.
    time.sleep(max(0, injected + 8.5 - time.time()))
    stored = home.read_json(home.token_file())
    assert not emulator.refresh_tokens[stored["refreshToken"]].revoked


def test_kill_before_rename_leaves_no_partial(home, emulator):
    home.seed_token(emulator)
    process = start(home, **{PAUSE: "before-rename:" + home.role_file().name})
    kill_at_pause(process)
    assert not home.role_file().exists()
    assert len(temporary_files(home.role_cache)) == 1
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert home.read_json(home.role_file())["ProviderType"] == "sso"


def test_kill_before_rename_keeps_token(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    before = home.token_file().read_bytes()
    process = start(home, **{PAUSE: "before-rename:" + home.token_file().name})
    kill_at_pause(process)
    assert home.token_file().read_bytes() == before
    assert len(temporary_files(home.sso_cache)) == 1


def test_stale_temporary_file_removed(home, emulator):
    home.seed_token(emulator)
    process = start(home, **{PAUSE: "before-rename:" + home.role_file().name})
    kill_at_pause(process)
    [leftover] = temporary_files(home.role_cache)
    old = time.time() - 120
    os.utime(leftover, (old, old))
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    assert temporary_files(home.role_cache) == []


def test_kill_after_rotation_asks_login(home, emulator):
    """The one loss left: the service rotated the refresh token, then SIGKILL."""
    home.seed_token(emulator, expires_in=-60)
    process = start(home, **{PAUSE: "after-refresh"})
    kill_at_pause(process)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert "has ended" in result.stderr
    assert "login --sso-session my-sso" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_during_refresh_saves_token(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.inject("CreateToken", delay=2)
    process = start(home)
    wait_for_activity(home, "refresh")
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGTERM
    stored = home.read_json(home.token_file())
    assert not emulator.refresh_tokens[stored["refreshToken"]].revoked
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1


def test_kill_during_device_poll(home, emulator):
    emulator.configure(auto_approve=False)
    login = ["login", "--profile", "dev-sso", "--no-browser", "-v"]
    holder = start(home, login)
    wait_for_activity(home, "login")
    holder.kill()
    holder.communicate()
    emulator.configure(auto_approve=True)
    result = home.run(login)
    assert result.returncode == 0, result.stderr
    assert WAITED not in result.stderr
    assert emulator.calls["StartDeviceAuthorization"] == 2
    assert json.loads(home.token_file().read_text())["accessToken"]
