"""SSO settings are read from the config file the way botocore reads them."""

import textwrap

import pytest

from credential_process import config
from credential_process.errors import ConfigError


def load(tmp_path, text):
    path = tmp_path / "config"
    path.write_text(textwrap.dedent(text))
    return config.load_config_file(str(path))


SESSION = textwrap.dedent("""\
    [sso-session my-sso]
    sso_start_url = https://example.awsapps.com/start
    sso_region = us-east-1
    sso_registration_scopes = sso:account:access, sso:other

    [profile dev-sso]
    sso_session = my-sso
    sso_account_id = 111122223333
    sso_role_name = ReadOnly
    """)


def test_session_profile_inherits_session(tmp_path):
    settings = config.resolve_settings(load(tmp_path, SESSION), profile="dev-sso")
    assert settings.start_url == "https://example.awsapps.com/start"
    assert settings.sso_region == "us-east-1"
    assert settings.session_name == "my-sso"
    assert settings.registration_scopes == ["sso:account:access", "sso:other"]
    assert settings.account_id == "111122223333"
    assert settings.role_name == "ReadOnly"


def test_options_override_profile(tmp_path):
    settings = config.resolve_settings(
        load(tmp_path, SESSION), profile="dev-sso", account_id="444455556666",
        role_name="Admin",
    )
    assert settings.account_id == "444455556666"
    assert settings.role_name == "Admin"


def test_explicit_session_form(tmp_path):
    settings = config.resolve_settings(
        load(tmp_path, SESSION), sso_session="my-sso", account_id="111122223333",
        role_name="R",
    )
    assert settings.cache_identity == "my-sso"
    assert settings.profile_name is None


def test_explicit_start_url_form(tmp_path):
    settings = config.resolve_settings(
        load(tmp_path, ""), start_url="https://example.awsapps.com/start",
        sso_region="eu-west-1", account_id="111122223333", role_name="R",
    )
    assert settings.cache_identity == "https://example.awsapps.com/start"
    assert settings.session_name is None


def test_conflicting_value_rejected(tmp_path):
    parsed = load(tmp_path, SESSION + "sso_start_url = https://other.awsapps.com/start\n")
    with pytest.raises(ConfigError) as raised:
        config.resolve_settings(parsed, profile="dev-sso")
    message = str(raised.value)
    assert "https://other.awsapps.com/start" in message
    assert "https://example.awsapps.com/start" in message
    assert "sso_start_url" in message


def test_equal_value_in_both_accepted(tmp_path):
    parsed = load(tmp_path, SESSION + "sso_region = us-east-1\n")
    assert config.resolve_settings(parsed, profile="dev-sso").sso_region == "us-east-1"


def test_unknown_session_named(tmp_path):
    parsed = load(tmp_path, SESSION.replace("sso_session = my-sso", "sso_session = nope"))
    with pytest.raises(ConfigError, match='sso-session "nope" was not found'):
        config.resolve_settings(parsed, profile="dev-sso")


def test_missing_region_listed(tmp_path):
    parsed = load(tmp_path, SESSION.replace("sso_region = us-east-1\n", ""))
    with pytest.raises(ConfigError, match="sso_region"):
        config.resolve_settings(parsed, profile="dev-sso")


def test_unknown_profile_named(tmp_path):
    with pytest.raises(ConfigError, match='profile "ghost" was not found'):
        config.resolve_settings(load(tmp_path, SESSION), profile="ghost")


def test_hash_in_value_kept(tmp_path):
    # RawConfigParser, as botocore uses it, has no inline comments.
    parsed = load(tmp_path, """\
        [profile p]
        sso_start_url = https://example.awsapps.com/start#/
        sso_region = us-east-1 ; not a comment
        """)
    assert parsed.profiles["p"]["sso_start_url"] == "https://example.awsapps.com/start#/"
    assert parsed.profiles["p"]["sso_region"] == "us-east-1 ; not a comment"


def test_later_default_section_wins(tmp_path):
    parsed = load(tmp_path, """\
        [default]
        region = a
        [profile default]
        region = b
        """)
    assert parsed.profiles["default"]["region"] == "b"


def test_quoted_profile_name_with_space(tmp_path):
    parsed = load(tmp_path, '[profile "dev sso"]\nregion = x\n')
    assert parsed.profiles["dev sso"]["region"] == "x"


def test_unquoted_profile_name_with_space(tmp_path):
    # botocore reads no profile from this section, so neither does the tool.
    parsed = load(tmp_path, "[profile dev sso]\nregion = x\n")
    assert "dev sso" not in parsed.profiles
    expected = r'Rename the section to \[profile "dev sso"\]'
    with pytest.raises(ConfigError, match=expected):
        config.resolve_settings(parsed, profile="dev sso")


def test_parse_matches_botocore(tmp_path):
    from botocore.configloader import load_config

    text = SESSION + textwrap.dedent("""\
        [services local]
        sso_oidc =
          endpoint_url = http://127.0.0.1:1
        [default]
        region = eu-west-1
        [profile "quoted name"]
        region = x
        """)
    path = tmp_path / "config"
    path.write_text(textwrap.dedent(text))
    ours = config.load_config_file(str(path))
    theirs = load_config(str(path))
    assert ours.profiles == theirs["profiles"]
    assert ours.sso_sessions == theirs["sso_sessions"]
    assert ours.services == theirs["services"]


def test_duplicate_section_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="Unable to parse the AWS config file"):
        load(tmp_path, "[profile a]\nx = 1\n[profile a]\nx = 2\n")


def test_http_start_url_rejected(tmp_path):
    parsed = load(tmp_path, SESSION.replace("https://example", "http://example"))
    with pytest.raises(ConfigError, match="not an https URL"):
        config.resolve_settings(parsed, profile="dev-sso")


def test_shadowing_keys_found(tmp_path):
    parsed = load(tmp_path, """\
        [profile both]
        credential_process = sso-credential-process --profile x
        sso_account_id = 1
        """)
    assert config.shadowing_keys(parsed, "both") == ["sso_account_id"]
