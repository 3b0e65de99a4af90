"""Virtual DXA scanner: projects the slice's mineral onto areal BMD (g/cm^2), with spine artefacts.

A readout: it samples the mineral layer and never changes it.

Projection
----------
A DXA scanner sends a beam through the body and measures the mineral in its path per unit
of projected area (g/cm^2). Here the beam runs along axis 0 (the row index, top to bottom of
the slice). At the hip this is the only sensible choice: the cortex lies along the bottom
edge, so each ray crosses the trabecular core and then the cortex, as the antero-posterior
beam through a femoral neck crosses core and shell; rays along axis 1 would run inside the
cortex or inside the core, which no ray through a neck does. The spine slice has no
preferred direction and uses the same axis. (Areal BMD is the mean over the region of
interest of a sum along the rays, so the axis changes the per-ray profile, not the mean.)

For ray ``j`` (column) of a slice of ``n_y`` rows of voxel edge ``h`` (depth ``D = n_y h``),
with mineral fraction ``m_ij`` (0..1 of full mineralisation):

    slice areal mineral    a_j = rho_m * h * sum_i m_ij                      (g/cm^2)
    projected fraction     p_j = a_j / (rho_m * D) = mean_i m_ij             (1)
    areal BMD              BMD = rho_m * L * mean_j p_j + B + A              (g/cm^2)

The slice stands for a path of bone of effective length ``L`` in the beam (it is a sample of
that path, so its mineral is scaled by ``L / D``); ``B`` is mineral in the beam that the
slice does not represent and that does not remodel in the model, and ``A``
is artefact mineral (spine only). ``rho_m`` is the mineral (ash, hydroxyapatite) density of
bone tissue at full mineralisation (``m = 1``).

Calibration rule
----------------
The scanner is calibrated for each patient (site, sex, age at day 0 ``a0``) and window height
``H`` so that a healthy slice of that patient reads its age- and sex-matched reference mean.
A healthy generated slice has the bone area fraction of its published target
(:func:`bonegrid.microarchitecture.healthy_bone_fraction`) at the model's steady-state matrix
mineral ``m_h`` (``healthy_matrix_mineral``), so its projected fraction is

    p_h(a) = m_h * healthy_bone_fraction(site, sex, a, H)

The path length is fixed by the young-adult node ``a_y`` of the reference curve, where all the
mineral outside the slice is the site's fixed part ``B_site``; at other ages the mineral outside
the slice takes what the reference mean holds beyond the healthy slice of that age:

    L = (mu(a_y) - B_site) / (rho_m * p_h(a_y))
    B(a0) = mu(a0) - rho_m * L * p_h(a0)              (= B_site at a_y)

:func:`calibration` is this rule as code. ``B(a0) - B_site`` is mineral in the beam that grows
with age while the trabecular bone is lost: at the spine the degenerative changes (osteophytes,
facet and end-plate sclerosis, aortic calcification) that keep PA spine BMD of older people,
men especially, nearly flat while vertebral trabecular density falls by half (Looker et al.
2012; Riggs et al. 2004, J Bone Miner Res 19:1945: -55 % in women, -46 % in men from 20 to 90 by
QCT); at the femoral neck the periosteal expansion of the neck. It is held at its day-0 value
during a run (it does not remodel in the model), so the BMD of a run moves with the slice only.

Consequences. (i) At the spine ``B_site = 0.45 g/cm^2`` (posterior elements and the vertebral
body's cortical shell) plus the age part makes the slice 58 % of the reading of a young woman
and less in older patients: a relative change of the slice's mineral moves spine BMD by that
share of the change, as PA DXA of the spine changes less than trabecular QCT. At the hip the
slice holds its own cortex and ``B_hip = 0``. (ii) Because ``p_h`` is taken for the window's own
height, a hip window of any height reads its reference (the cortex share changes with it).

Artefacts (spine only)
----------------------
Mineral in the PA beam that is not vertebral bone raises spine BMD:

    A = k_aac * AAC + k_op * G

with ``AAC`` the Kauppila AAC-24 score of abdominal aortic calcification (0-24; Kauppila et
al. 1997, Atherosclerosis 132:245) and ``G`` the mean osteophyte grade over L1-L4 (0 none,
1 mild, 2 moderate, 3 severe). Default sensitivities (approx.): severe osteophytes add
~0.15 g/cm^2 (~1.4 SD; Liu et al. 1997, Osteoporos Int 7:564; Rand et al. 1997, Calcif
Tissue Int 60:430), severe aortic calcification ~0.05 g/cm^2 (its effect on PA spine BMD is
small). Neither lies in the beam of a femoral-neck scan: non-zero artefacts with
``site="hip"`` raise :class:`~bonegrid.parameters.ParameterError` (rather than being silently
ignored).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from bonegrid.constants import SEXES, SITES
from bonegrid.microarchitecture import healthy_bone_fraction
from bonegrid.parameters import ParameterError, ParameterSet, param
from bonegrid.patient import check_age, check_choice
from bonegrid.readouts.dxa.reference import REFERENCE_CURVES

BEAM_AXIS = 0
"""The beam runs along the row index (see the module docstring for why)."""


@dataclasses.dataclass(frozen=True)
class DXAParameters(ParameterSet):
    """Calibration of the virtual DXA scanner and its reporting rules."""

    tissue_mineral_density_g_cm3: float = param(
        1.2, unit="g/cm^3", low=0.5, high=2.0, symbol="\\rho_m",
        doc="mineral (ash) mass per volume of bone tissue at full mineralisation (mineral fraction 1)",
        source="approx.: ash density of cortical bone tissue ~1.2 g/cm^3 (Keller 1994, J Biomech 27:1159); "
               "ash/wet density ~0.6 of ~2.0 g/cm^3 (Morgan et al. 2003, J Biomech 36:897)")
    healthy_matrix_mineral: float = param(
        0.882, unit="1", low=0.5, high=1.0, symbol="m_h",
        doc="mean mineral fraction of the matrix of a healthy slice at day 0 (after the burn-in): with the "
            "target bone fraction it gives the projected fraction a healthy slice reads",
        source="calibrated: mean over healthy BoneModel slices at day 0 (256 x 256, spine and hip, women and men, "
               "30, 55 and 80 years, seeds 1-3) of mineral.mean() / healthy_bone_fraction: 0.8821 "
               "(examples/calibration/starting_slices.py dxa)")
    spine_posterior_elements_g_cm2: float = param(
        0.35, unit="g/cm^2", low=0.0, high=2.0, symbol="B_{post}",
        doc="mineral of the posterior elements (pedicles, laminae, spinous process) in the PA spine beam, "
            "not represented by the slice and not remodeled",
        source="approx.: posterior elements ~1/3 of PA lumbar BMC (PA vs lateral DXA comparisons)")
    spine_cortical_shell_g_cm2: float = param(
        0.10, unit="g/cm^2", low=0.0, high=2.0, symbol="B_{shell}",
        doc="mineral of the vertebral body's cortical shell (crossed twice by the beam), not in the slice",
        source="approx.: shell ~0.3-0.5 mm at ~1 g/cm^3, two walls plus the lateral walls at the ROI edges")
    hip_outside_slice_g_cm2: float = param(
        0.0, unit="g/cm^2", low=0.0, high=2.0, symbol="B_{hip}",
        doc="mineral in the femoral-neck beam not represented by the slice",
        source="modelling choice: the hip slice holds its own cortex, so none")
    aortic_calcification_g_cm2_per_point: float = param(
        0.002, unit="g/cm^2 per AAC-24 point", low=0.0, high=0.05, symbol="k_{aac}",
        doc="spine BMD added per point of the Kauppila AAC-24 aortic calcification score",
        source="approx.: severe calcification (AAC-24 = 24) adds ~0.05 g/cm^2 to PA spine BMD, a small effect")
    osteophyte_g_cm2_per_grade: float = param(
        0.05, unit="g/cm^2 per grade", low=0.0, high=0.5, symbol="k_{op}",
        doc="spine BMD added per grade (0-3) of lumbar osteophytes",
        source="approx.: severe osteophytes add ~0.1-0.2 g/cm^2 (Liu et al. 1997, Osteoporos Int 7:564; "
               "Rand et al. 1997, Calcif Tissue Int 60:430)")
    discordance_t_difference: float = param(
        1.0, unit="SD", low=0.1, high=5.0, symbol="\\Delta T_{disc}",
        doc="spine-hip T-score difference at or above which the two sites are called discordant",
        source="approx.: clinical rule of thumb (1 SD); Woodson 2000, J Clin Densitom 3:319")
    menopause_age_years: float = param(
        51.0, unit="year", low=20.0, high=90.0, symbol="a_{meno}",
        doc="age from which a woman is taken as postmenopausal when her status is not given",
        source="approx.: median age at natural menopause ~51 years (McKinlay et al. 1992, Maturitas 14:103)")
    who_min_age_men_years: float = param(
        50.0, unit="year", low=20.0, high=90.0, symbol="a_{WHO}",
        doc="age from which WHO T-score categories apply to men (younger: Z-scores)",
        source="ISCD official positions (adult)")
    male_t_reference: str = param(
        "male", unit="1", choices=("male", "female"), symbol="",
        doc="young-adult reference for men's T-scores: men's own, or white women's as the ISCD recommends",
        source="ISCD official positions (female reference for men); default: NHANES men's reference")


@dataclasses.dataclass(frozen=True)
class Artefacts(ParameterSet):
    """Mineral in the PA beam of the lumbar spine that is not vertebral bone (all zero: none)."""

    aortic_calcification_score: float = param(
        0.0, unit="AAC-24 point", low=0.0, high=24.0, symbol="AAC",
        doc="abdominal aortic calcification over L1-L4 (Kauppila AAC-24 score, 0 none to 24 severe)",
        source="Kauppila et al. 1997, Atherosclerosis 132:245")
    osteophyte_grade: float = param(
        0.0, unit="grade", low=0.0, high=3.0, symbol="G",
        doc="mean osteophyte grade over L1-L4 (0 none, 1 mild, 2 moderate, 3 severe)",
        source="radiographic osteophyte grading 0-3 (approx.; Lane et al. 1993 atlas)")

    def added_g_cm2(self, params: DXAParameters) -> float:
        """Artefact mineral added to spine BMD, ``A = k_aac AAC + k_op G`` (g/cm^2)."""
        return (params.aortic_calcification_g_cm2_per_point * self.aortic_calcification_score
                + params.osteophyte_g_cm2_per_grade * self.osteophyte_grade)

    @property
    def present(self) -> bool:
        """Whether any artefact is present."""
        return self.aortic_calcification_score > 0 or self.osteophyte_grade > 0


def projected_fraction(mineral: np.ndarray) -> np.ndarray:
    """Per-ray projected mineral fraction ``p_j = mean_i m_ij`` (the beam along axis 0).

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction of full mineralisation, 0..1 (0 for marrow and osteoid).

    Returns
    -------
    (nx,) float ndarray
        Mineral along each ray over what the ray would hold in fully mineralised bone, 0..1.
    """
    return _check_mineral(mineral).mean(axis=BEAM_AXIS)


def slice_areal_mineral_g_cm2(mineral: np.ndarray, voxel_size_um: float,
                              params: DXAParameters | None = None) -> np.ndarray:
    """Mineral of the slice itself along each ray, ``a_j = rho_m h sum_i m_ij``.

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction, 0..1.
    voxel_size_um : float
        Voxel edge ``h``, um.
    params : DXAParameters, optional

    Returns
    -------
    (nx,) float ndarray
        g/cm^2 over the slice's own depth ``ny h`` (before scaling to the site's path length).
    """
    p = DXAParameters() if params is None else params
    m = _check_mineral(mineral)
    h_cm = _check_voxel_size(voxel_size_um) * 1e-4
    return p.tissue_mineral_density_g_cm3 * h_cm * m.sum(axis=BEAM_AXIS)


def _outside_slice_g_cm2(site: str, p: DXAParameters) -> float:
    """``B_site``: mineral in the young adult's beam that the slice does not represent, g/cm^2."""
    if site == "spine":
        return p.spine_posterior_elements_g_cm2 + p.spine_cortical_shell_g_cm2
    return p.hip_outside_slice_g_cm2


