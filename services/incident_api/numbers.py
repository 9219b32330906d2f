"""The largest number a client may send as a log position, a version or a sequence number.

They are PostgreSQL `bigint`s: a larger one can name nothing, and sent to the database it would
overflow. Request schemas bound every such parameter by it, so the answer is a 4xx naming the
parameter rather than a 500.
"""

from __future__ import annotations

from typing import Final

BIGINT_MAX: Final = 2**63 - 1


def numeral_pattern(high: int) -> str:
    """A regex (no anchors) for the decimal numerals from 1 to `high`, without leading zeros;
    for the OpenAPI document's patterns of numbers written in strings."""
    digits = str(high)
    alternatives = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for at, digit in enumerate(digits):
        lowest = 1 if at == 0 else 0
        if int(digit) > lowest:
            below = f"[{lowest}-{int(digit) - 1}]"
            alternatives.append(f"{digits[:at]}{below}[0-9]{{{len(digits) - at - 1}}}")
    alternatives.append(digits)
    return "|".join(alternatives)
