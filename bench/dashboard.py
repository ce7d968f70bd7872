"""The analytics pages in the admin: server time per page with a large history, PostgreSQL.

    python bench/dashboard.py [--articles 20000] [--views 100000000] [--hours 250] [--runs 15]
    python bench/dashboard.py --database masthead_scale_bench [--hours 50]   (an existing site)

A site of `--articles` articles (bench/var/, `masthead generate`) or, with `--database`, the
site already in that PostgreSQL database (e.g. the corpus `bench/scale.py` grew; its history
tables are filled in place), then hourly rows written straight into the tables with
generate_series, as the hourly recording and the roll-ups would leave them after `--views`
counted views over 400 days:
  - engagement_articleactivity: every article read for `--hours` hours after publication,
    decaying;
    the view counts add up to `--views` (default 100 M);
  - engagement_articlesourcehour: the same views split over 4 places they came from;
  - engagement_widgethour: 6 widgets x 20 positions for every hour of 400 days;
  - news_searchqueryhour: 300 distinct queries every hour of 400 days;
  - dashboard_channelhour / dashboard_topArticle / dashboard_ingestday: what the roll-ups keep.
Then each admin page is requested `--runs` times in process (Django test client, an Editor
logged in, after one warm-up) and the median and worst server times are printed, next to
Wagtail's own admin home page measured in the same run as the baseline.

`--grow-to N` (with `--database`) first copies the site into a new database and grows it to N
articles by copying its article pages in SQL, each copy in its channel with its own path, slug
and URL and published earlier (pages and article rows only: no revisions, tags, search rows or
discovery rows, which the analytics pages do not read); the history is then filled for N
articles. `masthead generate` at a million articles takes hours on a small machine; the
analytics pages only read the page and article tables and the hourly rows, so this is the same
load on them.
"""

import argparse
import re
import shutil
import subprocess
import sys
import time

from harness import VAR, environment, masthead, psql, reachable

DATABASE = "masthead_cockpit_bench"
POSTGRES = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"

FILL = """
import django, time
django.setup()
from django.db import connection
views, started = {views}, time.perf_counter()
with connection.cursor() as c:
    c.execute("SELECT count(*) FROM news_articlepage")
    articles = c.fetchone()[0]
    per_article = views / articles
    # Views in hour h after publication: base * 0.98**h over {hours} hours; the sum is per_article.
    base = per_article * (1 - 0.98) / (1 - 0.98 ** {hours})
    c.execute('''
      INSERT INTO engagement_articleactivity (article_id, hour, path, view_count, reaction_count)
      SELECT a.page_ptr_id, date_trunc('hour', now()) - interval '400 days'
               + ((a.page_ptr_id::bigint * 7919) %% (390 * 24)) * interval '1 hour' + h * interval '1 hour',
             p.path, greatest(1, round(%s * power(0.98, h)))::int, round(%s * power(0.98, h) / 40)::int
      FROM news_articlepage a JOIN wagtailcore_page p ON p.id = a.page_ptr_id
      CROSS JOIN generate_series(0, {hours} - 1) h
      ON CONFLICT DO NOTHING''', [base, base])
    c.execute('''
      INSERT INTO engagement_articlesourcehour (article_id, hour, source, view_count)
      SELECT article_id, hour, s.source, greatest(1, view_count / 4)
      FROM engagement_articleactivity CROSS JOIN (VALUES ('home'), ('related'), ('external'), ('ranking')) s(source)
      ON CONFLICT DO NOTHING''')
    c.execute('''
      INSERT INTO engagement_widgethour (hour, widget, position, impression_count, click_count)
      SELECT date_trunc('hour', now()) - h * interval '1 hour', w, p, 10000 / p, 400 / p
      FROM generate_series(0, 400 * 24) h,
           unnest(ARRAY['related','like','ranking','recommendation','story','tags']) w,
           generate_series(1, 20) p
      ON CONFLICT DO NOTHING''')
    c.execute('''
      INSERT INTO news_searchqueryhour (hour, query, search_count, zero_result_count)
      SELECT date_trunc('hour', now()) - h * interval '1 hour', 'query ' || q, 1 + (q % 7), (q % 11 = 0)::int
      FROM generate_series(0, 400 * 24) h, generate_series(1, 300) q
      ON CONFLICT DO NOTHING''')
    c.execute('''
      INSERT INTO dashboard_channelhour (hour, channel_path, view_count, reaction_count)
      SELECT hour, substr(path, 1, 12), sum(view_count), sum(reaction_count)
      FROM engagement_articleactivity GROUP BY 1, 2
      ON CONFLICT DO NOTHING''')
    c.execute("SELECT sum(view_count), count(*) FROM engagement_articleactivity")
    total, rows = c.fetchone()
    c.execute("SELECT count(*) FROM ingest_source WHERE name LIKE 'Bench source %'")
    filled_before = c.fetchone()[0] > 0  # a second run on the same site adds no second history
    if not filled_before:
      c.execute("INSERT INTO ingest_source (name, url, format, policy, poll_minutes, full_text, credit, canonical_to_original, enabled, next_poll_at, failures, last_error, etag, last_modified, items_seen, items_new, items_duplicate, items_held, channel_rules) SELECT 'Bench source ' || s, 'https://bench-s' || s || '.example/feed', 'rss', 'draft', 15, true, '', true, true, now(), 0, '', '', '', 0, 0, 0, 0, '' FROM generate_series(1, 50) s")
      c.execute('''
      INSERT INTO dashboard_ingestday (day, source_id, status, reason, item_count)
      SELECT current_date - d, s.id, st, CASE WHEN st = 'held' THEN 'reason ' || (d % 5) ELSE '' END, 1 + (d % 9)
      FROM generate_series(0, 400) d, ingest_source s, unnest(ARRAY['new','duplicate','near-duplicate','held']) st''')
    c.execute("ANALYZE")
from masthead.dashboard.rollup import top_articles_refresh, widget_days_refresh, search_days_refresh, _mark_set
from django.utils import timezone
t = time.perf_counter()
top_articles_refresh(now=timezone.now())
widget_days_refresh(now=timezone.now())
search_days_refresh(now=timezone.now())
top_seconds = time.perf_counter() - t
_mark_set("channel_hours", timezone.now())
print(f"FILLED {{total}} {{rows}} {{time.perf_counter() - started:.0f}} {{top_seconds:.1f}}")
"""

