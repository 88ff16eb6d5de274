"""The lab's kinds of check: every one judges values computed from the grader's own weights and inputs (see
each module's docstring for why that way)."""
