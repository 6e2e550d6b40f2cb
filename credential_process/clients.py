"""Unsigned botocore clients for SSO OIDC and the SSO portal, and their errors.

The clients never sign requests, so building one never resolves AWS credentials:
a credential process that did would run itself again through ``AWS_PROFILE``.
Endpoint overrides (``AWS_ENDPOINT_URL_SSO_OIDC``, ``AWS_ENDPOINT_URL_SSO``,
``services`` sections, ``endpoint_url``), ``AWS_CA_BUNDLE`` / ``ca_bundle`` and
HTTPS proxies are applied by botocore itself from the named profile.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    SSLError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.parsers import ResponseParserError

from . import clockskew, redact
from .callsettings import RETRY_CONFIG, timeouts
from .errors import ConfigError, NetworkError, ServiceRefusedError

log = logging.getLogger(__name__)

USER_AGENT_EXTRA = "sso-credential-process"

# Connection refused, TLS failures, proxies, timeouts, dropped connections, and
# responses botocore cannot parse: all worth a retry later, none a refusal.
NETWORK_ERRORS = (BotocoreConnectionError, HTTPClientError, ResponseParserError)


# The services whose clients ClientFactory creates.
SERVICE_NAMES = ("sso", "sso-oidc", "sts")


class ClientFactory:
    """Create clients in the SSO region with the named profile's endpoint settings."""

    def __init__(self, profile_name=None):
        self._session = botocore.session.Session()
        limit_service_listing(self._session)
        self._profile_name = profile_name
        if profile_name is None:
            # AWS_PROFILE may name the profile that runs this very process, or one
            # that does not exist; the explicit forms take endpoint settings from
            # [default] instead. This process is short-lived, so editing its own
            # environment affects nothing else.
            os.environ.pop("AWS_PROFILE", None)
            os.environ.pop("AWS_DEFAULT_PROFILE", None)
        else:
            self._session.set_config_variable("profile", profile_name)

    def create(self, service_name: str, region: str):
        connect_timeout, read_timeout = timeouts()
        config = Config(
            signature_version=UNSIGNED,
            region_name=region,
            retries=dict(RETRY_CONFIG),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            user_agent_extra=USER_AGENT_EXTRA,
        )
        try:
            client = self._session.create_client(
                service_name, region_name=region, config=config
            )
        except BotoCoreError as error:
            raise ConfigError(
                f"Unable to create the {service_name} client for region {region}: "
                f"{error}"
            ) from None
        validate_endpoint(client.meta.endpoint_url, service_name, self._profile_name)
        client.meta.events.register("after-call", clockskew.after_call_handler)
        register_secret_masking(client)
        return client


def register_secret_masking(client) -> None:
    """Mask in later messages every secret that the client sends or receives.

    A service error message may echo a token it was given. Error texts pass through
    ``redact`` before they reach stderr, a log or the terminal.
    """
    events = client.meta.events
    events.register("provide-client-params", _remember_request_secrets)
    events.register("after-call", _remember_response_secrets)


def _remember_request_secrets(params, **kwargs) -> None:
    redact.remember_members(params)


def _remember_response_secrets(parsed, **kwargs) -> None:
    redact.remember_members(parsed)


def limit_service_listing(session) -> None:
    """Make the session's loader look up only SERVICE_NAMES when it loads a model.

    Before loading a service model or endpoint ruleset, botocore's Loader lists
    every service directory it ships (about 400) to check that the service exists.
    That costs about 17 ms per model type (botocore 1.44, measured on a 2-core
    machine), twice per process. ``list_api_versions`` checks one service.
    """
    loader = session.get_component("data_loader")

    def list_available_services(type_name: str) -> list:
        return [
            name
            for name in SERVICE_NAMES
            if loader.list_api_versions(name, type_name)
        ]

    loader.list_available_services = list_available_services


def validate_endpoint(endpoint_url: str, service_name: str, profile_name=None) -> None:
    """Reject plain-http endpoints off this machine: tokens would travel in clear."""
    parts = urlsplit(endpoint_url)
    scheme = parts.scheme.lower()
    if scheme == "https":
        return
    if scheme == "http" and is_loopback_host(parts.hostname or ""):
        return
    from .config import config_file_path

    variable = "AWS_ENDPOINT_URL_" + service_name.upper().replace("-", "_")
    if not os.environ.get(variable) and os.environ.get("AWS_ENDPOINT_URL"):
        variable = "AWS_ENDPOINT_URL"
    section = f"[profile {profile_name}]" if profile_name else "[default]"
    raise ConfigError(
        f"The {service_name} endpoint {endpoint_url} is not https. Tokens and "
        f"credentials would be sent in clear text; fix {variable}, or endpoint_url "
        f"or the services section named by {section} in {config_file_path()}, so "
        "that it starts with https://."
    )


def is_loopback_host(host: str) -> bool:
    """Return whether ``host`` is ``localhost`` or a loopback IP address literal.

    A name such as ``127.0.0.1.example.com`` is not loopback: it resolves through
    DNS to any address.
    """
    import ipaddress

    host = host.lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    details = error.response.get("Error", {})
    message = details.get("Message") or ""
    code = details.get("Code") or "Unknown"
    return f"{code}: {message}" if message else code


def http_status(error: ClientError) -> int:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


def describe_network_error(error: Exception, what: str) -> NetworkError:
    """Return a NetworkError naming the failed call and the reason."""
    if isinstance(error, SSLError):
        bundle = os.environ.get("AWS_CA_BUNDLE") or "the default trust store"
        return NetworkError(
            f"{what} failed: TLS certificate verification failed ({error}). "
            f"The CA bundle used was {bundle}; set AWS_CA_BUNDLE or ca_bundle to "
            "the bundle that signs this endpoint."
        )
    if isinstance(error, ResponseParserError):
        return NetworkError(
            f"{what} failed: the service returned a response that could not be "
            "parsed. Try again later."
        )
    return NetworkError(f"{what} failed: {error}. Check the network and try again.")


def translate_client_error(error: ClientError, what: str):
    """Map a service error that is not handled specially to an exit-code error."""
    status = http_status(error)
    text = error_message(error)
    if status >= 500 or status == 429 or error_code(error) in THROTTLING_CODES:
        return NetworkError(
            f"{what} failed: the service is unavailable or throttling ({text}) "
            "after retries. Try again later."
        )
    return ServiceRefusedError(f"{what} was refused: {text}.")


THROTTLING_CODES = ("TooManyRequestsException", "SlowDownException", "Throttling")
