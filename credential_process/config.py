"""Read SSO settings from the AWS config file the way botocore reads them.

The parser mirrors ``botocore.configloader``: ``configparser.RawConfigParser`` (so
``#`` and ``;`` inside a value are part of the value), indented blocks become
sub-sections, section names are split with ``shlex``, and a later ``[default]`` or
``[profile default]`` replaces an earlier one. Only the standard library is used,
because this module is on the cache-hit path.
"""

from __future__ import annotations

import os

from .errors import ConfigError

DEFAULT_CONFIG_FILE = os.path.join("~", ".aws", "config")

# The keys that make botocore's own SSO credential provider claim a profile before
# it ever reaches ``credential_process`` (botocore ``SSOProvider._load_sso_config``).
SSO_PROVIDER_KEYS = ("sso_account_id", "sso_role_name")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class ConfigFile:
    """Parsed config file: profiles, sso-session sections and services sections."""

    def __init__(self, path: str, profiles: dict, sso_sessions: dict, services: dict,
                 unquoted_profiles=None):
        self.path = path
        self.profiles = profiles
        self.sso_sessions = sso_sessions
        self.services = services
        # Names of "[profile dev sso]" sections, which botocore does not read.
        self.unquoted_profiles = unquoted_profiles or set()


class SsoSettings:
    """Everything needed to get role credentials for one account and role."""

    __slots__ = (
        "profile_name",
        "session_name",
        "start_url",
        "sso_region",
        "registration_scopes",
        "account_id",
        "role_name",
        "login_method",
        "config_path",
    )

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    @property
    def cache_identity(self) -> str:
        """Return the string the token cache file name is derived from."""
        return self.session_name if self.session_name else self.start_url

    @property
    def login_target(self) -> str:
        """Return the login command-line options that select this session."""
        if self.session_name:
            return f"--sso-session {quote_argument(self.session_name)}"
        if self.profile_name:
            return f"--profile {quote_argument(self.profile_name)}"
        return (
            f"--start-url {quote_argument(self.start_url)} "
            f"--sso-region {quote_argument(self.sso_region)}"
        )

    @property
    def description(self) -> str:
        """Return a short phrase naming the session, for messages."""
        if self.session_name:
            return f'sso-session "{self.session_name}"'
        return f"start URL {self.start_url}"


def quote_argument(value: str) -> str:
    """Quote ``value`` for a POSIX shell only when it needs quoting."""
    if value and all(c.isalnum() or c in "-_./:@%+=,#" for c in value):
        return value
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def config_file_path(environ=os.environ) -> str:
    """Return the config file path from ``AWS_CONFIG_FILE`` or the default."""
    path = environ.get("AWS_CONFIG_FILE") or DEFAULT_CONFIG_FILE
    return os.path.expanduser(os.path.expandvars(path))


