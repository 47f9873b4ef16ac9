"""Real signatures (issue 13): a forgery suite. Every forged reading is refused by validate, load (the
review session) and export with a clear one-line reason; a genuine one verifies and says who signed."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.errors import ExportError, ReadingError
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.audit_chain import GENESIS, check_chain
from gazex_viewer.core.review.integrity import check_reading, content_sha256
from gazex_viewer.core.review.session import ReviewError, ReviewSession
from gazex_viewer.core.review.signing import (
    SigningKeyError,
    create_key,
    generate_key,
    has_key,
    key_file,
    load_key,
    signing_payload,
)
from gazex_viewer.core.review.sqlite_store import (
    SqliteReviewStore,
    default_store_path,
    registered_keys,
)
from tests.factories import key_for, make_reading, sign


def _signed_reading(tmp_path: Path) -> tuple[Path, Reading]:
    """A reading reviewed and signed by Dr Ada (key registered in the default review database), saved as JSON."""
    reading = make_reading()
    s = ReviewSession(reading, "Dr Ada")
    s.accept("f-000")
    s.reject("f-001", "not seen")
    s.edit("f-002", text="mild cardiomegaly")
    s.accept("f-003")
    s.set_impression("Mild cardiomegaly.")
    sign(s)
    path = tmp_path / "signed.json"
    reading.save(path)
    return path, reading


def _forge(tmp_path: Path, name: str, change: Any) -> Path:
    path, _reading = _signed_reading(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    out = tmp_path / f"{name}.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path)])
    cap = capsys.readouterr()
    return code, (cap.out + cap.err).strip()


def _refused_everywhere(path: Path, capsys: pytest.CaptureFixture[str], *reasons: str) -> None:
    code, line = _validate(path, capsys)
    assert code == 2 and "\n" not in line, line
    assert any(r in line for r in reasons), line
    reading = Reading.from_json(path.read_text(encoding="utf-8"))
    with SqliteReviewStore(default_store_path()) as store:
        s = ReviewSession(reading, "Dr Check", registry=store)
    assert not s.is_signed and (s.signature_invalid or s.integrity_problems)
    image = path.with_suffix(".png")
    code = main(["export", str(path), "--image", str(image), "--json", str(path.with_name("out.json"))])
    err = capsys.readouterr().err
    assert code == 2 and "refusing to export" in err and any(r in err for r in reasons), err
    assert not path.with_name("out.json").exists()


# -- a genuine signature -------------------------------------------------------------------------------------
def test_genuine_signature_verifies_and_says_who_signed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, reading = _signed_reading(tmp_path)
    so = reading.review.signoff  # type: ignore[union-attr]
    assert so is not None and so.algorithm == "Ed25519" and so.key_id == key_for("Dr Ada").key_id
    assert so.events_head == check_chain(reading.review.events[:-1]).head  # type: ignore[union-attr]
    code, line = _validate(path, capsys)
    assert code == 0
    assert "signed by Dr Ada at " in line and f"key {so.key_id[:12]}" in line and "registered by test registrar" in line
    check = check_reading(Reading.from_json(path.read_text(encoding="utf-8")), registered_keys(default_store_path()))
    assert check.ok and check.signature.signed and check.signature.signer == "Dr Ada"
    # the signature covers the whole reading: the payload names the producer, trajectory and the signer
    payload = signing_payload(reading).decode("utf-8")
    assert '"producer"' in payload and '"trajectory"' in payload and '"reviewer":"Dr Ada"' in payload
    assert '"signature":""' in payload and '"events"' not in payload


# -- forgeries -----------------------------------------------------------------------------------------------
def test_renamed_signer_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def rename(d: dict[str, Any]) -> None:
        d["review"]["signoff"]["reviewer"] = "Dr Famous"
        d["review"]["reviewer"] = "Dr Famous"
        d["review"]["events"][-1]["after"]["reviewer"] = "Dr Famous"
        d["review"]["events"][-1]["reviewer"] = "Dr Famous"

    _refused_everywhere(_forge(tmp_path, "renamed", rename), capsys, "signature does not match the reading")


def test_edited_impression_with_recomputed_hash_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["review"]["impression"] = "Normal chest."
        for e in d["review"]["events"]:
            if e["action"] == "impression":
                e["after"] = "Normal chest."
        d["review"]["signoff"]["content_sha256"] = content_sha256(Reading.from_dict(d))

    _refused_everywhere(_forge(tmp_path, "impression", edit), capsys, "signature does not match the reading")


def test_deleted_event_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def delete(d: dict[str, Any]) -> None:
        del d["review"]["events"][1]

    _refused_everywhere(_forge(tmp_path, "deleted", delete), capsys, "an event was removed, reordered or edited")


def test_reordered_events_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def swap(d: dict[str, Any]) -> None:
        ev = d["review"]["events"]
        ev[0], ev[1] = ev[1], ev[0]

    _refused_everywhere(_forge(tmp_path, "reordered", swap), capsys, "an event was removed, reordered or edited")


def test_edited_event_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["review"]["events"][1]["reviewer"] = "Dr Famous"

    _refused_everywhere(_forge(tmp_path, "edited-event", edit), capsys, "an event was removed, reordered or edited")


def test_signature_by_an_unregistered_key_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A forger makes a key of their own, names it "Dr Ada" and signs: the key is not registered."""
    reading = make_reading()
    s = ReviewSession(reading, "Dr Ada")  # no registry: the forger's own machine
    for fid in s.undecided():
        s.accept(fid)
    s.sign(key=generate_key("Dr Ada"))
    path = tmp_path / "forged.json"
    reading.save(path)
    _refused_everywhere(path, capsys, "is not registered")


