"""Mystery mode: the cause is hidden; the visitor names a suspect and is told whether the findings support it.

The verdict comes from the rule-based differential (:mod:`bonegrid.readouts.differential`), which
reads readouts only (blood panel, DXA, histomorphometry, the picture of bone lost), never the
scenario's name.
"""

from __future__ import annotations

import solara

import bonegrid.dashboard.explanations as explanations
from bonegrid.dashboard.controls import scenario, short_title
from bonegrid.dashboard.session import Session
from bonegrid.dashboard.text import note, prose
from bonegrid.readouts.differential import Cause, differential, findings_from_model
from bonegrid.scenarios import scenario_names


def judge(session: Session, suspected: str) -> tuple[Cause, list[Cause]]:
    """Return the differential's verdict on ``suspected`` (a scenario name) and on every cause, from the findings now."""
    with session.lock:
        causes = differential(findings_from_model(session.model, session.start_matrix))
    return next(c for c in causes if c.name == suspected), causes


@solara.component
def MysteryCard(session: Session, day: int):
    """Render mystery mode: pick the suspected cause, check it against the findings, reveal the answer."""
    names = scenario_names()
    by_title = {short_title(n): n for n in names}
    suspected = solara.use_reactive(names[0])
    verdict = solara.use_reactive(None)
    revealed = solara.use_reactive(False)

    def reset():
        verdict.set(None)
        revealed.set(False)

    solara.use_effect(reset, [session])

    with solara.Card("Mystery patient: what is the cause?", classes=["bg-mystery"]):
        prose(explanations.MYSTERY)
        if day < 180:
            solara.Text(f"Day {day}: let at least half a year run before you decide.",
                        style={"font-size": "12px", "color": "#ef6c00"})
        solara.Select("I suspect", values=list(by_title), value=short_title(suspected.value),
                      on_value=lambda title: suspected.set(by_title[title]), classes=["bg-suspect"])
        with solara.Row():
            solara.Button("Check my diagnosis", color="primary",
                          on_click=lambda: verdict.set(judge(session, suspected.value)), classes=["bg-check"])
            solara.Button("Reveal the answer", on_click=lambda: revealed.set(True), classes=["bg-reveal"])
        if verdict.value is not None:
            cause, causes = verdict.value
            title = short_title(cause.name)
            if cause.supported:
                solara.Success(f"The findings support {title}.", classes=["bg-verdict"])
            else:
                solara.Warning(f"The findings do not support {title}.", classes=["bg-verdict"])
            prose("\n".join(f"- {r}" for r in cause.reasons))
            if cause.warning:
                solara.Error(cause.warning)
        if revealed.value:
            truth = scenario(session.setup.scenario)
            solara.Info(f"It was: {truth.title}.", classes=["bg-truth"])
            prose(truth.description)
            if verdict.value is not None:  # only now: before the answer, the list would give it away
                _, causes = verdict.value
                others = [short_title(c.name) for c in causes if c.supported and c.name != truth.name]
                if others:
                    note("The findings also fit: " + ", ".join(others), size=13, colour="#222")


__all__ = ["MysteryCard", "judge"]
