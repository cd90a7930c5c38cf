"""Hypothesis settings for the fuzz tests: modest example counts so the suite stays fast."""

from __future__ import annotations
