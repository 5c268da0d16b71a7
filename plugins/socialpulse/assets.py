"""Every Airflow Asset of socialpulse, defined once.

Extract DAGs produce `landing_asset(platform)`; the build DAG is scheduled on any of
them and produces `SERVING_WAREHOUSE`. URIs are logical names, not file paths, so
they stay the same on every machine.
"""

from __future__ import annotations

from airflow.sdk import Asset


def landing_asset(platform: str) -> Asset:
    return Asset(name=f"landing_{platform}", uri=f"socialpulse://landing/{platform}", group="landing")


SERVING_WAREHOUSE = Asset(name="serving_warehouse", uri="socialpulse://serving/warehouse", group="serving")
