"""The application wiring: the collector service (collectors → spool → InfluxDB), the demo and the
fault drill. With the CLI, the only layer that imports upward (collectors, simulators, dashboards)."""
