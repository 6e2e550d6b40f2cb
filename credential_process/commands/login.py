"""The login command: a new login, as ``aws sso login`` runs it."""

from __future__ import annotations

import logging

from .. import cli

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    parser = cli.add_command_parser(
        subparsers, "login", "sign in to an SSO session and cache the token"
    )
    cli.add_selection_arguments(parser, with_role=False)
    parser.add_argument(
        "--use-device-code",
        action="store_true",
        help="use the OAuth device authorization flow (a code entered in a browser, "
        "possibly on another device) instead of the browser login on this machine",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address; open no browser"
    )
    cli.add_logging_arguments(parser)


def run(arguments) -> int:
    """Sign in and cache the token, as ``aws sso login`` does.

    The browser login (authorization code with PKCE) is used on a desktop, the
    device code elsewhere or with ``--use-device-code``.

    Like ``aws sso login`` this always starts a new login, even when a valid token
    is cached; it holds the session lock so parallel credential processes wait
    for it instead of starting logins of their own.
    """
    from .. import environment, locking, prompt, timeutil, tokencache
    from ..clients import ClientFactory
    from ..errors import EXIT_OK
    from ..login_flows import run_login

    settings = cli.selection(arguments, require_role=False)
    method = environment.login_method(settings, arguments.use_device_code)
    factory = ClientFactory(settings.profile_name)
    client = factory.create("sso-oidc", settings.sso_region)
    login_prompt = prompt.stderr_prompt(open_browser=not arguments.no_browser)
    with locking.session_lock(settings) as lock:
        run_login(method, settings, client, login_prompt, lock)
    token = tokencache.load_token(settings)
    if token is not None and token.expires_at is not None:
        log.info("Token cached in %s, expires at %s", token.path,
                 timeutil.format_timestamp(token.expires_at))
    return EXIT_OK
