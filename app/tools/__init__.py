"""Tools the ``autofacts`` command runs beside the service, never part of it.

Nothing the server imports (``app.main`` and what it pulls in) may import from here:
tests/test_gen_dataset.py checks it. The CLI imports each tool inside its command.
"""
