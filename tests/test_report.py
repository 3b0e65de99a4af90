"""The detective report from a results folder: one site or both, artefacts, blind mode, bad input."""

import re

import pytest

from bonegrid.cli import main


@pytest.fixture(scope="module")
def both_sites(tmp_path_factory):
    out = tmp_path_factory.mktemp("gc") / "run"
    assert main(["run", "glucocorticoid", "--site", "both", "--grid", "48", "--years", "0.1", "--out", str(out),
                 "--set", "burn_in_days=20"]) == 0
    return out


def test_run_with_both_sites_keeps_what_the_report_needs(both_sites):
    for site in ("spine", "hip"):
        names = {p.name for p in (both_sites / site).iterdir()}
        assert {"run.json", "state.npz", "histomorphometry.json", "timeseries.csv", "slice.png"} <= names


def test_report_has_every_section_with_figures_embedded(both_sites, capsys):
    assert main(["report", str(both_sites)]) == 0
    page = (both_sites / "report.html").read_text()
    for heading in ("Bone densitometry", "Blood panel", "Histomorphometry and strength", "The slice",
                    "Differential"):
        assert heading in page
    assert "Two sites:" in page and "Free T4" in page and "BV/TV" in page and "O.Th" in page
    assert page.count("data:image/png;base64,") >= 4 and "src=\"http" not in page
    assert "Glucocorticoid excess" in page


def test_blind_report_hides_the_scenario(both_sites, tmp_path):
    out = tmp_path / "blind.html"
    assert main(["report", str(both_sites), "--blind", "--out", str(out)]) == 0
    page = out.read_text()
    assert "Glucocorticoid excess (prednisolone" not in page and "Differential" in page


def test_spine_artefact_raises_spine_but_not_hip_bmd(both_sites, tmp_path):
    def bmds(path):
        rows = re.findall(r"<tr><td[^>]*>(spine|hip)</td><td[^>]*>([0-9.]+)</td>", path.read_text())
        return {site: float(v) for site, v in rows}
    plain, dirty = tmp_path / "plain.html", tmp_path / "dirty.html"
    assert main(["report", str(both_sites), "--out", str(plain)]) == 0
    assert main(["report", str(both_sites), "--out", str(dirty), "--aortic-calcification", "12",
                 "--osteophytes", "2"]) == 0
    a, b = bmds(plain), bmds(dirty)
    assert b["spine"] > a["spine"] and b["hip"] == a["hip"]


def test_report_of_a_folder_that_is_not_a_run_is_one_line_exit_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bonegrid: error:") and "run.json" in err and "\n" not in err


def test_histomorphometry_table_names_its_site_ranges_meanings_and_units(both_sites):
    assert main(["report", str(both_sites)]) == 0
    page = (both_sites / "report.html").read_text()
    section = page[page.index("<h2>3."):page.index("<h2>4.")]
    assert "(spine slice, end of the run)" in section
    assert "<td>O.Th</td>" in section and "<td>µm</td><td>5–15</td>" in section
    assert "<td>mm²</td>" in section and "mean osteoid seam width" in section
    assert ">um<" not in section and "mm^2" not in section
