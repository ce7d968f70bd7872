# Varnish in front of Masthead, purged by surrogate key (xkey from Debian's varnish-modules).
#
# Masthead tags every public page with the keys of what it shows (`xkey` response header: the
# articles, channels, tags and discovery lists on it) and, on each publish, edit, unpublish, move
# or delete, sends `PURGE /` with an `xkey-purge` header naming the keys that change. Pages
# therefore stay cached for their s-maxage (a day by default) and go stale the moment something
# they show changes.
#
# A purge is soft: the purged copy stays, expired, and the first reader after it starts one
# background fetch of the new page. Until that fetch lands (one page render) readers get the
# purged copy at once instead of queueing behind gunicorn; a second after the purge
# (`req.grace` below) nobody does, and requests wait for the fetch. So a change shows within a
# second, and a page purged while thousands of readers ask for it is rendered once.
#
#   apt-get install varnish varnish-modules
#   varnishd -F -a 127.0.0.1:6081 -f /path/to/masthead.vcl -s malloc,256m
#   MASTHEAD_FRONT_CACHE_URLS=http://127.0.0.1:6081/ on every Masthead web node.
vcl 4.1;

import xkey;

# The Masthead web nodes (gunicorn); add a director for several.
backend masthead {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}

# Who may purge: the Masthead web nodes and task workers.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "No xkey-purge header"));
        }
        # Soft: the old copy may be served in grace while one fetch renders the new page. Hard
        # (the repeat purge): the copy may have been rendered before the change, so it goes.
        if (req.http.xkey-hard) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        } else {
            set req.http.n-gone = xkey.softpurge(req.http.xkey-purge);
        }
        return (synth(200, "Purged " + req.http.n-gone));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Signed-in editors see the site as it is, never a cached copy.
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Personal or per-request paths; the API's public Ranking is cached for its own max-age.
    if (req.url ~ "^/(admin|django-admin|search|articles|events|documents)/") {
        return (pass);
    }
    if (req.url ~ "^/api/" && req.url !~ "^/api/v1/ranking(\?|$)") {
        return (pass);
    }
    # A public page is the same for every reader: their cookies matter only to /api/.
    unset req.http.Cookie;
    # A purged (or expired) copy is served for at most 0.9 s while its replacement is fetched:
    # the purge arrives some 60 ms after the commit, so within a second of the change.
    set req.grace = 0.9s;
    return (hash);
}

sub vcl_backend_response {
    if (beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Kept this long after a purge or expiry so a soft purge leaves a copy to serve while the new
    # one is fetched; `req.grace` decides how much of it a reader may be given (1 s).
    set beresp.grace = 30s;
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The keys are for caches; Surrogate-Key and Cache-Tag stay for a CDN in front of Varnish.
    unset resp.http.xkey;
}
