"""Money is integer cents everywhere; these turn cents into text and back, exactly."""

from __future__ import annotations

from decimal import Decimal


def format_cents(cents: int | None, symbol: str = "$") -> str:
    """126000000 → "$1,260,000.00"; negatives keep the sign in front of the symbol."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{symbol}{whole:,}.{frac:02d}"


def format_signed_cents(cents: int) -> str:
    """Bridge steps: "+$12,000.00" / "-$3,400.00" / "$0.00"."""
    if cents == 0:
        return format_cents(0)
    return ("+" if cents > 0 else "") + format_cents(cents)


def short_money(cents: int) -> str:
    """Headline form: $1.26M, $840k, $512."""
    dollars = Decimal(cents) / 100
    sign = "-" if dollars < 0 else ""
    d = abs(dollars)
    if d >= 1_000_000:
        return f"{sign}${(d / 1_000_000).quantize(Decimal('0.01'))}M"
    if d >= 100_000:
        return f"{sign}${(d / 1_000).quantize(Decimal('1'))}k"
    if d >= 1_000:
        return f"{sign}${(d / 1_000).quantize(Decimal('0.1'))}k"
    return f"{sign}${d.quantize(Decimal('1'))}"


def parse_money(text: str) -> int:
    """ "$1,260,000.00" or "1260000" → cents (exact)."""
    cleaned = text.replace("$", "").replace(",", "").strip()
    return int((Decimal(cleaned) * 100).to_integral_value())
