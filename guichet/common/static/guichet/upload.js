// Uploads with a progress bar: the form posts through XMLHttpRequest, whose upload events
// report progress; without JavaScript the form posts normally. The CSRF token goes in the
// X-CSRFToken header too, so that the server checks it before reading the file.
(function () {
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
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
        let detail = "";
        try { detail = JSON.parse(request.responseText).detail; } catch (e) { detail = ""; }
        if (request.status === 201) {
          status.textContent = detail + " Mise à jour de la page…";
          window.location.reload();
        } else {
          bar.hidden = true;
          status.textContent = detail || ("Le dépôt a échoué (erreur " + request.status + ").");
        }
      });
      request.addEventListener("error", function () {
        bar.hidden = true;
        status.textContent = "Le dépôt a été interrompu : aucun fichier n'a été enregistré. Réessayez.";
      });
      request.send(new FormData(form));
    });
  });
})();
