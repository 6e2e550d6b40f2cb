"""Mask secrets in text that may reach a log or an error message."""

from __future__ import annotations

import re

# JSON members, Python dict reprs and HTTP headers that carry secrets in the SSO
# OIDC, portal and STS protocols.
_SECRET_NAMES = (
    "accessToken|refreshToken|clientSecret|idToken|deviceCode|codeVerifier|"
    "secretAccessKey|sessionToken|SecretAccessKey|SessionToken|assertion|"
    "x-amz-sso_bearer_token|X-Amz-Security-Token|Authorization|subjectToken"
)
_PATTERN = re.compile(
    r"""(?P<name>['"]?(?:""" + _SECRET_NAMES + r""")['"]?\s*[:=]\s*)"""
    r"""(?P<quote>[b]?['"]?)(?P<value>[^'",}\s]+)""",
)


def redact(text: str) -> str:
    return _PATTERN.sub(lambda m: m.group("name") + m.group("quote") + "***", text)
