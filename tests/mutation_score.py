"""Print the mutation score of the last `mutmut run` (make mutation), per module and overall.

Run from the project's root after `mutmut run`: reads mutmut's results in mutants/. With
``--survivors`` it also lists every surviving mutant with the line it changes.

Two scores are printed:
- **all mutants**: killed ÷ every mutant generated (a mutant no selected test runs counts as not killed);
- **figure-changing mutants**: the same, leaving out the surviving mutants whose only change is to
  how a table is laid out (a column's width, wrapping or rich-text flag, a section's key, caption
  or guidance): they cannot change a figure, a percentage, a sign or a headline a committee reads.
  ``LAYOUT_ONLY`` is that rule; a killed mutant always counts.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.configuration import config
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

# An argument that only lays a table out: a column's width, wrapping or rich text, a section's key,
# caption or guidance (not sorted(key=lambda …): that orders rows). A mutant whose lines are the same
# once these are taken out is layout-only.
LAYOUT_ARGUMENT = re.compile(
    r"\b(width|wrap|rich|caption|guidance|key)=(?!lambda)(f?\"[^\"]*\"|\([^()]*\)|[^,()\"])*,?"
)


def changed_lines(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _without_layout(lines: list[str]) -> list[str]:
    return [re.sub(r"[\s,]", "", LAYOUT_ARGUMENT.sub("", line[1:])) for line in lines]


def is_layout_only(diff: str) -> bool:
    lines = changed_lines(diff)
    removed = [line for line in lines if line.startswith("-")]
    added = [line for line in lines if line.startswith("+")]
    return bool(lines) and "".join(_without_layout(removed)) == "".join(_without_layout(added))


def main(argv: list[str]) -> int:
    show_survivors = "--survivors" in argv
    rows = []
    survivors: list[tuple[str, str]] = []
    layout_only = 0
    for path in config().source_paths:
        data = SourceFileMutationData(path=path)
        if not Path(data.meta_path).exists():
            print(f"No results for {path}: run `make mutation` first.")
            return 1
        data.load()
        counts = Counter(status_by_exit_code[code] for code in data.exit_code_by_key.values())
        rows.append((str(path), counts, len(data.exit_code_by_key)))
        for name, code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[code]
            if status in ("killed", "timeout"):
                continue
            diff = get_diff_for_mutant(name, path=path)
            if is_layout_only(diff):
                layout_only += 1
            survivors.append((f"{name} ({status})", "\n".join(changed_lines(diff))))

    header = f"{'module':34} {'killed':>7} {'timeout':>8} {'survived':>9} {'no tests':>9} {'total':>6} {'score':>7}"
    print(header)
    print("-" * len(header))
    everything: Counter[str] = Counter()
    grand_total = 0
    for path, counts, total in rows:
        everything.update(counts)
        grand_total += total
        print(_line(path, counts, total))
    print("-" * len(header))
    print(_line("all", everything, grand_total))
    detected = everything["killed"] + everything["timeout"]
    figure_total = grand_total - layout_only
    print(
        f"\nFigure-changing mutants (all but {layout_only} surviving layout-only ones): "
        f"{detected} of {figure_total} killed, {_percent(detected, figure_total)}"
    )
    if show_survivors:
        print("\nSurviving mutants:")
        for name, lines in survivors:
            print(f"\n{name}\n{lines}")
    return 0


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _line(label: str, counts: Counter[str], total: int) -> str:
    detected = counts["killed"] + counts["timeout"]
    return (
        f"{label:34} {counts['killed']:>7} {counts['timeout']:>8} {counts['survived']:>9} "
        f"{counts['no tests']:>9} {total:>6} {_percent(detected, total):>7}"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
