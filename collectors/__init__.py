"""Collectors read devices, decode, timestamp and mark quality, and hand readings to a `ReadingSink`:
`modbus/` (Modbus TCP and RTU) and `opcua/` (OPC UA subscriptions), each with a README and a sample
configuration."""
