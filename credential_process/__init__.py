"""AWS credential_process plugin for IAM Identity Center (AWS SSO)."""

__version__ = "0.1.0"
