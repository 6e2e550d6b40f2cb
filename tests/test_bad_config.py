"""Bad configuration exits 2 with one message naming the file, section and key.

Every case runs the real executable and checks that no service was called.
"""

import textwrap

import pytest

from conftest import ACCOUNT, REGION, ROLE, SESSION, START_URL, parse_credentials

EXIT_USAGE = 2


def run_config(home, emulator, text, arguments=("--profile", "dev-sso"), env=None):
    home.write_config(text)
    result = home.run(list(arguments), extra_env=env)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert sum(emulator.calls.values()) == 0
    assert str(home.config_file) in result.stderr
    return result.stderr


PROFILE = textwrap.dedent(f"""\
    [profile dev-sso]
    sso_session = {SESSION}
    sso_account_id = {ACCOUNT}
    sso_role_name = {ROLE}
    """)


def session_section(**values):
    lines = [f"[sso-session {SESSION}]"]
    values = dict({"sso_start_url": START_URL, "sso_region": REGION}, **values)
    lines += [f"{key} = {value}" for key, value in values.items() if value is not None]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("key", ["sso_start_url", "sso_region"])
def test_missing_session_key_named(home, emulator, key):
    message = run_config(home, emulator, session_section(**{key: None}) + PROFILE)
    assert f"[sso-session {SESSION}]" in message
    assert key in message


@pytest.mark.parametrize("key", ["sso_account_id", "sso_role_name"])
def test_missing_role_key_names_profile(home, emulator, key):
    text = session_section() + PROFILE.replace(f"{key} =", "# gone =")
    message = run_config(home, emulator, text)
    assert "[profile dev-sso]" in message
    assert key in message


def test_unknown_session_named(home, emulator):
    message = run_config(home, emulator, session_section() + PROFILE.replace(
        f"sso_session = {SESSION}", "sso_session = nope"))
    assert 'sso-session "nope" was not found' in message


def test_conflicting_start_url_named(home, emulator):
    other = "sso_start_url = https://other.awsapps.com/start\n"
    text = session_section() + PROFILE + other
    message = run_config(home, emulator, text)
    assert "sso_start_url" in message
    assert "https://other.awsapps.com/start" in message
    assert START_URL in message
    assert 'profile "dev-sso"' in message


def test_shadowed_profile_rejected(home, emulator):
    text = session_section() + textwrap.dedent(f"""\
        [profile dev]
        credential_process = TOOL --profile dev
        sso_session = {SESSION}
        sso_account_id = {ACCOUNT}
        sso_role_name = {ROLE}
        """)
    message = run_config(home, emulator, text, ["--profile", "dev"])
    assert "[profile dev]" in message
    assert "sso_account_id" in message
    assert "credential_process" in message


def test_shadowed_profile_rejected_on_warm_cache(home, emulator):
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    emulator.reset_counters()
    text = session_section() + PROFILE + "credential_process = TOOL --profile dev-sso\n"
    message = run_config(home, emulator, text)
    assert "sso_role_name" in message


def test_http_start_url_rejected(home, emulator):
    text = session_section(sso_start_url="http://example.awsapps.com/start") + PROFILE
    message = run_config(home, emulator, text)
    assert "sso_start_url" in message
    assert f"[sso-session {SESSION}]" in message


def test_remote_http_endpoint_rejected(home, emulator):
    del home.env["AWS_ENDPOINT_URL_SSO"]
    home.seed_token(emulator)
    emulator.reset_counters()
    text = session_section() + PROFILE + "endpoint_url = http://portal.example.com\n"
    home.write_config(text)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == EXIT_USAGE
    assert "not https" in result.stderr
    assert "endpoint_url" in result.stderr
    assert "[profile dev-sso]" in result.stderr
    assert str(home.config_file) in result.stderr
    assert sum(emulator.calls.values()) == 0


