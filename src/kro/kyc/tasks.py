"""Job handlers of ``kro.kyc`` (listed in ``kro.registry.TASK_MODULES``)."""
