"""Postwarden: a self-hosted sending platform that speaks SES."""
