"""The command line: ``python run.py`` and the ``bonegrid`` console script.

``bonegrid`` with no arguments runs the tour: the healthy slice beside every disease
scenario over three simulated years, written to ``results/tour/``. ``bonegrid run
SCENARIO`` runs one scenario (a built-in name or a TOML file) into a results folder;
``bonegrid run SCENARIO --bone slice.png --voxel-size 10`` starts from a segmented section
of your own instead of a generated slice; ``bonegrid validate`` checks every scenario's
emergent signatures against published bands; ``bonegrid report`` writes a run's clinical
report; ``bonegrid dashboard`` serves the browser dashboard; ``bonegrid scenarios``,
``bonegrid params`` and ``bonegrid columns`` list what can be run, set and recorded.
Bad input, a broken input file or a folder that cannot be written ends with a one-line
message and exit status 2, and nothing is written. Messages name the command as the user
typed it: ``bonegrid``, or ``run.py`` for ``python run.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bonegrid.constants import DAYS_PER_YEAR, DEFAULT_GRID, MAX_YEARS
from bonegrid.files import OutputError, check_folder
from bonegrid.parameters import ParameterError

if TYPE_CHECKING:
    import numpy as np

    from bonegrid.readouts.morphometry import Morphometry

TOUR_YEARS = 3.0
LIBRARY_COMMAND = "`bonegrid "
"""How messages from the library name a command (```bonegrid params```); the CLI renders it as typed."""
EXIT_BAD_INPUT = 2
EXIT_FAILED_RUNS = 1


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the usage above them)."""

    def error(self, message: str) -> None:
        """Print ``PROG: error: MESSAGE`` and exit with status 2."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (`{self.prog} --help` lists what is allowed)\n")


def command_name(argv0: str | None = None) -> str:
    """Return the name of the command the user typed (``sys.argv[0]``): ``bonegrid`` or ``run.py``.

    Examples
    --------
    >>> command_name("/home/me/bonegrid/run.py"), command_name("/venv/bin/bonegrid")
    ('run.py', 'bonegrid')
    """
    return Path(sys.argv[0] if argv0 is None else argv0).name or "bonegrid"


def as_typed(message: str, prog: str) -> str:
    """Return ``message`` with the commands it names (```bonegrid run```) as the user typed them (``prog``)."""
    return message.replace(LIBRARY_COMMAND, f"`{prog} ")


def _parse_value(text: str) -> object:
    """Turn a command-line value into bool, int, float or str."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _overrides(pairs: list[str]) -> dict[str, object]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ParameterError(f"--set {pair!r} is not allowed: expected key=value")
        out[key.strip()] = _parse_value(value.strip())
    return out


