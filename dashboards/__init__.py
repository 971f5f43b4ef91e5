"""Layout room: Grafana dashboards as code and reports."""
