"""Job handlers of ``kro.pensions`` (listed in ``kro.registry.TASK_MODULES``)."""
