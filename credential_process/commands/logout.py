"""The logout command: end sessions at the portal and delete their cache files."""

from __future__ import annotations

import logging
import sys

from .. import cli

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    parser = cli.add_command_parser(
        subparsers, "logout", "sign out of SSO sessions and delete their cached "
        "token and role credentials"
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--profile", help="sign out of the session of this profile")
    group.add_argument("--sso-session", help="sign out of this [sso-session]")
    group.add_argument("--all", action="store_true",
                       help="sign out of every session in the config and the cache")
    cli.add_logging_arguments(parser)


def run(arguments) -> int:
    from .. import config, sessions
    from ..errors import EXIT_OK

    config_file = config.load_config_file(config.config_file_path())
    if arguments.all:
        targets = sessions.configured_sessions(config_file)
        known = {session.token_path for session in targets}
        targets += sessions.cached_tokens(known)
    else:
        settings = cli.selection(_selection(arguments), require_role=False)
        targets = [sessions.Session(settings)]
    removed_any = False
    for session in targets:
        removed_any |= _logout(config_file, session)
    if not removed_any:
        _say("Nothing to remove: no cached token or role credentials were found.")
    return EXIT_OK


def _selection(arguments):
    import argparse

    return argparse.Namespace(profile=arguments.profile,
                              sso_session=arguments.sso_session, start_url=None,
                              sso_region=None)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _logout(config_file, session) -> bool:
    """End one session; return whether any file was removed."""
    from .. import cachefiles, roleindex, sessions, timeutil

    token = sessions.load_token(session)
    if token is not None and token.is_unexpired(timeutil.now()):
        _portal_logout(session, token)
    removed = False
    if token is not None and cachefiles.remove_file(session.token_path):
        _say(f"Removed {session.token_path} (SSO token of {session.label})")
        removed = True
    for entry in sessions.role_cache_files(config_file, session):
        if cachefiles.remove_file(entry["path"]):
            _say(f"Removed {entry['path']} (role {entry['roleName']} in account "
                 f"{entry['accountId']})")
            removed = True
    roleindex.remove(session.token_key)
    return removed


def _portal_logout(session, token) -> None:
    from botocore.exceptions import ClientError

    from .. import clients
    from ..clients import ClientFactory

    region = token.record.get("region") or session.settings.sso_region
    try:
        portal = ClientFactory(session.settings.profile_name).create("sso", region)
        portal.logout(accessToken=token.access_token)
    except ClientError as error:
        if clients.error_code(error) == "UnauthorizedException":
            _say(f"The portal session of {session.label} had already ended.")
            return
        log.warning("Logout at the portal for %s failed (%s); deleting the local "
                    "files anyway.", session.label, clients.error_message(error))
        return
    except clients.NETWORK_ERRORS as error:
        log.warning("Logout at the portal for %s failed (%s); deleting the local "
                    "files anyway. The portal session ends when it expires.",
                    session.label, error)
        return
    _say(f"Signed out of {session.label} at the portal.")
