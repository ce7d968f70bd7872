"""The personalization measure on a generated site."""

import pytest

from masthead.demo.services import corpus_generate
from masthead.discovery.services import index_rebuild
from masthead.engagement.models import ReaderView
from masthead.evaluation.personalization import personalization_measure

pytestmark = pytest.mark.django_db


def test_personal_lists_follow_the_readers_channel_and_skip_read_stories(corpus):
    corpus_generate(articles=400, seed=23, with_images=False)
    index_rebuild()
    views = ReaderView.objects.count()
    m = personalization_measure(readers=8, seed=1)
    assert m["readers"] == 8
    assert m["channel_share_personal"] >= m["channel_share_anonymous"] + 0.2
    assert m["read_story_copies"] == 0
    assert ReaderView.objects.count() == views  # the simulated readers leave nothing behind
