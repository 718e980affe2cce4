"""The framework registry: shipped files valid, ids unique, references resolving, counts as
the frameworks state them; a bad file stops loading with an error naming file and item."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from alliance.errors import InvalidInput, NotFound
from alliance.frameworks import (
    FrameworkDataError,
    ItemKind,
    check_framework_ids,
    get_framework,
    get_item,
    list_frameworks,
    registry,
)
from alliance.frameworks.registry import DATA_DIR, build_registry, load_file
from alliance.frameworks.schemas import ITEM_ID_RE


def test_every_shipped_file_loads_and_ids_are_unique() -> None:
    files = sorted(DATA_DIR.glob("*.json"))
    assert [f.stem for f in files] == ["ga2012", "icmec2018", "mnr2015", "mnr2022", "oosi2019"]
    reg = registry()
    assert list(reg.frameworks) == [f.stem for f in files]
    ids = [item.id for f in reg.frameworks.values() for item in f.items]
    assert len(ids) == len(set(ids)) == len(reg.items)
    for item_id in ids:
        assert ITEM_ID_RE.match(item_id), item_id
        assert item_id.startswith(reg.framework_of[item_id] + ".")


def test_every_reference_resolves() -> None:
    reg = registry()
    for framework in reg.frameworks.values():
        if framework.supersedes:
            assert reg.frameworks[framework.supersedes].family == framework.family
        sources = {s.id for s in framework.sources}
        for item in framework.items:
            assert item.source in sources, item.id
            if item.parent:
                assert reg.framework_of[item.parent] == framework.id, item.id
            for ref in [*item.related, *item.requires]:
                assert ref in reg.items, (item.id, ref)


def test_every_item_says_what_it_is_in_words() -> None:
    for framework in list_frameworks():
        assert framework.title and framework.summary
        for item in framework.items:
            assert item.title.strip() and item.summary.strip(), item.id
            # What the sources did not confirm is said, not left silent.
            if item.unverified:
                assert item.note, item.id


def test_the_declaration_has_four_targets_and_seven_goals() -> None:
    ga = get_framework("ga2012")
    targets = ga.of_kind(ItemKind.policy_target)
    goals = ga.of_kind(ItemKind.operational_goal)
    assert [t.id for t in targets] == [f"ga2012.target.{n}" for n in range(1, 5)]
    assert [g.id for g in goals] == [f"ga2012.goal.{n}" for n in range(1, 8)]
    assert [len(ga.children(t.id)) for t in targets] == [1, 2, 2, 2]
    # In the alliance's own wording (the brief), numbered G1-G7 and 1.1-4.2.
    assert "at least 10 %" in goals[0].summary
    assert "without jeopardising criminal investigations" in goals[6].summary
    assert goals[4].aliases == ["G5", "3.2"]


def test_the_model_national_response_2015_has_21_capabilities_in_6_domains() -> None:
    mnr = get_framework("mnr2015")
    domains = mnr.of_kind(ItemKind.domain)
    capabilities = mnr.of_kind(ItemKind.capability)
    assert len(domains) == 6 and len(capabilities) == 21
    assert [len(mnr.children(d.id)) for d in domains] == [3, 4, 4, 4, 4, 2]
    assert get_item("mnr2015.cap.12").title == "CSEA hotline"
    assert all(c.parent in {d.id for d in domains} for c in capabilities)


def test_the_revision_is_a_separate_version_that_says_what_is_unconfirmed() -> None:
    revised = get_framework("mnr2022")
    assert revised.supersedes == "mnr2015" and revised.incomplete and revised.note
    combined = get_item("mnr2022.cap.16")
    assert combined.related == ["mnr2015.cap.16", "mnr2015.cap.17"]
    assert not combined.unverified
    assert "mnr2022.cap.17" not in registry().items
    carried = [c for c in revised.of_kind(ItemKind.capability) if c.id != combined.id]
    assert carried and all(c.unverified and c.number is None for c in carried)


def test_icmec_has_five_criteria_and_sufficient_means_one_to_four() -> None:
    icmec = get_framework("icmec2018")
    assert [c.id for c in icmec.of_kind(ItemKind.criterion)] == [
        f"icmec2018.crit.{n}" for n in range(1, 6)
    ]
    sufficient = get_item("icmec2018.sufficient")
    assert sufficient.kind is ItemKind.rule
    assert sufficient.requires == [f"icmec2018.crit.{n}" for n in range(1, 5)]


def test_oosi_4_4_scores_0_to_8_from_its_three_parts() -> None:
    oosi = get_framework("oosi2019")
    indicator = get_item("oosi2019.ind.4.4")
    parts = oosi.children(indicator.id)
    assert [p.number for p in parts] == ["4.4.1", "4.4.2", "4.4.3"]
    assert [(p.scale.min, p.scale.max) for p in parts if p.scale] == [(0, 3), (0, 4), (0, 1)]
    assert indicator.scale is not None
    assert indicator.scale.max == sum(p.scale.max for p in parts if p.scale) == 8


def test_unknown_ids_are_refused_clearly() -> None:
    with pytest.raises(NotFound, match="no framework 'mnr2099'"):
        get_framework("mnr2099")
    with pytest.raises(NotFound, match=r"mnr2015\.cap\.22"):
        get_item("mnr2015.cap.22")
    assert check_framework_ids([" GA2012", "mnr2015", "ga2012"]) == ["ga2012", "mnr2015"]
    with pytest.raises(InvalidInput) as refused:
        check_framework_ids(["ga2012", "nope"], field="frameworks")
    assert refused.value.field == "frameworks" and "'nope'" in refused.value.message


# --- bad data files -------------------------------------------------------------------


def _shipped(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def _write(tmp_path: Path, name: str, data: dict[str, Any] | str) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_file_that_is_not_json_names_itself(tmp_path: Path) -> None:
    with pytest.raises(FrameworkDataError, match=r"broken\.json: not JSON"):
        load_file(_write(tmp_path, "broken.json", '{"format": '))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("items"), r"items: Field required"),
        (lambda d: d.update(format_version=2), r"format_version"),
        (lambda d: d["items"][0].update(id="other.target.1"), r"must start with 'ga2012\.'"),
        (lambda d: d["items"].append(d["items"][0]), r"ga2012\.target\.1\): id listed twice"),
        (lambda d: d["items"][5].update(parent="ga2012.target.9"), r"parent 'ga2012\.target\.9'"),
        (lambda d: d["items"][0].update(source="nowhere"), r"source 'nowhere'"),
        (lambda d: d["items"][0].update(colour="red"), r"colour: Extra inputs"),
        (lambda d: d["items"][0].update(kind="wish"), r"items\.0\.kind"),
        (lambda d: d["items"][0].update(title=" "), r"items\.0\.title"),
        (
            lambda d: d["items"][0].update(scale={"min": 0, "max": 1}, points=["a", "b"]),
            r"2 points do not fit the scale 0-1",
        ),
    ],
)
def test_a_malformed_file_says_where(tmp_path: Path, change: Any, message: str) -> None:
    data = _shipped("ga2012")
    change(data)
    with pytest.raises(FrameworkDataError, match=r"ga2012\.json: .*" + message):
        load_file(_write(tmp_path, "ga2012.json", data))


def test_references_across_files_are_checked(tmp_path: Path) -> None:
    ga = _write(tmp_path, "ga2012.json", _shipped("ga2012"))
    icmec = _shipped("icmec2018")  # refers to oosi2019's items, which are not loaded here
    with pytest.raises(FrameworkDataError, match=r"icmec2018\.json: .*'oosi2019\.ind\.4\.4\.2'"):
        build_registry([ga, _write(tmp_path, "icmec2018.json", icmec)])
    revised = _shipped("mnr2022")
    with pytest.raises(FrameworkDataError, match=r"supersedes 'mnr2015', which is no framework"):
        build_registry([_write(tmp_path, "mnr2022.json", revised)])


def test_an_id_used_by_two_files_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.json", _shipped("ga2012"))
    second = _write(tmp_path, "b.json", _shipped("ga2012"))
    with pytest.raises(FrameworkDataError, match=r"b\.json: framework id 'ga2012' .* a\.json"):
        build_registry([first, second])
    renamed = _shipped("ga2012")
    renamed["id"] = "ga2013"
    renamed["items"][0]["id"] = "ga2013.target.1"
    renamed["items"] = [renamed["items"][0]]
    # An item id repeated across files cannot happen when ids carry their framework's
    # prefix, which the schema enforces; the registry checks it all the same.
    build_registry([first, _write(tmp_path, "c.json", renamed)])
