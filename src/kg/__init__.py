"""kg: a knowledge graph of Vietnamese government documents on the COVID-19 response."""

from __future__ import annotations

__version__ = "0.1.0"
