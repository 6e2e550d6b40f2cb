"""Transient service faults are retried; the others end with the right exit code."""

import pytest

from conftest import parse_credentials
from test_login import run_with_terminal

EXIT_LOGIN, EXIT_REFUSED, EXIT_NETWORK = 3, 4, 5
SHORT_TIMEOUTS = {
    "SSO_CREDENTIAL_PROCESS_CONNECT_TIMEOUT": "1",
    "SSO_CREDENTIAL_PROCESS_READ_TIMEOUT": "1",
}
LOGIN = ["login", "--profile", "dev-sso", "--no-browser"]


def clean_failure(result, code):
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("status,error_type", [
    (500, "InternalServerException"),
    (503, "ServiceUnavailableException"),
    (429, "TooManyRequestsException"),
])
def test_portal_fault_retried(home, emulator, status, error_type):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", status=status, error_type=error_type,
                    body={"message": "busy"}, count=2)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 3


def test_portal_503_after_retries(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", status=503, count=3,
                    error_type="ServiceUnavailableException", body={"message": "x"})
    result = home.run(["--profile", "dev-sso"])
    clean_failure(result, EXIT_NETWORK)
    assert "Try again later" in result.stderr


@pytest.mark.parametrize("status", [500, 503])
def test_refresh_fault_retried(home, emulator, status):
    home.seed_token(emulator, expires_in=-60)
    emulator.inject("CreateToken", status=status, error_type="InternalServerException",
                    body={"error": "server_error"})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken"] == 2


def test_register_slow_down_retried(home, emulator):
    emulator.inject("RegisterClient", status=400, error_type="SlowDownException",
                    body={"error": "slow_down"})
    code, stdout, stderr, _ = run_with_terminal(home, ["--profile", "dev-sso"])
    assert code == 0, stderr
    parse_credentials(stdout)
    assert emulator.calls["RegisterClient"] == 2


def test_register_throttled_too_long(home, emulator):
    emulator.inject("RegisterClient", status=429, count=10,
                    error_type="TooManyRequestsException", body={"error": "x"})
    result = home.run(LOGIN)
    clean_failure(result, EXIT_NETWORK)
    assert "RegisterClient" in result.stderr


def test_read_timeout_retried(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", delay=3)
    result = home.run(["--profile", "dev-sso"], extra_env=SHORT_TIMEOUTS)
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 2


def test_read_timeout_exhausted(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", delay=3, count=3)
    result = home.run(["--profile", "dev-sso"], extra_env=SHORT_TIMEOUTS)
    clean_failure(result, EXIT_NETWORK)
    assert "timeout" in result.stderr.lower()


def test_dropped_connection_retried(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", close_connection=True)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr


def test_malformed_portal_json_prints_nothing(home, emulator):
    home.seed_token(emulator)
    emulator.inject("GetRoleCredentials", status=200, body="{not json",
                    headers={"Content-Type": "application/json"})
    result = home.run(["--profile", "dev-sso"])
    clean_failure(result, EXIT_NETWORK)
    assert "invalid response" in result.stderr


def test_malformed_device_answer_is_network(home, emulator):
    emulator.inject("StartDeviceAuthorization", status=200, body="{not json",
                    headers={"Content-Type": "application/json"})
    result = home.run(LOGIN)
    clean_failure(result, EXIT_NETWORK)
    assert "invalid response" in result.stderr


def test_malformed_refresh_keeps_valid_token(home, emulator):
    home.seed_token(emulator, expires_in=600)
    emulator.inject("CreateToken", status=200, body="<html>",
                    headers={"Content-Type": "text/html"})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 1


def test_refresh_unreachable_valid_token_used(home, emulator):
    home.seed_token(emulator, expires_in=300)
    emulator.inject("CreateToken", delay=3, count=3)
    result = home.run(["--profile", "dev-sso"], extra_env=SHORT_TIMEOUTS)
    assert result.returncode == 0, result.stderr
    assert "using the cached token until it expires" in result.stderr


def test_portal_401_hours_left_refreshes(home, emulator):
    record = home.seed_token(emulator, expires_in=6 * 3600)
    emulator.revoke_access_token(record["accessToken"])
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1
    assert emulator.calls["GetRoleCredentials"] == 2


def test_portal_401_twice_is_refusal(home, emulator):
    home.seed_token(emulator, expires_in=6 * 3600)
    emulator.inject("GetRoleCredentials", status=401,
                    error_type="UnauthorizedException",
                    body={"message": "Session token not found or invalid"}, count=2)
    result = home.run(["--profile", "dev-sso"])
    clean_failure(result, EXIT_REFUSED)
    assert emulator.calls["CreateToken:refresh_token"] == 1


def test_device_slow_down_backs_off(home, emulator):
    emulator.configure(approve_after_polls=0)
    emulator.inject("CreateToken", status=400, error_type="SlowDownException",
                    body={"error": "slow_down"})
    result = home.run(LOGIN + ["-v"])
    assert result.returncode == 0, result.stderr
    assert "interval is now 6 s" in result.stderr


def test_device_code_expired(home, emulator):
    emulator.inject("CreateToken", status=400, error_type="ExpiredTokenException",
                    body={"error": "expired_token"})
    result = home.run(LOGIN)
    clean_failure(result, EXIT_LOGIN)
    assert "device code" in result.stderr
    assert "login --sso-session my-sso" in result.stderr


def test_device_access_denied(home, emulator):
    emulator.inject("CreateToken", status=400, error_type="AccessDeniedException",
                    body={"error": "access_denied"})
    result = home.run(LOGIN)
    clean_failure(result, EXIT_REFUSED)
    assert "denied" in result.stderr
    assert emulator.calls["CreateToken"] == 1


def test_invalid_grant_not_retried(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.inject("CreateToken", status=400, error_type="InvalidGrantException",
                    body={"error": "invalid_grant"})
    result = home.run(["--profile", "dev-sso"])
    clean_failure(result, EXIT_LOGIN)
    assert emulator.calls["CreateToken"] == 1
    assert "refreshToken" not in home.read_json(home.token_file())
