"""Calibration of the starting slices and of the virtual DXA, as code: re-run after changing the generator.

Three parts (``python examples/calibration/starting_slices.py relations|targets|dxa``):

relations
    Generates a design of slices (strut thickness x seed pitch, seeds 1-2, 256 x 256 x 10 um) at
    each site and fits the constants of :func:`bonegrid.microarchitecture.starting_parameters`:
    Tb.Th / Tb.Th_0 and BV/TV S / Tb.Th_0 of the networks without rod profiles (medians); then,
    with the core filled to the BV/TV that plans a share ``f_rod`` of rod profiles (0-0.6), the
    least-squares plane ``log(Tb.Sp / S) = log(SEPARATION_GAIN) + SEPARATION_PITCH_EXPONENT
    log(S / 1 mm) - ROD_SEPARATION_DECAY f_rod``.
    Prints them beside the shipped values.
targets
    For each site, sex and age 30, 55, 80, measures five slices (seeds 1-5) as the tests do and
    prints the table of docs/model.md (mean over seeds, the published band, inside or not).
dxa
    Builds healthy BoneModel slices (256 x 256, seeds 1-3, default burn-in) of each site, sex and
    age and prints the mean over them of ``mineral.mean() / healthy_bone_fraction``: the
    ``healthy_matrix_mineral`` of :class:`bonegrid.readouts.dxa.DXAParameters`; then the Z-scores
    the shipped calibration gives them.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from bonegrid import microarchitecture as micro
from bonegrid.microarchitecture import MicroarchitectureParameters, core_rows, generate, starting_parameters, target
from bonegrid.readouts.morphometry import cortical_porosity, cortical_thickness_um, measure

H = 10.0
SHAPE = (256, 256)
AGES = (30.0, 55.0, 80.0)
DESIGN = {"spine": dict(thickness=(100.0, 125.0), spacing=(800.0, 1200.0, 1800.0, 2700.0, 4000.0)),
          "hip": dict(thickness=(140.0, 175.0), spacing=(600.0, 800.0, 1000.0, 1300.0))}
SHARES = (0.0, 0.15, 0.3, 0.45, 0.6)


def slice_measures(site: str, params: MicroarchitectureParameters, seed: int) -> dict[str, float]:
    """Generate one slice and measure its trabecular core (and at the hip its cortex) as the tests do."""
    bone = generate(site, SHAPE, H, np.random.default_rng(seed), params)
    m = measure(bone[:core_rows(site, SHAPE, H, params)], H)
    out = dict(bv_tv=m.bv_tv, tb_th_um=m.tb_th_um, tb_sp_um=m.tb_sp_um, tb_n_per_mm=m.tb_n_per_mm,
               conn_d_per_mm2=m.conn_d_per_mm2)
    if site == "hip":
        out.update(cortex_thickness_um=cortical_thickness_um(bone, H), cortical_porosity=cortical_porosity(bone, H))
    return out


def relations() -> None:
    """Fit and print the constants of the relations (part ``relations``)."""
    for site, design in DESIGN.items():
        gain, density = [], []
        for t0, spacing, seed in itertools.product(design["thickness"], design["spacing"], (1, 2)):
            network = slice_measures(site, _design_params(t0, spacing, 0.0), seed)
            gain.append(network["tb_th_um"] / t0)
            density.append(network["bv_tv"] * spacing / t0)
        gain_fit, density_fit = float(np.median(gain)), float(np.median(density))
        # The separation of whole slices (rod profiles filling the core to its BV/TV, as starting_parameters
        # plans them), so that the fit includes the profiles that make up a network's shortfall.
        share, pitch, log_ratio = [], [], []
        for t0, spacing, planned, seed in itertools.product(design["thickness"], design["spacing"], SHARES, (1, 2)):
            bv_tv = density_fit * t0 / (spacing * (1.0 - planned))
            if bv_tv < 0.5:
                m = slice_measures(site, _design_params(t0, spacing, bv_tv), seed)
                share.append(planned)
                pitch.append(spacing)
                log_ratio.append(np.log(m["tb_sp_um"] / spacing))
        design_matrix = np.column_stack([np.ones(len(share)), np.log(np.array(pitch) / 1000.0), share])
        (intercept, exponent, slope), *_ = np.linalg.lstsq(design_matrix, np.array(log_ratio), rcond=None)
        residual = np.std(np.array(log_ratio) - design_matrix @ np.array([intercept, exponent, slope]))
        print(f"{site}: STRUT_THICKNESS_GAIN {gain_fit:.2f} (shipped {micro.STRUT_THICKNESS_GAIN[site]}), "
              f"NETWORK_DENSITY {density_fit:.2f} (shipped {micro.NETWORK_DENSITY[site]}), "
              f"SEPARATION_GAIN {np.exp(intercept):.2f} (shipped {micro.SEPARATION_GAIN[site]}), "
              f"SEPARATION_PITCH_EXPONENT {exponent:.2f} (shipped {micro.SEPARATION_PITCH_EXPONENT[site]}), "
              f"ROD_SEPARATION_DECAY {-slope:.2f} (shipped {micro.ROD_SEPARATION_DECAY[site]}); residual SD of "
              f"log Tb.Sp {residual:.2f} over {len(share)} slices", flush=True)


def _design_params(t0: float, spacing: float, bv_tv: float) -> MicroarchitectureParameters:
    return MicroarchitectureParameters(trabecular_thickness_um=t0, trabecular_spacing_um=spacing,
                                       trabecular_bone_fraction=bv_tv, cortex_thickness_um=900.0,
                                       cortical_porosity=0.06)


def targets(seeds: int) -> None:
    """Print the measured slices against their bands, as a Markdown table (part ``targets``)."""
    names = ["bv_tv", "tb_th_um", "tb_sp_um", "tb_n_per_mm", "cortex_thickness_um", "cortical_porosity"]
    print("| site | sex | age | " + " | ".join(names) + " | Conn.D (1/mm^2) |")
    print("| --- " * (len(names) + 4) + "|")
    for site, sex, age in itertools.product(("spine", "hip"), ("female", "male"), AGES):
        t, p = target(site, sex, age), starting_parameters(site, sex, age)
        rows = [slice_measures(site, p, seed) for seed in range(1, seeds + 1)]
        cells = []
        for name in names:
            band = getattr(t, name)
            if band is None:
                cells.append("")
                continue
            value = float(np.mean([r[name] for r in rows]))
            fmt = ".3f" if band.mean < 1 else ".2f" if band.mean < 10 else ".0f"
            mark = "" if value in band else " **out**"
            cells.append(f"{value:{fmt}} ({band.low:{fmt}}-{band.high:{fmt}}){mark}")
        conn = float(np.mean([r["conn_d_per_mm2"] for r in rows]))
        print(f"| {site} | {sex} | {age:g} | " + " | ".join(cells) + f" | {conn:.2f} |", flush=True)


def dxa(seeds: int) -> None:
    """Measure ``healthy_matrix_mineral`` on healthy models and print their Z-scores (part ``dxa``)."""
    from bonegrid.model import BoneModel
    from bonegrid.readouts.dxa import DXAParameters, calibration, z_score

    ratios, results = [], []
    for site, sex, age in itertools.product(("spine", "hip"), ("female", "male"), AGES):
        for seed in range(1, seeds + 1):
            model = BoneModel(site=site, grid=SHAPE[0], seed=seed, age_years=age, sex=sex, observers=[])
            fraction = float(model.tissue.mineral.mean())
            ratios.append(fraction / micro.healthy_bone_fraction(site, sex, age, SHAPE[0] * H))
            results.append((site, sex, age, fraction))
        print(f"{site} {sex} {age:g}: mineral / target bone fraction {np.mean(ratios[-seeds:]):.4f}", flush=True)
    print(f"healthy_matrix_mineral {np.mean(ratios):.4f} (shipped {DXAParameters().healthy_matrix_mineral})")
    for site, sex, age, fraction in results:
        bmd = calibration(site, sex, age, SHAPE[0] * H).bmd(fraction)
        print(f"  {site} {sex} {age:g}: BMD {bmd:.3f} g/cm^2, Z {z_score(bmd, site, sex, age):+.2f}")


def main() -> None:
    """Run the part named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("relations", "targets", "dxa"))
    parser.add_argument("--seeds", type=int, default=None, help="seeds per setting (targets 5, dxa 3)")
    args = parser.parse_args()
    if args.part == "relations":
        relations()
    elif args.part == "targets":
        targets(args.seeds or 5)
    else:
        dxa(args.seeds or 3)


if __name__ == "__main__":
    main()
