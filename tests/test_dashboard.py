"""The dashboard without a browser: knobs, sessions, the slice picture, the charts, and components via solara.render."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import io
import math
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
from PIL import Image

solara = pytest.importorskip("solara")

import reacton.core  # noqa: E402
from solara import widgets  # noqa: E402

import bonegrid.dashboard  # noqa: E402
from bonegrid.dashboard import add_command, run_command  # noqa: E402
from bonegrid.dashboard.charts import bmd_chart, bone_volume_chart, calcium_chart, markers_chart  # noqa: E402
from bonegrid.dashboard.clinic import LAB_DECIMALS, DXACard, LabsCard, clinical  # noqa: E402
from bonegrid.dashboard.controls import (  # noqa: E402
    CausesCard,
    LabelledSlider,
    RunCard,
    SetupCard,
    TreatmentsCard,
    myeloma_status,
)
from bonegrid.dashboard.knobs import (  # noqa: E402
    LIVE_KNOBS,
    MYELOMA_KNOB,
    OPG_SOURCES,
    RANKL_SOURCES,
    RESTART_KNOBS,
    knob_levels,
    live_knob,
    rate_overrides,
)
from bonegrid.dashboard.mystery import MysteryCard  # noqa: E402
from bonegrid.dashboard.router import MISSPELT, SPELT, Router, mend_router, solara_template  # noqa: E402
from bonegrid.dashboard.server import FAST_RENDERER, check_offline_assets  # noqa: E402
from bonegrid.dashboard.session import MAX_POINTS, Session, Setup, day0_model, mystery_setup, thinned  # noqa: E402
from bonegrid.dashboard.slice_image import GLYPHS, OVERLAYS, png_bytes, render_rgb, scale_for  # noqa: E402
from bonegrid.drivers import Drivers  # noqa: E402
from bonegrid.model import BoneModel, ModelParameters  # noqa: E402
from bonegrid.readouts import dxa  # noqa: E402
from bonegrid.readouts.differential import Cause  # noqa: E402
from bonegrid.readouts.panel import NORMAL_RANGES, Result  # noqa: E402
from bonegrid.readouts.panel import Test as LabTest  # noqa: E402
from bonegrid.scenarios import Scenario, load_scenario, scenario_names  # noqa: E402
from bonegrid.secretion import SecretionParameters  # noqa: E402

SMALL = dict(grid=64)


@pytest.fixture(autouse=True)
def fast_renderer(monkeypatch):
    """Render components with the renderer the server uses."""
    for name, value in FAST_RENDERER.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def session():
    """A small glucocorticoid patient with its healthy twin (64² for speed)."""
    return Session(Setup(scenario="glucocorticoid", **SMALL))


def _texts(rc) -> str:
    """All the text the rendered widgets show (HTML bodies, labels and button captions)."""
    parts = [w.unsafe_innerHTML or "" for w in rc.find(widgets.HTML).widgets]
    parts += [str(c) for w in rc.find(v.Btn).widgets for c in w.children]
    parts += [w.label or "" for w in rc.find(v.Switch).widgets]
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------- knobs
def test_every_driver_a_scenario_uses_has_a_live_knob_within_its_declared_range_at_a_useful_resolution():
    used = {name for n in scenario_names(treated=True) for name in load_scenario(n).drivers}
    assert {"thyroid", "cytokines", "gut_absorption"} <= used <= {k.key for k in LIVE_KNOBS}
    for knob in LIVE_KNOBS:
        field = Drivers.__dataclass_fields__[knob.key]
        assert knob.live and knob.low == field.metadata["low"] < knob.high <= field.metadata["high"]
        assert (knob.high - knob.low) / knob.step <= 100, knob  # a sidebar slider ~250 px wide: >= 2.5 px a step
    gc = next(k for k in LIVE_KNOBS if k.key == "glucocorticoid")
    assert gc.low == 0.0 and 60.0 <= gc.high < 1000.0  # clinical doses on the track; pulses beyond it
    with pytest.raises(ValueError, match="must lie in the driver's range"):
        live_knob("glucocorticoid", "x", "mg/day", 1.0, "x", "x", high=2000.0)


def test_a_scenario_level_beyond_the_slider_is_shown_and_not_sent_until_the_visitor_moves_it():
    sent = []
    _, rc = solara.render(LabelledSlider("Glucocorticoid dose (mg/day)", 1000.0, 0.0, 80.0, 2.5,
                                         sent.append, "help"), handle_error=False)
    slider = rc.find(v.Slider).widget
    assert slider.v_model == 80.0 and "<b>1000</b>" in _texts(rc)  # within the slider's range: nothing to clamp
    assert sent == []
    slider.v_model = 20.0
    assert sent == [20.0]


def test_the_myeloma_scenarios_seed_has_a_mid_run_knob_that_offers_its_size():
    seeded = {n for n in scenario_names(treated=True) if load_scenario(n).model_parameters().get(MYELOMA_KNOB.key)}
    assert seeded == {"myeloma"}
    assert MYELOMA_KNOB.low <= MYELOMA_KNOB.scenario_value(load_scenario("myeloma")) == 30 <= MYELOMA_KNOB.high
    assert "cells" in MYELOMA_KNOB.unit and "remission" in MYELOMA_KNOB.help


def test_setup_card_renders_its_text_without_raw_markdown():
    setup = Setup(**SMALL)
    _, rc = solara.render(SetupCard(setup, solara.reactive(setup), lambda: None, False), handle_error=False)
    text = _texts(rc)
    assert "<strong>Restart with these settings</strong>" in text and "*Restart" not in text


def test_live_knobs_are_drivers_and_restart_knobs_are_parameters():
    assert {k.key for k in LIVE_KNOBS} <= set(Drivers.names())
    params = {f.name for g in ModelParameters.groups().values() for f in dataclasses.fields(g)}
    assert {k.key for k in RESTART_KNOBS} - {"rankl_production", "opg_production"} <= params
    assert set(RANKL_SOURCES) | set(OPG_SOURCES) <= params
    for knob in (*LIVE_KNOBS, *RESTART_KNOBS):  # every slider can show its scenario value
        assert knob.low <= knob.scenario_value(load_scenario("healthy")) <= knob.high, knob.key


def test_rate_overrides_scale_every_source_and_skip_scenario_values():
    healthy = load_scenario("healthy")
    d = SecretionParameters()
    out = rate_overrides({"rankl_production": 2.0, "opg_production": 1.0, "osteoblast_lifespan_days": 60.0}, healthy)
    assert out == {"rankl_osteocyte_pM_per_day": 2 * d.rankl_osteocyte_pM_per_day,
                   "rankl_apoptotic_osteocyte_pM_per_day": 2 * d.rankl_apoptotic_osteocyte_pM_per_day,
                   "rankl_surface_pM_per_day": 2 * d.rankl_surface_pM_per_day,
                   "osteoblast_lifespan_days": 60.0}
    assert rate_overrides({"osteoclast_lifespan_days": 14.0}, healthy) == {}  # the default: nothing to send
    with pytest.raises(KeyError, match="unknown rate knob"):
        rate_overrides({"glucocorticoid": 1.0}, healthy)


# --------------------------------------------------------------------------------------------- setups
def test_setup_opens_the_scenario_and_the_twin_keeps_the_patient():
    setup = Setup(scenario="glucocorticoid", site="hip", age_years=70.0)
    patient, twin = setup.patient_scenario(), setup.twin_scenario()
    assert (patient.years, patient.site, patient.age_years, patient.sex) == (100.0, "hip", 70.0, "male")
    assert (twin.name, twin.site, twin.age_years, twin.sex) == ("healthy", "hip", 70.0, "male")
    assert twin.drivers == {} and patient.drivers["glucocorticoid"][-1][1] == 15.0


def test_mystery_setup_is_reproducible_and_hides_a_builtin_scenario():
    picks = [mystery_setup(seed, Setup()).scenario for seed in range(12)]
    assert picks == [mystery_setup(seed, Setup()).scenario for seed in range(12)]
    assert set(picks) <= set(scenario_names()) and len(set(picks)) > 1
    assert mystery_setup(3, Setup(rates=(("rankl_production", 2.0),))).rates == ()
    assert mystery_setup(3, Setup()).mystery


# -------------------------------------------------------------------------------------------- sessions
def test_step_moves_patient_and_twin_together(session):
    day = session.model.day
    session.step(3)
    assert session.model.day == session.twin.day == day + 3


def test_driver_level_acts_on_the_patient_only(session):
    session.set_driver("glucocorticoid", 30.0)
    session.set_driver("dietary_calcium_mg_per_day", 400.0)
    session.step(1)
    assert session.model.drivers.glucocorticoid == 30.0 and session.model.drivers.dietary_calcium_mg_per_day == 400.0
    assert session.twin.drivers.glucocorticoid == 0.0


def test_treatment_starts_and_stops_mid_run(session):
    session.start_treatment("bisphosphonate")
    session.start_treatment("bisphosphonate")  # already on: not doubled
    session.step(2)
    assert session.model.drivers.bisphosphonate == 1.0 and session.active_treatments() == ["bisphosphonate"]
    session.stop_treatment("bisphosphonate")
    session.step(2)
    assert session.model.drivers.bisphosphonate == 0.0 and session.active_treatments() == []
    assert session.treatments[-1].stop_day < math.inf


def test_frame_carries_picture_series_scan_and_labs(session):
    frame = session.frame("ratio")
    image = Image.open(io.BytesIO(frame.image))
    side = 64 * scale_for((64, 64))
    assert image.format == "PNG" and image.size == (side, side)
    assert frame.twin_image is not None and frame.day == session.model.day
    assert len(frame.series["day"]) <= MAX_POINTS and frame.series["day"][-1] == frame.day
    assert frame.scan.site == "spine" and frame.scan.sex == "male"
    assert {r.test.key for r in frame.labs} >= {"pth_pmol_per_l", "serum_calcium_mmol_per_l", "ctx_ng_per_ml"}
    assert frame.counts["osteocyte"] > 0


def test_png_bytes_decodes_to_the_same_pixels():
    image = np.random.default_rng(3).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    decoded = Image.open(io.BytesIO(png_bytes(image)))
    assert decoded.format == "PNG" and decoded.mode == "RGB" and decoded.size == (7, 5)
    assert np.array_equal(np.asarray(decoded), image)


def test_a_visitor_seeds_myeloma_mid_run_in_the_patient_only_and_removes_it():
    s = Session(Setup(scenario="healthy", **SMALL))
    s.step(10)
    assert s.frame().counts["tumour"] == 0
    s.seed_myeloma(30)
    frame = s.frame()
    assert frame.counts["tumour"] == 0 and frame.tumour_planned == 30      # from the next day, as a live cause
    assert myeloma_status(frame.tumour) == "Today: no tumour. 30 cells are seeded at the next step."
    s.step(1)
    # 30 seeded, then the day's deaths and divisions (a daughter needs free marrow beside its mother)
    assert 27 <= len(s.model.myeloma) <= 33 and s.frame().tumour_planned == 0 and len(s.twin.myeloma) == 0
    s.step(200)
    frame = s.frame()
    assert frame.counts["tumour"] > 30                                     # the clone grows
    assert next(r for r in frame.labs if r.test.key == "m_protein_g_per_l").value > 0.0
    assert s.twin.timeseries()["n_tumour_cells"].max() == 0
    s.remove_myeloma()
    assert myeloma_status(s.frame().tumour).endswith("The tumour is removed at the next step.")
    s.step(1)
    assert len(s.model.myeloma) == 0 and s.frame().counts["tumour"] == 0
    s.step(5)
    assert len(s.model.myeloma) == 0


def test_sessions_are_independent():
    a, b = Session(Setup(twin=False, **SMALL)), Session(Setup(twin=False, **SMALL))
    assert np.array_equal(a.model.tissue.kind, b.model.tissue.kind)  # same seed, same bone
    a.step(20)
    a.set_driver("estrogen", 0.0)
    assert b.model.day == 0 and b.model.schedule(10).estrogen == 1.0
    assert a.frame().image != b.frame().image


def test_a_second_visitor_with_the_same_setup_gets_a_copy_of_day_zero_that_runs_alike(monkeypatch):
    builds = []
    build = Scenario.model
    monkeypatch.setattr(Scenario, "model", lambda self, **kw: builds.append(self.name) or build(self, **kw))
    setup = Setup(scenario="hyperthyroid", seed=7, grid=48)
    first = Session(setup)
    second = Session(setup)                                # from the day-0 cache: no new slice, no burn-in
    assert builds == ["hyperthyroid", "healthy"]           # the patient and the twin, built once each
    assert second.model is not first.model and second.twin is not first.twin
    assert second.model.day == first.model.day == 0
    first.step(15)
    second.step(15)
    pd.testing.assert_frame_equal(first.model.timeseries(), second.model.timeseries())
    pd.testing.assert_frame_equal(first.twin.timeseries(), second.twin.timeseries())
    second.step(3)
    assert first.model.day == 15 and second.model.day == 18


def test_a_bone_requested_while_it_is_being_built_is_built_once():
    calls, started = [], threading.Event()

    def slow_build():
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return BoneModel(grid=32, seed=3, burn_in_days=5)

    key = ("test", time.monotonic())
    first = threading.Thread(target=day0_model, args=(key, slow_build))
    first.start()
    started.wait()
    second = day0_model(key, slow_build)          # arrives during the first build: waits, then copies
    first.join()
    assert calls == [1] and second.day == 0


def test_thinned_keeps_ends_and_caps_points():
    model = BoneModel(grid=32, seed=1, burn_in_days=0, observers=[]).run(999)
    out = thinned(model.recorder, ("day", "bv_tv"), max_points=400)
    assert len(out["day"]) <= 400 and out["day"][0] == 0 and out["day"][-1] == 999
    assert np.array_equal(out["bv_tv"], model.timeseries().set_index("day").loc[out["day"], "bv_tv"].to_numpy())


# --------------------------------------------------------------------------------------- the picture
def test_overlay_scales_are_fixed_and_logarithmic():
    rankl = OVERLAYS["free_rankl"]
    low, high = rankl.low, rankl.high
    assert rankl.normalise(np.array([low, math.sqrt(low * high), high, 10 * high])).tolist() == pytest.approx(
        [0.0, 0.5, 1.0, 1.0])
    assert OVERLAYS["opg"].position(300.0) == pytest.approx(0.5)
    assert OVERLAYS["ratio"].ticks() == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])


def test_glyph_shapes():
    disc = {tuple(o) for o in GLYPHS["osteoclast"].offsets()}
    assert (0, 0) in disc and (4, 0) in disc and (4, 4) not in disc
    assert len(GLYPHS["apoptotic"].offsets()) == 9  # an x of radius 2


def test_cells_are_drawn_where_they_are(session):
    image = render_rgb(session.model)
    s = scale_for(session.model.tissue.kind.shape)
    for y, x in [c.pos for c in session.model.osteoclasts]:
        assert tuple(image[y * s + s // 2, x * s + s // 2]) == GLYPHS["osteoclast"].colour
    assert not np.array_equal(render_rgb(session.model, "tgfb"), image)


# ---------------------------------------------------------------------------------------------- charts
def test_bmd_chart_shades_the_who_categories_at_their_t_scores(session):
    frame = session.frame()
    option = bmd_chart(frame.series, frame.twin_series, site="spine", sex="male", start_age_years=60.0)
    mean, sd = dxa.young_adult_reference("spine", "male")
    bands = option["series"][0]["markArea"]["data"]
    assert bands[0][0]["yAxis"] == pytest.approx(mean - 2.5 * sd) and bands[0][1]["yAxis"] == pytest.approx(mean - sd)
    assert option["yAxis"][1]["min"] == -4.0 and option["yAxis"][0]["min"] == pytest.approx(mean - 4.0 * sd)
    assert [s["name"] for s in option["series"]] == ["patient", "Z = -2 for age", "healthy twin", "T-score"]


def test_charts_show_the_twin_only_when_there_is_one(session):
    frame = session.frame()
    assert len(bone_volume_chart(frame.series, None)["series"]) == 1
    assert len(bone_volume_chart(frame.series, frame.twin_series)["series"]) == 2
    option = markers_chart(frame.series)
    assert option["yAxis"][1]["max"] == pytest.approx(125 * option["yAxis"][0]["max"], abs=1)


def test_chart_bands_are_the_panels_normal_ranges(session):
    series = session.frame().series

    def band(option: dict, name: str) -> tuple[float, float]:
        (low, high), = next(s for s in option["series"] if s["name"] == name)["markArea"]["data"]
        return low["yAxis"], high["yAxis"]

    def normal(key: str) -> tuple[float, float]:
        return NORMAL_RANGES[key].low, NORMAL_RANGES[key].high

    assert band(markers_chart(series), "CTX (bone eaten)") == normal("ctx_ng_per_ml") == (0.1, 0.6)
    calcium = calcium_chart(series)
    assert band(calcium, "serum calcium") == normal("serum_calcium_mmol_per_l") == (2.15, 2.55)
    assert band(calcium, "PTH") == normal("pth_pmol_per_l") == (1.6, 6.9)


# ------------------------------------------------------------------------------------------ components
def test_dxa_card_reads_the_category_and_the_z_flag(session):
    frame = session.frame()
    low = dataclasses.replace(frame.scan, t_score=-2.7, z_score=-2.2, category=dxa.OSTEOPOROSIS, z_flag=True)
    shown = solara.reactive(dataclasses.replace(frame, scan=low))
    _, rc = solara.render(DXACard(shown), handle_error=False)
    text = _texts(rc)
    assert "osteoporosis" in text and dxa.BELOW_EXPECTED in text and "-2.7" in text
    shown.set(frame)                                                   # the next frame redraws the report
    assert f"{frame.scan.t_score:+.1f}" in _texts(rc) and "-2.7" not in _texts(rc)


def test_labs_card_flags_out_of_range_values(session):
    frame = session.frame()
    pth = LabTest("pth_pmol_per_l", "PTH", "rises when calcium falls")
    _, rc = solara.render(LabsCard(solara.reactive(dataclasses.replace(frame, labs=[Result(pth, 12.0)]))),
                          handle_error=False)
    text = _texts(rc)
    assert ">H</td>" in text and ">12.0</td>" in text


@pytest.mark.parametrize(("value", "decimals", "shown"), [
    (2.88e-73, 2, "< 0.01"), (0.4617, 2, "0.46"), (55.2, 0, "55"), (0.4, 0, "< 1"), (0.0, 2, "0.00"), (2.449, 2, "2.45")])
def test_clinical_precision(value, decimals, shown):
    assert clinical(value, decimals) == shown


def test_every_lab_has_a_clinical_precision_and_markers_print_as_a_laboratory_does(session):
    assert set(LAB_DECIMALS) == set(NORMAL_RANGES)
    frame = session.frame()
    ctx, p1np = (LabTest(k, n, "") for k, n in (("ctx_ng_per_ml", "CTX"), ("p1np_ug_per_l", "P1NP")))
    labs = [Result(ctx, 2.88e-73), Result(p1np, 55.23)]
    _, rc = solara.render(LabsCard(solara.reactive(dataclasses.replace(frame, labs=labs))), handle_error=False)
    text = _texts(rc)
    assert ">&lt; 0.01</td>" in text
    assert ">55</td>" in text and "e-73" not in text


def test_treatment_switch_calls_back_with_its_name(session):
    calls = []
    _, rc = solara.render(TreatmentsCard(solara.reactive(session.frame().treatments),
                                         lambda name, on: calls.append((name, on))), handle_error=False)
    switch = rc.find(v.Switch, class_="bg-treat-denosumab").widget
    switch.v_model = True
    assert calls == [("denosumab", True)]


def test_causes_card_shows_todays_levels_and_seeds_and_removes_myeloma(session):
    frame = session.frame()
    calls = []
    today, tumour = solara.reactive(knob_levels(frame.drivers)), solara.reactive(frame.tumour)
    _, rc = solara.render(CausesCard(tumour, today, solara.reactive({}), lambda k, x: None,
                                     lambda n: calls.append(("seed", n)), lambda: calls.append(("remove",))),
                          handle_error=False)
    assert len(rc.find(v.Slider).widgets) == len(LIVE_KNOBS) + 1
    text = _texts(rc)
    assert f"today {session.model.drivers.glucocorticoid:.3g}" in text
    gc = [k.key for k in LIVE_KNOBS].index("glucocorticoid")
    today.set(today.value[:gc] + (12.5,) + today.value[gc + 1:])        # a level that changed redraws the card
    assert "today 12.5" in _texts(rc)
    assert "Myeloma tumour to seed (cells): <b>30</b>" in text and "Today: no tumour." in text
    assert rc.find(v.Btn, class_="bg-myeloma-remove").widget.disabled           # nothing to remove yet
    rc.find(v.Btn, class_="bg-myeloma-seed").widget.click()
    assert calls == [("seed", 30)]
    tumour.set(dataclasses.replace(frame, counts={**frame.counts, "tumour": 12}).tumour)
    remove = rc.find(v.Btn, class_="bg-myeloma-remove").widget
    assert not remove.disabled and "Add 30 cells" in _texts(rc) and "Today: 12 tumour cells." in _texts(rc)
    remove.click()
    assert calls[-1] == ("remove",)


def test_run_card_steps_and_plays(session):
    steps = []
    frame, playing, last = solara.reactive(session.frame()), solara.reactive(False), reacton.core.Ref(12.0)
    _, rc = solara.render(RunCard(frame, playing, lambda: steps.append(1), lambda: None, solara.reactive(5),
                                  solara.reactive(100), False, last), handle_error=False)
    rc.find(v.Btn, class_="bg-step").widget.click()
    rc.find(v.Btn, class_="bg-play").widget.click()
    assert steps == [1] and playing.value
    assert f"Day {session.model.day}" in _texts(rc) and "last step + redraw 12 ms" in _texts(rc)


def test_mystery_card_judges_a_guess_and_reveals_the_answer_only_on_reveal(session, monkeypatch):
    import bonegrid.dashboard.mystery as mystery

    def two_supported(_session, suspected):
        causes = [Cause("healthy", "Healthy", True, ("in range",)), Cause("glucocorticoid", "GC", True, ("low Z",))]
        return causes[0], causes

    monkeypatch.setattr(mystery, "judge", two_supported)
    _, rc = solara.render(MysteryCard(session, session.model.day), handle_error=False)
    rc.find(v.Btn, children=["Check my diagnosis"]).widget.click()
    verdicts = rc.find(v.Alert).widgets
    assert verdicts and any("findings" in str(w.children) for w in verdicts)
    before = _texts(rc) + str([w.children for w in rc.find(v.Alert).widgets])
    assert "also fit" not in before and "Glucocorticoid" not in before  # nothing gives the answer away
    rc.find(v.Btn, children=["Reveal the answer"]).widget.click()
    assert any("Glucocorticoid excess" in str(w.children) for w in rc.find(v.Alert).widgets)
    assert "The findings also fit: Healthy adult" in _texts(rc)


def test_pages_get_solaras_router_with_its_component_exported_as_jupyter_vue_reads_it(monkeypatch):
    from solara.autorouting import RoutingProvider

    monkeypatch.setattr(solara, "Navigator", solara.Navigator)   # put back after the test
    assert MISSPELT in solara_template(), "Solara's router template is spelt right now: bonegrid.dashboard.router can go"
    assert mend_router()
    _, rc = solara.render(RoutingProvider(children=[solara.Text("page")], routes=[solara.Route("/")]),
                          handle_error=False)
    template = rc.find(Router).widget.template
    assert template[template.index("<script>") + len("<script>"):].lstrip().startswith(SPELT)
    assert MISSPELT not in template and "<template>" in template


# --------------------------------------------------------------------------------------- command line
def test_command_defaults_and_a_busy_port():
    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dashboard"])
    assert (args.host, args.port, args.grid) == ("127.0.0.1", 8765, None)
    check_offline_assets()  # solara-assets is installed: the page needs no CDN
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        args = parser.parse_args(["dashboard", "--port", str(busy.getsockname()[1])])
        assert run_command(args) == 2


def test_the_cli_and_the_package_face_do_not_load_solara_or_the_page():
    script = ("import sys; import bonegrid.cli, bonegrid.dashboard; bonegrid.cli.build_parser(); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('solara', 'uvicorn') "
              "or m in ('bonegrid.dashboard.app', 'bonegrid.dashboard.session')))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dashboard_modules_import_each_other_by_full_path_not_through_the_package():
    package = Path(bonegrid.dashboard.__file__).parent
    through_face = [f"{path.name}:{node.lineno}" for path in sorted(package.glob("*.py"))
                    for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and (node.module == "bonegrid.dashboard" or node.level)]
    assert through_face == []
