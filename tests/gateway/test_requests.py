from __future__ import annotations

import pytest

from gateway.requests import plan_requests
from plantmeter.profile import DeviceProfile, load_profile


def make_profile(points: list[dict], **quirks: object) -> DeviceProfile:
    return DeviceProfile.model_validate(
        {
            "id": "t",
            "manufacturer": "m",
            "model": "x",
            "category": "electricity_meter",
            "sources": {"s": "test"},
            "quirks": quirks,
            "points": points,
        }
    )


def pt(name: str, address: int, fc: int = 4, type_: str = "float32") -> dict:
    return {"name": name, "unit": "V", "fc": fc, "address": address, "type": type_, "source": "s"}


def test_contiguous_points_coalesce() -> None:
    p = make_profile([pt("a", 0), pt("b", 2), pt("c", 4)])
    (req,) = plan_requests(p)
    assert (req.fc, req.address, req.count) == (4, 0, 6)


def test_gap_splits_unless_readable() -> None:
    points = [pt("a", 0), pt("b", 10)]
    assert [(r.address, r.count) for r in plan_requests(make_profile(points))] == [(0, 2), (10, 2)]
    assert [
        (r.address, r.count) for r in plan_requests(make_profile(points, gaps_readable=True))
    ] == [(0, 12)]


def test_max_registers_respected() -> None:
    p = make_profile([pt(f"p{i}", 2 * i) for i in range(10)], max_registers=6)
    reqs = plan_requests(p)
    assert [r.count for r in reqs] == [6, 6, 6, 2]
    assert sum(len(r.points) for r in reqs) == 10


def test_function_codes_never_mix() -> None:
    p = make_profile([pt("a", 0, fc=3), pt("b", 2, fc=4)])
    assert sorted((r.fc, r.address) for r in plan_requests(p)) == [(3, 0), (4, 2)]


def test_quantity_filter_and_unknown_quantity() -> None:
    p = make_profile([pt("a", 0), pt("b", 2), pt("c", 4)])
    (req,) = plan_requests(p, ["c"])
    assert req.address == 4 and [x.name for x in req.points] == ["c"]
    with pytest.raises(KeyError, match="no quantity 'zz'"):
        plan_requests(p, ["zz"])


def test_sdm630_needs_few_requests() -> None:
    profile = load_profile("eastron-sdm630")
    reqs = plan_requests(profile)
    assert all(r.count <= profile.quirks.max_registers for r in reqs)
    covered = {x.name for r in reqs for x in r.points}
    assert covered == {p.name for p in profile.points}
    # fewest requests: two neighbours are only split by a gap (gaps are not readable here)
    for a, b in zip(reqs, reqs[1:], strict=False):
        assert a.fc != b.fc or b.address > a.address + a.count
