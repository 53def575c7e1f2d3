"""The words of the council's Deficit Recovery Plan form: its guidance under each heading.

Pure text, no Django: the plan report prints the guidance (in italics in Word), and the Word
import recognises it so that guidance is never taken as part of an answer.
"""

from __future__ import annotations

CONTEXT_GUIDANCE = (
    "Since when has the budget been in deficit (provide the year, e.g. 2020/21)",
    "Provide details of activity levels and the key cost/income drivers and how these have changed "
    "(this is needed for each year including the year prior to when the budget was first in deficit)",
)
ACTIONS_GUIDANCE = (
    "What needs to be done?  If there is more than one option explain each option in detail",
    "Are there any barriers or factors beyond your control that will affect your ability to recover the deficit?",
    "Explain how the cost/income drivers can be managed",
)
MILESTONES_GUIDANCE = (
    "List the key milestones required to deliver the budget recovery, the estimated amount to be delivered "
    "and the estimated date for each",
)
QUARTERLY_GUIDANCE = (
    "Provide quarterly progress updates against milestone delivery to align with the quarterly budget "
    "monitoring reports to executive.  Where milestones have not been met please provide an explanation, "
    "revised milestone dates, and how delivery can be brought back on track",
    "If the recovery plan cannot be delivered, THERE IS NO NEW MONEY AVAILABLE so please provide an "
    "alternative proposal as to how budgets can be realigned so that it can be considered by DMT",
)
ON_TARGET_LABEL = "On Target ? (Yes = GREEN; Partial (e.g. milestones slipped) = AMBER, No = RED)"

ALL_GUIDANCE = CONTEXT_GUIDANCE + ACTIONS_GUIDANCE + MILESTONES_GUIDANCE + QUARTERLY_GUIDANCE
