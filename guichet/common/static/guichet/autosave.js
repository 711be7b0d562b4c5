// Saves a draft form whenever a field changes (R-APP-7): the same POST as the button, with
// X-Autosave so the server answers JSON. Valid values are kept, wrong ones reported; what was
// typed stays in the page.
(function () {
  const form = document.querySelector("form[data-autosave='1']");
  if (!form) return;
  const status = document.getElementById("autosave-status");
  let timer = null;
  let pending = false;
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
      const errors = Object.values(data.errors || {});
      if (data.saved && errors.length === 0) {
        status.textContent = "Brouillon enregistré à " + data.at + ".";
      } else if (data.saved) {
        status.textContent = "Brouillon enregistré à " + data.at + ", sauf " + errors.length +
          " champ(s) à corriger : " + errors.join(" ");
      } else {
        status.textContent = "Non enregistré : " + errors.join(" ");
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
