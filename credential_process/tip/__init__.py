"""Identity-enhanced role credentials through trusted identity propagation.

An application that has IAM credentials trades a JWT from a trusted token
issuer (an OIDC provider or a CI system) for an IAM Identity Center token with
CreateTokenWithIAM, reads ``sts:identity_context`` from the returned ID token,
and passes it to STS AssumeRole in ``ProvidedContexts``. The role session then
carries the Identity Center user, which services such as S3 Access Grants
authorize. Modules: ``settings`` (options and profile keys), ``assertions`` (where
the JWT comes from), ``jwt`` (payload decoding), ``source`` (the application's IAM
credentials and the recursion guard), ``cache`` (files under the state
directory), ``tokens`` (CreateTokenWithIAM under a lock), ``roles`` (AssumeRole
under a lock) and ``flow`` (the order of the steps).
"""
