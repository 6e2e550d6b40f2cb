"""The status command: sessions, tokens and cached role credentials, no secrets."""

from __future__ import annotations

import json
import logging
import os
import sys

from .. import cli

log = logging.getLogger(__name__)

# Bumped only when a field changes meaning or is removed; new fields may appear.
SCHEMA_VERSION = 1


def add_parser(subparsers) -> None:
    parser = cli.add_command_parser(
        subparsers, "status", "show every SSO session, its token and its cached "
        "role credentials"
    )
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (schema in the README)")
    cli.add_logging_arguments(parser)


def run(arguments) -> int:
    from .. import config, sessions
    from ..errors import EXIT_OK

    path = config.config_file_path()
    if not os.path.exists(path):
        log.warning("The AWS config file %s does not exist, so only cached tokens "
                    "are listed. Create it with aws configure sso.", path)
    config_file = config.load_config_file(path)
    found = sessions.configured_sessions(config_file)
    found += sessions.cached_tokens({session.token_path for session in found})
    document = {
        "version": SCHEMA_VERSION,
        "sessions": [describe(config_file, session) for session in found],
    }
    if arguments.json:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        sys.stdout.write(render(document))
    return EXIT_OK


def _timestamp(seconds):
    from .. import timeutil

    return timeutil.format_timestamp(seconds) if seconds is not None else None


def describe(config_file, session) -> dict:
    """Return the status of one session as a JSON-ready dict."""
    from .. import sessions, timeutil

    now = timeutil.now()
    token = sessions.load_token(session)
    record = token.record if token is not None else {}
    registration = timeutil.parse_timestamp(record.get("registrationExpiresAt"))
    if registration is None:
        # logout deletes the token but keeps the registration, which the next login
        # reuses.
        registration = _cached_registration_expiry(session.settings)
    roles = [
        {
            "accountId": entry["accountId"],
            "roleName": entry["roleName"],
            "expiresAt": _timestamp(entry["expiresAt"]),
            "expired": entry["expiresAt"] is None or entry["expiresAt"] <= now,
            "file": entry["path"],
        }
        for entry in sessions.role_cache_files(config_file, session)
    ]
    return {
        "name": session.name,
        "inConfig": session.in_config,
        "startUrl": session.settings.start_url or record.get("startUrl"),
        "region": session.settings.sso_region or record.get("region"),
        "tokenFile": session.token_path,
        "loggedIn": token is not None,
        "accessTokenExpiresAt": _timestamp(token.expires_at) if token else None,
        "accessTokenExpired": (not token.is_unexpired(now)) if token else None,
        "refreshable": bool(token and isinstance(record.get("refreshToken"), str)
                            and token.can_refresh(now)),
        "registrationExpiresAt": _timestamp(registration),
        "roleCredentials": roles,
    }


def _cached_registration_expiry(settings):
    """Return the expiry of the session's cached client registration, or None."""
    from .. import cachefiles, timeutil, tokencache

    if not (settings.start_url and settings.sso_region):
        return None
    record = cachefiles.read_cache_file(
        tokencache.registration_path(settings), "client registration"
    )
    if not isinstance(record, dict):
        return None
    return timeutil.parse_timestamp(record.get("expiresAt"))


def _expiry(value, expired) -> str:
    if value is None:
        return "-"
    return value + (" (expired)" if expired else "")


def render(document: dict) -> str:
    """Return the human-readable tables for a status document."""
    rows = [("SESSION", "START URL", "REGION", "TOKEN EXPIRES", "REFRESH",
             "REGISTRATION EXPIRES")]
    role_rows = [("SESSION", "ACCOUNT", "ROLE", "CREDENTIALS EXPIRE")]
    for session in document["sessions"]:
        label = session["name"] or "-"
        if not session["inConfig"]:
            label += " (not in config)"
        token = "not logged in" if not session["loggedIn"] else _expiry(
            session["accessTokenExpiresAt"], session["accessTokenExpired"])
        rows.append((label, session["startUrl"] or "-", session["region"] or "-",
                     token, "yes" if session["refreshable"] else "no",
                     session["registrationExpiresAt"] or "-"))
        for role in session["roleCredentials"]:
            role_rows.append((label, role["accountId"] or "?", role["roleName"] or "?",
                              _expiry(role["expiresAt"], role["expired"])))
    text = _table(rows)
    if len(role_rows) > 1:
        text += "\n" + _table(role_rows)
    else:
        text += "\nNo cached role credentials.\n"
    return text


def _table(rows) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths))
             .rstrip() for row in rows]
    return "\n".join(lines) + "\n"
