"""End-to-end demos that drive a running server over HTTP only (``kro demo …``)."""
