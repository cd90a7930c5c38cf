// papersift library actions: save/remove and "not interested" update in place via fetch.
// Without JavaScript the same forms post and redirect back (the no-JS fallback).
(function () {
  "use strict";
  if (window.papersift && window.papersift.libraryBound) return;
  window.papersift = window.papersift || {};
  window.papersift.libraryBound = true;

  function token() {
    return window.papersift.csrfToken ? window.papersift.csrfToken() : "";
  }

  function post(url, form) {
    var body = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token" && key !== "next") body[key] = value;
    });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": token() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.message || response.statusText);
        return data;
      });
    });
  }

  function showToggle(form, saved) {
    var button = form.querySelector("button");
    form.action = saved ? form.dataset.removeUrl : form.dataset.addUrl;
    button.classList.toggle("is-saved", saved);
    button.setAttribute("aria-pressed", saved ? "true" : "false");
    button.textContent = saved ? "Saved" : (button.classList.contains("button") ? "Save to library" : "Save");
    button.title = saved ? "Remove from your library" : "Save to your library";
    var card = form.closest(".paper-card, .paper");
    var dismiss = card && card.querySelector(".lib-dismiss");
    if (dismiss) dismiss.hidden = saved;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.dataset ? form.dataset.libAction : null;
    if (!action || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    post(form.action, form).then(function (state) {
      if (action === "toggle") {
        showToggle(form, state.saved);
      } else if (action === "dismiss") {
        var card = form.closest(".paper-card");
        if (card) card.classList.toggle("is-dismissed", state.not_interested);
        button.textContent = state.not_interested ? "Not interested ✕ (undo)" : "Not interested";
        var undo = form.querySelector('input[name="undo"]');
        if (state.not_interested && !undo) {
          undo = document.createElement("input");
          undo.type = "hidden";
          undo.name = "undo";
          undo.value = "1";
          form.appendChild(undo);
        } else if (!state.not_interested && undo) {
          undo.remove();
        }
      }
    }).catch(function (error) {
      button.title = "Could not update: " + error.message;
      form.classList.add("has-error");
    }).finally(function () {
      button.disabled = false;
    });
  });
})();
