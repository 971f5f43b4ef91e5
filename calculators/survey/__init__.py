"""The draft survey (水尺计重), UN/ECE Code ECE/ENERGY/19: inputs, rounding policies, the steps from
the draft marks to the net displacement, hydrostatic tables, and the result; `draft_survey.py` chains them."""
