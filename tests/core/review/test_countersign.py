"""The attending's countersignature (issue 16): a second Ed25519 signature over the same content hash.

On SQLite and on a real PostgreSQL (``store_location``): a trainee signs, an attending countersigns, a fresh
session reads both back as valid. Forgeries (another content hash, a renamed attending, a removed event) are
refused by the integrity rules that validate, load and export share. On PostgreSQL only the attending role may
countersign, under its own name (the store refuses a direct write too); a read-only user's session opens
read-only. ``key_registry`` and ``export --store`` read a ``postgresql://`` review database.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import Reading, ReviewEvent, SignOff, new_id
from gazex_viewer.core.review.audit_chain import head_of
from gazex_viewer.core.review.countersign import countersign_refusal
from gazex_viewer.core.review.integrity import (
    check_reading,
    content_sha256,
    key_registry,
)
from gazex_viewer.core.review.review_errors import ReadingSignedError, ReviewError
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.signing import (
    ALGORITHM,
    COUNTERSIGN_CANONICAL,
    countersign_payload,
    signing_payload,
)
from gazex_viewer.core.review.signoff import SignOffKeyError, make_countersign
from gazex_viewer.core.review.sqlite_store import default_store_path
from gazex_viewer.core.review.store import ReviewStore, open_store
from gazex_viewer.core.review.store_errors import ReviewStorePermissionError
from tests.factories import key_for, make_reading, sign


def _register(store: ReviewStore | None, who: str) -> None:
    """``who``'s test key registered in ``store`` and in the default review database (validate, export)."""
    if store is not None:
        store.register_key(key_for(who), "test registrar")
    default = open_store()
    try:
        default.register_key(key_for(who), "test registrar")
    finally:
        default.close()


def _trainee_signs(store: ReviewStore | None, reading: Reading, who: str = "Dr Trainee") -> ReviewSession:
    s = ReviewSession.open(store, reading, who) if store is not None else ReviewSession(reading, who)
    s.accept("f-000")
    s.reject("f-001", "not seen")
    s.edit("f-002", text="mild cardiomegaly")
    s.accept("f-003")
    s.set_impression("Mild cardiomegaly.")
    sign(s)
    return s


def _countersigned(tmp_path: Path) -> tuple[Path, Reading]:
    reading = make_reading()
    _trainee_signs(None, reading)
    _register(None, "Dr Attending")
    att = ReviewSession(reading, "Dr Attending")
    att.countersign(key=key_for("Dr Attending"), account="attending")
    path = tmp_path / "countersigned.json"
    reading.save(path)
    return path, reading


# -- on both stores -------------------------------------------------------------------------------------------
def test_attending_countersigns_a_trainees_signed_review(store_location: str) -> None:
    reading = make_reading()
    with open_store(store_location) as store:  # type: ignore[attr-defined]
        trainee = _trainee_signs(store, reading)
        signoff = trainee.signoff
        assert signoff is not None and trainee.countersign_refusal() is not None  # not their own
        with pytest.raises(ReviewError, match="Dr Trainee signed this review and cannot also countersign it"):
            trainee.countersign(key=key_for("Dr Trainee"))
        store.register_key(key_for("Dr Attending"), "test registrar")
        attending = ReviewSession.open(store, reading, "Dr Attending")
        assert attending.is_signed and not attending.is_countersigned and attending.countersign_refusal() is None
        with pytest.raises(ReviewError, match="signing key belongs to Dr Other"):
            attending.countersign(key=key_for("Dr Other"))
        cs = attending.countersign(key=key_for("Dr Attending"), account="att")
        assert cs.content_sha256 == signoff.content_sha256 == content_sha256(attending.reading)
        assert cs.canonical == COUNTERSIGN_CANONICAL and cs.signature and cs.key_id == key_for("Dr Attending").key_id
        assert attending.is_countersigned and attending.is_signed
        with pytest.raises(ReadingSignedError, match="already countersigned by Dr Attending"):
            attending.countersign(key=key_for("Dr Attending"))
        with pytest.raises(ReadingSignedError):  # still frozen
            attending.accept("f-000")

        again = ReviewSession.open(store, reading, "Dr Third")  # what every other station now reads
        assert again.is_signed and again.is_countersigned and again.integrity_problems == []
        assert again.countersign_status.message.startswith("countersigned by Dr Attending (attending) at ")
        assert [e.action for e in again.review.events[-2:]] == ["sign", "countersign"]
        assert again.review.events[-1].reviewer == "Dr Attending"
        assert again.signoff == signoff and again.review.countersign == cs
        check = check_reading(again.reading, store)
        assert check.ok and check.signature.signed and check.countersign.signer == "Dr Attending"


