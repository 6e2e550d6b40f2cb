"""HTTP layer: one loopback server that routes SSO OIDC, SSO portal and STS calls.

The server is `http.server.ThreadingHTTPServer`, because it keeps header names
that contain "_", such as the portal's `x-amz-sso_bearer_token`.
"""

import email.utils
import http.server
import ipaddress
import json
import logging
import socket
import socketserver
import ssl
import threading
import time
import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Set, Tuple

from . import oidc, pages, portal, sts, tip
from .control import handle_control
from .errors import (
    OIDC_OPERATIONS,
    ServiceError,
    default_error_body,
    oidc_error,
    portal_error,
    sts_error,
)
from .messages import HeaderDict, Response, ServiceRequest, json_response
from .state import Fault

if TYPE_CHECKING:
    from .emulator import Emulator

logger = logging.getLogger(__name__)

Handler = Callable[[Any, ServiceRequest], Response]

ROUTES: Dict[Tuple[str, str], Tuple[str, Handler]] = {
    ("POST", "/client/register"): ("RegisterClient", oidc.register_client),
    ("POST", "/device_authorization"): (
        "StartDeviceAuthorization",
        oidc.start_device_authorization,
    ),
    ("POST", "/token"): ("CreateToken", oidc.create_token),
    ("GET", "/authorize"): ("Authorize", pages.authorize),
    ("GET", "/device"): ("DeviceVerification", pages.verify_device),
    ("GET", "/federation/credentials"): (
        "GetRoleCredentials",
        portal.get_role_credentials,
    ),
    ("GET", "/assignment/accounts"): ("ListAccounts", portal.list_accounts),
    ("GET", "/assignment/roles"): ("ListAccountRoles", portal.list_account_roles),
    ("POST", "/logout"): ("Logout", portal.logout),
    ("POST", "/"): ("GetCallerIdentity", sts.get_caller_identity),
}
# Operations that share a method and path with a ROUTES entry.
SHARED_PATH_OPERATIONS: Dict[str, Handler] = {
    "CreateTokenWithIAM": tip.create_token_with_iam,
    "AssumeRole": tip.assume_role,
}
OPERATIONS = frozenset(name for name, _ in ROUTES.values()) | frozenset(
    SHARED_PATH_OPERATIONS
)
CONTROL_PREFIX = "/_emulator/"


def validate_loopback(host: str) -> None:
    """Raise ValueError unless `host` is an IPv4 loopback address literal."""
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(f"invalid host {host!r}: expected an IPv4 loopback address")
    if not address.is_loopback:
        raise ValueError(f"refusing to bind {host}: only 127.0.0.0/8 is allowed")


