"""Petroleum measurement: volume correction (API MPMS 11.1-2004, ASTM D1250-1980), weight in air, the
measurement policy, meter, Coriolis and shore-tank tickets, and strapping tables."""
