"""Small data files shipped with the grader (see the licence notes beside them); loaded by ``grader.data``."""