def test_a_countersignature_leaves_the_first_signature_as_it_was(tmp_path: Path) -> None:
    path, reading = _countersigned(tmp_path)
    unsigned = copy.deepcopy(reading)
    assert unsigned.review is not None
    unsigned.review.countersign = None
    assert signing_payload(reading) == signing_payload(unsigned)  # the payload leaves the countersignature out
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["review"]["countersign"]["reviewer"] == "Dr Attending"
    back = Reading.from_json(path.read_text(encoding="utf-8"))
    check = check_reading(back, key_registry())
    assert check.ok and check.signature.signed and check.countersign.countersigned
    # a review without a countersignature keeps its old shape (and every signature made before it)
    assert "countersign" not in unsigned.review.to_dict()


def test_validate_says_who_countersigned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _reading = _countersigned(tmp_path)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "signed by Dr Trainee at " in out and "countersigned by Dr Attending (attending) at " in out


# -- forgeries ------------------------------------------------------------------------------------------------
def _forge(tmp_path: Path, change: object) -> Reading:
    path, _reading = _countersigned(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    return Reading.from_dict(data)


def _refused(reading: Reading, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check = check_reading(reading, key_registry())
    assert not check.ok and any(reason in p for p in check.problems), check.problems
    assert not check.countersign.countersigned
    session = ReviewSession(reading, "Dr Check", registry=key_registry())
    assert not session.is_countersigned and any(reason in p for p in session.integrity_problems)
    path = tmp_path / "forged.json"
    reading.save(path)
    assert main(["validate", str(path)]) == 2
    assert reason in capsys.readouterr().err
    out = tmp_path / "out.json"
    assert main(["export", str(path), "--image", str(tmp_path / "none.png"), "--json", str(out)]) == 2
    assert "refusing to export" in capsys.readouterr().err and not out.exists()


def test_a_countersignature_over_another_content_hash_is_refused(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    reading = make_reading()
    _trainee_signs(None, reading)
    _register(None, "Dr Attending")
    review = reading.review
    assert review is not None and review.signoff is not None
    # a genuine signature by the attending's registered key, but over another hash than the sign-off's
    forged = SignOff(reviewer="Dr Attending", at=review.signoff.at, content_sha256="f" * 64, algorithm=ALGORITHM,
                     key_id=key_for("Dr Attending").key_id, public_key=key_for("Dr Attending").public_key,
                     events_head=head_of(review.events), canonical=COUNTERSIGN_CANONICAL)
    forged.signature = key_for("Dr Attending").sign(countersign_payload(reading, forged))
    review.events.append(ReviewEvent(new_id("e"), forged.at, "Dr Attending", "countersign", None, None,
                                     forged.to_dict(), head_of(review.events)))
    review.countersign = forged
    _refused(reading, "over a different content hash than the sign-off's", tmp_path, capsys)
    # and it is never made: a review whose content changed after signing is not countersigned
    changed = make_reading()
    _trainee_signs(None, changed)
    assert changed.review is not None
    changed.review.impression = "Something else."
    with pytest.raises(SignOffKeyError, match="not what was signed"):
        make_countersign(changed, "Dr Attending", key_for("Dr Attending"), None)


def test_a_renamed_attending_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def rename(d: dict) -> None:  # type: ignore[type-arg]
        d["review"]["countersign"]["reviewer"] = "Dr Famous"
        d["review"]["events"][-1]["after"]["reviewer"] = "Dr Famous"
        d["review"]["events"][-1]["reviewer"] = "Dr Famous"

    _refused(_forge(tmp_path, rename), "the signature does not match the signed review", tmp_path, capsys)


def test_a_removed_countersign_event_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def drop_event(d: dict) -> None:  # type: ignore[type-arg]
        d["review"]["events"].pop()

    _refused(_forge(tmp_path, drop_event), "does not end with the sign event and its one countersign event",
             tmp_path, capsys)


def test_a_countersign_event_without_its_countersignature_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def drop_countersign(d: dict) -> None:  # type: ignore[type-arg]
        d["review"].pop("countersign")

    _refused(_forge(tmp_path, drop_countersign), "records a countersignature the review does not carry",
             tmp_path, capsys)


def test_an_unsigned_review_cannot_be_countersigned() -> None:
    reading = make_reading()
    s = ReviewSession(reading, "Dr Attending")
    assert s.countersign_refusal() == "only a signed review can be countersigned"
    with pytest.raises(ReviewError, match="only a signed review can be countersigned"):
        s.countersign(key=key_for("Dr Attending"))
    assert countersign_refusal(None, s.review, "Dr Attending") == "only a signed review can be countersigned"


# -- PostgreSQL: roles and the database user ------------------------------------------------------------------
def _user(server: object, url: str, name: str, group: str, display: str | None = None) -> str:
    """A login user in one of the GazeX roles (with a display name); its URL."""
    database = url.rsplit("/", 1)[1]
    login = f"{name}_{database}"
    server.psql(f"CREATE ROLE {login} LOGIN PASSWORD 'pw-{name}' IN ROLE {group}")  # type: ignore[attr-defined]
    if display:
        server.psql(f"INSERT INTO reviewers VALUES ('{login}', '{display}')", database)  # type: ignore[attr-defined]
    return server.url(database, user=login, password=f"pw-{name}")  # type: ignore[attr-defined]


def test_postgres_only_the_attending_role_countersigns_under_its_own_name(postgres_server: object,
                                                                          postgres_url: str) -> None:
    pytest.importorskip("psycopg")
    from gazex_viewer.core.review.postgres_store import PostgresReviewStore

    reading = make_reading()
    PostgresReviewStore(postgres_url).close()  # the schema and the roles
    trainee_url = _user(postgres_server, postgres_url, "trainee", "gazex_reviewer", "Dr Trainee")
    res_url = _user(postgres_server, postgres_url, "res", "gazex_reviewer", "Dr Res")
    att_url = _user(postgres_server, postgres_url, "att", "gazex_attending", "Dr Attending")
    with PostgresReviewStore(trainee_url) as store:
        _trainee_signs(store, reading)
        store.register_key(key_for("Dr Res"), "Dr Res")
        store.register_key(key_for("Dr Other"), "Dr Other")
    with PostgresReviewStore(res_url) as store:
        assert store.role == "reviewer"
        s = ReviewSession.open(store, reading, "Dr Res")
        assert "only an attending may countersign" in (s.countersign_refusal() or "")
        with pytest.raises(ReviewError, match="only an attending may countersign; you are signed in as res_"):
            s.countersign(key=key_for("Dr Res"))
        # the store refuses it too, whatever the client does
        cs = make_countersign(s.reading, "Dr Res", key_for("Dr Res"), store)
        assert s.review is not None
        s.review.countersign = cs
        event = ReviewEvent(new_id("e"), cs.at, "Dr Res", "countersign", None, None, cs.to_dict(),
                            head_of(s.review.events))
        with pytest.raises(ReviewStorePermissionError, match="only an attending may countersign; nothing was saved"):
            store.record(s.reading, event, expected_version=len(s.review.events))
        assert store.load(reading.reading_id).reading.review.countersign is None  # type: ignore[union-attr]
    with PostgresReviewStore(att_url) as store:
        assert (store.role, store.identity) == ("attending", "Dr Attending")
        store.register_key(key_for("Dr Attending"), "Dr Attending")
        s = ReviewSession.open(store, reading, "Dr Other")
        with pytest.raises(ReviewStorePermissionError, match="cannot sign as Dr Other"):  # not the database user
            s.countersign("Dr Other", key=key_for("Dr Other"))
        assert s.review.countersign is None and not s.is_countersigned
        s = ReviewSession.open(store, reading, store.identity)
        s.countersign(key=key_for("Dr Attending"))
    with PostgresReviewStore(res_url) as store:
        again = ReviewSession.open(store, reading, "Dr Res")
        assert again.is_countersigned and again.integrity_problems == []
        rows = postgres_server.psql(  # type: ignore[attr-defined]
            "SELECT action, db_user FROM events ORDER BY seq", postgres_url.rsplit("/", 1)[1]).split()
        assert rows[-2:] == [f"sign|{trainee_url.split('//')[1].split(':')[0]}",
                             f"countersign|{att_url.split('//')[1].split(':')[0]}"]


def test_postgres_read_only_user_opens_the_review_read_only(postgres_server: object, postgres_url: str) -> None:
    pytest.importorskip("psycopg")
    from gazex_viewer.core.review.postgres_store import PostgresReviewStore

    reading = make_reading()
    with PostgresReviewStore(postgres_url) as admin:
        ReviewSession.open(admin, reading, "Dr Ada").accept("f-000")
    with PostgresReviewStore(_user(postgres_server, postgres_url, "viewer", "gazex_readonly")) as ro:
        s = ReviewSession.open(ro, reading, "Dr Viewer")
        assert s.read_only and "read-only role" in (s.read_only_reason or "")
        assert s.status("f-000") == "accepted"
        with pytest.raises(ReviewStorePermissionError, match="open read-only .*read-only role.*nothing was saved"):
            s.accept("f-001")
        other = make_reading()  # not stored: reviewed in memory only, nothing written
        s2 = ReviewSession.open(ro, other, "Dr Viewer")
        assert s2.read_only and s2.store is None and not ro.has_reading(other.reading_id)
    with PostgresReviewStore(postgres_url) as admin:  # asked for read-only (a study claimed by someone else)
        s3 = ReviewSession.open(admin, reading, "Dr Bo", read_only="being read by Dr Ada since 10:42")
        with pytest.raises(ReviewStorePermissionError, match="being read by Dr Ada since 10:42"):
            s3.reject("f-001")
        assert admin.load(reading.reading_id).version == 1


def test_key_registry_and_export_read_a_postgresql_review_database(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("psycopg")
    from gazex_viewer.core.review.postgres_store import PostgresReviewStore

    reading = make_reading()
    draft = tmp_path / "draft.json"
    reading.save(draft)  # before review: --store takes the stored review of the same reading
    with PostgresReviewStore(postgres_url) as store:
        s = ReviewSession.open(store, reading, "postgres")
        for fid in list(s.undecided()):
            s.accept(fid)
        store.register_key(key_for("postgres"), "the administrator")
        s.sign(key=key_for("postgres"))
    monkeypatch.setenv("GAZEX_REVIEW_DB", postgres_url)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReviewStoreError, match="is a PostgreSQL server, not a file"):
        default_store_path()  # never a file named after the URL
    assert not any(p.name.startswith("postgres") for p in tmp_path.iterdir())
    registry = key_registry()
    found = registry.registered_key(key_for("postgres").key_id)
    assert found is not None and found.registered_by == "the administrator"
    assert "gazex-test-pg-password" not in getattr(registry, "source", "")
    out = tmp_path / "out.json"
    assert main(["export", str(draft), "--image", str(tmp_path / "none.png"), "--json", str(out), "--store"]) == 0
    exported = Reading.from_json(out.read_text(encoding="utf-8"))
    assert exported.review is not None and exported.review.signoff is not None
    assert exported.review.signoff.reviewer == "postgres"
    assert main(["validate", str(out)]) == 0
    assert "registered by the administrator" in capsys.readouterr().out
    # an empty database (no schema yet) has no keys, and reading it creates nothing
    empty = postgres_url.rsplit("/", 1)[0] + "/postgres"
    assert key_registry(empty).registered_key(key_for("postgres").key_id) is None


def test_two_attendings_at_once_the_second_is_refused_and_sees_the_first(store_location: str) -> None:
    from gazex_viewer.core.review.store_errors import StaleWriteError

    reading = make_reading()
    with open_store(store_location) as store, open_store(store_location) as other:  # type: ignore[attr-defined]
        _trainee_signs(store, reading)
        for who in ("Dr Ann", "Dr Ben"):
            store.register_key(key_for(who), "test registrar")
        ann = ReviewSession.open(store, reading, "Dr Ann")
        ben = ReviewSession.open(other, reading, "Dr Ben")
        ann.countersign(key=key_for("Dr Ann"))
        with pytest.raises(StaleWriteError, match="Dr Ann countersigned the reading at "):
            ben.countersign(key=key_for("Dr Ben"))
        assert ben.is_countersigned and ben.review.countersign is not None  # reloaded: the first one, on screen
        assert ben.review.countersign.reviewer == "Dr Ann"
        assert [e.action for e in store.events(reading.reading_id)][-2:] == ["sign", "countersign"]