@dataclasses.dataclass(frozen=True)
class Calibration:
    """The scanner as calibrated for one patient and window: ``BMD = rho_m L p + B + A``.

    Attributes
    ----------
    site : {"spine", "hip"}
    tissue_mineral_density_g_cm3 : float
        ``rho_m``.
    path_length_cm : float
        ``L``: effective path of bone in the beam that the slice stands for, cm.
    outside_g_cm2 : float
        ``B(a0)``: mineral in the beam outside the slice, g/cm^2.
    healthy_fraction : float
        ``p_h(a0)``: the projected fraction of a healthy slice of this patient, 0..1.
    """

    site: str
    tissue_mineral_density_g_cm3: float
    path_length_cm: float
    outside_g_cm2: float
    healthy_fraction: float

    def bmd(self, fraction: float, artefact_g_cm2: float = 0.0) -> float:
        """Areal BMD (g/cm^2) of a slice whose mean mineral fraction is ``fraction``, plus artefact mineral.

        The projection is linear, so this is the BMD of any slice with that mean.
        """
        return self.tissue_mineral_density_g_cm3 * self.path_length_cm * fraction + self.outside_g_cm2 + artefact_g_cm2


def calibration(site: str, sex: str, age_years: float, height_um: float,
                params: DXAParameters | None = None) -> Calibration:
    """Calibrate the scanner for a patient at day 0 and a window ``height_um`` tall (the rule of the module docstring).

    Parameters
    ----------
    site : {"spine", "hip"}
    sex : {"female", "male"}
    age_years : float
        The patient's age at day 0 (20..90), which fixes the mineral outside the slice.
    height_um : float
        Window height along the beam, um (rows times voxel edge).
    params : DXAParameters, optional

    Returns
    -------
    Calibration

    Examples
    --------
    >>> c = calibration("spine", "female", 26, 2560.0)      # the young node (band 21-30)
    >>> round(c.bmd(c.healthy_fraction), 3), round(c.outside_g_cm2, 3)
    (1.064, 0.45)
    >>> old = calibration("spine", "female", 80, 2560.0)
    >>> round(old.bmd(old.healthy_fraction), 3), round(old.outside_g_cm2 - 0.45, 3) > 0
    (0.897, True)
    """
    p = DXAParameters() if params is None else params
    site, sex = check_choice("site", site, SITES), check_choice("sex", sex, SEXES)
    age = check_age(age_years)
    if not (math.isfinite(height_um) and height_um > 0):
        raise ParameterError(f"height_um={height_um!r} is not allowed: expected a finite window height > 0 um")
    return _calibration(site, sex, age, float(height_um), p)


