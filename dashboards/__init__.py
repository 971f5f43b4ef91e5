"""What people look at: `grafana/` (dashboards, alert rules and provisioning as code, tested query by
query) and `reports/` (the measurement report for customs and the draft survey report). Their words and
figures come from `bulkdaq/wording/`."""
