"""Identity verification for every product (core): BVN and NIN checks through an
identity-verification provider, ID documents, name matching and an admin review queue."""
