"""The doctor command: check the config, file permissions, locks and the clock."""

from __future__ import annotations

import os
import stat
import sys
import time

from .. import cli

# NTP keeps clocks well within a second; a minute off means no time sync, and
# token and credential expiry checks run on this machine's clock.
CLOCK_TOLERANCE_SECONDS = 60


class Report:
    def __init__(self):
        self.problems = 0

    def ok(self, text: str) -> None:
        sys.stdout.write(f"ok       {text}\n")

    def problem(self, text: str, fix: str) -> None:
        self.problems += 1
        sys.stdout.write(f"PROBLEM  {text}\n         fix: {fix}\n")


def add_parser(subparsers) -> None:
    parser = cli.add_command_parser(
        subparsers, "doctor", "check the config, cache permissions, locks and clock, "
        "and print what to fix"
    )
    cli.add_logging_arguments(parser)


def run(arguments) -> int:
    from .. import config
    from ..errors import EXIT_OK, EXIT_USAGE, ConfigError

    report = Report()
    path = config.config_file_path()
    try:
        config_file = config.load_config_file(path)
    except ConfigError as error:
        report.problem(str(error), f"edit {path}")
        return EXIT_USAGE
    check_config(config_file, report)
    check_permissions(report)
    check_lock_directory(report)
    check_clock(config_file, report)
    if report.problems:
        sys.stdout.write(f"\n{report.problems} problem(s) found.\n")
        return EXIT_USAGE
    sys.stdout.write("\nNo problems found.\n")
    return EXIT_OK


def check_config(config_file, report: Report) -> None:
    from .. import sessions

    path = config_file.path
    if not os.path.exists(path):
        report.problem(f"the AWS config file {path} does not exist",
                       "run aws configure sso, or create the file with an "
                       "[sso-session NAME] section and a profile as the README's "
                       "Configure section shows")
        return
    if not config_file.sso_sessions and not any(
            "sso_start_url" in values for values in config_file.profiles.values()):
        report.problem(f"{path} defines no [sso-session] section and no sso_start_url",
                       "add an [sso-session NAME] section with sso_start_url, "
                       "sso_region and sso_registration_scopes")
    for session in sessions.configured_sessions(config_file):
        settings = session.settings
        where = (f"[sso-session {session.name}]" if session.name else
                 f"[profile {settings.profile_name}]")
        before = report.problems
        _check_session(session, where, path, report)
        if report.problems == before:
            report.ok(f"{where}: {settings.start_url} in {settings.sso_region}")
    for profile, values in config_file.profiles.items():
        _check_profile(config_file, profile, values, report)


def _check_session(session, where: str, path: str, report: Report) -> None:
    from .. import config, environment
    from ..errors import ConfigError

    settings = session.settings
    missing = [key for key, value in (("sso_start_url", settings.start_url),
                                      ("sso_region", settings.sso_region))
               if not value]
    if missing:
        report.problem(f"{where} has no {' or '.join(missing)}",
                       f"add {', '.join(missing)} to {where} in {path}")
        return
    try:
        config.validate_start_url(settings.start_url, f"{where} in {path}")
    except ConfigError as error:
        report.problem(str(error), f"set sso_start_url in {where} to the "
                       "https:// address of the AWS access portal")
    if session.name and not settings.registration_scopes:
        report.problem(f"{where} has no sso_registration_scopes, so IAM Identity "
                       "Center issues no refresh token and every login lasts "
                       "one access token lifetime",
                       f"add sso_registration_scopes = sso:account:access to "
                       f"{where}, then log in again")
    elif not session.name:
        report.problem(f"{where} sets sso_start_url directly; such tokens cannot "
                       "be refreshed",
                       "move sso_start_url and sso_region into an [sso-session] "
                       "section with sso_registration_scopes = sso:account:access")
    method = (settings.login_method or "").strip()
    if method and method not in environment.LOGIN_METHODS:
        report.problem(f'{where} has sso_login_method = {method}, which is not '
                       "a login method", "use device_code or authorization_code")


