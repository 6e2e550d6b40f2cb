"""Decode the payload of a compact JWT without verifying it.

Nothing here checks a signature: the assertion is verified by IAM Identity Center
when it is exchanged, and the ID token comes straight from Identity Center over
TLS. The claims are read only to name cache files and to find the identity
context.
"""

from __future__ import annotations

import base64
import binascii
import json


class JwtError(ValueError):
    """The text is not a compact JWT with a JSON object payload."""


def decode_payload(token: str) -> dict:
    """Return the claims of ``token``, or raise JwtError saying what is wrong."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise JwtError(
            f"it is not a JWT: expected 3 dot-separated parts, found {len(parts)}"
        )
    payload = parts[1]
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(data.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise JwtError("its payload is not base64url-encoded JSON") from None
    if not isinstance(claims, dict):
        raise JwtError("its payload is not a JSON object")
    return claims
