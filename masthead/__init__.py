"""Masthead: a news-publishing platform on Wagtail."""
