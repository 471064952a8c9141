"""Subscription feeds in the API: renew or revoke the secret URLs."""

from __future__ import annotations
