"""Beasley's OR-Library capacitated warehouse location instances as cases.

An external check of the optimiser: each instance maps onto the case format, and the optimum
found must equal the published one. Two sets:

* cap71-cap134 (16-50 warehouses x 50 customers; benchmarks/orlib-cap/README.md, optima in
  its table);
* the large capa, capb, capc (100 warehouses x 1,000 customers; issue 15,
  ``../shared/benchmarks/orlib-large/``, optima in its ``optima.csv``). The original files
  write the word ``capacity`` where each of their four variants gives a number (capa1-4:
  8000, 10000, 12000, 14000 ...): :func:`read_cap` reads the variants' files, or an original
  with the capacity given.

The instance: warehouses :math:`i` with capacity :math:`Q_i` and fixed cost :math:`F_i`;
customers :math:`j` with demand :math:`D_j`; :math:`C_{ij}` the cost of allocating *all* of
customer :math:`j`'s demand to warehouse :math:`i`; demand may be split. The problem

.. math::

    \\min \\sum_i F_i z_i + \\sum_{ij} (C_{ij} / D_j) q_{ij}
    \\quad\\text{s.t.}\\quad \\sum_i q_{ij} = D_j, \\quad \\sum_j q_{ij} \\le Q_i z_i,
    \\quad z_i \\in \\{0, 1\\}, q_{ij} \\ge 0

is the case format's MILP for this case:

* one solid stream ``demand`` (disposal cost and tax 0, counted toward the target);
* each customer a site supplying :math:`D_j` of it (``unused_cost`` 0), and the scenario's
  stream target ``{share: 1}``: everything must be delivered, so :math:`w_j = 0` and the supply
  row (1) becomes :math:`\\sum_i q_{ij} = D_j`;
* each warehouse a site with one candidate facility: capacity :math:`Q_i`, capex 0,
  fixed_opex :math:`F_i`, lifetime 1 (annual cost :math:`0 \\cdot AF + F_i = F_i`), taking
  ``demand`` with max_share 1, var_cost and value 0;
* one mode ``allocation`` (cost_per_unit 0, cost_per_unit_km 1, no link cost, no loss, no
  limit on km) and ``distances.csv`` giving km = :math:`C_{ij} / D_j` for every pair, so the
  unit cost of arc :math:`(j, i)` is :math:`C_{ij} / D_j` and there is no link binary.

A warehouse with fixed cost 0 (cap71's 11th, for instance) stays a candidate: building it costs
nothing, so it is built whenever it is used, exactly as an always-open warehouse would be; the
optimum is the same either way, and the mapping stays uniform.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from symbiosis.case import InputError, Problem, table_columns
from symbiosis.i18n import _

STREAM = "demand"
MODE = "allocation"


@dataclass(frozen=True)
class CapInstance:
    """One capacitated warehouse location instance (module docstring).

    Attributes
    ----------
    name : str
        The instance (``cap71``, ...: the file's stem).
    capacity : numpy.ndarray
        :math:`Q_i` per warehouse, shape (m,).
    fixed_cost : numpy.ndarray
        :math:`F_i` per warehouse, shape (m,).
    demand : numpy.ndarray
        :math:`D_j` per customer, shape (n,).
    cost : numpy.ndarray
        ``cost[j, i]`` = :math:`C_{ij}`, the cost of allocating all of customer ``j``'s
        demand to warehouse ``i``, shape (n, m).
    """

    name: str
    capacity: np.ndarray  # (m,)
    fixed_cost: np.ndarray  # (m,)
    demand: np.ndarray  # (n,)
    cost: np.ndarray  # (n, m)

    @property
    def n_warehouses(self) -> int:
        return len(self.capacity)

    @property
    def n_customers(self) -> int:
        return len(self.demand)


def read_cap(path: str | Path, capacity: float | None = None) -> CapInstance:
    """Read an OR-Library ``cap*.txt`` file.

    Format: ``m n``; ``m`` lines ``capacity fixed_cost``; then for each of the ``n`` customers
    its demand followed by ``m`` allocation costs (line breaks anywhere). The original capa,
    capb and capc files write the word ``capacity`` instead of each warehouse's capacity: it
    stands for ``capacity``, the number of the variant (capa1 is capa with 8000).

    Parameters
    ----------
    path : str or Path
        The file.
    capacity : float or None
        The number the word ``capacity`` stands for; needed when the file has the word.

    Returns
    -------
    CapInstance
        The instance, named after the file's stem.

    Raises
    ------
    InputError
        The file cannot be read, or does not hold :math:`2 + 2m + n(1 + m)` numbers.
    """
    path = Path(path)
    numbers = _read_numbers(path, capacity)
    if len(numbers) < 2:
        raise InputError([Problem(path.name, _("expected 'm n' on the first line"), row=1)])
    m, n = int(numbers[0]), int(numbers[1])
    expected = 2 + 2 * m + n * (1 + m)
    if m < 1 or n < 1 or len(numbers) != expected:
        message = _(
            "{count} numbers; an instance with m={m} warehouses and n={n} customers has "
            "2 + 2m + n(1 + m) = {expected}"
        ).format(count=len(numbers), m=m, n=n, expected=expected)
        raise InputError([Problem(path.name, message)])
    warehouses = numbers[2 : 2 + 2 * m].reshape(m, 2)
    customers = numbers[2 + 2 * m :].reshape(n, 1 + m)
    return CapInstance(
        name=path.stem,
        capacity=warehouses[:, 0].copy(),
        fixed_cost=warehouses[:, 1].copy(),
        demand=customers[:, 0].copy(),
        cost=customers[:, 1:].copy(),
    )


def _read_numbers(path: Path, capacity: float | None) -> np.ndarray:
    """The numbers of an OR-Library file in order, the word ``capacity`` as ``capacity``;
    an :class:`InputError` naming the line and the value that is not a number."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        message = _("cannot read an OR-Library file: {error}").format(error=exc)
        raise InputError([Problem(path.name, message)]) from None
    numbers: list[float] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        for position, token in enumerate(line.split(), start=1):
            if token == "capacity" and capacity is not None:
                numbers.append(float(capacity))
                continue
            try:
                numbers.append(float(token))
            except ValueError:
                if token == "capacity":
                    message = _(
                        "the file writes the word 'capacity' for the warehouses' capacity: "
                        "give the number it stands for (capacity=8000 for capa1, ...; "
                        "see optima.csv)"
                    )
                else:
                    message = _("value {position} on the line is not a number").format(
                        position=position
                    )
                problem = Problem(path.name, message, row=line_no, value=token)
                raise InputError([problem]) from None
    return np.array(numbers)


def published_optima(readme: str | Path) -> dict[str, float]:
    """The table ``| instance | optimum |`` of benchmarks/orlib-cap/README.md.

    Parameters
    ----------
    readme : str or Path
        The README holding the table.

    Returns
    -------
    dict[str, float]
        Instance name (``cap71``, ...) -> published optimum.
    """
    optima = {}
    for line in Path(readme).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*(cap\d+)\s*\|\s*([0-9.]+)\s*\|", line)
        if match:
            optima[match.group(1)] = float(match.group(2))
    return optima


@dataclass(frozen=True)
class LargeEntry:
    """One row of the large instances' ``optima.csv`` (capa1 ... capc4).

    Attributes
    ----------
    name : str
        The instance (``capa1``).
    file : Path
        Its file, with the capacity written as a number.
    original : Path
        The original OR-Library file, with the word ``capacity``.
    capacity : float
        The number the word ``capacity`` stands for in this variant.
    optimum : float
        The published multi-source optimum (OR-Library ``capopt``).
    """

    name: str
    file: Path
    original: Path
    capacity: float
    optimum: float


def large_instances(folder: str | Path) -> dict[str, LargeEntry]:
    """The large instances of ``folder/optima.csv`` (columns ``instance``, ``file``,
    ``original_file``, ``capacity``, ``ms_opt_capopt``).

    Parameters
    ----------
    folder : str or Path
        The folder of the files and ``optima.csv`` (``../shared/benchmarks/orlib-large``).

    Returns
    -------
    dict[str, LargeEntry]
        Instance name -> its files, capacity and published optimum, in the file's order.

    Raises
    ------
    InputError
        ``optima.csv`` is missing, lacks a column, or has a value that is not a number.
    """
    folder = Path(folder)
    path = folder / "optima.csv"
    needed = ["instance", "file", "original_file", "capacity", "ms_opt_capopt"]
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = list(rows[0]) if rows else []
    except OSError as exc:
        problem = Problem(str(path), _("cannot read: {error}").format(error=exc))
        raise InputError([problem]) from None
    missing = [c for c in needed if c not in header]
    if missing:
        message = _("missing columns: {columns}").format(columns=", ".join(missing))
        raise InputError([Problem(str(path), message)])
    out = {}
    for row_no, row in enumerate(rows, start=2):
        numbers = {}
        for column in ("capacity", "ms_opt_capopt"):
            try:
                numbers[column] = float(row[column])
            except ValueError:
                problem = Problem(
                    str(path), _("not a number"), row=row_no, column=column, value=row[column]
                )
                raise InputError([problem]) from None
        out[row["instance"]] = LargeEntry(
            name=row["instance"],
            file=folder / row["file"],
            original=folder / row["original_file"],
            capacity=numbers["capacity"],
            optimum=numbers["ms_opt_capopt"],
        )
    return out


def case_tables(instance: CapInstance) -> dict[str, pd.DataFrame]:
    """The case tables of an instance (see the module docstring for the mapping).

    Parameters
    ----------
    instance : CapInstance
        The instance.

    Returns
    -------
    dict[str, pandas.DataFrame]
        ``streams``, ``sites``, ``supply``, ``facilities``, ``facility_inputs``, ``modes``
        and ``distances`` (km = :math:`C_{ij} / D_j` for every pair).

    Raises
    ------
    InputError
        A demand is not positive.
    """
    if (instance.demand <= 0).any():
        raise InputError([Problem(instance.name, _("every demand must be > 0"))])
    m, n = instance.n_warehouses, instance.n_customers
    wh = [f"w{i + 1}" for i in range(m)]
    cu = [f"c{j + 1}" for j in range(n)]
    # Places on a line, only so that the sites have coordinates; distances.csv gives every km.
    sites = pd.DataFrame(
        {
            "site": wh + cu,
            "name": [f"Warehouse {i + 1}" for i in range(m)]
            + [f"Customer {j + 1}" for j in range(n)],
            "park": "",
            "prefecture": "",
            "lon": [round(0.01 * i, 4) for i in range(m)] + [round(0.01 * j, 4) for j in range(n)],
            "lat": [0.0] * m + [1.0] * n,
            "rail": 0,
        }
    )
    km = instance.cost / instance.demand[:, None]
    return {
        "streams": pd.DataFrame(
            [[STREAM, "Customer demand", "solid", "t", 0.0, 0.0, 1]],
            columns=["stream", "name", "kind", "unit", "disposal_cost", "env_tax", "target"],
        ),
        "sites": sites,
        "supply": pd.DataFrame(
            {"site": cu, "stream": STREAM, "amount": instance.demand, "unused_cost": 0.0}
        ),
        "facilities": pd.DataFrame(
            {
                "facility": wh,
                "name": [f"Warehouse {i + 1}" for i in range(m)],
                "tech": "warehouse",
                "site": wh,
                "status": "candidate",
                "capacity": instance.capacity,
                "capex": 0.0,
                "fixed_opex": instance.fixed_cost,
                "lifetime": 1,
                "group": "",
            }
        ),
        "facility_inputs": pd.DataFrame(
            {
                "facility": wh,
                "stream": STREAM,
                "max_share": 1.0,
                "var_cost": 0.0,
                "value": 0.0,
                "co2": 0.0,
            }
        ),
        "modes": pd.DataFrame(
            [[MODE, "solid", 0.0, 1.0, 0.0, 0.0, 1e12, 1.0, 0.0, 0.0, 0]],
            columns=table_columns("modes"),
        ),
        "distances": pd.DataFrame(
            {
                "from_site": np.repeat(cu, m),
                "to_site": np.tile(wh, n),
                "mode": MODE,
                "km": km.ravel(),
            }
        ),
    }


def write_case(instance: CapInstance, out_dir: str | Path) -> Path:
    """Write ``out_dir/case/`` and ``out_dir/scenario.yaml`` (target: all demand delivered,
    discount rate 0, gap 1e-9). Floats are written with full precision (``repr``).

    Parameters
    ----------
    instance : CapInstance
        The instance.
    out_dir : str or Path
        The folder (created if needed; files in it are written over).

    Returns
    -------
    Path
        The scenario's path.
    """
    out = Path(out_dir)
    case_dir = out / "case"
    case_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in case_tables(instance).items():
        frame.to_csv(case_dir / f"{name}.csv", index=False, lineterminator="\n", float_format=None)
    scenario = {
        "name": instance.name,
        "case": "case",
        "discount_rate": 0.0,
        "target": {"streams": {STREAM: {"share": 1.0}}},
        "solver": {"mip_rel_gap": 1e-9},
    }
    path = out / "scenario.yaml"
    path.write_text(
        f"# OR-Library {instance.name} (capacitated warehouse location) as a case; see "
        "symbiosis/orlib.py\n" + yaml.safe_dump(scenario, sort_keys=False),
        encoding="utf-8",
    )
    return path


__all__ = [
    "CapInstance",
    "LargeEntry",
    "case_tables",
    "large_instances",
    "published_optima",
    "read_cap",
    "write_case",
]