def build_parser(prog: str = "bonegrid") -> argparse.ArgumentParser:
    """Build the argument parser (subcommands tour, run, validate, balance, scenarios, params); ``prog`` names it."""
    parser = _Parser(
        prog=prog,
        description="Spatial agent-based simulator of bone remodeling and secondary osteoporosis. With no command, "
                    "runs the tour: the healthy slice beside every disease scenario.")
    sub = parser.add_subparsers(dest="command")
    tour = sub.add_parser("tour", help="healthy bone beside every disease scenario (default command)",
                          description="Run every built-in scenario on the same slice for the same years and write "
                                      "results/tour/: tour.png (final slices, bone and CTX trajectories), summary.md "
                                      "and timeseries.csv.")
    tour.add_argument("--years", type=float, default=TOUR_YEARS, help=f"simulated years (default {TOUR_YEARS:g})")
    tour.add_argument("--grid", type=int, default=DEFAULT_GRID, help=f"voxels per side (default {DEFAULT_GRID}, 10 um each)")
    tour.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    tour.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    tour.add_argument("--out", type=Path, default=Path("results") / "tour", help="folder (default results/tour)")
    run = sub.add_parser("run", help="simulate one scenario and write a results folder",
                         description="Simulate one scenario and write a results folder: timeseries.csv, slice.png "
                                     "(start and end, with cells), timeseries.png and summary.md.")
    run.add_argument("scenario", nargs="?", default="healthy",
                     help="built-in scenario name or path of a scenario TOML file (default healthy; "
                          "`bonegrid scenarios` lists them)")
    run.add_argument("--site", default=None,
                     help="spine, hip, or both (two slices of the same patient in spine/ and hip/; default: the "
                          "scenario's)")
    run.add_argument("--grid", type=int, default=None,
                     help=f"voxels per side (default {DEFAULT_GRID}, 10 um each; with --bone: the image's)")
    run.add_argument("--bone", type=Path, default=None, metavar="FILE",
                     help="start from your own segmented section (PNG or TIFF; bone bright, marrow dark; thresholded "
                          "by Otsu unless already binary) instead of a generated slice; needs --voxel-size")
    run.add_argument("--voxel-size", type=float, default=None, metavar="UM",
                     help="voxel edge in um (default 10): the pixel size of the --bone image")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument("--years", type=float, default=None, help="simulated years after burn-in (default: the scenario's)")
    run.add_argument("--out", type=Path, default=None, help="results folder (default results/<scenario>-<site>-seed<seed>)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a model or treatment parameter, a driver (constant level) or site/years/age_years/"
                          "sex, e.g. --set osteoclast_lifespan_days=20 (repeatable; `bonegrid params` lists them)")
    run.add_argument("--treat", action="append", default=[], metavar="NAME[@START[:STOP]][*DOSE]",
                     help="add a treatment, times in years, e.g. --treat bisphosphonate@1:3 (repeatable; "
                          "`bonegrid scenarios` lists treatments)")
    rep = sub.add_parser("report", help="write the clinical report (report.html) of a results folder",
                         description="Write a one-page clinical report of a finished run: DXA with T/Z-scores "
                                     "(two-site if the folder holds spine/ and hip/), blood panel with flags, "
                                     "histomorphometry, strength, pictures and the rule-based differential.")
    rep.add_argument("results", type=Path, help="a folder written by the run command")
    rep.add_argument("--out", type=Path, default=None, help="HTML file (default RESULTS/report.html)")
    rep.add_argument("--aortic-calcification", type=float, default=0.0, metavar="AAC24",
                     help="spine artefact: abdominal aortic calcification score 0-24 (default 0)")
    rep.add_argument("--osteophytes", type=float, default=0.0, metavar="GRADE",
                     help="spine artefact: mean osteophyte grade 0-3 (default 0)")
    rep.add_argument("--blind", action="store_true", help="leave out the scenario's name and story")
    val = sub.add_parser("validate", help="check every scenario's emergent signatures against published bands",
                         description="Run each scenario over several seeds and print, for every [[expect]] of its "
                                     "file: metric, reference band, model mean ± sd and inside or not.")
    val.add_argument("scenarios", nargs="*", help="scenario names or files (default: all built-in, diseases and treated)")
    val.add_argument("--seeds", type=int, default=3, help="seeds per scenario, 1..N (default 3)")
    val.add_argument("--grid", type=int, default=DEFAULT_GRID, help=f"voxels per side (default {DEFAULT_GRID})")
    val.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    val.add_argument("--out", type=Path, default=None, help="also write the table as CSV and Markdown to this folder")
    bal = sub.add_parser("balance", help="check that a healthy slice stays in balance (several seeds, 10+ years)",
                         description="Run a healthy slice for several seeds and print the balance table: drift of "
                                     "BV/TV over years 2-10, year-10 vs year-2 change, formed/resorbed, remodeling "
                                     "space, turnover, phase lengths and refill of remodeling units.")
    bal.add_argument("--site", default="spine", help="spine or hip (default spine)")
    bal.add_argument("--grid", type=int, default=DEFAULT_GRID, help=f"voxels per side (default {DEFAULT_GRID})")
    bal.add_argument("--seeds", type=int, default=5, help="number of seeds, 1..N (default 5)")
    bal.add_argument("--years", type=float, default=10.0, help="simulated years, at least 10 (default 10)")
    bal.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a model parameter (repeatable)")
    from bonegrid import dashboard

    dashboard.add_command(sub)
    from bonegrid import sweep

    sweep.add_commands(sub)
    sub.add_parser("scenarios", help="list the built-in scenarios and the treatments")
    sub.add_parser("params", help="list every model parameter with unit, default, allowed range and source")
    sub.add_parser("columns", help="list the time-series columns with unit, sampling and meaning")
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Entry point; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).
    prog : str, optional
        The command as the user typed it, for messages (default :func:`command_name`, or
        ``bonegrid`` when ``argv`` is given).
    """
    prog = prog or (command_name() if argv is None else "bonegrid")
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["tour", *argv]
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    args.prog = prog
    try:
        if args.command == "params":
            return _params()
        if args.command == "balance":
            return _balance(args)
        if args.command == "scenarios":
            return _scenarios()
        if args.command == "columns":
            return _columns()
        if args.command == "validate":
            return _validate(args)
        if args.command == "run":
            return _run(args)
        if args.command == "report":
            return _report(args)
        if args.command in ("sweep", "analyze"):
            from bonegrid import sweep

            return sweep.run_command(args)
        if args.command == "dashboard":
            from bonegrid import dashboard

            return dashboard.run_command(args)
        return _tour(args)
    except (ParameterError, OutputError) as err:
        text = " ".join(str(err.strerror if isinstance(err, OutputError) else err).split())
        print(f"{prog}: error: {as_typed(text, prog)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _params() -> int:
    from bonegrid.overrides import parameter_groups
    from bonegrid.parameters import markdown_table

    for name, (kind, group) in parameter_groups().items():
        print(f"\n## {name} ({kind})\n\n{markdown_table(group)}")
    return 0


def _columns() -> int:
    from bonegrid.timeseries import columns, markdown_table

    print(markdown_table(columns()))
    return 0


def _balance(args: argparse.Namespace) -> int:
    from bonegrid.model import BoneModel
    from bonegrid.readouts.balance import balance_report, format_balance_report

    if not args.years >= 10 or args.seeds < 1:
        raise ParameterError(f"--years={args.years!r} --seeds={args.seeds!r} are not allowed: need years >= 10, seeds >= 1")
    overrides = _overrides(args.overrides)
    models = []
    for seed in range(1, args.seeds + 1):
        start = time.perf_counter()
        model = BoneModel(site=args.site, grid=args.grid, seed=seed, **overrides)
        models.append(model.run(round(args.years * DAYS_PER_YEAR)))
        print(f"seed {seed}: {time.perf_counter() - start:.1f} s", flush=True)
    print(format_balance_report(balance_report(models)))
    return 0


def _scenario(args: argparse.Namespace):
    """Return the scenario of ``run`` with its command-line overrides and treatments applied."""
    from bonegrid.scenarios import load_scenario, parse_treatment

    scenario = load_scenario(args.scenario)
    overrides = _overrides(args.overrides)
    if args.site not in (None, "both"):
        overrides["site"] = args.site
    if args.voxel_size is not None:
        overrides["voxel_size_um"] = _voxel_size(args.voxel_size)
    if args.years is not None:
        overrides["years"] = args.years
    if overrides:
        scenario = scenario.with_overrides(overrides)
    if args.treat:
        scenario = scenario.with_treatments([parse_treatment(t) for t in args.treat])
    return scenario


def _run(args: argparse.Namespace) -> int:
    from bonegrid.files import staged_folder, write_json
    from bonegrid.runs.results import write_results

    bone = _bone_image(args) if args.bone is not None else None
    scenario = _scenario(args)
    both = args.site == "both"
    grid = DEFAULT_GRID if args.grid is None else args.grid
    out = args.out or Path("results") / f"{scenario.name}-{'both' if both else scenario.site}-seed{args.seed}"
    check_folder(out, "--out")
    sites = [("spine", "spine"), ("hip", "hip")] if both else [(scenario.site, "")]
    extra = {} if bone is None else {"initial_bone": bone.mask}
    models = [(scenario.with_overrides({"site": site}).model(seed=args.seed, grid=grid, **extra), sub)
              for site, sub in sites]  # build all first: bad input fails before anything is written
    if bone is not None:
        print(f"{args.prog}: {args.bone}: {bone.how}; morphometry as BoneJ defines it (2D):")
        for name, value, unit in bone.morphometry.rows():
            print(f"  {name:<12} {value:10.4g} {'' if unit == '1' else unit}")
    with staged_folder(out) as stage:  # both sites, or neither
        for model, sub in models:
            start = time.perf_counter()
            shape = "x".join(map(str, model.tissue.shape))
            print(f"{args.prog}: {scenario.title}: {model.site} slice {shape}, seed {args.seed}: "
                  f"simulating {scenario.years:g} years ...", flush=True)
            write_results(model, days=scenario.days, out=stage / sub, started=start, scenario=scenario)
            print(f"{args.prog}: wrote {out / sub}/ (timeseries.csv, slice.png, timeseries.png, summary.md, state "
                  f"for `{args.prog} report`) in {time.perf_counter() - start:.1f} s")
        if bone is not None:
            write_json(stage / "bone_morphometry.json", {
                "file": str(args.bone), "voxel_size_um": args.voxel_size, "segmentation": bone.how,
                "indices": {name: {"value": value, "unit": unit} for name, value, unit in bone.morphometry.rows()}})
    return 0


@dataclasses.dataclass(frozen=True)
class _Bone:
    """A segmented section read from an image."""

    mask: np.ndarray
    """(ny, nx) bool array, True = bone."""
    how: str
    """How it was segmented, in words."""
    morphometry: Morphometry
    """Its morphometry as BoneJ defines it (2D)."""


def _voxel_size(value: float) -> float:
    """Return ``--voxel-size`` if it is within the model's allowed voxel edge."""
    from bonegrid.model import RunParameters

    meta = next(f.metadata for f in dataclasses.fields(RunParameters) if f.name == "voxel_size_um")
    if not (meta["low"] <= value <= meta["high"]):        # also rejects NaN
        raise ParameterError(f"--voxel-size={value!r} is out of range: allowed {meta['low']:g} <= um <= "
                             f"{meta['high']:g} (the pixel size of the image, in micrometres)")
    return value


