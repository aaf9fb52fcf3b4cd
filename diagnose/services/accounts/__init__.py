"""Web accounts, organisations and their people: passwords, sessions, API tokens, listings, notices."""
