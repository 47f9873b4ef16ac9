"""Hard-edge probes of the command line: run the real commands on hostile or unlucky input, count outcomes.

Each probe runs ``python -m gazex_viewer ...`` in a subprocess with a time limit and is classed as

- clean: the expected exit code, no traceback, every stderr line at most 500 characters, inputs untouched,
  no temporaries or partial outputs left behind;
- traceback: a Python traceback, an "internal error" line (exit 3) or a crash by signal;
- hang: still running at the time limit (killed);
- lost: an input changed, a temporary or a partial output left behind, or an output written where it
  must not be (``/dev/full``, an input);
- messy: none of those, but not clean either (a wrong exit code, an overlong or multi-line error).

Families: special files (FIFO, /dev/zero, folders, symlinks to devices) as every command's inputs, permission
denied, file names that are not UTF-8, lone surrogates in JSON, deeply nested JSON, oversize JSON, huge
readings (50 MB finding text, 10,000 findings), absurd arguments, broken pipes, outputs that are inputs or
special files, a full disk, SIGTERM / SIGINT during export, unknown sub-commands, library warnings that quote
raw bytes, SOP Class flips in the film, hostile chat templates in a checkpoint.

Usage::

    python benchmarks/reliability.py            # all families (builds an untrained tiny model, ~10 s)
    python benchmarks/reliability.py --family special --family pipe --verbose

The last three columns (traceback, hang, lost) are expected to be 0.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
OUTCOMES = ("clean", "messy", "traceback", "hang", "lost")


@dataclass
class Probe:
    """One command run and what a clean outcome is."""

    family: str
    name: str
    argv: list[str]
    expect_rc: tuple[int, ...] = (2,)
    guard: list[Path] = field(default_factory=list)  # files that must not change
    watch: list[Path] = field(default_factory=list)  # folders that must hold no temporaries afterwards
    must_not_exist: list[Path] = field(default_factory=list)
    timeout_s: float = 60.0
    head_one_line: bool = False  # read one stdout line, then close the pipe
    signal_after_s: float | None = None
    send: int = signal.SIGTERM
    max_err_lines: int = 3
    max_seconds: float | None = None  # slower than this counts as messy
    prefix: list[str] = field(default_factory=list)  # e.g. setpriv, to drop root's file access
    cwd: Path | None = None


@dataclass
class Result:
    probe: Probe
    outcome: str
    detail: str
    seconds: float


def _digest(p: Path) -> str | None:
    try:
        if p.is_symlink() and not p.exists():
            return "dangling"
        if not p.is_file():
            return "not-a-file:" + str(p.exists())
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return None


def _leftovers(folder: Path) -> list[str]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [n for n in names if ".partial-" in n or n.endswith(".tmp")]


#: address space of each probe (a command reading /dev/zero must not take the machine down); set by --memory-limit
MEMORY_LIMIT = 8 * 2**30


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_probe(probe: Probe) -> Result:
    """Run one probe and class its outcome."""
    before = {p: _digest(p) for p in probe.guard}
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("GAZEX_DEBUG", None)
    cmd = [*probe.prefix, sys.executable, "-m", "gazex_viewer", *probe.argv]
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=probe.cwd or ROOT, env=env,
        start_new_session=True, preexec_fn=_limit_memory,  # noqa: PLW1509 - this script starts no threads
    )
    hung = False
    try:
        if probe.head_one_line:
            assert proc.stdout is not None
            proc.stdout.readline()
            proc.stdout.close()
            err = proc.stderr.read() if proc.stderr else b""
            proc.wait(timeout=probe.timeout_s)
            out = b""
        elif probe.signal_after_s is not None:
            time.sleep(probe.signal_after_s)
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(probe.send)
            out, err = proc.communicate(timeout=probe.timeout_s)
        else:
            out, err = proc.communicate(timeout=probe.timeout_s)
    except subprocess.TimeoutExpired:
        hung = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = time.monotonic() - t0
    text = err.decode("utf-8", "replace")
    rc = proc.returncode
    lines = [ln for ln in text.splitlines() if ln.strip()]
    changed = [str(p) for p in probe.guard if _digest(p) != before[p]]
    left = [f"{w}/{n}" for w in probe.watch for n in _leftovers(w)]
    exists = [str(p) for p in probe.must_not_exist if os.path.lexists(p) and not (p.is_char_device())]
    if hung:
        return Result(probe, "hang", f"killed after {probe.timeout_s:g} s", seconds)
    if changed or left or exists:
        return Result(probe, "lost", f"changed {changed} left {left} written {exists}", seconds)
    if "Traceback (most recent call last)" in text or "internal error" in text or (rc < 0 and -rc != probe.send):
        tail = lines[-1] if lines else ""
        return Result(probe, "traceback", f"rc={rc} {tail[:300]}", seconds)
    problems = []
    if rc not in probe.expect_rc:
        problems.append(f"rc={rc} not in {probe.expect_rc}")
    if any(len(ln) > 500 for ln in lines):
        problems.append(f"a line of {max(len(ln) for ln in lines):,} characters")
    if len(lines) > probe.max_err_lines:
        problems.append(f"{len(lines)} stderr lines")
    if probe.max_seconds is not None and seconds > probe.max_seconds:
        problems.append(f"took {seconds:.1f} s (limit {probe.max_seconds:g})")
    first = lines[0][:200] if lines else (out.decode("utf-8", "replace").splitlines() or [""])[0][:200]
    if problems:
        return Result(probe, "messy", "; ".join(problems) + f" | {first}", seconds)
    return Result(probe, "clean", f"rc={rc} {first}", seconds)


# -- fixtures ------------------------------------------------------------------------------------------------
def _make_reading(path: Path, *, film: Path | None = None, edit: Callable[[dict], None] | None = None) -> Path:
    """A valid reading of ``film`` (the NIH DICOM by default), optionally edited as a JSON document."""
    sys.path.insert(0, str(ROOT))
    import pydicom

    from gazex_viewer.core.imaging.files import load_radiograph
    from tests.factories import make_reading

    film = film or DATA / "dicom" / "nih_dx_secondary_capture.dcm"
    ds = pydicom.dcmread(film, stop_before_pixels=True)
    rad = load_radiograph(film)
    r = make_reading(
        sop_instance_uid=str(ds.SOPInstanceUID),
        study_instance_uid=str(ds.StudyInstanceUID),
        pixel_sha256=str(rad.pixel_sha256),
        width=rad.width,
        height=rad.height,
    )
    doc = json.loads(r.to_json())
    if edit is not None:
        edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@contextlib.contextmanager
def full_disk(base: Path) -> Iterator[Path | None]:
    """A folder on a 256 KiB tmpfs that is full (root only); None where mounting is not allowed."""
    mnt = base / "full"
    mnt.mkdir(exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True, check=False).returncode == 0
    if not ok:
        yield None
        return
    try:
        (mnt / "old.pdf").write_bytes(b"%PDF-old")
        (mnt / "old.json").write_text("{}")
        with contextlib.suppress(OSError), open(mnt / "filler", "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def drop_root_access() -> list[str]:
    """A command prefix that takes away root's power to read any file (so chmod 000 means something)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return []
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps=-all"]


