"""Report text: split GazeX answers and ordinary prose reports into sentences.

Two styles meet here:

- GazeX / REFLACX dictation: lower-case sentences that end in ``" ."``, for example
  ``"support apparatus . no pneumothorax . enlarged cardiac silhouette ."``;
- prose reports (Open-i, MIMIC): ``"Heart size is normal. No pneumothorax. 1. Stable 2.5 cm nodule."``.

The splitter works on character spans (:func:`split_sentence_spans`), so nothing is lost: the text
between two sentences is only white space. It does not break decimals (``2.5 cm``), common
abbreviations (``Dr.``, ``e.g.``, ``a.m.``) or numbered lists (``1. ... 2. ...``: the number starts
its item; a number that merely ends a sentence, as in "right rib 4. The", is not), keeps a
hedging "?" with the term it qualifies ("opacity, ? pneumonia"), and it folds stray punctuation (``"clear. ."``, ``"clear.."``) into the sentence before.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences", "split_sentence_spans", "normalise_sentence"]

#: words that end in a period without ending a sentence (compared lower-case, without the final ".")
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        "dr", "drs", "mr", "mrs", "ms", "prof", "st", "vs", "v", "e.g", "i.e", "eg", "ie", "cf", "approx",
        "a.m", "p.m", "am.", "fig", "figs", "no", "nos", "vol", "resp", "incl", "ca", "al", "et al", "pt",
        "pts", "hx", "dx", "sx", "rx", "mt", "jr", "sr", "ant", "post", "lat", "bilat", "appt", "ref",
    }
)
#: abbreviations that may still end a sentence when a capitalised word follows ("... 2 p.m. No change")
_WEAK_ABBREVIATIONS: frozenset[str] = frozenset({"a.m", "p.m", "no", "nos", "ant", "post", "lat", "bilat"})

# A candidate end: a run of ., ? or ! (with optional closing quotes/brackets) followed by white space
# or the end of the text; or a period glued to a capitalised word ("normal.The lungs").
_END = re.compile(r"[.?!]+[\"')\]]*(?=\s|$)|(?<=[a-z]{2})\.(?=[A-Z][a-z])")
# A numbered-list marker at the start of an item: "1. ", "2) ", "(3) ".
_LIST_MARKER = re.compile(r"(?:\(?\d{1,2}[.)])(?=\s)")
# A number followed by "." or ")" and white space: a possible list marker ("2. ", "3) ", "(4) ").
_NUMBER_MARKER = re.compile(r"(?<![\w.])\(?(\d{1,2})[.)](?=\s)")
# A possible list item that starts in the middle of a sentence without a period before it:
# "disease 2. Changes" (but also "right rib 4. The", where "4." is not a list number).
_INLINE_BEFORE = re.compile(r"[A-Za-z,;:]\s+$")
_CAPITAL_AFTER = re.compile(r"\s+[A-Z]")
_SENTENCE_END_BEFORE = re.compile(r"(?:^|[.?!]\s)([^.?!]*)$")
# Paragraph breaks and a new line that starts a list item are boundaries too.
_LINE_BREAK = re.compile(r"\n\s*\n|\n(?=[ \t]*(?:\(?\d{1,2}[.)]|[-*\u2022])\s)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_ALNUM = re.compile(r"[0-9A-Za-z]")


def _is_abbreviation(text: str, dot: int, after: int) -> bool:
    """True when the period at ``dot`` closes an abbreviation rather than a sentence."""
    m = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if m is None:
        return False
    word = m.group(1).lower().rstrip(".")
    if word not in ABBREVIATIONS and not re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
        return False
    if word in _WEAK_ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
        nxt = re.match(r"\s*(\S+)", text[after:])
        if nxt is not None:
            token = nxt.group(1)
            # a following capitalised ordinary word starts a new sentence ("at 2 p.m. No change")
            if token[:1].isupper() and not token.isupper() and not token[:1].isdigit():
                return False
        elif word in _WEAK_ABBREVIATIONS:
            return False
    return True


def _inline_item_cuts(text: str) -> list[int]:
    """Positions where a numbered list item starts in the middle of a line.

    A number followed by a period is a list marker when it starts the text or a line, follows a
    sentence end or a colon, or, in the middle of a sentence, when the item before it was numbered
    ``N-1`` ("... disease 2. Changes"). An inline ``1.`` starts a list only after a short heading of at
    most three words ("Chest 1. No acute ..."). So "present on right rib 4. The small ..." and
    "ribs 5 and 6. No pneumothorax." stay ordinary sentence ends. Returns the start of the white space
    before each inline item (the cut).
    """
    cuts: list[int] = []
    last_item: int | None = None
    for m in _NUMBER_MARKER.finditer(text):
        number = int(m.group(1))
        before = text[: m.start()]
        stripped = before.rstrip()
        gap = before[len(stripped) :]
        if not stripped or "\n" in gap or stripped[-1] in ".?!":
            last_item = number  # start of text / line, or after a sentence end: an item
            continue
        if _INLINE_BEFORE.search(before) is None or _CAPITAL_AFTER.match(text, m.end()) is None:
            continue
        if stripped[-1] == ":":
            is_item = True
        elif number == 1:
            head = _SENTENCE_END_BEFORE.search(stripped)
            is_item = head is not None and len(head.group(1).split()) <= 3
        else:
            is_item = last_item is not None and number == last_item + 1
        if is_item:
            cuts.append(len(stripped))
            last_item = number
    return cuts


def _is_hedge_mark(text: str, m: re.Match[str]) -> bool:
    """True for a "?" that starts a hedged term ("opacity in the RLL, ? pneumonia") rather than ending a question.

    Such a "?" stands apart from the word before it (white space, "(", "," or the start of the text before
    it) and a word follows it on the same line.
    """
    if m.group() != "?":
        return False
    i = m.start()
    if i > 0 and not (text[i - 1].isspace() or text[i - 1] in "(,;:"):
        return False
    return re.match(r"[ \t]+[A-Za-z0-9]", text[m.end() :]) is not None


def _is_list_number(text: str, dot: int, sentence_start: int) -> bool:
    """True when the period at ``dot`` belongs to a list number that starts the current sentence."""
    head = text[sentence_start : dot + 1].strip()
    return bool(re.fullmatch(r"\(?\d{1,2}[.)]", head))


def split_sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``.

    Parameters
    ----------
    text
        A GazeX answer or a prose report.

    Returns
    -------
    list of (int, int)
        Spans in reading order, each stripped of surrounding white space and never empty;
        the text between consecutive spans (and before the first, after the last) is white space.
    """
    if not text:
        return []
    cuts: set[int] = {m.start() for m in _LINE_BREAK.finditer(text)}
    cuts.update(_inline_item_cuts(text))
    raw: list[tuple[int, int]] = []
    start = 0
    cut_list = sorted(cuts)
    ci = 0
    for m in _END.finditer(text):
        while ci < len(cut_list) and cut_list[ci] <= m.start():
            if cut_list[ci] > start:
                raw.append((start, cut_list[ci]))
                start = cut_list[ci]
            ci += 1
        dot = m.start()
        end = m.end()
        if _is_hedge_mark(text, m):
            continue
        if text[dot] == "." and m.group().startswith(".") and len(m.group().rstrip("\"')]")) == 1:
            if _is_abbreviation(text, dot, end) or _is_list_number(text, dot, start):
                continue
        raw.append((start, end))
        start = end
    for c in cut_list[ci:]:
        if c > start:
            raw.append((start, c))
            start = c
    raw.append((start, len(text)))

    spans: list[tuple[int, int]] = []
    pending_start: int | None = None  # punctuation-only text before the first real sentence
    for s, e in raw:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s >= e:
            continue
        if _ALNUM.search(text, s, e) is None:
            # stray punctuation (". ." or "..") belongs to the sentence before it
            if spans:
                spans[-1] = (spans[-1][0], e)
            elif pending_start is None:
                pending_start = s
            continue
        if pending_start is not None:
            s, pending_start = pending_start, None
        spans.append((s, e))
    if pending_start is not None:  # nothing but punctuation in the whole text
        spans.append((pending_start, len(text.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of a GazeX answer or a prose report, in order, as written.

    Parameters
    ----------
    text
        The report text.

    Returns
    -------
    list of str
        Non-empty sentences; ``" ".join(...)`` gives the text back up to white space.

    Examples
    --------
    >>> split_sentences("support apparatus . no pneumothorax .")
    ['support apparatus .', 'no pneumothorax .']
    >>> split_sentences("1. Stable 2.5 cm nodule. 2. No effusion.")
    ['1. Stable 2.5 cm nodule.', '2. No effusion.']
    """
    return [text[s:e] for s, e in split_sentence_spans(text)]


_TRAILING = re.compile(r"\s*[.?!]+(?:\s*[.?!]+)*\s*$")
_LEADING_NUMBER = re.compile(r"^\s*\(?\d{1,2}[.)]\s+")


def normalise_sentence(sentence: str) -> str:
    """A sentence without its list number, final punctuation and extra white space.

    Handy for prompts and display: ``"2. No effusion. ."`` becomes ``"No effusion"`` and the
    GazeX ``"no pneumothorax ."`` becomes ``"no pneumothorax"``.
    """
    s = _LEADING_NUMBER.sub("", sentence)
    s = _TRAILING.sub("", s)
    return " ".join(s.split())
