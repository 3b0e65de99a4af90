"""The sidebar: choose a patient, run the clock, change a cause, start a treatment."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping

import reacton.core
import solara

import bonegrid.dashboard.explanations as explanations
from bonegrid.constants import DAYS_PER_YEAR, SITES
from bonegrid.dashboard.knobs import LIVE_KNOBS, MYELOMA_KNOB, RESTART_KNOBS, Knob
from bonegrid.dashboard.server import GRIDS
from bonegrid.dashboard.session import Frame, Setup, Tumour
from bonegrid.dashboard.text import note, prose
from bonegrid.scenarios import Scenario, load_scenario, scenario_names
from bonegrid.treatments import TREATMENTS, Treatment


@functools.cache
def scenario(name: str) -> Scenario:
    """Load a built-in scenario once per process (scenarios are immutable)."""
    return load_scenario(name)


def short_title(name: str) -> str:
    """Return a scenario's title without its details in brackets (``"Glucocorticoid excess"``)."""
    return scenario(name).title.split(" (")[0]


@solara.component
def LabelledSlider(label: str, value: float, low: float, high: float, step: float,
                   on_value: Callable[[float], None], help_text: str):
    """Render a float slider with its label and value above and a line of help below (for a narrow sidebar).

    A ``value`` outside ``[low, high]`` (a scenario's level beyond the visitor's range) is shown in the
    label while the slider is given its end: the browser then has nothing to clamp and send back, so
    the scenario's level stays until the visitor moves the slider.
    """
    note(f"{label}: <b>{value:g}</b>", size=13, colour="#222")
    solara.SliderFloat("", value=min(max(value, low), high), min=low, max=high, step=step, on_value=on_value)
    note(help_text)


def _groups(knobs: tuple[Knob, ...]) -> dict[str, list[Knob]]:
    groups: dict[str, list[Knob]] = {}
    for knob in knobs:
        groups.setdefault(knob.group, []).append(knob)
    return groups


@solara.component
def ScenarioCard(setup: Setup, on_scenario: Callable[[str], None]):
    """Render the scenario picker with the scenario's plain-language story."""
    titles = {short_title(n): n for n in scenario_names()}
    chosen = scenario(setup.scenario)
    with solara.Card("Choose a cause", classes=["bg-scenario"]):
        solara.Select("Scenario", values=list(titles), value=short_title(setup.scenario),
                      on_value=lambda title: on_scenario(titles[title]), classes=["bg-scenario-select"])
        note(chosen.title, size=13, colour="#222", bold=True)
        prose(chosen.description)


@solara.component
def SetupCard(setup: Setup, pending: solara.Reactive[Setup], on_apply: Callable[[], None], mystery: bool):
    """Render the patient (age, site), seed, grid and the cell and signal rates, applied on restart."""
    patient = pending.value.patient_scenario() if not mystery else None
    rates = dict(pending.value.rates)

    def edit(**changes):
        pending.set(dataclasses.replace(pending.value, **changes))

    def set_rate(key: str, value: float):
        edit(rates=tuple(sorted({**rates, key: float(value)}.items())))

    with solara.Card("The patient and the bone", classes=["bg-setup"]):
        if patient is not None:
            note(f"{patient.sex}, {patient.age_years:g} years at the start, {patient.site}", size=13, colour="#222")
            LabelledSlider("Age at the start (years)", patient.age_years, 20, 85, 1,
                           lambda v: edit(age_years=float(v)), "sets the DXA references (T- and Z-score)")
            solara.ToggleButtonsSingle(value=patient.site, values=list(SITES),
                                       on_value=lambda v: edit(site=v), dense=True)
        with solara.Row(style={"margin-top": "12px"}):
            solara.InputInt("Seed", value=pending.value.seed,
                            on_value=lambda v: edit(seed=max(int(v or 0), 0)), classes=["bg-seed"])
            solara.Select("Grid (voxels per side)", values=list(GRIDS), value=pending.value.grid,
                          on_value=lambda v: edit(grid=int(v)))
        solara.Switch(label="Run a healthy twin beside it", value=pending.value.twin, on_value=lambda v: edit(twin=v))
        if not mystery:
            for group, knobs in _groups(RESTART_KNOBS).items():
                note(group, size=13, colour="#222", bold=True)
                for knob in knobs:
                    value = rates.get(knob.key, knob.scenario_value(scenario(pending.value.scenario)))
                    LabelledSlider(f"{knob.label} ({knob.unit})", value, knob.low, knob.high, knob.step,
                                   functools.partial(set_rate, knob.key), knob.help)
            prose(explanations.RATES, size=12)
        changed = pending.value != setup
        solara.Button("Restart with these settings", color="primary" if changed else None, disabled=not changed,
                      on_click=on_apply, classes=["bg-apply"])
        note(explanations.SETUP)


