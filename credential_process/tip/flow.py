"""The exchange, step by step: cached role credentials, token, then AssumeRole."""

from __future__ import annotations

import logging

from .. import cachefiles
from ..errors import ServiceRefusedError
from . import cache
from .assertions import AssertionSource
from .source import check_not_nested

log = logging.getLogger(__name__)


def prepare(settings, assertions):
    """Return the token resolver and the source credentials, after the loop checks.

    botocore is imported only here, so a cache hit does without it.
    """
    from .source import SourceCredentials
    from .tokens import IdentityCenterTokens

    source = SourceCredentials(settings)
    source.check_recursion()
    return IdentityCenterTokens(settings, source, assertions), source


def role_credentials(settings) -> dict:
    """Return identity-enhanced role credentials with more than the window left.

    The token is resolved before the role lock is taken, so the role lock is only
    ever held for one AssumeRole call, as in the SSO path.
    """
    # Credentials printed inside another exchange's source resolution would loop.
    check_not_nested(settings)
    assertions = AssertionSource(settings)
    identity = assertions.peek_identity() or cache.load_identity(settings)
    if identity is not None:
        cached = cache.load_role_credentials(settings, identity)
        if cached is not None:
            return cached

    from . import roles

    tokens, source = prepare(settings, assertions)
    identity, record = tokens.token()
    with cache.role_lock(settings, identity):
        cached = cache.load_role_credentials(settings, identity)
        if cached is not None:
            log.info("Another process fetched the role credentials")
            return cached
        sts = source.client("sts")
        try:
            credentials = roles.assume_role(sts, settings, record["identityContext"])
        except roles.ContextRejectedError:
            # The context may end before the token does; a refresh brings a new one.
            log.info("STS rejected the identity context; refreshing the token")
            identity, record = tokens.token(rejected_context=record["identityContext"])
            try:
                credentials = roles.assume_role(
                    sts, settings, record["identityContext"]
                )
            except roles.ContextRejectedError as error:
                raise ServiceRefusedError(
                    f"STS rejected a freshly issued identity context for "
                    f"{settings.description} ({error}). Check that the role trusts "
                    "the IAM principal for sts:SetContext."
                ) from None
        try:
            cache.save_role_credentials(settings, identity, credentials)
        except cachefiles.CacheWriteError as error:
            log.warning("Could not cache the role credentials: %s", error)
    return credentials


def access_token(settings) -> dict:
    """Return the Identity Center token record, for --print-token."""
    tokens, _ = prepare(settings, AssertionSource(settings))
    _, record = tokens.token()
    return record
