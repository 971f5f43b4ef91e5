"""Pure measurement maths: numbers in, numbers out, no I/O.

`petroleum/` (API MPMS 11.1 and ASTM D1250-1980 volume correction, weight in air, meter, Coriolis and
shore-tank tickets, strapping tables, the measurement policy), `survey/` (the draft survey and its
hydrostatics), and what both kinds of cargo share: `totalizer.py` (indicated quantity between two
totalizer readings, meters and belt scales alike) and `reconciliation.py` (comparisons under tolerance
limits). Calculators import nothing of bulkdaq's own code.
"""