def load_config_file(path: str) -> ConfigFile:
    """Parse ``path``; a missing file is an empty config, a malformed one an error."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as stream:
            parser.read_file(stream, source=path)
    except FileNotFoundError:
        return ConfigFile(path, {}, {}, {})
    except (configparser.Error, UnicodeDecodeError) as error:
        reason = str(error).replace("\n", " ")
        raise ConfigError(
            f"Unable to parse the AWS config file {path}: {reason}. "
            "Fix the file so that it is valid INI."
        ) from None
    except OSError as error:
        raise ConfigError(
            f"Unable to read the AWS config file {path}: {error.strerror}."
        ) from None

    sections = {}
    for section in parser.sections():
        options = parser.options(section)
        sections[section] = {option: parser.get(section, option) for option in options}
    return _config_from_sections(path, sections)


def read_config_file(path: str) -> ConfigFile:
    """Parse ``path`` with the plain reader, or with configparser if it declines."""
    parsed = load_plain_config_file(path)
    if parsed is None:
        parsed = load_config_file(path)
    return parsed


def load_plain_config_file(path: str):
    """Parse ``path`` like ``load_config_file`` but without importing configparser.

    Returns None when the file cannot be read or uses INI syntax that
    ``inifile.parse`` leaves to configparser; ``load_config_file`` then gives the
    result or the error. The cache-hit path uses this because configparser
    imports ``re``, which costs milliseconds.
    """
    from . import inifile

    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError:
        return ConfigFile(path, {}, {}, {})
    except (OSError, UnicodeDecodeError):
        return None
    sections = inifile.parse(text)
    if sections is None:
        return None
    return _config_from_sections(path, sections)


def _config_from_sections(path: str, sections: dict) -> ConfigFile:
    """Parse indented sub-sections (as botocore does) and sort sections by kind."""
    parsed = {}
    for section, options in sections.items():
        values = {}
        for option, value in options.items():
            if value.startswith("\n"):
                value = _parse_subsection(path, section, option, value)
            values[option] = value
        parsed[section] = values
    return _build_profile_map(path, parsed)


def _parse_subsection(path: str, section: str, option: str, text: str) -> dict:
    parsed = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        key, separator, value = line.partition("=")
        if not separator:
            raise ConfigError(
                f"Unable to parse the AWS config file {path}: in section [{section}] "
                f'the indented line "{line}" under "{option}" has no "=".'
            )
        parsed[key.strip()] = value.strip()
    return parsed


def _section_name(header: str):
    """Return the name in ``profile NAME`` style headers, split as botocore does."""
    if any(character in header for character in "'\"\\"):
        import shlex

        try:
            parts = shlex.split(header)
        except ValueError:
            return None
    else:
        # Without quotes or backslashes shlex.split only splits at its whitespace
        # characters; splitting here spares the cache-hit path importing shlex.
        for whitespace in "\t\r\n":
            header = header.replace(whitespace, " ")
        parts = [part for part in header.split(" ") if part]
    if len(parts) == 2:
        return parts[1]
    return None


def _build_profile_map(path: str, sections: dict) -> ConfigFile:
    profiles, sso_sessions, services = {}, {}, {}
    unquoted_profiles = set()
    for header, values in sections.items():
        if header.startswith("profile"):
            name = _section_name(header)
            if name is not None:
                profiles[name] = values
            elif header.startswith("profile "):
                # botocore ignores "[profile dev sso]"; remembered for the error.
                unquoted_profiles.add(" ".join(header[len("profile ") :].split()))
        elif header.startswith("sso-session"):
            name = _section_name(header)
            if name is not None:
                sso_sessions[name] = values
        elif header.startswith("services"):
            name = _section_name(header)
            if name is not None:
                services[name] = values
        elif header == "default":
            profiles["default"] = values
    return ConfigFile(path, profiles, sso_sessions, services, unquoted_profiles)


def parse_registration_scopes(value):
    """Split ``sso_registration_scopes`` as the AWS CLI does, or return None."""
    if not value:
        return None
    scopes = [scope.strip() for scope in value.split(",")]
    return [scope for scope in scopes if scope] or None


def resolve_settings(
    config: ConfigFile,
    profile=None,
    sso_session=None,
    start_url=None,
    sso_region=None,
    account_id=None,
    role_name=None,
    require_role=True,
) -> SsoSettings:
    """Combine the profile, its sso-session and command-line options into settings.

    Options given on the command line override the profile. A key set in both the
    profile and its sso-session with different values is an error, as in botocore.
    """
    values = {}
    source = {}
    if profile is not None:
        values, source = _profile_values(config, profile)

    session_name = sso_session or values.get("sso_session")
    if session_name:
        values = _merge_session(config, profile, session_name, values, source)
        _check_session_options(config, session_name, start_url, sso_region)

    settings = SsoSettings(
        profile_name=profile,
        session_name=session_name or None,
        start_url=start_url or values.get("sso_start_url"),
        sso_region=sso_region or values.get("sso_region"),
        registration_scopes=parse_registration_scopes(
            values.get("sso_registration_scopes")
        ),
        account_id=account_id or values.get("sso_account_id"),
        role_name=role_name or values.get("sso_role_name"),
        login_method=values.get("sso_login_method"),
        config_path=config.path,
    )
    _check_required(config, settings, profile, require_role)
    _check_account_id(config, settings.account_id, account_id, profile)
    if start_url:
        where = "the --start-url option"
    else:
        where = _where(config, profile, session_name)
    validate_start_url(settings.start_url, where)
    return settings


def _check_account_id(config, value, option_value, profile) -> None:
    """Reject an account id that is not 12 digits before any service call."""
    if value is None or (len(value) == 12 and value.isdigit() and value.isascii()):
        return
    if option_value:
        where = "--account-id"
    else:
        where = f"sso_account_id in [profile {profile}] in {config.path}"
    raise ConfigError(
        f"The account id {value!r} from {where} is invalid: an AWS account id is "
        "12 digits, such as 111122223333 (aws sso list-accounts lists yours)."
    )


def _profile_values(config: ConfigFile, profile: str):
    if profile not in config.profiles and profile in config.unquoted_profiles:
        raise ConfigError(
            f'The section [profile {profile}] in {config.path} is not read as the '
            f'profile "{profile}" by botocore or the AWS CLI, because a profile name '
            f'with spaces must be quoted. Rename the section to [profile "{profile}"].'
        )
    if profile not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none"
        raise ConfigError(
            f'The profile "{profile}" was not found in {config.path} '
            f"(profiles defined: {known}). Add a [profile {profile}] section or "
            "pass the name of an existing profile with --profile."
        )
    _check_not_shadowed(config, profile)
    values = dict(config.profiles[profile])
    return values, {key: "profile" for key in values}


def _check_not_shadowed(config: ConfigFile, profile: str) -> None:
    keys = shadowing_keys(config, profile)
    if not keys:
        return
    raise ConfigError(
        f"The [profile {profile}] section in {config.path} sets credential_process "
        f"together with {' and '.join(keys)}, so botocore's own SSO provider claims "
        "the profile and never runs credential_process. Move the sso_* keys into a "
        f"separate profile, for example [profile {profile}-sso], and name that "
        "profile with --profile."
    )


def check_profile_session(config: ConfigFile, profile: str) -> None:
    """Raise ConfigError if the profile's sso-session is missing or disagrees."""
    values = config.profiles[profile]
    source = {key: "profile" for key in values}
    _merge_session(config, profile, values["sso_session"], values, source)


