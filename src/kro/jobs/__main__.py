"""``python -m kro.jobs``: run a worker configured from ``KRO_*`` (same as ``kro worker``)."""

from kro.jobs.worker import main

if __name__ == "__main__":
    main()
