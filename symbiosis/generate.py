"""Random but reproducible cases in the case format, for benchmarks and scale tests.

:func:`generate_case` writes ``OUT_DIR/case/`` (a valid case format v1 folder: streams, sites,
supply, facilities, facility_inputs, modes, parks.geojson) and ``OUT_DIR/scenario.yaml`` (a
total target that the case can meet). Everything is drawn from one
:class:`numpy.random.Generator` seeded with ``seed``, so the same arguments give the same files.

What a generated case looks like:

* sites inside Guizhou's bounding box (lon 103.6-109.5, lat 24.6-29.2), most of them clustered
  around industrial parks (a normal scatter of ``park_km`` around each park centre), each given
  the prefecture of the nearest prefecture seat; about a third have a rail siding;
* ``streams`` solid streams (phosphogypsum, fly ash, steel slag, coal gangue, red mud,
  manganese slag, then ``waste_<k>``) counted toward the total target, and one heat stream
  (``waste_heat``, MWh) that is not;
* ``n_sources`` source sites, each supplying one solid stream, sometimes a second one and
  sometimes waste heat; about a tenth of the rows are historic stockpiles (``unused_cost`` 0);
* ``n_facilities`` facilities, ``n_candidates`` of them candidate projects (some in groups of
  two size options on one site, at most one of which can be built), the rest existing plants;
  solid facilities take one to three solid streams, heat users take waste heat and stand in a
  park with a heat source; some facilities stand on a source site (on-site arcs);
* three modes: road (every solid pair within ``road_km``), rail (sites with a siding, within
  ``rail_km``) and heat pipe (within ``heat_km``), all with a link cost, so that every arc
  off site has a link binary.

The number of candidate arcs is driven by the pairs (supply row, facility taking its stream)
within reach of each mode, so it grows with ``n_sources x n_facilities``. With the default
parameters (``n_facilities`` defaulting to ``0.53 x n_sources``, the ratio of 300 to 160) and
seed 0:

======================  ==========  ===============  ===================
sources x facilities    arcs        binaries         model columns
======================  ==========  ===============  ===================
300 x 160               13,919      14,003           28,365 (about 26k)
1,000 x 533             135,081     135,348          271,920 (about 300k)
======================  ==========  ===============  ===================

(columns = flows + link binaries + build binaries + unused amounts, as HiGHS sees them; other
seeds differ by up to about 10 % at these sizes). :func:`sizes_for_arcs` picks
``n_sources`` and ``n_facilities`` for a wanted number of arcs (``symbiosis generate --arcs``).
The MILPs are hard for their size (fixed-charge links with big-M): with HiGHS on this
project's shared 2-core machine 30 sources solve to a 1e-4 gap in a second or two, 60 sources
in 5-20 s, 100 sources in 0.5-3 minutes, and 300 sources are still a few per cent from
optimal after two minutes.

The total target is ``target_share`` (default 0.8) of the most that existing plants plus all
candidates could take in of the target streams: a maximum flow over the candidate arcs with
supplies, input shares and capacities (computed in whole kilotonnes, rounded down, so that the
target is always reachable).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from symbiosis.case import Case, check_tables, raw_from_frame, table_columns
from symbiosis.files import GENERATED_KIND, claim, staged
from symbiosis.network import build_arcs, haversine_km

LON_RANGE = (103.6, 109.5)
LAT_RANGE = (24.6, 29.2)

#: Prefecture seats of Guizhou (lon, lat), from GUIZHOU_FACTS.md section 5.
PREFECTURES: tuple[tuple[str, float, float], ...] = (
    ("Guiyang", 106.630, 26.647),
    ("Zunyi", 106.927, 27.725),
    ("Liupanshui", 104.830, 26.593),
    ("Anshun", 105.947, 26.253),
    ("Bijie", 105.285, 27.302),
    ("Tongren", 109.191, 27.718),
    ("Qiandongnan", 107.978, 26.583),
    ("Qiannan", 107.517, 26.259),
    ("Qianxinan", 104.895, 25.092),
)

#: Solid streams: id, name, disposal cost (CNY/t), environmental tax (CNY/t), supply weight,
#: the technology label of a facility whose main input it is.
SOLID_STREAMS: tuple[tuple[str, str, float, float, float, str], ...] = (
    ("phosphogypsum", "Phosphogypsum", 20.0, 25.0, 1.0, "gypsum_building_materials"),
    ("fly_ash", "Fly ash", 15.0, 25.0, 1.0, "cement_blend"),
    ("steel_slag", "Steel slag", 15.0, 25.0, 0.5, "road_aggregate"),
    ("coal_gangue", "Coal gangue", 10.0, 5.0, 1.0, "gangue_brick"),
    ("red_mud", "Red mud", 30.0, 25.0, 0.4, "red_mud_ceramics"),
    ("manganese_slag", "Electrolytic manganese residue", 40.0, 25.0, 0.4, "emr_backfill"),
)
HEAT = "waste_heat"

#: Defaults of :func:`generate_case`; the density parameters are tuned so that 300 sources x
#: 160 facilities give about 26k model columns (see the module docstring).
FACILITY_RATIO = 160 / 300
CANDIDATE_SHARE = 0.6


@dataclass(frozen=True)
class GeneratedCase:
    """What :func:`generate_case` wrote and how big its model is.

    Attributes
    ----------
    path : Path
        The case folder.
    scenario : Path
        The scenario YAML.
    n_sources, n_facilities, n_candidates, n_supply_rows : int
        Source sites, facilities, candidates among them, supply rows.
    n_arcs, n_link_binaries : int
        Candidate arcs, and those with a link binary.
    target_total : float
        The scenario's total target, t/yr.
    max_deliverable : float
        :func:`max_deliverable` of the case, t/yr.
    seed : int
        The seed drawn from.
    """

    path: Path  # the case folder
    scenario: Path  # the scenario YAML
    n_sources: int
    n_facilities: int
    n_candidates: int
    n_supply_rows: int
    n_arcs: int
    n_link_binaries: int
    target_total: float
    max_deliverable: float
    seed: int

    @property
    def n_binaries(self) -> int:
        """Link binaries + build binaries."""
        return self.n_link_binaries + self.n_candidates

    @property
    def n_columns(self) -> int:
        """Model columns: flows + link binaries + build binaries + unused amounts."""
        return self.n_arcs + self.n_link_binaries + self.n_candidates + self.n_supply_rows

    def describe(self) -> str:
        """One line for the console.

        Returns
        -------
        str
            Sources, facilities, candidates, supply rows, arcs, binaries, columns and the
            target.
        """
        return (
            f"{self.n_sources:,} sources, {self.n_facilities:,} facilities "
            f"({self.n_candidates:,} candidates), {self.n_supply_rows:,} supply rows, "
            f"{self.n_arcs:,} arcs, {self.n_binaries:,} binaries, about {self.n_columns:,} "
            f"columns; target {self.target_total:,.0f} t/yr of at most "
            f"{self.max_deliverable:,.0f}"
        )


def _modes(road_km: float, rail_km: float, heat_km: float) -> pd.DataFrame:
    """Road (0.45 CNY/t-km + 5 CNY/t handling, 50k CNY/yr per contract), rail (0.10 CNY/t-km
    + 4.2 CNY/t, 800k CNY/yr per siding contract), heat pipe (400k CNY/yr per km, 0.4 %/km
    loss); figures from GUIZHOU_FACTS.md section 3 and 4."""
    return pd.DataFrame(
        [
            ["road", "solid", 5.0, 0.45, 50_000.0, 0.0, road_km, 1.3, 0.09, 0.0, 0],
            ["rail", "solid", 4.2, 0.10, 800_000.0, 0.0, rail_km, 1.2, 0.015, 0.0, 1],
            ["heat_pipe", "heat", 0.0, 0.0, 0.0, 400_000.0, heat_km, 1.2, 0.0, 0.004, 0],
        ],
        columns=table_columns("modes"),
    )


def _solid_streams(n: int) -> list[tuple[str, str, float, float, float, str]]:
    out = list(SOLID_STREAMS[:n])
    for k in range(len(SOLID_STREAMS), n):
        out.append((f"waste_{k + 1}", f"Waste {k + 1}", 20.0, 25.0, 0.5, f"plant_{k + 1}"))
    return out


def _scatter(
    rng: np.random.Generator, centres: np.ndarray, which: np.ndarray, spread_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered normally (``spread_km`` each way) around ``centres[which]``, clipped
    to the bounding box."""
    lat0 = centres[which, 1]
    dlat = rng.normal(0.0, spread_km / 111.0, len(which))
    dlon = rng.normal(0.0, 1.0, len(which)) * spread_km / (111.0 * np.cos(np.radians(lat0)))
    lon = np.clip(centres[which, 0] + dlon, *LON_RANGE)
    lat = np.clip(lat0 + dlat, *LAT_RANGE)
    return lon, lat


