"""Job handlers of ``kro.marketplace`` (listed in ``kro.registry.TASK_MODULES``)."""
