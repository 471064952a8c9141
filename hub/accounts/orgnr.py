"""Norwegian organisasjonsnummer: nine digits, the last a mod-11 check digit."""

from __future__ import annotations

WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def normalize(value: str) -> str:
    """People type '974 760 673' or '974760673 MVA'; keep the digits."""
    return "".join(ch for ch in value if ch.isdigit())


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
    if len(digits) != 9 or len(value.strip().removesuffix("MVA").replace(" ", "")) != 9:
        return False
    return check_digit(digits[:8]) == int(digits[8])