@solara.component
def RunCard(frame: solara.Reactive[Frame | None], playing: solara.Reactive[bool], on_step: Callable[[], None],
            on_reset: Callable[[], None], days_per_frame: solara.Reactive[int], pause_ms: solara.Reactive[int],
            busy: bool, last_ms: reacton.core.Ref[float | None]):
    """Render play / pause / step / reset, the speed (days per picture) and the pause between pictures.

    ``last_ms`` holds the server time of the frame before this one (step, picture and page update), ms.
    """
    with solara.Card("Run", classes=["bg-run"]):
        with solara.Row():
            solara.Button("Pause" if playing.value else "Play", icon_name="mdi-pause" if playing.value else "mdi-play",
                          color="primary", on_click=lambda: playing.set(not playing.value), disabled=busy,
                          classes=["bg-play"])
            solara.Button(f"Step +{days_per_frame.value} d", on_click=on_step, disabled=busy or playing.value,
                          classes=["bg-step"])
            solara.Button("Reset", icon_name="mdi-restore", on_click=on_reset, disabled=busy, classes=["bg-reset"])
        LabelledSlider("Speed: days per picture", days_per_frame.value, 1, 60, 1,
                       lambda v: days_per_frame.set(int(v)), "more days between pictures: faster on large grids")
        LabelledSlider("Pause between pictures (ms)", pause_ms.value, 0, 1000, 50, lambda v: pause_ms.set(int(v)),
                       "slow the film down")
        DayLine(frame, last_ms)


@solara.component
def DayLine(frame: solara.Reactive[Frame | None], last_ms: reacton.core.Ref[float | None]):
    """Render the frame's day and the server time of the frame before it (the only part of the run card a frame changes)."""
    if frame.value is None:
        return
    day = frame.value.day
    timing = f" · last step + redraw {last_ms.current:.0f} ms on the server" if last_ms.current is not None else ""
    solara.HTML(tag="div", unsafe_innerHTML=f"Day {day} ({day / DAYS_PER_YEAR:.2f} years){timing}",
                style="font-size:13px", classes=["bg-day"])


@solara.component
def CausesCard(tumour: solara.Reactive[Tumour], today: solara.Reactive[tuple[float, ...]],
               levels: solara.Reactive[Mapping[str, float]], on_level: Callable[[str, float], None],
               on_seed: Callable[[int], None], on_remove: Callable[[], None]):
    """Render the sliders of the live causes (drivers), grouped, each with today's level, and the myeloma clone.

    ``today`` holds :func:`~bonegrid.dashboard.knobs.knob_levels` of today's drivers and ``tumour`` the
    frame's :class:`~bonegrid.dashboard.session.Tumour`: a new frame redraws the card only where what it
    shows changed.
    """
    shown = dict(zip((knob.key for knob in LIVE_KNOBS), today.value, strict=True))
    with solara.Card("Change a cause", subtitle=explanations.LIVE, classes=["bg-causes"]):
        for group, knobs in _groups(LIVE_KNOBS).items():
            note(group, size=13, colour="#222", bold=True)
            for knob in knobs:
                level = shown[knob.key]
                LabelledSlider(f"{knob.label} ({knob.unit})", levels.value.get(knob.key, level), knob.low, knob.high,
                               knob.step, functools.partial(on_level, knob.key), f"today {level:g} · {knob.help}")
            if group == MYELOMA_KNOB.group:
                MyelomaControl(tumour, on_seed, on_remove)


def myeloma_status(tumour: Tumour) -> str:
    """Say what myeloma the patient has today and what the next step will do to it."""
    now = f"Today: {tumour.cells} tumour cells." if tumour.cells else "Today: no tumour."
    if tumour.removal:
        return f"{now} The tumour is removed at the next step."
    if tumour.planned:
        return f"{now} {tumour.planned} cells are seeded at the next step."
    return now


@solara.component
def MyelomaControl(tumour: solara.Reactive[Tumour], on_seed: Callable[[int], None], on_remove: Callable[[], None]):
    """Render the myeloma clone: how many cells to seed, Seed (or Add) and Remove, and what the patient has today."""
    knob = MYELOMA_KNOB
    state = tumour.value
    cells = solara.use_reactive(int(knob.scenario_value(scenario("myeloma"))))
    has_tumour = state.cells > 0 or state.planned > 0
    LabelledSlider(f"{knob.label} ({knob.unit})", cells.value, knob.low, knob.high, knob.step,
                   lambda v: cells.set(int(v)), knob.help)
    with solara.Row(style={"flex-wrap": "wrap", "margin": "4px 0"}):
        solara.Button(f"Add {cells.value} cells" if has_tumour else f"Seed {cells.value} cells",
                      on_click=lambda: on_seed(cells.value), dense=True, classes=["bg-myeloma-seed"])
        solara.Button("Remove the tumour", on_click=on_remove, disabled=not has_tumour or state.removal,
                      dense=True, classes=["bg-myeloma-remove"])
    note(myeloma_status(state), size=12, colour="#222")


@solara.component
def TreatmentsCard(treatments: solara.Reactive[tuple[Treatment, ...]], on_toggle: Callable[[str, bool], None]):
    """Render a switch per treatment (``treatments``: those given so far): on starts it today, off stops it."""
    running = {t.name: t.start_day for t in treatments.value if t.stop_day == float("inf")}
    with solara.Card("Treat", subtitle=explanations.TREATMENTS, classes=["bg-treatments"]):
        for name, (description, _rule) in TREATMENTS.items():
            label = description + (f" (since day {running[name]:g})" if name in running else "")
            solara.Switch(label=label, value=name in running, on_value=functools.partial(on_toggle, name),
                          classes=[f"bg-treat-{name}"])


__all__ = ["CausesCard", "DayLine", "MyelomaControl", "RunCard", "ScenarioCard", "SetupCard", "TreatmentsCard",
           "myeloma_status", "scenario", "short_title"]
