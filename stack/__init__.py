"""The deployed form: docker-compose services (stack/airflow, stack/superset) and their native twin (native.py)."""
