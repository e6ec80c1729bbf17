"""A member's withdrawn work stays out of the union's shared registry, which still verifies."""

from pathlib import Path

import pytest
from test_union import Member, cheap, union  # noqa: F401  (fixtures)

from artistshield.registry import Registry
from artistshield.union import shared
from artistshield.union.authority import UnionAuthority


def test_a_withdrawn_work_is_not_contributed_and_the_merge_verifies(
    union: UnionAuthority, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    ada = Member(tmp_path / "ada", "Ada Artist", monkeypatch)
    ada.join(union, 7, tmp_path)
    ada.mark("painted-hills.png", tmp_path / "out" / "hills.png")
    ada.mark("cartoon-snowmountains.png", tmp_path / "out" / "snow.png")
    ada.enter()
    with Registry.open() as registry:
        registry.withdraw("W-000002", ada.identity, reason="posted by mistake")
    report = shared.merge(union, [ada.contribute(tmp_path / "ada.json")], tmp_path / "shared")
    assert report.works == 1
    opened = shared.UnionRegistry(tmp_path / "shared", root_pem=union.root_pem.decode())
    assert [w.work_id for w in opened.works()] == ["M7:W-000001"]
