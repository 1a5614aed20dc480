"""The engine: data, network, training, metrics, drawing preprocessing, model files.

Nothing in this package imports Qt (an import-linter contract in pyproject.toml checks it), so the command line,
the window and the tests all drive exactly the same code.
"""
