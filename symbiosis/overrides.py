"""Apply a scenario's ``overrides:`` to a checked case: change data without copying it.

The grammar (validated by :class:`symbiosis.scenario.Overrides`)::

    overrides:
      scale:                                  # every row of a column times a factor
        facilities.capex: 1.2                 # or "x1.2"
        modes.cost_per_unit_km: x0.9
      set:                                    # selected rows, in order
        - table: facilities
          where: {tech: cement_kiln}          # all keys must match; a list means "any of"
          values: {fixed_opex: 0}             # a number sets, "x1.1" multiplies
        - table: facility_inputs
          where: {stream: red_mud, prefecture: [Qiannan, Guiyang]}
          values: {value: 40}
        - table: supply
          where: {prefecture: Qiannan, stream: phosphogypsum}
          values: {amount: x1.1}
      force_build: [P2]                       # candidates built whatever it costs
      forbid: [P1]                            # candidates never built
      disable_modes: [rail]                   # modes removed (and their distances rows)

Selecting rows (``where``): any column of the table, and

* ``id``: the table's own id (``facility`` for facilities and facility_inputs, ``site`` for
  sites and supply, ``stream`` for streams, ``mode`` for modes);
* ``prefecture``, ``park``: the prefecture or park of the row's site (supply, facilities,
  facility_inputs through the facility's site; sites directly);
* ``tech``, ``status``, ``group``, ``site``: the facility's, for facility_inputs.

No ``where`` selects every row. A value that no row has is an error listing the values that
exist, and so is a selection that matches no row (a typo must not pass silently).

Order: ``scale`` first, then each ``set`` rule in order (so a rule may refine a scaled
value), then ``disable_modes``. ``force_build`` and ``forbid`` do not change the data: they
fix the build decision :math:`b_f` to 1 or 0 in the model (``ModelData.fixed_build``); they
must name candidates (an existing facility always stands).

After the changes every touched column is checked against the case format's ranges (e.g.
``capacity`` > 0, ``max_share`` in (0, 1], flags 0 or 1). Every problem is collected and
raised as one :class:`~symbiosis.case.InputError` naming the override, the table, the column,
the row and what is allowed.

What was changed, row by row (the first :data:`LOG_ROWS` rows of each override), is returned
by :func:`apply_overrides_logged` and written to ``manifest.json`` as ``overrides_applied``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pandas as pd

from symbiosis.case import KEYS, SCHEMAS, Case, Column, InputError, Problem
from symbiosis.i18n import gettext as _
from symbiosis.scenario import Overrides, SetRule, parse_factor

LOG_ROWS = 50

#: The column that ``where: {id: ...}`` selects on.
ID_COLUMN: dict[str, str] = {
    "streams": "stream",
    "sites": "site",
    "supply": "site",
    "facilities": "facility",
    "facility_inputs": "facility",
    "modes": "mode",
}


def _spec(table: str, column: str) -> Column:
    return next(c for c in SCHEMAS[table] if c.name == column)


def selection_view(case: Case, table: str) -> pd.DataFrame:
    """The table with the columns ``where`` may also select on, row for row.

    Parameters
    ----------
    case : Case
        The case (its sites and facilities give the added columns).
    table : str
        A case table (an attribute of ``case``: ``supply``, ``facilities`` ...).

    Returns
    -------
    pandas.DataFrame
        A copy of the table, same rows and order, with ``id`` (the table's id column,
        :data:`ID_COLUMN`; not for ``distances``), for facility_inputs the facility's
        ``tech``, ``status``, ``group`` and ``site``, and for supply, facilities and
        facility_inputs the site's ``prefecture`` and ``park``.
    """
    frame: pd.DataFrame = getattr(case, table)
    view = frame.copy()
    if table in ID_COLUMN:
        view["id"] = frame[ID_COLUMN[table]]
    sites = case.sites.set_index("site")
    site: pd.Series | None = None
    if table in ("supply", "facilities"):
        site = frame["site"]
    elif table == "facility_inputs":
        facilities = case.facilities.set_index("facility")
        for column in ("tech", "status", "group", "site"):
            view[column] = facilities[column].reindex(frame["facility"]).to_numpy()
        site = view["site"]
    if site is not None:
        for column in ("prefecture", "park"):
            view[column] = sites[column].reindex(site).to_numpy()
    return view


def _row_labels(frame: pd.DataFrame, table: str) -> list[str]:
    keys = KEYS[table]
    return ["/".join(str(frame.at[i, k]) for k in keys) for i in frame.index]


def _known(values: pd.Series, limit: int = 12) -> str:
    unique = sorted({str(v) for v in values.tolist()})
    shown = ", ".join(unique[:limit])
    if len(unique) <= limit:
        return shown
    return shown + _(", ... ({count} in all)").format(count=len(unique))


def _json_number(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _select(
    view: pd.DataFrame, rule: SetRule, where_name: str, source: str, problems: list[Problem]
) -> np.ndarray | None:
    """Boolean mask of the rows ``rule.where`` selects, or None after recording a problem."""
    mask = np.ones(len(view), dtype=bool)
    ok = True
    for key, wanted in rule.where.items():
        if key not in view.columns:
            problems.append(
                Problem(
                    source,
                    _(
                        "{name}: {table} has no column {column} to select on; allowed: {allowed}"
                    ).format(
                        name=where_name,
                        table=rule.table,
                        column=repr(key),
                        allowed=", ".join(str(c) for c in view.columns),
                    ),
                )
            )
            ok = False
            continue
        column = view[key]
        values = wanted if isinstance(wanted, list) else [wanted]
        hit = np.zeros(len(view), dtype=bool)
        numeric = pd.api.types.is_numeric_dtype(column)
        for value in values:
            if numeric:
                try:
                    this = np.isclose(column.to_numpy(dtype=float), float(value))
                except (TypeError, ValueError):
                    this = np.zeros(len(view), dtype=bool)
            else:
                text = _as_text(value)
                this = (column.astype(str) == text).to_numpy()
            if not this.any():
                problems.append(
                    Problem(
                        source,
                        _(
                            "{name}: no row of {table} has {column} = {value}; known: {known}"
                        ).format(
                            name=where_name,
                            table=rule.table,
                            column=key,
                            value=repr(value),
                            known=_known(column),
                        ),
                    )
                )
                ok = False
            hit |= this
        mask &= hit
    if ok and not mask.any():
        problems.append(
            Problem(
                source,
                _("{name}: no row of {table} matches all of {conditions}").format(
                    name=where_name,
                    table=rule.table,
                    conditions=", ".join(f"{k} = {v!r}" for k, v in rule.where.items()),
                ),
            )
        )
        return None
    return mask if ok else None


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _range_problems(
    table: str,
    column: str,
    frame: pd.DataFrame,
    rows: np.ndarray,
    names: list[str],
    source: str,
) -> list[Problem]:
    """The case format's range checks on ``frame[column]`` at the changed ``rows``."""
    spec = _spec(table, column)
    problems: list[Problem] = []
    labels = _row_labels(frame.iloc[rows], table) if len(rows) else []
    values = frame[column].to_numpy()[rows]
    for label, value, name in zip(labels, values, names, strict=True):
        bad = False
        if spec.kind == "flag":
            bad = value not in (0, 1)
        elif spec.kind == "number":
            number = float(value)
            if math.isnan(number):
                bad = not spec.optional_value
            else:
                bad = spec.number_problem(number) is not None  # range, and whole years
        if bad:
            problems.append(
                Problem(
                    source,
                    _(
                        "{name}: {table}.{column} becomes out of range for {row}; "
                        "allowed: {allowed}"
                    ).format(
                        name=name, table=table, column=column, row=label, allowed=spec.allowed()
                    ),
                    column=column,
                    value=repr(_json_number(value)),
                )
            )
    return problems


