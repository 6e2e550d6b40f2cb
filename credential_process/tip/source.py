"""The application's own IAM credentials, and the guard against running in a loop.

The source credentials come from ``--source-profile`` or the default credential
chain of a botocore session. Were that chain to run this same exchange again
(a source profile whose ``credential_process`` is the exchange, directly or
through ``source_profile`` links), each run would start another until the
machine ran out of processes. Two checks stop that: the source profile's lines
are read before any credentials are resolved, and an environment variable
marks the children started while resolving them, so a nested exchange exits 2
at once.
"""

from __future__ import annotations

import logging
import os
import shlex

from ..errors import ConfigError

log = logging.getLogger(__name__)

# Set in the environment of credential processes that botocore starts while it
# resolves the source credentials; the value is the parent's application ARN.
CHAIN_VARIABLE = "SSO_CREDENTIAL_PROCESS_EXCHANGE_CHAIN"
# source_profile links followed when looking for an exchange; botocore itself
# rejects longer or circular chains.
MAX_SOURCE_PROFILE_LINKS = 10


def check_not_nested(settings) -> None:
    """Refuse to run inside the source-credential resolution of another exchange."""
    parent = os.environ.get(CHAIN_VARIABLE)
    if parent:
        raise ConfigError(
            f"The exchange for {settings.description} was started while another "
            f"exchange (for application {parent}) resolved its source credentials, "
            "so its source profile runs the exchange again. The source profile must "
            "hold the application's own IAM credentials (access keys, a role, or "
            "another credential_process): fix sso_credential_process_source_profile "
            "or --source-profile."
        )


def runs_exchange(command_line: str) -> bool:
    """Return whether a credential_process line runs this tool's exchange command."""
    try:
        words = shlex.split(command_line)
    except ValueError:
        return False
    if "exchange" not in words:
        return False
    return any(
        os.path.basename(word).startswith("sso-credential-process")
        or word == "credential_process"
        for word in words[: words.index("exchange")]
    )


def check_source_profile(settings, profiles: dict) -> None:
    """Refuse a source profile whose credentials would come from the exchange."""
    name = settings.source_profile or "default"
    chain = []
    while name in profiles and name not in chain:
        if len(chain) >= MAX_SOURCE_PROFILE_LINKS:
            return
        chain.append(name)
        values = profiles[name]
        line = values.get("credential_process")
        if isinstance(line, str) and runs_exchange(line):
            raise ConfigError(_loop_message(settings, chain, line))
        if "role_arn" not in values or not values.get("source_profile"):
            return
        name = values["source_profile"]


def _loop_message(settings, chain: list, line: str) -> str:
    """Return the error for a source profile chain that ends in the exchange."""
    if len(chain) == 1:
        where = f"(credential_process = {line})"
    else:
        where = (f"through the source_profile links {' -> '.join(chain)} "
                 f'(profile "{chain[-1]}" has credential_process = {line})')
    return (
        f'The source profile "{chain[0]}" of {settings.description} gets its '
        f"credentials from sso-credential-process exchange itself {where}, which "
        "would run in a loop. Point --source-profile "
        "(sso_credential_process_source_profile) at a profile with the "
        "application's own IAM credentials."
    )


class SourceCredentials:
    """Resolves the source credentials once and builds SigV4-signed clients."""

    def __init__(self, settings):
        import botocore.session

        self.settings = settings
        if settings.source_profile is None:
            # AWS_PROFILE usually names the profile whose credential_process runs
            # this very command; the default chain is meant without it. This
            # process is short-lived, so editing its own environment is harmless.
            os.environ.pop("AWS_PROFILE", None)
            os.environ.pop("AWS_DEFAULT_PROFILE", None)
            self._session = botocore.session.Session()
        else:
            self._session = botocore.session.Session(profile=settings.source_profile)
        self._credentials = None

    def check_recursion(self) -> None:
        from botocore.exceptions import BotoCoreError

        check_not_nested(self.settings)
        try:
            profiles = self._session.full_config.get("profiles", {})
        except BotoCoreError as error:
            raise ConfigError(f"Unable to read the AWS config files: {error}") from None
        check_source_profile(self.settings, profiles)

    def credentials(self):
        """Return the frozen source credentials, or raise ConfigError."""
        if self._credentials is None:
            self._credentials = self._resolve()
        return self._credentials

    def _resolve(self):
        from botocore.exceptions import BotoCoreError, CredentialRetrievalError
        from botocore.exceptions import ProfileNotFound

        what = self.settings.source_description
        previous = os.environ.get(CHAIN_VARIABLE)
        os.environ[CHAIN_VARIABLE] = self.settings.application_arn
        try:
            credentials = self._session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials else None
        except ProfileNotFound:
            raise ConfigError(
                f"The {what} does not exist in the AWS config or credentials file. "
                "Fix --source-profile (sso_credential_process_source_profile)."
            ) from None
        except CredentialRetrievalError as error:
            raise ConfigError(
                f"Unable to get the IAM credentials of the {what} for "
                f"{self.settings.description}: {error}"
            ) from None
        except BotoCoreError as error:
            raise ConfigError(
                f"Unable to get the IAM credentials of the {what}: {error}"
            ) from None
        finally:
            if previous is None:
                os.environ.pop(CHAIN_VARIABLE, None)
            else:
                os.environ[CHAIN_VARIABLE] = previous
        if frozen is None or not frozen.access_key:
            raise ConfigError(
                f"No IAM credentials were found in the {what} for "
                f"{self.settings.description}. Set --source-profile "
                "(sso_credential_process_source_profile) to a profile with the "
                "application's IAM credentials."
            )
        log.info("Using IAM credentials %s from the %s", frozen.access_key[:4] + "...",
                 what)
        return frozen

    def client(self, service_name: str):
        """Return a client signed with the source credentials, in the SSO region."""
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        from .. import callsettings, clients

        frozen = self.credentials()
        region = self.settings.sso_region
        connect_timeout, read_timeout = callsettings.timeouts()
        config = Config(
            region_name=region,
            retries=dict(callsettings.RETRY_CONFIG),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            user_agent_extra=clients.USER_AGENT_EXTRA,
        )
        try:
            client = self._session.create_client(
                service_name,
                region_name=region,
                aws_access_key_id=frozen.access_key,
                aws_secret_access_key=frozen.secret_key,
                aws_session_token=frozen.token,
                config=config,
            )
        except BotoCoreError as error:
            raise ConfigError(
                f"Unable to create the {service_name} client for region {region}: "
                f"{error}"
            ) from None
        clients.validate_endpoint(client.meta.endpoint_url, service_name)
        clients.register_secret_masking(client)
        return client
