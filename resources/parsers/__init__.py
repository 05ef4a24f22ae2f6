"""Pure parsers: one landed API response body -> contract-shaped raw rows + structured rejects.

`common` holds the result type, the value rules and the collector every parser shares; one module per
source holds its parsers. Import from here: `from resources import parsers; parsers.parse_bdl_stats(...)`.
"""

from nba_assets.partitions import ET
from resources.parsers.bdl import parse_bdl_box_scores, parse_bdl_games, parse_bdl_injuries, parse_bdl_stats
from resources.parsers.common import (
    BDL_STAT_FIELDS,
    EXHIBITION_RULE,
    MINUTES_MISSING_RULE,
    NBACOM_STAT_FIELDS,
    OUT_OF_SCOPE_RULES,
    REJECT_SCHEMA,
    ParseResult,
    latest_fetch_wins,
    parse_minutes,
    to_american_odds,
)
from resources.parsers.fetches import GAME_ID_CHANGED_RULE, newest_game_ids
from resources.parsers.lines import parse_odds_game_lines
from resources.parsers.nbacom import parse_nbacom_leaguegamelog, parse_nbacom_schedule
from resources.parsers.odds import parse_odds_event_odds
from resources.parsers.sdio import parse_sdio_player_props

__all__ = [
    "BDL_STAT_FIELDS",
    "EXHIBITION_RULE",
    "GAME_ID_CHANGED_RULE",
    "MINUTES_MISSING_RULE",
    "ET",
    "NBACOM_STAT_FIELDS",
    "OUT_OF_SCOPE_RULES",
    "REJECT_SCHEMA",
    "ParseResult",
    "latest_fetch_wins",
    "newest_game_ids",
    "parse_bdl_box_scores",
    "parse_bdl_games",
    "parse_bdl_injuries",
    "parse_bdl_stats",
    "parse_minutes",
    "parse_nbacom_leaguegamelog",
    "parse_nbacom_schedule",
    "parse_odds_event_odds",
    "parse_odds_game_lines",
    "parse_sdio_player_props",
    "to_american_odds",
]
