"""The default command: print role credentials for ``credential_process``."""

from __future__ import annotations

from .. import cli, output, prompt, roles
from ..clients import ClientFactory
from ..errors import EXIT_OK
from ..tokens import LoginPolicy, TokenResolver

def run(arguments) -> int:
    """Print role credentials as the credential_process JSON document."""
    settings = cli.selection(arguments, require_role=True)
    factory = ClientFactory(settings.profile_name)
    policy = LoginPolicy(not arguments.no_login, prompt.terminal_prompt,
                         in_background=True)
    resolver = TokenResolver(settings, factory, policy)
    credentials = roles.role_credentials(settings, factory, resolver)
    output.write_stdout(output.format_credentials(credentials, settings.account_id))
    return EXIT_OK
