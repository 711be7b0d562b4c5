// Uploads with a progress bar: the form posts through XMLHttpRequest, whose upload events
// report progress; without JavaScript the form posts normally. The CSRF token goes in the
// X-CSRFToken header too, so that the server checks it before reading the file.
// When the server sends the part of the page the upload changed (`html` of the proof, its
// section's title and progress, the dossier's progress), it is replaced in place: the open
// section and the scroll position stay, and the confirmation is read at the proof. Otherwise
// the page reloads.
(function () {
  function replaceInPlace(form, data) {
    const block = document.getElementById("proof-" + data.proof);
    if (!block || !data.html) return false;
    const holder = document.createElement("div");
    holder.innerHTML = data.html.trim();
    const fresh = holder.firstElementChild;
    block.replaceWith(fresh);
    const section = data.section || {};
    const title = document.querySelector("[data-section-title='" + section.code + "']");
    if (title) title.textContent = section.title;
    const bar = document.querySelector("[data-section-progress='" + section.code + "']");
    if (bar) bar.value = section.percent;
    const submit = document.querySelector("[data-section-submit='" + section.code + "']");
    if (submit) {
      submit.disabled = !section.complete;
      if (section.complete) submit.removeAttribute("title");
    }
    if (data.progress) {
      const text = document.querySelector("[data-progress-text]");
      if (text) text.textContent = data.progress.text;
      const total = document.querySelector("[data-progress]");
      if (total) total.value = data.progress.percent;
    }
    let status = fresh.querySelector("[data-upload-status]");
    if (!status) {
      status = document.createElement("p");
      fresh.appendChild(status);
    }
    status.classList.add("fr-message", "fr-message--valid");
    status.setAttribute("role", "status");
    status.textContent = data.detail;
    fresh.querySelectorAll("form[data-upload]").forEach(bind);
    return true;
  }

  // A refusal is the DSFR error of the file input (its upload group in error, the message
  // tied to the input by aria-describedby), as the page shows it without JavaScript.
  function showError(form, message) {
    const input = form.querySelector("input[type=file]");
    const group = form.querySelector("[data-upload-group]");
    if (!input || !group) return false;
    const id = input.id + "-error";
    let text = document.getElementById(id);
    if (!text) {
      text = document.createElement("p");
      text.className = "fr-error-text";
      text.id = id;
      group.appendChild(text);
    }
    text.textContent = message;
    group.classList.add("fr-upload-group--error");
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(id) < 0) described.push(id);
    input.setAttribute("aria-describedby", described.join(" "));
    input.focus();
    return true;
  }

  function clearError(form) {
    const input = form.querySelector("input[type=file]");
    const group = form.querySelector("[data-upload-group]");
    if (!input || !group) return;
    const id = input.id + "-error";
    const text = document.getElementById(id);
    if (text) text.remove();
    group.classList.remove("fr-upload-group--error");
    const described = (input.getAttribute("aria-describedby") || "").split(" ")
      .filter(function (value) { return value && value !== id; });
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function bind(form) {
    const bar = form.querySelector("progress");
    const status = form.querySelector("[data-upload-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-Requested-With", "fetch");
      const token = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (token) {
        request.setRequestHeader("X-CSRFToken", token.value);
      }
      clearError(form);
      bar.hidden = false;
      bar.value = 0;
      status.textContent = "Envoi en cours…";
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = "Envoi : " + bar.value + " %";
        }
      });
      request.addEventListener("load", function () {
        let data = {};
        try { data = JSON.parse(request.responseText); } catch (e) { data = {}; }
        if (request.status === 201) {
          if (!replaceInPlace(form, data)) {
            status.textContent = (data.detail || "") + " Mise à jour de la page…";
            window.location.reload();
          }
        } else {
          bar.hidden = true;
          const message = data.detail || ("Le dépôt a échoué (erreur " + request.status + ").");
          status.textContent = showError(form, message) ? "" : message;
        }
      });
      request.addEventListener("error", function () {
        bar.hidden = true;
        status.textContent = "Le dépôt a été interrompu : aucun fichier n'a été enregistré. Réessayez.";
      });
      request.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(bind);
})();
