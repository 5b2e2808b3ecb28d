"""Operating the platform: health and readiness, business metrics, backup and restore.

Nothing here moves money; it reads other modules through their services.
"""
