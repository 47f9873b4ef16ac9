"""How often real report sentences would be called "unreadable model output": the Open-i reports in ../shared/data.

    .venv/bin/python benchmarks/readability_openi.py

Splits every FINDINGS and IMPRESSION section of the Open-i (NLM, IU) reports into sentences and prints how many fall
below the readability threshold that flags model output as unreadable (goal: a handful, all odd de-identification
leftovers), with those sentences.
"""

from __future__ import annotations

import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from gazex_viewer.core.reading.gazex_prompts import UNREADABLE_BELOW, readability
    from gazex_viewer.core.reading.report_text import split_sentences

    tgz = Path(__file__).resolve().parents[2] / "shared" / "data" / "reports" / "NLMCXR_reports.tgz"
    if not tgz.is_file():
        print(f"skipped: {tgz} is absent")
        return 0
    sentences: list[str] = []
    n_reports = 0
    with tarfile.open(tgz) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            n_reports += 1
            root = ET.parse(fh).getroot()
            for a in root.iter("AbstractText"):
                if a.get("Label") in ("FINDINGS", "IMPRESSION") and a.text:
                    sentences += split_sentences(a.text)
    flagged = [s for s in sentences if readability(s) < UNREADABLE_BELOW]
    print(f"{n_reports} Open-i reports, {len(sentences)} sentences: {len(flagged)} flagged unreadable "
          f"({100 * len(flagged) / max(1, len(sentences)):.3f}%)")
    for s in flagged[:20]:
        print(f"  {readability(s):.2f}  {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
