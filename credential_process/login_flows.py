"""Dispatch a login to the device-code or the authorization-code flow."""

from __future__ import annotations

from . import environment


def run_login(method: str, settings, client, prompt, lock=None) -> str:
    """Run the login ``method`` for ``settings``; save and return the access token."""
    if method == environment.AUTHORIZATION_CODE:
        from .authcode_flow import authorization_code_login

        return authorization_code_login(settings, client, prompt, lock)
    from .device_flow import device_login

    return device_login(settings, client, prompt, lock)
