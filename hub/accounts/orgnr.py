"""Norwegian organisasjonsnummer: nine digits, the last a mod-11 check digit."""

from __future__ import annotations

import re

WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)

# As people write them: '974760673', '974 760 673', 'NO 974 760 673 MVA'.
_WRITTEN = re.compile(r"^(?:NO\s*)?(\d{3})\s?(\d{3})\s?(\d{3})(?:\s*MVA)?$", re.IGNORECASE)


def normalize(value: str) -> str:
    """The nine digits of a written number, or '' if it is not written like one."""
    match = _WRITTEN.match(value.strip())
    return "".join(match.groups()) if match else ""


def check_digit(first_eight: str) -> int | None:
    """The mod-11 check digit, or None where no valid digit exists (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(first_eight, WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def is_valid(value: str) -> bool:
    digits = normalize(value)
    return len(digits) == 9 and check_digit(digits[:8]) == int(digits[8])
