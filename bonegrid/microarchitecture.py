"""Starting bone microarchitectures: a 2D slice of trabecular (spine) or cortico-trabecular (hip) bone.

The slice is a window into bone: each voxel is bone (True) or marrow (False); row index
grows downwards. Everything is laid out in micrometres, so the structure is the same
whatever the voxel size (only its pixelation changes), and the only randomness is the
``numpy.random.Generator`` passed in.

Site, age and sex
    :data:`TARGETS` holds the published microarchitecture of healthy bone (BV/TV, Tb.Th,
    Tb.Sp, and at the hip cortical thickness and porosity) at 25, 50 and 80 years for each
    site and sex, each row with its sources; :func:`target` interpolates it in age, and
    :func:`starting_parameters` turns a target into generator parameters through relations
    measured on generated slices (``examples/calibration/starting_slices.py`` fits them).
    :class:`~bonegrid.model.BoneModel` starts from the slice of its patient.

A 2D section through rod-like bone
    A section cuts plate-like trabeculae along their length (struts in the plane) and rods
    that cross it obliquely (isolated profiles). A connected network alone cannot have the
    published separation of old vertebrae in 2D: with Tb.Th 132 um and BV/TV 0.0675 even
    parallel plates lie ``Tb.Th (1 / BV/TV - 1)`` = 1.8 mm apart, against ~1.0 mm measured in
    3D, where rods fill space at little volume. The generator therefore adds rod profiles to
    the marrow until the core has its target BV/TV (step 7); their share grows with age as the
    published plate-to-rod shift does (SMI rises with age; Thomsen et al. 2013).

Trabecular network (``spine``, and the core of ``hip``)
    1. Seeds on a jittered square lattice of pitch ``trabecular_spacing_um`` cover the
       window and two pitches around it; their Voronoi walls are the struts of a
       closed-cell network, which therefore runs out of the window edges as a section
       through larger bone does.
    2. Openings: walls are removed along a Kruskal spanning tree of the cells' adjacency
       graph (random order, walls shorter than ``2 Tb.Th_0`` last, cells that reach an
       open window edge joined to the outside first), so that no marrow space is sealed
       off inside the window. A wall is only removed if the marrow spaces on its two sides
       are not yet connected, which by planar duality never cuts the bone in two.
    3. Pruning: if the openings removed less than ``strut_removal_fraction`` of the wall
       length inside the window, dangling struts (free ends first, then struts running out
       of an open edge) are removed, and the last one shortened, until they have. (A
       spanning tree alone removes about 20 % of the length of a 2.5 mm window and 35 %
       of a 10 mm one, so the default 0.35 keeps BV/TV independent of the window size.)
    4. Thickness: each strut gets ``t_w = Tb.Th_0 f_w`` (``f_w`` log-normal, coefficient
       of variation ``thickness_variation``, normalised to a length-weighted mean of 1
       inside the window), modulated by smooth noise (relative amplitude 0.15, correlation
       length ``0.5 Tb.Th_0``, clipped to +-30 %); no strut is thinner than
       ``max(0.4 Tb.Th_0, 3 voxels)``.
    5. Shape: the centre lines are bent by a smooth displacement (standard deviation 0.1
       pitch, correlation length 0.5 pitch, fading to zero across the window edges so no
       junction leaves the window); a voxel is bone within ``t / 2`` of a centre line
       (free ends are round caps). A Gaussian blur (sigma ``0.25 Tb.Th_0``) thresholded
       at one half rounds the junctions into fillets.
    6. Clean-up: bone not 8-connected to the main network (or, at the hip, to the cortex)
       is dropped; marrow sealed off inside the window (4-connectivity) is filled with
       bone if smaller than ``Tb.Th_0**2``, and otherwise opened by a channel
       ``Tb.Th_0`` wide along the shortest path to open marrow.
    7. Rod profiles: isolated capsules (rods cut obliquely by the plane) are added to the
       marrow, each at least a width from other bone, until the trabecular core holds
       ``trabecular_bone_fraction`` (none if the network already does).

Femoral-neck window (``hip``)
    A cortical shell along the bottom edge (the periosteal surface is the bottom border)
    of thickness ``cortex_thickness_um``, at most 45 % of the slice height, whose
    endocortical boundary wobbles by about +-50 um (smooth noise, correlation length
    150 um; less in cortices thinner than 300 um, which never drop below half their
    thickness). Haversian canals of diameter ``canal_diameter_um`` are placed by random
    sequential adsorption (no overlap, at least 10 um of bone between canals and to
    either surface) until their area is ``cortical_porosity`` of the cortex. Above it,
    the trabecular network of steps 1-6 fills the core; the struts that reach the
    endocortical line continue into the cortex and are rounded into it, and only bone
    connected to the cortex is kept.

Topology
    In a window, a connected bone network that touches the border at two places cuts
    the window's marrow in two, so "one bone component" and "one marrow component
    inside the window" cannot both hold for a network that runs out of the edges. The
    generator keeps the network one 8-connected component and leaves no marrow sealed off
    inside the window: every 4-connected marrow region reaches an edge of the window,
    beyond which marrow continues (``marrow_open`` in :func:`bonegrid.readouts.morphometry.connectivity`).
    The other bone components are the rod profiles, each isolated in the marrow.

The structure of a slice is measured by :mod:`bonegrid.readouts.morphometry`.

"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph
from scipy.spatial import Voronoi, cKDTree

from bonegrid.constants import SEXES, SITES
from bonegrid.parameters import ParameterError, ParameterSet, param
from bonegrid.patient import check_age, check_choice

"""Sites :func:`generate` knows."""

MIN_SIDE = 16
"""Fewest voxels per side of a generated slice."""

RELIABLE_SIDE = 40
"""Smallest side, voxels, at which every generated slice holds bone: below it a spine slice may miss
every trabecula (at 16 voxels 558 of seeds 1-1000 were empty, at 32 16 of them, at 36 3, at 40 none;
hip slices, with their cortex, were never empty)."""

SEED_JITTER = 0.8
"""Seed displacement from its lattice node, as a fraction of the pitch (uniform, each axis)."""

SEED_MARGIN = 2.0
"""Seeds extend this many pitches beyond the window on every side."""

BLUR_FRACTION = 0.25
"""Sigma of the junction-rounding blur, as a fraction of the mean strut thickness."""

SURFACE_NOISE = 0.15
"""Relative amplitude (standard deviation) of the along-strut thickness noise."""

SURFACE_NOISE_CLIP = 0.3
"""The thickness modulation is clipped to ``1 +- SURFACE_NOISE_CLIP``."""

MIN_THICKNESS_FRACTION = 0.4
"""No strut is thinner than this fraction of the mean thickness ..."""

MIN_THICKNESS_VOXELS = 3.0
"""... nor than this many voxels (so that rounding never breaks a strut)."""

SURFACE_NOISE_LENGTH = 0.5
"""Correlation length (Gaussian sigma) of the thickness noise, as a fraction of the mean thickness."""

WARP_FRACTION = 0.1
"""Standard deviation of the smooth displacement that bends the struts, as a fraction of the seed pitch."""

WARP_LENGTH = 0.5
"""Correlation length (Gaussian sigma) of that displacement, as a fraction of the seed pitch."""

HOLE_FILL_FRACTION = 1.0
"""Marrow holes sealed off inside the window smaller than ``(this * Tb.Th_0)**2`` are filled with bone."""

CHANNEL_FRACTION = 1.0
"""Width of the channel that opens a larger sealed-off marrow space, as a fraction of the mean thickness."""

ENDOCORTICAL_WOBBLE_UM = 25.0
"""Standard deviation of the endocortical boundary's wobble (about +-50 um at two sigma)."""

ENDOCORTICAL_WOBBLE_LENGTH_UM = 150.0
"""Correlation length (Gaussian sigma) of the endocortical wobble along the surface."""

CANAL_GAP_UM = 10.0
"""Least bone between two Haversian canals, and between a canal and either cortical surface."""

ROD_WIDTH_FACTOR = 1.15
"""Width of a rod profile over the strut thickness Tb.Th_0 (struts measure 1.1-1.2 Tb.Th_0 with their fillets)."""

ROD_ELONGATION = 1.0
"""A rod profile is longer than wide by up to this many widths (uniform): oblique sections of rods."""

