"""The built-in knowledge base of SaaS metric standards: sources, concepts, decisions (data, not code)."""
