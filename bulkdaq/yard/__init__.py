"""The bonded blending yard (保税混矿): its lots, its signed ledger, its balance rule and mass balance (docs/yard.md)."""
