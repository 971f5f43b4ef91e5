"""The Modbus TCP/RTU collector: request planning, the pymodbus adapter, register decoding, integrity
events and the collector itself (see README.md in this folder for a sample configuration)."""
