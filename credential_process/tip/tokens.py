"""The Identity Center token of the exchange: cache, refresh, then a new assertion.

Like the SSO path, a token with more than the expiry window left is used from the
cache without a lock. Otherwise the assertion-source lock is taken and the cache
read again, because another process may have refreshed or exchanged meanwhile.
Only then does this process refresh with the refresh-token grant. Only if that
fails does it read a new assertion and call CreateTokenWithIAM with the JWT
bearer grant, so a storm of parallel processes makes one call.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from .. import cachefiles, clients, locking, timeutil
from ..errors import (
    ConfigError,
    LoginRequiredError,
    NetworkError,
    ServiceRefusedError,
)
from . import cache
from .jwt import JwtError, decode_payload

log = logging.getLogger(__name__)

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_TOKEN_GRANT = "refresh_token"
IDENTITY_CONTEXT_CLAIM = "sts:identity_context"

# Errors with which the gateway rejects the SigV4 signature or the access key.
SIGNATURE_ERRORS = (
    "MissingAuthenticationTokenException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
)


class IdentityCenterTokens:
    """Finds, refreshes and exchanges the Identity Center token of one source."""

    def __init__(self, settings, source_credentials, assertions):
        self.settings = settings
        self._source = source_credentials
        self._assertions = assertions
        self._client = None

    def known_identity(self):
        """Return (issuer, subject) of the current user without running a command."""
        identity = self._assertions.peek_identity()
        return identity if identity is not None else cache.load_identity(self.settings)

    def token(self, rejected_context=None):
        """Return (identity, token record) with more than the expiry window left.

        ``rejected_context`` is an identity context that STS refused: a token
        carrying it is refreshed even if it has hours left.
        """
        identity = self.known_identity()
        if identity is not None:
            record = cache.load_token(self.settings, identity)
            if self._usable(record, rejected_context):
                return identity, record
        with cache.source_lock(self.settings) as lock:
            return self._token_locked(lock, rejected_context)

    def _usable(self, record, rejected_context) -> bool:
        if record is None or not isinstance(record.get("identityContext"), str):
            return False
        if rejected_context and record["identityContext"] == rejected_context:
            return False
        left = cache.token_seconds_left(record, timeutil.now())
        return left > timeutil.EXPIRY_WINDOW_SECONDS

    def _token_locked(self, lock, rejected_context):
        identity = self.known_identity()
        record = cache.load_token(self.settings, identity) if identity else None
        if self._usable(record, rejected_context):
            log.info("Another process got the Identity Center token for %s",
                     self.settings.description)
            return identity, record
        lock.announce("refresh", timeutil.now() + locking.service_call_wait_seconds())
        if record is not None and isinstance(record.get("refreshToken"), str):
            refreshed = self._refresh(identity, record)
            if refreshed is not None:
                return identity, refreshed
        assertion = self._assertions.read()
        identity = (assertion.issuer, assertion.subject)
        self._save(cache.save_identity, identity)
        return identity, self._exchange(identity, assertion)

    def _refresh(self, identity, record):
        """Return the refreshed record, or None when a new assertion is needed."""
        now = timeutil.now()
        what = f"Refreshing the Identity Center token of {self.settings.description}"
        try:
            response = self._oidc().create_token_with_iam(
                clientId=self.settings.application_arn,
                grantType=REFRESH_TOKEN_GRANT,
                refreshToken=record["refreshToken"],
            )
        except ClientError as error:
            code = clients.error_code(error)
            if code in ("InvalidGrantException", "ExpiredTokenException"):
                log.info("The refresh token was rejected (%s); reading a new "
                         "assertion", code)
                return None
            failure = self.translate(error, REFRESH_TOKEN_GRANT)
            return self._fall_back(record, failure)
        except clients.NETWORK_ERRORS as error:
            failure = clients.describe_network_error(error, what)
            return self._fall_back(record, failure)
        log.info("Refreshed the Identity Center token of %s",
                 self.settings.description)
        return self._store(identity, response, now, record)

    def _fall_back(self, record, failure):
        """Use an unexpired token after a failed refresh, else raise ``failure``."""
        if cache.token_seconds_left(record, timeutil.now()) > 0:
            log.warning("%s; using the cached token until it expires.", failure)
            return record
        if isinstance(failure, NetworkError):
            raise failure
        return None

    def _exchange(self, identity, assertion) -> dict:
        now = timeutil.now()
        try:
            response = self._oidc().create_token_with_iam(
                clientId=self.settings.application_arn,
                grantType=JWT_BEARER_GRANT,
                assertion=assertion.token,
            )
        except ClientError as error:
            raise self.translate(error, JWT_BEARER_GRANT) from None
        except clients.NETWORK_ERRORS as error:
            raise clients.describe_network_error(
                error, f"CreateTokenWithIAM for {self.settings.description}"
            ) from None
        log.info("Exchanged an assertion for an Identity Center token of %s",
                 self.settings.description)
        return self._store(identity, response, now, None)

    def _store(self, identity, response: dict, now: float, previous) -> dict:
        record = build_record(self.settings, identity, response, now, previous)
        self._save(cache.save_token, identity, record)
        return record

    def _save(self, save, *arguments) -> None:
        try:
            save(self.settings, *arguments)
        except cachefiles.CacheWriteError as error:
            log.warning("Could not write the exchange cache: %s", error)

    def _oidc(self):
        if self._client is None:
            self._client = self._source.client("sso-oidc")
        return self._client

    def translate(self, error: ClientError, grant_type: str):
        return translate_oidc_error(self.settings, self._assertions, error, grant_type)


def build_record(settings, identity, response: dict, now: float, previous) -> dict:
    """Return the cache record of a CreateTokenWithIAM response."""
    what = f"CreateTokenWithIAM for {settings.description}"
    access_token = response.get("accessToken")
    expires_in = response.get("expiresIn")
    if not isinstance(access_token, str) or not isinstance(expires_in, int):
        raise ServiceRefusedError(
            f"{what} returned no accessToken or expiresIn; nothing was cached. "
            "Try again later."
        )
    previous = previous or {}
    claims = id_token_claims(response.get("idToken"), what)
    context = claims.get(IDENTITY_CONTEXT_CLAIM)
    if not isinstance(context, str):
        details = response.get("awsAdditionalDetails") or {}
        context = details.get("identityContext") or previous.get("identityContext")
    if not isinstance(context, str) or not context:
        raise ServiceRefusedError(
            f"{what} returned an ID token without the {IDENTITY_CONTEXT_CLAIM} "
            "claim, so no identity-enhanced session can be made. Check that the "
            "application is a customer managed application with trusted identity "
            "propagation."
        )
    issuer, subject = identity
    record = {
        "applicationArn": settings.application_arn,
        "region": settings.sso_region,
        "issuer": issuer,
        "subject": subject,
        "userId": claims.get("sub") or previous.get("userId"),
        "accessToken": access_token,
        "expiresAt": timeutil.format_timestamp(now + expires_in),
        "identityContext": context,
    }
    # A response without a refresh token keeps the previous one.
    refresh_token = response.get("refreshToken") or previous.get("refreshToken")
    if refresh_token:
        record["refreshToken"] = refresh_token
    return record


def id_token_claims(id_token, what: str) -> dict:
    if not isinstance(id_token, str):
        return {}
    try:
        return decode_payload(id_token)
    except JwtError as error:
        raise ServiceRefusedError(
            f"{what} returned an ID token that cannot be read: {error}."
        ) from None


def translate_oidc_error(settings, assertions, error: ClientError, grant_type: str):
    """Map a CreateTokenWithIAM error to the failure with its exit code."""
    code = clients.error_code(error)
    text = clients.error_message(error)
    application = settings.application_arn
    if code in ("InvalidGrantException", "ExpiredTokenException"):
        return LoginRequiredError(
            f"IAM Identity Center rejected the assertion from "
            f"{assertions.description} for application {application} ({text}). "
            "Check that the token has not expired, that its issuer (iss) is a "
            "trusted token issuer of the application and that its audience (aud) "
            "matches the application's grant; then get a new token from the issuer."
        )
    if code == "InvalidClientException":
        return ServiceRefusedError(
            f"IAM Identity Center rejected the application ARN {application} in "
            f"region {settings.sso_region} as unknown ({text}). Check "
            "--application-arn (sso_credential_process_application_arn) and "
            "--sso-region."
        )
    if code in ("AccessDeniedException", "UnauthorizedClientException"):
        return ServiceRefusedError(
            f"CreateTokenWithIAM for application {application} was denied to the "
            f"IAM credentials of the {settings.source_description} ({text}). Check "
            "that their IAM policy allows sso-oauth:CreateTokenWithIAM on the "
            "application and that the application has a grant for "
            f"{grant_type}."
        )
    if code == "InvalidRequestRegionException":
        region = error.response.get("region") or error.response.get(
            "Error", {}).get("region") or "another region"
        return ConfigError(
            f"The application {application} is served in {region}, not in "
            f"{settings.sso_region} ({text}). Set --sso-region "
            "(sso_credential_process_sso_region) to the Identity Center region."
        )
    if code in SIGNATURE_ERRORS:
        return ServiceRefusedError(
            f"IAM Identity Center rejected the IAM credentials of the "
            f"{settings.source_description} for application {application} ({text}). "
            "Check that the keys are valid and active."
        )
    return clients.translate_client_error(
        error, f"CreateTokenWithIAM for application {application}"
    )
