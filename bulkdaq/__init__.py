"""bulkdaq: metering and cargo verification at bulk terminals.

The package is split by concept: `config` (the site file), `store` (data contract, line protocol,
InfluxDB writer and reader, spool, forwarder), `evidence` (canonical JSON, signed chain, heads, bundles),
`shipments` (model, registry, lifecycle, rules, workflow, live quantities), `inputs` (ticket and survey
files), `app` (the collector service, the demo, the fault drill) and `cli` (arguments and printing).
docs/design.md has the map of the layers.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
