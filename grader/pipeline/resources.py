"""What the engine grades with: sandbox sessions (a pool of warm workers, one session per hand-in) and the
trusted reference answers."""

from __future__ import annotations

import copy
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from grader.checks.base import References
from grader.pipeline.engine import OpenSession


class SandboxSessions:
    """``open_session(assignment, files)`` on a ``WorkerPool``. ``grade_many`` may instead grade on judge
    processes that each open sessions the same way on a pool of their own (its workers then never start)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    def __call__(self, assignment: str, files: dict[str, bytes], **options: Any) -> AbstractContextManager[Any]:
        return self.pool.session(assignment, files, **options)


@contextmanager
def sandbox_sessions(slots: int, *, collapse: bool = True) -> Iterator[OpenSession]:
    """An ``open_session(assignment, files)`` backed by one ``WorkerPool`` of ``slots`` sandboxes, whose warm
    workers (numpy, or numpy and torch for the lab) start on first use; ``collapse=False`` to grade one student
    (see ``WorkerPool``)."""
    from grader.sandbox import WorkerPool

    with WorkerPool(slots=slots, collapse=collapse) as pool:
        yield SandboxSessions(pool)


_defaults: weakref.WeakSet = weakref.WeakSet()  # what default_references() handed out


def in_judges(open_session: Any, references: Any) -> bool:
    """Whether a judge process can grade as ``open_session`` and ``references`` would here: sandboxes from
    ``sandbox_sessions`` and the references ``default_references`` gives (a judge builds its own of both)."""
    return isinstance(open_session, SandboxSessions) and references in _defaults


def isolation_level() -> str:
    """How student code is isolated on this machine, as the sandbox reports it."""
    from grader.sandbox import isolation_level as level

    name, description = level()
    return f"{name}: {description}"


def default_references(*, across_students: bool = True, answers: Path | None = None):
    """Live references where ``reference/`` is installed (the instructor's repo), remembered across students;
    else the answers recorded into a student release, which ships no reference code. ``across_students=False``
    (one hand-in, as ``grader check`` grades) leaves out the store of what checks expect, which only pays
    across students (its fingerprints and copies would cost a check without ever being read back). ``answers``:
    a folder where live references keep their slow answers for other processes and later runs
    (``grader.pipeline.answer_store``)."""
    import importlib.util

    from grader.checks.references import LiveReferences, RecordedReferences
    from grader.course.assignments import REPO_ROOT

    references: Any
    if importlib.util.find_spec("reference") is not None:
        references = CachedReferences(LiveReferences(), expectations=across_students, answers=answers)
    else:
        references = RecordedReferences(REPO_ROOT / "grader" / "suites" / "public" / "answers.npz")
    _defaults.add(references)
    return references


class CachedReferences:
    """Remembers slow live reference answers by their arguments. Checks draw the same inputs for every
    student (seeded by check id), so after the first student such an answer (the lab's reference training,
    hw3's trainer) is a lookup. Fast functions are not worth hashing their arguments: a function's first
    call decides which it is. Answers are deterministic functions of their arguments; callers get copies.

    ``expectations`` is where the checks run with these references remember what they expect (inputs,
    reference answers, finite differences, mistakes' answers) across students (see
    ``grader.checks.expectations``); None when asked for without. With ``answers`` (a folder), an answer that
    took over ``STORED_SECONDS`` is also kept there, and looked for there before it is computed, so that other
    processes (judges) and later runs share it (``grader.pipeline.answer_store``)."""

    MAX_ENTRIES = 20_000
    SLOW_SECONDS = 0.005
    STORED_SECONDS = 0.05

    def __init__(self, inner: References, *, expectations: bool = True, answers: Path | None = None) -> None:
        from grader.checks.expectations import Expectations

        self.expectations = Expectations() if expectations else None
        self._store = None
        if answers is not None:  # imported only then: grader check starts without it
            from grader.pipeline.answer_store import AnswerStore

            self._store = AnswerStore(Path(answers))
        self._inner = inner
        self._answers: dict[str, Any] = {}
        self._slow: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    @property
    def answers(self) -> Path | None:
        """The folder the slow answers are shared in (judges get the same), or None."""
        return None if self._store is None else self._store.directory

    def __call__(self, assignment: str, function: str, args: tuple, kwargs: dict) -> Any:
        from grader.checks.references import NotPlainData, args_key

        slow = self._slow.get((assignment, function))
        if slow is False:
            return self._inner(assignment, function, args, kwargs)
        try:
            key = f"{assignment}.{function}.{args_key(args, kwargs)}"
        except NotPlainData:
            return self._inner(assignment, function, args, kwargs)
        with self._lock:
            found = key in self._answers
            answer = self._answers.get(key)
        if not found and self._store is not None:
            found, answer = self._store.get(assignment, function, key)
            if found:
                self._remember(assignment, function, key, answer, slow=True)
        if not found:
            start = time.perf_counter()
            answer = self._inner(assignment, function, args, kwargs)
            seconds = time.perf_counter() - start
            self._remember(assignment, function, key, answer, slow=seconds > self.SLOW_SECONDS)
            if self._store is not None and seconds > self.STORED_SECONDS:
                self._store.put(assignment, function, key, answer)
        return copy.deepcopy(answer)

    def _remember(self, assignment: str, function: str, key: str, answer: Any, *, slow: bool) -> None:
        with self._lock:
            self._slow.setdefault((assignment, function), slow)
            if len(self._answers) < self.MAX_ENTRIES:
                self._answers[key] = answer
