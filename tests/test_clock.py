"""Expiry decisions hold under any time zone and a local clock off the service's."""

import json
import time

import pytest

from conftest import parse_credentials
from credential_process import cachefiles, timeutil

ZONES = ["Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "UTC"]


def role_entry(expires_at):
    return {"ProviderType": "sso", "Credentials": {
        "AccessKeyId": "ASIACACHED", "SecretAccessKey": "s", "SessionToken": "t",
        "Expiration": timeutil.format_timestamp(expires_at),
    }}


def offset_file(home):
    directory = home.aws / "sso-credential-process" / "clock"
    return directory / (cachefiles.token_cache_key("my-sso") + ".json")


@pytest.mark.parametrize("zone", ZONES)
def test_refresh_same_in_every_zone(home, emulator, zone):
    home.seed_token(emulator, expires_in=-60)
    result = home.run(["--profile", "dev-sso"], extra_env={"TZ": zone})
    assert result.returncode == 0, result.stderr
    stored = timeutil.parse_timestamp(home.read_json(home.token_file())["expiresAt"])
    assert abs(stored - (time.time() + 3600)) < 60
    key = parse_credentials(result.stdout)["AccessKeyId"]
    issued = emulator.role_credentials[key].expires_at
    expected = timeutil.format_timestamp(issued)
    assert parse_credentials(result.stdout)["Expiration"] == expected


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("minutes_left,fetches", [(20, 0), (10, 1)])
def test_role_cache_same_in_every_zone(home, emulator, zone, minutes_left, fetches):
    home.seed_token(emulator)
    home.write_json(home.role_file(), role_entry(time.time() + minutes_left * 60))
    result = home.run(["--profile", "dev-sso"], extra_env={"TZ": zone})
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == fetches


def test_slow_local_clock_keeps_fresh_cache(home, emulator):
    """The service is 50 minutes behind: hour-long credentials are still fresh."""
    emulator.configure(clock_offset=-3000)
    home.seed_token(emulator)
    first = home.run(["--profile", "dev-sso"])
    assert first.returncode == 0, first.stderr
    assert "expire in" not in first.stderr
    second = home.run(["--profile", "dev-sso"])
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""
    assert emulator.calls["GetRoleCredentials"] == 1
    assert json.loads(offset_file(home).read_text())["offsetSeconds"] < -2900


def test_fast_service_clock_refetches_stale(home, emulator):
    """The service is 20 minutes ahead: credentials with 10 minutes left are stale."""
    emulator.configure(clock_offset=1200)
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    home.write_json(home.role_file(), role_entry(emulator.now() + 600))
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert parse_credentials(result.stdout)["AccessKeyId"] != "ASIACACHED"
    assert emulator.calls["GetRoleCredentials"] == 2


def test_fast_service_clock_refreshes_token(home, emulator):
    emulator.configure(clock_offset=1200)
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    home.role_file().unlink()
    record = home.read_json(home.token_file())
    record["expiresAt"] = timeutil.format_timestamp(emulator.now() + 600)
    home.write_json(home.token_file(), record)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1


def test_agreeing_clocks_write_no_offset(home, emulator):
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    assert not offset_file(home).exists()


def test_corrected_clock_removes_offset(home, emulator):
    emulator.configure(clock_offset=1200)
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    assert offset_file(home).exists()
    emulator.configure(clock_offset=0)
    home.role_file().unlink()
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    assert not offset_file(home).exists()


@pytest.mark.parametrize("content", ['{"offsetSeconds": "300"}', "[]", "",
                                     '{"offsetSeconds": 1e12}'])
def test_bad_offset_file_ignored(home, emulator, content):
    home.seed_token(emulator)
    home.write_json(home.role_file(), role_entry(time.time() + 3600))
    home.write_json(offset_file(home), content)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["GetRoleCredentials"] == 0