def _bone_image(args: argparse.Namespace) -> _Bone:
    """Read, segment and measure the ``--bone`` image, checking it against the other options (one-line errors)."""
    import numpy as np

    from bonegrid.files import read
    from bonegrid.model import grid_shape
    from bonegrid.readouts.morphometry import measure

    path = args.bone
    if args.voxel_size is None:
        raise ParameterError(f"--bone={str(path)!r} needs --voxel-size UM: the pixel size of the image in micrometres")
    size = _voxel_size(args.voxel_size)
    if args.site == "both":
        raise ParameterError("--site both is not allowed with --bone: one image is one site; give --site spine or hip")
    if not path.is_file():
        raise ParameterError(f"--bone={str(path)!r} is not allowed: no such file")
    image = read(path, _read_image, "a PNG or TIFF image")
    if image.ndim != 2:
        raise ParameterError(f"--bone={str(path)!r} is not allowed: expected a 2D grey or colour image, not an array "
                             f"of shape {image.shape}")
    values = np.unique(image)
    if values.size == 1:
        mask, how = np.full(image.shape, values[0] > 0), "uniform image"
    elif values.size == 2:
        mask, how = image == values[1], f"binary image, bone = {values[1]:g}"
    else:
        from skimage.filters import threshold_otsu

        level = float(threshold_otsu(image))
        mask, how = image > level, f"thresholded by Otsu at {level:.4g} (bone brighter)"
    if not mask.any():
        raise ParameterError(f"--bone={str(path)!r} is not allowed: the image has no bone (no pixel above the "
                             "threshold): give a section with bone bright and marrow dark")
    if mask.all():
        raise ParameterError(f"--bone={str(path)!r} is not allowed: the image is all bone (no marrow): give a "
                             "section with bone bright and marrow dark")
    try:
        grid_shape(mask.shape)
    except ParameterError:
        raise ParameterError(f"--bone={str(path)!r} is not allowed: its {mask.shape[0]} x {mask.shape[1]} pixels are "
                             "outside the allowed grid (16 to 2048 per side)") from None
    if args.grid is not None and (args.grid, args.grid) != mask.shape:
        raise ParameterError(f"--grid={args.grid} disagrees with --bone={str(path)!r}, {mask.shape[0]} x "
                             f"{mask.shape[1]} pixels: leave out --grid (the image sets the grid)")
    return _Bone(mask, how, measure(mask, size))


