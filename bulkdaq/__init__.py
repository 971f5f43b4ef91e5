"""bulkdaq: what the rooms share — site configuration, the data contract, the InfluxDB store, the CLI."""

__version__ = "0.1.0"
