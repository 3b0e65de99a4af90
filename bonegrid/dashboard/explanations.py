"""What each panel means, in the words of the biology (Markdown shown beside the panels)."""

START = ("Pick a cause in the side panel (the ☰ button at the top opens it) and press Play: the patient's bone "
         "remodels beside a healthy twin's. Change a cause or start a treatment while it runs, and read the DXA and "
         "the blood panel below.")

BUILDING = """\
**Building the bone.** A year of healthy remodeling is simulated first, so that the pits, seams and
cells of a living bone are there from the first picture (a few seconds on the default grid).
"""

SLICE = """\
**What you see.** A square of spongy bone a few millimetres across (3.6 mm at the default 360 voxels
of 10 µm), stained as a histologist would (Goldner).
Osteoclasts (magenta discs) dissolve mineralised bone and leave **yellow pits**. TGF-β freed from
the dissolved bone calls osteoblasts (blue), which refill the pit with **osteoid** (orange-red);
within weeks it mineralises into **green bone**, darker as it matures. Osteoblasts that get buried
become osteocytes (black dots), which sense wear and, when they die (red ×), send out RANKL to
start the next repair. In health every pit is refilled: that is the **remodeling balance**. More
pits, or thinner refills, and the bone turns porous: struts thin, perforate and break.
"""

SWITCH = """\
**The RANKL/OPG switch.** Osteocytes and lining cells release **RANKL**, which makes osteoclast
precursors fuse into bone-eating osteoclasts. **OPG** is a decoy that catches RANKL first. Estrogen
loss, glucocorticoids, high PTH, inflammation and myeloma all tip the switch towards RANKL. Pick an
overlay to see the signals the cells are reading.
"""

TWIN = """\
**The healthy twin** has the same bone, age, sex and random seed, but no cause. Where the two
slices and curves part, that is the cause at work.
"""

BONE_VOLUME = """\
**Bone volume** is the share of the slice that is bone. It stays level when every pit is refilled,
and falls when resorption outruns formation.
"""

BMD = """\
**DXA** measures mineral per area (g/cm²). The **T-score** counts standard deviations from a healthy
young adult of the same sex: at or above −1 normal, −1 to −2.5 osteopenia, −2.5 or below
osteoporosis (WHO; for postmenopausal women and men over 50). The **Z-score** compares with people
of the same age and sex: ageing alone keeps it near 0, so a Z-score of −2 or less says something
besides age is taking bone, and a doctor looks for a secondary cause.
"""

BMD_CHART = """\
**Bone density over time.** Shaded by T-score: amber osteopenia, red osteoporosis. The dashed purple
line is where the Z-score would be −2 at the patient's age; it slopes down as the patient ages,
because the age-matched reference does.
"""

MARKERS = """\
**Turnover markers.** CTX is released when osteoclasts digest collagen, P1NP when osteoblasts make
it. Both high: fast turnover (menopause, hyperthyroidism). CTX up while P1NP lags: formation is
not keeping up (glucocorticoids), the fastest way to lose bone.
"""

CALCIUM = """\
**Calcium and PTH.** The parathyroid glands hold blood calcium in range. When calcium runs short
(little vitamin D, poor absorption, a low intake) PTH rises and draws on the skeleton: RANKL up,
resorption up. Normal calcium with high PTH is secondary hyperparathyroidism.
"""

LABS = """\
**The blood panel** a doctor would order for low bone density. Values outside the normal range are
flagged **H** (high) or **L** (low); each line says what the test reflects.
"""

MYSTERY = """\
**Mystery patient.** The cause is hidden. Play for a year or two, watch the slice, read the DXA
and the blood panel, then name the cause you suspect: you will be told whether the findings
support it, and why.
"""

SETUP = "These build a new bone: a year of remodeling is simulated first (a few seconds)."

RATES = "Rates are fixed when a bone is built: press **Restart with these settings** to apply them."

LIVE = "These act from the next simulated day."

TREATMENTS = "A treatment starts on today's simulated day; stop it to see what happens when it ends."

__all__ = ["BMD", "BMD_CHART", "BONE_VOLUME", "BUILDING", "CALCIUM", "LABS", "LIVE", "MARKERS", "MYSTERY", "RATES",
           "SETUP", "SLICE", "START", "SWITCH", "TREATMENTS", "TWIN"]
