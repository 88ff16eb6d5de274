"""Checks as data: what to call, with which inputs, and how to judge the answer."""

from grader.checks.base import Builtin, Check, Context, Rng, Verdict, Worker, check_seed

__all__ = ["Builtin", "Check", "Context", "Rng", "Verdict", "Worker", "check_seed"]
