"""Discovery: the one interface templates and the API use for every article list.

Ranking is here now; Related, Recommendation, Like and story clusters plug in beside it.
Every list goes through `one_per_story` before it is shown.
"""

from masthead.discovery.interface import DiscoveryItem, one_per_story, ranking

__all__ = ["DiscoveryItem", "one_per_story", "ranking"]
