"""What the grader and the sandboxed worker share: the frame format and the argument markers.

This package is the only part of the grader the sandboxed worker imports (besides ``grader.worker``
itself): it holds no judging code, no checks and no answers, so showing it to student code gives
nothing away.
"""
