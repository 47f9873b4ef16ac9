"""Sign-off in the viewer needs the reviewer's key (issue 13): created at the first sign-off, unlocked by its
passphrase later; a wrong passphrase or a cancel signs nothing; a legacy hash-only sign-off is never shown as signed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from tests.ui.review import panel_fixtures
from tests.ui.review.panel_fixtures import Prompts, make_panel

reading = panel_fixtures.reading
db = panel_fixtures.db
prompts = panel_fixtures.prompts


def _decide_all(panel: Any) -> None:
    for fid in list(panel.session.undecided()):
        panel.session.accept(fid)


def test_key_created_once_then_unlocked_by_passphrase(qtbot: Any, reading: Any, db: Path, prompts: Prompts,
                                                      monkeypatch: Any) -> None:
    store = SqliteReviewStore(db)
    panel, _sel = make_panel(qtbot, prompts)
    panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
    _decide_all(panel)
    answers = iter(["long enough 1", "long enough 2"])  # the two passphrases differ: nothing is created
    panel.ask_passphrase = lambda t, label: next(answers)  # type: ignore[method-assign]
    assert not panel.sign() and not panel.session.is_signed
    assert prompts.errors[-1][0] == "Cannot create the signing key"
    panel.ask_passphrase = lambda t, label: None  # type: ignore[method-assign]  # cancelled
    assert not panel.sign() and not panel.session.is_signed
    panel.ask_passphrase = prompts.passphrase  # type: ignore[method-assign]
    assert panel.sign() and panel.session.is_signed  # created and registered
    # a second reading: the key exists, so one passphrase unlocks it; a wrong one signs nothing
    other = Reading.from_json(reading.to_json())
    other.reading_id = "r-second"
    panel.set_session(ReviewSession.open(store, other, "Dr Ada"))
    _decide_all(panel)
    panel.ask_passphrase = lambda t, label: "not the passphrase"  # type: ignore[method-assign]
    assert not panel.sign() and not panel.session.is_signed
    assert "wrong passphrase" in prompts.errors[-1][1]
    prompts.passphrases.clear()
    panel.ask_passphrase = prompts.passphrase  # type: ignore[method-assign]
    assert panel.sign() and panel.session.is_signed
    assert len(prompts.passphrases) == 1 and "Passphrase of Dr Ada's signing key" in prompts.passphrases[0]
    assert len(store.keys_of("Dr Ada")) == 1
    store.close()


def test_legacy_hash_only_signoff_is_not_shown_as_signed(qtbot: Any, reading: Any, db: Path,
                                                         prompts: Prompts) -> None:
    from gazex_viewer.core.review.integrity import content_sha256
    from gazex_viewer.core.review.session import ReviewSession

    s = ReviewSession(reading, "Dr Old")
    _decide_all(type("P", (), {"session": s})())
    data = json.loads(reading.to_json())
    data["review"]["signoff"] = {"reviewer": "Dr Old", "at": "2024-01-01T00:00:00+00:00",
                                 "content_sha256": content_sha256(reading)}
    for e in data["review"]["events"]:
        e.pop("prev_sha256", None)
    legacy = Reading.from_dict(data)
    store = SqliteReviewStore(db)
    panel, _sel = make_panel(qtbot, prompts)
    panel.set_session(ReviewSession.open(store, legacy, "Dr Ada"))
    s2 = panel.session
    assert s2.signature_state == "legacy" and not s2.is_signed, s2.signature_status
    assert not panel.signoff_label.isVisible() and panel.signature_invalid_label.isVisible()
    assert "legacy hash only" in panel.signature_invalid_label.text()
    assert "legacy" in panel.counter_label.text() and "Signed" not in panel.counter_label.text()
    store.close()
