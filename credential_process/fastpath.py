"""Serve a cache hit with the standard library alone.

SDKs start the credential process once per process, so this path is the product's
hot path: no botocore, filelock, dateutil, argparse or logging, no lock, no file
written, no network. It also avoids ``re`` (about 6 ms per process): JSON goes
through ``lazyjson`` and the config file through ``inifile`` unless the file needs
configparser. Anything it does not handle (other options, a miss, an unusual
file) falls through to the full command line, which reports errors.
"""

from __future__ import annotations

import os

# Options this path understands; each takes a value.
_VALUE_OPTIONS = {
    "--profile": "profile",
    "--sso-session": "sso_session",
    "--start-url": "start_url",
    "--sso-region": "sso_region",
    "--account-id": "account_id",
    "--role-name": "role_name",
}
_FLAG_OPTIONS = ("--no-login",)


def parse_arguments(argv):
    """Return the selection options in ``argv``, or None if anything else is there."""
    options = {}
    index = 0
    while index < len(argv):
        argument = argv[index]
        name, separator, value = argument.partition("=")
        if name in _VALUE_OPTIONS:
            if not separator:
                index += 1
                if index >= len(argv):
                    return None
                value = argv[index]
            if _VALUE_OPTIONS[name] in options or not value:
                return None
            options[_VALUE_OPTIONS[name]] = value
        elif argument not in _FLAG_OPTIONS:
            return None
        index += 1
    if not options:
        return None
    return options


def cached_output(argv):
    """Return the credential document for a cache hit, or None."""
    options = parse_arguments(argv)
    if options is None:
        return None
    if os.environ.get("SSO_CREDENTIAL_PROCESS_LOG_LEVEL"):
        return None

    from . import cachefiles, clockskew, config, output, rolecache, timeutil
    from .errors import ConfigError

    try:
        path = config.config_file_path()
        settings = config.resolve_settings(config.read_config_file(path), **options)
    except ConfigError:
        return None
    clockskew.use_session(settings.cache_identity)
    role_path = rolecache.role_cache_path(settings)

    def read_credentials():
        try:
            document = cachefiles.read_json(role_path)
        except cachefiles.CacheReadError:
            return None
        return rolecache.usable_credentials(
            document, timeutil.now(), parse=timeutil.parse_cli_timestamp
        )

    credentials = read_credentials()
    if credentials is None:
        credentials = _wait_for_holder(settings, read_credentials)
    if credentials is None:
        return None
    return output.format_credentials(credentials, settings.account_id)


def _wait_for_holder(settings, read_credentials):
    """Return what another process is fetching right now, or None."""
    from . import lockwatch, rolecache

    role_lock = lockwatch.role_lock_name(rolecache.role_cache_key(settings))
    paths = (
        lockwatch.activity_path(role_lock),
        lockwatch.activity_path(lockwatch.session_lock_name(settings)),
    )
    return lockwatch.wait_for_result(paths, read_credentials)
