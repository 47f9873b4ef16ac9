"""Rule-based CheXpert labels for report sentences (no model download).

Each sentence gets zero or more of the 14 CheXpert observations
(:data:`~gazex_viewer.core.reading.document.CHEXPERT_OBSERVATIONS`), each ``positive``, ``negative`` or
``uncertain``, in the spirit of the CheXpert labeller (mention phrases, then pre/post negation and
uncertainty cues within the clause):

- "no pneumothorax" -> Pneumothorax negative (a pertinent negative, not a finding to hunt for);
- "cannot exclude effusion" -> Pleural Effusion uncertain;
- "enlarged cardiac silhouette" -> Cardiomegaly positive, "heart size is normal" -> negative,
  "borderline heart size" -> uncertain;
- "lines and tubes in satisfactory position" -> Support Devices positive.

Conventions (also those of the hand-labelled fixture ``tests/fixtures/labelled_sentences.csv``):
"lungs are clear" is a Lung Opacity negative; "cardiomediastinal silhouette normal" is an Enlarged
Cardiomediastinum negative; a global normal statement ("no acute cardiopulmonary disease",
"normal chest") is No Finding positive; nodules and masses are Lung Lesion (a calcified granuloma,
tuberculosis, orthopaedic hardware, clips and sternotomy wires get no label); vascular congestion
and heart failure are Edema; infection is Pneumonia; an observation named several times takes the
strongest status (positive > uncertain > negative).

Hedges are uncertain, as in the CheXpert labeller (which treats "unlikely" as uncertain, not as a
negation): "? pneumonia" (a question mark before the term), "possible pneumonia", "pneumonia is
unlikely", "effusion is less likely", "pneumonia is not likely", "pneumothorax is doubtful",
"pneumonia cannot be excluded". A hedge right after the term wins over a negation earlier in the
clause ("no effusion, pneumonia is unlikely": Pleural Effusion negative, Pneumonia uncertain).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gazex_viewer.core.reading.document import CHEXPERT_OBSERVATIONS, Label, LabelStatus

__all__ = ["label_sentence", "label_report", "LabelAgreement", "label_agreement", "parse_label_string"]

_F = re.IGNORECASE

# -- mention phrases ---------------------------------------------------------------------------------

_MENTIONS: dict[str, list[str]] = {
    "Lung Opacity": [
        r"(?<!nodular )(?<!calcified )(?<!soft tissue )(?<!bone )(?<!bony )opaci(?:ty|ties|fication|fied)",
        r"air[\s-]?space (?:disease|process|opaci\w*)",
        r"infiltrat\w*",
        r"(?<!nodular )(?<!calcified )(?<!soft tissue )(?<!bone )(?<!bony )(?<!breast )densit(?:y|ies)",
        r"interstitial (?:markings?|prominence|lung disease|disease|opaci\w*|pattern|changes?|thickening)",
        r"reticul(?:ar|onodular)\w*",
        r"haz(?:y|iness)",
    ],
    "Lung Lesion": [
        r"nodul(?:e|es|ar opaci\w*|ar densit\w*)",
        r"(?<!soft tissue )mass(?:es)?\b",
        r"(?<!bony )(?<!bone )lesions?",
        r"tumou?rs?",
        r"neoplas\w*",
        r"carcinoma\w*",
        r"malignan\w*",
        r"metasta\w*",
    ],
    "Edema": [
        r"o?edema",
        r"(?:vascular|venous|pulmonary|interstitial) congestion",
        r"congestive",
        r"heart failure",
        r"\bchf\b",
        r"vascular prominence",
        r"prominen\w* (?:of the )?(?:pulmonary |central )?vascula\w*",
        r"indistinct (?:pulmonary )?vascula\w*",
        r"cephalization",
    ],
    "Consolidation": [r"consolidat\w*"],
    "Pneumonia": [r"pneumonia\w*", r"pneumonitis", r"infection", r"infectious"],
    "Atelectasis": [r"atelecta\w*", r"collapse[ds]?"],
    "Pneumothorax": [r"pneumothora(?:x|ces)", r"\bptx\b"],
    "Pleural Effusion": [
        r"(?<!pericardial )effusions?",
        r"pleural fluid",
        r"fluid (?:in|within|along|associated with) (?:\S+ ){0,6}?fissure",
        r"costophrenic (?:\S+ ){0,3}?blunt\w*",
        r"costophrenic (?:\S+ ){0,3}?(?:is|are) blunt\w*",
        r"blunt\w* (?:of )?(?:the )?(?:\S+ ){0,2}?costophrenic",
    ],
    "Pleural Other": [
        r"pleural (?:thickening|reaction|scarring|plaques?|calcifications?)",
        r"pleural[\s-]parenchymal (?:scarring|thickening)",
        r"fibrothorax",
    ],
    "Fracture": [r"fractur\w*"],
    "Support Devices": [
        r"(?:lines?|tubes?) and (?:lines?|tubes?)",
        r"support (?:apparatus|devices?)",
        r"apparatus",
        r"\btubes?\b",
        r"tubing",
        r"catheters?",
        r"\bpicc\b",
        r"(?:central|venous|arterial|ij|jugular|subclavian|swan[\s-]ganz|midline) lines?",
        r"pacemakers?",
        r"\bpacer\b",
        r"\bicd\b",
        r"defibrillators?",
        r"(?:pacer|pacemaker|pacing|icd|cardiac|transvenous) (?:\S+ )?leads?",
        r"\bgenerator\b",
        r"(?:valve prosthes[ie]s|prosthetic (?:\S+ )?valves?|valve replacement)",
        r"\bstents?\b",
        r"\bdrains?\b",
        r"\bport[\s-]?a[\s-]?cath\b|\bmediport\b",
        r"\btip\b (?:\S+ ){0,4}?(?:in|at|within|overl\w+|project\w*|terminat\w*) (?:\S+ ){0,4}?"
        r"(?:svc|atrium|ventricle|stomach|trachea|cavoatrial|jugular|brachiocephalic|vena cava)",
    ],
}
_MENTION_RES: list[tuple[str, re.Pattern[str]]] = [
    (obs, re.compile(rf"\b(?:{p})", _F)) for obs, pats in _MENTIONS.items() for p in pats
]

# -- statements of size (heart, mediastinum) -----------------------------------------------------------

_HEART = re.compile(r"\b(?:heart(?!\s+failure)(?:\s+size)?|cardiac (?:silhouette|shadow|size|contour)s?)\b", _F)
_MEDIASTINUM = re.compile(
    r"\b(?:cardio[\s-]?mediastinal (?:silhouette|contours?|shadow|size|width)|cardiomediastinum"
    r"|mediastin(?:um|al) (?:contours?|silhouette|width|size)|mediastinum)\b",
    _F,
)
_SIZE_UNCERTAIN = r"borderline|upper (?:limits? (?:of )?)?normal|top(?:-|\s)?(?:of\s+)?normal|high[\s-]normal|mildly prominent"
_SIZE_POSITIVE = r"enlarge\w*|large|cardiomegaly|widen\w*|wide"
_SIZE_NEGATIVE = r"normal|unremarkable|within normal limits|not enlarged|stable and normal"
_SIZE_STATE = re.compile(rf"\b(?:(?P<u>{_SIZE_UNCERTAIN})|(?P<p>{_SIZE_POSITIVE})|(?P<n>{_SIZE_NEGATIVE}))\b", _F)
_SIZE_BEFORE = re.compile(rf"\b(?:(?P<u>{_SIZE_UNCERTAIN})|(?P<p>enlarged|widened|large)|(?P<n>normal))\s+(?:\S+\s+)?$", _F)
_HEART_ENLARGEMENT = re.compile(r"\b(?:cardiac|heart) enlargement\b|\bcardiomegaly\b", _F)
_MEDIASTINAL_WIDENING = re.compile(r"\bmediastinal (?:widening|enlargement)\b", _F)

# -- global statements ---------------------------------------------------------------------------------

_NO_FINDING = re.compile(
    r"\b(?:(?:no|without|negative for)\s+(?:evidence (?:of|for)\s+)?(?:definite\s+|significant\s+)?(?:acute|active)\s+"
    r"(?:(?:cardiopulmonary|intrathoracic|chest|pulmonary|radiographic|thoracic|cardiothoracic|lung|"
    r"cardiac|or|and|chronic)\s+){0,3}(?:disease|process|abnormalit(?:y|ies)|findings?|pathology)"
    r"|normal (?:chest|study|examination|exam|radiograph)|no (?:radiographic )?abnormalit(?:y|ies)"
    r"|no (?:acute )?cardiopulmonary (?:disease|process|abnormalit(?:y|ies)))\b",
    _F,
)
_LUNGS_CLEAR = re.compile(
    r"\b(?:lungs?|chest|lung fields?)\b(?:\s+\S+){0,3}?\s+(?:clear|well[\s-]aerated and clear)\b(?!\s+of)"
    r"|\bclear\s+lungs?\b",
    _F,
)

# -- cues ----------------------------------------------------------------------------------------------

_PSEUDO_NEGATION = re.compile(
    r"\bno (?:significant |interval |appreciable )?(?:change|increase|decrease|comparison)\b|\bnot only\b"
    r"|\bnot (?:be )?(?:entirely |completely )?(?:excluded|ruled out)\b|\bcannot (?:be )?(?:excluded|exclude|ruled? out)\b"
    r"|\bcan not (?:be )?(?:excluded|exclude|ruled? out)\b",
    _F,
)
_PRE_NEGATION = re.compile(
    r"\b(?:no|not|without|negative for|free of|clear of|absence of|absent|resolution of|resolved|removal of|"
    r"removed|rather than|nor|neither|no longer)\b",
    _F,
)
_POST_NEGATION = re.compile(
    r"^(?:\s*\S+){0,6}?\s+(?:(?:is|are|has been|have been|was|were)\s+)?(?:not\s+(?:seen|identified|present|visualized|"
    r"appreciated|demonstrated|evident|noted)|resolved|removed|absent|no longer (?:seen|present|visualized))\b",
    _F,
)
_NEGATED_UNCERTAINTY = re.compile(
    r"\b(?:cannot|can not|could not|can't)\s+(?:be\s+)?(?:exclude[ds]?|ruled?\s+out)\b"
    r"|\bnot\s+(?:be\s+)?(?:entirely\s+|completely\s+|definitely\s+)?(?:excluded|ruled\s+out)\b|\brule\s+out\b|\br/o\b",
    _F,
)
_PRE_UNCERTAINTY = re.compile(
    r"\b(?:may|might|could|possibl[ey]|probabl[ey]|likely|suggest\w*|concerning for|worrisome for|suspicious for|"
    r"suspect\w*|question\w*|versus|vs|differential|consider\w*|equivocal|borderline|to represent|presumed|"
    r"atypical for|indeterminate|unlikely|doubtful)\b|\?",
    _F,
)
_POST_UNCERTAINTY = re.compile(
    r"^(?:\s*\S+){0,4}?\s*(?:versus|vs\b|(?:is|are)\s+(?:possible|suspected|questioned)|questioned|not excluded|"
    r"cannot be excluded)|^\s*(?:or|and/or|/)\s*(?:\S+\s+){0,2}?(?:atelectasis|scarring|scar|infiltrate|pneumonia|effusion|"
    r"edema|mass)|^\s*\?",
    _F,
)
# a hedge right after the term ("pneumonia is unlikely", "effusion is less likely", "pneumothorax is doubtful"):
# uncertain, as in CheXpert; it wins over a negation earlier in the clause ("no effusion, pneumonia is unlikely")
_POST_HEDGE = re.compile(
    r"^\s*(?:[^\s,;.]+\s+){0,2}?(?:(?:is|are|was|were|seems?|appears?)\s+(?:also\s+|much\s+|felt\s+|considered\s+)?)?"
    r"(?:unlikely|less\s+likely|not\s+likely|doubtful|(?:can\s*not|cannot|could\s+not)\s+be\s+(?:excluded|ruled\s+out))\b",
    _F,
)
# the end of a clause for negation (a new clause may state something else)
_NEG_BREAK = re.compile(r";|:|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\bexcept\b|\bwith\b|\bwhich\b|\bwhereas\b|\bwhile\b|\bother than\b|\baside from\b", _F)
_UNC_BREAK = re.compile(r";|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\bwhereas\b|\bwhile\b", _F)

_RANK: dict[str, int] = {"negative": 0, "uncertain": 1, "positive": 2}


def _clause_before(text: str, start: int, breaks: re.Pattern[str]) -> str:
    """The text from the last clause break before ``start`` up to ``start``."""
    head = text[:start]
    cut = 0
    for m in breaks.finditer(head):
        cut = m.end()
    return head[cut:]


def _clause_after(text: str, end: int, breaks: re.Pattern[str]) -> str:
    tail = text[end:]
    m = breaks.search(tail)
    return tail if m is None else tail[: m.start()]


def _status(text: str, start: int, end: int, *, base: LabelStatus = "positive") -> LabelStatus:
    """Certainty of the mention ``text[start:end]`` from the cues around it."""
    pre_neg = _clause_before(text, start, _NEG_BREAK)
    pre_unc = _clause_before(text, start, _UNC_BREAK)
    post_neg = _clause_after(text, end, _NEG_BREAK)
    post_unc = _clause_after(text, end, _UNC_BREAK)
    inside = text[start:end]
    if _NEGATED_UNCERTAINTY.search(pre_unc) or _NEGATED_UNCERTAINTY.search(post_unc[:60]) or _POST_HEDGE.search(post_unc):
        return "uncertain"
    if (
        _PRE_NEGATION.search(_PSEUDO_NEGATION.sub(" ", pre_neg))
        or _POST_NEGATION.search(post_neg[:60])
        or re.search(r"\bnot\b", inside, _F)
    ):
        return "negative"
    if base == "uncertain" or _PRE_UNCERTAINTY.search(pre_unc) or _POST_UNCERTAINTY.search(post_unc[:60]):
        return "uncertain"
    return base


def _size_statements(
    text: str, subject: re.Pattern[str], observation: str, out: list[tuple[str, LabelStatus]]
) -> None:
    """Labels from statements of size: "heart size is normal", "enlarged cardiac silhouette"."""
    for m in subject.finditer(text):
        before = _SIZE_BEFORE.search(text[max(0, m.start() - 30) : m.start()])
        state: re.Match[str] | None = None
        start, end = m.start(), m.end()
        if before is not None:
            state, start = before, m.start() - (min(30, m.start()) - before.start())
        else:
            window = _clause_after(text, m.end(), re.compile(r";|\bbut\b|\bhowever\b|\bwhile\b", _F))[:80]
            # stop at the next subject ("heart size normal, mediastinum widened")
            nxt = (_HEART if subject is _MEDIASTINUM else _MEDIASTINUM).search(window)
            if nxt is not None and not re.fullmatch(r"\s*(?:,|and|,\s*and|&)\s*", window[: nxt.start()], _F):
                window = window[: nxt.start()]
            state = _SIZE_STATE.search(window)
            if state is not None:
                end = m.end() + state.end()
        if state is None:
            continue
        base: LabelStatus
        if state.group("u"):
            base = "uncertain"
        elif state.group("p"):
            base = "positive"
        else:
            base = "negative"
        if base == "negative":
            out.append((observation, "negative"))
            continue
        out.append((observation, _status(text, start, end, base=base)))


def label_sentence(text: str) -> list[Label]:
    """CheXpert observations named by one report sentence, with their certainty.

    Parameters
    ----------
    text
        One sentence (GazeX lower-case or prose).

    Returns
    -------
    list of Label
        At most one label per observation, in CheXpert order; empty when the sentence names none.

    Examples
    --------
    >>> [(x.observation, x.status) for x in label_sentence("no pneumothorax .")]
    [('Pneumothorax', 'negative')]
    """
    if not text or not text.strip():
        return []
    t = " ".join(text.split())
    found: list[tuple[str, LabelStatus]] = []
    for _ in _NO_FINDING.finditer(t):
        found.append(("No Finding", "positive"))
    for m in _LUNGS_CLEAR.finditer(t):
        found.append(("Lung Opacity", "uncertain" if _PRE_UNCERTAINTY.search(_clause_before(t, m.start(), _UNC_BREAK)) else "negative"))
    for obs, rx in _MENTION_RES:
        for m in rx.finditer(t):
            found.append((obs, _status(t, m.start(), m.end())))
    _size_statements(t, _HEART, "Cardiomegaly", found)
    _size_statements(t, _MEDIASTINUM, "Enlarged Cardiomediastinum", found)
    for m in _HEART_ENLARGEMENT.finditer(t):
        found.append(("Cardiomegaly", _status(t, m.start(), m.end())))
    for m in _MEDIASTINAL_WIDENING.finditer(t):
        found.append(("Enlarged Cardiomediastinum", _status(t, m.start(), m.end())))
    best: dict[str, LabelStatus] = {}
    for obs, status in found:
        if obs not in best or _RANK[status] > _RANK[best[obs]]:
            best[obs] = status
    return [Label(obs, best[obs]) for obs in CHEXPERT_OBSERVATIONS if obs in best]


def label_report(sentences: Iterable[str]) -> list[list[Label]]:
    """Labels for each sentence of a report, in order."""
    return [label_sentence(s) for s in sentences]


# -- agreement with hand labels ----------------------------------------------------------------------


def parse_label_string(value: str) -> dict[str, str]:
    """``"Cardiomegaly:positive;Edema:negative"`` -> ``{"Cardiomegaly": "positive", "Edema": "negative"}``.

    Raises
    ------
    ValueError
        An unknown observation or status.
    """
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (value or "").split(";"))):
        obs, _, status = part.rpartition(":")
        obs, status = obs.strip(), status.strip()
        if obs not in CHEXPERT_OBSERVATIONS:
            raise ValueError(f"unknown CheXpert observation {obs!r}")
        if status not in _RANK:
            raise ValueError(f"unknown status {status!r} for {obs}")
        out[obs] = status
    return out


@dataclass(frozen=True)
class LabelAgreement:
    """Agreement of automatic labels with reference labels over a set of sentences.

    ``mention_*`` count (sentence, observation) pairs regardless of status; ``exact_*`` require the
    same status as well. ``sentence_exact`` is the share of sentences whose whole label set matches.
    """

    sentences: int
    sentence_exact: float
    mention_precision: float
    mention_recall: float
    mention_f1: float
    exact_precision: float
    exact_recall: float
    exact_f1: float

    def summary(self) -> str:
        """One line for a log or a report."""
        return (
            f"{self.sentences} sentences: whole-sentence agreement {self.sentence_exact:.1%}; "
            f"mentions P/R/F1 {self.mention_precision:.3f}/{self.mention_recall:.3f}/{self.mention_f1:.3f}; "
            f"with status P/R/F1 {self.exact_precision:.3f}/{self.exact_recall:.3f}/{self.exact_f1:.3f}"
        )


def _prf(tp: int, n_pred: int, n_ref: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_ref if n_ref else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def label_agreement(predicted: Sequence[dict[str, str]], reference: Sequence[dict[str, str]]) -> LabelAgreement:
    """Agreement between predicted and reference label dicts (observation -> status), sentence by sentence."""
    if len(predicted) != len(reference):
        raise ValueError(f"{len(predicted)} predictions for {len(reference)} references")
    tp_m = tp_e = n_pred = n_ref = exact = 0
    for pred, ref in zip(predicted, reference):
        n_pred += len(pred)
        n_ref += len(ref)
        tp_m += len(pred.keys() & ref.keys())
        tp_e += sum(1 for k, v in pred.items() if ref.get(k) == v)
        exact += int(pred == ref)
    mp, mr, mf = _prf(tp_m, n_pred, n_ref)
    ep, er, ef = _prf(tp_e, n_pred, n_ref)
    n = len(reference)
    return LabelAgreement(n, exact / n if n else 1.0, mp, mr, mf, ep, er, ef)