ROD_CANDIDATES = 8
"""Each rod profile goes to the roomiest of this many random candidate centres (best-candidate sampling), so that
profiles spread through the marrow as rods do, rather than clustering by chance."""

ROD_GAP_FRACTION = 1.0
"""Least marrow between a rod profile and other bone, in rod widths."""

MAX_CORTEX_FRACTION = 0.45
"""The cortex takes at most this fraction of the slice height."""


@dataclasses.dataclass(frozen=True)
class MicroarchitectureParameters(ParameterSet):
    """Starting microarchitecture: trabecular network, rod profiles and, at the hip, the cortical shell.

    :class:`~bonegrid.model.BoneModel` derives these from the published target of its patient's
    site, sex and age (:func:`starting_parameters`); the defaults are those of a woman of 50
    (the trabecular ones for her spine, the cortical ones for her femoral neck). Values given
    explicitly win over the derived ones.
    """

    trabecular_spacing_um: float = param(
        1276.9, unit="um", low=150.0, high=10000.0, symbol="S_{Tb}",
        doc="pitch of the seed lattice whose Voronoi walls are the trabeculae (one marrow space per seed "
            "before struts are removed); sets Tb.N and Tb.Sp with the rod profiles",
        source="derived from the target BV/TV, Tb.Th and Tb.Sp of the patient (starting_parameters)")
    trabecular_thickness_um: float = param(
        115.0, unit="um", low=20.0, high=1000.0, symbol="Tb.Th_0",
        doc="mean strut width before junction rounding (the measured mean local thickness is ~13 % larger at the "
            "spine, ~21 % at the hip)",
        source="derived from the target Tb.Th of the patient (starting_parameters)")
    thickness_variation: float = param(
        0.25, unit="1", low=0.0, high=0.5, symbol="CV_{Th}",
        doc="coefficient of variation of strut and rod-profile thickness (log-normal)",
        source="modelling choice")
    strut_removal_fraction: float = param(
        0.35, unit="1", low=0.0, high=0.4, symbol="f_{rm}",
        doc="fraction of the network's wall length inside the window that is removed (at least the openings "
            "that leave no marrow space sealed off); the bone network stays connected",
        source="modelling choice: about what those openings remove in a 10 mm window, so that BV/TV does not "
               "depend on the window size")
    cortex_thickness_um: float = param(
        880.0, unit="um", low=50.0, high=5000.0, symbol="Ct.Th",
        doc="hip only: thickness of the cortical shell along the bottom edge (at most 45 % of the slice height)",
        source="derived from the target Ct.Th of the patient (starting_parameters; Poole et al. 2010, approx.)")
    cortical_porosity: float = param(
        0.065, unit="1", low=0.0, high=0.3, symbol="Ct.Po",
        doc="hip only: area fraction of the cortex taken by Haversian canals",
        source="derived from the target Ct.Po of the patient (starting_parameters; Laval-Jeantet et al. 1983, "
               "Bell et al. 1999, approx.)")
    trabecular_bone_fraction: float = param(
        0.13, unit="1", low=0.0, high=0.6, symbol="BV/TV_{Tb}",
        doc="bone area fraction of the trabecular core: isolated rod profiles (sections through rods that "
            "cross the plane of the slice) are added to the marrow until it is reached; 0 adds none",
        source="derived from the target BV/TV of the patient (starting_parameters)")
    canal_diameter_um: float = param(
        50.0, unit="um", low=10.0, high=300.0, symbol="Ca.Dm",
        doc="hip only: Haversian canal diameter",
        source="histology (approx. 40-60 um)")


# ----------------------------------------------------------------------------- published targets
@dataclasses.dataclass(frozen=True)
class Band:
    """A published value and the band a healthy slice should land in (same unit)."""

    mean: float
    low: float
    high: float

    def at(self, weight: float, other: Band) -> Band:
        """Linear interpolation towards ``other``: ``(1 - weight) self + weight other``, for each of the three."""
        return Band(*((1 - weight) * a + weight * b for a, b in ((self.mean, other.mean), (self.low, other.low),
                                                                 (self.high, other.high))))

    def __contains__(self, value: float) -> bool:
        """Whether ``value`` lies inside the band (ends included)."""
        return self.low <= value <= self.high


@dataclasses.dataclass(frozen=True)
class Target:
    """Published microarchitecture of healthy bone of one site, sex and age.

    Attributes
    ----------
    site, sex : str
    age_years : float
    bv_tv, tb_th_um, tb_sp_um : Band
        Trabecular bone (at the hip: the trabecular core of the femoral neck): bone volume
        fraction (1), mean thickness and separation (um, direct: mean local thickness).
    cortex_thickness_um, cortical_porosity : Band or None
        Hip only: femoral-neck cortex (um; area fraction of Haversian canals, 1).
    source : str
    """

    site: str
    sex: str
    age_years: float
    bv_tv: Band
    tb_th_um: Band
    tb_sp_um: Band
    cortex_thickness_um: Band | None
    cortical_porosity: Band | None
    source: str

    @property
    def tb_n_per_mm(self) -> Band:
        """Tb.N = 1 / (Tb.Th + Tb.Sp), 1/mm: its band from the ends of the other two."""
        return Band(1000.0 / (self.tb_th_um.mean + self.tb_sp_um.mean), 1000.0 / (self.tb_th_um.high + self.tb_sp_um.high),
                    1000.0 / (self.tb_th_um.low + self.tb_sp_um.low))


_SPINE_YOUNG = ("lumbar vertebral body, young adults: micro-CT of L2 (Thomsen et al. 2013, Bone 57:47; 2015, "
                "Osteoporos Int 26:219: Tb.Th independent of age) and reference ranges of vertebral micro-CT "
                "(BV/TV 0.10-0.20, Tb.Th 100-150 um, Tb.Sp 600-900 um); approx.")
_SPINE_MIDDLE = ("lumbar vertebral body at 50: interpolated along the losses from 33-49 to 80-89 years in 2D "
                 "sections of L3 (Bergot et al. 1988, Calcif Tissue Int 43:143: women -51 %, men -38 %; trabecular "
                 "width 172 -> 128 um in women, 181 -> 144 um in men) and in L3 cores (Mosekilde 1989, Bone 10:425); "
                 "approx.")
_SPINE_OLD = ("elderly vertebral cancellous bone by micro-CT: BV/TV 6.75 +- 2.45 %, Tb.Th 132 +- 22 um, Tb.Sp "
              "1020 +- 217 um (Slyfield et al. 2012, Bone 50:1281, Table 1; PMC3352993), the bands are +- 1 SD; men lose "
              "about two thirds as much bone as women (Bergot et al. 1988) and keep thicker trabeculae (Thomsen et "
              "al. 2013: vertical bone lost faster in women); men's values approx.")
_HIP = ("femoral neck: trabecular core BV/TV 0.2-0.3 (micro-CT, approx.) falling with age, more in women (Chen et al. "
        "2010, Osteoporos Int 21:627); cortex thinning with age, superiorly most (Poole et al. 2010, J Bone Miner Res "
        "25:482: superoposterior 1.63 -> 0.33 mm, inferoanterior 3.9 -> 3.3 mm from 25 to 85 years in women; less in "
        "men, Johannesdottir et al. 2013, J Bone Miner Res 28:2165); cortical porosity ~4-5 % at 40 (Laval-Jeantet et "
        "al. 1983, Calcif Tissue Int 35:268) and 7.7 % inferior to 16 % superior in women, 11-14 % in men near 80 "
        "(Bell et al. 1999, Bone 24:57); approx.")

