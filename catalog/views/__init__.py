"""The catalog's pages (server-rendered, htmx for live parts)."""
