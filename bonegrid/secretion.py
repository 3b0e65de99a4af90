"""Who secretes what: the daily source maps of the signal fields.

Sources are amounts per day expressed as the concentration they would add within one
voxel (pM/day); :mod:`bonegrid.fields` diffuses and decays them. All systemic effects
enter through :class:`~bonegrid.effects.CellModifiers`.

- RANKL: viable osteocytes (low, raised by disuse), apoptotic osteocytes (high: targeted
  remodeling), and lining/stromal cells on every bone surface (low background: random
  remodeling); all scaled by the systemic RANKL modifier (PTH, estrogen loss,
  glucocorticoid, cytokines, thyroid).
- OPG: osteoblasts, and stromal cells in marrow (background); scaled by the OPG modifier.
- TGF-beta: latent TGF-beta released into the cavity by resorption and activated over
  the reversal phase (first-order, ``tgfb_activation_per_day``).
- Wnt antagonists: sclerostin from viable osteocytes (suppressed by PTH and loading).
- Myeloma cells (:mod:`bonegrid.agents.myeloma`): osteoclast-activating factors counted as
  RANKL and DKK1 counted as a Wnt antagonist (not scaled by systemic effects), and a
  sink of OPG (negative source ``k_{O,MM}`` x yesterday's OPG in each tumour voxel).
- A rheumatoid pannus (the ``synovitis`` driver, scaled by the day's ``pannus`` modifier):
  inflamed synovium lying against the left border of the slice. Its fibroblast-like synoviocytes
  express RANKL and its macrophages TNF, which acts with RANKL on osteoclast precursors (counted
  together as RANKL); TNF makes the synoviocytes secrete DKK1 (counted as a Wnt antagonist). Its
  factors enter the slice across the border, so each voxel of a strip ``pannus_width_um`` wide
  is a source (not scaled by the systemic RANKL modifier, like the myeloma's).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bonegrid.effects import CellModifiers
from bonegrid.parameters import ParameterSet, param
from bonegrid.tissue import APOPTOTIC, VIABLE, Surfaces


@dataclasses.dataclass(frozen=True)
class SecretionParameters(ParameterSet):
    """Secretion rates per cell (pM/day within one voxel)."""

    rankl_osteocyte_pM_per_day: float = param(
        200.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{R,Ot}",
        doc="RANKL from a viable osteocyte", source="calibrated: Nakashima 2011 (osteocytes are the main RANKL source)")
    rankl_apoptotic_osteocyte_pM_per_day: float = param(
        1.5e5, unit="pM/day", low=0.0, high=1e12, symbol="s_{R,apo}",
        doc="RANKL from an apoptotic osteocyte (targeted remodeling signal)",
        source="calibrated: Kennedy 2012 (apoptotic osteocytes drive RANKL in neighbours)")
    rankl_surface_pM_per_day: float = param(
        60.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{R,S}",
        doc="RANKL from lining and stromal cells per bone-surface voxel (random remodeling)",
        source="calibrated: a few random BMUs per slice-year (Parfitt 2002: ~30% of BMUs are random)")
    opg_osteoblast_pM_per_day: float = param(
        2000.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{O,Ob}",
        doc="OPG from an active osteoblast", source="modelling choice; Pivonka et al. 2008 (osteoblasts make OPG)")
    opg_marrow_pM_per_day: float = param(
        200.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{O,M}",
        doc="OPG from stromal cells per marrow voxel (background decoy)",
        source="calibrated: free RANKL background below K_D")
    sclerostin_osteocyte_pM_per_day: float = param(
        100.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{S}",
        doc="sclerostin from a viable osteocyte", source="modelling choice; Poole 2005")
    tgfb_release_pM_per_voxel: float = param(
        1.0e5, unit="pM per voxel resorbed", low=0.0, high=1e9, symbol="q_T",
        doc="latent TGF-beta freed from one resorbed voxel of matrix",
        source="modelling choice; Pfeilschifter & Mundy 1987 (bone matrix stores TGF-beta)")
    tgfb_activation_per_day: float = param(
        0.05, unit="1/day", low=0.0, high=10.0, symbol="k_{act}",
        doc="fraction of the cavity's latent TGF-beta activated per day (sets the reversal window)",
        source="modelling choice: activation over the ~3-week reversal/early formation phase")
    pannus_width_um: float = param(
        50.0, unit="µm", low=0.0, high=1000.0, symbol="w_{syn}",
        doc="width of the strip along the slice's left border through which the pannus secretes",
        source="modelling choice: the pannus lies on the bone at the joint margin (bare area) and invades it "
               "(Schett & Gravallese 2012, doi:10.1038/nrrheum.2012.153)")
    pannus_rankl_pM_per_day: float = param(
        400.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{R,syn}",
        doc="RANKL and TNF (as RANKL) entering per strip voxel at synovitis 1",
        source="synovial fibroblasts and T cells of the pannus express RANKL at the erosion front "
               "(Gravallese 2000, Arthritis Rheum 43:250); TNF acts with RANKL on osteoclast precursors "
               "(Lam 2000, J Clin Invest 106:1481); strength approx.")
    pannus_dkk1_pM_per_day: float = param(
        400.0, unit="pM/day", low=0.0, high=1e9, symbol="s_{DKK1,syn}",
        doc="DKK1 entering per strip voxel at synovitis 1 (a Wnt antagonist: erosions are not repaired)",
        source="TNF induces DKK1 in synovium, blocking bone repair at erosions (Diarra 2007, doi:10.1038/nm1538); "
               "inflammation suppresses osteoblast repair at erosions (Goldring 2003, Rheumatology 42 Suppl 2:ii11; "
               "Aureal 2020, doi:10.3390/biom11010048); strength approx.")


def source_maps(model, mods: CellModifiers, params: SecretionParameters,
                tgfb_activated: np.ndarray, surfaces: Surfaces) -> dict[str, np.ndarray]:
    """Assemble today's secretion maps, each (ny, nx) float32 (TGF-beta: float64), pM/day.

    Parameters
    ----------
    model : BoneModel
        Reads tissue layers, osteocyte states and osteoblast positions (never writes).
    mods : CellModifiers
        Today's systemic effects.
    params : SecretionParameters
    tgfb_activated : (ny, nx) float ndarray
        Latent TGF-beta activated today (:meth:`Tissue.decay_latent_tgfb`, 0 outside open cavities), pM/day.
    surfaces : Surfaces
        Today's marrow and surface masks (:meth:`Tissue.surfaces`).
    """
    p = params
    state = model.osteocytes.state
    viable = state == VIABLE
    rankl = surfaces.matrix_surface.astype(np.float32)
    rankl *= p.rankl_surface_pM_per_day
    np.copyto(rankl, p.rankl_osteocyte_pM_per_day * mods.osteocyte_rankl, where=viable)
    np.copyto(rankl, p.rankl_apoptotic_osteocyte_pM_per_day, where=state == APOPTOTIC)
    rankl *= mods.rankl

    opg = surfaces.marrow.astype(np.float32)
    opg *= p.opg_marrow_pM_per_day
    ys, xs = model.osteoblast_positions()
    opg[ys, xs] += p.opg_osteoblast_pM_per_day  # one osteoblast per voxel
    opg *= mods.opg

    sclerostin = viable.astype(np.float32)
    sclerostin *= p.sclerostin_osteocyte_pM_per_day * mods.sclerostin

    if len(model.myeloma):
        mm = model.myeloma.params
        ty, tx = model.myeloma.positions()
        rankl[ty, tx] += mm.myeloma_rankl_pM_per_day
        sclerostin[ty, tx] += mm.myeloma_dkk1_pM_per_day
        opg[ty, tx] -= mm.myeloma_opg_degradation_per_day * model.fields.at("opg", ty, tx)
    if mods.pannus > 0.0:
        strip = np.s_[:, :int(round(p.pannus_width_um / model.tissue.voxel_size_um))]  # the left-border columns
        rankl[strip] += p.pannus_rankl_pM_per_day * mods.pannus
        sclerostin[strip] += p.pannus_dkk1_pM_per_day * mods.pannus
    return {"rankl": rankl, "opg": opg, "tgfb": tgfb_activated, "wnt_antagonist": sclerostin}