TARGETS: tuple[Target, ...] = (
    Target("spine", "female", 25.0, Band(0.16, 0.12, 0.20), Band(135, 110, 160), Band(750, 600, 900), None, None,
           _SPINE_YOUNG),
    Target("spine", "female", 50.0, Band(0.13, 0.10, 0.16), Band(130, 105, 155), Band(860, 700, 1020), None, None,
           _SPINE_MIDDLE),
    Target("spine", "female", 80.0, Band(0.0675, 0.043, 0.092), Band(132, 110, 154), Band(1020, 803, 1237), None,
           None, _SPINE_OLD),
    Target("spine", "male", 25.0, Band(0.165, 0.13, 0.20), Band(140, 115, 165), Band(730, 590, 870), None, None,
           _SPINE_YOUNG),
    Target("spine", "male", 50.0, Band(0.14, 0.11, 0.17), Band(135, 110, 160), Band(820, 670, 970), None, None,
           _SPINE_MIDDLE),
    Target("spine", "male", 80.0, Band(0.10, 0.07, 0.13), Band(130, 105, 155), Band(950, 780, 1120), None, None,
           _SPINE_OLD),
    Target("hip", "female", 25.0, Band(0.28, 0.22, 0.34), Band(190, 150, 230), Band(750, 600, 900),
           Band(1000, 800, 1200), Band(0.045, 0.03, 0.06), _HIP),
    Target("hip", "female", 50.0, Band(0.24, 0.19, 0.29), Band(180, 145, 215), Band(820, 660, 980),
           Band(880, 700, 1060), Band(0.065, 0.045, 0.085), _HIP),
    Target("hip", "female", 80.0, Band(0.18, 0.13, 0.23), Band(165, 130, 200), Band(950, 760, 1140),
           Band(650, 450, 850), Band(0.12, 0.08, 0.16), _HIP),
    Target("hip", "male", 25.0, Band(0.30, 0.24, 0.36), Band(200, 160, 240), Band(720, 580, 860),
           Band(1100, 900, 1300), Band(0.045, 0.03, 0.06), _HIP),
    Target("hip", "male", 50.0, Band(0.26, 0.21, 0.31), Band(190, 150, 230), Band(780, 630, 930),
           Band(1000, 800, 1200), Band(0.065, 0.045, 0.085), _HIP),
    Target("hip", "male", 80.0, Band(0.21, 0.16, 0.26), Band(180, 145, 215), Band(880, 700, 1060),
           Band(850, 650, 1050), Band(0.125, 0.09, 0.16), _HIP),
)
"""Published microarchitecture of healthy bone by site, sex and age (nodes at 25, 50 and 80 years).

Each row cites its sources; the bands are about one standard deviation of the published
spread. :func:`target` interpolates them linearly in age (constant before the first and after
the last node)."""


def target(site: str, sex: str, age_years: float) -> Target:
    """Return the published target of healthy bone at ``site`` for a patient of ``sex`` and ``age_years``.

    Parameters
    ----------
    site : {"spine", "hip"}
    sex : {"female", "male"}
    age_years : float
        20..90 years; linear between the nodes of :data:`TARGETS`, constant beyond them.

    Returns
    -------
    Target
        ``age_years`` is the age asked for; ``source`` joins the sources of the nodes used.

    Examples
    --------
    >>> t = target("spine", "female", 65)
    >>> round(t.bv_tv.mean, 4), round(t.tb_sp_um.mean, 1)
    (0.0988, 940.0)
    """
    site, sex = check_choice("site", site, SITES), check_choice("sex", sex, SEXES)
    age = check_age(age_years)
    rows = [t for t in TARGETS if t.site == site and t.sex == sex]
    ages = [t.age_years for t in rows]
    upper = min(max(int(np.searchsorted(ages, age)), 1), len(rows) - 1)
    a, b = rows[upper - 1], rows[upper]
    w = min(max((age - a.age_years) / (b.age_years - a.age_years), 0.0), 1.0)

    def mix(name: str) -> Band | None:
        first, second = getattr(a, name), getattr(b, name)
        return None if first is None else first.at(w, second)

    source = a.source if a.source == b.source or w == 0.0 else (b.source if w == 1.0 else f"{a.source} | {b.source}")
    return Target(site, sex, age, mix("bv_tv"), mix("tb_th_um"), mix("tb_sp_um"), mix("cortex_thickness_um"),
                  mix("cortical_porosity"), source)


STRUT_THICKNESS_GAIN = {"spine": 1.13, "hip": 1.21}
"""Measured Tb.Th over Tb.Th_0 of generated networks, by site: junction fillets (and at the hip the struts' feet on
the cortex) add bone (``examples/calibration/starting_slices.py relations`` fits it)."""

NETWORK_DENSITY = {"spine": 1.28, "hip": 1.24}
"""BV/TV of a generated network (``strut_removal_fraction`` 0.35, no rod profiles) times ``S / Tb.Th_0``, by site
(the trabecular core at the hip); fitted by the same script."""

SEPARATION_GAIN = {"spine": 0.90, "hip": 0.81}
"""Tb.Sp over the pitch S of generated slices planned with no rod profiles, at S = 1 mm, by site; fitted by the
same script (with the profiles that make up the network's shortfall of BV/TV)."""

SEPARATION_PITCH_EXPONENT = {"spine": -0.11, "hip": -0.19}
"""Tb.Sp / S changes as ``(S / 1 mm) ** SEPARATION_PITCH_EXPONENT`` with the pitch, by site (a window holds
fewer marrow spaces as the pitch grows, and more of them are cut by its edges); fitted by the same script."""

ROD_SEPARATION_DECAY = {"spine": 2.33, "hip": 1.57}
"""Tb.Sp falls as ``exp(-ROD_SEPARATION_DECAY f_rod)`` with the planned share ``f_rod`` of trabecular bone in rod
profiles (0-0.6), by site; fitted by the same script."""

THICKENING_LIMIT = 0.7
"""Struts are thickened at most this far from the target Tb.Th towards the top of its band (see
:func:`starting_parameters`): half way, so that the measured thickness keeps inside the band."""

MAX_ROD_SHARE = 0.6
"""Largest share of trabecular bone the derivation puts into rod profiles (less where more profiles would no
longer narrow the marrow spaces: see :func:`starting_parameters`)."""


def starting_parameters(site: str, sex: str, age_years: float, **overrides: float) -> MicroarchitectureParameters:
    """Derive the generator parameters whose slices meet the published target of a site, sex and age.

    With ``t`` the target, the strut thickness, the network pitch and the share of rod
    profiles follow from the relations measured on generated slices (the constants above):

        Tb.Th_0 = Tb.Th / STRUT_THICKNESS_GAIN
        BV/TV (1 - f_rod) = NETWORK_DENSITY Tb.Th_0 / S                    the network's share
        Tb.Sp = SEPARATION_GAIN S (S / 1 mm)**a exp(-ROD_SEPARATION_DECAY f_rod)

    (each constant for the site, the trabecular core at the hip; ``a`` is
    ``SEPARATION_PITCH_EXPONENT``).

    Where even a network without profiles has too many struts for the target separation, the
    struts are first thickened (at fixed BV/TV its separation grows as ``Tb.Th_0``), at most
    ``THICKENING_LIMIT`` of the way to the top of the target's Tb.Th band: a section cuts plates
    obliquely, so plate-like bone (the young femoral neck) reads thicker and more widely spaced
    in 2D than its 3D thickness.
    Eliminating S leaves Tb.Sp a function of ``f_rod`` alone, ``~ exp(-b f) / (1 - f)**(1 + a)``,
    solved for the target by bisection on ``[0, min(MAX_ROD_SHARE, 1 - (1 + a)/b)]``, where it
    falls (beyond, more profiles would thin the network faster than they narrow the marrow); 0
    when the thickened network still has too many struts, and the end of the interval when the
    target is wider than any mix reaches. The rod profiles then fill the core up to the
    target BV/TV (``trabecular_bone_fraction``), so BV/TV holds whatever the network's noise.
    At the hip the cortex takes the target thickness and porosity. ``strut_removal_fraction``,
    ``thickness_variation`` and ``canal_diameter_um`` keep their defaults.

    Parameters
    ----------
    site : {"spine", "hip"}
    sex : {"female", "male"}
    age_years : float
        20..90 years.
    **overrides
        Microarchitecture parameters set explicitly: they win over the derived ones.

    Returns
    -------
    MicroarchitectureParameters

    Raises
    ------
    ParameterError
        For a bad site, sex or age, an unknown parameter or a value out of range.

    Examples
    --------
    >>> p = starting_parameters("spine", "female", 80)
    >>> round(p.trabecular_spacing_um), p.trabecular_bone_fraction
    (5538, 0.0675)
    >>> starting_parameters("spine", "female", 80, trabecular_spacing_um=900.0).trabecular_spacing_um
    900.0
    """
    t = target(site, sex, age_years)
    unknown = sorted(set(overrides) - set(MicroarchitectureParameters.names()))
    if unknown:
        raise ParameterError(f"unknown microarchitecture parameter {unknown[0]!r}; expected one of "
                             f"{', '.join(MicroarchitectureParameters.names())}")
    bv, sp = t.bv_tv.mean, t.tb_sp_um.mean
    density, gain = NETWORK_DENSITY[site], SEPARATION_GAIN[site]
    power, decay = 1.0 + SEPARATION_PITCH_EXPONENT[site], ROD_SEPARATION_DECAY[site]

    def separation(t0: float, f: float) -> float:          # Tb.Sp (um) of the planned slice
        pitch_mm = density * t0 / (bv * (1.0 - f)) / 1000.0
        return 1000.0 * gain * pitch_mm**power * math.exp(-decay * f)

    t0 = t.tb_th_um.mean / STRUT_THICKNESS_GAIN[site]
    # A network without profiles that is still too dense in struts for the target separation gets
    # thicker struts: at fixed BV/TV its pitch, and so its separation, grows with Tb.Th_0.
    limit = t.tb_th_um.mean + THICKENING_LIMIT * (t.tb_th_um.high - t.tb_th_um.mean)
    if separation(t0, 0.0) < sp:
        t0 = min(t0 * (sp / separation(t0, 0.0)) ** (1.0 / power), limit / STRUT_THICKNESS_GAIN[site])
    top = min(MAX_ROD_SHARE, 1.0 - power / decay)
    if separation(t0, 0.0) <= sp:
        share = 0.0
    elif separation(t0, top) >= sp:
        share = top
    else:
        low, high = 0.0, top
        for _ in range(60):
            mid = 0.5 * (low + high)
            low, high = (mid, high) if separation(t0, mid) > sp else (low, mid)
        share = 0.5 * (low + high)
    derived = dict(trabecular_thickness_um=t0, trabecular_spacing_um=density * t0 / (bv * (1.0 - share)),
                   trabecular_bone_fraction=bv)
    if site == "hip":
        derived.update(cortex_thickness_um=t.cortex_thickness_um.mean, cortical_porosity=t.cortical_porosity.mean)
    return MicroarchitectureParameters(**{**derived, **overrides})


