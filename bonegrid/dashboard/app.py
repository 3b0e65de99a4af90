"""The dashboard page (``Page``, served by Solara): one visitor's bone, clinic and controls.

All state lives in this component (``solara.use_reactive``), and Solara keeps one component tree
per browser connection, so every visitor has their own :class:`~bonegrid.dashboard.session.Session`
and one visitor's play never moves another's slice. The play loop runs in a thread per visitor
(``solara.lab.use_task``); it and the buttons step the models under the session's lock.
"""

from __future__ import annotations

import dataclasses
import os
import time

import reacton.core
import solara
import solara.lab

import bonegrid.dashboard.explanations as explanations
from bonegrid.constants import DEFAULT_GRID
from bonegrid.dashboard.clinic import Charts, DXACard, LabsCard
from bonegrid.dashboard.controls import (
    CausesCard,
    RunCard,
    ScenarioCard,
    SetupCard,
    TreatmentsCard,
    scenario,
    short_title,
)
from bonegrid.dashboard.knobs import knob_levels
from bonegrid.dashboard.mystery import MysteryCard
from bonegrid.dashboard.server import GRID_ENV
from bonegrid.dashboard.session import Frame, Session, Setup, Tumour, mystery_setup
from bonegrid.dashboard.slice_view import SliceCard, TwinCard
from bonegrid.dashboard.text import CSS, prose

DEFAULT_DAYS_PER_FRAME = 5
DEFAULT_PAUSE_MS = 100


def default_setup() -> Setup:
    """Return the setup a new visitor starts with: a healthy bone at the server's default grid."""
    return Setup(grid=int(os.environ.get(GRID_ENV, DEFAULT_GRID)))


