"""The elderly programme's own guards and hooks, as an app would keep them (test fixture)."""

from __future__ import annotations

from typing import Any

NOTICES: list[tuple[str, Any]] = []


def aged_60_or_over(case: Any, command: Any) -> str | None:
    """The 情暖夕阳 project serves people aged 60 and over."""
    age = case.client.age(command.at)
    if age >= 60:
        return None
    return f"{case.client.pseudonym} is {age}; the project serves people aged 60 and over"


def tell_family(case: Any, event: Any) -> None:
    """Runs whenever a case enters "hospitalised"."""
    NOTICES.append((case.id, event.payload.get("reason")))
