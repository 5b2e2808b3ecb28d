"""Monthly donations: a donor's recurring gift to a campaign, charged by the provider every
month through :mod:`kro.payments.subscriptions`, managed from a link in every receipt."""