def _log_entry(
    name: str,
    table: str,
    column: str,
    labels: list[str],
    before: np.ndarray,
    after: np.ndarray,
) -> dict[str, Any]:
    changed = [
        (lab, b, a)
        for lab, b, a in zip(labels, before.tolist(), after.tolist(), strict=True)
        if not (b == a or (isinstance(b, float) and isinstance(a, float) and b != b and a != a))
    ]
    return {
        "override": name,
        "table": table,
        "column": column,
        "rows_selected": len(labels),
        "rows_changed": len(changed),
        "changes": [
            {"row": lab, "from": _json_number(b), "to": _json_number(a)}
            for lab, b, a in changed[:LOG_ROWS]
        ],
        **({"changes_not_listed": len(changed) - LOG_ROWS} if len(changed) > LOG_ROWS else {}),
    }


def _new_values(
    current: np.ndarray, spec: Column, value: float | str
) -> tuple[np.ndarray | None, str | None]:
    """The column's new values for the selected rows, or (None, why not)."""
    factor = parse_factor(value) if isinstance(value, str) else None
    if spec.kind == "text":
        return np.full(len(current), _as_text(value), dtype=object), None
    if spec.kind == "flag":
        if factor is not None:
            return None, _("a 0/1 flag cannot be multiplied; give 0 or 1")
        return np.full(len(current), float(value)), None
    if factor is not None:
        return current.astype(float) * factor, None
    if isinstance(value, str):
        return None, _("{value} is neither a number nor a factor like 'x1.2'").format(
            value=repr(value)
        )
    return np.full(len(current), float(value)), None