@solara.component
def Page():
    """Render the whole dashboard for one visitor."""
    setup = solara.use_reactive(default_setup())
    pending = solara.use_reactive(setup.value)
    generation = solara.use_reactive(0)
    session = solara.use_reactive(None)
    frame = solara.use_reactive(None)
    overlay = solara.use_reactive("none")
    levels = solara.use_reactive({})
    playing = solara.use_reactive(False)
    days_per_frame = solara.use_reactive(DEFAULT_DAYS_PER_FRAME)
    pause_ms = solara.use_reactive(DEFAULT_PAUSE_MS)
    last_ms = solara.use_ref(None)  # the previous frame's server time, ms: shown with the next frame, no render of its own
    today = solara.use_reactive(())  # knob_levels of the frame's drivers: the causes card redraws when they change
    treatments = solara.use_reactive(())  # the frame's treatments: the treatment card redraws when they change
    tumour = solara.use_reactive(Tumour(0, 0, False))  # the frame's myeloma clone, for the causes card

    render_context = reacton.core.get_render_context()

    def show(new: Frame):
        """Put a new frame on the page in one render (each card redraws only if what it shows changed)."""
        with render_context:  # a batch: the browser never gets the frame's pictures before its causes card
            frame.set(new)
            today.set(knob_levels(new.drivers))
            treatments.set(new.treatments)
            tumour.set(new.tumour)

    def build():
        playing.set(False)
        built = Session(setup.value)
        levels.set({})
        show(built.frame(overlay.value))
        session.set(built)

    building = solara.lab.use_task(build, dependencies=[setup.value, generation.value], raise_error=False)

    def advance():
        """One frame: step the models ``days_per_frame`` days, then redraw (the page shows the previous frame's time)."""
        start = time.perf_counter()
        session.value.step(days_per_frame.value)
        show(session.value.frame(overlay.value))
        last_ms.current = 1000.0 * (time.perf_counter() - start)

    def play_loop():
        while playing.value and session.value is not None:
            start = time.perf_counter()
            advance()
            time.sleep(max(pause_ms.value / 1000.0 - (time.perf_counter() - start), 0.0))

    solara.lab.use_task(play_loop, dependencies=[playing.value, session.value])

    def redraw():
        if session.value is not None and not playing.value:
            show(session.value.frame(overlay.value))

    def choose_overlay(key: str):
        overlay.set(key)
        redraw()

    def choose_scenario(name: str):
        new = Setup(scenario=name, seed=pending.value.seed, grid=pending.value.grid, twin=pending.value.twin)
        pending.set(new)
        setup.set(new)

    def apply_setup():
        setup.set(pending.value)

    def set_level(key: str, value: float):
        levels.set({**levels.value, key: float(value)})
        session.value.set_driver(key, value)
        redraw()

    def seed_myeloma(cells: int):
        session.value.seed_myeloma(cells)
        redraw()

    def remove_myeloma():
        session.value.remove_myeloma()
        redraw()

    def toggle_treatment(name: str, on: bool):
        (session.value.start_treatment if on else session.value.stop_treatment)(name)
        redraw()

    def toggle_mystery(on: bool):
        new = mystery_setup(pending.value.seed, pending.value) if on else dataclasses.replace(
            default_setup(), seed=pending.value.seed, grid=pending.value.grid, twin=pending.value.twin)
        pending.set(new)
        setup.set(new)

    def new_mystery():
        new = mystery_setup(pending.value.seed + 1, pending.value)
        pending.set(new)
        setup.set(new)

    mystery = setup.value.mystery
    busy = building.pending or session.value is None

    solara.Title("bonegrid: watch bone remodel")
    solara.Style(".bg-slice img, img.bg-slice { image-rendering: pixelated; } " + CSS)
    with solara.AppBar():
        solara.AppBarTitle("bonegrid: watch bone remodel, change a cause, read the clinic")
        solara.Switch(label="Mystery patient", value=mystery, on_value=toggle_mystery, classes=["bg-mystery-switch"])

    with solara.Sidebar():
        if mystery:
            with solara.Card("Mystery patient", classes=["bg-scenario"]):
                solara.Text(f"Case #{setup.value.seed}: the cause is hidden.")
                solara.Button("Another patient", on_click=new_mystery, classes=["bg-new-mystery"])
        else:
            ScenarioCard(setup.value, choose_scenario)
        RunCard(frame, playing, advance, lambda: generation.set(generation.value + 1), days_per_frame, pause_ms, busy,
                last_ms)
        if not busy and not mystery:
            CausesCard(tumour, today, levels, set_level, seed_myeloma, remove_myeloma)
            TreatmentsCard(treatments, toggle_treatment)
        SetupCard(setup.value, pending, apply_setup, mystery)

    if building.error:
        solara.Error(f"This bone could not be built: {building.exception}. Change the settings and restart.")
        return
    if busy:
        Building(setup.value)
        return
    MainArea(frame, session.value, overlay.value, choose_overlay)


@solara.component
def MainArea(frame: solara.Reactive[Frame], session: Session, overlay: str, on_overlay):
    """Render the slices and the clinic. Only the parts that show the frame read it, so only they redraw with each one."""
    mystery = session.setup.mystery
    if not mystery:
        solara.Info(explanations.START, classes=["bg-start"])
    with solara.Columns([1, 1]):
        title = "Patient" if mystery else f"Patient: {short_title(session.setup.scenario)}"
        SliceCard(frame, overlay, on_overlay, title)
        if session.twin is not None:
            TwinCard(frame)
        else:
            prose(explanations.TWIN)
    if mystery:
        MysteryOnDay(frame, session)
    with solara.Columns([1, 1]):
        DXACard(frame)
        LabsCard(frame)
    Charts(frame)


@solara.component
def MysteryOnDay(frame: solara.Reactive[Frame], session: Session):
    """Render the mystery card for the frame's day."""
    MysteryCard(session, frame.value.day)


@solara.component
def Building(setup: Setup):
    """Render what a visitor sees while a bone is built: a progress note and what is coming (or the case number)."""
    with solara.Column(style={"max-width": "720px", "margin": "40px auto"}):
        with solara.Row(style={"align-items": "center"}):
            solara.SpinnerSolara(size="40px")
            prose(explanations.BUILDING, size=15, classes=["bg-building"])
        if setup.mystery:
            prose(explanations.MYSTERY)
        else:
            chosen = scenario(setup.scenario)
            prose(f"**{chosen.title}.** {chosen.description}")
            prose(explanations.SLICE)
