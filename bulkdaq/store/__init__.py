"""The store: the data contract (every measurement, tag and field name), line protocol, the InfluxDB
writer and reader (v1 API), the durable spool and the forwarder that drains it, and a private influxd."""