def test_registered_key_signing_under_another_name_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Dr Ada's real (registered) key used to sign as Dr Famous."""
    reading = make_reading()
    s = ReviewSession(reading, "Dr Famous")
    for fid in s.undecided():
        s.accept(fid)
    with pytest.raises(ReviewError, match="belongs to Dr Ada, not to Dr Famous"):
        s.sign(key=key_for("Dr Ada"))
    sign(s, "Dr Ada")  # registers Dr Ada's key
    data = json.loads(reading.to_json())
    for holder in (data["review"], data["review"]["signoff"], data["review"]["events"][-1],
                   data["review"]["events"][-1]["after"]):
        holder["reviewer"] = "Dr Famous"
    forged = Reading.from_dict(data)
    forged.review.signoff.signature = key_for("Dr Ada").sign(signing_payload(forged))  # type: ignore[union-attr]
    forged.review.events[-1].after = forged.review.signoff.to_dict()  # type: ignore[union-attr]
    path = tmp_path / "famous.json"
    forged.save(path)
    _refused_everywhere(path, capsys, "is registered to Dr Ada, not to Dr Famous")


def test_edited_database_row_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The SQLite file opened with sqlite3 and a decision changed in place: load and export --store refuse."""
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading()
    reading_json = tmp_path / "reading.json"
    reading.save(reading_json)
    unsigned = make_reading()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        for fid in s.undecided():
            s.accept(fid)
        s.reject("f-001", "not seen")
        sign(s)
        u = ReviewSession.open(store, unsigned, "Dr Ada")
        u.accept("f-000")
    conn = sqlite3.connect(db)
    for rid in (reading.reading_id, unsigned.reading_id):
        row = json.loads(conn.execute("SELECT review_json FROM readings WHERE reading_id = ?", (rid,)).fetchone()[0])
        row["decisions"][0]["status"] = "rejected"
        row["decisions"][0]["reason"] = "edited in the file"
        conn.execute("UPDATE readings SET review_json = ? WHERE reading_id = ?", (json.dumps(row), rid))
    conn.commit()
    conn.close()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Check", follow_versions=False)
        assert s.signature_invalid and not s.is_signed and "changed after signing" in (s.signature_problem or "")
        u = ReviewSession.open(store, unsigned, "Dr Check")
        assert any("changed outside the review" in p for p in u.integrity_problems)
        with pytest.raises(ReviewError, match="changed outside the review"):
            u.accept("f-001")  # nothing is written on top of a contradicted log
    code = main(["export", str(reading_json), "--image", str(tmp_path / "x.png"), "--json", str(tmp_path / "o.json"),
                 "--store", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "refusing to export" in err and "changed after signing" in err and "\n" not in err.strip()
    u_json = tmp_path / "u.json"
    unsigned.save(u_json)
    code = main(["export", str(u_json), "--image", str(tmp_path / "x.png"), "--json", str(tmp_path / "o.json"),
                 "--store", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "changed outside the review" in err
    assert not (tmp_path / "o.json").exists()


def test_edited_event_row_in_the_database_is_found(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        s.accept("f-000")
        s.reject("f-001")
        s.accept("f-002")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE events SET reviewer = 'Dr Famous' WHERE action = 'reject'")
    conn.commit()
    conn.close()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert any("an event was removed, reordered or edited" in p for p in s.integrity_problems)


# -- legacy sign-offs ----------------------------------------------------------------------------------------
def test_legacy_hash_only_signoff_loads_but_is_never_signed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def strip(d: dict[str, Any]) -> None:
        so = d["review"]["signoff"]
        d["review"]["signoff"] = {k: so[k] for k in ("reviewer", "at", "content_sha256")}
        for e in d["review"]["events"]:
            e.pop("prev_sha256", None)
            if e["action"] == "sign":
                e["after"] = d["review"]["signoff"]

    path = _forge(tmp_path, "legacy", strip)
    code, line = _validate(path, capsys)
    assert code == 0 and "unsigned (legacy hash only)" in line and "signed by Dr Ada at" in line
    s = ReviewSession(Reading.from_json(path.read_text(encoding="utf-8")), "Dr Check")
    assert not s.is_signed and s.signature_invalid and "legacy hash only" in (s.signature_problem or "")
    code = main(["export", str(path), "--image", "x.png", "--json", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert code == 2 and "refusing to export: unsigned (legacy hash only)" in err


# -- signing needs the key -------------------------------------------------------------------------------------
def test_sign_needs_a_registered_key_of_the_signer(tmp_path: Path) -> None:
    with SqliteReviewStore(tmp_path / "r.sqlite3") as store:
        s = ReviewSession.open(store, make_reading(), "Dr Ada")
        for fid in s.undecided():
            s.accept(fid)
        with pytest.raises(ReviewError, match="signing needs Dr Ada's signing key"):
            s.sign()
        with pytest.raises(ReviewError, match="is not registered in the review database"):
            s.sign(key=generate_key("Dr Ada"))
        assert not s.is_signed and [e.action for e in s.review.events][-1] == "accept"
        key = generate_key("Dr Ada")
        entry = store.register_key(key, "it-admin")
        assert entry.registered_by == "it-admin" and store.registered_key(key.key_id) == entry
        so = s.sign(key=key)
        assert s.is_signed and so.key_id == key.key_id
        assert s.review.events[0].prev_sha256 == GENESIS


def test_key_file_is_passphrase_protected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAZEX_KEY_DIR", str(tmp_path / "keys"))
    assert not has_key("Dr Ada")
    with pytest.raises(SigningKeyError, match="at least 8 characters"):
        create_key("Dr Ada", "short")
    key = create_key("Dr Ada", "correct horse battery")
    path = key_file("Dr Ada")
    assert path.parent == tmp_path / "keys" and has_key("Dr Ada")
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key("Dr Ada", "correct horse battery").key_id == key.key_id
    with pytest.raises(SigningKeyError, match="wrong passphrase"):
        load_key("Dr Ada", "wrong horse battery")
    with pytest.raises(SigningKeyError, match="already has a signing key"):
        create_key("Dr Ada", "another passphrase")
    with pytest.raises(SigningKeyError, match="has no signing key"):
        load_key("Dr Bob", "correct horse battery")


def test_export_refuses_forgery_as_typed_error(tmp_path: Path) -> None:
    """The library path (export_sr) refuses a forged signature too, without a registry."""
    from gazex_viewer.core.export.sr import export_sr

    path = _forge(tmp_path, "lib", lambda d: d["review"]["signoff"].__setitem__("reviewer", "Dr Famous"))
    with pytest.raises((ExportError, ReadingError), match="signature"):
        export_sr(Reading.from_json(path.read_text(encoding="utf-8")), tmp_path / "o.dcm")


def test_event_hash_fields_are_the_event_document() -> None:
    from gazex_viewer.core.reading.document import ReviewEvent
    from gazex_viewer.core.review.audit_chain import event_fields

    for prev in (None, GENESIS):
        ev = ReviewEvent("e-1", "2026", "Dr A", "edit", "f-1", {"a": [1, 2.5]}, {"b": None}, prev)
        assert event_fields(ev) == ev.to_dict()


def test_signature_survives_a_json_round_trip_of_integer_coordinates(tmp_path: Path) -> None:
    """A producer's integer box corners come back from JSON as floats: still the same signed document."""
    from gazex_viewer.core.reading.document import Box

    reading = make_reading()
    reading.findings[0].observation = Box.from_corners(300, 120, 700, 520)  # type: ignore[arg-type]
    s = ReviewSession(reading, "Dr Ada")
    for fid in s.undecided():
        s.accept(fid)
    sign(s)
    text = reading.to_json()
    assert '"x_min": 300,' in text
    back = Reading.from_json(text)
    assert type(back.findings[0].observation.x_min) is float  # type: ignore[union-attr]
    check = check_reading(back, registered_keys(default_store_path()))
    assert check.ok and check.signature.signed, check.problems


def test_last_event_row_removed_from_the_database_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Removing the newest event row leaves an intact chain: the reading's stored log head gives it away."""
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading()
    reading_json = tmp_path / "reading.json"
    reading.save(reading_json)
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        s.accept("f-000")
        s.set_impression("first thought")  # the only event on the impression
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)")
    conn.commit()
    conn.close()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert any("events were removed" in p for p in s.integrity_problems), s.integrity_problems
        with pytest.raises(ReviewError, match="events were removed"):
            s.accept("f-001")
    code = main(["export", str(reading_json), "--image", str(tmp_path / "x.png"), "--json", str(tmp_path / "o.json"),
                 "--store", str(db)])
    assert code == 2 and "events were removed" in capsys.readouterr().err
