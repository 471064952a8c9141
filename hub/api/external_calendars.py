"""A meeting room's external busy calendar in the API."""

from __future__ import annotations
