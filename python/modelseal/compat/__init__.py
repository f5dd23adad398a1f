"""Drop-in surfaces of other libraries' APIs, backed by libmodelseal."""