@functools.lru_cache(maxsize=256)
def _calibration(site: str, sex: str, age: float, height_um: float, p: DXAParameters) -> Calibration:
    curve = REFERENCE_CURVES[(site, sex)]
    young = curve.ages_years[0]
    rho = p.tissue_mineral_density_g_cm3

    def healthy(a: float) -> float:
        return p.healthy_matrix_mineral * healthy_bone_fraction(site, sex, a, height_um)

    length = (curve.at(young)[0] - _outside_slice_g_cm2(site, p)) / (rho * healthy(young))
    fraction = healthy(age)
    return Calibration(site=site, tissue_mineral_density_g_cm3=rho, path_length_cm=length,
                       outside_g_cm2=curve.at(age)[0] - rho * length * fraction, healthy_fraction=fraction)


def _artefact_g_cm2(site: str, artefacts: Artefacts | None, p: DXAParameters) -> float:
    if artefacts is None:
        return 0.0
    if not isinstance(artefacts, Artefacts):
        raise ParameterError(f"artefacts={artefacts!r} is not allowed: expected None or an Artefacts(...)")
    if site != "spine" and artefacts.present:
        raise ParameterError(f"artefacts={artefacts!r} are not allowed at site={site!r}: a calcified aorta and "
                             "lumbar osteophytes lie in the PA beam of the spine only; pass artefacts=None for 'hip'")
    return artefacts.added_g_cm2(p)


