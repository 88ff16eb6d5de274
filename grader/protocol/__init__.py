"""What the grader and the sandboxed worker share: the frame format, the argument markers, what a call can
come back as, and the builtin callables handed to student functions.

This package is the only part of the grader the sandboxed worker imports (besides ``grader.worker`` itself
and ``grader.data``), and it imports nothing else of the grader: it holds no judging code, no checks and no
answers, so showing it to student code gives nothing away.
"""
