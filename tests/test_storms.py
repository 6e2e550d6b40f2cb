"""Storms of parallel invocations make one service call each, and waits are bounded.

The 50-process cold-cache and refresh storms are in test_concurrency.py; the
200-process ones are marked slow and run in CI with ``-m slow``.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import tool_command
from storm import PROMPT_MARKER, run_storm

STORM_ENV = {"SSO_CREDENTIAL_PROCESS_NO_BROWSER": "1"}
SHORT_TIMEOUTS = {
    "SSO_CREDENTIAL_PROCESS_CONNECT_TIMEOUT": "1",
    "SSO_CREDENTIAL_PROCESS_READ_TIMEOUT": "1",
}


def storm_env(home, **extra):
    return dict(home.env, **STORM_ENV, **extra)


def assert_all_succeeded(outcomes):
    failures = [o for o in outcomes if o.returncode != 0]
    assert failures == [], failures[0].stderr
    keys = {json.loads(o.stdout)["AccessKeyId"] for o in outcomes}
    assert len(keys) == 1


@pytest.mark.slow
def test_cold_cache_storm_200(home, emulator):
    home.seed_token(emulator)
    emulator.response_delay["GetRoleCredentials"] = 0.3
    outcomes = run_storm(storm_env(home), 200)
    assert_all_succeeded(outcomes)
    assert emulator.calls["GetRoleCredentials"] == 1


@pytest.mark.slow
def test_refresh_storm_200(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.response_delay["CreateToken"] = 0.3
    outcomes = run_storm(storm_env(home), 200)
    assert_all_succeeded(outcomes)
    assert emulator.calls["CreateToken:refresh_token"] == 1
    assert emulator.calls["GetRoleCredentials"] == 1
    stored = home.read_json(home.token_file())
    assert stored["refreshToken"] in emulator.refresh_tokens
    assert not emulator.refresh_tokens[stored["refreshToken"]].revoked


def login_storm(home, emulator, count):
    outcomes = run_storm(storm_env(home), count, terminal=True)
    assert_all_succeeded(outcomes)
    prompts = [o for o in outcomes if PROMPT_MARKER in o.screen]
    assert len(prompts) == 1
    assert emulator.calls["StartDeviceAuthorization"] == 1
    assert emulator.calls["RegisterClient"] == 1
    assert emulator.calls["CreateToken:refresh_token"] == 0
    assert emulator.calls["GetRoleCredentials"] == 1
    assert all(PROMPT_MARKER not in o.stderr for o in outcomes)


def test_login_storm_one_prompt(home, emulator):
    login_storm(home, emulator, 50)


@pytest.mark.slow
def test_login_storm_200(home, emulator):
    login_storm(home, emulator, 200)


def start_holder(home, extra_env, arguments=("--profile", "dev-sso")):
    return subprocess.Popen(
        tool_command() + list(arguments), env=dict(home.env, **extra_env),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )


def wait_for_activity(home, activity, timeout=30):
    """Wait until a lock holder announces ``activity``; return the announcement."""
    locks = home.aws / "sso-credential-process" / "locks"
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in locks.glob("*.activity") if locks.exists() else ():
            try:
                document = json.loads(path.read_text())
            except ValueError:
                continue
            if document.get("activity") == activity:
                return document
        time.sleep(0.05)
    raise AssertionError(f"no lock holder announced {activity}")


def test_stuck_refresh_wait_bounded(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.inject("CreateToken", delay=5)
    holder = start_holder(home, SHORT_TIMEOUTS)
    try:
        wait_for_activity(home, "refresh")
        os.kill(holder.pid, signal.SIGSTOP)  # holds the lock and never finishes
        waiter = home.run(["--profile", "dev-sso"], extra_env=SHORT_TIMEOUTS)
    finally:
        holder.kill()
        holder.communicate()
    assert waiter.returncode == 5
    assert "Timed out" in waiter.stderr
    assert f"process {holder.pid}, refreshing the SSO token" in waiter.stderr
    assert "Traceback" not in waiter.stderr


def test_stuck_login_wait_bounded(home, emulator):
    emulator.configure(auto_approve=False, device_code_ttl=3)
    holder = start_holder(home, SHORT_TIMEOUTS,
                          ["login", "--profile", "dev-sso", "--no-browser"])
    try:
        announced = wait_for_activity(home, "login")
        os.kill(holder.pid, signal.SIGSTOP)
        waiter = home.run(["--profile", "dev-sso"], extra_env=SHORT_TIMEOUTS)
    finally:
        holder.kill()
        holder.communicate()
    assert waiter.returncode == 5
    assert "waiting for a login" in waiter.stderr
    assert announced["pid"] == holder.pid


def test_login_holder_waited_for(home, emulator):
    """A waiter outlasts the base wait while the holder's device code is valid."""
    emulator.configure(auto_approve=False, device_code_ttl=60)
    holder = start_holder(home, SHORT_TIMEOUTS,
                          ["login", "--profile", "dev-sso", "--no-browser"])
    try:
        wait_for_activity(home, "login")
        waiter = start_holder(home, SHORT_TIMEOUTS)
        # Longer than the 20 s base wait with one-second timeouts.
        time.sleep(23)
        device = next(iter(emulator.device_authorizations.values()))
        emulator.approve(device.user_code)
        stdout, stderr = waiter.communicate(timeout=60)
    finally:
        holder.kill()
        holder.communicate()
    assert waiter.returncode == 0, stderr
    assert emulator.calls["StartDeviceAuthorization"] == 1