GROW = """
CREATE FUNCTION pg_temp.step(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                           ((n / (36::bigint ^ (3 - i))::bigint) % 36)::int + 1, 1), '' ORDER BY i)
  FROM generate_series(0, 3) i $$;
TRUNCATE engagement_articleactivity, engagement_articlesourcehour, engagement_widgethour,
         news_searchqueryhour, dashboard_channelhour, dashboard_toparticle, dashboard_widgetday,
         dashboard_searchday, dashboard_searchqueryday, dashboard_rollupmark;
CREATE TEMP TABLE src AS
  SELECT p.id, substr(p.path, 1, length(p.path) - 4) AS parent,
         row_number() OVER (PARTITION BY substr(p.path, 1, length(p.path) - 4) ORDER BY p.id) AS rn,
         row_number() OVER (ORDER BY p.id) AS n
  FROM wagtailcore_page p JOIN news_articlepage a ON a.page_ptr_id = p.id;
CREATE TEMP TABLE parents AS
  SELECT p.path, p.numchild, count(*) AS articles
  FROM wagtailcore_page p JOIN src ON src.parent = p.path GROUP BY p.path, p.numchild;
CREATE TEMP TABLE copies AS
  SELECT src.id AS source_id, k,
         (SELECT max(id) FROM wagtailcore_page) + (k - 1) * (SELECT count(*) FROM src) + src.n AS id,
         src.parent || pg_temp.step(parents.numchild + (k - 1) * parents.articles + src.rn) AS path
  FROM src JOIN parents ON parents.path = src.parent, generate_series(1, {copies}) k
  WHERE (k - 1) * (SELECT count(*) FROM src) + src.n <= {missing};
INSERT INTO wagtailcore_page (id, path, depth, numchild, title, slug, live, has_unpublished_changes,
    url_path, seo_title, show_in_menus, search_description, go_live_at, expire_at, expired,
    content_type_id, owner_id, locked, latest_revision_created_at, first_published_at,
    live_revision_id, last_published_at, draft_title, locked_at, locked_by_id, translation_key,
    locale_id, alias_of_id, latest_revision_id)
  SELECT c.id, c.path, p.depth, 0, p.title, p.slug || '-c' || c.k, p.live, false,
    regexp_replace(p.url_path, '/$', '-c' || c.k || '/'), p.seo_title, p.show_in_menus,
    p.search_description, NULL, NULL, false, p.content_type_id, p.owner_id, false, NULL,
    p.first_published_at - c.k * interval '12 days', NULL,
    p.last_published_at - c.k * interval '12 days', p.draft_title, NULL, NULL,
    gen_random_uuid(), p.locale_id, NULL, NULL
  FROM copies c JOIN wagtailcore_page p ON p.id = c.source_id;
INSERT INTO news_articlepage (page_ptr_id, dek, "column", byline, source_name, source_url,
    is_canonical_at_source, published_at, lead_image_caption, body, lead_image_id, author_id)
  SELECT c.id, a.dek, a."column", a.byline, a.source_name, a.source_url, a.is_canonical_at_source,
    a.published_at - c.k * interval '12 days', a.lead_image_caption, a.body, a.lead_image_id,
    a.author_id
  FROM copies c JOIN news_articlepage a ON a.page_ptr_id = c.source_id;
UPDATE wagtailcore_page p SET numchild = p.numchild + added.n
  FROM (SELECT substr(path, 1, length(path) - 4) AS parent, count(*) AS n FROM copies GROUP BY 1) added
  WHERE p.path = added.parent;
SELECT setval(pg_get_serial_sequence('wagtailcore_page', 'id'), (SELECT max(id) FROM wagtailcore_page));
ANALYZE;
"""