def apply_overrides_logged(
    case: Case, overrides: Overrides, source: str = "scenario"
) -> tuple[Case, list[dict[str, Any]]]:
    """Apply ``overrides`` to ``case``; return a new case (the given one is not changed) and
    the log of what changed.

    Order: ``scale``, then each ``set`` rule in order, the range checks, then
    ``disable_modes``; ``force_build`` and ``forbid`` are only checked and logged (the model
    fixes :math:`b_f`).

    Parameters
    ----------
    case : Case
        The checked case.
    overrides : Overrides
        The scenario's ``overrides:``.
    source : str
        What problems name as their file (the scenario file's name).

    Returns
    -------
    tuple of (Case, list of dict)
        The changed case (a shallow copy: the tables an override names are new frames, the
        others shared with ``case``) and the log, written to ``manifest.json`` as
        ``overrides_applied``: one entry per scaled column and per column of a set rule
        (``override``, ``table``, ``column``, ``rows_selected``, ``rows_changed``,
        ``changes``: the first :data:`LOG_ROWS` ``{row, from, to}``, ``changes_not_listed``
        beyond them; with ``factor`` for a scale, ``where`` and ``value`` for a set rule),
        one for ``disable_modes`` (``removed``, ``distances_rows_removed``), and one each for
        ``force_build`` and ``forbid`` (``facilities``, ``fixed_to`` 1 or 0).

    Raises
    ------
    InputError
        Naming every override that refers to an unknown table, column, id or value, selects
        no row, or leaves a value out of the case format's range.
    """
    edit = _Edit(case, source)
    edit.scale(overrides.scale)
    edit.set_rules(overrides.set)
    edit.check_ranges()
    edit.disable_modes(overrides.disable_modes)
    edit.decisions(overrides)
    if edit.problems:
        raise InputError(edit.problems, what="scenario overrides")
    return _with_tables(case, edit.tables), edit.log


