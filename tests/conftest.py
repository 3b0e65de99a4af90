import numpy as np

from bonegrid.agents.osteoblast import Osteoblast
from bonegrid.model import BoneModel
from bonegrid.tissue import MARROW, Tissue, TissueParameters, touches


def quiet_model(bone: np.ndarray, **params) -> BoneModel:
    """A model on a hand-made slice with no spontaneous recruitment, death or burial, no burn-in."""
    base = dict(burn_in_days=0, osteoclastogenesis_per_day=0.0, reversal_osteoclastogenesis_per_day=0.0,
                osteoblast_recruitment_per_day=0.0,
                osteocyte_apoptosis_per_year=0.0, osteoblast_burial_probability=0.0, initial_matrix_age_years=50.0)
    base.update(params)
    return BoneModel(initial_bone=bone, seed=1, **base)


def half_bone(n: int = 40, surface_row: int = 20) -> np.ndarray:
    """An n x n slice: marrow above ``surface_row``, bone from it down (a flat surface)."""
    bone = np.zeros((n, n), dtype=bool)
    bone[surface_row:, :] = True
    return bone


def dig_cavity(model, rows, cols):
    """Resorb a rectangular cavity below a flat surface at row rows.start; return its unit id."""
    unit = model.units.open(model.day)
    for y in rows:
        for x in cols:
            model.tissue.resorb(y, x, unit, y - rows.start + 1, model.day, 0.0)
            model.osteocytes.remove_at(y, x)
            model.units.record_resorption(unit, model.day)
    return unit


def line_osteoblasts(model, unit):
    """Put an osteoblast on every cavity voxel that touches matrix."""
    t = model.tissue
    free = (t.cavity == unit) & touches(t.kind != MARROW)
    for y, x in np.argwhere(free):
        Osteoblast(model, (int(y), int(x)), unit)
    return int(free.sum())


def random_tissue(rng: np.random.Generator) -> Tissue:
    """A 7 x 9 tissue of random bone, with random cavity ids (0-2), cavity depths (0-4) and occupancy in its marrow."""
    t = Tissue(rng.random((7, 9)) < 0.5, 10.0, TissueParameters(), rng)
    marrow = t.kind == MARROW
    t.cavity[marrow] = rng.integers(0, 3, marrow.sum())
    t.cavity_depth[marrow] = rng.integers(0, 5, marrow.sum())
    t.occupied[marrow] = rng.integers(0, 2, marrow.sum())
    return t
