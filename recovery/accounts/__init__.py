"""Signing in: local passwords, and single sign-on with the council's identity provider (OpenID
Connect, through mozilla-django-oidc), with an audit of every sign-in, refusal and role change."""