MEASURE = """
import django, statistics, time
django.setup()
from django.contrib.auth.models import Group, User
from django.test import Client
from django.db import connection
from masthead.news.models import ArticlePage
with connection.cursor() as c:
    c.execute("SELECT count(*) FROM engagement_articleactivity"); activity = c.fetchone()[0]
    c.execute("SELECT count(*) FROM engagement_widgethour"); widget = c.fetchone()[0]
    c.execute("SELECT count(*) FROM news_searchqueryhour"); search = c.fetchone()[0]
    c.execute("SELECT count(*) FROM engagement_articlesourcehour"); sources = c.fetchone()[0]
print(f"ROWS {{activity}} {{sources}} {{widget}} {{search}}")
user, _ = User.objects.get_or_create(username="bench-editor")
user.groups.add(Group.objects.get(name="Editors"))
client = Client(SERVER_NAME="localhost")
client.force_login(user)
# The same Editor's rights without the analytics permission: Wagtail's edit view without the tab.
from wagtail.models import GroupCollectionPermission, GroupPagePermission
editors = Group.objects.get(name="Editors")
plain, _ = Group.objects.get_or_create(name="Bench editors without analytics")
plain.permissions.set(editors.permissions.exclude(codename="view_analytics"))
for grant in GroupPagePermission.objects.filter(group=editors):
    GroupPagePermission.objects.get_or_create(group=plain, page=grant.page, permission=grant.permission)
for grant in GroupCollectionPermission.objects.filter(group=editors):
    GroupCollectionPermission.objects.get_or_create(
        group=plain, collection=grant.collection, permission=grant.permission
    )
other, _ = User.objects.get_or_create(username="bench-editor-no-analytics")
other.groups.set([plain])
plain_client = Client(SERVER_NAME="localhost")
plain_client.force_login(other)
article = ArticlePage.objects.order_by("published_at").first()
pages = [
    ("Wagtail admin home (baseline)", "/admin/"),
    ("overview 24 h by hour", "/admin/analytics/?window=24h&bucket=hour"),
    ("overview 30 d by day", "/admin/analytics/?window=30d&bucket=day"),
    ("overview 30 d by hour", "/admin/analytics/?window=30d&bucket=hour"),
    ("article (oldest, {hours} h)", f"/admin/analytics/articles/{{article.pk}}/"),
    ("widgets 24 h", "/admin/analytics/widgets/?window=24h"),
    ("widgets 30 d", "/admin/analytics/widgets/?window=30d"),
    ("search 24 h", "/admin/analytics/search/?window=24h"),
    ("search 30 d", "/admin/analytics/search/?window=30d"),
    ("search 7 d", "/admin/analytics/search/?window=7d"),
    ("ingestion 30 d", "/admin/analytics/ingestion/?window=30d"),
    ("channel edit view (no Analytics tab)", f"/admin/pages/{{article.get_parent().pk}}/edit/"),
    ("article edit view + Analytics tab", f"/admin/pages/{{article.pk}}/edit/"),
    ("same article, editor without the tab", f"/admin/pages/{{article.pk}}/edit/"),
]
for name, url in pages:
    browser = plain_client if "without the tab" in name else client
    answer = browser.get(url)
    assert answer.status_code == 200, url
    assert (b"Analytics" in answer.content) == (browser is client), name
    samples = []
    for _ in range({runs}):
        t = time.perf_counter(); browser.get(url); samples.append((time.perf_counter() - t) * 1000)
    print(f"PAGE {{name}}|{{statistics.median(samples):.1f}}|{{max(samples):.1f}}")
"""


