"""The explorer: server-rendered pages over the services the API calls."""
