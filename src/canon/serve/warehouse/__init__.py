"""The warehouse API (`seeds/growth-warehouse-api.md`): whitelist, manifest, keyset pages, versions."""
