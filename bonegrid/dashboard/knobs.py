"""The dashboard's sliders: the main mechanisms a visitor can turn, grouped, in the words of the biology.

Two kinds of knob, because the model has two kinds of cause:

- *live* knobs set a systemic driver (:class:`bonegrid.drivers.Drivers`): a hormone, a drug dose,
  the diet. They act from the next simulated day: the model's driver schedule is rebuilt with the
  level held constant from then on (the scenario's own course is replaced).
- *restart* knobs set a cell or signal rate (a model parameter). Parameters are fixed when a
  :class:`~bonegrid.model.BoneModel` is built, so these build a new bone (with its burn-in year).

The one cause that is neither, a myeloma clone, has its own knob (:data:`MYELOMA_KNOB`): the
number of tumour cells a visitor seeds into the running bone.

A knob at its scenario value sends nothing, so the scenario's own time courses are kept until
the visitor moves it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import bonegrid.overrides as override_names
from bonegrid.drivers import Drivers
from bonegrid.scenarios import Scenario

RANKL_SOURCES = ("rankl_osteocyte_pM_per_day", "rankl_apoptotic_osteocyte_pM_per_day", "rankl_surface_pM_per_day")
"""Every RANKL secretion rate of the bone's own cells (scaled together by the RANKL knob)."""
OPG_SOURCES = ("opg_osteoblast_pM_per_day", "opg_marrow_pM_per_day")
"""Every OPG secretion rate (scaled together by the OPG knob)."""
_MULTIPLIERS = {"rankl_production": RANKL_SOURCES, "opg_production": OPG_SOURCES}


@dataclasses.dataclass(frozen=True)
class Knob:
    """One slider.

    Attributes
    ----------
    key : str
        A driver name (live knob), a model parameter name, or ``rankl_production`` /
        ``opg_production`` (multipliers of :data:`RANKL_SOURCES` / :data:`OPG_SOURCES`).
    label, unit : str
    low, high, step : float
        Slider range and step, in ``unit``.
    group : str
        Heading the knob is shown under.
    help : str
        What turning it does, in one sentence.
    """

    key: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    group: str
    help: str

    def __post_init__(self) -> None:
        """Check the key: a multiplier, a driver or a model parameter (:mod:`bonegrid.overrides`)."""
        if self.key not in _MULTIPLIERS and override_names.kind(self.key) not in ("driver", "model"):
            raise ValueError(f"knob {self.key!r} must set a driver or a model parameter")

    @property
    def live(self) -> bool:
        """True for a driver (held from the next day), False for a model parameter.

        A restart knob's parameter builds a new bone; :data:`MYELOMA_KNOB`'s seeds cells into the running one.
        """
        return self.key not in _MULTIPLIERS and override_names.kind(self.key) == "driver"

    def scenario_value(self, scenario: Scenario, day: float = 0.0) -> float:
        """Return the value the scenario gives this knob (drivers: on ``day``; multipliers: 1)."""
        if self.live:
            return float(getattr(scenario.schedule()(day), self.key))
        if self.key in _MULTIPLIERS:
            return 1.0
        overrides = scenario.model_parameters()
        if self.key in overrides:
            return float(overrides[self.key])
        return float(override_names.default(self.key))


def live_knob(key: str, label: str, unit: str, step: float, group: str, help: str, high: float | None = None) -> Knob:
    """Return the live knob of driver ``key``, spanning the driver's declared range (:class:`bonegrid.drivers.Drivers`).

    ``high`` caps the slider below the declared maximum where that reaches levels only a scenario sets
    (a methylprednisolone pulse of 1000 mg/day on a dose slider meant for 5-60 mg/day): the slider keeps
    a useful resolution, and a scenario level above it is shown, not sent
    (:func:`~bonegrid.dashboard.controls.LabelledSlider`).
    """
    meta = Drivers.__dataclass_fields__[key].metadata
    top = meta["high"] if high is None else high
    if not meta["low"] < top <= meta["high"]:
        raise ValueError(f"knob {key!r}: high={top!r} must lie in the driver's range ({meta['low']}, {meta['high']}]")
    return Knob(key, label, unit, meta["low"], top, step, group, help)


