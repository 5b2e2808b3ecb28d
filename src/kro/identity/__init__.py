"""Identity: users, passwords (argon2), JWT access tokens, rotating refresh tokens, roles."""
