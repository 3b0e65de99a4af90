"""Where and when new cells appear (step 3 of the day).

Osteoclastogenesis: every marrow voxel on a mineralised-bone surface that no cell occupies
may gain an osteoclast (precursors fusing) with daily probability

    P_oc = nu_oc * M_oc * P * theta^n,    theta = R_free / (R_free + K_D (1 + N_oc / N_c))

(RANK occupancy of precursors by free RANKL; the steep power n makes a dying osteocyte's
local signal start a unit while the background allows only occasional random remodeling; P is
the marrow's precursor pool relative to a healthy adult's, :mod:`bonegrid.osteoclast_precursors`, which
fills while RANKL is blocked and drains into osteoclasts when it returns, and shrinks when a cause such as
glucocorticoid excess lowers the marrow's supply of precursors).
Working osteoclasts also carry RANK and bind RANKL: ``N_oc`` osteoclasts within
``bmu_join_radius_um`` compete with the precursors there, so a team limits its own growth. A new
osteoclast joins the unit of a working osteoclast within ``bmu_join_radius_um``, or of the
cavity it forms on if that was eroded within the reversal phase and a differentiation time, or of a
cavity within the radius still in its resorption phase; else it opens a new unit.

Reversal-resorption: a cavity surface does not turn from resorption to formation at once. Reversal
cells (osteoblast-lineage cells) colonise the freshly eroded surface while osteoclasts still work
beside them, and more osteoclasts form there, until osteoprogenitors take the surface over (Lassen
2017; Delaisse 2020). So every free cavity voxel on mineralised bone eroded 1 to ``reversal_days``
days ago also commits precursors to an osteoclast of its cavity's unit with daily probability

    P_rr = nu_rr * M_Li * P * a

(``M_Li``: lithium's block of RANKL signalling, :attr:`~bonegrid.effects.CellModifiers.osteoclastogenesis`;
``a``: the share of the RANK signal a drug leaves; the reversal cells present RANKL themselves, so
the field's level does not enter, nor does thyroid hormone, which speeds the osteoclasts' work).
Each osteoclast leaves eroded surface that may raise a successor: the unit's resorption front is
renewed and travels on along the surface, and the resorption phase outlasts an osteoclast's life
(~4 weeks against ~2, Eriksen 1994), while a unit whose surface is covered by osteoblasts, or is
older than the reversal phase, raises none, so units end.

Osteoblast recruitment: every cavity voxel that touches matrix, is free, and was resorbed
at least ``reversal_days`` ago (the reversal phase) but not more than
``osteoblast_recruitment_window_days`` after that may gain an osteoblast with probability

    P_ob = nu_ob * M_ob * T / (T + K_T) * K_W / (K_W + W)

(T: active TGF-beta released from the resorbed matrix; W: Wnt antagonists). After the window a
cavity surface is an arrested reversal surface (unless at least ``osteoblast_canopy_team`` of its
unit's osteoblasts are at work: the canopy over a forming team keeps it open;
:meth:`~bonegrid.model.BoneModel.arrested`): no new osteoblast settles on it, only osteoblasts
already working in the unit (moving along its cavity) or in a neighbouring unit (moving onto it, for their own unit:
:meth:`~bonegrid.agents.osteoblast.Osteoblast.move_to`) can still refill it, so too few or too
short-lived osteoblasts leave a deficit in that unit.

Lining-cell activation (anabolic signalling only): under intermittent PTH, or loading above the
customary loading, a free quiescent matrix surface (touching matrix, not a cavity) gains an
osteoblast with probability

    P_lin = (nu_lin + P_M) * K_W / (K_W + W)

(``nu_lin`` from :attr:`~bonegrid.effects.CellModifiers.lining_activation`, 0 otherwise; ``P_M`` the
mechanostat's strain-weighted chance, :mod:`bonegrid.mechanostat`, 0 at habitual or reduced loading). It works
for no remodeling unit and lays osteoid on the surface as it crawls along it: modelling-based
formation, without resorption first.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bonegrid.agents.osteoblast import Osteoblast
from bonegrid.agents.osteoclast import Osteoclast
from bonegrid.fields import free_rankl, rank_occupancy
from bonegrid.parameters import ParameterSet, param
from bonegrid.tissue import Surfaces


@dataclasses.dataclass(frozen=True)
class RecruitmentParameters(ParameterSet):
    """Rates of cell recruitment."""

    osteoclastogenesis_per_day: float = param(
        0.15, unit="1/day per surface voxel", low=0.0, high=1.0, symbol="\\nu_{Oc}",
        doc="maximal daily chance that precursors fuse into an osteoclast on a bone-surface voxel",
        source="fitted to the healthy turnover band (~25%/year in trabecular bone, Parfitt) on the patient's "
               "starting slice, with osteocyte_apoptosis_per_year and reversal_osteoclastogenesis_per_day held: it "
               "scales every unit's start alike, so a cause's fold change of RANKL keeps its fold change of "
               "turnover; re-fit: python -m bonegrid.runs.calibrate osteoclastogenesis_per_day")
    osteoclastogenesis_hill: float = param(
        4.0, unit="1", low=1.0, high=10.0, symbol="n",
        doc="steepness of osteoclastogenesis in RANK occupancy",
        source="modelling choice (commitment needs sustained RANK signalling)")
    osteoclast_rank_competition: float = param(
        1.0, unit="osteoclasts", low=1e-3, high=1e3, symbol="N_c",
        doc="working osteoclasts nearby that double the free RANKL precursors need (RANK sink)",
        source="modelling choice; Pivonka et al. 2008 (RANK binds RANKL)")
    osteoclast_precursor_turnover_days: float = param(
        60.0, unit="day", low=1.0, high=3650.0, symbol="\\tau_P",
        doc="turnover time of the marrow's RANK-expressing precursor pool (replenishment, death, fusion)",
        source="approx.: bone turnover rebounds over months after denosumab is stopped (Bone 2011, "
               "doi:10.1210/jc.2010-1502); osteomorphs persist for weeks (McDonald 2021, "
               "doi:10.1016/j.cell.2021.02.002)")
    osteoclast_precursor_fusion_share: float = param(
        0.67, unit="1", low=0.0, high=0.99, symbol="c",
        doc="share of the precursor pool's outflow that is fusion into osteoclasts without the drug; with "
            "fusion blocked the pool fills to 1/(1-c)",
        source="approx.: CTX rises to about twice its pre-treatment level after denosumab is stopped "
               "(Bone 2011; Cummings 2018, doi:10.1002/jbmr.3337)")
    osteoclast_differentiation_days: int = param(
        7, unit="day", low=0, high=60, symbol="\\tau_D",
        doc="days from a precursor's commitment by RANKL on a bone surface to the resorbing osteoclast it "
            "becomes there (0: the same day)",
        source="RANKL + M-CSF turn committed precursors into multinucleated TRAP+ osteoclasts over ~5-7 days "
               "(Arai 1999, doi:10.1084/jem.190.12.1741; Boyle 2003, doi:10.1038/nature01658)")
    reversal_osteoclastogenesis_per_day: float = param(
        0.01, unit="1/day per eroded surface voxel", low=0.0, high=1.0, symbol="\\nu_{rr}",
        doc="daily chance that precursors meeting the reversal cells on a freshly eroded, still free cavity surface "
            "(1 to tau_rev days after its erosion) commit to an osteoclast of that cavity's unit, x the precursor "
            "pool and the share of RANK signal a drug leaves, whatever the RANKL field: the reversal-resorption "
            "phase that carries a unit's resorption on past its first osteoclasts' lives",
        source="reversal cells are osteoblast-lineage cells that colonise eroded surfaces while osteoclasts still "
               "resorb beside them, and osteoclasts keep forming there until osteoprogenitors take over (Abdelgawad "
               "et al. 2016, Histochem Cell Biol; Lassen et al. 2017, J Bone Miner Res 32:1395; Delaisse et al. "
               "2020, Bone); fitted to the healthy resorption phase (~27 days, Eriksen 1994), with "
               "osteoclastogenesis_per_day held; re-fit: python -m "
               "bonegrid.runs.calibrate reversal_osteoclastogenesis_per_day")
    bmu_join_radius_um: float = param(
        100.0, unit="um", low=0.0, high=1000.0, symbol="r_{BMU}",
        doc="a new osteoclast within this distance of a working one joins its unit",
        source="modelling choice (BMU width ~100-200 um)")
    osteoblast_recruitment_per_day: float = param(
        0.2, unit="1/day per cavity voxel", low=0.0, high=1.0, symbol="\\nu_{Ob}",
        doc="maximal daily chance an osteoblast settles on a free reversal-surface voxel",
        source="calibrated: cavity surface covered within ~1-2 weeks of reversal")
    osteoblast_tgfb_half_pM: float = param(
        10.0, unit="pM", low=1e-6, high=1e6, symbol="K_{T,Ob}",
        doc="TGF-beta at half-maximal osteoblast recruitment", source="modelling choice")
    osteoblast_wnt_half_pM: float = param(
        50.0, unit="pM", low=1e-6, high=1e6, symbol="K_W",
        doc="Wnt antagonist level halving osteoblast recruitment", source="modelling choice")
    reversal_days: float = param(
        9.0, unit="day", low=0.0, high=200.0, symbol="\\tau_{rev}",
        doc="time from resorption of a voxel to when osteoblasts may settle on it",
        source="Eriksen 1994 (reversal phase ~9 days)")
    osteoblast_recruitment_window_days: float = param(
        60.0, unit="day", low=1.0, high=3650.0, symbol="\\tau_{win}",
        doc="after the reversal phase, how long a cavity voxel stays open to new osteoblasts; "
            "later, unless its unit's forming team is large enough (osteoblast_canopy_team), it is an arrested "
            "reversal surface that only osteoblasts already working nearby (its own team, or a neighbouring "
            "unit's for their own unit) can refill",
        source="Andersen 2013; Delaisse 2020 (osteoprogenitors colonise reversal surfaces within weeks; "
               "arrested reversal surfaces, more in glucocorticoid and postmenopausal bone); window approx.")
    osteoblast_canopy_team: int = param(
        5, unit="osteoblasts", low=0, high=1000, symbol="N_{can}",
        doc="past its recruitment window a unit's cavity still takes new osteoblasts while at least this many "
            "of the unit's osteoblasts are at work, the canopy over a forming unit supplying osteoprogenitors; "
            "a thinner team leaves an arrested reversal surface (0: no canopy, every cavity arrests after its window)",
        source="Delaisse 2020 (formation starts and goes on where osteoprogenitors reach a threshold density, "
               "supplied by the canopy; arrested reversal surfaces where they do not); Andersen 2013. Threshold "
               "chosen from 1, 3, 5, 8 by the healthy balance at 720² (model description, section 4.1)")

    @property
    def arrested_after_days(self) -> float:
        """Days after its erosion from which a cavity voxel takes no new osteoblast: an arrested reversal surface."""
        return self.reversal_days + self.osteoblast_recruitment_window_days


def recruit_osteoclasts(model, params: RecruitmentParameters, surfaces: Surfaces) -> int:
    """Commit osteoclast precursors on free mineralised-bone surfaces (by RANKL, and on reversal surfaces); return how many.

    First the precursors committed ``osteoclast_differentiation_days`` ago become osteoclasts
    (:func:`_form_osteoclasts`); then today's commitments are drawn. With a differentiation time
    of 0 days a committed precursor is an osteoclast the same day.

    Each free site (no cell, no committed precursor) draws one uniform number. The RANK
    occupancy term is below 1, so only the sites whose draw is below the day's rate can commit,
    and the signal is evaluated just for them; the RANK competition term only lowers a site's
    chance further, so it is evaluated just for the sites whose uncompeted chance already beat
    their draw. Osteoclasts and committed precursors both compete.
    """
    tissue = model.tissue
    committed = model.committed_precursors
    working = [(c.pos, c.unit) for c in model.osteoclasts]
    _form_osteoclasts(model, committed.due(model.day), surfaces, working, params)
    free = surfaces.bone_surface & (tissue.occupied == 0)
    waiting = committed.sites()
    free.reshape(-1)[waiting] = False
    sites = np.flatnonzero(free.reshape(-1))
    if sites.size == 0:
        return 0
    kd = model.params.fields.rank_rankl_dissociation_pM
    pool = model.osteoclast_precursors.step(_signal_left_by_drug(model, sites, kd, params),
                                            params.osteoclast_precursor_turnover_days,
                                            params.osteoclast_precursor_fusion_share,
                                            model.modifiers.osteoclast_precursor_supply)
    rate = (params.osteoclastogenesis_per_day * model.modifiers.osteoclast_activity * model.modifiers.osteoclastogenesis
            * pool)
    draw = model.rng.random(sites.size)
    within = draw < rate  # rate x signal <= rate
    draw, ys, xs = draw[within], *np.divmod(sites[within], tissue.shape[1])
    free_rankl_pM = model.fields.at("free_rankl", ys, xs)
    signal = rank_occupancy(free_rankl_pM, kd) ** params.osteoclastogenesis_hill
    chosen = np.flatnonzero(draw < rate * signal)
    if chosen.size and (working or waiting.size):
        pos = np.array([p for p, _ in working] + [divmod(int(f), tissue.shape[1]) for f in waiting])
        r2 = (params.bmu_join_radius_um / tissue.voxel_size_um) ** 2
        cy, cx = ys[chosen], xs[chosen]
        near = ((cy[:, None] - pos[None, :, 0]) ** 2 + (cx[:, None] - pos[None, :, 1]) ** 2 <= r2).sum(axis=1)
        competed_kd = kd * (1.0 + near / params.osteoclast_rank_competition)
        prob = rate * rank_occupancy(free_rankl_pM[chosen], competed_kd) ** params.osteoclastogenesis_hill
        chosen = chosen[draw[chosen] < prob]
    flat = ys[chosen] * tissue.shape[1] + xs[chosen]
    if params.reversal_osteoclastogenesis_per_day > 0.0:
        flat = np.concatenate([flat, _reversal_commitments(model, params, free.reshape(-1), pool)])
    if params.osteoclast_differentiation_days == 0:
        _form_osteoclasts(model, flat.tolist(), surfaces, working, params)
    else:
        committed.commit(flat, model.day + params.osteoclast_differentiation_days)
    return flat.size


def _reversal_commitments(model, params: RecruitmentParameters, free: np.ndarray, pool: float) -> np.ndarray:
    """Draw the reversal-resorption commitments of today; return their flat sites.

    ``free`` marks today's free bone-surface sites (flat bool mask: no cell, no committed precursor),
    ``pool`` is the marrow's precursor pool, 1 in health. Of them, the cavity voxels eroded 1 to
    ``reversal_days`` days ago commit with probability ``P_rr`` (module docstring), one draw each
    in flat-index order. They are looked for among the open cavities (hundreds of voxels), not
    among all free sites (thousands).
    """
    tissue = model.tissue
    cav = tissue.open_cavities.indices()
    cav = cav[free[cav]]
    since = model.day - tissue.eroded_day.reshape(-1)[cav]
    cav = cav[(since >= 1) & (since <= params.reversal_days)]
    if cav.size == 0:
        return cav
    rate = (params.reversal_osteoclastogenesis_per_day
            * model.modifiers.osteoclastogenesis * pool * model.osteoclast_precursors.signal_left)
    return cav[model.rng.random(cav.size) < rate]


def _form_osteoclasts(model, flat: list[int], surfaces: Surfaces, working: list, params: RecruitmentParameters) -> None:
    """Turn the committed precursors on the voxels ``flat`` into osteoclasts where their site is still free bone surface.

    Each joins a unit (:func:`_unit_to_join`) and is added to ``working`` (positions and units).
    """
    tissue = model.tissue
    bone_surface = surfaces.bone_surface.reshape(-1)
    for f in flat:
        y, x = divmod(f, tissue.shape[1])
        if tissue.occupied[y, x] or not bone_surface[f]:
            continue   # taken or built over meanwhile: the precursor is lost
        unit = _unit_to_join(model, y, x, working, params)
        if unit == 0:
            unit = model.units.open(model.day)
        Osteoclast(model, (y, x), unit)
        working.append(((y, x), unit))


def _signal_left_by_drug(model, sites: np.ndarray, kd: float, params: RecruitmentParameters) -> float:
    """Share of the surfaces' osteoclastogenic signal that today's denosumab leaves, 0..1 (1 without it).

    Parameters
    ----------
    sites : (k,) int ndarray
        Flat indices of the free surface sites today.
    kd : float
        RANK-RANKL dissociation constant, pM.
    """
    if model.drivers.denosumab_nM <= 0.0:
        return 1.0
    ys, xs = np.divmod(sites, model.tissue.shape[1])
    signal = rank_occupancy(model.fields.at("free_rankl", ys, xs), kd) ** params.osteoclastogenesis_hill  # with the drug
    undrugged = free_rankl(model.fields.at("rankl", ys, xs), model.fields.at("opg", ys, xs),
                           model.params.fields.opg_rankl_association_per_pM)
    total = float((rank_occupancy(undrugged, kd) ** params.osteoclastogenesis_hill).sum())
    return min(float(signal.sum()) / total, 1.0) if total > 0.0 else 1.0


def _unit_to_join(model, y: int, x: int, working: list, params: RecruitmentParameters) -> int:
    """Find the unit a new osteoclast at (y, x) joins (0: it opens a new one).

    That of the nearest working osteoclast within ``bmu_join_radius_um``, else that of the cavity
    at (y, x) if it was eroded at most ``reversal_days`` + ``osteoclast_differentiation_days`` ago
    (a precursor its reversal cells committed), else that of the most recently resorbed cavity within
    the radius still in its resorption phase (resorbed less than ``reversal_days`` ago).
    """
    tissue = model.tissue
    r = params.bmu_join_radius_um / tissue.voxel_size_um
    unit, best = 0, r * r
    for (v, u), uid in working:
        d2 = (v - y) ** 2 + (u - x) ** 2
        if d2 <= best:
            unit, best = uid, d2
    if unit:
        return unit
    own = int(tissue.cavity[y, x])
    if own and model.day - tissue.eroded_day[y, x] <= params.reversal_days + params.osteoclast_differentiation_days:
        return own
    k = int(r)
    y0, x0 = max(0, y - k), max(0, x - k)
    window = tissue.cavity[y0:y + k + 1, x0:x + k + 1]
    ids = np.unique(window[window > 0])
    latest = model.day - params.reversal_days
    for uid in ids:
        last = model.units.units[int(uid)].last_resorption_day
        if last >= latest:
            unit, latest = int(uid), last
    return unit


def recruit_osteoblasts(model, params: RecruitmentParameters, surfaces: Surfaces | None = None) -> int:
    """Settle new osteoblasts on reversal surfaces of cavities; return how many settled.

    ``surfaces`` are today's masks if the tissue has not changed since they were taken (default: taken now).
    """
    tissue = model.tissue
    if surfaces is None:
        surfaces = tissue.surfaces()
    # free cavity voxels touching matrix (cavities are marrow: on the matrix surface), in flat-index order
    cav = tissue.open_cavities.indices()
    cav = cav[surfaces.matrix_surface.reshape(-1)[cav] & (tissue.occupied.reshape(-1)[cav] == 0)]
    since = model.day - tissue.eroded_day.reshape(-1)[cav]
    cav = cav[since >= params.reversal_days]
    cav = cav[~model.arrested(cav, params)]
    if cav.size == 0:
        return 0
    ys, xs = np.divmod(cav, tissue.shape[1])
    tgfb = model.fields.at("tgfb", ys, xs)
    wnt = model.fields.at("wnt_antagonist", ys, xs)
    prob = (params.osteoblast_recruitment_per_day * model.modifiers.osteoblast_recruitment
            * tgfb / (tgfb + params.osteoblast_tgfb_half_pM)
            * params.osteoblast_wnt_half_pM / (params.osteoblast_wnt_half_pM + wnt))
    chosen = np.flatnonzero(model.rng.random(ys.size) < prob)
    for i in chosen:
        y, x = int(ys[i]), int(xs[i])
        unit = int(tissue.cavity[y, x])
        Osteoblast(model, (y, x), unit)
        model.units.units[unit].osteoblasts_recruited += 1
    return chosen.size


def activate_lining_cells(model, params: RecruitmentParameters, surfaces: Surfaces) -> int:
    """Turn lining cells of quiescent surfaces into osteoblasts that form without resorption; return how many.

    ``surfaces`` are today's masks; nothing happens (and no random number is drawn) without an anabolic
    signal: intermittent PTH, or loading above the customary loading (:mod:`bonegrid.mechanostat`).
    """
    rate = model.modifiers.lining_activation
    if rate <= 0.0 and model.mechanostat.drive <= 0.0:
        return 0
    tissue = model.tissue
    sites = np.flatnonzero((surfaces.matrix_surface & (tissue.cavity == 0) & (tissue.occupied == 0)).ravel())
    if sites.size == 0:
        return 0
    ys, xs = np.divmod(sites, tissue.shape[1])
    wnt = model.fields.at("wnt_antagonist", ys, xs)
    rate = rate + model.mechanostat.activation(sites, model.params.mechanostat)
    chosen = np.flatnonzero(model.rng.random(sites.size) < rate * params.osteoblast_wnt_half_pM
                            / (params.osteoblast_wnt_half_pM + wnt))
    for i in chosen:
        Osteoblast(model, (int(ys[i]), int(xs[i])), 0).overfilling = True
    return chosen.size

