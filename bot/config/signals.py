"""The risk signals, declared once: each one's id, display title and default weight.

Every other list of signals derives from `SIGNALS`: the config's `risk.weights` keys
(bot/config/risk.py) and `when.signals` choices (bot/config/fields.py), the engine's measuring
functions, one registered per id with `@signal` (bot/engine/signals.py, which refuses an id not
declared here and checks at import that each id has one), the order of `risk.signals` in the
output, and the titles the reports print. Config is the ground floor, so the declaration is
plain data the engine reads.

Adding a signal: declare it here, write its function in bot/engine/signals.py, and name it in
the built-in checklists (`when: {signals: [...]}`) that should react to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SignalDeclaration:
    """One risk signal: its stable id (output, config and docs), the title reports show, and
    the points it adds to the 0..100 score at full strength unless `risk.weights` says else."""

    id: str
    title: str
    weight: int


# In output order: `risk.signals` and the risk tables list the signals as they are listed here.
SIGNALS: tuple[SignalDeclaration, ...] = (
    SignalDeclaration("ai_share", "AI share", 10),
    SignalDeclaration("size", "Size", 60),
    SignalDeclaration("complexity", "Complexity", 15),
    SignalDeclaration("critical_paths", "Critical paths", 20),
    SignalDeclaration("missing_tests", "Missing tests", 15),
    SignalDeclaration("dependencies", "Dependencies", 10),
    SignalDeclaration("patterns", "Risky patterns", 25),
)

SIGNAL_IDS: tuple[str, ...] = tuple(declared.id for declared in SIGNALS)
SIGNAL_TITLES: dict[str, str] = {declared.id: declared.title for declared in SIGNALS}