def build_probes(tmp: Path, families: set[str] | None = None, model: Path | None = None) -> list[Probe]:
    """Every probe of the chosen families, with their files under ``tmp``."""
    dcm = DATA / "dicom" / "nih_dx_secondary_capture.dcm"
    png = DATA / "images" / "nih" / "00000001_000.png"
    gaze = DATA / "gaze" / "gazesearch_scanpaths.json"
    want = (lambda f: True) if not families else (lambda f: f in families)
    good = _make_reading(tmp / "good.json")
    fifo = tmp / "fifo.json"
    if not fifo.exists():
        os.mkfifo(fifo)
    zero_link = tmp / "zero.json"
    if not zero_link.exists():
        zero_link.symlink_to("/dev/zero")
    folder = tmp / "folder.json"
    folder.mkdir(exist_ok=True)
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    probes: list[Probe] = []
    add = probes.append

    if want("special"):
        for label, bad in (("fifo", fifo), ("dev-zero", Path("/dev/zero")), ("folder", folder), ("link-to-zero", zero_link)):
            add(Probe("special", f"validate {label}", ["validate", str(bad)], timeout_s=20))
            add(Probe("special", f"compare {label}", ["compare", str(good), str(bad)], timeout_s=20))
            add(Probe("special", f"render {label}", ["render", str(bad), "-o", str(out / "x.png")], timeout_s=20,
                      must_not_exist=[out / "x.png"]))
            add(Probe("special", f"export reading {label}", ["export", str(bad), "--image", str(dcm), "--json",
                      str(out / "e.json")], timeout_s=20, must_not_exist=[out / "e.json"]))
            add(Probe("special", f"export image {label}", ["export", str(good), "--image", str(bad), "--sr",
                      str(out / "e.dcm")], timeout_s=20, must_not_exist=[out / "e.dcm"]))
            add(Probe("special", f"export store {label}", ["export", str(good), "--image", str(dcm), "--store", str(bad),
                      "--json", str(out / "s.json")], timeout_s=20, must_not_exist=[out / "s.json"]))
            add(Probe("special", f"import-gaze {label}", ["import-gaze", "--format", "gazesearch", str(bad), "-o",
                      str(out / "g")], timeout_s=20))
            add(Probe("special", f"compare --study {label}", ["compare", "--study", str(bad)], timeout_s=20))
            if label == "fifo":
                fifo_model = tmp / "fifo_model"
                fifo_model.mkdir(exist_ok=True)
                if not (fifo_model / "config.json").exists():
                    os.mkfifo(fifo_model / "config.json")
                add(Probe("special", "infer checkpoint with a FIFO config.json", ["infer", str(png), "--model",
                          str(fifo_model), "-o", str(out / "i")], timeout_s=20))
            if model is not None:
                add(Probe("special", f"infer {label}", ["infer", str(bad), "--model", str(model), "--device", "cpu",
                          "-o", str(out / "i")], timeout_s=60, max_err_lines=3))

    if want("permission"):
        prefix = drop_root_access()
        secret = tmp / "secret.json"
        shutil.copy(good, secret)
        secret.chmod(0)
        locked = tmp / "locked"
        locked.mkdir(exist_ok=True)
        locked.chmod(0o555)
        for name, argv in (
            ("validate unreadable", ["validate", str(secret)]),
            ("compare unreadable", ["compare", str(good), str(secret)]),
            ("export unreadable reading", ["export", str(secret), "--image", str(dcm), "--json", str(out / "p.json")]),
            ("export into read-only folder", ["export", str(good), "--image", str(dcm), "--json", str(locked / "p.json")]),
            ("render into read-only folder", ["render", str(png), "-o", str(locked / "p.png")]),
            ("import-gaze into read-only folder", ["import-gaze", "--format", "gazesearch", str(gaze), "-o",
                                                   str(locked / "g"), "--no-key-frames"]),
        ):
            add(Probe("permission", name, argv, prefix=prefix, watch=[locked], timeout_s=120))

    if want("names"):
        odd = Path(os.fsdecode(bytes(tmp) + b"/r\xff\xfe.json"))
        shutil.copy(good, odd)
        odd_png = Path(os.fsdecode(bytes(tmp) + b"/film\xff.png"))
        shutil.copy(png, odd_png)
        add(Probe("names", "validate non-UTF-8 name", ["validate", str(odd)], expect_rc=(0,)))
        add(Probe("names", "compare non-UTF-8 name", ["compare", str(odd), str(good)], expect_rc=(0,)))
        add(Probe("names", "export to non-UTF-8 name", ["export", str(odd), "--image", str(dcm), "--json",
                  os.fsdecode(bytes(out) + b"/o\xff.json")], expect_rc=(0,)))
        add(Probe("names", "render non-UTF-8 names", ["render", str(odd_png), "-o", os.fsdecode(bytes(out) + b"/\xfe.png")],
                  expect_rc=(0,)))
        if model is not None:
            add(Probe("names", "infer non-UTF-8 film name", ["infer", str(odd_png), "--model", str(model), "--device", "cpu",
                      "--no-cache", "--max-new-tokens", "32", "-o", str(out / "odd")], expect_rc=(0,), timeout_s=180,
                      max_err_lines=12))
        add(Probe("names", "validate missing non-UTF-8 name", ["validate", os.fsdecode(bytes(tmp) + b"/gone\xff.json")]))
        add(Probe("names", "validate NUL-free very long name", ["validate", str(tmp / ("x" * 300 + ".json"))]))

    if want("surrogates"):
        def lone(where: str) -> Callable[[dict], None]:
            def edit(doc: dict) -> None:
                if where == "finding":
                    doc["findings"][0]["text"] = "opacity \ud800 left"
                elif where == "sentence":
                    doc["sentences"][0]["text"] = "\udfff"
                else:
                    doc["image"]["file_name"] = "film\ud83d.dcm"
            return edit

        for where in ("finding", "sentence", "file_name"):
            bad = _make_reading(tmp / f"lone_{where}.json", edit=lone(where))
            add(Probe("surrogates", f"validate {where}", ["validate", str(bad)]))
            add(Probe("surrogates", f"compare {where}", ["compare", str(bad), str(good)]))
            for kind, ext in (("--json", "json"), ("--sr", "dcm"), ("--pdf", "pdf")):
                dest = out / f"lone_{where}.{ext}"
                add(Probe("surrogates", f"export {kind} {where}", ["export", str(bad), "--image", str(dcm), kind, str(dest)],
                          must_not_exist=[dest], watch=[out]))
        gs = tmp / "lone_gaze.json"
        gs.write_text('[{"name": "a\\ud800.jpg", "task": "x\\udc00", "X": [1, 2], "Y": [3, 4], "T": [0.2, 0.3]}]')
        add(Probe("surrogates", "import-gaze lone surrogate", ["import-gaze", "--format", "gazesearch", str(gs), "-o",
                  str(out / "gl")], expect_rc=(0, 2)))

    if want("deep"):
        deep = tmp / "deep.json"
        deep.write_text("[" * 200_000 + "]" * 200_000)
        deep_obj = tmp / "deep_obj.json"
        deep_obj.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
        deep_gaze = tmp / "deep_gaze.json"
        deep_gaze.write_text('[{"name":"a","task":"b","X":' + "[" * 50_000 + "]" * 50_000 + ',"Y":[1],"T":[1]}]')
        for label, f in (("list", deep), ("object", deep_obj)):
            add(Probe("deep", f"validate {label}", ["validate", str(f)]))
            add(Probe("deep", f"validate --all {label}", ["validate", "--all", str(f)], max_err_lines=4))
            add(Probe("deep", f"compare {label}", ["compare", str(f), str(good)]))
            add(Probe("deep", f"export {label}", ["export", str(f), "--image", str(dcm), "--json", str(out / "d.json")],
                      must_not_exist=[out / "d.json"]))
            add(Probe("deep", f"import-gaze {label}", ["import-gaze", "--format", "gazesearch", str(f), "-o", str(out / "dg")]))
        add(Probe("deep", "import-gaze deep X", ["import-gaze", "--format", "gazesearch", str(deep_gaze), "-o", str(out / "dg")]))

    if want("oversize"):
        big = tmp / "big.json"
        with open(big, "wb") as fh:
            fh.truncate(65 * 2**20 + 7)  # sparse: refused from its size, never read
        for name, argv in (
            ("validate 65 MiB", ["validate", str(big)]),
            ("compare 65 MiB", ["compare", str(big), str(good)]),
            ("export 65 MiB", ["export", str(big), "--image", str(dcm), "--json", str(out / "b.json")]),
            ("import-gaze 65 MiB", ["import-gaze", "--format", "gazesearch", str(big), "-o", str(out / "bg")]),
        ):
            add(Probe("oversize", name, argv, max_seconds=10, timeout_s=60))

    if want("huge"):
        def long_text(doc: dict) -> None:
            doc["findings"][0]["text"] = "opacity " * 6_250_000  # 50 MB: under the 64 MiB file limit

        def many(doc: dict) -> None:
            f0, s0 = doc["findings"][0], doc["sentences"][0]
            doc["sentences"] = [dict(s0, id=f"s-{i}") for i in range(10_000)]
            doc["findings"] = [dict(f0, id=f"f-{i}", sentence_id=f"s-{i}") for i in range(10_000)]

        huge = _make_reading(tmp / "huge.json", edit=long_text)
        lots = _make_reading(tmp / "many.json", edit=many)
        for label, f in (("50 MB finding text", huge), ("10,000 findings", lots)):
            add(Probe("huge", f"validate {label}", ["validate", str(f)], max_seconds=30, timeout_s=120))
            for kind, ext in (("--json", "json"), ("--sr", "dcm"), ("--pdf", "pdf")):
                dest = out / f"huge.{ext}"
                add(Probe("huge", f"export {kind} {label}", ["export", str(f), "--image", str(dcm), kind, str(dest)],
                          max_seconds=30, timeout_s=120, must_not_exist=[dest], watch=[out]))

    if want("arguments"):
        for name, argv in (
            ("compare --grid 100000x100000", ["compare", "--grid", "100000x100000", str(good), str(good)]),
            ("compare --grid 10^30", ["compare", "--grid", "1" + "0" * 30, str(good), str(good)]),
            ("compare --grid 0x5", ["compare", "--grid", "0x5", str(good), str(good)]),
            ("compare --limit -1", ["compare", "--study", str(gaze), "--limit", "-1"]),
            ("compare --limit 0", ["compare", "--study", str(gaze), "--limit", "0"]),
            ("import-gaze --image-size 10^9", ["import-gaze", "--format", "gazesearch", str(gaze), "-o", str(out / "a"),
                                               "--image-size", "1000000000x1000000000"]),
            ("render --window nan", ["render", str(png), "-o", str(out / "w.png"), "--window", "nan", "1"]),
            ("render --window 1 0", ["render", str(png), "-o", str(out / "w.png"), "--window", "1", "0"]),
            ("validate 100 kB argument", ["validate", "--all", "x" * 100_000]),
            ("compare --grid 100 kB", ["compare", "--grid", "9" * 100_000, str(good), str(good)]),
        ):
            add(Probe("arguments", name, argv, max_seconds=20))
        if model is not None:
            for name, extra in (("--max-new-tokens -5", ["--max-new-tokens", "-5"]), ("--temperature nan", ["--sample", "--temperature", "nan"]),
                                ("--max-new-tokens 10^12", ["--max-new-tokens", "1000000000000"])):
                add(Probe("arguments", f"infer {name}", ["infer", str(png), "--model", str(model), "--device", "cpu", "-o",
                          str(out / "ia"), *extra], max_seconds=60, timeout_s=120, max_err_lines=12))

    if want("pipe"):
        add(Probe("pipe", "compare | head -1", ["compare", str(good), str(good)], expect_rc=(0, 141), head_one_line=True,
                  max_err_lines=0))
        add(Probe("pipe", "compare --json | head -1", ["compare", "--json", str(good), str(good)], expect_rc=(0, 141),
                  head_one_line=True, max_err_lines=0))
        add(Probe("pipe", "validate x3000 | head -1", ["validate", *[str(good)] * 3000], expect_rc=(0, 141),
                  head_one_line=True, max_err_lines=0))
        add(Probe("pipe", "compare --help | head -1", ["compare", "--help"], expect_rc=(0, 141), head_one_line=True,
                  max_err_lines=0))

    if want("outputs"):
        film = tmp / "film.dcm"
        shutil.copy(dcm, film)
        reading = _make_reading(tmp / "reading.json", film=film)
        link = tmp / "link_to_film.dcm"
        with contextlib.suppress(FileExistsError):
            link.symlink_to(film)
        hard = tmp / "hard_reading.json"
        with contextlib.suppress(FileExistsError):
            os.link(reading, hard)
        fifo_out = tmp / "fifo_out.pdf"
        if not fifo_out.exists():
            os.mkfifo(fifo_out)
        guard = [film, reading]
        base = ["export", str(reading), "--image", str(film)]
        for name, argv in (
            ("--sr onto the film", [*base, "--sr", str(film)]),
            ("--pdf onto the film", [*base, "--pdf", str(film)]),
            ("--json onto the reading", [*base, "--json", str(reading)]),
            ("--sr onto a symlink to the film", [*base, "--sr", str(link)]),
            ("--json onto a hard link of the reading", [*base, "--json", str(hard)]),
            ("--pdf /dev/full", [*base, "--pdf", "/dev/full"]),
            ("--sr /dev/null", [*base, "--sr", "/dev/null"]),
            ("--pdf onto a FIFO", [*base, "--pdf", str(fifo_out)]),
            ("--json onto a folder", [*base, "--json", str(folder)]),
            ("--sr and --pdf the same file", [*base, "--sr", str(out / "same"), "--pdf", str(out / "same")]),
            ("render onto its input", ["render", str(film), "-o", str(film)]),
            ("render onto /dev/full", ["render", str(film), "-o", "/dev/full"]),
        ):
            add(Probe("outputs", name, argv, guard=[*guard, hard], watch=[tmp, out], timeout_s=30))

    if want("full-disk"):
        mnt = tmp / "full"  # mounted by main() around the run
        for name, argv in (
            ("export --pdf", ["export", str(good), "--image", str(dcm), "--pdf", str(mnt / "old.pdf")]),
            ("export --json", ["export", str(good), "--image", str(dcm), "--json", str(mnt / "old.json")]),
            ("export --sr --json", ["export", str(good), "--image", str(dcm), "--sr", str(mnt / "n.dcm"), "--json",
                                    str(mnt / "old.json")]),
            ("render", ["render", str(png), "-o", str(mnt / "r.png")]),
            ("import-gaze", ["import-gaze", "--format", "gazesearch", str(gaze), "-o", str(mnt / "g"), "--no-key-frames"]),
        ):
            add(Probe("full-disk", name, argv, guard=[mnt / "old.pdf", mnt / "old.json"], watch=[mnt, mnt / "g"],
                      must_not_exist=[mnt / "n.dcm", mnt / "r.png"], timeout_s=120))
        if model is not None:
            add(Probe("full-disk", "infer", ["infer", str(png), "--model", str(model), "--device", "cpu", "-o", str(mnt),
                      "--no-cache"], watch=[mnt], timeout_s=120, max_err_lines=12))

    if want("interrupt"):
        for sig, sname in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
            for delay in (0.3, 0.5, 0.7, 0.9, 1.1, 1.3):
                dest = out / f"int_{sname}_{delay}"
                dest.mkdir(exist_ok=True)
                (dest / "r.pdf").write_bytes(b"%PDF-old")
                add(Probe("interrupt", f"{sname} after {delay} s", ["export", str(good), "--image", str(dcm), "--pdf",
                          str(dest / "r.pdf"), "--sr", str(dest / "r.dcm"), "--json", str(dest / "r.json")],
                          expect_rc=(0, 130, 143, -int(sig)), signal_after_s=delay, send=sig, guard=[], watch=[dest], timeout_s=60))

    if want("commands"):
        for word in ("frobnicate", "rendr", "exprot", "--bogus-option"):
            add(Probe("commands", f"unknown {word}", [word], max_err_lines=1, timeout_s=20))

    if want("warnings"):
        import pydicom
        from pydicom.dataelem import RawDataElement
        from pydicom.tag import Tag

        noisy = tmp / "noisy.dcm"
        ds = pydicom.dcmread(dcm)
        for tag, vr, raw in ((0x00181164, "DS", b"\x00\xff\x01junk\\" * 400_000),  # 3.6 MB of raw bytes
                             (0x00280030, "DS", b"nan\x01\x02\\" * 100_000),
                             (0x00080070, "LO", b"\xff\xfe\x00" * 300_000)):
            raw += b" " * (len(raw) % 2)
            ds[tag] = RawDataElement(Tag(tag), vr, len(raw), raw, 0, True, True)
        ds.save_as(noisy)
        add(Probe("warnings", "render noisy DICOM", ["render", str(noisy), "-o", str(out / "n.png")], expect_rc=(0, 2),
                  max_err_lines=6))
        add(Probe("warnings", "export noisy DICOM", ["export", str(good), "--image", str(noisy), "--sr", str(out / "n.dcm")],
                  expect_rc=(0, 2), max_err_lines=6))

    if want("sop-class"):
        import warnings

        import pydicom

        warnings.filterwarnings("ignore", module="pydicom")

        for label, uid in (("SR class", "1.2.840.10008.5.1.4.1.1.88.33"), ("garbage", "garbage\x00\xff"), ("empty", ""),
                           ("CT class", "1.2.840.10008.5.1.4.1.1.2")):
            flipped = tmp / f"flip_{label.replace(' ', '_')}.dcm"
            ds = pydicom.dcmread(dcm)
            ds.SOPClassUID = uid
            ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.UID(uid or "1.2")
            with contextlib.suppress(Exception):
                ds.save_as(flipped)
            reading = _make_reading(tmp / f"flip_{label.replace(' ', '_')}.json", film=dcm)
            for kind, ext in (("--sr", "dcm"), ("--pdf", "pdf")):
                add(Probe("sop-class", f"export {kind} film with {label}", ["export", str(reading), "--image", str(flipped),
                          kind, str(out / f"flip.{ext}")], expect_rc=(0, 2), max_err_lines=4))

    if want("templates") and model is not None:
        for label, template in (
            ("nested loops", "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}"),
            ("10 GB string", '{{ "x" * 10**10 }}'),
            ("range 10^9", "{% for i in range(10**9) %}x{% endfor %}"),
            ("huge prompt", '{{ "x" * 10**8 }}'),
        ):
            hostile = tmp / f"model_{label.replace(' ', '_')}"
            if not hostile.exists():
                shutil.copytree(model, hostile)
                (hostile / "chat_template.jinja").write_text(template)
            add(Probe("templates", label, ["infer", str(png), "--model", str(hostile), "--device", "cpu", "--no-cache",
                      "-o", str(out / "t")], timeout_s=180, max_err_lines=12, max_seconds=120))
    return probes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="append", help="run only these families (repeatable)")
    parser.add_argument("--model", type=Path, help="a tiny checkpoint folder (default: build an untrained one)")
    parser.add_argument("--no-model", action="store_true", help="skip the probes that need a checkpoint")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every probe's outcome")
    parser.add_argument("--memory-limit", type=float, default=8.0, metavar="GIB",
                        help="address space of each probe (default 8 GiB; running out shows as a traceback)")
    args = parser.parse_args(argv)
    global MEMORY_LIMIT
    MEMORY_LIMIT = int(args.memory_limit * 2**30)
    families = set(args.family) if args.family else None
    with tempfile.TemporaryDirectory(prefix="gazex-reliability-") as name:
        tmp = Path(name)
        model = args.model
        needs_model = families is None or bool(families & {"templates", "special", "arguments", "full-disk", "names"})
        if model is None and not args.no_model and needs_model:
            model = tmp / "tiny"
            subprocess.run([sys.executable, "-m", "gazex_viewer", "make-test-model", str(model), "--untrained"],
                           cwd=ROOT, check=True, capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        with full_disk(tmp) as mnt:
            probes = build_probes(tmp, families, model)
            if mnt is None:
                probes = [p for p in probes if p.family != "full-disk"]
                print("full-disk: skipped (cannot mount a small tmpfs here; needs root)")
            results: list[Result] = []
            for probe in probes:
                res = run_probe(probe)
                results.append(res)
                if args.verbose or res.outcome != "clean":
                    print(f"  [{res.outcome:9}] {probe.family}: {probe.name} ({res.seconds:.1f} s) {res.detail[:300]}")
        (tmp / "locked").chmod(0o755) if (tmp / "locked").exists() else None
    by_family: dict[str, Counter[str]] = {}
    for r in results:
        by_family.setdefault(r.probe.family, Counter())[r.outcome] += 1
    total: Counter[str] = Counter()
    print(f"\n{'family':<12}{'tried':>7}" + "".join(f"{o:>11}" for o in OUTCOMES))
    for fam, counts in by_family.items():
        total.update(counts)
        print(f"{fam:<12}{sum(counts.values()):>7}" + "".join(f"{counts[o]:>11}" for o in OUTCOMES))
    print(f"{'all':<12}{sum(total.values()):>7}" + "".join(f"{total[o]:>11}" for o in OUTCOMES))
    slowest = max(results, key=lambda r: r.seconds, default=None)
    if slowest is not None:
        print(f"slowest probe: {slowest.probe.family}: {slowest.probe.name}, {slowest.seconds:.1f} s")
    bad = total["traceback"] + total["hang"] + total["lost"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
