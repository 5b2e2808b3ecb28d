"""Bank transfer into a dynamic account (Providus): the method's own settlement rules."""
