"""Find a usable SSO access token: cache, refresh-token grant, or a login.

Cache hits take no lock. Anything else takes the per-session lock, re-reads the
cache (another process may have refreshed or logged in meanwhile), and only then
calls the service, so a storm of processes makes one refresh or one login.
"""

from __future__ import annotations

import contextlib
import logging
import os

from . import cachefiles, locking, timeutil, tokencache
from .errors import LoginRequiredError, NetworkError, login_command

log = logging.getLogger(__name__)


class LoginPolicy:
    """Whether a login may start, and where its prompt goes."""

    def __init__(self, allowed: bool, prompt_factory, in_background: bool = False):
        self.allowed = allowed
        self._prompt_factory = prompt_factory
        # Logins for SDKs run in a worker that outlives a caller killed on timeout.
        self.in_background = in_background

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

        ``rejected`` is a token the portal rejected with 401: it is refreshed even if
        its expiry is hours away.
        """
        token = tokencache.load_token(self.settings)
        if self._usable(token, rejected):
            return token.access_token
        waiter = None
        try:
            while True:
                with locking.session_lock(self.settings) as lock:
                    result = self._access_token_locked(lock, rejected, waiter)
                # Anything but a Waiter is the access token.
                if isinstance(result, str):
                    return result
                # A background login is on its way: let its worker take the lock,
                # then wait for the login on the lock like any other waiter.
                waiter = result
                waiter.pause()
        except KeyboardInterrupt:
            # Ctrl-C reaches only this process: the worker runs in its own session.
            if waiter is not None:
                waiter.cancel()
            raise

    def _usable(self, token, rejected) -> bool:
        if token is None or token.access_token == rejected:
            return False
        return token.is_fresh(timeutil.now())

    def _access_token_locked(self, lock, rejected, waiter=None):
        token = tokencache.load_token(self.settings)
        if self._usable(token, rejected):
            if waiter is not None:
                waiter.report_warnings()
                log.info("The sign-in for %s finished", self.settings.description)
            else:
                log.info("Another process refreshed the token for %s",
                         self.settings.description)
            return token.access_token
        if waiter is not None:
            return waiter.check(token)

        reason = self._no_token_reason(token, rejected)
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

    def _no_token_reason(self, token, rejected=None) -> str:
        if token is None:
            return f"there is no cached SSO token for {self.settings.description}"
        if rejected is not None and token.access_token == rejected:
            return (
                f"the SSO portal rejected the cached token for "
                f"{self.settings.description} (the session was revoked or ended)"
            )
        if not self.settings.session_name:
            return (
                f"the SSO token for {self.settings.description} has expired, and "
                "profiles that set sso_start_url directly get tokens that cannot be "
                "refreshed (move sso_start_url and sso_region into an "
                "[sso-session] section with sso_registration_scopes = "
                "sso:account:access)"
            )
        if not isinstance(token.record.get("refreshToken"), str):
            if self.settings.registration_scopes:
                # The scopes are set, so the refresh token was dropped after the
                # service rejected it: the Identity Center session has ended.
                return (
                    f"the SSO token for {self.settings.description} has expired "
                    "and has no refresh token left (the IAM Identity Center "
                    "session ended, so a new login is needed)"
                )
            return (
                f"the SSO token for {self.settings.description} has expired and has "
                "no refresh token (set sso_registration_scopes = sso:account:access "
                "in the sso-session section to get refreshable tokens)"
            )
        return f"the SSO token for {self.settings.description} has expired"

    def _refresh(self, token, lock):
        """Return (access token or None, reason a login is needed)."""
        if token.is_unexpired(timeutil.now()) and not _token_file_writable(token.path):
            # A refresh rotates the refresh token, and one that cannot be saved
            # would end the session once the current access token expires.
            log.warning(
                "Not refreshing the SSO token for %s, because %s cannot be written "
                "and the new refresh token would be lost; using the cached token "
                "until it expires. Fix the permissions of %s.",
                self.settings.description, token.path,
                cachefiles.sso_cache_directory(),
            )
            return token.access_token, ""

        # The service invalidates the old refresh token when it returns a new one,
        # so the response is saved before SIGTERM, SIGINT or SIGHUP end the process.
        with _termination_deferred():
            # Announced before botocore is imported (about 200 ms of CPU), so that
            # parallel runs on the cache-hit path see it and wait there.
            deadline = timeutil.now() + locking.service_call_wait_seconds()
            lock.announce("refresh", deadline)
            # botocore is imported only where a service call follows, so processes
            # that find a token another process refreshed never import it.
            from botocore.exceptions import ClientError

            from . import clients, oidc

            try:
                response = oidc.refresh_access_token(
                    self.oidc_client(), self.settings, token.record
                )
            except oidc.RefreshRejectedError as error:
                return self._refresh_rejected(token, error)
            except (ClientError, NetworkError) + clients.NETWORK_ERRORS as error:
                return self._refresh_failed(token, error)
            cachefiles.pause_point("after-refresh")
            # Read after the call, which has updated the service clock offset.
            now = timeutil.now()
            record = tokencache.build_token_record(
                self.settings, response, tokencache.registration_of(token.record),
                now, token.record,
            )
            try:
                tokencache.save_token(self.settings, record)
            except cachefiles.CacheWriteError as error:
                log.warning(
                    "Refreshed the SSO token for %s but could not cache it: %s. The "
                    "service may have invalidated the old refresh token, so a later "
                    "run may need a new login; free space or fix the permissions of "
                    "%s.",
                    self.settings.description, error, cachefiles.sso_cache_directory(),
                )
        log.info("Refreshed the SSO token for %s", self.settings.description)
        return response["accessToken"], ""

    def _refresh_rejected(self, token, error):
        # The AWS CLI and botocore refresh without this tool's lock. If one of them
        # rotated the refresh token meanwhile, the file contains the new one.
        current = tokencache.load_token(self.settings)
        if _refresh_token_of(current) not in (None, _refresh_token_of(token)):
            log.info("Another program refreshed the SSO token for %s meanwhile",
                     self.settings.description)
            if self._usable(current, None):
                return current.access_token, ""
        else:
            self._forget_refresh_token(current)
        return None, (
            f"the SSO session for {self.settings.description} has ended: the "
            f"refresh token was rejected ({error})"
        )

    def _refresh_failed(self, token, error):
        from botocore.exceptions import ClientError

        from . import clients

        what = f"Refreshing the SSO token for {self.settings.description}"
        if isinstance(error, NetworkError):
            failure = error
        elif isinstance(error, ClientError):
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
        if token is None:
            return
        record = dict(token.record)
        record.pop("refreshToken", None)
        try:
            tokencache.save_token(self.settings, record)
        except cachefiles.CacheWriteError as error:
            log.debug("Could not drop the rejected refresh token: %s", error)

    def _login(self, lock, reason: str):
        if self._policy.allowed and self._policy.in_background:
            from . import background_login

            return background_login.begin(
                self.settings, self._login_required_message(reason)
            )
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
        if self._policy.allowed:
            why = (
                "no terminal, browser or desktop notifier is available for the "
                "login prompt"
            )
        else:
            why = "--no-login was given"
        message = (
            f"Login required: {reason}, and {why}. "
            f"Run: {login_command(self.settings.login_target)}"
        )
        # aws sso login takes --sso-session or --profile, never a bare start URL.
        if self.settings.session_name or self.settings.profile_name:
            message += f" (or: aws sso login {self.settings.login_target})"
        return message


def _token_file_writable(path: str) -> bool:
    """Return whether the token file can be replaced by an atomic write."""
    directory = os.path.dirname(path)
    return os.access(directory, os.W_OK | os.X_OK)


def _refresh_token_of(token):
    return token.record.get("refreshToken") if token is not None else None


@contextlib.contextmanager
def _termination_deferred():
    """Hold SIGTERM, SIGINT and SIGHUP until the block ends, where POSIX allows.

    The block lasts at most one service call with its retries and timeouts. A
    signal that arrives meanwhile takes effect when the block ends.
    """
    import signal

    block = getattr(signal, "pthread_sigmask", None)
    if block is None:
        yield
        return
    held = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    previous = block(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        block(signal.SIG_SETMASK, previous)
