"""The default command: print role credentials for ``credential_process``."""

from __future__ import annotations

from .. import cli, output, prompt, roles
from ..errors import EXIT_OK
from ..tokens import LoginPolicy, TokenResolver


class DeferredClientFactory:
    """A ClientFactory created on the first client request.

    Importing botocore takes about 200 ms of CPU. Processes that wait for a lock and
    then find the token or the role credentials cached by the lock holder never
    request a client, so in a storm of parallel runs only the holder pays for it.
    """

    def __init__(self, profile_name):
        self._profile_name = profile_name
        self._factory = None

    def create(self, service_name: str, region: str):
        if self._factory is None:
            from ..clients import ClientFactory

            self._factory = ClientFactory(self._profile_name)
        return self._factory.create(service_name, region)


def run(arguments) -> int:
    """Print role credentials as the credential_process JSON document."""
    settings = cli.selection(arguments, require_role=True)
    factory = DeferredClientFactory(settings.profile_name)
    policy = LoginPolicy(not arguments.no_login, prompt.terminal_prompt,
                         in_background=True)
    resolver = TokenResolver(settings, factory, policy)
    credentials = roles.role_credentials(settings, factory, resolver)
    output.write_stdout(output.format_credentials(credentials, settings.account_id))
    return EXIT_OK