def test_global_endpoint_variable_named(home, emulator):
    # example.com is never contacted: the endpoint is rejected before any call.
    del home.env["AWS_ENDPOINT_URL_SSO"]
    home.seed_token(emulator)
    emulator.reset_counters()
    result = home.run(["--profile", "dev-sso"],
                      extra_env={"AWS_ENDPOINT_URL": "http://portal.example.com"})
    assert result.returncode == EXIT_USAGE
    assert "fix AWS_ENDPOINT_URL," in result.stderr
    assert sum(emulator.calls.values()) == 0


def test_malformed_ini_named(home, emulator):
    message = run_config(home, emulator, "[profile dev-sso\nsso_region\n")
    assert "Unable to parse the AWS config file" in message


def test_hash_in_start_url_kept(legacy_home, emulator):
    url = START_URL + "#/"
    legacy_home.write_config(f"""\
        [profile legacy-sso]
        sso_start_url = {url}
        sso_region = {REGION}
        sso_account_id = {ACCOUNT}
        sso_role_name = {ROLE}
        """)
    legacy_home.seed_token(emulator, identity=url, refreshable=False, startUrl=url)
    result = legacy_home.run(["--profile", "legacy-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)


def test_semicolon_in_role_name_kept(home, emulator):
    home.seed_token(emulator)
    home.write_config(session_section() + PROFILE.replace(
        f"sso_role_name = {ROLE}", "sso_role_name = Read;Only #1"))
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 4
    assert "Read;Only #1" in result.stderr


@pytest.mark.parametrize("header", ["[default]", "[profile default]"])
def test_default_profile_either_header(home, emulator, header):
    home.seed_token(emulator)
    home.write_config(session_section() + PROFILE.replace("[profile dev-sso]", header))
    result = home.run(["--profile", "default"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)


def test_later_default_header_wins(home, emulator):
    home.seed_token(emulator)
    broken = PROFILE.replace("[profile dev-sso]", "[default]").replace(
        f"sso_role_name = {ROLE}", "sso_role_name = Other")
    working = PROFILE.replace("[profile dev-sso]", "[profile default]")
    home.write_config(session_section() + broken + working)
    result = home.run(["--profile", "default"])
    assert result.returncode == 0, result.stderr


def test_unquoted_profile_with_space(home, emulator):
    text = session_section() + PROFILE.replace("[profile dev-sso]", "[profile dev sso]")
    message = run_config(home, emulator, text, arguments=("--profile", "dev sso"))
    assert '[profile "dev sso"]' in message


@pytest.mark.parametrize("option, value, key", [
    ("--start-url", "https://other.awsapps.com/start", "sso_start_url"),
    ("--sso-region", "eu-west-1", "sso_region"),
])
def test_session_option_conflict(home, emulator, option, value, key):
    arguments = ("--sso-session", SESSION, option, value, "--account-id", ACCOUNT,
                 "--role-name", ROLE)
    message = run_config(home, emulator, session_section() + PROFILE,
                         arguments=arguments)
    assert option in message
    assert value in message
    assert key in message
    assert f"[sso-session {SESSION}]" in message
    assert not home.token_file().exists()


def test_session_option_same_value_accepted(home, emulator):
    home.write_config(session_section() + PROFILE)
    home.seed_token(emulator)
    result = home.run(["--sso-session", SESSION, "--start-url", START_URL,
                       "--sso-region", REGION, "--account-id", ACCOUNT,
                       "--role-name", ROLE])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)


def test_invalid_account_in_profile(home, emulator):
    text = session_section() + PROFILE.replace(f"sso_account_id = {ACCOUNT}",
                                               "sso_account_id = 12345")
    message = run_config(home, emulator, text)
    assert "'12345'" in message
    assert "sso_account_id in [profile dev-sso]" in message


@pytest.mark.parametrize("value", ["abc", "1111222233334", "11112222333x"])
def test_invalid_account_option(home, emulator, value):
    result = home.run(["--sso-session", SESSION, "--account-id", value,
                       "--role-name", ROLE])
    assert result.returncode == EXIT_USAGE
    assert result.stdout == ""
    assert repr(value) in result.stderr
    assert "--account-id" in result.stderr
    assert "12 digits" in result.stderr
    assert sum(emulator.calls.values()) == 0
