"""Discovery: Related, Ranking, Recommendation, Like and story clusters.

`masthead.discovery.interface` is the one interface templates and the API use for every article
list; `engine` holds the numbers, `services` keeps the precomputed lists up to date.
"""