def core_rows(site: str, shape: tuple[int, int], voxel_size_um: float, params: MicroarchitectureParameters) -> int:
    """Rows of a generated slice that hold trabecular bone only: all at the spine; at the hip those above the cortex.

    The hip's endocortical line wobbles by about +-2 ``ENDOCORTICAL_WOBBLE_UM`` and struts widen as they
    join it, so the core ends ``4 ENDOCORTICAL_WOBBLE_UM`` above the mean line.

    Returns
    -------
    int
        Number of rows from the top, at least 1.
    """
    ny, nx = _check_shape(shape)
    if site == "spine":
        return ny
    cortex_um = min(params.cortex_thickness_um, MAX_CORTEX_FRACTION * ny * voxel_size_um)
    return max(1, ny - int(math.ceil((cortex_um + 4 * ENDOCORTICAL_WOBBLE_UM) / voxel_size_um)))


def healthy_bone_fraction(site: str, sex: str, age_years: float, height_um: float) -> float:
    """Return the bone area fraction a healthy generated slice is expected to have over a window ``height_um`` tall.

    Spine: the target BV/TV. Hip: a cortex of the target thickness (at most
    ``MAX_CORTEX_FRACTION`` of the height) with the target porosity under a core of the target
    BV/TV: ``c (1 - Ct.Po) + (1 - c) BV/TV`` with ``c = min(Ct.Th, 0.45 H) / H``.

    Parameters
    ----------
    site : {"spine", "hip"}
    sex : {"female", "male"}
    age_years : float
    height_um : float
        Window height (rows times voxel edge), um.

    Returns
    -------
    float
        0..1.

    Examples
    --------
    >>> round(healthy_bone_fraction("hip", "female", 25, 2560.0), 4)
    0.5437
    """
    t = target(site, sex, age_years)
    if site == "spine":
        return t.bv_tv.mean
    share = min(t.cortex_thickness_um.mean, MAX_CORTEX_FRACTION * height_um) / height_um
    return share * (1.0 - t.cortical_porosity.mean) + (1.0 - share) * t.bv_tv.mean


# ----------------------------------------------------------------------------- generator
@dataclasses.dataclass(frozen=True)
class StartingSlice:
    """A generated slice and its compartments.

    ``bone``: (ny, nx) bool ndarray, True = bone. ``cortex``: (ny, nx) bool ndarray, True in the
    cortical shell (its bone and its Haversian canals: the rows below the endocortical line), or
    None for a slice without a cortex (the spine).
    """

    bone: np.ndarray
    cortex: np.ndarray | None


def generate(site: str, shape: tuple[int, int], voxel_size_um: float, rng: np.random.Generator,
             params: MicroarchitectureParameters | None = None) -> np.ndarray:
    """Generate a starting slice of bone for a site: the ``bone`` of :func:`generate_slice`.

    Examples
    --------
    >>> bone = generate("spine", (128, 128), 10.0, np.random.default_rng(1))
    >>> bone.shape, bone.dtype
    ((128, 128), dtype('bool'))
    """
    return generate_slice(site, shape, voxel_size_um, rng, params).bone


def generate_slice(site: str, shape: tuple[int, int], voxel_size_um: float, rng: np.random.Generator,
                   params: MicroarchitectureParameters | None = None) -> StartingSlice:
    """Generate a starting slice of bone for a site, with its cortex.

    Parameters
    ----------
    site : {"spine", "hip"}
        ``"spine"``: trabecular bone of a vertebral body. ``"hip"``: femoral-neck window,
        a cortical shell along the bottom edge (largest row index) under a trabecular core.
    shape : (int, int)
        (ny, nx) voxels, at least 16 per side.
    voxel_size_um : float
        Voxel edge, um (> 0).
    rng : numpy.random.Generator
        The only source of randomness: the same state gives the same slice.
    params : MicroarchitectureParameters, optional
        Defaults to ``MicroarchitectureParameters()``.

    Returns
    -------
    StartingSlice
        ``bone``: True = bone, False = marrow (row index grows downwards); ``cortex``: the hip's
        cortical shell, None at the spine.

    Raises
    ------
    ParameterError
        For an unknown site, a bad shape or a non-positive voxel size.
    TypeError
        If ``rng`` is not a ``numpy.random.Generator``.

    Examples
    --------
    >>> hip = generate_slice("hip", (128, 128), 10.0, np.random.default_rng(1))
    >>> bool(hip.cortex[-1].all()), bool(hip.cortex[0].any())
    (True, False)
    """
    if site not in SITES:
        raise ParameterError(f"site={site!r} is not allowed: expected one of {', '.join(map(repr, SITES))}")
    ny, nx = _check_shape(shape)
    if (isinstance(voxel_size_um, bool) or not isinstance(voxel_size_um, (int, float, np.integer, np.floating))
            or not math.isfinite(voxel_size_um) or voxel_size_um <= 0):
        raise ParameterError(f"voxel_size_um={voxel_size_um!r} is not allowed: expected a finite value > 0 um")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, not {type(rng).__name__}; "
                        "use numpy.random.default_rng(seed)")
    p = MicroarchitectureParameters() if params is None else params
    h = float(voxel_size_um)
    height, width = ny * h, nx * h
    if site == "spine":
        return StartingSlice(_rod_profiles(_trabecular(ny, nx, h, rng, p, core_height=height, cortex=None), None, h,
                                           p, rng), None)
    cortex_um = min(p.cortex_thickness_um, MAX_CORTEX_FRACTION * height)
    x = (np.arange(nx) + 0.5) * h
    wobble = _wobble(width, x, rng) * min(1.0, cortex_um / (12 * ENDOCORTICAL_WOBBLE_UM))   # tamed in thin cortices
    endo = np.clip(height - cortex_um + wobble, (1 - MAX_CORTEX_FRACTION) * height, height - cortex_um / 2)
    canals = _canal_centres(width, height, endo, x, p, rng)
    rows = (np.arange(ny)[:, None] + 0.5) * h
    cortex = rows >= endo[None, :]
    bone = _trabecular(ny, nx, h, rng, p, core_height=height - cortex_um, cortex=cortex)
    if len(canals):
        yy, xx = np.nonzero(cortex)
        dist, _ = cKDTree(canals).query(np.column_stack([(xx + 0.5) * h, (yy + 0.5) * h]),
                                        distance_upper_bound=p.canal_diameter_um / 2)
        in_canal = dist < p.canal_diameter_um / 2
        bone[yy[in_canal], xx[in_canal]] = False
    return StartingSlice(_rod_profiles(bone, cortex, h, p, rng), cortex)


