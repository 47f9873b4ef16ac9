"""Readings built from the dataclasses for the review and export tests (helpers, no tests here)."""

from __future__ import annotations

from typing import Any

from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Label,
    Producer,
    Reading,
    Sentence,
    SignOff,
)
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.signing import SigningKey, generate_key
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore, default_store_path

SENTENCES: list[tuple[str, list[Label], tuple[float, float, float, float] | None]] = [
    ("support apparatus", [Label("Support Devices", "positive")], (300.0, 120.0, 700.0, 520.0)),
    ("no pneumothorax", [Label("Pneumothorax", "negative")], None),
    ("enlarged cardiac silhouette", [Label("Cardiomegaly", "positive")], (380.0, 500.0, 820.0, 860.0)),
    ("left basilar opacity", [Label("Lung Opacity", "positive")], (560.0, 640.0, 900.0, 920.0)),
]


def make_reading(
    *,
    n: int | None = None,
    width: int = 1024,
    height: int = 1024,
    file_name: str = "image.dcm",
    sop_instance_uid: str | None = None,
    study_instance_uid: str | None = None,
    sop_class_uid: str | None = None,
    series_instance_uid: str | None = None,
    pixel_sha256: str = "0" * 64,
) -> Reading:
    """A model reading with the four sentences above (or ``n`` generated ones)."""
    specs = list(SENTENCES)
    if n is not None:
        specs = [
            (
                f"finding number {i}",
                [Label("Lung Opacity", "positive")],
                (10.0 + i, 20.0 + i, 200.0 + i, 220.0 + i),
            )
            for i in range(n)
        ]
    sentences: list[Sentence] = []
    findings: list[Finding] = []
    for i, (text, labels, box) in enumerate(specs):
        sid = f"s-{i:03d}"
        sentences.append(Sentence(sid, text))
        findings.append(
            Finding(
                id=f"f-{i:03d}",
                sentence_id=sid,
                text=text,
                labels=list(labels),
                observation=None if box is None else Box.from_corners(*box),
                clues=[] if box is None else [Box.from_corners(box[0], box[1], box[0] + 50, box[1] + 40)],
            )
        )
    return Reading(
        image=ImageRef(
            file_name=file_name,
            width=width,
            height=height,
            pixel_sha256=pixel_sha256,
            sop_instance_uid=sop_instance_uid,
            study_instance_uid=study_instance_uid,
            series_instance_uid=series_instance_uid,
            sop_class_uid=sop_class_uid,
        ),
        producer=Producer(kind="model", name="gazex-test", backend="none"),
        sentences=sentences,
        findings=findings,
        raw_report=" . ".join(s.text for s in sentences) + " .",
    )


_KEYS: dict[str, SigningKey] = {}


def key_for(reviewer: str) -> SigningKey:
    """One Ed25519 key per reviewer name for the test session (in memory, never on disk)."""
    if reviewer not in _KEYS:
        _KEYS[reviewer] = generate_key(reviewer)
    return _KEYS[reviewer]


def sign(session: ReviewSession, reviewer: str | None = None, **kw: Any) -> SignOff:
    """Sign with the reviewer's test key, registered first in the session's store and in the default review
    database (``$GAZEX_REVIEW_DB``, the registry ``validate`` and ``export`` use)."""
    who = (reviewer or session.reviewer).strip()
    key = key_for(who)
    if session.store is not None:
        session.store.register_key(key, "test registrar")
    with SqliteReviewStore(default_store_path()) as store:
        store.register_key(key, "test registrar")
    return session.sign(who, key=key, **kw)