class _Edit:
    """The overrides being applied to copies of a case's tables: the tables changed so far,
    the log, the problems found, and which override last changed each cell."""

    def __init__(self, case: Case, source: str) -> None:
        self.case = case
        self.source = source
        self.problems: list[Problem] = []
        self.log: list[dict[str, Any]] = []
        self.tables: dict[str, pd.DataFrame] = {}
        # (table, column) -> {row position: the last override that changed it}
        self.touched: dict[tuple[str, str], dict[int, str]] = {}

    def frame_of(self, table: str) -> pd.DataFrame:
        """The working copy of ``table`` (copied from the case on first use)."""
        if table not in self.tables:
            self.tables[table] = getattr(self.case, table).copy()
        return self.tables[table]

    def _touch(self, table: str, column: str, rows: np.ndarray, name: str) -> None:
        self.touched.setdefault((table, column), {}).update(dict.fromkeys(rows.tolist(), name))

    def scale(self, scale: dict[str, float]) -> None:
        """``overrides.scale``: every row of ``table.column`` times its factor."""
        for key, factor in scale.items():
            table, _dot, column = key.partition(".")
            name = f"overrides.scale.{key}"
            frame = self.frame_of(table)
            spec = _spec(table, column)
            before = frame[column].to_numpy().copy()
            after: np.ndarray = before.astype(float) * factor
            if spec.kind == "flag":
                if not np.isin(after, (0.0, 1.0)).all():
                    self.problems.append(
                        Problem(
                            self.source,
                            _("{name}: a 0/1 flag times {factor} is not 0 or 1").format(
                                name=name, factor=f"{factor:g}"
                            ),
                        )
                    )
                    continue
                after = after.astype(np.int64)
            frame[column] = after
            self._touch(table, column, np.arange(len(frame)), name)
            entry = _log_entry(name, table, column, _row_labels(frame, table), before, after)
            entry["factor"] = factor
            self.log.append(entry)

    def set_rules(self, rules: list[Any]) -> None:
        """``overrides.set``: the rows a rule selects get its values, in order."""
        for i, rule in enumerate(rules):
            name = f"overrides.set[{i + 1}] ({rule.table})"
            frame = self.frame_of(rule.table)
            view = selection_view(_with_tables(self.case, self.tables), rule.table)
            mask = _select(view, rule, name, self.source, self.problems)
            if mask is None:
                continue
            rows = np.flatnonzero(mask)
            labels = _row_labels(frame.iloc[rows], rule.table)
            for column, value in rule.values.items():
                self._set_column(rule, name, frame, rows, labels, column, value)

    def _set_column(  # noqa: PLR0913
        self,
        rule: Any,
        name: str,
        frame: pd.DataFrame,
        rows: np.ndarray,
        labels: list[str],
        column: str,
        value: Any,
    ) -> None:
        spec = _spec(rule.table, column)
        before = frame[column].to_numpy()[rows].copy()
        new, why = _new_values(before, spec, value)
        if new is None:
            self.problems.append(Problem(self.source, f"{name}: {column}: {why}", column=column))
            return
        after = new
        if spec.kind == "flag":
            if not np.isin(after, (0.0, 1.0)).all():
                self.problems.append(
                    Problem(
                        self.source,
                        _("{name}: {table}.{column} is a flag; allowed: 0 or 1").format(
                            name=name, table=rule.table, column=column
                        ),
                        column=column,
                        value=repr(value),
                    )
                )
                return
            after = after.astype(np.int64)
        if spec.kind == "number":
            frame[column] = frame[column].astype(float)
        frame.loc[frame.index[rows], column] = after
        self._touch(rule.table, column, rows, name)
        entry = _log_entry(name, rule.table, column, labels, before, after)
        entry["where"] = dict(rule.where)
        entry["value"] = value
        self.log.append(entry)

    def check_ranges(self) -> None:
        """The ranges of CASE_FORMAT.md on every number and flag changed, each problem named
        by the override that last changed the cell."""
        for (table, column), by_row in self.touched.items():
            spec = _spec(table, column)
            if spec.kind in ("number", "flag"):
                rows = np.array(sorted(by_row), dtype=np.int64)
                names = [by_row[int(r)] for r in rows]
                self.problems += _range_problems(
                    table, column, self.tables[table], rows, names, self.source
                )

    def disable_modes(self, disabled: list[str]) -> None:
        """``overrides.disable_modes``: those modes and their distances.csv rows removed."""
        if not disabled:
            return
        modes = self.frame_of("modes")
        known = set(modes["mode"])
        unknown = [m for m in disabled if m not in known]
        if unknown:
            self.problems.append(
                Problem(
                    self.source,
                    _("overrides.disable_modes: unknown mode(s) {modes}; known: {known}").format(
                        modes=", ".join(unknown), known=_known(self.case.modes["mode"])
                    ),
                )
            )
        drop = modes["mode"].isin(disabled).to_numpy()
        self.tables["modes"] = modes.loc[~drop].reset_index(drop=True)
        distances = self.frame_of("distances")
        drop_d = distances["mode"].isin(disabled).to_numpy()
        self.tables["distances"] = distances.loc[~drop_d].reset_index(drop=True)
        self.log.append(
            {
                "override": "overrides.disable_modes",
                "table": "modes",
                "removed": sorted(set(disabled) & known),
                "distances_rows_removed": int(drop_d.sum()),
            }
        )

    def decisions(self, overrides: Overrides) -> None:
        """``overrides.force_build`` and ``forbid``: checked and logged (the model fixes
        the build decisions)."""
        self.problems += build_decision_problems(self.case, overrides, self.source)
        for key in ("force_build", "forbid"):
            ids = getattr(overrides, key)
            if ids:
                self.log.append(
                    {
                        "override": f"overrides.{key}",
                        "table": "facilities",
                        "column": "built",
                        "facilities": list(ids),
                        "fixed_to": 1 if key == "force_build" else 0,
                    }
                )


