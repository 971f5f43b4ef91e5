"""The OPC UA subscribing collector: connection and security, node resolution, status-code quality,
browsing, X.509 application certificates and the collector itself (see README.md in this folder for a
sample configuration)."""
