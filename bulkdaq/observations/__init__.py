"""Draft observation (水尺观测): a survey's draft marks observed over time (drone, camera, the plant's
draft sensors), turned into each mark's reading with its uncertainty, and from there into the survey."""
