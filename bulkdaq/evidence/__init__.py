"""Evidence: canonical JSON for everything hashed, the signed chain of spool commits, chain heads and
their witnesses, and the bundle an officer verifies offline."""
