"""Stage "solve": hand the model to HiGHS and get an answer back, whatever happens.

- :mod:`symbiosis.solve.compile`: the Pyomo model as sparse arrays (standard form) for HiGHS;
- :mod:`symbiosis.solve.highs`: the hand-off, the run loop, limits, deadlines and stops,
  :class:`~symbiosis.solve.highs.Solution`;
- :mod:`symbiosis.solve.child`: HiGHS in a child process that can be killed (large MIPs);
- :mod:`symbiosis.solve.warm_start`: a first solution from the LP relaxation;
- :mod:`symbiosis.solve.shadow`: the targets' duals (the LP with the binaries fixed);
- :mod:`symbiosis.solve.diagnose`: why a target cannot be met (the elastic problem).

Nothing is imported here eagerly: ``python -m symbiosis.solve.child`` starts a HiGHS child
process with numpy and highspy alone. ``from symbiosis.solve import solve_model`` (and the
other names of :mod:`symbiosis.solve.highs`, and ``SolveOptions``/``resolve_options`` of
:mod:`symbiosis.options`) still work, resolved on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_OPTIONS = ("SolveOptions", "resolve_options", "load_profile", "DEFAULT_HIGHS")


def __getattr__(name: str) -> Any:
    if name in _OPTIONS:
        return getattr(import_module("symbiosis.options"), name)
    highs = import_module("symbiosis.solve.highs")
    try:
        return getattr(highs, name)
    except AttributeError:
        raise AttributeError(f"module 'symbiosis.solve' has no attribute {name!r}") from None
