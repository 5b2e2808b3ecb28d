"""Job handlers of ``kro.conversations`` (listed in ``kro.registry.TASK_MODULES``)."""
