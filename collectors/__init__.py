"""Layout room: collectors read devices (Modbus TCP now; OPC UA later), decode, timestamp and mark quality."""
