"""promote: readiness checks, and the move of a feature into the stable namespace."""
