"""``fledge.experimental.<name>``: fledge's own namespace, one `fledge.Host` like any other.

It is built exactly the way a library builds its own (see "Adopting fledge in your
library"): a `Host` describing the namespace, then ``host.serve()``. ``import
fledge.experimental.X``, ``from fledge.experimental.X import Y``,
``fledge.experimental.X.Y`` and ``dir(fledge.experimental)`` all work; a feature's
implementation is imported on first use, with the notice that fits its stage.
"""

from __future__ import annotations

from fledge import ExperimentalWarning, Host

__all__ = ["host"]

#: fledge's wording of the experimental notice: the default, plus its context manager.
NOTICE = (
    "{namespace}.{name} is an experimental feature (since {dist} {since}): its API "
    "may change or be removed in any release. Silence this notice with "
    "{variable}={name} (or =1 for all features), "
    "`with fledge.silence_experimental('{name}'):`, or "
    "warnings.filterwarnings('ignore', category={category})."
)

#: fledge's own host. TRL users already set TRL_EXPERIMENTAL_SILENCE, so it silences too.
host = Host(
    "fledge.experimental",
    name="fledge",
    group="fledge",
    warning=ExperimentalWarning,
    silence_variables=("FLEDGE_EXPERIMENTAL_SILENCE", "TRL_EXPERIMENTAL_SILENCE"),
    switch_prefix="FLEDGE",
    quiet=("fledge", "fledge_plugins", "fledge_promote"),
    notice=NOTICE,
    distribution="fledge",
    reserved=("fledge", "fledge_plugins", "fledge_promote"),
)

__getattr__, __dir__ = host.serve()
