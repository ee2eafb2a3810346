"""What people call a case's technologies and transport modes, in the current language: the
one owner of the words for tech and mode ids (:func:`tech_label`, :func:`mode_label`), which
``compare``'s explanation, the reports (:mod:`symbiosis.report.labels`) and the maps use.

The ids stay the keys everywhere (facilities.csv's ``tech``, modes.csv's ``mode``); an id not
listed here is shown as it is (a case may name its own: add a case's new tech to
:data:`TECHS`).
"""

from __future__ import annotations

from typing import Any

from symbiosis.i18n import N_, _


def _text(value: Any) -> str:
    return "" if value is None else str(value)


#: technologies (facilities.csv's ``tech``) -> words (translated when shown); a tech not
#: listed is shown as its id
TECHS: dict[str, str] = {
    "aac_block": N_("autoclaved aerated concrete blocks"),
    "aggregate": N_("aggregate"),
    "backfill": N_("mine backfill"),
    "brick_block": N_("bricks and blocks"),
    "bricks": N_("bricks"),
    "building_materials": N_("building materials"),
    "cement_grinding": N_("cement grinding"),
    "cement_kiln": N_("cement kiln"),
    "district_heat": N_("district heating"),
    "drying": N_("drying"),
    "eco_restoration": N_("ecological restoration"),
    "emr_calcination": N_("manganese residue calcination"),
    "emr_stabilisation": N_("manganese residue stabilisation"),
    "fly_ash_concrete": N_("fly ash in concrete"),
    "gangue_full_use": N_("full use of coal gangue"),
    "gangue_power": N_("gangue power plant"),
    "greenhouse": N_("greenhouse"),
    "gypsum_board": N_("gypsum board"),
    "gypsum_powder": N_("building gypsum powder"),
    "heat_user": N_("heat user"),
    "land_fill": N_("fill for land reclamation"),
    "pg_acid_cement": N_("phosphogypsum to sulphuric acid and cement"),
    "pg_prefab": N_("phosphogypsum precast products"),
    "plaster": N_("plaster"),
    "power_plant": N_("power plant"),
    "red_mud_iron": N_("iron recovery from red mud"),
    "red_mud_pilot": N_("red mud pilot plant"),
    "road_base": N_("road base"),
    "slag_brick": N_("slag bricks"),
    "slag_powder": N_("slag powder"),
    "steel_slag_powder": N_("steel slag powder"),
    "steel_slag_processing": N_("steel slag processing"),
    "utilisation_base": N_("comprehensive-utilisation base"),
}
#: transport modes (modes.csv's ``mode``, and ``onsite``) -> words; others as their id
MODES: dict[str, str] = {
    "road": N_("road"),
    "rail": N_("rail"),
    "heat_pipe": N_("heat pipe"),
    "onsite": N_("on site (no transport)"),
}


def tech_label(tech: Any) -> str:
    """A technology id (``cement_kiln``) in words, in the current language.

    Parameters
    ----------
    tech : Any
        facilities.csv's ``tech``.

    Returns
    -------
    str
        Its words (:data:`TECHS`: ``cement kiln``, ``水泥窑``), or the id as it is for a
        tech not listed (a case may name its own).
    """
    return _(TECHS[tech]) if tech in TECHS else _text(tech)


def mode_label(mode: Any) -> str:
    """A transport mode id (``heat_pipe``) in words, in the current language.

    Parameters
    ----------
    mode : Any
        modes.csv's ``mode`` (or ``onsite``).

    Returns
    -------
    str
        Its words (:data:`MODES`: ``heat pipe``, ``供热管道``), or the id as it is.
    """
    return _(MODES[mode]) if mode in MODES else _text(mode)


__all__ = ["MODES", "TECHS", "mode_label", "tech_label"]
