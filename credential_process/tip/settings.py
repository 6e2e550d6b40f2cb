"""Settings of the exchange command, from options and namespaced profile keys.

botocore ignores keys it does not know, so a profile can carry the settings under
the ``sso_credential_process_`` prefix next to its ``credential_process`` line.
The keys ``role_arn``, ``source_profile`` and ``sso_*`` are avoided on purpose:
botocore's assume-role and SSO providers would claim the profile before
``credential_process`` runs.
"""

from __future__ import annotations

import os
import re

from .. import config
from ..errors import ConfigError

KEY_PREFIX = "sso_credential_process_"
ASSERTION_KINDS = ("file", "env", "process")
DEFAULT_ROLE_SESSION_NAME = "sso-credential-process"
# STS AssumeRole accepts 900 s to 43200 s; the role's maximum may be lower.
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200

APPLICATION_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:sso::\d{12}:application/\S+")
ROLE_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+")
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
ROLE_SESSION_NAME_PATTERN = re.compile(r"[\w+=,.@-]{2,64}")


class ExchangeSettings:
    """Everything the exchange needs: application, role, region and sources."""

    __slots__ = (
        "profile_name",
        "application_arn",
        "role_arn",
        "sso_region",
        "assertion_kind",
        "assertion_value",
        "source_profile",
        "role_session_name",
        "duration_seconds",
        "config_path",
    )

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    @property
    def account_id(self) -> str:
        return ROLE_ARN_PATTERN.fullmatch(self.role_arn).group(1)

    @property
    def assertion_source(self) -> str:
        """Return a stable description of where assertions come from."""
        return f"{self.assertion_kind}:{self.assertion_value}"

    @property
    def description(self) -> str:
        return f"application {self.application_arn}"

    @property
    def source_description(self) -> str:
        if self.source_profile:
            return f'source profile "{self.source_profile}"'
        # Every message writes "the" before this description.
        return "default credential chain"


def option_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def profile_key(key: str) -> str:
    return KEY_PREFIX + key


def resolve(arguments, require_role: bool) -> ExchangeSettings:
    """Combine the options and the profile's namespaced keys; options win."""
    config_file = config.load_config_file(config.config_file_path())
    values = profile_values(config_file, arguments.profile)
    where = (
        f"[profile {arguments.profile}] in {config_file.path}"
        if arguments.profile else "the command line"
    )

    def pick(key):
        return getattr(arguments, key, None) or values.get(profile_key(key)) or None

    kind, value = assertion_choice(arguments, values, where)
    settings = ExchangeSettings(
        profile_name=arguments.profile,
        application_arn=pick("application_arn"),
        role_arn=pick("role_arn"),
        sso_region=pick("sso_region"),
        assertion_kind=kind,
        assertion_value=value,
        source_profile=pick("source_profile"),
        role_session_name=pick("role_session_name") or DEFAULT_ROLE_SESSION_NAME,
        duration_seconds=duration(pick("duration_seconds"), where),
        config_path=config_file.path,
    )
    check_required(settings, require_role, where)
    check_formats(settings, require_role, where)
    return settings


def profile_values(config_file, profile) -> dict:
    if profile is None:
        return {}
    if profile not in config_file.profiles:
        known = ", ".join(sorted(config_file.profiles)) or "none"
        raise ConfigError(
            f'The profile "{profile}" was not found in {config_file.path} '
            f"(profiles defined: {known}). Add a [profile {profile}] section with "
            f"the {KEY_PREFIX}* keys, or pass the options instead."
        )
    return config_file.profiles[profile]


def assertion_choice(arguments, values: dict, where: str):
    """Return (kind, value) of the one assertion source given."""
    given = [
        (kind, getattr(arguments, "assertion_" + kind, None))
        for kind in ASSERTION_KINDS
    ]
    given = [(kind, value) for kind, value in given if value]
    if not given:
        # An option overrides every assertion key of the profile, not just its own.
        given = [
            (kind, values.get(profile_key("assertion_" + kind)))
            for kind in ASSERTION_KINDS
        ]
        given = [(kind, value) for kind, value in given if value]
    if len(given) > 1:
        names = ", ".join(profile_key("assertion_" + kind) for kind, _ in given)
        raise ConfigError(
            f"More than one assertion source is set in {where} ({names}). Keep "
            "exactly one of them."
        )
    if not given:
        raise ConfigError(
            f"No assertion source is set in {where}. Pass --assertion-file F, "
            "--assertion-env VARIABLE or --assertion-process COMMAND (or set "
            f"{profile_key('assertion_file')}, {profile_key('assertion_env')} or "
            f"{profile_key('assertion_process')} in the profile)."
        )
    kind, value = given[0]
    if kind == "file":
        value = os.path.abspath(os.path.expanduser(value))
    return kind, value


def duration(value, where: str):
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit() or not (
        MIN_DURATION_SECONDS <= int(text) <= MAX_DURATION_SECONDS
    ):
        raise ConfigError(
            f'The role session duration "{value}" in {where} is invalid. Give whole '
            f"seconds from {MIN_DURATION_SECONDS} to {MAX_DURATION_SECONDS} "
            "(--duration-seconds or "
            f"{profile_key('duration_seconds')})."
        )
    return int(text)


def check_required(settings: ExchangeSettings, require_role: bool, where: str):
    required = ["application_arn", "sso_region"]
    if require_role:
        required.append("role_arn")
    missing = [key for key in required if not getattr(settings, key)]
    if not missing:
        return
    hint = ", ".join(f"{option_name(key)} (or {profile_key(key)})" for key in missing)
    raise ConfigError(
        f"Missing exchange settings in {where}: {hint}. Pass the options or add "
        "the keys to the profile named by --profile."
    )


def check_formats(settings: ExchangeSettings, require_role: bool, where: str):
    checks = [
        ("application_arn", APPLICATION_ARN_PATTERN,
         "arn:aws:sso::123456789012:application/ssoins-1111111111111111/"
         "apl-1111111111111111"),
        ("sso_region", REGION_PATTERN, "us-east-1"),
        ("role_session_name", ROLE_SESSION_NAME_PATTERN,
         "2 to 64 letters, digits and +=,.@_-"),
    ]
    if require_role:
        checks.append(
            ("role_arn", ROLE_ARN_PATTERN, "arn:aws:iam::123456789012:role/Name")
        )
    for key, pattern, example in checks:
        value = getattr(settings, key)
        if not pattern.fullmatch(value):
            raise ConfigError(
                f'The value "{value}" of {option_name(key)} ({profile_key(key)}) in '
                f"{where} is invalid. Expected the form {example}."
            )
