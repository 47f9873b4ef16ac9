"""ABCDEF zones of the chest film."""

from __future__ import annotations

import pytest

from gazex_viewer.core.gaze.zones import ChestBox, default_chest_box, zone_coverage, zone_of, zone_visits, zones_of

CHEST = ChestBox(100.0, 200.0, 1100.0, 1200.0)  # 1000 x 1000 px chest box


@pytest.mark.parametrize(
    ("u", "v", "zone"),
    [
        (0.50, 0.10, "A"),  # trachea
        (0.55, 0.60, "C"),  # heart
        (0.50, 0.90, "D"),  # below the heart: diaphragm
        (0.05, 0.50, "E"),  # lateral pleural margin
        (0.95, 0.30, "E"),
        (0.25, 0.40, "F"),  # right lung field
        (0.80, 0.30, "F"),
        (0.05, 0.02, "B"),  # shoulder corner
        (1.20, 0.50, "B"),  # outside the chest box
    ],
)
def test_zone_of_points(u: float, v: float, zone: str) -> None:
    x = CHEST.x_min + u * 1000
    y = CHEST.y_min + v * 1000
    assert zone_of(x, y, CHEST) == zone


def test_zone_coverage_order_dwell_and_missed() -> None:
    # F (1 s), F (0.5 s), C (2 s), A (0.25 s), F (1 s)
    xs = [350, 350, 650, 600, 350]
    ys = [600, 620, 800, 300, 600]
    t0 = [0.0, 1.0, 1.5, 3.5, 3.75]
    t1 = [1.0, 1.5, 3.5, 3.75, 4.75]
    assert zones_of(xs, ys, CHEST) == ["F", "F", "C", "A", "F"]
    visits = zone_visits(xs, ys, t0, t1, CHEST)
    assert [(v.zone, v.t_start, v.t_end, v.dwell) for v in visits] == [
        ("F", 0.0, 1.5, 1.5), ("C", 1.5, 3.5, 2.0), ("A", 3.5, 3.75, 0.25), ("F", 3.75, 4.75, 1.0)
    ]
    cov = zone_coverage(xs, ys, t0, t1, CHEST)
    assert cov.order == ["F", "C", "A"]
    assert cov.sequence == "FCAF"
    assert cov.dwell["F"] == pytest.approx(2.5) and cov.dwell["B"] == 0.0
    assert cov.missed == ["B", "D", "E"]


def test_default_chest_box() -> None:
    box = default_chest_box(1000, 2000)
    assert (box.x_min, box.y_min, box.x_max, box.y_max) == pytest.approx((80, 100, 920, 1800))
