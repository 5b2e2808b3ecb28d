"""Job handlers of ``kro.giving`` (listed in ``kro.registry.TASK_MODULES``)."""
