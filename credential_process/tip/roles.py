"""STS AssumeRole with the Identity Center context, signed by the source credentials."""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from .. import clients, timeutil
from ..errors import ServiceRefusedError

log = logging.getLogger(__name__)

IDENTITY_CENTER_PROVIDER_ARN = "arn:aws:iam::aws:contextProvider/IdentityCenter"
# STS returns these when the provided context is expired or not one it issued.
CONTEXT_REJECTED_ERRORS = ("ExpiredTokenException", "InvalidParameterValue")


class ContextRejectedError(Exception):
    """STS rejected the identity context; a refreshed token brings a new one."""


def assume_role(sts, settings, identity_context: str) -> dict:
    """Call AssumeRole with ProvidedContexts; return the cached credential layout."""
    what = f"AssumeRole of {settings.role_arn} for {settings.description}"
    arguments = {
        "RoleArn": settings.role_arn,
        "RoleSessionName": settings.role_session_name,
        "ProvidedContexts": [{
            "ProviderArn": IDENTITY_CENTER_PROVIDER_ARN,
            "ContextAssertion": identity_context,
        }],
    }
    if settings.duration_seconds:
        arguments["DurationSeconds"] = settings.duration_seconds
    try:
        response = sts.assume_role(**arguments)
    except ClientError as error:
        code = clients.error_code(error)
        if code in CONTEXT_REJECTED_ERRORS and "ontext" in clients.error_message(error):
            raise ContextRejectedError(clients.error_message(error)) from None
        if code in ("AccessDenied", "AccessDeniedException"):
            raise ServiceRefusedError(
                f"{what} was denied to the IAM credentials of the "
                f"{settings.source_description} ({clients.error_message(error)}). "
                "Check that the role's trust policy allows sts:AssumeRole and "
                "sts:SetContext for them."
            ) from None
        if code in ("ValidationError", "InvalidParameterValue"):
            raise ServiceRefusedError(
                f"{what} was refused: {clients.error_message(error)}. Check the role "
                "ARN, the role session name and the duration (at most the role's "
                "maximum session duration)."
            ) from None
        raise clients.translate_client_error(error, what) from None
    except clients.NETWORK_ERRORS as error:
        raise clients.describe_network_error(error, what) from None
    return to_cache_layout(response.get("Credentials") or {}, settings, what)


def to_cache_layout(credentials: dict, settings, what: str) -> dict:
    missing = [
        name for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")
        if not isinstance(credentials.get(name), str) or not credentials.get(name)
    ]
    expiration = credentials.get("Expiration")
    if not hasattr(expiration, "timestamp"):
        missing.append("Expiration")
    if missing:
        raise ServiceRefusedError(
            f"{what} returned incomplete credentials (missing {', '.join(missing)}); "
            "nothing was printed or cached. Try again later."
        )
    expires_at = int(expiration.timestamp())
    left = expires_at - timeutil.now()
    if left <= timeutil.EXPIRY_WINDOW_SECONDS:
        log.warning(
            "The role credentials of %s expire in %d s; SDKs will run this process "
            "again on nearly every call. Raise --duration-seconds.",
            settings.role_arn, int(left),
        )
    return {
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "SessionToken": credentials["SessionToken"],
        "Expiration": timeutil.format_timestamp(expires_at),
        "AccountId": settings.account_id,
    }