def _check_shape(shape) -> tuple[int, int]:
    """Validate (ny, nx) and return it as ints."""
    try:
        dims = tuple(shape)
    except TypeError:
        dims = ()
    if (len(dims) != 2 or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims)
            or min(dims) < MIN_SIDE):
        raise ParameterError(f"shape={shape!r} is not allowed: expected (ny, nx) ints with at least {MIN_SIDE} "
                             "voxels per side")
    return int(dims[0]), int(dims[1])


def _wobble(width: float, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Smooth 1D noise along the endocortical surface, um, sampled at ``x`` (um).

    Drawn on knots every 25 um across the window plus a margin, so the curve does not
    depend on the voxel size.
    """
    step = 25.0
    margin = 4 * ENDOCORTICAL_WOBBLE_LENGTH_UM
    knots = np.arange(-margin, width + margin + step, step)
    noise = ndimage.gaussian_filter1d(rng.standard_normal(knots.size), ENDOCORTICAL_WOBBLE_LENGTH_UM / step)
    inner = (knots >= 0) & (knots <= width)
    noise -= noise[inner].mean()
    noise *= ENDOCORTICAL_WOBBLE_UM * math.sqrt(2 * math.sqrt(math.pi) * ENDOCORTICAL_WOBBLE_LENGTH_UM / step)
    return np.interp(x, knots, noise)


def _canal_centres(width: float, height: float, endo: np.ndarray, x: np.ndarray,
                   p: MicroarchitectureParameters, rng: np.random.Generator) -> np.ndarray:
    """Haversian canal centres (k, 2) as (x, y) um: random sequential adsorption without overlap."""
    d = p.canal_diameter_um
    low = endo.min()
    area = np.clip(height - endo, 0.0, None).sum() * (width / x.size)
    target = int(round(p.cortical_porosity * area / (math.pi * d * d / 4)))
    if target == 0:
        return np.empty((0, 2))
    n_try = 30 * target + 200
    cand = np.column_stack([rng.uniform(d / 2 + CANAL_GAP_UM, width - d / 2 - CANAL_GAP_UM, n_try),
                            rng.uniform(low, height, n_try)])
    ok = ((cand[:, 1] >= np.interp(cand[:, 0], x, endo) + d / 2 + CANAL_GAP_UM)
          & (cand[:, 1] <= height - d / 2 - CANAL_GAP_UM))
    cand = cand[ok]
    accepted = np.empty((target, 2))
    n = 0
    min_d2 = (d + CANAL_GAP_UM) ** 2
    for c in cand:
        if n and (((accepted[:n] - c) ** 2).sum(axis=1) < min_d2).any():
            continue
        accepted[n] = c
        n += 1
        if n == target:
            break
    return accepted[:n]


def _seeds(width: float, height: float, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Jittered-lattice seeds (k, 2) as (x, y) um covering the window and a margin."""
    margin = SEED_MARGIN * spacing
    gx = np.arange(-margin, width + margin + spacing, spacing)
    gy = np.arange(-margin, height + margin + spacing, spacing)
    nodes = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    return nodes + (rng.random(nodes.shape) - 0.5) * (SEED_JITTER * spacing)


def _clip(a: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Liang-Barsky clipping of segments ``a -> b`` ((k, 2) um) to ``box`` = (xmin, xmax, ymin, ymax).

    Returns the parameter interval (t0, t1) of the part inside; empty where t0 >= t1.
    """
    d = b - a
    t0 = np.zeros(len(a))
    t1 = np.ones(len(a))
    xmin, xmax, ymin, ymax = box
    with np.errstate(divide="ignore", invalid="ignore"):
        for pk, qk in ((-d[:, 0], a[:, 0] - xmin), (d[:, 0], xmax - a[:, 0]),
                       (-d[:, 1], a[:, 1] - ymin), (d[:, 1], ymax - a[:, 1])):
            ratio = qk / pk
            t0 = np.where(pk < 0, np.maximum(t0, ratio), t0)
            t1 = np.where(pk > 0, np.minimum(t1, ratio), t1)
            t1 = np.where((pk == 0) & (qk < 0), -1.0, t1)
    return t0, t1


def _network(width: float, core_height: float, hip: bool, p: MicroarchitectureParameters,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Choose the walls of the trabecular network (steps 1-4 of the module docstring).

    The random draws come in a fixed order: seeds, thickness factors, opening keys, pruning
    order.

    Returns
    -------
    a, b : (k, 2) float ndarrays
        End points (x, y) of the kept wall segments, um.
    factor : (k,) float ndarray
        Thickness factor of each kept wall (length-weighted mean 1 inside the window).
    """
    walls = _voronoi_walls(width, core_height, p.trabecular_spacing_um, rng)
    factor = _lognormal(rng, p.thickness_variation, walls.n)          # step 4, drawn before the openings
    if walls.n == 0:
        return walls.a, walls.b, factor
    removed = _openings(walls, width, core_height, hip, p, rng)
    graph = _BoneGraph.of(walls, core_height, hip)
    kept = _main_component(graph.ends, ~removed, walls.length, graph.n_nodes, graph.cortex_node if hip else None)
    kept, a, b, length = _prune(walls, graph, kept, p.strut_removal_fraction, rng)
    if length[kept].sum() > 0:
        factor = factor / np.average(factor[kept], weights=length[kept])
    return a[kept], b[kept], factor[kept]


@dataclasses.dataclass(frozen=True)
class _Walls:
    """Voronoi walls that cross the trabecular core: the struts of a closed-cell network (step 1)."""

    seeds: np.ndarray
    """(n_cells, 2) float array: seed (x, y) of each Voronoi cell, um."""
    n_vertices: int
    """Number of Voronoi vertices."""
    a: np.ndarray
    """(k, 2) float array: first end point (x, y) of each wall, um (a Voronoi vertex, maybe outside the core)."""
    b: np.ndarray
    """(k, 2) float array: second end point, um."""
    ridge_v: np.ndarray
    """(k, 2) int array: Voronoi vertex index of each end."""
    ridge_p: np.ndarray
    """(k, 2) int array: the two cells (seed indices) the wall separates."""
    t0: np.ndarray
    """(k,) float array: start of the part inside the core along a -> b, 0..1."""
    t1: np.ndarray
    """(k,) float array: end of the part inside the core, 0..1."""
    length: np.ndarray
    """(k,) float array: length inside the core, um."""

    @property
    def n(self) -> int:
        """Number of walls."""
        return len(self.a)

    @property
    def n_cells(self) -> int:
        """Number of Voronoi cells (marrow spaces)."""
        return len(self.seeds)


def _voronoi_walls(width: float, core_height: float, spacing: float, rng: np.random.Generator) -> _Walls:
    """Step 1: Voronoi walls of jittered-lattice seeds, kept where they cross the core.

    Parameters
    ----------
    width, core_height : float
        Core (0..width) x (0..core_height), um.
    spacing : float
        Seed lattice pitch (Tb.Sp_0), um.
    rng : numpy.random.Generator
        Draws the seed jitter.
    """
    seeds = _seeds(width, max(core_height, 0.0), spacing, rng)
    vor = Voronoi(seeds)
    ridge_v = np.asarray(vor.ridge_vertices)
    ridge_p = np.asarray(vor.ridge_points)
    finite = (ridge_v >= 0).all(axis=1)
    ridge_v, ridge_p = ridge_v[finite], ridge_p[finite]
    a, b = vor.vertices[ridge_v[:, 0]], vor.vertices[ridge_v[:, 1]]
    t0, t1 = _clip(a, b, (0.0, width, 0.0, core_height))
    inside = t0 < t1
    a, b, t0, t1 = a[inside], b[inside], t0[inside], t1[inside]
    return _Walls(seeds=seeds, n_vertices=len(vor.vertices), a=a, b=b, ridge_v=ridge_v[inside],
                  ridge_p=ridge_p[inside], t0=t0, t1=t1, length=np.hypot(*(b - a).T) * (t1 - t0))


def _openings(walls: _Walls, width: float, core_height: float, hip: bool, p: MicroarchitectureParameters,
              rng: np.random.Generator) -> np.ndarray:
    """Step 2: walls removed along a Kruskal spanning tree of the marrow spaces.

    Cells that reach an open edge of the window join the outside first. Random keys order
    the walls: walls too short to leave an opening (< 2 Tb.Th_0) come last, and shorter walls
    are mildly preferred among the others (so the openings do not remove mostly long walls).

    Returns
    -------
    (k,) bool ndarray
        True for the walls opened.
    """
    n_cells, ridge_p, length = walls.n_cells, walls.ridge_p, walls.length
    out = n_cells
    owners = _edge_cells(walls, width, core_height, hip)
    short = length < 2.0 * p.trabecular_thickness_um
    key = 1.0 + 0.5 * rng.random(walls.n) + 0.5 * np.minimum(length / (2 * p.trabecular_spacing_um), 1.0) + short
    rows = np.concatenate([ridge_p[:, 0], owners])
    cols = np.concatenate([ridge_p[:, 1], np.full(owners.size, out)])
    weights = np.concatenate([key, np.full(owners.size, 0.5)])
    graph = sparse.coo_matrix((weights, (rows, cols)), shape=(n_cells + 1, n_cells + 1)).tocsr()
    tree = csgraph.minimum_spanning_tree(graph).tocoo()
    opened = tree.data >= 1.0
    index = sparse.coo_matrix((np.arange(1, walls.n + 1), (ridge_p[:, 0], ridge_p[:, 1])),
                              shape=(n_cells + 1, n_cells + 1)).tocsr()
    index = index + index.T
    removed = np.zeros(walls.n, dtype=bool)
    if opened.any():
        removed[np.asarray(index[tree.row[opened], tree.col[opened]]).ravel() - 1] = True
    return removed


@dataclasses.dataclass(frozen=True)
class _BoneGraph:
    """The walls as edges of the bone graph.

    Nodes: the Voronoi vertices inside the core (``0 .. n_vertices - 1``), the cortex
    (``cortex_node``; reached through the bottom edge at the hip) and a private node per wall
    end that runs out of an open edge of the window.
    """

    ends: np.ndarray
    """(k, 2) int array: node of each wall end."""
    n_vertices: int
    """Nodes below this are Voronoi vertices (free ends when loose)."""
    cortex_node: int
    n_nodes: int

    @classmethod
    def of(cls, walls: _Walls, core_height: float, hip: bool) -> _BoneGraph:
        """Build the graph of ``walls`` in a core of height ``core_height`` um (cortex below it if ``hip``)."""
        n_vert = walls.n_vertices
        cortex_node = n_vert
        ends = walls.ridge_v.copy()
        a, b = walls.a, walls.b
        for col, at, exits in ((0, walls.t0, walls.t0 > 0), (1, walls.t1, walls.t1 < 1)):
            point = a + at[:, None] * (b - a)
            via_bottom = hip & (np.abs(point[:, 1] - core_height) < 1e-6 * max(core_height, 1.0))
            ends[exits, col] = np.where(via_bottom[exits], cortex_node, n_vert + 1 + 2 * np.flatnonzero(exits) + col)
        return cls(ends=ends, n_vertices=n_vert, cortex_node=cortex_node, n_nodes=n_vert + 1 + 2 * walls.n)


def _prune(walls: _Walls, graph: _BoneGraph, kept: np.ndarray, removal_fraction: float,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step 3: remove dangling struts until ``removal_fraction`` of the wall length in the core is gone.

    Free ends go first, then struts running out of an open edge, in random order; the last
    one is shortened from its loose end instead.

    Parameters
    ----------
    walls : _Walls
        All walls.
    graph : _BoneGraph
        Their bone graph.
    kept : (k,) bool ndarray
        Walls left by the openings (not changed).
    removal_fraction : float
        Target share of the wall length removed by openings and pruning together, 1.
    rng : numpy.random.Generator
        Draws the pruning order.

    Returns
    -------
    kept : (k,) bool ndarray
        Walls kept.
    a, b : (k, 2) float ndarrays
        End points, um (the shortened wall moved).
    length : (k,) float ndarray
        Length inside the core, um (the shortened wall's reduced).
    """
    ends, cortex_node = graph.ends, graph.cortex_node
    t0, t1 = walls.t0, walls.t1
    kept, a, b, length = kept.copy(), walls.a.copy(), walls.b.copy(), walls.length.copy()
    full = np.hypot(*(b - a).T)
    need = removal_fraction * length.sum() - length[~kept].sum()
    free_vertex = np.zeros(graph.n_nodes, dtype=bool)
    free_vertex[:graph.n_vertices] = True
    while need > 0 and kept.sum() > 1:
        degree = np.bincount(ends[kept].ravel(), minlength=graph.n_nodes)
        loose = kept[:, None] & (degree[ends] == 1) & (ends != cortex_node)      # (n_walls, 2)
        cand = np.flatnonzero((loose & free_vertex[ends]).any(axis=1))
        if cand.size == 0:
            cand = np.flatnonzero(loose.any(axis=1))
        if cand.size == 0:
            break
        order = rng.permutation(cand)[: kept.sum() - 1]
        take = order[np.cumsum(length[order]) <= need]
        kept[take] = False
        need -= length[take].sum()
        if take.size < order.size:
            w = order[take.size]
            if loose[w, 0] and (free_vertex[ends[w, 0]] or not loose[w, 1]):
                a[w] = a[w] + (t0[w] + need / full[w]) * (b[w] - a[w])
            else:
                b[w] = a[w] + (t1[w] - need / full[w]) * (b[w] - a[w])
            length[w] -= need
            need = 0.0
    return kept, a, b, length


def _edge_cells(walls: _Walls, width: float, core_height: float, hip: bool) -> np.ndarray:
    """Find the cells that reach an open edge of the window (all four; top, left and right at the hip).

    Exact: the part of an edge inside a cell is an interval whose ends are the crossings
    of the cell's walls with the edge or the ends of the edge.

    Returns
    -------
    (m,) int ndarray
        Sorted cell (seed) indices.
    """
    seeds, a, b, ridge_p = walls.seeds, walls.a, walls.b, walls.ridge_p
    sides = [((0.0, 0.0), (width, 0.0)), ((0.0, 0.0), (0.0, core_height)), ((width, 0.0), (width, core_height))]
    if not hip:
        sides.append(((0.0, core_height), (width, core_height)))
    corners = np.array([end for side in sides for end in side])
    owners = [cKDTree(seeds).query(corners)[1]]
    for (x0, y0), (x1, y1) in sides:
        if y0 == y1:                                              # horizontal edge y = y0
            crosses = (a[:, 1] - y0) * (b[:, 1] - y0) <= 0
            along = a[:, 0] + (b[:, 0] - a[:, 0]) * _ratio(y0 - a[:, 1], b[:, 1] - a[:, 1])
            hit = crosses & (along >= x0) & (along <= x1)
        else:                                                     # vertical edge x = x0
            crosses = (a[:, 0] - x0) * (b[:, 0] - x0) <= 0
            along = a[:, 1] + (b[:, 1] - a[:, 1]) * _ratio(x0 - a[:, 0], b[:, 0] - a[:, 0])
            hit = crosses & (along >= y0) & (along <= y1)
        owners.append(ridge_p[hit].ravel())
    return np.unique(np.concatenate(owners))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Return num / den, with 0 where den is 0."""
    safe = np.where(den == 0, 1.0, den)
    return np.where(den == 0, 0.0, num / safe)


def _main_component(ends: np.ndarray, kept: np.ndarray, length: np.ndarray, n_nodes: int,
                    anchor: int | None) -> np.ndarray:
    """Keep only the walls of the bone component holding ``anchor`` (or the longest one)."""
    idx = np.flatnonzero(kept)
    if idx.size == 0:
        return kept
    graph = sparse.coo_matrix((np.ones(idx.size), (ends[idx, 0], ends[idx, 1])), shape=(n_nodes, n_nodes))
    _, labels = csgraph.connected_components(graph, directed=False)
    wall_label = labels[ends[idx, 0]]
    if anchor is not None and (ends[idx] == anchor).any():
        main = labels[anchor]
    else:
        main = np.argmax(np.bincount(wall_label, weights=length[idx]))
    out = np.zeros_like(kept)
    out[idx[wall_label == main]] = True
    return out


def _lognormal(rng: np.random.Generator, cv: float, n: int) -> np.ndarray:
    """Log-normal factors with mean 1 and coefficient of variation ``cv``."""
    s2 = math.log1p(cv * cv)
    return np.exp(math.sqrt(s2) * rng.standard_normal(n) - s2 / 2)


def _trabecular(ny: int, nx: int, h: float, rng: np.random.Generator, p: MicroarchitectureParameters,
                core_height: float, cortex: np.ndarray | None) -> np.ndarray:
    """Rasterise the trabecular network (and merge it with ``cortex`` if given); see the module docstring."""
    width = nx * h
    t_mean = p.trabecular_thickness_um
    a, b, factor = _network(width, core_height, cortex is not None, p, rng)
    if len(a) == 0:
        return np.zeros((ny, nx), dtype=bool) if cortex is None else cortex.copy()
    if cortex is not None:
        # Struts that reach the endocortical line continue straight down into the cortex, so that
        # they join it wherever the wobbling boundary lies.
        below = (a[:, 1] - core_height) * (b[:, 1] - core_height) < 0
        cross = a[below] + ((core_height - a[below, 1]) / (b[below, 1] - a[below, 1]))[:, None] * (b[below] - a[below])
        deep = cross + [0.0, 4 * ENDOCORTICAL_WOBBLE_UM + t_mean]
        a, b, factor = np.concatenate([a, cross]), np.concatenate([b, deep]), np.concatenate([factor, factor[below]])
    t_floor = max(MIN_THICKNESS_FRACTION * t_mean, MIN_THICKNESS_VOXELS * h)
    t_wall = np.maximum(t_mean * factor, t_floor)
    blur = BLUR_FRACTION * t_mean / h                                # voxels
    warp_um = WARP_FRACTION * p.trabecular_spacing_um
    pad = int(math.ceil(0.5 * t_wall.max() * (1 + SURFACE_NOISE_CLIP) / h + 3 * blur)) + 2
    py, px = ny + 2 * pad, nx + 2 * pad
    lo, hi = -pad * h, np.array([nx + pad, ny + pad]) * h             # padded grid, um
    reach = 5 * warp_um                                               # centre lines may bend in from here
    box = (lo - reach, hi[0] + reach, lo - reach, hi[1] + reach)
    # The noise fields live on a box set in micrometres only, so that the same rng gives the
    # same structure at any voxel size.
    margin = max(SEED_MARGIN * p.trabecular_spacing_um, pad * h + reach)
    field_box = (-margin, width + margin, -margin, ny * h + margin)

    # Centre lines sampled every 0.4 voxel, bent by a smooth displacement field (thickness is kept).
    t0, t1 = _clip(a, b, box)
    seg_len = np.hypot(*(b - a).T) * np.clip(t1 - t0, 0.0, None)
    n_pts = np.where(t1 > t0, np.ceil(seg_len / (0.4 * h)).astype(np.int64) + 1, 0)
    wall = np.repeat(np.arange(len(a)), n_pts)
    start = np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    frac = (np.arange(wall.size) - start) / np.maximum(np.repeat(n_pts, n_pts) - 1, 1)
    t = t0[wall] + frac * (t1[wall] - t0[wall])
    pts = a[wall] + t[:, None] * (b[wall] - a[wall])
    # The displacement across an edge of the window (or the endocortical line) fades out near it, so
    # no junction crosses it and the network's connections inside the window are kept.
    shift = warp_um * _smooth_noise(rng, field_box, WARP_LENGTH * p.trabecular_spacing_um, pts, 2)
    fade = 4 * warp_um
    shift[:, 0] *= np.clip(np.minimum(np.abs(pts[:, 0]), np.abs(pts[:, 0] - width)) / fade, 0.0, 1.0)
    shift[:, 1] *= np.clip(np.minimum(np.abs(pts[:, 1]), np.abs(pts[:, 1] - core_height)) / fade, 0.0, 1.0)
    pts += shift
    iy = np.floor(pts[:, 1] / h).astype(np.int64) + pad
    ix = np.floor(pts[:, 0] / h).astype(np.int64) + pad
    on = (iy >= 0) & (iy < py) & (ix >= 0) & (ix < px)
    label = np.full((py, px), -1, dtype=np.int64)
    label[iy[on], ix[on]] = np.flatnonzero(on)
    if not on.any():
        return np.zeros((ny, nx), dtype=bool) if cortex is None else cortex.copy()
    _, (ny_idx, nx_idx) = ndimage.distance_transform_edt(label < 0, return_indices=True)
    nearest = label[ny_idx, nx_idx]                                  # nearest centre-line sample

    # Bone where a voxel centre lies within half the local strut thickness of the centre line.
    yc = (np.arange(py)[:, None] - pad + 0.5) * h
    xc = (np.arange(px)[None, :] - pad + 0.5) * h
    dist = np.hypot(xc - pts[nearest, 0], yc - pts[nearest, 1])
    centres = np.stack(np.meshgrid(xc.ravel(), yc.ravel()), axis=-1).reshape(-1, 2)
    surface = _smooth_noise(rng, field_box, SURFACE_NOISE_LENGTH * t_mean, centres, 1,
                            min_step=h / 2).reshape(py, px)
    modulation = np.clip(1.0 + SURFACE_NOISE * surface, 1 - SURFACE_NOISE_CLIP, 1 + SURFACE_NOISE_CLIP)
    raw = dist < 0.5 * np.maximum(t_wall[wall[nearest]] * modulation, t_floor)
    if cortex is not None:
        raw |= np.pad(cortex, pad, mode="edge")

    # Round the junctions (also where struts meet the cortex) and the free ends.
    smooth = ndimage.gaussian_filter(raw.astype(np.float32), blur) > 0.5
    bone = smooth[pad:pad + ny, pad:pad + nx]
    if cortex is not None:
        bone |= cortex
    return _clean(bone, cortex, t_mean / h)


def _rod_profiles(bone: np.ndarray, cortex: np.ndarray | None, h: float, p: MicroarchitectureParameters,
                  rng: np.random.Generator) -> np.ndarray:
    """Step 7: isolated rod profiles in the marrow of the core until its bone fraction is ``trabecular_bone_fraction``.

    Each profile is a capsule, a rod cut obliquely by the plane of the slice: width
    ``ROD_WIDTH_FACTOR Tb.Th_0`` times a log-normal factor (coefficient of variation
    ``thickness_variation``), length along its axis the width plus ``U(0, ROD_ELONGATION)``
    widths, orientation uniform. Each profile is offered ``ROD_CANDIDATES`` centres drawn
    uniformly over the window and takes the one farthest from bone (best-candidate sampling);
    it is kept when that centre lies at least half its length plus half its width plus
    ``ROD_GAP_FRACTION`` widths from any bone or cortex. Drawing stops when the core's bone
    reaches the fraction (the last capsule may overshoot it by its own area) or ten times the
    profiles needed have been offered; a network that already holds more gets none.

    Returns
    -------
    (ny, nx) bool ndarray
        A new array if profiles were added, else ``bone`` itself.
    """
    ny, nx = bone.shape
    core = np.ones_like(bone) if cortex is None else ~cortex
    missing = p.trabecular_bone_fraction * np.count_nonzero(core) - np.count_nonzero(bone & core)   # voxels
    if missing <= 0:
        return bone
    # Drawn in micrometres, so that the same rng gives the same profiles at any voxel size.
    width_um = ROD_WIDTH_FACTOR * p.trabecular_thickness_um
    n_rods = int(10 * missing * h * h / (width_um**2 * (math.pi / 4 + ROD_ELONGATION / 2))) + 20
    cy = rng.uniform(0, ny * h, (n_rods, ROD_CANDIDATES))
    cx = rng.uniform(0, nx * h, (n_rods, ROD_CANDIDATES))
    widths = width_um * _lognormal(rng, p.thickness_variation, n_rods)
    lengths = widths * rng.uniform(0.0, ROD_ELONGATION, n_rods)
    angles = rng.uniform(0.0, math.pi, n_rods)
    bone = bone.copy()
    room = _Room(bone | cortex if cortex is not None else bone.copy(), h)
    for ys, xs, w, ell, a in zip(cy, cx, widths, lengths, angles, strict=True):
        if missing <= 0:
            break
        iy, ix = (ys / h).astype(np.intp), (xs / h).astype(np.intp)
        space = room.at(iy, ix)
        best = int(np.argmax(space))
        if space[best] < (ell + w) / 2 + ROD_GAP_FRACTION * w:
            continue
        y, x = ys[best] / h, xs[best] / h                                                  # voxels
        reach = int(math.ceil((ell + w) / (2 * h))) + 1
        y0, y1 = max(int(y) - reach, 0), min(int(y) + reach + 1, ny)
        x0, x1 = max(int(x) - reach, 0), min(int(x) + reach + 1, nx)
        dy = (np.arange(y0, y1)[:, None] + 0.5 - y) * h
        dx = (np.arange(x0, x1)[None, :] + 0.5 - x) * h
        along = np.clip(dy * math.sin(a) + dx * math.cos(a), -ell / 2, ell / 2)
        capsule = np.hypot(dy - along * math.sin(a), dx - along * math.cos(a)) < w / 2
        bone[y0:y1, x0:x1] |= capsule
        room.add(y0, x0, capsule)
        missing -= np.count_nonzero(capsule)
    return bone


class _Room:
    """Distance (um) from voxel centres to the nearest solid voxel centre while capsules are added to the solid.

    The distance map of the starting solid is taken once; an added capsule lowers it only
    through its edge voxels (the nearest voxel of a set to a point outside it always has a
    4-neighbour outside it), kept in a k-d tree. The distances are those of
    :func:`_room` on the grown solid, bit for bit, at a fraction of a full transform per capsule.
    """

    def __init__(self, solid: np.ndarray, h: float) -> None:
        self.solid, self.h = solid, h
        self.base = _room(solid, h)
        self.edges = np.empty((0, 2), dtype=np.intp)
        self.tree: cKDTree | None = None

    def add(self, y0: int, x0: int, capsule: np.ndarray) -> None:
        """Make ``capsule`` (a bool window whose corner is voxel (y0, x0)) solid."""
        self.solid[y0:y0 + capsule.shape[0], x0:x0 + capsule.shape[1]] |= capsule
        edge = np.argwhere(capsule & ~ndimage.binary_erosion(capsule, border_value=0)) + (y0, x0)
        self.edges = np.concatenate([self.edges, edge])
        self.tree = cKDTree(self.edges)

    def at(self, iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
        """Distance (um) at voxels (iy, ix): 0 inside the solid."""
        space = self.base[iy, ix]
        if self.tree is not None:
            points = np.column_stack([iy, ix])
            _, k = self.tree.query(points)
            d2 = ((self.edges[k] - points) ** 2).sum(axis=1)
            space = np.minimum(space, np.sqrt(d2.astype(float)) * self.h)
        return np.where(self.solid[iy, ix], 0.0, space)


def _room(solid: np.ndarray, h: float) -> np.ndarray:
    """Distance (um) from each voxel centre to the nearest solid voxel centre; infinite without any."""
    return ndimage.distance_transform_edt(~solid) * h if solid.any() else np.full(solid.shape, np.inf)


def _smooth_noise(rng: np.random.Generator, box: tuple[float, float, float, float], length_um: float,
                  points: np.ndarray, n: int, min_step: float = 0.0) -> np.ndarray:
    """``n`` smooth Gaussian random fields of unit variance over ``box``, sampled at ``points``.

    White noise on a lattice of pitch ``max(length_um / 4, min_step)`` covering ``box`` =
    (xmin, xmax, ymin, ymax) um is Gaussian-filtered (sigma ``length_um``) and
    interpolated linearly, so the field does not depend on the voxel size (as long as
    the voxel is finer than ``2 length_um``).

    Parameters
    ----------
    points : (k, 2) float ndarray
        (x, y) um.

    Returns
    -------
    (k, n) float ndarray, or (k,) if n == 1
    """
    step = max(length_um / 4, min_step)
    sigma = length_um / step
    xmin, xmax, ymin, ymax = box
    margin = int(math.ceil(4 * sigma))
    shape = (int(math.ceil((ymax - ymin) / step)) + 1 + 2 * margin, int(math.ceil((xmax - xmin) / step)) + 1 + 2 * margin)
    fields = ndimage.gaussian_filter(rng.standard_normal((n, *shape)), (0, sigma, sigma), mode="wrap")
    fields /= np.maximum(fields.std(axis=(1, 2), keepdims=True), 1e-12)
    coords = [margin + (points[:, 1] - ymin) / step, margin + (points[:, 0] - xmin) / step]
    out = np.stack([ndimage.map_coordinates(f, coords, order=1, mode="nearest") for f in fields], axis=-1)
    return out[:, 0] if n == 1 else out


def _clean(bone: np.ndarray, cortex: np.ndarray | None, t_mean_vox: float) -> np.ndarray:
    """Keep the main bone component; fill small sealed-off marrow holes and open the large ones.

    A marrow region sealed off inside the window (not reaching an open edge: all four,
    or top, left and right with a cortex) smaller than ``(HOLE_FILL_FRACTION * Tb.Th_0)**2``
    becomes bone; a larger one is opened by a channel ``CHANNEL_FRACTION * Tb.Th_0`` wide
    along the shortest straight path to open marrow or an open edge. The channel cuts
    the ring of bone that seals the region, so the bone stays connected (pieces it may
    cut off are dropped). The cortex is never cut.
    """
    eight = np.ones((3, 3), dtype=bool)
    # Open edges, on a grid with a one-voxel frame: marrow continues beyond them.
    frame = np.zeros((bone.shape[0] + 2, bone.shape[1] + 2), dtype=bool)
    frame[0], frame[:, 0], frame[:, -1] = True, True, True
    if cortex is None:
        frame[-1] = True
    bone = _main_bone(bone, cortex, eight)
    for _ in range(10):
        labels, n = ndimage.label(np.pad(~bone, 1) | frame)
        reach = np.zeros(n + 1, dtype=bool)
        reach[labels[frame]] = True
        sealed = ~reach
        sealed[0] = False
        if not sealed.any():
            break
        sizes = np.bincount(labels.ravel(), minlength=n + 1)
        small = sealed & (sizes < (HOLE_FILL_FRACTION * t_mean_vox) ** 2)
        bone = bone | small[labels[1:-1, 1:-1]]
        large = np.flatnonzero(sealed & ~small)
        if large.size == 0:
            break
        dist, (iy, ix) = ndimage.distance_transform_edt(~reach[labels] | (labels == 0), return_indices=True)
        for py_, px_ in ndimage.minimum_position(dist, labels, large):
            bone = _carve(bone, cortex, (py_ - 1, px_ - 1), (iy[py_, px_] - 1, ix[py_, px_] - 1),
                          CHANNEL_FRACTION * t_mean_vox)
        bone = _main_bone(bone, cortex, eight)
    return bone


def _main_bone(bone: np.ndarray, cortex: np.ndarray | None, structure: np.ndarray) -> np.ndarray:
    """Bone 8-connected to the cortex (if any) or to the largest component."""
    labels, n = ndimage.label(bone, structure=structure)
    if n <= 1:
        return bone
    if cortex is not None and cortex.any():
        keep = np.unique(labels[cortex])
        return np.isin(labels, keep[keep > 0])
    return labels == np.argmax(np.bincount(labels.ravel())[1:]) + 1


def _carve(bone: np.ndarray, cortex: np.ndarray | None, p: tuple[int, int], q: tuple[int, int],
           width: float) -> np.ndarray:
    """Turn to marrow the voxels within ``width / 2`` of the segment p -> q (voxel indices), extended past q."""
    p_, q_ = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    d = q_ - p_
    length = np.hypot(*d)
    if length > 0:
        q_ = q_ + d / length * (width / 2)
        d = q_ - p_
    r = width / 2
    y0, y1 = int(max(min(p_[0], q_[0]) - r - 1, 0)), int(min(max(p_[0], q_[0]) + r + 2, bone.shape[0]))
    x0, x1 = int(max(min(p_[1], q_[1]) - r - 1, 0)), int(min(max(p_[1], q_[1]) + r + 2, bone.shape[1]))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(float)
    s = np.clip(((yy - p_[0]) * d[0] + (xx - p_[1]) * d[1]) / max(d @ d, 1e-12), 0.0, 1.0)
    cut = np.hypot(yy - p_[0] - s * d[0], xx - p_[1] - s * d[1]) < r
    if cortex is not None:
        cut &= ~cortex[y0:y1, x0:x1]
    bone = bone.copy()
    bone[y0:y1, x0:x1] &= ~cut
    return bone

__all__ = ["SITES", "TARGETS", "Band", "MicroarchitectureParameters", "Target", "core_rows", "generate",
           "healthy_bone_fraction", "starting_parameters", "target"]
