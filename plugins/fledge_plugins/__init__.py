"""fledge's built-in experimental features, each a plugin registered like any third party's.

Each feature is a package whose ``__init__`` holds only its manifest and hook
implementations (no torch); the implementation lives in its submodules and is imported on
first use.
"""
