"""Error responses of the emulated services, in the wire format botocore parses."""

import json
from typing import Dict, Optional, Tuple
from xml.sax.saxutils import escape

# HTTP status and OAuth error code of every SSO OIDC exception, from the botocore
# sso-oidc 2019-06-10 service model and the SSO OIDC API reference.
OIDC_ERRORS: Dict[str, Tuple[int, str]] = {
    "AuthorizationPendingException": (400, "authorization_pending"),
    "SlowDownException": (400, "slow_down"),
    "ExpiredTokenException": (400, "expired_token"),
    "AccessDeniedException": (400, "access_denied"),
    "InvalidClientException": (401, "invalid_client"),
    "InvalidClientMetadataException": (400, "invalid_client_metadata"),
    "InvalidGrantException": (400, "invalid_grant"),
    "InvalidRequestException": (400, "invalid_request"),
    "InvalidRedirectUriException": (400, "invalid_redirect_uri"),
    "InvalidScopeException": (400, "invalid_scope"),
    "UnauthorizedClientException": (400, "unauthorized_client"),
    "UnsupportedGrantTypeException": (400, "unsupported_grant_type"),
    "InternalServerException": (500, "server_error"),
    "InvalidRequestRegionException": (400, "invalid_request"),
}

# HTTP status of every SSO portal exception. ForbiddenException is not in the
# botocore model, but the portal returns it for a role that is not assigned.
PORTAL_ERRORS: Dict[str, int] = {
    "InvalidRequestException": 400,
    "UnauthorizedException": 401,
    "ForbiddenException": 403,
    "ResourceNotFoundException": 404,
    "TooManyRequestsException": 429,
    "InternalServerException": 500,
}


class ServiceError(Exception):
    """Error response of an emulated operation, raised by handlers and sent as is."""

    def __init__(
        self,
        status: int,
        error_type: str,
        body: bytes,
        content_type: str = "application/json",
    ) -> None:
        super().__init__(f"{error_type} ({status})")
        self.status = status
        self.error_type = error_type
        self.body = body
        self.content_type = content_type


def oidc_error(error_type: str, description: str) -> ServiceError:
    """Build an SSO OIDC error with the status and OAuth code of `error_type`."""
    status, code = OIDC_ERRORS[error_type]
    body = {"error": code, "error_description": description}
    return ServiceError(status, error_type, json.dumps(body).encode())


def portal_error(error_type: str, message: str) -> ServiceError:
    """Build an SSO portal error with the status of `error_type`."""
    body = json.dumps({"message": message}).encode()
    return ServiceError(PORTAL_ERRORS[error_type], error_type, body)


def sts_error(
    status: int, code: str, message: str, request_id: str, error_kind: str = "Sender"
) -> ServiceError:
    """Build an STS query-protocol error document."""
    document = (
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        f"<Error><Type>{error_kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return ServiceError(status, code, document.encode(), content_type="text/xml")


def default_error_body(error_type: Optional[str], operation: str) -> bytes:
    """Return the body the service would send for `error_type`, for injected faults."""
    if not error_type:
        return b""
    if error_type in OIDC_ERRORS and operation in OIDC_OPERATIONS:
        return oidc_error(error_type, "Injected fault").body
    if operation in STS_OPERATIONS:
        # The status in the document is not sent; the fault's own status is.
        return sts_error(400, error_type, "Injected fault", "injected-fault").body
    return json.dumps({"message": "Injected fault"}).encode()


STS_OPERATIONS = frozenset({"GetCallerIdentity", "AssumeRole"})
OIDC_OPERATIONS = frozenset(
    {"RegisterClient", "StartDeviceAuthorization", "CreateToken", "CreateTokenWithIAM"}
)
