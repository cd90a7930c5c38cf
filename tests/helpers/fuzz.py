"""The hypothesis settings the fuzz tests share."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
