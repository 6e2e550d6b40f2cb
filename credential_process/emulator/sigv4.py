"""Verification of AWS Signature Version 4 request signatures.

The steps follow the SigV4 specification in the AWS IAM User Guide ("Create a
signed AWS API request"): canonical request, string to sign, and the HMAC-SHA256
key chain over date, region, service and "aws4_request".
"""

import hashlib
import hmac
import re
import urllib.parse
from dataclasses import dataclass
from typing import List, Sequence, Tuple

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

AUTHORIZATION_PATTERN = re.compile(
    r"^AWS4-HMAC-SHA256\s+"
    r"Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed_headers>[^,\s]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})\s*$"
)


class SigV4Error(ValueError):
    """Authorization header or date that is malformed or incomplete."""


@dataclass(frozen=True)
class SignedRequest:
    method: str
    # Path as sent on the wire, still percent-encoded, without the query string.
    path: str
    raw_query: str
    # Every header in the order received. Repeated names are allowed.
    headers: Sequence[Tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Authorization:
    """Parsed `Authorization` header of a SigV4 request."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: List[str]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def header_value(request: SignedRequest, name: str) -> str:
    """Return the comma-joined values of a header, or "" if it is absent."""
    values = [value for key, value in request.headers if key.lower() == name]
    return ",".join(values)


def parse_authorization(request: SignedRequest) -> Authorization:
    """Parse the Authorization header or raise SigV4Error."""
    header = header_value(request, "authorization")
    match = AUTHORIZATION_PATTERN.match(header)
    if match is None:
        raise SigV4Error("Authorization header is not a complete AWS4-HMAC-SHA256 one")
    credential = match["credential"].split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise SigV4Error("Credential must be AKID/date/region/service/aws4_request")
    signed_headers = match["signed_headers"].split(";")
    if "host" not in signed_headers:
        raise SigV4Error("SignedHeaders must include host")
    return Authorization(
        access_key_id=credential[0],
        date=credential[1],
        region=credential[2],
        service=credential[3],
        signed_headers=signed_headers,
        signature=match["signature"],
    )


def request_date(request: SignedRequest) -> str:
    """Return the X-Amz-Date timestamp (YYYYMMDD'T'HHMMSS'Z') or raise SigV4Error."""
    amz_date = header_value(request, "x-amz-date")
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        raise SigV4Error("X-Amz-Date header is missing or malformed")
    return amz_date


def remove_dot_segments(path: str) -> str:
    """Drop ".", ".." and empty segments, keeping a leading and trailing slash."""
    segments: List[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and segments else ""
    return leading + "/".join(segments) + trailing


def canonical_uri(path: str) -> str:
    """Normalize the path and URI-encode it a second time, as SigV4 does for non-S3."""
    return urllib.parse.quote(remove_dot_segments(path) or "/", safe="/~")


def canonical_query(raw_query: str) -> str:
    pairs = []
    for item in raw_query.split("&") if raw_query else []:
        key, _, value = item.partition("=")
        key, value = urllib.parse.unquote(key), urllib.parse.unquote(value)
        pairs.append((encode(key), encode(value)))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def encode(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def canonical_headers(request: SignedRequest, signed_headers: List[str]) -> str:
    lines = []
    for name in signed_headers:
        values = [value for key, value in request.headers if key.lower() == name]
        if not values:
            raise SigV4Error(f"Signed header {name!r} is missing from the request")
        # Trimall: strip the value and collapse inner runs of spaces.
        lines.append(name + ":" + ",".join(" ".join(v.split()) for v in values))
    return "\n".join(lines) + "\n"


def payload_hash(request: SignedRequest) -> str:
    """Return the signed payload hash, checking a sent X-Amz-Content-SHA256."""
    body_hash = hashlib.sha256(request.body).hexdigest()
    sent_hash = header_value(request, "x-amz-content-sha256")
    if sent_hash == UNSIGNED_PAYLOAD:
        return sent_hash
    if sent_hash and sent_hash != body_hash:
        raise SigV4Error("X-Amz-Content-SHA256 does not match the request body")
    return body_hash


def canonical_request(request: SignedRequest, authorization: Authorization) -> str:
    return "\n".join(
        [
            request.method,
            canonical_uri(request.path),
            canonical_query(request.raw_query),
            canonical_headers(request, authorization.signed_headers),
            ";".join(authorization.signed_headers),
            payload_hash(request),
        ]
    )


def signing_key(secret_key: str, authorization: Authorization) -> bytes:
    key = ("AWS4" + secret_key).encode()
    for part in (authorization.date, authorization.region, authorization.service):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, b"aws4_request", hashlib.sha256).digest()


def expected_signature(request: SignedRequest, secret_key: str) -> str:
    """Compute the SigV4 signature of a request with the given secret access key."""
    authorization = parse_authorization(request)
    amz_date = request_date(request)
    if amz_date[:8] != authorization.date:
        raise SigV4Error("Credential scope date does not match X-Amz-Date")
    digest = hashlib.sha256(canonical_request(request, authorization).encode())
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, authorization.scope, digest.hexdigest()]
    )
    key = signing_key(secret_key, authorization)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify_sigv4(request: SignedRequest, secret_key: str) -> bool:
    """Check the request's SigV4 signature against the given secret access key.

    Returns False when the signature does not match and raises SigV4Error when the
    Authorization or X-Amz-Date header is malformed. The caller checks the access
    key id, session token and credential scope, which this function does not know.
    NOTE: the request time is not checked against the clock, but real services
    reject signatures more than 5 minutes off.
    """
    authorization = parse_authorization(request)
    signature = expected_signature(request, secret_key)
    return hmac.compare_digest(signature, authorization.signature)
