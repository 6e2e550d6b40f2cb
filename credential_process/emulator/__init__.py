"""Local emulator of the AWS services that the credential process calls.

It serves SSO OIDC (client registration, device authorization, tokens), the SSO
portal (role credentials, accounts, roles, logout) and STS GetCallerIdentity on one
loopback HTTP server, so that tests run without an AWS account or network.
"""

from .emulator import Emulator
from .sigv4 import SignedRequest, SigV4Error, verify_sigv4
from .state import Account

__all__ = ["Account", "Emulator", "SignedRequest", "SigV4Error", "verify_sigv4"]
