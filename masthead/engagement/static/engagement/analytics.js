// Masthead analytics beacons: where a reader came from inside the site, what each widget showed,
// and which position of a widget was clicked. Nothing about the reader is sent beyond the
// first-party cookie the view beacon already uses.
(function () {
  "use strict";
  var KEY = "mh_from";
  var article = document.querySelector("article[data-article-id]");

  function send(path, payload) {
    var body = JSON.stringify(payload);
    if (navigator.sendBeacon) {
      navigator.sendBeacon(path, new Blob([body], { type: "application/json" }));
    } else {
      fetch(path, { method: "POST", body: body, keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json" } });
    }
  }

  // The kind of listing this page is, for links that are not inside a widget.
  function pageKind() {
    var path = window.location.pathname;
    if (article) { return "article"; }
    if (path === "/") { return "home"; }
    if (path.indexOf("/search/") === 0) { return "search"; }
    if (path.indexOf("/tags/") === 0) { return "tag"; }
    return "channel";
  }

  function remember(place) {
    try { window.sessionStorage.setItem(KEY, place); } catch (e) { /* storage off: origin unknown */ }
  }

  function cameFrom() {
    var place = null;
    try { place = window.sessionStorage.getItem(KEY); window.sessionStorage.removeItem(KEY); } catch (e) { }
    var referrer = document.referrer;
    if (!referrer) { return "direct"; }
    if (new URL(referrer).origin !== window.location.origin) { return "external"; }
    return place || pageKind();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link || link.origin !== window.location.origin) { return; }
    var box = link.closest("[data-widget]");
    remember(box ? box.dataset.widget : pageKind());
    if (box && article && link.dataset.target) {
      var links = Array.prototype.slice.call(box.querySelectorAll("a[data-target]"));
      send("/api/v1/events/widget-click", {
        article: parseInt(article.dataset.articleId, 10), widget: box.dataset.widget,
        position: links.indexOf(link) + 1, target: parseInt(link.dataset.target, 10) });
    }
  }, true);

  if (!article) { return; }
  var shown = {};
  document.querySelectorAll("[data-widget]").forEach(function (box) {
    var n = box.querySelectorAll("a[data-target]").length;
    if (n) { shown[box.dataset.widget] = n; }
  });
  send("/api/v1/events/shown", { article: parseInt(article.dataset.articleId, 10), source: cameFrom(), shown: shown });
})();
