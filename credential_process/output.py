"""The document a ``credential_process`` prints on stdout."""

from __future__ import annotations

from . import lazyjson


def format_credentials(credentials: dict, account_id=None) -> str:
    """Return the one-line JSON document and newline that SDKs parse.

    ``Version`` is the integer 1 (botocore rejects the string "1") and
    ``Expiration`` is UTC with a ``Z`` suffix, which every SDK parses.
    """
    document = {
        "Version": 1,
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "SessionToken": credentials["SessionToken"],
        "Expiration": credentials["Expiration"],
    }
    account = account_id or credentials.get("AccountId")
    if account:
        document["AccountId"] = account
    return lazyjson.dumps_object(document) + "\n"


def write_stdout(text: str) -> None:
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()
