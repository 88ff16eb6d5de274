"""Similar hand-ins: a disguised copy is the top pair, independent solutions in other styles and the bare stubs
are not flagged, the vectorised scores are copydetect's own, and the side-by-side view only ever shows text."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from copydetect import compare_files
from html_text import Tags

from grader.authoring.samples import reference_submission
from grader.course.assignments import ASSIGNMENTS
from grader.pipeline.discover import Submission, content_hash
from grader.pipeline.gradebook import Gradebook
from grader.reports import similarity
from grader.reports.similarity_html import marked

STYLES = Path(__file__).parent / "data" / "similarity" / "hw2"
INDEPENDENT = ["einsum", "loops", "masks", "matmul"]  # and the reference: five ways to write hw2
STUB = ASSIGNMENTS["hw2"].stub_path.read_text(encoding="utf-8")


def hand_in(student: str, text: str) -> Submission:
    files = {"backprop.py": text.encode()}
    return Submission(student, "hw2", files, content_hash(files), None)


def class_sources(tmp_path: Path, texts: dict[str, str]) -> pd.DataFrame:
    """The texts kept by a gradebook exactly as ``grader grade`` keeps them, graded rows included."""
    with Gradebook(tmp_path) as book:
        submissions = [hand_in(student, text) for student, text in texts.items()]
        book.keep_sources(submissions)
        for s in submissions:
            book.record(1, s.student, "hw2", s.content_hash, "S", None, [])
        return book.sources_frame()


def independent_class() -> dict[str, str]:
    texts = {style: (STYLES / f"{style}.py").read_text() for style in INDEPENDENT}
    texts["reference"] = reference_submission()["backprop.py"].decode()
    return texts


def test_a_disguised_copy_is_the_top_pair(tmp_path):
    texts = independent_class() | {"mallory": (STYLES / "disguised_copy_of_masks.py").read_text()}
    table, _ = similarity.similarity_table(class_sources(tmp_path, texts))
    top = table.iloc[0]
    assert (top["student_a"], top["student_b"]) == ("mallory", "masks")
    assert top["flagged"] and top["score"] >= similarity.FLAG_THRESHOLD
    assert table["flagged"].sum() == 1  # nobody else
    for target in ("linear_backward", "softmax_cross_entropy_forward", "mlp_backward"):
        assert target in top["functions"].split("; ")
    assert tuple(table.columns) == similarity.SIMILARITY_COLUMNS


def test_independent_solutions_in_other_styles_are_not_flagged(tmp_path):
    table, _ = similarity.similarity_table(class_sources(tmp_path, independent_class()))
    pairs = len(list(itertools.combinations(independent_class(), 2)))
    assert len(table) == pairs  # a handful of students: every pair that shares anything is listed
    assert not table["flagged"].any()
    assert table["score"].max() < similarity.FLAG_THRESHOLD


def test_the_stubs_alone_produce_no_pair(tmp_path):
    texts = {"ann": STUB, "bob": STUB, "cem": STUB + "\n\n# I will do it later\n"}
    table, _ = similarity.similarity_table(class_sources(tmp_path, texts))
    assert table.empty
    with_work = independent_class() | {"ann": STUB, "bob": STUB}
    table, _ = similarity.similarity_table(class_sources(tmp_path / "2", with_work))
    assert not ({"ann", "bob"} & set(table["student_a"]) & set(table["student_b"]))
    assert not table["flagged"].any()


def test_the_vectorised_scores_are_copydetects(tmp_path):
    texts = independent_class() | {"mallory": (STYLES / "disguised_copy_of_masks.py").read_text(), "stub": STUB}
    plate = similarity.boilerplate("hw2")
    prints = [similarity.fingerprint(text, plate) for text in texts.values()]
    shared = similarity.shared_matrix(prints)
    for i, j in itertools.permutations(range(len(prints)), 2):
        overlap, (share_i, _), _ = compare_files(prints[i], prints[j])
        assert shared[i, j] == overlap
        assert shared[i, j] / max(prints[i].token_coverage, 1) == pytest.approx(share_i)


def test_fingerprints_do_not_depend_on_the_process(tmp_path):
    """copydetect hashes with hash(); a str's is salted per process, so the text is hashed as code points."""
    import subprocess
    import sys

    code = "import sys; from grader.reports import similarity as s; " \
           "print(sorted(s.fingerprint(open(sys.argv[1]).read()).hashes)[:5])"  # fmt: skip
    command = [sys.executable, "-c", code, str(STYLES / "masks.py")]
    runs = [
        subprocess.run(command, capture_output=True, text=True, env={"PYTHONHASHSEED": seed}, check=True).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and runs[0].startswith("[")


def test_only_graded_python_hand_ins_are_kept(tmp_path):
    refused = Submission("eve", "hw2", {}, "x", None, error="backprop.py is a symbolic link")
    notebook = Submission("eve", "lab", {"mlp_lab.ipynb": b"{}"}, "y", None)
    helper = hand_in("ann", "def linear_forward(X, W, b):\n    return helper(X, W, b)\n")
    helper = Submission("ann", "hw2", {**helper.files, "helpers.py": b"def helper(X, W, b):\n    return X @ W.T + b\n"},
                        "z", None)  # fmt: skip
    with Gradebook(tmp_path) as book:
        assert book.keep_sources([refused, notebook, helper]) == 1
        book.record(1, "ann", "hw2", "z", "S", None, [])
        kept = book.sources_frame()
    assert kept["student"].tolist() == ["ann"]
    assert "# ---- helpers.py ----\ndef helper" in kept["text"].iloc[0]


def test_shared_spans_are_marked_around_escaped_text():
    evil = 'x = "</pre><script>alert(1)</script>"  # <!-- &amp; \x1b[31m\nreturn <b>'
    a = similarity.fingerprint(evil)
    match = similarity.Match(1.0, 10, __import__("numpy").array([[0, 30], [25, len(evil)]]), None)
    page = marked(evil, match.slices_a)
    parsed = Tags()
    parsed.feed(f"<pre>{page}</pre>")
    assert parsed.tags == ["pre", "mark", "mark"]  # only the grader's own tags
    assert "</script>" in parsed.text and "\\x1b" in parsed.text and "\x1b" not in page
    assert a.raw_code == evil


def test_student_text_is_tokenised_in_a_bounded_process_of_its_own() -> None:
    from copydetect.utils import filter_code

    from grader.pipeline import tokens

    text = "def f(x):\n    return x * 2  # twice\n"
    ((filtered, offsets),) = tokens.normalise_many([text])
    expected, expected_offsets = filter_code(text, "a.py", language="python")
    assert filtered == expected and offsets.tolist() == np.asarray(expected_offsets).reshape(-1, 2).tolist()


def test_a_text_the_tokeniser_cannot_finish_within_its_limits_is_left_out(monkeypatch) -> None:
    from grader.pipeline import tokens

    monkeypatch.setattr(tokens, "MEMORY_BYTES", 64 << 20)  # too little for Python and Pygments to start
    assert tokens.normalise_many(["x = 1\n", "y = 2\n"]) == [None, None]