def _read_image(path: Path):
    """Read an image as a 2D float array (colour to grey, alpha dropped) through scikit-image."""
    from skimage import io
    from skimage.color import rgb2gray

    try:
        image = io.imread(path)
    except SyntaxError as err:              # Pillow's word for a corrupt PNG
        raise ValueError(str(err)) from None
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        image = rgb2gray(image[..., :3])
    return image.astype(float)


def _report(args: argparse.Namespace) -> int:
    from bonegrid.readouts.dxa import Artefacts
    from bonegrid.runs.report import write_report

    artefacts = Artefacts(aortic_calcification_score=args.aortic_calcification, osteophyte_grade=args.osteophytes)
    path = write_report(args.results, args.out, artefacts=artefacts, blind=args.blind)
    print(f"{args.prog}: wrote {path}")
    return 0


def _check_count(name: str, value: int | None, low: int = 1) -> None:
    if value is not None and value < low:
        raise ParameterError(f"--{name}={value!r} is not allowed: expected an integer >= {low}")


def _progress(result, done: int, total: int) -> None:
    status = f"FAILED: {result.error}" if result.error else f"{result.seconds:.0f} s"
    print(f"  [{done}/{total}] {result.scenario} seed {result.seed}: {status}", flush=True)


def _tour(args: argparse.Namespace) -> int:
    from bonegrid.model import grid_shape
    from bonegrid.runs.tour import run_tour

    grid_shape(args.grid)
    _check_count("workers", args.workers)
    if not 0 < args.years <= MAX_YEARS:
        raise ParameterError(f"--years={args.years!r} is not allowed: expected 0 < years <= {MAX_YEARS:g}")
    check_folder(args.out, "--out")
    start = time.perf_counter()
    print(f"bonegrid tour: every scenario on a {args.grid}x{args.grid} slice, {args.years:g} years, seed {args.seed}",
          flush=True)
    rows = run_tour(args.out, years=args.years, grid=args.grid, seed=args.seed, workers=args.workers,
                    progress=_progress)
    print((args.out / "summary.md").read_text().split("## The scenarios")[0])
    print(f"{args.prog}: wrote {args.out}/ (tour.png, summary.md, timeseries.csv) in {time.perf_counter() - start:.0f} s")
    return EXIT_FAILED_RUNS if "error" in rows.columns and rows["error"].notna().any() else 0