def run(env: dict, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--views", type=int, default=100_000_000)
    parser.add_argument("--hours", type=int, default=250, help="hours each article is read")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database", help="an existing PostgreSQL site to measure instead")
    parser.add_argument("--grow-to", type=int, help="copy --database and grow it to N articles")
    args = parser.parse_args()
    if not reachable(5432):
        sys.exit("PostgreSQL is not reachable on 127.0.0.1:5432; this benchmark needs it.")
    var = VAR / "dashboard"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    started = time.perf_counter()
    if args.database:
        count = "from masthead.news.models import ArticlePage; print(ArticlePage.objects.count())"
        if args.grow_to:
            grown = f"{args.database}_grown"
            psql(f"DROP DATABASE IF EXISTS {grown}")
            psql(f"CREATE DATABASE {grown} TEMPLATE {args.database}")
            args.database = grown
        env = environment(var, f"postgres://postgres@127.0.0.1:5432/{args.database}", "")
        args.articles = int(masthead(env, "shell", "-c", count).strip().splitlines()[-1])
        if args.grow_to and args.grow_to > args.articles:
            missing = args.grow_to - args.articles
            grow = GROW.format(copies=-(-missing // args.articles), missing=missing)
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    args.database,
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    grow,
                ],
                check=True,
            )
            args.articles = int(masthead(env, "shell", "-c", count).strip().splitlines()[-1])
        masthead(env, "collectstatic", "--noinput", "-v0")
    else:
        psql(f"DROP DATABASE IF EXISTS {DATABASE}")
        psql(f"CREATE DATABASE {DATABASE}")
        env = environment(var, POSTGRES, "")
        masthead(env, "migrate", "--noinput", "-v0")
        masthead(env, "collectstatic", "--noinput", "-v0")
        masthead(
            env,
            "generate",
            "--articles",
            str(args.articles),
            "--seed",
            "1",
            "--no-images",
            "--no-discovery",
        )
    built = time.perf_counter() - started
    fill = FILL.format(views=args.views, hours=args.hours)
    filled = re.search(r"FILLED (\d+) (\d+) (\d+) (\S+)", run(env, fill))
    total, rows, seconds, top = filled.groups()
    out = run(env, MEASURE.format(runs=args.runs, hours=args.hours))
    counts = re.search(r"ROWS (\d+) (\d+) (\d+) (\d+)", out).groups()
    print(
        f"Site: {args.articles:,} articles ({built:.0f} s); history: {int(total):,} views in "
        f"{int(rows):,} article-hour rows, filled in {seconds} s"
    )
    print(
        f"Rows: activity {int(counts[0]):,}, view sources {int(counts[1]):,}, widget hours "
        f"{int(counts[2]):,}, search query hours {int(counts[3]):,}"
    )
    print(f"Roll-ups from scratch (most read, widget days, search days): {top} s\n")
    print(f"{'page':<38}{'median ms':>11}{'max ms':>9}")
    baseline = None
    for name, median, worst in re.findall(r"PAGE (.+)\|(\S+)\|(\S+)", out):
        baseline = baseline or float(median)
        ratio = float(median) / baseline
        print(f"{name:<38}{float(median):>11.1f}{float(worst):>9.1f}   {ratio:.2f}x baseline")


if __name__ == "__main__":
    main()
