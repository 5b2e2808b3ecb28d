"""``python -m kro.jobs``: a worker configured from ``KRO_*`` with only the handlers of
``HANDLER_MODULES`` and ``KRO_JOB_EXTRA_MODULES`` (used by the tests' worker processes).
Production runs ``kro worker``, which also loads every module's ``tasks``."""

from kro.jobs.worker import main

if __name__ == "__main__":
    main()
