"""Autofacts: automotive-industry facts, each traceable to a verbatim quote of its source."""
