"""Grafana as code: the clearance board, loading view and data health dashboards, alert rules, file
provisioning, and the machinery that runs every panel's InfluxQL the way Grafana would, for the tests."""
