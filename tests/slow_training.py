"""Source to start a grading script with (a judge's ``sitecustomize``, a script run as a subprocess): the grader's
reference training (``fit_layers``) then takes at least ``CachedReferences.STORED_SECONDS``, so it is slow enough to
be stored however fast this machine trains, and tests of storing and reading it do not depend on the machine."""

SLOW_TRAINING = '''
import time
from grader.checks.references import LiveReferences
from grader.pipeline.resources import CachedReferences

_untimed_call = LiveReferences.__call__


def _slow_training(self, assignment, function, args, kwargs):
    if function == "fit_layers":
        time.sleep(CachedReferences.STORED_SECONDS)
    return _untimed_call(self, assignment, function, args, kwargs)


LiveReferences.__call__ = _slow_training
'''
