"""Mounted over a library that a numpy-only homework may not use (torch, jax, tensorflow): importing it ends
the process with ``grader.worker.child.BANNED_EXIT``, which the zygote reports to the grader."""

import os

os._exit(86)