LIVE_KNOBS: tuple[Knob, ...] = (
    live_knob("glucocorticoid", "Glucocorticoid dose", "mg/day prednisolone", 2.5, "Hormones and drugs",
              "kills osteoblasts and osteocytes, raises RANKL, blocks calcium uptake in the gut", high=80.0),
    live_knob("estrogen", "Estrogen", "x premenopausal", 0.05, "Hormones and drugs",
              "estrogen keeps RANKL down and shortens osteoclast life; menopause takes it away"),
    live_knob("lithium_mmol_per_l", "Lithium", "mmol/L in serum", 0.1, "Hormones and drugs",
              "lithium raises the parathyroids' calcium set point (more PTH) and switches on Wnt (more OPG, "
              "more osteoblasts): bone comes out about even"),
    live_knob("parathyroid_set_point", "Parathyroid adenoma", "x normal set point", 0.02, "Hormones and drugs",
              "an adenoma defends a higher calcium: PTH stays high although calcium is high (primary "
              "hyperparathyroidism)"),
    live_knob("calcitriol_ug_per_day", "Calcitriol (active vitamin D)", "ug/day", 0.25, "Hormones and drugs",
              "replaces the vitamin D the kidney no longer activates; too much holds PTH down and bone falls quiet"),
    live_knob("egfr_ml_per_min", "Kidney function (eGFR)", "mL/min/1.73 m²", 5.0, "Disease",
              "failing kidneys retain phosphate and make less calcitriol: FGF23, then PTH, then phosphate rise"),
    live_knob("thyroid", "Thyroid hormone", "x normal", 0.1, "Hormones and drugs",
              "too much thyroid hormone speeds every bone cell up: more pits dug than refilled"),
    live_knob("cytokines", "Inflammatory cytokines", "0 = none", 0.25, "Disease",
              "TNF, IL-1 and IL-6 from inflamed tissue raise RANKL and hold osteoblasts back"),
    live_knob("synovitis", "Synovitis (pannus at the left border)", "x active RA", 0.1, "Disease",
              "an inflamed joint lining at the left edge makes RANKL, TNF and DKK1: osteoclasts erode the margin "
              "and osteoblasts do not repair it"),
    live_knob("gut_absorption", "Gut absorption", "x healthy gut", 0.05, "Diet",
              "a damaged gut (celiac disease) absorbs less calcium and vitamin D"),
    live_knob("vitamin_d_supply", "Vitamin D supply", "x sufficient", 0.1, "Diet",
              "vitamin D lets the gut absorb calcium and lets osteoid mineralise"),
    live_knob("mechanical_loading", "Mechanical loading", "x habitual", 0.1, "Disease",
              "osteocytes sense load; bed rest or paralysis (below 1) makes them call for resorption and "
              "hold formation back; more than habitual (above 1) wakes lining cells on the most strained "
              "trabeculae to lay bone, a gain that fades over months as the cells get used to the load"),
    live_knob("vitamin_c", "Vitamin C", "x replete", 0.05, "Diet",
              "osteoblasts need vitamin C to make collagen: without it (scurvy) pits are dug but hardly refilled"),
    live_knob("dietary_calcium_mg_per_day", "Calcium intake", "mg/day", 50.0, "Diet",
              "too little calcium raises PTH, which raises RANKL to take calcium from bone", high=3000.0),
    live_knob("bilirubin_umol_per_l", "Bilirubin", "umol/L in serum", 5.0, "Disease",
              "a liver that cannot pass bile keeps bilirubin (jaundice above ~50): it holds osteoblasts back",
              high=300.0),
    live_knob("liver_function", "Liver function", "x healthy liver", 0.05, "Disease",
              "a cirrhotic liver makes less albumin, clotting factors, IGF-1 (fewer osteoblasts) and 25(OH)D"),
    live_knob("alcohol_g_per_day", "Alcohol", "g/day (a drink ~10-14 g)", 10.0, "Habits",
              "heavy drinking poisons osteoblasts (less new bone, pits left half-filled) and kills osteocytes; "
              "stopping lets them recover", high=200.0),
    live_knob("cigarettes_per_day", "Smoking", "cigarettes/day", 5.0, "Habits",
              "smoking lowers vitamin D, raises resorption a little, and makes the liver clear estrogen pills "
              "faster"),
)
"""Drivers the visitor can change mid-run: every systemic cause a built-in scenario uses."""

