"""Osteocytes: the sensing network buried in bone.

Each osteocyte is a Mesa agent (a fixed cell with identity and a voxel), but its daily
work is vectorised over the whole population by :class:`OsteocyteNetwork`, because
osteocytes number in the thousands. State lives in two property layers:
``osteocyte`` (0 none, 1 viable, 2 apoptotic, 3 empty lacuna) and ``osteocyte_since``
(day the current state began).

Daily rule (step 4): a viable osteocyte enters apoptosis with hazard

    h = h_0 * (1 + a / A) * M_apop

(``a``: age of its matrix, years; ``A``: ageing scale; ``M_apop``: glucocorticoid and
disuse effects). An apoptotic osteocyte signals (secretes RANKL strongly, see
:mod:`bonegrid.secretion`) for ``osteocyte_apoptotic_days`` and then leaves an empty
lacuna. A share of the day's deaths (those glucocorticoid causes, see
:attr:`~bonegrid.effects.CellModifiers.osteocyte_unsignalled_death_share`) die without
that signal: their lacunae are empty at once and call no repair. An osteocyte whose voxel
is resorbed is removed with it.
"""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
from mesa.discrete_space import PropertyLayer

from bonegrid.constants import DAYS_PER_YEAR
from bonegrid.parameters import ParameterSet, param
from bonegrid.tissue import APOPTOTIC, EMPTY, NO_OSTEOCYTE, VIABLE, VoxelSet


@dataclasses.dataclass(frozen=True)
class OsteocyteParameters(ParameterSet):
    """Osteocyte survival and signalling phase."""

    osteocyte_apoptosis_per_year: float = param(
        0.05, unit="1/year", low=0.0, high=365.0, symbol="h_0",
        doc="apoptosis hazard of an osteocyte in new matrix",
        source="fitted to the healthy empty-lacunae band: 9-22% of lacunae empty in healthy adult cancellous "
               "bone (Qiu 2003; Mullender 1996), with osteoclastogenesis_per_day held (together they set the "
               "~25%/year turnover, Parfitt); re-fit: python -m bonegrid.runs.calibrate osteocyte_apoptosis_per_year")
    osteocyte_ageing_years: float = param(
        20.0, unit="year", low=0.1, high=1000.0, symbol="A",
        doc="matrix age over which the apoptosis hazard doubles (microdamage accrues with age)",
        source="modelling choice; Verborgt 2000 (microdamage and osteocyte apoptosis)")
    osteocyte_apoptotic_days: float = param(
        30.0, unit="day", low=1.0, high=365.0, symbol="\\tau_{apo}",
        doc="how long an apoptotic osteocyte signals before the lacuna is empty",
        source="modelling choice; Kennedy 2012 (apoptotic osteocytes drive RANKL for weeks)")


class Osteocyte(mesa.Agent):
    """One osteocyte in its lacuna at voxel ``pos`` (state read from the network's layer)."""

    def __init__(self, model, pos: tuple[int, int]) -> None:
        super().__init__(model)
        self.pos = pos

    @property
    def state(self) -> int:
        """VIABLE or APOPTOTIC (empty lacunae are not agents)."""
        return int(self.model.osteocytes.state[self.pos])