def _prefecture(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    seats = np.array([[p[1], p[2]] for p in PREFECTURES])
    d = haversine_km(lon[:, None], lat[:, None], seats[None, :, 0], seats[None, :, 1])
    names = np.array([p[0] for p in PREFECTURES], dtype=object)
    return names[np.argmin(d, axis=1)]


def _park_geojson(parks: pd.DataFrame, radius_km: float) -> dict[str, Any]:
    features = []
    angles = np.linspace(0.0, 2.0 * np.pi, 17)
    for park, name, prefecture, level, lon, lat in zip(
        parks["park"].tolist(),
        parks["name"].tolist(),
        parks["prefecture"].tolist(),
        parks["level"].tolist(),
        parks["lon"].to_numpy(dtype=float).tolist(),
        parks["lat"].to_numpy(dtype=float).tolist(),
        strict=True,
    ):
        dlat = radius_km / 111.0
        dlon = radius_km / (111.0 * math.cos(math.radians(lat)))
        ring = [
            [round(lon + dlon * math.cos(t), 6), round(lat + dlat * math.sin(t), 6)]
            for t in angles.tolist()
        ]
        ring[-1] = ring[0]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "park": park,
                    "name": name,
                    "prefecture": prefecture,
                    "level": level,
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class GenerateParams:
    """What :func:`generate_tables` draws: sizes, seed and the shape of the network.

    Attributes
    ----------
    n_sources : int
        Source sites (at least 1).
    n_facilities : int or None
        Facilities, existing and candidate; None: ``max(2, round(0.53 x n_sources))``.
    n_candidates : int or None
        How many facilities are candidate projects; None: 60 % of them.
    seed : int
        Seed of the :class:`numpy.random.Generator` (the same parameters give the same case).
    streams : int
        Solid streams (1 to 50).
    heat : bool
        Add a waste-heat stream, heat sources and heat users.
    n_parks : int or None
        Industrial parks; None: ``max(3, round((n_sources + n_facilities) / 12))``.
    road_km, rail_km, heat_km : float
        Reach of the road, rail and heat-pipe modes.
    park_km : float
        Spread of a park's sites around its centre (facilities: half of it).
    rail_share : float
        Share of sites with a rail siding.
    existing_capacity, candidate_capacity : float
        Capacity of the existing solid facilities, and of the candidates, as a multiple of
        the total solid supply.

    Raises
    ------
    ValueError
        A size out of range (``n_sources``, ``streams``, ``n_facilities``, ``n_candidates``).
    """

    n_sources: int
    n_facilities: int | None = None
    n_candidates: int | None = None
    seed: int = 0
    streams: int = 5
    heat: bool = True
    n_parks: int | None = None
    road_km: float = 300.0
    rail_km: float = 500.0
    heat_km: float = 25.0
    park_km: float = 12.0
    rail_share: float = 0.35
    existing_capacity: float = 0.45
    candidate_capacity: float = 0.9

    def __post_init__(self) -> None:
        if self.n_sources < 1:
            raise ValueError("n_sources must be at least 1")
        if not 1 <= self.streams <= 50:
            raise ValueError("streams (the number of solid streams) must be between 1 and 50")
        if self.facilities < 1:
            raise ValueError("n_facilities must be at least 1")
        if not 0 <= self.candidates <= self.facilities:
            raise ValueError("n_candidates must be between 0 and n_facilities")

    @property
    def facilities(self) -> int:
        """The number of facilities, the default filled in."""
        if self.n_facilities is None:
            return max(2, round(FACILITY_RATIO * self.n_sources))
        return self.n_facilities

    @property
    def candidates(self) -> int:
        """The number of candidates, the default filled in."""
        if self.n_candidates is None:
            return round(CANDIDATE_SHARE * self.facilities)
        return self.n_candidates

    @property
    def parks(self) -> int:
        """The number of parks, the default filled in."""
        if self.n_parks is None:
            return max(3, round((self.n_sources + self.facilities) / 12))
        return max(1, self.n_parks)


@dataclass(frozen=True)
class _Sources:
    """The source sites drawn by :func:`_draw_sources`."""

    ids: np.ndarray  # src00001, ...
    lon: np.ndarray
    lat: np.ndarray
    in_park: np.ndarray  # bool
    park: np.ndarray  # index of the park they are scattered around (even if not in it)
    park_id: np.ndarray  # the park's id, "" for sites outside parks


@dataclass(frozen=True)
class _Supply:
    """The supply rows drawn by :func:`_draw_supply`, and the streams."""

    frame: pd.DataFrame  # the supply table
    solid: list[tuple[str, str, float, float, float, str]]  # rows as in SOLID_STREAMS
    solid_ids: np.ndarray
    weights: np.ndarray  # each solid stream's share of sources and facilities
    heat_src: np.ndarray  # bool per source: supplies waste heat
    solid_total: float
    heat_total: float


@dataclass(frozen=True)
class _Facilities:
    """Where the facilities stand and what they are, drawn by :func:`_draw_facilities`."""

    ids: np.ndarray  # fac00001, ...
    heat: np.ndarray  # bool: a heat user
    candidate: np.ndarray  # bool
    sibling_of: np.ndarray  # the candidate whose larger size option it is, else -1
    park: np.ndarray  # park index
    lon: np.ndarray
    lat: np.ndarray
    site: np.ndarray  # its site id (a source site, its sibling's, or its own)
    own_site: np.ndarray  # bool: on a site of its own (written to sites.csv)


def _draw_parks(rng: np.random.Generator, p: GenerateParams) -> pd.DataFrame:
    """Parks: centres near the prefecture seats (half of them) or anywhere in the box."""
    n_pk = p.parks
    seats = np.array([[s[1], s[2]] for s in PREFECTURES])
    near_seat = rng.random(n_pk) < 0.5
    pk_lon = np.where(
        near_seat,
        seats[rng.integers(0, len(seats), n_pk), 0] + rng.normal(0, 0.3, n_pk),
        rng.uniform(*LON_RANGE, n_pk),
    )
    pk_lat = np.where(
        near_seat,
        seats[rng.integers(0, len(seats), n_pk), 1] + rng.normal(0, 0.3, n_pk),
        rng.uniform(*LAT_RANGE, n_pk),
    )
    pk_lon, pk_lat = np.clip(pk_lon, *LON_RANGE), np.clip(pk_lat, *LAT_RANGE)
    return pd.DataFrame(
        {
            "park": [f"park{k + 1:04d}" for k in range(n_pk)],
            "name": [f"Generated park {k + 1}" for k in range(n_pk)],
            "prefecture": _prefecture(pk_lon, pk_lat),
            "level": rng.choice(["national", "provincial", "other"], n_pk, p=[0.1, 0.4, 0.5]),
            "lon": pk_lon,
            "lat": pk_lat,
        }
    )


def _centres(parks: pd.DataFrame) -> np.ndarray:
    """The parks' centres as an array of (lon, lat)."""
    return np.column_stack([parks["lon"].to_numpy(), parks["lat"].to_numpy()])


def _draw_sources(rng: np.random.Generator, p: GenerateParams, parks: pd.DataFrame) -> _Sources:
    """Source sites: 80 % in a park, the rest anywhere in the box."""
    n = p.n_sources
    in_park = rng.random(n) < 0.8
    src_park = rng.integers(0, len(parks), n)
    lon, lat = _scatter(rng, _centres(parks), src_park, p.park_km)
    lon = np.where(in_park, lon, rng.uniform(*LON_RANGE, n))
    lat = np.where(in_park, lat, rng.uniform(*LAT_RANGE, n))
    return _Sources(
        ids=np.array([f"src{i + 1:05d}" for i in range(n)], dtype=object),
        lon=lon,
        lat=lat,
        in_park=in_park,
        park=src_park,
        park_id=np.where(in_park, parks["park"].to_numpy()[src_park], ""),
    )


def _draw_supply(rng: np.random.Generator, p: GenerateParams, sources: _Sources) -> _Supply:
    """Supply rows: one solid stream per source, a second one for about a third, waste heat
    for a fifth of those in a park; lognormal amounts, a tenth of the solid rows historic
    stockpiles (``unused_cost`` 0)."""
    n, streams = p.n_sources, p.streams
    solid = _solid_streams(streams)
    solid_ids = np.array([s[0] for s in solid], dtype=object)
    weights = np.array([s[4] for s in solid])
    weights = weights / weights.sum()
    primary = rng.choice(len(solid), n, p=weights)
    rows_site: list[np.ndarray] = [np.arange(n)]
    rows_stream: list[np.ndarray] = [solid_ids[primary]]
    if streams > 1:
        second = rng.random(n) < 0.35
        shift = rng.integers(1, streams, n)
        other = (primary + shift) % streams
        rows_site.append(np.flatnonzero(second))
        rows_stream.append(solid_ids[other[second]])
    heat_src = np.zeros(n, dtype=bool)
    if p.heat:
        heat_src = sources.in_park & (rng.random(n) < 0.2)
        rows_site.append(np.flatnonzero(heat_src))
        rows_stream.append(np.full(int(heat_src.sum()), HEAT, dtype=object))
    supply_site = np.concatenate(rows_site)
    supply_stream = np.concatenate(rows_stream)
    is_heat = supply_stream == HEAT
    amount = np.where(
        is_heat,
        np.round(rng.lognormal(np.log(80_000.0), 0.6, len(supply_site)), -2),
        np.round(rng.lognormal(np.log(150_000.0), 0.9, len(supply_site)), -3),
    )
    amount = np.maximum(amount, np.where(is_heat, 1_000.0, 5_000.0))
    stockpile = ~is_heat & (rng.random(len(supply_site)) < 0.1)
    frame = pd.DataFrame(
        {
            "site": sources.ids[supply_site],
            "stream": supply_stream,
            "amount": amount,
            "unused_cost": np.where(stockpile, "0", ""),
        }
    ).sort_values(["site", "stream"], kind="stable")
    return _Supply(
        frame=frame.reset_index(drop=True),
        solid=solid,
        solid_ids=solid_ids,
        weights=weights,
        heat_src=heat_src,
        solid_total=float(amount[~is_heat].sum()),
        heat_total=float(amount[is_heat].sum()),
    )


def _draw_facilities(
    rng: np.random.Generator,
    p: GenerateParams,
    parks: pd.DataFrame,
    sources: _Sources,
    supply: _Supply,
) -> _Facilities:
    """Facilities: heat users (about a tenth, in a park with a heat source), candidates
    (some the larger size option of the candidate before them, on its site), the rest
    existing; 15 % of the solid ones on a source site."""
    n_fac, n_pk = p.facilities, len(parks)
    heat_parks = np.unique(sources.park[supply.heat_src])
    n_heat_users = 0
    if p.heat and len(heat_parks):
        n_heat_users = min(n_fac - 1, max(1, round(0.1 * n_fac))) if n_fac > 1 else 0
    fac_heat = np.zeros(n_fac, dtype=bool)
    fac_heat[rng.choice(n_fac, n_heat_users, replace=False)] = True
    candidate = np.zeros(n_fac, dtype=bool)
    candidate[rng.choice(n_fac, p.candidates, replace=False)] = True
    # Some candidates are the second size option of the candidate just before them.
    cand_idx = np.flatnonzero(candidate & ~fac_heat)
    sibling_of = np.full(n_fac, -1)
    for j in range(1, len(cand_idx)):
        if sibling_of[cand_idx[j - 1]] < 0 and rng.random() < 0.3:
            sibling_of[cand_idx[j]] = cand_idx[j - 1]

    any_park = rng.integers(0, n_pk, n_fac)
    fac_park = (
        np.where(fac_heat, rng.choice(heat_parks, n_fac), any_park) if n_heat_users else any_park
    )
    f_lon, f_lat = _scatter(rng, _centres(parks), fac_park, p.park_km / 2)
    on_source = ~fac_heat & (rng.random(n_fac) < 0.15)
    host = rng.integers(0, p.n_sources, n_fac)
    fac_site = np.array([f"fac_site{j + 1:05d}" for j in range(n_fac)], dtype=object)
    fac_site = np.where(on_source, sources.ids[host], fac_site)
    for j in np.flatnonzero(sibling_of >= 0).tolist():
        fac_site[j] = fac_site[sibling_of[j]]
    own_site = np.array([s.startswith("fac_site") for s in fac_site]) & (sibling_of < 0)
    return _Facilities(
        ids=np.array([f"fac{j + 1:05d}" for j in range(n_fac)], dtype=object),
        heat=fac_heat,
        candidate=candidate,
        sibling_of=sibling_of,
        park=fac_park,
        lon=f_lon,
        lat=f_lat,
        site=fac_site,
        own_site=own_site,
    )


def _draw_inputs(
    rng: np.random.Generator, p: GenerateParams, supply: _Supply, fac: _Facilities
) -> tuple[pd.DataFrame, np.ndarray]:
    """The facility_inputs table: heat users take waste heat; solid facilities one to three
    solid streams, the first (their main one) with max_share 1; a larger size option takes
    what its sibling takes. Returns (the table, the main solid stream of each facility)."""
    n_fac, sibling_of = p.facilities, fac.sibling_of
    n_inputs = np.minimum(rng.choice([1, 2, 3], n_fac, p=[0.35, 0.4, 0.25]), p.streams)
    main = rng.choice(len(supply.solid), n_fac, p=supply.weights)
    for j in np.flatnonzero(sibling_of >= 0).tolist():
        main[j] = main[sibling_of[j]]
        n_inputs[j] = n_inputs[sibling_of[j]]
    input_rows: list[tuple[int, str, float, float, float, float]] = []
    for j in range(n_fac):
        if fac.heat[j]:
            var_cost = round(float(rng.uniform(0, 10)), 1)
            value = round(float(rng.uniform(80, 200)), 1)
            input_rows.append((j, HEAT, 1.0, var_cost, value, 300.0))
            continue
        src = sibling_of[j]
        if src >= 0:
            for row in [r for r in input_rows if r[0] == src]:
                input_rows.append((j, *row[1:]))
            continue
        others = rng.permutation([k for k in range(len(supply.solid)) if k != main[j]])
        for n, k in enumerate([main[j], *others[: n_inputs[j] - 1]]):
            share = 1.0 if n == 0 else float(rng.choice([0.2, 0.3, 0.5, 1.0]))
            var_cost = round(float(rng.uniform(5, 40)), 1)
            value = round(float(rng.uniform(10, 60)), 1)
            co2 = round(float(rng.uniform(5, 800)), 0)
            input_rows.append((j, str(supply.solid_ids[k]), share, var_cost, value, co2))
    inputs = pd.DataFrame(
        input_rows, columns=["f", "stream", "max_share", "var_cost", "value", "co2"]
    )
    inputs.insert(0, "facility", fac.ids[inputs.pop("f").to_numpy()])
    return inputs, main


def _draw_facility_table(
    rng: np.random.Generator,
    p: GenerateParams,
    supply: _Supply,
    fac: _Facilities,
    main: np.ndarray,
) -> pd.DataFrame:
    """The facilities table: capacities scaled to the supply (existing solid facilities
    ``existing_capacity``, candidates ``candidate_capacity`` times the solid supply, heat
    users 0.8 times the heat supply, shared by lognormal sizes; a larger option 1.8 times
    its sibling); candidates' capex 60-120 CNY per t/yr (x0.8 per unit for the larger
    option), heat users' 20-60 CNY per MWh/yr, fixed opex 3 % of capex; existing plants'
    fixed opex 0.5-3 M CNY/yr."""
    n_fac, sibling_of, fac_heat, candidate = p.facilities, fac.sibling_of, fac.heat, fac.candidate
    size = rng.lognormal(0.0, 0.6, n_fac)
    size = np.where(sibling_of >= 0, size[np.maximum(sibling_of, 0)] * 1.8, size)
    capacity = np.zeros(n_fac)
    for mask, total in (
        (~fac_heat & ~candidate, p.existing_capacity * supply.solid_total),
        (~fac_heat & candidate, p.candidate_capacity * supply.solid_total),
        (fac_heat, 0.8 * supply.heat_total),
    ):
        if mask.any():
            capacity[mask] = size[mask] / size[mask].sum() * total
    capacity = np.maximum(np.round(capacity, -3), 1_000.0)
    unit_capex = np.where(fac_heat, rng.uniform(20, 60, n_fac), rng.uniform(60, 120, n_fac))
    unit_capex = np.where(sibling_of >= 0, unit_capex[np.maximum(sibling_of, 0)] * 0.8, unit_capex)
    capex = np.where(candidate, np.round(unit_capex * capacity, -4), 0.0)
    fixed_opex = np.where(
        candidate, np.round(0.03 * capex, -3), np.round(rng.uniform(0.5, 3.0, n_fac) * 1e6, -3)
    )
    lifetime = np.where(candidate, rng.choice([15, 20, 25], n_fac).astype(str), "")
    group = np.array([""] * n_fac, dtype=object)
    for j in np.flatnonzero(sibling_of >= 0).tolist():
        group[j] = group[sibling_of[j]] = f"g{sibling_of[j] + 1:05d}"
    tech_of = {s[0]: s[5] for s in supply.solid}
    tech = np.array(
        [
            "heat_user" if fac_heat[j] else tech_of[str(supply.solid_ids[main[j]])]
            for j in range(n_fac)
        ],
        dtype=object,
    )
    return pd.DataFrame(
        {
            "facility": fac.ids,
            "name": [
                f"{t.replace('_', ' ')} {j + 1}{' (large)' if sibling_of[j] >= 0 else ''}"
                for j, t in enumerate(tech)
            ],
            "tech": tech,
            "site": fac.site,
            "status": np.where(candidate, "candidate", "existing"),
            "capacity": capacity,
            "capex": capex,
            "fixed_opex": fixed_opex,
            "lifetime": lifetime,
            "group": group,
        }
    )


def _draw_sites(
    rng: np.random.Generator,
    p: GenerateParams,
    parks: pd.DataFrame,
    sources: _Sources,
    fac: _Facilities,
) -> pd.DataFrame:
    """The sites table: sources, then facilities on a site of their own; ``rail_share`` of
    them with a siding; each given the prefecture of the nearest seat."""
    site_rail = rng.random(p.n_sources + p.facilities) < p.rail_share
    own = np.flatnonzero(fac.own_site)
    sites = pd.DataFrame(
        {
            "site": np.concatenate([sources.ids, fac.site[own]]),
            "name": [f"Source {i + 1}" for i in range(p.n_sources)]
            + [f"Plant site {j + 1}" for j in own],
            "park": np.concatenate([sources.park_id, parks["park"].to_numpy()[fac.park[own]]]),
            "prefecture": "",
            "lon": np.round(np.concatenate([sources.lon, fac.lon[own]]), 5),
            "lat": np.round(np.concatenate([sources.lat, fac.lat[own]]), 5),
            "rail": site_rail[: p.n_sources + len(own)].astype(int),
        }
    )
    sites["prefecture"] = _prefecture(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    return sites


def _streams_table(p: GenerateParams, supply: _Supply) -> pd.DataFrame:
    """The streams table: the solid streams (counted toward the target), then waste heat."""
    stream_rows = [[s[0], s[1], "solid", "t", s[2], s[3], 1] for s in supply.solid]
    if p.heat:
        stream_rows.append([HEAT, "Waste heat", "heat", "MWh", 0.0, 0.0, 0])
    return pd.DataFrame(
        stream_rows,
        columns=["stream", "name", "kind", "unit", "disposal_cost", "env_tax", "target"],
    )


def generate_tables(params: GenerateParams) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Draw the tables of a case (see the module docstring).

    Everything comes from one :class:`numpy.random.Generator` seeded with ``params.seed``,
    drawn in a fixed order: parks, source sites, supply, facilities, their inputs, their
    capacities and costs, the sites' rail sidings.

    Parameters
    ----------
    params : GenerateParams
        Sizes, seed and the shape of the network.

    Returns
    -------
    tables : dict[str, pandas.DataFrame]
        ``streams``, ``sites``, ``supply``, ``facilities``, ``facility_inputs`` and ``modes``,
        with the columns of the case format.
    parks : pandas.DataFrame
        The parks (``park``, ``name``, ``prefecture``, ``level``, ``lon``, ``lat``), for
        ``parks.geojson``.
    """
    p = params
    rng = np.random.default_rng(p.seed)
    parks = _draw_parks(rng, p)
    sources = _draw_sources(rng, p, parks)
    supply = _draw_supply(rng, p, sources)
    fac = _draw_facilities(rng, p, parks, sources, supply)
    inputs, main = _draw_inputs(rng, p, supply, fac)
    facilities = _draw_facility_table(rng, p, supply, fac, main)
    sites = _draw_sites(rng, p, parks, sources, fac)
    modes = _modes(p.road_km, p.rail_km, p.heat_km)
    if not p.heat:
        modes = modes.loc[modes["kind"] == "solid"].reset_index(drop=True)
    tables = {
        "streams": _streams_table(p, supply),
        "sites": sites,
        "supply": supply.frame,
        "facilities": facilities,
        "facility_inputs": inputs,
        "modes": modes,
    }
    return tables, parks


def max_deliverable(case: Case, arcs: pd.DataFrame) -> float:
    """The most the facilities (all candidates built) can take in of the target streams.

    A maximum flow from the supply rows over the candidate arcs (efficiency 1 for solid
    streams) into input rows (bounded by max_share x capacity), facilities (bounded by
    capacity) and a sink. Computed in whole kilotonnes rounded down (scipy's integer
    maximum flow), so the value returned is a lower bound that is certainly reachable.

    Parameters
    ----------
    case : Case
        The case.
    arcs : pandas.DataFrame
        Its candidate arcs (:func:`symbiosis.network.build_arcs`).

    Returns
    -------
    float
        Units per year (a multiple of 1,000); 0 when no arc carries a target stream.

    Raises
    ------
    ValueError
        Amounts too large for scipy's 32-bit integer maximum flow.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    counted = set(case.streams.loc[case.streams["target"] == 1, "stream"])
    a = arcs.loc[arcs["stream"].isin(counted)]
    if a.empty:
        return 0.0
    supply_kt = np.floor(case.supply["amount"].to_numpy() / 1000.0).astype(np.int64)
    inputs = case.facility_inputs
    fac = pd.Index(case.facilities["facility"])
    cap_kt = np.floor(case.facilities["capacity"].to_numpy() / 1000.0).astype(np.int64)
    in_fac = fac.get_indexer(inputs["facility"])
    share_kt = np.floor(
        inputs["max_share"].to_numpy() * case.facilities["capacity"].to_numpy()[in_fac] / 1000.0
    ).astype(np.int64)
    n_s, n_k, n_f = len(supply_kt), len(inputs), len(cap_kt)
    source, sink = 0, 1 + n_s + n_k + n_f
    pairs = np.unique(a[["supply_row", "input_row"]].to_numpy(dtype=np.int64), axis=0)
    used_s = np.unique(pairs[:, 0])
    used_k = np.unique(pairs[:, 1])
    used_f = np.unique(in_fac[used_k])
    tail = np.concatenate(
        [np.zeros(len(used_s), np.int64), 1 + pairs[:, 0], 1 + n_s + used_k, 1 + n_s + n_k + used_f]
    )
    head = np.concatenate(
        [
            1 + used_s,
            1 + n_s + pairs[:, 1],
            1 + n_s + n_k + in_fac[used_k],
            np.full(len(used_f), sink),
        ]
    )
    cap = np.concatenate(
        [supply_kt[used_s], supply_kt[pairs[:, 0]], share_kt[used_k], cap_kt[used_f]]
    )
    if cap.max(initial=0) >= 2**31:
        raise ValueError("amounts too large for the integer maximum flow")
    graph = csr_matrix((cap.astype(np.int32), (tail, head)), shape=(sink + 1, sink + 1))
    return 1000.0 * float(maximum_flow(graph, source, sink).flow_value)


def _write_case(out_dir: Path, tables: dict[str, pd.DataFrame], parks: pd.DataFrame) -> Path:
    case_dir = out_dir / "case"
    case_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(case_dir / f"{name}.csv", index=False, lineterminator="\n")
    geo = _park_geojson(parks, radius_km=5.0)
    (case_dir / "parks.geojson").write_text(json.dumps(geo), encoding="utf-8")
    return case_dir


def check_generated(tables: dict[str, pd.DataFrame], parks: pd.DataFrame, path: Path) -> Case:
    """Run the case checks of :mod:`symbiosis.case` on generated tables.

    Parameters
    ----------
    tables : dict[str, pandas.DataFrame]
        The tables of :func:`generate_tables`.
    parks : pandas.DataFrame
        Its parks (written as ``parks.geojson``).
    path : Path
        The case folder the tables are named after in messages.

    Returns
    -------
    Case
        The checked case.

    Raises
    ------
    CaseError
        A check of the case format fails.
    """
    raw = {name: raw_from_frame(frame, name, f"{name}.csv") for name, frame in tables.items()}
    return check_tables(raw, path, _park_geojson(parks, radius_km=5.0))


# The documented call of benchmarks, tests and the CLI, kept as it was; its five-parameter form
# is write_generated_case(out_dir, GenerateParams(...), ...).
def generate_case(  # noqa: PLR0913
    out_dir: str | Path,
    n_sources: int = 300,
    n_facilities: int | None = None,
    n_candidates: int | None = None,
    *,
    seed: int = 0,
    streams: int = 5,
    heat: bool = True,
    target_share: float = 0.8,
    name: str | None = None,
    overwrite: bool = False,
    **params: Any,
) -> GeneratedCase:
    """Write a random, reproducible case folder ``out_dir/case`` and ``out_dir/scenario.yaml``.

    The keyword form of :func:`write_generated_case` (what ``symbiosis generate`` and the
    benchmarks call): the sizes and drawing parameters are gathered in a
    :class:`GenerateParams`.

    Parameters
    ----------
    out_dir
        Folder to write into, by the output rule of :mod:`symbiosis.files`: created if new,
        replaced whole if it is a generated case, refused if it holds anything else
        (``overwrite``: written beside what is there, nothing of it replaced).
    n_sources
        Source sites (each with one or two solid supply rows, sometimes waste heat).
    n_facilities
        Facilities (existing + candidate); default ``round(0.53 x n_sources)``, the ratio of
        300 sources to 160 facilities.
    n_candidates
        How many of the facilities are candidate projects; default 60 %.
    seed
        Seed of the :class:`numpy.random.Generator`: the same arguments give the same files.
    streams
        Number of solid streams (plus one heat stream if ``heat``).
    heat
        Add a waste-heat stream, heat sources and heat users.
    target_share
        The scenario's total target as a share of :func:`max_deliverable` (0 < share <= 1).
    name
        The scenario's name (default ``generated-<sources>x<facilities>-seed<seed>``).
    overwrite
        Write beside what ``out_dir`` holds (see ``out_dir``).
    params
        Further fields of :class:`GenerateParams` (``road_km``, ``rail_km``, ``heat_km``,
        ``park_km``, ``rail_share``, ``n_parks``, ``existing_capacity``,
        ``candidate_capacity``).

    Returns
    -------
    GeneratedCase
        Paths and sizes. With the defaults and seed 0, 300 sources (160 facilities) give
        13.9k arcs and 28.4k model columns, 1,000 sources (533 facilities) 135k arcs and
        272k columns.

    Raises
    ------
    ValueError
        ``target_share`` or a size out of range.
    OutputRefused
        ``out_dir`` may not be written (:func:`symbiosis.files.claim`).
    """
    if not 0 < target_share <= 1:
        raise ValueError("target_share must be in (0, 1]")
    # checked in the same order as ever: target_share, the folder, then the sizes
    claim(out_dir, GENERATED_KIND, folder=True, overwrite=overwrite)
    drawn = GenerateParams(
        n_sources, n_facilities, n_candidates, seed=seed, streams=streams, heat=heat, **params
    )
    return write_generated_case(
        out_dir, drawn, target_share=target_share, name=name, overwrite=overwrite
    )


def write_generated_case(
    out_dir: str | Path,
    params: GenerateParams,
    *,
    target_share: float = 0.8,
    name: str | None = None,
    overwrite: bool = False,
) -> GeneratedCase:
    """Draw the case of ``params`` and write ``out_dir/case`` and ``out_dir/scenario.yaml``.

    The scenario asks for a total target of ``target_share`` of :func:`max_deliverable`,
    rounded down to whole kilotonnes, with a discount rate of 6 %.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into, by the output rule of :mod:`symbiosis.files` (see
        :func:`generate_case`).
    params : GenerateParams
        Sizes, seed and the shape of the network.
    target_share : float
        The total target as a share of :func:`max_deliverable` (0 < share <= 1).
    name : str or None
        The scenario's name (default ``generated-<sources>x<facilities>-seed<seed>``).
    overwrite : bool
        Write beside what ``out_dir`` holds, replacing none of it.

    Returns
    -------
    GeneratedCase
        Paths and sizes.

    Raises
    ------
    ValueError
        ``target_share`` out of range.
    OutputRefused
        ``out_dir`` may not be written (:func:`symbiosis.files.claim`).
    """
    if not 0 < target_share <= 1:
        raise ValueError("target_share must be in (0, 1]")
    claimed = claim(out_dir, GENERATED_KIND, folder=True, overwrite=overwrite)
    out = claimed.target
    tables, parks = generate_tables(params)
    case_dir = out / "case"
    case = check_generated(tables, parks, case_dir)
    arcs = build_arcs(case)
    reach = max_deliverable(case, arcs)
    target = math.floor(target_share * reach / 1000.0) * 1000.0
    scenario = {
        "name": name or f"generated-{params.n_sources}x{len(case.facilities)}-seed{params.seed}",
        "case": "case",
        "discount_rate": 0.06,
        "target": {"total": target},
    }
    scenario_path = out / "scenario.yaml"
    with staged(claimed) as stage:
        _write_case(stage.path, tables, parks)
        (stage.path / scenario_path.name).write_text(
            "# Generated by `symbiosis generate` (symbiosis.generate); random but reproducible.\n"
            + yaml.safe_dump(scenario, sort_keys=False),
            encoding="utf-8",
        )
    return GeneratedCase(
        path=case_dir,
        scenario=scenario_path,
        n_sources=params.n_sources,
        n_facilities=len(case.facilities),
        n_candidates=int((case.facilities["status"] == "candidate").sum()),
        n_supply_rows=len(case.supply),
        n_arcs=len(arcs),
        n_link_binaries=int((arcs["link_cost"] > 0).sum()),
        target_total=target,
        max_deliverable=reach,
        seed=params.seed,
    )


def count_arcs(n_sources: int, n_facilities: int | None = None, **params: Any) -> int:
    """The number of candidate arcs of the case :func:`generate_tables` draws (nothing is
    written).

    Parameters
    ----------
    n_sources : int
        Source sites.
    n_facilities : int or None
        Facilities (default: the ratio of :class:`GenerateParams`).
    params
        Further fields of :class:`GenerateParams` (``seed``, ``streams``, ...).

    Returns
    -------
    int
        The number of rows :func:`symbiosis.network.build_arcs` gives for the drawn case.
    """
    tables, parks = generate_tables(GenerateParams(n_sources, n_facilities, **params))
    case = check_generated(tables, parks, Path("generated"))
    return len(build_arcs(case))


def sizes_for_arcs(
    arcs: int, *, seed: int = 0, tolerance: float = 0.05, **kwargs: Any
) -> tuple[int, int]:
    """``(n_sources, n_facilities)`` whose generated case has about ``arcs`` candidate arcs.

    Facilities stay at the default ratio to sources, so arcs grow with ``n_sources^2``. A few
    secant steps on that law, each counting the arcs of the drawn case, come close; as every
    size is a fresh random draw (small cases vary by 10 % or so), the sizes next to the best
    one are then tried until one is within ``tolerance`` (relative). The closest found is
    returned if none is.

    Parameters
    ----------
    arcs : int
        The number of arcs aimed at (at least 100).
    seed : int
        Seed of the drawn cases.
    tolerance : float
        Relative distance to ``arcs`` accepted.
    kwargs
        Further fields of :class:`GenerateParams` (``streams``, ``heat``, ...).

    Returns
    -------
    tuple[int, int]
        ``(n_sources, n_facilities)``.
    """
    if arcs < 100:
        raise ValueError("aim at 100 arcs or more")
    tried: dict[int, float] = {}

    def error(n: int) -> float:
        if n not in tried:
            tried[n] = (count_arcs(n, None, seed=seed, **kwargs) - arcs) / arcs
        return tried[n]

    n = max(10, round(300 * math.sqrt(arcs / 13_000)))
    for _ in range(4):
        err = error(n)
        if abs(err) <= tolerance:
            return n, max(2, round(FACILITY_RATIO * n))
        n = max(10, round(n / math.sqrt(1.0 + err)))
    best = min(tried, key=lambda k: abs(tried[k]))
    for step in range(1, 9):
        for candidate in (best + step, best - step):
            if candidate >= 10 and abs(error(candidate)) <= tolerance:
                return candidate, max(2, round(FACILITY_RATIO * candidate))
    best = min(tried, key=lambda k: abs(tried[k]))
    return best, max(2, round(FACILITY_RATIO * best))


__all__ = [
    "GenerateParams",
    "GeneratedCase",
    "count_arcs",
    "generate_case",
    "generate_tables",
    "max_deliverable",
    "sizes_for_arcs",
    "write_generated_case",
]