def _merge_session(config, profile, session_name, values, source):
    if session_name not in config.sso_sessions:
        raise ConfigError(
            f'The sso-session "{session_name}" was not found in {config.path}. '
            f"Add an [sso-session {session_name}] section with sso_start_url and "
            "sso_region, or fix the sso_session value."
        )
    merged = dict(values)
    for key, value in config.sso_sessions[session_name].items():
        if key in merged and source.get(key) == "profile" and merged[key] != value:
            raise ConfigError(
                f"The value for {key} is inconsistent between profile "
                f'"{profile}" ({merged[key]}) and sso-session "{session_name}" '
                f"({value}) in {config.path}. Remove it from the profile or make "
                "the two values the same."
            )
        merged[key] = value
    return merged


def _check_session_options(config, session_name, start_url, sso_region) -> None:
    """Reject --start-url or --sso-region values that differ from the sso-session's.

    The token file of an sso-session is named after the session, not the start URL,
    so a token for another portal or region would overwrite the session's token.
    """
    session = config.sso_sessions[session_name]
    for option, key, value in (("--start-url", "sso_start_url", start_url),
                               ("--sso-region", "sso_region", sso_region)):
        configured = session.get(key)
        if value and configured and value != configured:
            raise ConfigError(
                f"{option} {value} differs from {key} = {configured} in "
                f"[sso-session {session_name}] in {config.path}. Leave out "
                f"{option}, or change the session's {key}."
            )


def _where(config: ConfigFile, profile, session_name) -> str:
    if session_name:
        return f"[sso-session {session_name}] in {config.path}"
    if profile:
        return f"[profile {profile}] in {config.path}"
    return "the command-line options"


_OPTION_OF_KEY = {
    "sso_start_url": "--start-url",
    "sso_region": "--sso-region",
    "sso_account_id": "--account-id",
    "sso_role_name": "--role-name",
}


def _check_required(config, settings: SsoSettings, profile, require_role: bool):
    session_keys = [
        key
        for key, value in (("sso_start_url", settings.start_url),
                           ("sso_region", settings.sso_region))
        if not value
    ]
    role_keys = []
    if require_role:
        role_keys = [
            key
            for key, value in (("sso_account_id", settings.account_id),
                               ("sso_role_name", settings.role_name))
            if not value
        ]
    problems = []
    if session_keys:
        where = _where(config, profile, settings.session_name)
        problems.append(f"{_missing_keys(session_keys)} in {where}")
    if role_keys:
        where = _where(config, profile, None)
        problems.append(f"{_missing_keys(role_keys)} in {where}")
    if not problems:
        return
    message = (
        f"Missing SSO configuration: {'; '.join(problems)}. "
        "Add the keys to the config file or pass the options."
    )
    if profile and "credential_process" in config.profiles.get(profile, {}):
        message += (
            f' The profile "{profile}" runs credential_process itself; point '
            "--profile at the profile that holds the SSO settings instead."
        )
    raise ConfigError(message)


def _missing_keys(keys) -> str:
    return ", ".join(f"{key} (or {_OPTION_OF_KEY[key]})" for key in keys)


def validate_start_url(start_url: str, where: str) -> None:
    """Reject start URLs that are not https, because tokens are bound to them."""
    lowered = start_url.lower()
    if lowered.startswith("https://") and len(lowered) > len("https://"):
        return
    raise ConfigError(
        f'The sso_start_url "{start_url}" in {where} is not an https URL. '
        "Use the AWS access portal URL, for example https://d-1234567890.awsapps.com/start."
    )


def shadowing_keys(config: ConfigFile, profile: str):
    """Return the SSO provider keys that make botocore bypass ``credential_process``."""
    values = config.profiles.get(profile, {})
    if "credential_process" not in values:
        return []
    return [key for key in SSO_PROVIDER_KEYS if key in values]