class OsteocyteNetwork:
    """All osteocytes of a slice: state layers, agent registry and the vectorised daily rule.

    Parameters
    ----------
    model : BoneModel
    params : OsteocyteParameters

    Attributes
    ----------
    viable, apoptotic : VoxelSet
        The lacunae holding a viable, an apoptotic osteocyte (the daily rule reads these, not the layer).
    """

    def __init__(self, model, params: OsteocyteParameters) -> None:
        self.model = model
        self.params = params
        shape = model.tissue.shape
        self.layers = {
            "osteocyte": PropertyLayer("osteocyte", shape, default_value=NO_OSTEOCYTE, dtype=np.int8),
            "osteocyte_since": PropertyLayer("osteocyte_since", shape, default_value=0.0, dtype=np.float64),
        }
        self.state = self.layers["osteocyte"].data
        self.since = self.layers["osteocyte_since"].data
        self.agents: dict[tuple[int, int], Osteocyte] = {}
        self.viable, self.apoptotic = VoxelSet(), VoxelSet()
        self._counts = np.zeros(4, dtype=np.int64)  # lacunae per state, kept in step with the layer

    def add(self, y: int, x: int, day: float) -> Osteocyte:
        """Place a viable osteocyte at (y, x) (a freshly buried osteoblast or a starting cell)."""
        if (y, x) in self.agents:
            raise ValueError(f"voxel {(y, x)} already holds an osteocyte")
        agent = Osteocyte(self.model, (y, x))
        self._counts[self.state[y, x]] -= 1
        self._counts[VIABLE] += 1
        self.state[y, x] = VIABLE
        self.viable.add(y * self.state.shape[1] + x)
        self.since[y, x] = day
        self.agents[(y, x)] = agent
        return agent

    def seed(self, flat_indices: np.ndarray, matrix_age_days: np.ndarray, day: float,
             rng: np.random.Generator) -> None:
        """Populate starting bone: lacunae at ``flat_indices`` in matrix of the given ages.

        Each lacuna holds a viable osteocyte with the probability of having survived the
        apoptosis hazard for the matrix's age, ``exp(-h_0 (a + a^2 / 2A))``; the others are
        already empty, as in real bone of that age.
        """
        p = self.params
        a = matrix_age_days / DAYS_PER_YEAR
        survival = np.exp(-p.osteocyte_apoptosis_per_year * (a + a * a / (2.0 * p.osteocyte_ageing_years)))
        alive = rng.random(a.size) < survival
        self.state.reshape(-1)[flat_indices[~alive]] = EMPTY
        self._counts[EMPTY] += int((~alive).sum())
        nx = self.state.shape[1]
        for i in flat_indices[alive]:
            self.add(int(i) // nx, int(i) % nx, day)

    def remove_at(self, y: int, x: int) -> None:
        """Remove whatever occupies (y, x): its voxel was resorbed."""
        agent = self.agents.pop((y, x), None)
        if agent is not None:
            agent.remove()
        self._counts[self.state[y, x]] -= 1
        self._counts[NO_OSTEOCYTE] += 1
        self.state[y, x] = NO_OSTEOCYTE
        flat_index = y * self.state.shape[1] + x
        self.viable.discard(flat_index)
        self.apoptotic.discard(flat_index)

    def step(self, day: float, apoptosis_modifier: float, rng: np.random.Generator,
             unsignalled_share: float = 0.0) -> None:
        """Apply one day of apoptosis and lacuna emptying to the whole population.

        Parameters
        ----------
        day : float
            Model day.
        apoptosis_modifier : float
            Systemic multiplier ``M_apop`` of the apoptosis hazard (1 in health).
        rng : numpy.random.Generator
            The model's random stream.
        unsignalled_share : float
            Share (0..1) of today's deaths that call no repair: those lacunae are empty at
            once instead of signalling for ``osteocyte_apoptotic_days``.
        """
        p = self.params
        flat, since = self.state.reshape(-1), self.since.reshape(-1)
        viable = self.viable.indices()
        if viable.size:
            age_years = (day - self.model.tissue.formed_day.reshape(-1)[viable]) / DAYS_PER_YEAR
            hazard = (p.osteocyte_apoptosis_per_year / DAYS_PER_YEAR) * (1.0 + age_years / p.osteocyte_ageing_years)
            dying = viable[rng.random(viable.size) < hazard * apoptosis_modifier]
            if unsignalled_share > 0.0 and dying.size:
                silent = rng.random(dying.size) < unsignalled_share
                self._empty(dying[silent])
                dying = dying[~silent]
            flat[dying] = APOPTOTIC
            self.viable.difference_update(dying)
            self.apoptotic.update(dying)
            since[dying] = day
            self._counts[VIABLE] -= dying.size
            self._counts[APOPTOTIC] += dying.size
        apoptotic = self.apoptotic.indices()
        if apoptotic.size:
            self._empty(apoptotic[day - since[apoptotic] >= p.osteocyte_apoptotic_days])

    def _empty(self, flat_indices: np.ndarray) -> None:
        """Leave empty lacunae at ``flat_indices`` (viable or apoptotic osteocytes now dead)."""
        flat = self.state.reshape(-1)
        np.subtract.at(self._counts, flat[flat_indices], 1)
        flat[flat_indices] = EMPTY
        self.viable.difference_update(flat_indices)
        self.apoptotic.difference_update(flat_indices)
        self._counts[EMPTY] += flat_indices.size
        nx = self.state.shape[1]
        for i in flat_indices:
            self.agents.pop((int(i) // nx, int(i) % nx)).remove()

    def counts(self) -> tuple[int, int, int]:
        """Numbers of (viable, apoptotic, empty) lacunae."""
        c = self._counts
        return int(c[VIABLE]), int(c[APOPTOTIC]), int(c[EMPTY])
