"""Building blocks with no business meaning. Imports nothing else of ``kro``."""
