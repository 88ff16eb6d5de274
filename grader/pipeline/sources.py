"""The text of each graded hand-in, kept in the gradebook for the similarity report.

What is kept is exactly what ``discover`` read by the safe-read rule and the sandbox received: the hand-in
and the ``.py`` files beside it, never re-read from the student's folder. With it goes copydetect's
normalised token stream (every name ``V``/``F``, every string ``S``, no comments or whitespace; see
``grader.reports.similarity``) and the offsets that map it back to the text, since tokenising is the slow
part (~40 ms per hand-in) and a report is rebuilt far more often than a hand-in changes. Tokenising reads
the text with Pygments' lexer; nothing is imported, evaluated or run. Notebooks are not kept: they are only
ever parsed in the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.discover import Submission


@dataclass(frozen=True)
class Source:
    student: str
    assignment: str
    content_hash: str
    text: str
    filtered: str
    offsets: bytes  # copydetect's (n, 2) int64 offsets, row-major


def joined_text(submission: Submission) -> str:
    """The hand-in first, then each file beside it under a comment naming it (comments never count)."""
    main = submission.source_name
    parts = [submission.files[main].decode("utf-8")]
    for name in sorted(set(submission.files) - {main}):
        parts.append(f"\n# ---- {name} ----\n" + submission.files[name].decode("utf-8"))
    return "".join(parts)


def normalise(text: str) -> tuple[str, np.ndarray]:
    """copydetect's filtered token stream of Python ``text`` and its offsets, an (n, 2) int64 array."""
    from copydetect.utils import filter_code

    filtered, offsets = filter_code(text, "hand_in.py", language="python")
    return filtered, np.asarray(offsets, dtype=np.int64).reshape(-1, 2)


def source_of(submission: Submission) -> Source | None:
    """The source to keep for a gradable, non-notebook submission; None for anything else."""
    if submission.error or not submission.files or submission.assignment not in ASSIGNMENTS:
        return None
    if ASSIGNMENTS[submission.assignment].is_notebook:
        return None
    text = joined_text(submission)
    filtered, offsets = normalise(text)
    return Source(
        submission.student, submission.assignment, submission.content_hash, text, filtered, offsets.tobytes()
    )


def offsets_array(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.int64).reshape(-1, 2).copy()
