"""Money is integer øre; these turn it into Norwegian kroner text and back."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NOK_RE = re.compile(r"^-?\d+([.,]\d{1,2})?$")


def parse_nok(text: str) -> int:
    """'12 500,50' or '12500.5' -> 1250050 øre. Raises ValueError on anything else."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").removeprefix("kr").strip()
    if cleaned.count(",") + cleaned.count(".") > 1 or not _NOK_RE.match(cleaned):
        raise ValueError(text)
    try:
        kroner = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise ValueError(text) from exc
    return int(kroner * 100)


def format_nok(ore: int | None, *, symbol: bool = True) -> str:
    """1250050 -> 'kr 12 500,50' with a narrow no-break space between thousands."""
    if ore is None:
        return ""
    sign = "-" if ore < 0 else ""
    kroner, rest = divmod(abs(ore), 100)
    grouped = f"{kroner:,}".replace(",", "\u00a0")
    text = f"{sign}{grouped},{rest:02d}"
    return f"kr\u00a0{text}" if symbol else text


def ore_to_decimal(ore: int) -> Decimal:
    """-123450 -> Decimal('-1234.50'): kroner for files machines read (CSV, API)."""
    return (Decimal(ore) / 100).quantize(Decimal("0.01"))


def ore_to_input(ore: int | None) -> str:
    """The value shown in a form field: '12500,50', or '12500' when whole."""
    if ore is None:
        return ""
    kroner, rest = divmod(ore, 100)
    return f"{kroner}" if rest == 0 else f"{kroner},{rest:02d}"
