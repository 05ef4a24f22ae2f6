"""The prediction systems' ids, as stored in every prediction and grade row.

Their own module so that readers of those rows (`nba-lake trace`) name a system without importing the
model code (LightGBM, matplotlib) behind it; logic/modeling.py defines the systems under these ids."""

MODEL_SYSTEM = "lgbm_points_v1"
BASELINE_SYSTEM = "moving_avg_l10"
MARKET_SYSTEM = "market_anchored_v1"
