"""Grading harness for the backpropagation week: sandboxed checks, gradebook and reports."""

__version__ = "0.1.0"
