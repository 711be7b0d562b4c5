// Saves a draft form whenever a field changes (R-APP-7): the same POST as the button, with
// X-Autosave so the server answers JSON. Valid values are kept, wrong ones reported at their
// field; the documents' « requis » badges follow the answers; what was typed stays in the page.
(function () {
  const form = document.querySelector("form[data-autosave='1']");
  if (!form) return;
  const status = document.getElementById("autosave-status");
  let timer = null;
  let pending = false;

  function showErrors(errors) {
    form.querySelectorAll("[data-autosave-error]").forEach(function (node) {
      const group = node.parentElement;
      group.classList.remove("fr-input-group--error", "fr-checkbox-group--error");
      node.remove();
    });
    Object.entries(errors).forEach(function ([name, message]) {
      const box = document.getElementById("field-" + name);
      const group = box && box.querySelector(".fr-input-group, .fr-checkbox-group");
      if (!group) return;
      group.classList.add(group.classList.contains("fr-checkbox-group") ?
        "fr-checkbox-group--error" : "fr-input-group--error");
      const text = document.createElement("p");
      text.className = "fr-error-text";
      text.setAttribute("data-autosave-error", "");
      text.textContent = Array.isArray(message) ? message.join(" ") : message;
      group.appendChild(text);
    });
  }

  function showDocuments(documents) {
    Object.entries(documents || {}).forEach(function ([item, required]) {
      const badge = document.querySelector("[data-required-badge='" + item + "']");
      if (!badge) return;
      badge.textContent = required ? "requis" : "non requis actuellement";
      badge.classList.toggle("fr-badge--warning", required);
    });
  }

  async function save() {
    if (pending) { timer = setTimeout(save, 500); return; }
    pending = true;
    status.textContent = "Enregistrement…";
    try {
      const response = await fetch(form.action || window.location.href, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Autosave": "1" },
        credentials: "same-origin",
      });
      const data = await response.json();
      const errors = data.errors || {};
      const count = Object.keys(errors).length;
      showErrors(errors);
      showDocuments(data.documents);
      if (data.saved && count === 0) {
        status.textContent = "Brouillon enregistré à " + data.at + ".";
      } else if (data.saved) {
        status.textContent = "Brouillon enregistré à " + data.at + ", sauf " +
          (count === 1 ? "1 champ à corriger, signalé" : count + " champs à corriger, signalés") +
          " en rouge.";
      } else {
        status.textContent = "Non enregistré : " + Object.values(errors).join(" ");
      }
    } catch (error) {
      status.textContent = "Enregistrement impossible (connexion ?) : vos saisies restent dans la page.";
    } finally {
      pending = false;
    }
  }
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  });
})();