MYELOMA_KNOB = Knob(
    "myeloma_seed_cells", "Myeloma tumour to seed", "cells", 10.0, 300.0, 10.0, "Disease",
    "malignant plasma cells placed in the marrow at the centre of the slice. They make osteoclasts dig and keep "
    "osteoblasts away, so a hole grows around them. Removing them (as a complete remission would) stops the "
    "digging; the hole stays")
"""How many myeloma cells a visitor seeds mid-run (:meth:`bonegrid.agents.myeloma.MyelomaClone.seed_on`): the
scenario's own clone is this parameter, seeded when the run starts."""

RESTART_KNOBS: tuple[Knob, ...] = (
    Knob("rankl_production", "RANKL production", "x normal", 0.25, 4.0, 0.25, "The RANKL/OPG switch",
         "RANKL from osteocytes and lining cells calls osteoclasts into being"),
    Knob("opg_production", "OPG production", "x normal", 0.25, 4.0, 0.25, "The RANKL/OPG switch",
         "OPG from osteoblasts and marrow catches RANKL before it reaches osteoclast precursors"),
    Knob("osteoclast_lifespan_days", "Osteoclast lifespan", "days", 4.0, 40.0, 1.0, "Cell lifespans",
         "longer-lived osteoclasts dig deeper pits"),
    Knob("osteoblast_lifespan_days", "Osteoblast lifespan", "days", 20.0, 200.0, 5.0, "Cell lifespans",
         "short-lived osteoblasts die before the pit is refilled: each cycle loses bone"),
    Knob("pth_calcium_half_mmol_per_l", "Parathyroid set point", "mmol/L calcium", 2.0, 2.6, 0.02, "Parathyroid",
         "the calcium level the parathyroid glands defend; raise it for primary hyperparathyroidism "
                "(more PTH at every calcium)"),
)
"""Rates the visitor can change for a new bone."""



def knob_levels(drivers: Drivers) -> tuple[float, ...]:
    """Each live knob's driver level in ``drivers`` (:data:`LIVE_KNOBS` order), to the 3 significant digits shown.

    The causes card redraws only when one of these changes, not on every frame.
    """
    return tuple(float(f"{getattr(drivers, knob.key):.3g}") for knob in LIVE_KNOBS)


def rate_overrides(values: Mapping[str, float], scenario: Scenario) -> dict[str, float]:
    """Model-parameter overrides for restart-knob ``values`` (knob key -> slider value).

    Multipliers scale the scenario's own rates (or the defaults); a knob at its scenario value
    gives no override.
    """
    knobs = {k.key: k for k in RESTART_KNOBS}
    own = scenario.model_parameters()
    out: dict[str, float] = {}
    for key, value in values.items():
        if key not in knobs:
            raise KeyError(f"unknown rate knob {key!r}: allowed {', '.join(knobs)}")
        if value == knobs[key].scenario_value(scenario):
            continue
        for name in _MULTIPLIERS.get(key, (key,)):
            base = own[name] if name in own else override_names.default(name)
            out[name] = float(base) * value if key in _MULTIPLIERS else float(value)
    return out


__all__ = ["LIVE_KNOBS", "MYELOMA_KNOB", "OPG_SOURCES", "RANKL_SOURCES", "RESTART_KNOBS", "Knob", "knob_levels", "live_knob",
           "rate_overrides"]
