"""PACS against a local Orthanc (as the tests start it: private network namespace, needs root).

Prints, each as a ratio to reading the same file from disk in the same run:
- search latency (QIDO-RS, all CR/DX studies) vs opening RG1_UNCR.dcm from disk;
- "open" to the first painted film (the 8-bit render) for RG1: first retrieve (empty cache) and cached,
  vs load + render from disk;
- with --model DIR: batch throughput (radiographs per minute, DRAFT SR stored) vs ``infer`` on the same
  four files from disk (readings written), the tiny model on the CPU.

Usage: python benchmarks/bench_pacs.py [--model DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import best_of  # noqa: E402  (benchmarks/ is put on sys.path just above)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None, help="tiny checkpoint (make-test-model) for the batch")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import pydicom

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.pacs.cache import RetrieveCache
    from gazex_viewer.core.pacs.dicomweb import DicomWebPacs, DicomWebSource
    from gazex_viewer.core.pacs.profile import ServerProfile
    from tests.servers.orthanc_server import PASSWORD, USER, start_orthanc

    data = Path(os.environ.get("GAZEX_SHARED_DATA", ROOT.parent / "shared" / "data")) / "dicom"
    files = sorted(data.glob("*.dcm"))
    rg1 = data / "RG1_UNCR.dcm"
    if not rg1.exists():
        print(f"no shared data in {data}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-pacs-"))
    (work / "orthanc").mkdir()
    server, ns = start_orthanc(work / "orthanc")
    os.environ["GAZEX_BENCH_PW"] = PASSWORD
    try:
        profile = ServerProfile(name="bench", url=server.url, auth="basic", username=USER, secret_env="GAZEX_BENCH_PW")
        pacs = DicomWebPacs(profile, RetrieveCache(work / "cache"))
        pacs.store([pydicom.dcmread(f) for f in files])
        uid = str(pydicom.dcmread(rg1, stop_before_pixels=True).SOPInstanceUID)
        study = str(pydicom.dcmread(rg1, stop_before_pixels=True).StudyInstanceUID)
        hit = next(h for h in pacs.search_instances(study) if h.sop_instance_uid == uid)

        disk_open = best_of(lambda: load_radiograph(rg1), args.repeat)
        disk_paint = best_of(lambda: load_radiograph(rg1).render(), args.repeat)
        search = best_of(lambda: pacs.search_studies(), args.repeat * 4)
        n = [0]

        def first_open() -> None:
            n[0] += 1
            fresh = DicomWebPacs(profile, RetrieveCache(work / f"cold-{n[0]}"))
            DicomWebSource(fresh, hit).open().render()

        cold = best_of(first_open, args.repeat)
        DicomWebSource(pacs, hit).open()
        warm = best_of(lambda: DicomWebSource(pacs, hit).open().render(), args.repeat)
        print(f"reference: RG1_UNCR.dcm from disk: open {1000 * disk_open:.1f} ms, open + render {1000 * disk_paint:.1f} ms")
        print(f"search (QIDO-RS, CR+DX studies): {1000 * search:.1f} ms = {search / disk_open:.2f} x disk open")
        print(f"open to painted film, first retrieve: {1000 * cold:.1f} ms = {cold / disk_paint:.2f} x disk")
        print(f"open to painted film, cached: {1000 * warm:.1f} ms = {warm / disk_paint:.2f} x disk")

        if args.model is not None:
            from gazex_viewer.cli import main as cli

            common = ["--model", str(args.model), "--device", "cpu", "--deterministic", "--no-cache"]
            t0 = time.perf_counter()
            cli(["infer", *map(str, files), "-o", str(work / "readings"), *common])
            t_disk = time.perf_counter() - t0
            t0 = time.perf_counter()
            cli(["batch", "--dicomweb", server.url, "--user", USER, "--secret-env", "GAZEX_BENCH_PW",
                 "--cache-dir", str(work / "batch-cache"), "--outbox", str(work / "outbox"), *common])
            t_batch = time.perf_counter() - t0
            k = len(files)
            print(f"infer from disk: {k} radiographs in {t_disk:.1f} s ({60 * k / t_disk:.1f} per minute)")
            print(f"batch from the PACS (retrieve, model, DRAFT SR stored): {k} in {t_batch:.1f} s "
                  f"({60 * k / t_batch:.1f} per minute) = {t_batch / t_disk:.2f} x the time of infer from disk")
    finally:
        server.stop()
        ns.leave()
    return 0


if __name__ == "__main__":
    sys.exit(main())
