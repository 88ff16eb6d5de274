"""Code that runs INSIDE the sandbox.

``zygote`` is the warm worker: it preloads numpy (and torch), then forks one ``child`` per job. The
child receives the student's files over its own socket, drops its rights, applies the limits, imports
the student's module and serves calls. ``builtins`` and ``procedures`` are the grader-side helpers the
child hands to student code. Nothing here may import ``reference`` or the hidden suites.
"""
