"""Independent check of the hand-solved Model v2 toy cases (``*/EXPECTED.md`` beside this file).

A small formulation of the v2 model of CASE_FORMAT.md ("The MILP" and "v2 extensions"), written
from the text alone: it reads the CSV tables with pandas and the scenario YAML with PyYAML,
builds dense matrices and solves them with ``scipy.optimize.milp`` (HiGHS). It imports nothing
from ``symbiosis``. For every scenario YAML under this folder it

1. solves the model (perfect foresight, or year by year when ``foresight: myopic``);
2. for perfect foresight, enumerates every build plan (each candidate unbuilt or built in one
   of its years), solves the rest as an LP, and reports the best and the runner-up plan, so
   that the optimum's build decisions are shown to be unique;
3. compares the objective and the builds with the summary table of the folder's EXPECTED.md
   (rows ``| `file.yaml` | builds | **objective** | ...``), to 1e-6 relative.

It also checks the chain rule on every case folder: a cycle of streams through facilities
whose product of yields is >= 1 must be rejected (``chains/bad_cycle``), others accepted.

Run: ``.venv/bin/python tests/cases/check_v2_independent.py [-v]`` (``-v`` prints the
flows of every year). Exit status 0 when everything agrees, 1 otherwise. Scenario folders
whose EXPECTED.md has no such summary row are skipped.

Conventions this formulation takes where the text leaves a choice (the EXPECTED.md files
state them too): an existing facility pays fixed_opex only in its active years; a limit
given as a mapping caps the builds *made in* each named year; a group allows one build
option over the whole horizon; a stock row's per-year unused amount still pays its
unused_cost (0 in these cases); a produced row's big-M is yield x capacity; myopic solves
year t with earlier build options fixed, only year-t options open, the stock reduced by
earlier draws, and reports the sum of the years' discounted costs.

Model (r the discount rate, y0 the first year, D_t = (1 + r)^-(t - y0), 1 without years):

- a candidate f has build options y (each year of the horizon not before ``available_from``;
  one option without years), binaries b_fy, sum_y b_fy <= 1; it is active in t when built in
  some y <= t < y + lifetime; each option costs sum over its active years t of
  D_t (capex AF(r, lifetime) + fixed_opex);
- an existing facility is active in t < retire_year (every year when empty) and pays
  D_t fixed_opex in those years (a constant);
- supply of a supply.csv row in t: supply_years.csv's amount where given, else
  amount (1 + growth)^(t - y0) (amount without years); a facility_outputs row (f, s', yield)
  is a supply row at f's site with supply yield x (sum over s of d_fs in t), unused at the
  stream's disposal_cost + env_tax;
- per year the v1 families 1-8; targets and limits: a number applies to every year (targets)
  or to the whole horizon (limits), a mapping {year: value} only to the years it names;
- stock: sum over the years of what is shipped out of the row <= stock.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import yaml
from scipy.optimize import Bounds, LinearConstraint, milp

HERE = Path(__file__).resolve().parent
EARTH_KM = 6371.0088
TOL = 1e-6


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def _read(folder: Path, name: str, required: bool = True) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    if not path.exists():
        if required:
            raise FileNotFoundError(path)
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _num(value: Any) -> float:
    """A cell as a float; empty -> NaN."""
    text = str(value).strip()
    return float(text) if text else math.nan


@dataclass
class Case:
    """The tables of one case folder."""

    streams: pd.DataFrame
    sites: pd.DataFrame
    supply: pd.DataFrame
    facilities: pd.DataFrame
    inputs: pd.DataFrame
    modes: pd.DataFrame
    distances: pd.DataFrame
    supply_years: pd.DataFrame
    outputs: pd.DataFrame


def read_case(folder: Path) -> Case:
    """Read a case folder (optional tables empty when absent)."""
    return Case(
        streams=_read(folder, "streams"),
        sites=_read(folder, "sites"),
        supply=_read(folder, "supply"),
        facilities=_read(folder, "facilities"),
        inputs=_read(folder, "facility_inputs"),
        modes=_read(folder, "modes"),
        distances=_read(folder, "distances", required=False),
        supply_years=_read(folder, "supply_years", required=False),
        outputs=_read(folder, "facility_outputs", required=False),
    )


def chain_cycles(case: Case) -> list[tuple[list[str], float]]:
    """Every cycle of the stream graph (s -> s' per facility taking s and making s') with its
    largest product of yields (parallel facilities: the largest yield per edge)."""
    graph = nx.DiGraph()
    for _, out in case.outputs.iterrows():
        f, s_out, yld = out["facility"], out["stream"], _num(out["yield"])
        for s_in in case.inputs.loc[case.inputs["facility"] == f, "stream"]:
            old = (graph.get_edge_data(s_in, s_out) or {}).get("yield", 0.0)
            graph.add_edge(s_in, s_out, facility=f)
            graph[s_in][s_out]["yield"] = max(old, yld)
    found = []
    for cycle in nx.simple_cycles(graph):
        product = 1.0
        for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            product *= graph[a][b]["yield"]
        found.append((cycle, product))
    return found


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------
def annuity(rate: float, life: float) -> float:
    """AF(r, n) = r / (1 - (1 + r)^-n), 1/n at r = 0."""
    return 1.0 / life if rate == 0 else rate / (1.0 - (1.0 + rate) ** -life)


def for_year(value: Any, year: int | None) -> float | None:
    """A number applies to every year; a mapping only to the years it names."""
    if value is None:
        return None
    if isinstance(value, dict):
        if year is None:
            raise ValueError("a mapping needs years")
        got = value.get(year)
        return None if got is None else float(got)
    return float(value)


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


@dataclass
class Row:
    """A supply row: of supply.csv (facility None) or made by a facility (facility_outputs)."""

    site: str
    stream: str
    unused: float
    facility: str | None = None
    yield_: float = 0.0
    amount: float = 0.0
    growth: float = 0.0
    stock: float = math.nan
    label: str = ""


@dataclass
class Arc:
    row: int
    facility: str
    stream: str
    mode: str
    km: float
    unit_cost: float
    link_cost: float
    eff: float


@dataclass
class Builder:
    """Variables (bounds, integrality, cost) and sparse rows, made dense at the end."""

    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    names: list[Any] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def var(
        self,
        name: Any,
        lb: float = 0.0,
        ub: float = math.inf,
        integer: bool = False,
        cost: float = 0.0,
    ) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(int(integer))
        self.cost.append(cost)
        self.names.append(name)
        return len(self.lb) - 1

    def row(self, coefs: dict[int, float], lo: float, hi: float) -> None:
        self.rows.append((dict(coefs), lo, hi))


def _add(target: dict[int, float], coefs: dict[int, float], scale: float = 1.0) -> None:
    for k, v in coefs.items():
        target[k] = target.get(k, 0.0) + scale * v


@dataclass
class Model:
    """The data of a case and scenario for the years being solved."""

    case: Case
    scenario: dict[str, Any]

    def __post_init__(self) -> None:
        c, sc = self.case, self.scenario
        self.rate = float(sc.get("discount_rate", 0.06))
        self.horizon: list[int] | None = sc.get("years")
        self.y0 = self.horizon[0] if self.horizon else None
        streams = c.streams.set_index("stream")
        self.kind = streams["kind"].to_dict()
        self.target_stream = {s: int(v) == 1 for s, v in streams["target"].items()}
        self.stream_unused = {
            s: _num(r["disposal_cost"]) + _num(r["env_tax"]) for s, r in streams.iterrows()
        }
        sites = c.sites.set_index("site")
        self.site_xy = {s: (_num(r["lon"]), _num(r["lat"])) for s, r in sites.iterrows()}
        self.site_rail = {s: int(r["rail"]) == 1 for s, r in sites.iterrows()}
        fac = c.facilities.set_index("facility")
        self.fac = {f: r.to_dict() for f, r in fac.iterrows()}
        self.inputs = {(r["facility"], r["stream"]): r.to_dict() for _, r in c.inputs.iterrows()}
        # Supply rows: supply.csv's, then one per facility_outputs row.
        self.rows: list[Row] = []
        for _, r in c.supply.iterrows():
            own = _num(r.get("unused_cost", ""))
            self.rows.append(
                Row(
                    site=r["site"],
                    stream=r["stream"],
                    unused=self.stream_unused[r["stream"]] if math.isnan(own) else own,
                    amount=_num(r["amount"]),
                    growth=0.0 if math.isnan(_num(r.get("growth", ""))) else _num(r["growth"]),
                    stock=_num(r.get("stock", "")),
                    label=f"{r['site']}/{r['stream']}",
                )
            )
        for _, r in c.outputs.iterrows():
            f = r["facility"]
            self.rows.append(
                Row(
                    site=self.fac[f]["site"],
                    stream=r["stream"],
                    unused=self.stream_unused[r["stream"]],
                    facility=f,
                    yield_=_num(r["yield"]),
                    label=f"{f}->{r['stream']}",
                )
            )
        self.overrides = {
            (r["site"], r["stream"], int(r["year"])): _num(r["amount"])
            for _, r in c.supply_years.iterrows()
        }
        self.arcs = self._arcs()

    # -- data ------------------------------------------------------------------------------
    def _arcs(self) -> list[Arc]:
        dist = {}
        for _, d in self.case.distances.iterrows():
            dist[(d["from_site"], d["to_site"], d["mode"])] = d
        arcs = []
        for i, row in enumerate(self.rows):
            for f, s in self.inputs:
                if s != row.stream:
                    continue
                fsite = self.fac[f]["site"]
                if fsite == row.site:
                    arcs.append(Arc(i, f, s, "onsite", 0.0, 0.0, 0.0, 1.0))
                    continue
                for _, m in self.case.modes.iterrows():
                    if m["kind"] != self.kind[s]:
                        continue
                    if int(m["rail"]) == 1 and not (
                        self.site_rail[row.site] and self.site_rail[fsite]
                    ):
                        continue
                    over = dist.get((row.site, fsite, m["mode"]))
                    if over is not None:
                        km = _num(over["km"])
                    else:
                        km = haversine(*self.site_xy[row.site], *self.site_xy[fsite]) * _num(
                            m["circuity"]
                        )
                    loss = _num(m["loss_per_km"])
                    if km > _num(m["max_km"]) or loss * km >= 1:
                        continue
                    unit = _num(m["cost_per_unit"]) + _num(m["cost_per_unit_km"]) * km
                    link = _num(m["link_cost"]) + _num(m["link_cost_per_km"]) * km
                    if over is not None:
                        if not math.isnan(_num(over.get("cost_per_unit", ""))):
                            unit = _num(over["cost_per_unit"])
                        if not math.isnan(_num(over.get("link_cost", ""))):
                            link = _num(over["link_cost"])
                    arcs.append(Arc(i, f, s, m["mode"], km, unit, link, 1.0 - loss * km))
        return arcs

    def disc(self, t: int | None) -> float:
        return 1.0 if t is None else (1.0 + self.rate) ** -(t - self.y0)

    def amount(self, i: int, t: int | None) -> float:
        row = self.rows[i]
        if t is None:
            return row.amount
        key = (row.site, row.stream, t)
        if key in self.overrides:
            return self.overrides[key]
        return row.amount * (1.0 + row.growth) ** (t - self.y0)

    def options(self, f: str) -> list[int | None]:
        """Build years of a candidate (None: the single-period build)."""
        if self.horizon is None:
            return [None]
        start = _num(self.fac[f].get("available_from", ""))
        return [y for y in self.horizon if math.isnan(start) or y >= start]

    def active(self, f: str, y: int | None, t: int | None) -> bool:
        """Whether option y of candidate f is active in t."""
        if t is None:
            return True
        return y <= t < y + _num(self.fac[f]["lifetime"])

    def existing_active(self, f: str, t: int | None) -> bool:
        retire = _num(self.fac[f].get("retire_year", ""))
        return t is None or math.isnan(retire) or t < retire

    # -- the MILP --------------------------------------------------------------------------
    def solve(
        self,
        years: list[int | None],
        fixed: dict[tuple[str, Any], float] | None = None,
        stock_used: dict[int, float] | None = None,
        open_years: set[Any] | None = None,
    ) -> dict[str, Any] | None:
        """Solve over ``years``. ``fixed``: build options fixed to 0/1 (myopic: earlier years;
        the plan enumeration: all). ``open_years``: the build years allowed for the options
        not fixed (all of ``years`` when None). ``stock_used``: drawn before ``years``."""
        fixed = fixed or {}
        stock_used = stock_used or {}
        sc = self.scenario
        target = sc.get("target") or {}
        limits = sc.get("limits") or {}
        bld = Builder()
        const = 0.0
        cand = [f for f, r in self.fac.items() if r["status"] == "candidate"]
        # build options
        b: dict[tuple[str, Any], int] = {}
        for f in cand:
            annual = _num(self.fac[f]["capex"]) * annuity(
                self.rate, _num(self.fac[f]["lifetime"])
            ) + _num(self.fac[f]["fixed_opex"])
            for y in self.options(f):
                key = (f, y)
                allowed = open_years is None or y in open_years
                if key not in fixed and not allowed:
                    continue
                cost = sum(self.disc(t) * annual for t in years if self.active(f, y, t))
                val = fixed.get(key)
                b[key] = bld.var(
                    ("b", f, y),
                    0.0 if val is None else val,
                    1.0 if val is None else val,
                    True,
                    cost,
                )
        for f in self.fac:
            if self.fac[f]["status"] == "existing":
                const += sum(
                    self.disc(t) * _num(self.fac[f]["fixed_opex"])
                    for t in years
                    if self.existing_active(f, t)
                )
        # flows per year
        x: dict[tuple[int, Any], int] = {}
        w: dict[tuple[int, Any], int] = {}
        for t in years:
            dt = self.disc(t)
            deliv: dict[tuple[str, str], dict[int, float]] = {}
            out_of: dict[int, dict[int, float]] = {i: {} for i in range(len(self.rows))}
            for a, arc in enumerate(self.arcs):
                inp = self.inputs[(arc.facility, arc.stream)]
                net = _num(inp["var_cost"]) - _num(inp["value"])
                x[a, t] = bld.var(("x", a, t), cost=dt * (arc.unit_cost + net * arc.eff))
                _add(deliv.setdefault((arc.facility, arc.stream), {}), {x[a, t]: arc.eff})
                out_of[arc.row][x[a, t]] = 1.0
            for i, row in enumerate(self.rows):
                w[i, t] = bld.var(("w", i, t), cost=dt * row.unused)
            # activity of each facility in t as {var: coef} plus a constant
            act: dict[str, tuple[dict[int, float], float]] = {}
            for f, r in self.fac.items():
                if r["status"] == "existing":
                    act[f] = ({}, 1.0 if self.existing_active(f, t) else 0.0)
                else:
                    act[f] = ({b[k]: 1.0 for k in b if k[0] == f and self.active(f, k[1], t)}, 0.0)
            # 1. supply
            for i, row in enumerate(self.rows):
                coefs = dict(out_of[i])
                coefs[w[i, t]] = 1.0
                if row.facility is None:
                    amt = self.amount(i, t)
                    bld.row(coefs, amt, amt)
                else:
                    for (f, _s), d in deliv.items():
                        if f == row.facility:
                            _add(coefs, d, -row.yield_)
                    bld.row(coefs, 0.0, 0.0)
            # 2, 3. input share and capacity
            for f, r in self.fac.items():
                cap = _num(r["capacity"])
                avar, aconst = act[f]
                total: dict[int, float] = {}
                for (g, s), d in deliv.items():
                    if g != f:
                        continue
                    share = _num(self.inputs[(f, s)]["max_share"])
                    share = 1.0 if math.isnan(share) else share
                    coefs = dict(d)
                    _add(coefs, avar, -share * cap)
                    bld.row(coefs, -math.inf, share * cap * aconst)
                    _add(total, d)
                _add(total, avar, -cap)
                bld.row(total, -math.inf, cap * aconst)
            # 4. links
            for a, arc in enumerate(self.arcs):
                if arc.link_cost <= 0:
                    continue
                row = self.rows[arc.row]
                f = arc.facility
                bound = (
                    self.amount(arc.row, t)
                    if row.facility is None
                    else row.yield_ * _num(self.fac[row.facility]["capacity"])
                )
                share = _num(self.inputs[(f, arc.stream)]["max_share"])
                share = 1.0 if math.isnan(share) else share
                big_m = min(bound, share * _num(self.fac[f]["capacity"]) / arc.eff)
                ya = bld.var(("y", a, t), 0.0, 1.0, True, dt * arc.link_cost)
                bld.row({x[a, t]: 1.0, ya: -big_m}, -math.inf, 0.0)
            # 6. total target, 7. stream targets
            total_t = for_year(target.get("total"), t)
            if total_t is not None:
                coefs = {}
                for (_f, s), d in deliv.items():
                    if self.target_stream[s]:
                        _add(coefs, d)
                bld.row(coefs, total_t, math.inf)
            for s, spec in (target.get("streams") or {}).items():
                coefs = {}
                for (_f, s2), d in deliv.items():
                    if s2 == s:
                        _add(coefs, d)
                amt = for_year(spec.get("amount"), t)
                share = for_year(spec.get("share"), t)
                if amt is not None:
                    bld.row(coefs, amt, math.inf)
                if share is not None:
                    supply_s = sum(
                        self.amount(i, t)
                        for i, r in enumerate(self.rows)
                        if r.stream == s and r.facility is None
                    )
                    bld.row(coefs, share * supply_s, math.inf)
        # built at most once; 5. groups
        for f in cand:
            bld.row({b[k]: 1.0 for k in b if k[0] == f}, -math.inf, 1.0)
        groups: dict[str, list[str]] = {}
        for f in cand:
            g = str(self.fac[f].get("group", "")).strip()
            if g:
                groups.setdefault(g, []).append(f)
        for members in groups.values():
            bld.row({b[k]: 1.0 for k in b if k[0] in members}, -math.inf, 1.0)
        # 8. limits: a number over the horizon, a mapping per build year
        for key, weight in (
            ("max_new_facilities", lambda f: 1.0),
            ("capex_budget", lambda f: _num(self.fac[f]["capex"])),
        ):
            lim = limits.get(key)
            if lim is None:
                continue
            if isinstance(lim, dict):
                for year, value in lim.items():
                    coefs = {b[k]: weight(k[0]) for k in b if k[1] == year}
                    bld.row(coefs, -math.inf, float(value))
            else:
                bld.row({b[k]: weight(k[0]) for k in b}, -math.inf, float(lim))
        # stock: draws summed over the years
        for i, row in enumerate(self.rows):
            if row.facility is None and not math.isnan(row.stock) and self.horizon:
                coefs = {
                    x[a, t]: 1.0 for t in years for a, arc in enumerate(self.arcs) if arc.row == i
                }
                bld.row(coefs, -math.inf, row.stock - stock_used.get(i, 0.0))
        return self._run(bld, const, years, b, x, w)

    def _run(
        self,
        bld: Builder,
        const: float,
        years: list[Any],
        b: dict[Any, int],
        x: dict[Any, int],
        w: dict[Any, int],
    ) -> dict[str, Any] | None:
        n = len(bld.lb)
        mat = np.zeros((len(bld.rows), n))
        lo = np.empty(len(bld.rows))
        hi = np.empty(len(bld.rows))
        for k, (coefs, low, high) in enumerate(bld.rows):
            for j, v in coefs.items():
                mat[k, j] += v
            lo[k], hi[k] = low, high
        res = milp(
            c=np.array(bld.cost),
            integrality=np.array(bld.integer),
            bounds=Bounds(np.array(bld.lb), np.array(bld.ub)),
            constraints=[LinearConstraint(mat, lo, hi)] if bld.rows else [],
            options={"mip_rel_gap": 1e-12, "presolve": True},
        )
        if res.status != 0 or res.x is None:
            return None
        sol = res.x
        return {
            "objective": float(res.fun) + const,
            "built": sorted(k for k, j in b.items() if sol[j] > 0.5),
            "flows": {(a, t): sol[j] for (a, t), j in x.items() if sol[j] > 1e-7},
            "unused": {(i, t): sol[j] for (i, t), j in w.items() if sol[j] > 1e-7},
            "years": years,
        }


# --------------------------------------------------------------------------------------------
# Driving
# --------------------------------------------------------------------------------------------
def solve_scenario(model: Model) -> dict[str, Any] | None:
    years = model.horizon or [None]
    if model.scenario.get("foresight", "perfect") != "myopic":
        return model.solve(years)
    fixed: dict[tuple[str, Any], float] = {}
    used: dict[int, float] = {}
    total, flows, unused, by_year = 0.0, {}, {}, {}
    for t in years:
        # options of earlier years are fixed; only this year's are open
        got = model.solve([t], fixed=fixed, stock_used=used, open_years={t})
        if got is None:
            return None
        by_year[t] = got["objective"]
        total += got["objective"]
        for f in [f for f, r in model.fac.items() if r["status"] == "candidate"]:
            if t in model.options(f):
                fixed[(f, t)] = 1.0 if (f, t) in got["built"] else 0.0
        for (a, tt), v in got["flows"].items():
            flows[(a, tt)] = v
            used[model.arcs[a].row] = used.get(model.arcs[a].row, 0.0) + v
        unused.update(got["unused"])
    built = sorted(k for k, v in fixed.items() if v > 0.5)
    return {
        "objective": total,
        "built": built,
        "flows": flows,
        "unused": unused,
        "years": years,
        "myopic_years": by_year,
    }


def enumerate_plans(model: Model) -> list[tuple[float, list[Any]]]:
    """Every build plan solved as an LP: [(objective, builds)], best first."""
    years = model.horizon or [None]
    cand = [f for f, r in model.fac.items() if r["status"] == "candidate"]
    choices = [[None, *[("y", y) for y in model.options(f)]] for f in cand]
    found = []
    for plan in itertools.product(*choices):
        fixed = {}
        for f, ch in zip(cand, plan, strict=True):
            for y in model.options(f):
                fixed[(f, y)] = 1.0 if ch is not None and ch[1] == y else 0.0
        got = model.solve(years, fixed=fixed)
        if got is not None:
            found.append((got["objective"], got["built"]))
    return sorted(found, key=lambda p: p[0])


def describe(model: Model, got: dict[str, Any]) -> list[str]:
    lines = []
    for t in got["years"]:
        parts = []
        for (a, tt), v in sorted(got["flows"].items()):
            if tt != t:
                continue
            arc = model.arcs[a]
            parts.append(f"{model.rows[arc.row].label}->{arc.facility} {v:,.2f}")
        un = [
            f"{model.rows[i].label} {v:,.2f}"
            for (i, tt), v in sorted(got["unused"].items())
            if tt == t
        ]
        delivered = sum(
            v * model.arcs[a].eff
            for (a, tt), v in got["flows"].items()
            if tt == t and model.target_stream[model.arcs[a].stream]
        )
        lines.append(
            f"    {t if t is not None else '-'}: flows {'; '.join(parts) or '-'}"
            f" | unused {'; '.join(un) or '-'} | delivered (target) {delivered:,.2f}"
        )
    for i, row in enumerate(model.rows):
        if row.facility is None and not math.isnan(row.stock) and model.horizon:
            drawn = sum(v for (a, _), v in got["flows"].items() if model.arcs[a].row == i)
            lines.append(
                f"    stock {row.label}: {row.stock:,.0f}, drawn {drawn:,.2f}, "
                f"left {row.stock - drawn:,.2f}"
            )
    return lines


def expected_rows(folder: Path) -> dict[str, tuple[str, float]]:
    """The summary table of EXPECTED.md: {yaml: (builds text, objective)}.

    Rows: ``| `file.yaml` | builds | **objective to the cent** (exact value) | ...``; the
    exact value in parentheses, when given, is the one compared."""
    found = {}
    text = (folder / "EXPECTED.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        m = re.match(
            r"^\|\s*`([\w.]+\.yaml)`\s*\|([^|]*)\|\s*\*\*(-?[\d,]+\.\d\d)\*\*"
            r"(?:\s*\((-?[\d,]+\.\d+)\))?",
            line,
        )
        if m:
            # the exact value in parentheses when the bold one is rounded to the cent
            value = m.group(4) or m.group(3)
            found[m.group(1)] = (m.group(2).strip(), float(value.replace(",", "")))
    return found


def builds_text(built: list[tuple[str, Any]]) -> str:
    if not built:
        return "none"
    return ", ".join(f if y is None else f"{f} {y}" for f, y in built)


def check_cycles(verbose: bool) -> bool:
    """Chain rule on every case folder with a facility_outputs.csv (bad_cycle must fail)."""
    ok = True
    for folder in sorted({p.parent for p in HERE.rglob("facility_outputs.csv")}):
        cycles = chain_cycles(read_case(folder))
        bad = [(c, p) for c, p in cycles if p >= 1.0]
        expect_bad = folder.name == "bad_cycle"
        verdict = "rejected" if bad else "accepted"
        good = bool(bad) == expect_bad
        ok &= good
        print(
            f"{'ok ' if good else 'BAD'} {folder.relative_to(HERE)}: chain check {verdict}"
            + "".join(f"; cycle {' -> '.join(c + c[:1])} product {p:g}" for c, p in cycles)
        )
    return ok


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    ok = check_cycles(verbose)
    for scen in sorted(HERE.rglob("*.yaml")):
        folder = scen.parent
        if not (folder / "EXPECTED.md").exists() or not expected_rows(folder):
            continue  # not a case of this kind (e.g. a v1 case once moved to tests/cases)
        sc = yaml.safe_load(scen.read_text(encoding="utf-8"))
        model = Model(read_case(folder / sc["case"]), sc)
        got = solve_scenario(model)
        exp = expected_rows(folder).get(scen.name)
        name = scen.relative_to(HERE)
        if got is None:
            print(f"BAD {name}: infeasible")
            ok = False
            continue
        obj = got["objective"]
        text = builds_text(got["built"])
        if exp is None:
            good, note = False, "no row in EXPECTED.md"
        else:
            rel = abs(obj - exp[1]) / max(1.0, abs(exp[1]))
            good = rel <= TOL and exp[0] == text
            note = f"EXPECTED {exp[1]:,.7f} [{exp[0]}], rel diff {rel:.1e}"
        ok &= good
        print(f"{'ok ' if good else 'BAD'} {name}: objective {obj:,.7f} built [{text}] ({note})")
        if "myopic_years" in got:
            print(
                "    myopic year costs (discounted): "
                + ", ".join(f"{t}: {v:,.4f}" for t, v in got["myopic_years"].items())
            )
        else:
            plans = enumerate_plans(model)
            best = plans[0]
            runner = next((p for p in plans[1:] if p[1] != best[1]), None)
            same = abs(best[0] - obj) <= TOL * max(1.0, abs(obj)) and best[1] == got["built"]
            ok &= same
            print(
                f"    enumeration of {len(plans)} feasible plans: best [{builds_text(best[1])}]"
                f" {best[0]:,.4f}"
                + (
                    f", runner-up [{builds_text(runner[1])}] "
                    f"{runner[0]:,.4f} (+{runner[0] - best[0]:,.4f})"
                    if runner
                    else ", no other plan"
                )
                + ("" if same else "  <-- DISAGREES with the MILP")
            )
        if verbose:
            print("\n".join(describe(model, got)))
    print("all agree" if ok else "DISAGREEMENT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
