"""Configuration: the site file (devices, meters, InfluxDB target, spool, evidence), its OPC UA section,
and the helpers that turn a bad input file into one error naming the file, the key path and the problem."""
