"""The text of each graded hand-in, kept in the gradebook for the similarity report.

What is kept is what ``discover`` read by the safe-read rule and the sandbox received, never re-read from the
student's folder: the hand-in and the files beside it that its session loads (what its content hash covers).
With it goes copydetect's normalised token stream (every name ``V``/``F``, every string ``S``, no comments or
whitespace; see ``grader.reports.similarity``) and the offsets that map it back to the text, since tokenising
is the slow part (~40 ms per hand-in) and a report is rebuilt far more often than a hand-in changes.
Tokenising reads the text with Pygments' lexer, in a process of its own under limits
(``grader.pipeline.tokens``); nothing is imported, evaluated or run. Notebooks are not kept: they are only
ever parsed in the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.discover import Submission
from grader.pipeline.tokens import normalise_many


@dataclass(frozen=True)
class Source:
    student: str
    assignment: str
    content_hash: str
    text: str
    filtered: str
    offsets: bytes  # copydetect's (n, 2) int64 offsets, row-major


def joined_text(submission: Submission) -> str:
    """The hand-in first, then each other file its graded session loads, under a comment naming it (comments never
    count). Only those: they are what its content hash covers, so a file it does not load (and that can change
    without the hand-in being graded again) never leaves an outdated text behind."""
    main = submission.source_name
    loaded = set(submission.loaded) or set(submission.files)  # a hand-in read without following its imports: all
    parts = [submission.files[main].decode("utf-8")]
    for name in sorted(loaded & set(submission.files) - {main}):
        parts.append(f"\n# ---- {name} ----\n" + submission.files[name].decode("utf-8"))
    return "".join(parts)


def sources_of(submissions: list[Submission]) -> list[Source | None]:
    """The source to keep for each gradable, non-notebook submission (None for anything else, and for a text
    the bounded tokeniser could not read), tokenised in one batch."""
    wanted = [s for s in submissions if not s.error and s.files and s.assignment in ASSIGNMENTS
              and not ASSIGNMENTS[s.assignment].is_notebook]
    texts = [joined_text(s) for s in wanted]
    normalised = dict(zip(map(id, wanted), zip(texts, normalise_many(texts), strict=True), strict=True))
    found: list[Source | None] = []
    for submission in submissions:
        text, tokens = normalised.get(id(submission), ("", None))
        found.append(None if tokens is None else Source(submission.student, submission.assignment,
                                                        submission.content_hash, text, tokens[0],
                                                        tokens[1].tobytes()))
    return found


def offsets_array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.int64).reshape(-1, 2).copy()
