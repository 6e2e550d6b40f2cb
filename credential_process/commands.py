"""The credential command and the login command."""

from __future__ import annotations

import logging

from . import cli, locking, output, prompt, roles, timeutil, tokencache
from .clients import ClientFactory
from .errors import EXIT_OK
from .login import device_login
from .tokens import LoginPolicy, TokenResolver

log = logging.getLogger(__name__)


def credentials_command(arguments) -> int:
    """Print role credentials as the credential_process JSON document."""
    settings = cli.selection(arguments, require_role=True)
    factory = ClientFactory(settings.profile_name)
    policy = LoginPolicy(not arguments.no_login, prompt.terminal_prompt)
    resolver = TokenResolver(settings, factory, policy)
    credentials = roles.role_credentials(settings, factory, resolver)
    output.write_stdout(output.format_credentials(credentials, settings.account_id))
    return EXIT_OK


def login_command(arguments) -> int:
    """Sign in with the device flow and cache the token, as ``aws sso login`` does.

    Like ``aws sso login`` this always starts a new login, even when a valid token
    is cached; it holds the session lock so parallel credential processes wait
    for it instead of starting logins of their own.
    """
    settings = cli.selection(arguments, require_role=False)
    if not arguments.use_device_code:
        # NOTE: the authorization-code flow with PKCE is not built yet, so every
        # login uses the device flow.
        log.info("Using the device authorization flow")
    factory = ClientFactory(settings.profile_name)
    client = factory.create("sso-oidc", settings.sso_region)
    login_prompt = prompt.stderr_prompt(open_browser=not arguments.no_browser)
    with locking.session_lock(settings) as lock:
        device_login(settings, client, login_prompt, lock)
    token = tokencache.load_token(settings)
    if token is not None and token.expires_at is not None:
        log.info("Token cached in %s, expires at %s", token.path,
                 timeutil.format_timestamp(token.expires_at))
    return EXIT_OK
