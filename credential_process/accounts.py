"""The accounts and roles the signed-in user may use (ListAccounts, ListAccountRoles)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from . import clients
from .errors import LoginRequiredError, login_command


def list_roles(portal, settings, access_token: str) -> list:
    """Return [{"accountId", "accountName", "roleName"}] in the portal's order.

    Both operations are paginated; botocore's paginators follow ``nextToken``.
    """
    roles = []
    for account in _paginate(portal, "list_accounts", "accountList", settings,
                             accessToken=access_token):
        for role in _paginate(portal, "list_account_roles", "roleList", settings,
                              accessToken=access_token,
                              accountId=account["accountId"]):
            roles.append({
                "accountId": account["accountId"],
                "accountName": account.get("accountName") or account["accountId"],
                "roleName": role["roleName"],
            })
    return roles


def _paginate(portal, operation: str, key: str, settings, **arguments):
    what = f"{operation} for {settings.description}"
    try:
        for page in portal.get_paginator(operation).paginate(**arguments):
            yield from page.get(key) or []
    except ClientError as error:
        if clients.error_code(error) == "UnauthorizedException":
            raise LoginRequiredError(
                f"The SSO portal rejected the token of {settings.description}. Run: "
                f"{login_command(settings.login_target)}"
            ) from None
        raise clients.translate_client_error(error, what) from None
    except clients.NETWORK_ERRORS as error:
        raise clients.describe_network_error(error, what) from None
