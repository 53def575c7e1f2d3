"""BRAG status: BLUE (delivered), GREEN, AMBER, RED. Pure Python, no Django.

The order of severity is BLUE < GREEN < AMBER < RED: a move towards RED worsens, a move
towards BLUE improves. The word always goes with the colour wherever a status is shown.
"""

from __future__ import annotations

import enum


class RAG(enum.StrEnum):
    BLUE = "BLUE"
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"

    @property
    def label(self) -> str:
        return {"BLUE": "Blue – delivered", "GREEN": "Green", "AMBER": "Amber", "RED": "Red"}[self.value]

    @property
    def word(self) -> str:
        """The word printed in a badge or a report cell: RED, AMBER, GREEN, BLUE."""
        return self.value

    @property
    def severity(self) -> int:
        return {"BLUE": 0, "GREEN": 1, "AMBER": 2, "RED": 3}[self.value]

    @classmethod
    def parse(cls, text: str) -> RAG:
        """Read ``RED``/``Red``/``R`` … ``BLUE``/``B``; raise ValueError otherwise."""
        cleaned = text.strip().upper()
        for rag in cls:
            if cleaned in {rag.value, rag.value[0]}:
                return rag
        raise ValueError(f"{text!r} is not a RAG status: use RED, AMBER, GREEN or BLUE (or R, A, G, B).")

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(rag.value, rag.label) for rag in cls]


# Order in which schemes are grouped in reports (seed 004: RED, AMBER, GREEN, then BLUE).
REPORT_ORDER: tuple[RAG, ...] = (RAG.RED, RAG.AMBER, RAG.GREEN, RAG.BLUE)


class Movement(enum.StrEnum):
    IMPROVED = "improved"
    WORSENED = "worsened"
    UNCHANGED = "unchanged"
    NEW = "new"

    @property
    def arrow(self) -> str:
        return {"improved": "↑", "worsened": "↓", "unchanged": "→", "new": ""}[self.value]


def movement(previous: RAG | None, current: RAG | None) -> Movement:
    """How a status moved from one quarter to the next (↑ improved, ↓ worsened)."""
    if previous is None or current is None:
        return Movement.NEW
    if current.severity < previous.severity:
        return Movement.IMPROVED
    if current.severity > previous.severity:
        return Movement.WORSENED
    return Movement.UNCHANGED


def change_needs_reason(previous: RAG | None, current: RAG | None) -> bool:
    """A change of status needs a written reason when it worsens or skips a level.

    GREEN → AMBER worsens; RED → GREEN skips AMBER. With no previous status (the first rating
    of a scheme) nothing is being changed, so no reason is required.
    """
    if previous is None or current is None or previous == current:
        return False
    return current.severity > previous.severity or abs(current.severity - previous.severity) > 1


def missing_reason(previous: RAG | None, current: RAG | None, reason: str) -> str | None:
    """What to tell the user when a change of status needs a reason and none is given (None
    when it is fine). The one rule every way of setting a RAG applies: the grid, finance's
    review of a plan's update and the tracker import."""
    if change_needs_reason(previous, current) and not reason.strip():
        return f"Moving from {previous} to {current} worsens the status or skips a level: give the reason."
    return None


class OnTarget(enum.StrEnum):
    """The plan form's "On target?" answer and the status it implies."""

    YES = "yes"
    PARTIAL = "partial"
    NO = "no"

    @property
    def rag(self) -> RAG:
        return {"yes": RAG.GREEN, "partial": RAG.AMBER, "no": RAG.RED}[self.value]

    @property
    def label(self) -> str:
        return {
            "yes": "Yes = GREEN",
            "partial": "Partial (e.g. milestones slipped) = AMBER",
            "no": "No = RED",
        }[self.value]

    @classmethod
    def parse(cls, text: str) -> OnTarget:
        """Read the answer as managers write it: Yes/Partial/No or the colour it implies."""
        cleaned = text.strip().lower()
        aliases = {"yes": cls.YES, "green": cls.YES, "partial": cls.PARTIAL, "amber": cls.PARTIAL}
        aliases |= {"no": cls.NO, "red": cls.NO}
        if cleaned not in aliases:
            raise ValueError(f"{text!r} is not an answer to 'On target?': use Yes, Partial or No.")
        return aliases[cleaned]
