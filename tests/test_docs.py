"""docs/model.md carries the parameter tables generated from the code."""

import dataclasses

from bonegrid.overrides import parameter_groups
from bonegrid.runs import paramdocs


def test_model_doc_tables_are_current():
    text = paramdocs.DOC.read_text()
    assert paramdocs.update(text) == text, "run: python -m bonegrid.runs.paramdocs"


def test_every_parameter_is_documented_with_unit_and_source():
    text = paramdocs.DOC.read_text()
    for _kind, group in parameter_groups().values():
        for f in dataclasses.fields(group):
            assert f"`{f.name}`" in text
            assert f.metadata["unit"] and f.metadata["source"] and f.metadata["doc"], f.name


def test_odd_sections_present():
    text = paramdocs.DOC.read_text()
    for heading in ("Purpose and patterns", "Entities, state variables and scales", "Process overview and scheduling",
                    "Design concepts", "Initialization", "Input data", "Submodels"):
        assert heading in text, heading
