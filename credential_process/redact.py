"""Mask secrets in text that may reach a log or an error message.

Two layers: secret members by name (``"refreshToken": "..."``, headers), and
every secret value this process sent to or received from a service, wherever it
appears. The second catches a service error message that echoes a token back.
"""

from __future__ import annotations

# JSON members, Python dict reprs and HTTP headers that carry secrets in the SSO
# OIDC, portal and STS protocols.
_SECRET_NAMES = (
    "accessToken|refreshToken|clientSecret|idToken|deviceCode|codeVerifier|"
    "secretAccessKey|sessionToken|SecretAccessKey|SessionToken|assertion|"
    "x-amz-sso_bearer_token|X-Amz-Security-Token|Authorization|subjectToken"
)
# API members whose values are secrets, in requests and responses.
SECRET_MEMBERS = frozenset({
    "accessToken", "refreshToken", "clientSecret", "idToken", "deviceCode",
    "codeVerifier", "code", "assertion", "subjectToken", "secretAccessKey",
    "sessionToken", "SecretAccessKey", "SessionToken",
})
# Shorter values are not masked: they would hide ordinary words in messages.
MIN_SECRET_LENGTH = 8

_pattern = None
_known_secrets = set()


def remember_members(document, depth: int = 0) -> None:
    """Record the values of SECRET_MEMBERS in ``document`` and its nested dicts."""
    if not isinstance(document, dict) or depth > 3:
        return
    for name, value in document.items():
        if name in SECRET_MEMBERS:
            remember(value)
        elif isinstance(value, dict):
            remember_members(value, depth + 1)


def remember(value) -> None:
    """Mask ``value`` wherever it appears in text passed to redact() later."""
    if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
        _known_secrets.add(value)


def redact(text: str) -> str:
    global _pattern
    if _pattern is None:
        import re

        _pattern = re.compile(
            r"""(?P<name>['"]?(?:""" + _SECRET_NAMES + r""")['"]?\s*[:=]\s*)"""
            r"""(?P<quote>[b]?['"]?)(?P<value>[^'",}\s]+)""",
        )
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(_known_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _pattern.sub(lambda m: m.group("name") + m.group("quote") + "***", text)
