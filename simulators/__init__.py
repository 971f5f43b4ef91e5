"""Layout room: devices that behave like the real ones, driven by scenarios with a known ground truth."""