class EmulatorHTTPServer(http.server.ThreadingHTTPServer):
    """Threading HTTP server that can close its open keep-alive connections."""

    daemon_threads = True

    def __init__(
        self,
        address: Tuple[str, int],
        emulator: "Emulator",
        tls_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        validate_loopback(address[0])
        self.emulator = emulator
        self.tls_context = tls_context
        self.connections: Set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, EmulatorRequestHandler)

    def get_request(self) -> Tuple[socket.socket, Any]:
        connection, client_address = super().get_request()
        if self.tls_context is not None:
            # The handshake runs on the first read in the request's own thread, so
            # a client that never completes it does not block the accept loop.
            connection = self.tls_context.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, client_address

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name with socket.getfqdn,
        # which can send a DNS query. The address literal is name enough.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        scheme = "https" if self.tls_context is not None else "http"
        return f"{scheme}://{host}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Mostly a client that gave up before a delayed response, which tests cause on
        # purpose, so this logs instead of printing a traceback to stderr.
        logger.info("connection from %s failed", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Shut down open connections, so that no pooled connection is served later."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # The client already closed this connection.


class EmulatorRequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sso-credential-process-emulator"
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        self.handle_request()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        # The Date header follows the emulator clock, so clients see clock_offset.
        now = self.server.emulator.now() if timestamp is None else timestamp
        return email.utils.formatdate(now, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line can contain a user code, so only the operation is logged.
        pass

    def handle_request(self) -> None:
        try:
            request = self.parse_request_message()
        except ValueError as error:
            self.close_connection = True
            self.send(json_response({"message": str(error)}, status=400), "Invalid")
            return
        if request.path.startswith(CONTROL_PREFIX):
            response = handle_control(self.server.emulator, request)
            self.send(response, "Control", request.request_id)
            return
        self.serve_operation(request)

    def parse_request_message(self) -> ServiceRequest:
        url = urllib.parse.urlsplit(self.path)
        query = {
            name: values[0]
            for name, values in urllib.parse.parse_qs(
                url.query, keep_blank_values=True
            ).items()
        }
        header_items = list(self.headers.items())
        return ServiceRequest(
            method=self.command,
            path=url.path,
            raw_query=url.query,
            query=query,
            headers=HeaderDict(header_items),
            header_items=header_items,
            body=self.read_body(),
            request_id=str(uuid.uuid4()),
            base_url=self.server.url,
        )

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked_body()
        length = self.headers.get("Content-Length", "0") or "0"
        if not length.isdigit():
            raise ValueError(f"invalid Content-Length {length!r}")
        return self.rfile.read(int(length))

    def read_chunked_body(self) -> bytes:
        chunks = []
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ValueError(f"invalid chunk size {size_line!r}")
            if size == 0:
                break
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)
        while self.rfile.readline(1024).strip():
            pass  # Trailer fields are ignored.
        return b"".join(chunks)

    def serve_operation(self, request: ServiceRequest) -> None:
        emulator = self.server.emulator
        operation, handler = route(request)
        entry = request_entry(operation, request, emulator.now())
        emulator.record_call(operation, entry)
        fault = emulator.pop_fault(operation)
        delay = emulator.response_delay.get(operation, 0.0)
        if fault is not None:
            delay += fault.delay
        if delay > 0:
            time.sleep(delay)
        if fault is not None and fault.close_connection:
            logger.info("%s: closing the connection without a response", operation)
            self.close_connection = True
            return
        if fault is not None and fault.status is not None:
            self.send(fault_response(fault, operation), operation, request.request_id)
            return
        response = call_handler(emulator, handler, operation, request)
        self.send(response, operation, request.request_id)

    def send(
        self, response: Response, operation: str, request_id: Optional[str] = None
    ) -> None:
        self.send_response(response.status)
        self.send_header("x-amzn-RequestId", request_id or str(uuid.uuid4()))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        path = self.path.split("?", 1)[0]
        logger.debug("%s %s %s: %d", operation, self.command, path, response.status)


def route(request: ServiceRequest) -> Tuple[str, Optional[Handler]]:
    """Return the operation name and handler of a request, or ("Unknown", None)."""
    if request.method == "POST" and request.path == "/token":
        if "aws_iam" in request.query:
            return "CreateTokenWithIAM", tip.create_token_with_iam
    entry = ROUTES.get((request.method, request.path))
    if entry is None:
        return "Unknown", None
    operation, handler = entry
    if operation == "GetCallerIdentity":
        operation = sts.operation_name(request)
        handler = SHARED_PATH_OPERATIONS.get(operation, handler)
    return operation, handler


def request_entry(
    operation: str, request: ServiceRequest, now: float
) -> Dict[str, Any]:
    """Build the emu.requests record of a request, with the body parsed if possible."""
    body: Any = None
    content_type = request.headers.get("content-type", "")
    if request.body and "x-www-form-urlencoded" in content_type:
        form = urllib.parse.parse_qs(request.body.decode("utf-8", "replace"))
        body = {name: values[0] for name, values in form.items()}
    elif request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = request.body.decode("utf-8", "replace")
    return {
        "operation": operation,
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "headers": request.headers,
        "body": body,
        "time": now,
    }


def fault_response(fault: Fault, operation: str) -> Response:
    if isinstance(fault.body, (dict, list)):
        body = json.dumps(fault.body).encode()
    elif isinstance(fault.body, str):
        body = fault.body.encode()
    elif isinstance(fault.body, bytes):
        body = fault.body
    else:
        body = default_error_body(fault.error_type, operation)
    headers = dict(fault.headers)
    if fault.error_type:
        headers["x-amzn-ErrorType"] = fault.error_type
    content_type = "application/json"
    if operation in ("GetCallerIdentity", "AssumeRole"):
        content_type = "text/xml"
    logger.info("%s: responding with injected status %d", operation, fault.status)
    return Response(fault.status or 500, body, content_type, headers)


def call_handler(
    emulator: "Emulator",
    handler: Optional[Handler],
    operation: str,
    request: ServiceRequest,
) -> Response:
    if handler is None:
        message = f"No operation at {request.method} {request.path}"
        return json_response({"message": message}, status=404)
    try:
        return handler(emulator, request)
    except ServiceError as error:
        headers = {"x-amzn-ErrorType": error.error_type}
        return Response(error.status, error.body, error.content_type, headers)
    except Exception:
        logger.exception("%s failed with an unexpected error", operation)
        error = internal_error(operation, request.request_id)
        headers = {"x-amzn-ErrorType": error.error_type}
        return Response(error.status, error.body, error.content_type, headers)


def internal_error(operation: str, request_id: str) -> ServiceError:
    if operation in OIDC_OPERATIONS:
        return oidc_error("InternalServerException", "Internal emulator error")
    if operation in ("GetCallerIdentity", "AssumeRole"):
        return sts_error(
            500,
            "InternalFailure",
            "Internal emulator error",
            request_id,
            error_kind="Receiver",
        )
    return portal_error("InternalServerException", "Internal emulator error")
