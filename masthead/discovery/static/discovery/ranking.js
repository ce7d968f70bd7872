// The Ranking in a cached page is as of the page's render; this brings it up to date from the
// API (cached for a minute of its own), so the page itself can stay cached until its content changes.
(function () {
  "use strict";
  document.querySelectorAll('[data-widget="ranking"][data-refresh]').forEach(function (box) {
    fetch(box.dataset.refresh, { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (items) {
        if (!items || !items.length) { return; }
        var list = document.createElement("ol");
        items.forEach(function (item) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = item.url;
          link.dataset.target = item.id;
          link.textContent = item.title;
          li.appendChild(link);
          list.appendChild(li);
        });
        box.querySelector("ol").replaceWith(list);
        box.hidden = false;
        box.dataset.fresh = "true";
      });
  });
})();
