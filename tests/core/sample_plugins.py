"""Helpers for the host's tests: manifests and plugin modules as source text for sample plugins."""

from __future__ import annotations

import textwrap


def plugin_source(*features: str, extra: str = "") -> str:
    """Source of a plugin module whose fledge_features hook returns ``features``.

    Each item of ``features`` is the text of a ``Feature(...)`` call's keyword arguments.
    """
    calls = ",\n".join(f"        fledge.Feature({f})" for f in features)
    return textwrap.dedent(
        """\
        import fledge

        @fledge.hookimpl
        def fledge_features():
            return [
        {calls}
            ]
        """
    ).format(calls=calls) + textwrap.dedent(extra)


def manifest(name: str, module: str, exports: str = "('thing',)", **extra: str) -> str:
    """Keyword arguments of a valid Feature(...) call, as source text."""
    parts = [
        f"name={name!r}",
        f"summary='The {name} feature.'",
        f"module={module!r}",
        f"exports={exports}",
        "since='0.1.0'",
        "owners=('alice',)",
    ]
    parts += [f"{key}={value}" for key, value in extra.items()]
    return ", ".join(parts)