def areal_bmd(mineral: np.ndarray, voxel_size_um: float, site: str, sex: str, age_years: float, *,
              params: DXAParameters | None = None, artefacts: Artefacts | None = None) -> float:
    """Areal BMD, ``rho_m L mean_j p_j + B + A`` (g/cm^2), calibrated for the patient (:func:`calibration`).

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction, 0..1; the beam runs along axis 0.
    voxel_size_um : float
        Voxel edge, um (with ``ny`` it gives the window height of the calibration).
    site : {"spine", "hip"}
    sex : {"female", "male"}
    age_years : float
        The patient's age at day 0 of the run (20..90): it fixes the mineral outside the slice.
    params : DXAParameters, optional
    artefacts : Artefacts, optional
        Spine only (non-zero artefacts at the hip raise).

    Returns
    -------
    float
        g/cm^2.

    Raises
    ------
    ParameterError
        For a bad site, sex, age, mineral array, voxel size, or artefacts at the hip.
    """
    p = DXAParameters() if params is None else params
    return _measure(mineral, voxel_size_um, check_choice("site", site, SITES), sex, age_years, p, artefacts)[2]


def _measure(mineral: np.ndarray, voxel_size_um: float, site: str, sex: str, age_years: float, p: DXAParameters,
             artefacts: Artefacts | None) -> tuple[float, float, float]:
    """Check a scan's inputs and project: the numbers behind :func:`areal_bmd` and a clinical scan.

    Parameters
    ----------
    mineral : (ny, nx) float ndarray
        Mineral fraction, 0..1.
    voxel_size_um : float
        Voxel edge, um.
    site : {"spine", "hip"}
        Already checked.
    sex, age_years
        The patient at day 0 (the calibration).
    p : DXAParameters
    artefacts : Artefacts or None
        Spine only.

    Returns
    -------
    fraction : float
        ``mean_j p_j``, 0..1.
    artefact_g_cm2 : float
        ``A``, g/cm^2.
    bmd_g_cm2 : float
        ``rho_m L mean_j p_j + B + A``, g/cm^2.
    """
    m = _check_mineral(mineral)
    h = _check_voxel_size(voxel_size_um)
    fraction = float(m.mean())
    artefact = _artefact_g_cm2(site, artefacts, p)
    return fraction, artefact, calibration(site, sex, age_years, m.shape[BEAM_AXIS] * h, p).bmd(fraction, artefact)


