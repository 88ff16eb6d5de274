"""Grading on a Dask cluster: ``grader grade SUBMISSIONS_DIR --cluster tcp://HOST:PORT`` (or ``local:N``).

Usage::

    from grader.cluster.connect import connect
    from grader.cluster.coordinator import grade_on_cluster
    from grader.cluster.wire import GradingPlan

    plan = GradingPlan(config, only=("hw1", "hw2"), include_hidden=True, fresh_public=True, hashes=hashes)
    with connect("tcp://10.0.0.5:8786", security_file=None) as client:
        for graded in grade_on_cluster(client, todo, plan):     # each submission once, as it finishes
            book.record(...)

Who does what. The coordinator (the machine running ``grader grade``) discovers the submissions and reads
their files by the same rules as local grading, owns the gradebook (the only SQLite writer) and writes every
report. Each Dask worker gets a ``GradingPlugin`` (``plugin.py``) once: it checks the worker's sandbox,
loads the suites from the worker's own installation, fingerprints them, and keeps a ``WorkerPool`` with one
warm slot per worker thread. A task grades one submission with ``grade_one``, the same unit of work as on
one machine, grader-side judging and references included, and returns plain rows (``wire.py``).

Who is refused. A worker whose grader version or suite fingerprint (``suite_hash``: checks, points,
judging code, references, hashed secret) differs from the coordinator's, or whose sandbox is weaker than
bubblewrap (unless ``--allow-isolation`` says so), logs why, tells the coordinator, which prints it, and
never gets a task: tasks need a Dask resource that only accepted workers announce. Rows that come back
with another fingerprint are not recorded either.

Faults. A worker that dies mid-task (even SIGKILL) loses nothing: Dask runs its tasks again elsewhere, and
the coordinator records each submission once, as its rows arrive, so a killed coordinator loses no finished
submission and a rerun resumes (the gradebook skips unchanged work).

Trust. The course secret travels to the workers inside the plugin (hidden checks are judged there), and
the workers hold the hidden suites: the cluster must be the instructor's own. Over a network use
``tls://`` with ``--cluster-security`` (a Dask configuration file with the TLS settings) or Dask's own
configuration; the secret is never printed or logged (the plan's repr leaves it out). Dask pickles its
messages between coordinator, scheduler and workers: only grader-made data crosses (a student's files
travel as bytes and are only ever written into a sandbox), and nothing the grader judges with is sent.
"""
