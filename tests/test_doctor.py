"""The doctor command: config, permissions, locks and clock checks."""

import pytest

from conftest import LEGACY_CONFIG, SESSION_CONFIG


def test_doctor_healthy_config(home, emulator):
    result = home.run(["doctor"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found" in result.stdout
    assert emulator.calls["RegisterClient"] == 0


def test_doctor_shadowed_profile(home, emulator):
    home.write_config(SESSION_CONFIG + """
    [profile shadowed]
    credential_process = TOOL --profile dev-sso
    sso_account_id = 111122223333
    """)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "[profile shadowed] has credential_process and sso_account_id" \
        in result.stdout


def test_doctor_missing_scopes(home, emulator):
    home.write_config(SESSION_CONFIG.replace(
        "    sso_registration_scopes = sso:account:access\n", ""))
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "no sso_registration_scopes" in result.stdout


def test_doctor_conflicting_values(home, emulator):
    home.write_config(SESSION_CONFIG.replace(
        "    sso_account_id = 111122223333\n",
        "    sso_account_id = 111122223333\n"
        "    sso_start_url = https://other.awsapps.com/start\n"))
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "inconsistent" in result.stdout


def test_doctor_plain_http_start_url(home, emulator):
    home.write_config(SESSION_CONFIG.replace("https://example", "http://example"))
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "is not an https URL" in result.stdout


def test_doctor_loose_permissions(home, emulator):
    home.seed_token(emulator)
    home.token_file().chmod(0o644)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert f"chmod 600 {home.token_file()}" in result.stdout


def test_doctor_clock_skew(home, emulator):
    emulator.clock_offset = 600
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "s behind SSO OIDC in us-east-1" in result.stdout


def test_doctor_clock_in_sync(home, emulator):
    result = home.run(["doctor"])
    assert "clock within 60 s of SSO OIDC in us-east-1" in result.stdout
    assert emulator.calls["CreateToken"] == 1


def test_doctor_lock_directory_blocked(home, emulator, tmp_path):
    blocker = tmp_path / "state-file"
    blocker.write_text("")
    result = home.run(["doctor"], extra_env={
        "SSO_CREDENTIAL_PROCESS_STATE_DIR": str(blocker)})
    assert result.returncode == 2
    assert f"{blocker} is not a directory" in result.stdout


def test_doctor_relative_tool_path(home, emulator):
    home.write_config(SESSION_CONFIG + """
    [profile relative]
    credential_process = sso-credential-process --profile dev-sso
    """)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "by a relative path" in result.stdout


def test_doctor_unknown_profile_reference(home, emulator):
    home.write_config(SESSION_CONFIG + """
    [profile broken]
    credential_process = TOOL --profile missing-sso
    """)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "--profile missing-sso, which is not defined" in result.stdout


def test_doctor_http_session_once(home, emulator):
    home.write_config(SESSION_CONFIG.replace("https://example", "http://example"))
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert result.stdout.count("is not an https URL") == 1
    assert "ok       [sso-session my-sso]" not in result.stdout
    assert "\n1 problem(s) found." in result.stdout


def test_doctor_http_legacy_profile_once(legacy_home, emulator):
    legacy_home.write_config(LEGACY_CONFIG.replace("https://example",
                                                   "http://example"))
    result = legacy_home.run(["doctor"])
    assert result.returncode == 2
    assert result.stdout.count("is not an https URL") == 1
    assert result.stdout.count("sets sso_start_url directly") == 1
    assert "ok       [profile legacy-sso]" not in result.stdout
    assert "\n2 problem(s) found." in result.stdout


def test_doctor_shadowed_profile_once(home, emulator):
    home.write_config(SESSION_CONFIG + """
    [profile shadowed]
    credential_process = TOOL --profile dev-sso
    sso_account_id = 111122223333
    sso_session = my-sso
    """)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert result.stdout.count("[profile shadowed]") == 1
    assert "\n1 problem(s) found." in result.stdout


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o711], ids=oct)
def test_doctor_readable_cache_directory(home, emulator, mode):
    home.seed_token(emulator)
    home.sso_cache.chmod(mode)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert f"{home.sso_cache} has mode {mode:o}" in result.stdout
    assert "other users can list or enter it" in result.stdout
    assert "the cache files in it are still private (mode 600)" in result.stdout
    assert f"fix: run: chmod 700 {home.sso_cache}" in result.stdout
    assert "ok       cache directories" not in result.stdout
    assert "\n1 problem(s) found." in result.stdout


def test_doctor_readable_directory_loose_file(home, emulator):
    home.seed_token(emulator)
    home.sso_cache.chmod(0o755)
    home.token_file().chmod(0o644)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert "other users can list or enter it" in result.stdout
    assert "still private" not in result.stdout
    assert f"chmod 700 {home.sso_cache}" in result.stdout
    assert f"chmod 600 {home.token_file()}" in result.stdout
    assert "\n2 problem(s) found." in result.stdout


def test_doctor_writable_cache_directory(home, emulator):
    home.seed_token(emulator)
    home.sso_cache.chmod(0o777)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert f"{home.sso_cache} has mode 777; others can write to it" in result.stdout
    assert f"fix: run: chmod 700 {home.sso_cache}" in result.stdout


def test_doctor_readable_lock_directory(home, emulator):
    state = home.aws / "sso-credential-process"
    state.mkdir(mode=0o700)
    locks = state / "locks"
    locks.mkdir(mode=0o755)
    locks.chmod(0o755)
    result = home.run(["doctor"])
    assert result.returncode == 2
    assert f"chmod 700 {locks}" in result.stdout
    assert "ok       lock directory" not in result.stdout


def test_doctor_missing_config_file(home, emulator, tmp_path):
    missing = tmp_path / "nonexistent"
    result = home.run(["doctor"], extra_env={"AWS_CONFIG_FILE": str(missing)})
    assert result.returncode == 2
    assert f"the AWS config file {missing} does not exist" in result.stdout
    assert "aws configure sso" in result.stdout
    assert "defines no [sso-session] section" not in result.stdout
    assert "\n1 problem(s) found." in result.stdout
