"""Shipments and their clearance: the declared shipment, the registry with its signed history, the
lifecycle, tolerance rules, the workflow a person or the demo drives, live quantities while loading,
stored meter totals, method figures and the series written back to InfluxDB."""
