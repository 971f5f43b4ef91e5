"""Bonded ore blending (保税混矿, issue 17): the belt scale's OIML R 50 class, wet and dry tonnes from
moisture, and the yard's mass balance with the ratios of a blending run. Numbers in, numbers out."""