def _check_profile(config_file, profile: str, values: dict, report: Report) -> None:
    from .. import config, sessions
    from ..errors import ConfigError

    shadowing = config.shadowing_keys(config_file, profile)
    if shadowing:
        report.problem(
            f"[profile {profile}] has credential_process and {', '.join(shadowing)}; "
            "botocore's SSO provider claims the profile first, so the "
            "credential_process line never runs",
            f"move {', '.join(shadowing)} into a separate profile and name it with "
            "--profile in the credential_process line")
    # The sso-session's own keys are checked with the session, so only the link
    # between the profile and its session is checked here.
    if values.get("sso_session"):
        try:
            config.check_profile_session(config_file, profile)
        except ConfigError as error:
            report.problem(str(error), f"edit [profile {profile}]")
    options = sessions.tool_options(values.get("credential_process"))
    if options is None:
        return
    command = values["credential_process"].split()[0].strip('"')
    if not os.path.isabs(command):
        report.problem(f"[profile {profile}] runs {command} by a relative path; SDKs "
                       "run credential_process without a shell, so ~ and $VARIABLES "
                       "are not expanded",
                       "give the absolute path of sso-credential-process")
    for option, known in (("profile", config_file.profiles),
                          ("sso_session", config_file.sso_sessions)):
        name = options.get(option)
        if name and name not in known:
            flag = "--" + option.replace("_", "-")
            report.problem(f"[profile {profile}] runs the tool with {flag} {name}, "
                           f"which is not defined in {config_file.path}",
                           f"add that section or fix the {flag} value")


def _mode_problem(path: str, report: Report, directory: bool) -> None:
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        report.problem(f"cannot inspect {path}: {error.strerror}", "check the path")
        return
    if hasattr(os, "getuid") and status.st_uid != os.getuid():
        report.problem(f"{path} is owned by user id {status.st_uid}, not by you",
                       f"remove it, or run: chown {os.getuid()} {path}")
        return
    if stat.S_ISLNK(status.st_mode):
        report.problem(f"{path} is a symbolic link, which the caches do not follow",
                       f"replace it with a regular {'directory' if directory else 'file'}")
        return
    mode = stat.S_IMODE(status.st_mode)
    if not mode & 0o077:
        return
    if directory:
        report.problem(_directory_mode_text(path, mode), f"run: chmod 700 {path}")
    else:
        report.problem(f"{path} has mode {mode:o}; others can read it",
                       f"run: chmod 600 {path}")


def _directory_mode_text(path: str, mode: int) -> str:
    """Describe who else can use a directory that the tool creates with mode 700."""
    if mode & 0o022:
        return f"{path} has mode {mode:o}; others can write to it"
    text = f"{path} has mode {mode:o}, so other users can list or enter it"
    if _files_private(path):
        text += ", but the cache files in it are still private (mode 600)"
    return text


def _files_private(directory: str) -> bool:
    """Return whether the directory has .json files and none is open to others."""
    try:
        paths = [os.path.join(directory, name) for name in os.listdir(directory)
                 if name.endswith(".json")]
        modes = [os.lstat(path).st_mode for path in paths]
    except OSError:
        return False
    return bool(modes) and all(stat.S_ISREG(mode) and not mode & 0o077
                               for mode in modes)


def check_permissions(report: Report) -> None:
    from .. import cachefiles

    before = report.problems
    directories = (cachefiles.sso_cache_directory(), cachefiles.role_cache_directory(),
                   cachefiles.state_directory())
    for directory in directories:
        _mode_problem(directory, report, directory=True)
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in sorted(names):
            path = os.path.join(directory, name)
            if name.endswith(".json") and not os.path.isdir(path):
                _mode_problem(path, report, directory=False)
    if report.problems == before:
        report.ok("cache directories and files are private to you")


