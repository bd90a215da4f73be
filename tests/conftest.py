"""Settings for the whole suite.

Hypothesis runs without its per-example deadline: speed is measured by ``bench/``, never by a
test, and a busy two-core CI machine must not turn a slow example into a failure.
"""

from hypothesis import settings

settings.register_profile("casework", deadline=None)
settings.load_profile("casework")
