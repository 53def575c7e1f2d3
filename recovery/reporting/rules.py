"""Who may read the executive summaries (Appendix 1 and the Transformation Plan update): finance
officers, executives and administrators. A plan's own report follows the plan's view rule."""

import rules

from plans.rules import is_administrator, is_executive, is_finance_officer

rules.add_perm("reporting.view_summaries", is_finance_officer | is_executive | is_administrator)