def _with_tables(case: Case, tables: dict[str, pd.DataFrame]) -> Case:
    """A shallow copy of ``case`` with some tables replaced."""
    out = copy.copy(case)
    for name, frame in tables.items():
        setattr(out, name, frame)
    return out


def build_decision_problems(case: Case, overrides: Overrides, source: str) -> list[Problem]:
    """``force_build`` and ``forbid`` must name candidates; two forced candidates may not
    share a group (at most one of a group is built).

    Parameters
    ----------
    case : Case
        The case (its facilities).
    overrides : Overrides
        The overrides whose ``force_build`` and ``forbid`` are checked.
    source : str
        What the problems name as their file.

    Returns
    -------
    list of Problem
        Each unknown facility (with the candidates there are), each existing facility
        named, and each group in which more than one candidate is forced; empty when all
        is well.
    """
    problems: list[Problem] = []
    facilities = case.facilities.set_index("facility")
    for key in ("force_build", "forbid"):
        for fid in getattr(overrides, key):
            if fid not in facilities.index:
                problems.append(
                    Problem(
                        source,
                        _("overrides.{key}: unknown facility {id}; candidates: {known}").format(
                            key=key,
                            id=repr(fid),
                            known=_known(
                                case.facilities.loc[case.facilities["status"] == "candidate"][
                                    "facility"
                                ]
                            ),
                        ),
                    )
                )
            elif facilities.at[fid, "status"] != "candidate":
                problems.append(
                    Problem(
                        source,
                        _(
                            "overrides.{key}: {id} is an existing facility, which always "
                            "stands; force_build and forbid apply to candidates only"
                        ).format(key=key, id=repr(fid)),
                    )
                )
    forced = [f for f in overrides.force_build if f in facilities.index]
    groups: dict[str, list[str]] = {}
    for fid in forced:
        group = str(facilities.at[fid, "group"])
        if group:
            groups.setdefault(group, []).append(fid)
    for group, members in sorted(groups.items()):
        if len(members) > 1:
            problems.append(
                Problem(
                    source,
                    _(
                        "overrides.force_build: {ids} share group {group}, of which at most "
                        "one can be built"
                    ).format(ids=", ".join(members), group=repr(group)),
                )
            )
    return problems


def apply_overrides(case: Case, overrides: Overrides, source: str = "scenario") -> Case:
    """Apply ``overrides`` to ``case`` and return the changed copy (see the module docstring).

    Parameters
    ----------
    case : Case
        The checked case (not changed).
    overrides : Overrides
        The scenario's ``overrides:``.
    source : str
        What problems name as their file (the scenario file's name).

    Returns
    -------
    Case
        The changed copy, as :func:`apply_overrides_logged` returns it, without the log.

    Raises
    ------
    InputError
        For any override that does not fit the case.
    """
    return apply_overrides_logged(case, overrides, source)[0]


__all__ = [
    "ID_COLUMN",
    "apply_overrides",
    "apply_overrides_logged",
    "build_decision_problems",
    "selection_view",
]