def _validate(args: argparse.Namespace) -> int:
    from bonegrid.files import atomic_write, staged_folder, write_text
    from bonegrid.model import grid_shape
    from bonegrid.runs.validate import format_rows, validate
    from bonegrid.scenarios import load_scenario, scenario_names

    grid_shape(args.grid)
    _check_count("seeds", args.seeds)
    _check_count("workers", args.workers)
    if args.out:
        check_folder(args.out, "--out")
    scenarios = [load_scenario(n) for n in (args.scenarios or scenario_names(treated=True))]
    bare = [s.name for s in scenarios if not s.expect]
    if bare:
        raise ParameterError(f"scenario {', '.join(bare)} has no [[expect]] band to validate: add one "
                             "(metric, band, source) or leave it out")
    start = time.perf_counter()
    print(f"{args.prog} validate: {len(scenarios)} scenarios x {args.seeds} seeds on a {args.grid}x{args.grid} slice",
          flush=True)
    rows, results = validate(scenarios, seeds=args.seeds, grid=args.grid, workers=args.workers, progress=_progress)
    table = format_rows(rows)
    print(table)
    if args.out:
        with staged_folder(args.out) as stage:
            atomic_write(stage / "validation.csv", lambda tmp: rows.to_csv(tmp, index=False))
            write_text(stage / "validation.md", table + "\n")
    failed = sum(r.error is not None for r in results)
    print(f"{args.prog}: validated in {time.perf_counter() - start:.0f} s"
          + (f"; {failed} of {len(results)} runs FAILED (listed above)" if failed else ""))
    return EXIT_FAILED_RUNS if failed else 0


def _scenarios() -> int:
    from bonegrid.scenarios import load_scenario, scenario_names
    from bonegrid.treatments import TREATMENTS

    print("Scenarios (bonegrid run NAME, or a path to your own TOML file):\n")
    for name in scenario_names(treated=True):
        s = load_scenario(name)
        print(f"  {name:38s} {s.title} ({s.site}, {s.years:g} years, {s.sex}, {s.age_years:g} y)")
    print("\nTreatments (bonegrid run NAME --treat TREATMENT@START[:STOP], years):\n")
    for name, (text, _) in TREATMENTS.items():
        print(f"  {name:26s} {text}")
    return 0
