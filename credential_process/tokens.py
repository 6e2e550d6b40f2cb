"""Find a usable SSO access token: cache, refresh-token grant, or a login.

Cache hits take no lock. Anything else takes the per-session lock, re-reads the
cache (another process may have refreshed or logged in meanwhile), and only then
calls the service, so a storm of processes makes one refresh or one login.
"""

from __future__ import annotations

import logging

from . import cachefiles, locking, timeutil, tokencache
from .errors import LoginRequiredError, login_command

log = logging.getLogger(__name__)


class LoginPolicy:
    """Whether a login may start, and where its prompt goes."""

    def __init__(self, allowed: bool, prompt_factory):
        self.allowed = allowed
        self._prompt_factory = prompt_factory

    def open_prompt(self):
        """Return a Prompt, or None when no person can be reached."""
        if not self.allowed:
            return None
        return self._prompt_factory()


class TokenResolver:
    def __init__(self, settings, client_factory, policy: LoginPolicy):
        self.settings = settings
        self._client_factory = client_factory
        self._policy = policy
        self._oidc_client = None

    def oidc_client(self):
        if self._oidc_client is None:
            self._oidc_client = self._client_factory.create(
                "sso-oidc", self.settings.sso_region
            )
        return self._oidc_client

    def access_token(self, rejected=None) -> str:
        """Return an access token with more than the refresh window left if possible.

        ``rejected`` is a token the portal answered 401 for: it is refreshed even if
        its expiry is hours away.
        """
        token = tokencache.load_token(self.settings)
        if self._usable(token, rejected):
            return token.access_token
        with locking.session_lock(self.settings) as lock:
            return self._access_token_locked(lock, rejected)

    def _usable(self, token, rejected) -> bool:
        if token is None or token.access_token == rejected:
            return False
        return token.is_fresh(timeutil.now())

    def _access_token_locked(self, lock, rejected) -> str:
        token = tokencache.load_token(self.settings)
        if self._usable(token, rejected):
            log.info("Another process refreshed the token for %s",
                     self.settings.description)
            return token.access_token

        reason = self._no_token_reason(token)
        if token is not None and token.can_refresh(timeutil.now()):
            refreshed, reason = self._refresh(token, lock)
            if refreshed is not None:
                return refreshed
        if token is not None and token.access_token != rejected:
            if token.is_unexpired(timeutil.now()):
                log.info("Using the cached token for %s, which has not expired yet",
                         self.settings.description)
                return token.access_token
        return self._login(lock, reason)

    def _no_token_reason(self, token) -> str:
        if token is None:
            return f"there is no cached SSO token for {self.settings.description}"
        if not self.settings.session_name:
            return (
                f"the SSO token for {self.settings.description} has expired, and "
                "profiles that set sso_start_url directly get tokens that cannot be "
                "refreshed (move sso_start_url and sso_region into an "
                "[sso-session] section with sso_registration_scopes = "
                "sso:account:access)"
            )
        if not isinstance(token.record.get("refreshToken"), str):
            return (
                f"the SSO token for {self.settings.description} has expired and has "
                "no refresh token (set sso_registration_scopes = sso:account:access "
                "in the sso-session section to get refreshable tokens)"
            )
        return f"the SSO token for {self.settings.description} has expired"

    def _refresh(self, token, lock):
        """Return (access token or None, reason a login is needed)."""
        # botocore is imported only where a service call follows, so processes that
        # find a token another process refreshed never spend time importing it.
        from botocore.exceptions import ClientError

        from . import clients, oidc

        lock.announce("refresh", timeutil.now() + locking.SERVICE_CALL_WAIT_SECONDS)
        now = timeutil.now()
        try:
            response = oidc.refresh_access_token(
                self.oidc_client(), self.settings, token.record
            )
        except oidc.RefreshRejectedError as error:
            self._forget_refresh_token(token)
            return None, (
                f"the SSO session for {self.settings.description} has ended: the "
                f"refresh token was rejected ({error})"
            )
        except (ClientError,) + clients.NETWORK_ERRORS as error:
            return self._refresh_failed(token, error)

        record = tokencache.build_token_record(
            self.settings, response, token.record, now, token.record
        )
        try:
            tokencache.save_token(self.settings, record)
        except cachefiles.CacheWriteError as error:
            log.warning("Refreshed the SSO token for %s but could not cache it: %s",
                        self.settings.description, error)
        log.info("Refreshed the SSO token for %s", self.settings.description)
        return response["accessToken"], ""

    def _refresh_failed(self, token, error):
        from botocore.exceptions import ClientError

        from . import clients

        what = f"Refreshing the SSO token for {self.settings.description}"
        if isinstance(error, ClientError):
            failure = clients.translate_client_error(error, what)
        else:
            failure = clients.describe_network_error(error, what)
        if token.is_unexpired(timeutil.now()):
            log.warning("%s; using the cached token until it expires.", failure)
            return None, str(failure)
        raise failure

    def _forget_refresh_token(self, token) -> None:
        # A rejected refresh token stays rejected; dropping it stops every later
        # run from trying it again, and keeps the rest of the record for the CLI.
        record = dict(token.record)
        record.pop("refreshToken", None)
        try:
            tokencache.save_token(self.settings, record)
        except cachefiles.CacheWriteError as error:
            log.debug("Could not drop the rejected refresh token: %s", error)

    def _login(self, lock, reason: str) -> str:
        prompt = self._policy.open_prompt()
        if prompt is None:
            raise LoginRequiredError(self._login_required_message(reason))
        from . import device_flow

        try:
            return device_flow.device_login(
                self.settings, self.oidc_client(), prompt, lock
            )
        finally:
            prompt.close()

    def _login_required_message(self, reason: str) -> str:
        target = self.settings.login_target
        if not self._policy.allowed:
            why = "--no-login was given"
        else:
            why = "no terminal is available for the login prompt"
        aws_target = target if self.settings.session_name else (
            f"--profile {self.settings.profile_name}" if self.settings.profile_name
            else None
        )
        also = f" (or: aws sso login {aws_target})" if aws_target else ""
        return (
            f"Login required: {reason}, and {why}. "
            f"Run: {login_command(target)}{also}"
        )