def check_lock_directory(report: Report) -> None:
    from .. import locking

    directory = locking.lock_directory()
    existing = directory
    while not os.path.exists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if not os.path.isdir(existing):
        report.problem(f"the lock directory {directory} cannot be created: "
                       f"{existing} is not a directory",
                       f"remove {existing} or set SSO_CREDENTIAL_PROCESS_STATE_DIR "
                       "to a writable directory")
        return
    if not os.access(existing, os.W_OK | os.X_OK):
        report.problem(f"the lock directory {directory} cannot be created or written "
                       f"({existing} is not writable)",
                       "set SSO_CREDENTIAL_PROCESS_STATE_DIR to a writable directory")
        return
    before = report.problems
    _mode_problem(directory, report, directory=True)
    if report.problems > before:
        return
    stale = _stale_activity(directory)
    if stale:
        report.ok(f"lock directory {directory} (stale activity records of ended "
                  f"processes: {', '.join(stale)}; harmless)")
    else:
        report.ok(f"lock directory {directory}")


def _stale_activity(directory: str) -> list:
    from .. import cachefiles, lockwatch

    stale = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return stale
    for name in names:
        if not name.endswith(".activity"):
            continue
        try:
            pid = (cachefiles.read_json(os.path.join(directory, name)) or {}).get("pid")
        except cachefiles.CacheReadError:
            continue
        if isinstance(pid, int) and not lockwatch.process_alive(pid):
            stale.append(name)
    return stale


def check_clock(config_file, report: Report) -> None:
    """Compare this clock with the Date header of each SSO region's OIDC endpoint."""
    from .. import sessions

    regions = {}
    for session in sessions.configured_sessions(config_file):
        if session.settings.sso_region:
            regions.setdefault(session.settings.sso_region, session.settings)
    for region, settings in regions.items():
        offset, detail = service_clock_offset(settings)
        if offset is None:
            report.problem(f"the clock check against SSO OIDC in {region} failed: "
                           f"{detail}", "check the network, proxy and endpoint "
                           "settings, then run doctor again")
        elif abs(offset) > CLOCK_TOLERANCE_SECONDS:
            direction = "behind" if offset > 0 else "ahead of"
            report.problem(f"this clock is {abs(offset):.0f} s {direction} SSO OIDC "
                           f"in {region}; token expiry checks use this clock",
                           "turn on time synchronisation (for example: timedatectl "
                           "set-ntp true)")
        else:
            report.ok(f"clock within {CLOCK_TOLERANCE_SECONDS} s of SSO OIDC in "
                      f"{region} (offset {offset:+.0f} s)")


def service_clock_offset(settings):
    """Return (service time minus local time in seconds, None) or (None, reason).

    The request is a CreateToken with a client id that does not exist: the service
    rejects it at once with invalid_client, nothing is registered or logged in,
    and the response carries the Date header.
    """
    import email.utils

    from botocore.exceptions import ClientError

    from .. import clients
    from ..clients import ClientFactory
    from ..errors import CredentialProcessError

    try:
        client = ClientFactory(settings.profile_name).create("sso-oidc",
                                                             settings.sso_region)
    except CredentialProcessError as error:
        return None, str(error)
    sent = time.time()
    try:
        response = client.create_token(
            clientId="sso-credential-process-doctor", clientSecret="none",
            grantType="refresh_token", refreshToken="none",
        )
        metadata = response.get("ResponseMetadata", {})
    except ClientError as error:
        metadata = error.response.get("ResponseMetadata", {})
    except clients.NETWORK_ERRORS as error:
        return None, str(error)
    received = time.time()
    date = (metadata.get("HTTPHeaders") or {}).get("date")
    if not date:
        return None, "the answer had no Date header"
    try:
        service_time = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None, f"the Date header {date!r} is invalid"
    # The Date header has whole seconds; compare with the middle of the request.
    return service_time - (sent + received) / 2, None