def _check_mineral(mineral: object) -> np.ndarray:
    m = np.asarray(mineral)
    if m.dtype == bool or not np.issubdtype(m.dtype, np.number) or m.ndim != 2 or m.size == 0:
        raise ParameterError(f"mineral of dtype {m.dtype} and shape {m.shape} is not allowed: expected a non-empty "
                             "(ny, nx) float array of mineral fractions 0..1 (for a bone mask use "
                             "bone.astype(float) * mineral_fraction)")
    lo, hi = float(m.min()), float(m.max())
    if not (0.0 <= lo and hi <= 1.0):   # also rejects NaN
        raise ParameterError(f"mineral spans {lo!r}..{hi!r}: expected mineral fractions 0 <= m <= 1")
    return m


def _check_voxel_size(voxel_size_um: object) -> float:
    if (isinstance(voxel_size_um, bool) or not isinstance(voxel_size_um, (int, float, np.integer, np.floating))
            or not math.isfinite(voxel_size_um) or voxel_size_um <= 0):
        raise ParameterError(f"voxel_size_um={voxel_size_um!r} is not allowed: expected a finite value > 0 um")
    return float(voxel_size_um)


__all__ = ["BEAM_AXIS", "Artefacts", "Calibration", "DXAParameters", "areal_bmd", "calibration", "projected_fraction",
           "slice_areal_mineral_g_cm2"]
