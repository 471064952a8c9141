"""placeholder"""

from __future__ import annotations

TAG = "usage"
