"""One module per CLI verb (see ``grader.cli``)."""
