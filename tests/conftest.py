import numpy as np

from bonegrid.model import BoneModel


def quiet_model(bone: np.ndarray, **params) -> BoneModel:
    """A model on a hand-made slice with no spontaneous recruitment, death or burial, no burn-in."""
    base = dict(burn_in_days=0, osteoclastogenesis_per_day=0.0, osteoblast_recruitment_per_day=0.0,
                osteocyte_apoptosis_per_year=0.0, osteoblast_burial_probability=0.0, initial_matrix_age_years=50.0)
    base.update(params)
    return BoneModel(initial_bone=bone, seed=1, **base)


def half_bone(n: int = 40, surface_row: int = 20) -> np.ndarray:
    """An n x n slice: marrow above ``surface_row``, bone from it down (a flat surface)."""
    bone = np.zeros((n, n), dtype=bool)
    bone[surface_row:, :] = True
    return bone
