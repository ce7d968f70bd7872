// Masthead reader script: counts the view, loads what is personal, runs the reaction buttons.
// The page is complete without it; it only adds live state on top of the cached HTML.
(function () {
  "use strict";
  var article = document.querySelector("article[data-article-id]");
  var csrfToken = null;

  function beacon(payload) {
    var body = JSON.stringify(payload);
    if (navigator.sendBeacon) {
      navigator.sendBeacon("/api/v1/events", new Blob([body], { type: "application/json" }));
    } else {
      fetch("/api/v1/events", { method: "POST", body: body, keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json" } });
    }
  }

  function showReaction(button, state) {
    button.querySelector(".reaction__count").textContent = state.count;
    button.setAttribute("aria-pressed", state.active ? "true" : "false");
    button.classList.toggle("reaction--active", state.active);
  }

  // The cached page carries the non-personal list; the reader's own replaces it.
  function showRecommendation(items) {
    var box = document.querySelector('[data-widget="recommendation"]');
    if (!box || !items || !items.length) { return; }
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.dataset.target = item.id;
      link.textContent = item.title;
      var reason = document.createElement("span");
      reason.className = "widget__reason";
      reason.textContent = item.reason;
      li.appendChild(link);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(reason);
      list.appendChild(li);
    });
    box.querySelector("ul").replaceWith(list);
    box.dataset.personal = "true";
  }

  function say(message) {
    var box = document.querySelector("[data-reactions]");
    var note = box.querySelector(".reactions__note") || box.appendChild(document.createElement("span"));
    note.className = "reactions__note";
    note.setAttribute("role", "status");
    note.textContent = message;
  }

  function react(event) {
    var button = event.target.closest("[data-kind]");
    if (!button || !csrfToken) { return; }  // without state yet, fall back to the plain form
    event.preventDefault();
    var wasActive = button.getAttribute("aria-pressed") === "true";
    var count = parseInt(button.querySelector(".reaction__count").textContent, 10) || 0;
    var before = { count: count, active: wasActive };
    showReaction(button, { count: count + (wasActive ? -1 : 1), active: !wasActive });  // optimistic
    fetch("/api/v1/articles/" + article.dataset.articleId + "/reactions/" + button.dataset.kind, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ active: !wasActive })
    }).then(function (response) {
      if (response.status === 429) {
        var wait = response.headers.get("Retry-After") || "a few";
        throw new Error("Too many reactions; try again in " + wait + " s.");
      }
      if (!response.ok) { throw new Error("Your reaction was not saved; please try again."); }
      return response.json();
    }).then(function (state) {
      showReaction(button, state);  // the server's answer wins
      say("");
    }).catch(function (error) {
      showReaction(button, before);
      say(error.message);
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-widget] a[data-target]");
    if (link && article) {
      beacon({ type: "click", widget: link.closest("[data-widget]").dataset.widget,
               article: parseInt(article.dataset.articleId, 10), target: parseInt(link.dataset.target, 10) });
    }
  });

  if (!article) { return; }
  var id = parseInt(article.dataset.articleId, 10);
  beacon({ type: "view", article: id });
  fetch("/api/v1/articles/" + id + "/reader-context", { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (context) {
      if (!context) { return; }
      csrfToken = context.csrf_token;
      context.reactions.forEach(function (state) {
        var button = document.querySelector('[data-reactions] [data-kind="' + state.kind + '"]');
        if (button) { showReaction(button, state); }
      });
      if (context.recommendation_personal) { showRecommendation(context.recommendation); }
      document.documentElement.dataset.readerReady = "true";
    });
  document.addEventListener("click", react);
})();
