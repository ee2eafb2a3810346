"""The stages of the package, in order: the one place the house's plan is written.

A module belongs to the first stage that lists it or a package above it, and may import only
modules of its own stage or of earlier ones; no import cycle anywhere
(``tests/test_architecture.py`` checks both). docs/architecture.md tells what each stage
owns and the data that flows between them.
"""

from __future__ import annotations

#: (stage, the modules and packages in it), from first to last
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "symbiosis",
            "symbiosis.stages",
            "symbiosis.errors",
            "symbiosis.files",
            "symbiosis.i18n",
            "symbiosis.interrupt",
            "symbiosis.units",
        ),
    ),
    ("case", ("symbiosis.case",)),
    ("scenario", ("symbiosis.scenario", "symbiosis.overrides", "symbiosis.options")),
    ("network", ("symbiosis.network", "symbiosis.graph")),
    ("sources", ("symbiosis.generate", "symbiosis.orlib")),
    ("milp", ("symbiosis.milp",)),
    ("solve", ("symbiosis.solve",)),
    ("results", ("symbiosis.results",)),
    ("run", ("symbiosis.runner",)),
    ("batch", ("symbiosis.batch",)),
    ("report", ("symbiosis.report", "symbiosis.compare", "symbiosis.maps")),
    ("studies", ("symbiosis.curve", "symbiosis.pareto", "symbiosis.sweep")),
    ("display", ("symbiosis.display",)),
    ("app", ("symbiosis.cli", "symbiosis.web")),
)


def stage_of(module: str) -> int:
    """The position in :data:`STAGES` of the stage a module belongs to.

    The longest name in :data:`STAGES` that is ``module`` itself or a package above it
    decides (``symbiosis.solve.highs`` -> ``symbiosis.solve`` -> stage "solve"); the entry
    ``symbiosis`` stands for the package's ``__init__`` only, not for every module in it.

    Parameters
    ----------
    module : str
        A dotted module name in the package, e.g. ``symbiosis.case.tables``.

    Returns
    -------
    int
        The stage's index in :data:`STAGES`, 0 for the first ("base"); a module may import
        only modules whose index is not greater.

    Raises
    ------
    KeyError
        A module no stage lists (add it to :data:`STAGES`).
    """
    best: tuple[int, int] | None = None  # (length of the matching name, stage)
    for position, (_, members) in enumerate(STAGES):
        for member in members:
            if module == member or module.startswith(member + "."):
                if member == "symbiosis" and module != "symbiosis":
                    continue
                if best is None or len(member) > best[0]:
                    best = (len(member), position)
    if best is None:
        raise KeyError(f"{module}: no stage in symbiosis.stages.STAGES lists it")
    return best[1]


__all__ = ["STAGES", "stage_of"]
