"""The general check library: the check record and what it produces (``base``), comparing answers
(``compare``, ``gradient``, ``statistical``, ``accuracy``), naming mistakes (``mistakes``), the standard kinds
every rule gets (``standard``), rule records (``rules``), judging a target on its own (``own``), the fixed
vocabulary of hidden feedback (``vocabulary``), fingerprints (``fingerprint``) and reference answers
(``references``). The course's content lives in ``grader.course``, its suites in ``grader.suites``.
"""
