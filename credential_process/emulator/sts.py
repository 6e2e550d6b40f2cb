"""STS GetCallerIdentity over the query protocol, authenticated with SigV4.

AssumeRole lives in tip.py; it shares the authentication helpers here.
"""

import hmac
import logging
import urllib.parse
from typing import Dict

from .errors import ServiceError, sts_error
from .messages import Response, ServiceRequest
from .sigv4 import SignedRequest, SigV4Error, parse_authorization, verify_sigv4
from .state import EmulatorState, RoleCredentials, role_id, role_suffix
from .tipstate import AssumedRoleCredentials

logger = logging.getLogger(__name__)

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
INVALID_TOKEN = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


def parse_parameters(request: ServiceRequest) -> Dict[str, str]:
    """Return the query-protocol parameters from the query string and form body."""
    parameters = dict(request.query)
    form = urllib.parse.parse_qs(request.body.decode("utf-8", "replace"))
    parameters.update({name: values[0] for name, values in form.items()})
    return parameters


def operation_name(request: ServiceRequest) -> str:
    """Return the STS action of the request for the call counters."""
    action = parse_parameters(request).get("Action")
    if action in ("GetCallerIdentity", "AssumeRole"):
        return action
    return "Unknown"


def get_caller_identity(state: EmulatorState, request: ServiceRequest) -> Response:
    parameters = parse_parameters(request)
    action = parameters.get("Action")
    if action != "GetCallerIdentity":
        raise sts_error(
            400,
            "InvalidAction",
            f"Could not find operation {action} for version 2011-06-15",
            request.request_id,
        )
    credentials = authenticate(state, request)
    account_id = credentials.account_id
    if isinstance(credentials, AssumedRoleCredentials):
        arn, user_id = credentials.arn, credentials.user_id
    else:
        role_name = f"AWSReservedSSO_{credentials.role_name}_"
        role_name += role_suffix(account_id, credentials.role_name)
        user = state.user_name
        arn = f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{user}"
        user_id = f"{role_id(account_id, credentials.role_name)}:{user}"
    document = (
        f'<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}">'
        "<GetCallerIdentityResult>"
        f"<Arn>{arn}</Arn>"
        f"<UserId>{user_id}</UserId>"
        f"<Account>{account_id}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{request.request_id}</RequestId>"
        "</ResponseMetadata></GetCallerIdentityResponse>"
    )
    return Response(200, document.encode(), content_type="text/xml")


def authenticate(state: EmulatorState, request: ServiceRequest) -> RoleCredentials:
    """Return the role credentials that signed the request, or raise the STS error."""
    request_id = request.request_id
    signed_request = SignedRequest(
        method=request.method,
        path=request.path,
        raw_query=request.raw_query,
        headers=request.header_items,
        body=request.body,
    )
    if "authorization" not in request.headers:
        raise sts_error(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
            request_id,
        )
    try:
        authorization = parse_authorization(signed_request)
    except SigV4Error as error:
        raise sts_error(400, "IncompleteSignature", str(error), request_id)

    with state.lock:
        credentials = state.role_credentials.get(authorization.access_key_id)
    session_token = request.headers.get("x-amz-security-token", "")
    if credentials is None or not hmac.compare_digest(
        credentials.session_token, session_token
    ):
        raise sts_error(403, "InvalidClientTokenId", INVALID_TOKEN, request_id)
    if authorization.service != "sts":
        raise signature_mismatch(
            "Credential should be scoped to correct service: 'sts'.", request_id
        )
    verify_signature(signed_request, credentials, request_id)
    if state.now() >= credentials.expires_at:
        raise sts_error(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
            request_id,
        )
    return credentials


def verify_signature(
    request: SignedRequest, credentials: RoleCredentials, request_id: str
) -> None:
    try:
        valid = verify_sigv4(request, credentials.secret_access_key)
    except SigV4Error as error:
        raise sts_error(400, "IncompleteSignature", str(error), request_id)
    if not valid:
        logger.info("signature mismatch for %s", credentials.access_key_id)
        raise signature_mismatch(SIGNATURE_MISMATCH, request_id)


def signature_mismatch(message: str, request_id: str) -> ServiceError:
    return sts_error(403, "SignatureDoesNotMatch", message, request_id)
