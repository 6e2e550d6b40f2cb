"""Control API under /_emulator/ for tests and benchmarks in other processes."""

import json
import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple

from .messages import Response, ServiceRequest, json_response

if TYPE_CHECKING:
    from .emulator import Emulator

logger = logging.getLogger(__name__)

ISSUE_TOKEN_ARGUMENTS = {"client_id", "clientId", "scopes", "expires_in", "expiresIn"}
IAM_USER_ARGUMENTS = {"accessKeyId", "secretAccessKey", "accountId", "userName"}
APPLICATION_ARGUMENTS = {"arn", "trustedIssuer", "audience", "issuerSecret", "region"}
ASSERTION_ARGUMENTS = {"issuer", "subject", "audience", "expiresIn", "secret"}
INJECT_ARGUMENTS = {
    "operation",
    "status",
    "error_type",
    "body",
    "count",
    "close_connection",
    "delay",
    "headers",
}


class ControlError(ValueError):
    """Invalid control request, which gets a 400 response."""


def handle_control(emulator: "Emulator", request: ServiceRequest) -> Response:
    """Run a control request and return its JSON response."""
    name = request.path[len("/_emulator/") :]
    action = CONTROL_ACTIONS.get((request.method, name))
    if action is None:
        message = f"No control action at {request.method} {request.path}"
        return json_response({"message": message}, status=404)
    try:
        arguments = parse_arguments(request)
        return json_response(action(emulator, arguments))
    except (ControlError, ValueError, TypeError) as error:
        logger.info("control request %s failed: %s", name, error)
        return json_response({"message": str(error)}, status=400)


def parse_arguments(request: ServiceRequest) -> Dict[str, Any]:
    if not request.body:
        return {}
    try:
        arguments = json.loads(request.body)
    except ValueError:
        raise ControlError("control request body is not valid JSON")
    if not isinstance(arguments, dict):
        raise ControlError("control request body must be a JSON object")
    return arguments


def require_keys(arguments: Dict[str, Any], allowed: set) -> None:
    unknown = set(arguments) - allowed
    if unknown:
        raise ControlError(
            f"unknown arguments {sorted(unknown)}: expected some of {sorted(allowed)}"
        )


def get_calls(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    with emulator.lock:
        return dict(emulator.calls)


def get_requests(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    with emulator.lock:
        entries = list(emulator.requests)
    return [dict(entry, headers=dict(entry["headers"])) for entry in entries]


def reset(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    # A reset starts a clean run: leftover faults would hit the next client.
    emulator.reset_counters()
    emulator.clear_faults()
    return {}


def get_settings(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    return emulator.settings()


def change_settings(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    emulator.configure(**arguments)
    return emulator.settings()


def inject(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    require_keys(arguments, INJECT_ARGUMENTS)
    if "operation" not in arguments:
        raise ControlError("missing argument: operation")
    emulator.inject(**arguments)
    return {}


def issue_token(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    require_keys(arguments, ISSUE_TOKEN_ARGUMENTS)
    token = emulator.issue_token(
        client_id=arguments.get("client_id", arguments.get("clientId")),
        scopes=arguments.get("scopes", ["sso:account:access"]),
        expires_in=arguments.get("expires_in", arguments.get("expiresIn")),
    )
    for name in ("expiresAt", "registrationExpiresAt"):
        token[name] = token[name].strftime("%Y-%m-%dT%H:%M:%SZ")
    return token


def user_code_argument(arguments: Dict[str, Any]) -> str:
    user_code = arguments.get("userCode")
    if not isinstance(user_code, str):
        raise ControlError("missing argument: userCode")
    return user_code


def access_token_argument(arguments: Dict[str, Any]) -> str:
    access_token = arguments.get("accessToken")
    if not isinstance(access_token, str):
        raise ControlError("missing argument: accessToken")
    return access_token


def approve(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    emulator.approve(user_code_argument(arguments))
    return {}


def deny(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    emulator.deny(user_code_argument(arguments))
    return {}


def revoke_token(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    emulator.revoke_access_token(access_token_argument(arguments))
    return {}


def expire_token(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    emulator.expire_access_token(access_token_argument(arguments))
    return {}


def string_argument(arguments: Dict[str, Any], name: str, required: bool = False):
    value = arguments.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ControlError(f"missing or invalid argument: {name} (expected a string)")
    return value


def add_iam_user(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    require_keys(arguments, IAM_USER_ARGUMENTS)
    access_key_id, secret_access_key = emulator.add_iam_user(
        access_key_id=string_argument(arguments, "accessKeyId"),
        secret_access_key=string_argument(arguments, "secretAccessKey"),
        account_id=string_argument(arguments, "accountId") or "111122223333",
        user_name=string_argument(arguments, "userName") or "application",
    )
    return {"accessKeyId": access_key_id, "secretAccessKey": secret_access_key}


def add_application(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    require_keys(arguments, APPLICATION_ARGUMENTS)
    emulator.add_application(
        string_argument(arguments, "arn", required=True),
        string_argument(arguments, "trustedIssuer", required=True),
        audience=string_argument(arguments, "audience"),
        issuer_secret=string_argument(arguments, "issuerSecret"),
        region=string_argument(arguments, "region") or "us-east-1",
    )
    return {}


def issue_assertion(emulator: "Emulator", arguments: Dict[str, Any]) -> Any:
    from .tip import test_assertion

    require_keys(arguments, ASSERTION_ARGUMENTS)
    expires_in = arguments.get("expiresIn", 3600)
    if not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool):
        raise ControlError("invalid argument: expiresIn (expected seconds)")
    assertion = test_assertion(
        string_argument(arguments, "issuer", required=True),
        string_argument(arguments, "subject", required=True),
        audience=string_argument(arguments, "audience"),
        expires_in=expires_in,
        secret=string_argument(arguments, "secret"),
    )
    return {"assertion": assertion}


ControlAction = Callable[["Emulator", Dict[str, Any]], Any]
CONTROL_ACTIONS: Dict[Tuple[str, str], ControlAction] = {
    ("GET", "calls"): get_calls,
    ("GET", "requests"): get_requests,
    ("POST", "reset"): reset,
    ("GET", "settings"): get_settings,
    ("POST", "settings"): change_settings,
    ("POST", "inject"): inject,
    ("POST", "issue-token"): issue_token,
    ("POST", "approve"): approve,
    ("POST", "deny"): deny,
    ("POST", "revoke-token"): revoke_token,
    ("POST", "expire-token"): expire_token,
    ("POST", "add-iam-user"): add_iam_user,
    ("POST", "add-application"): add_application,
    ("POST", "issue-assertion"): issue_assertion,
}
