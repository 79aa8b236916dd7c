"""Money is an integer number of XOF (CFA franc has no minor unit in use)."""

from __future__ import annotations


def format_xof(amount: int) -> str:
    """2 500 FCFA, with a narrow no-break space between thousands."""
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0FCFA"
