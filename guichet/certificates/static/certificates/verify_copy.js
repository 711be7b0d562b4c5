// « Vérifier une copie » without a terminal (R-CRT-9): the PDF chosen or dropped on the page is
// read by the browser, which computes its SHA-256 with Web Crypto — nothing is uploaded — then
// fills in the SHA-256 form and submits it, and the page says which revision of the certificate
// the copy is, or that it matches none. Without JavaScript (or without Web Crypto, outside a
// secure context) the zone stays hidden and the form takes a SHA-256 pasted by hand.
(function () {
  // A certificate's PDF weighs a few hundred kilobytes: anything far bigger is not one, and
  // would be read whole into memory (Web Crypto has no incremental digest).
  const MAX_BYTES = 50 * 1024 * 1024;
  const zone = document.querySelector("[data-copy-check]");
  const form = document.querySelector("[data-copy-form]");
  if (!zone || !form || !window.crypto || !window.crypto.subtle) return;
  const input = zone.querySelector("[data-copy-file]");
  const status = zone.querySelector("[data-copy-status]");
  const field = form.querySelector("input[name=empreinte]");

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), function (byte) {
      return byte.toString(16).padStart(2, "0");
    }).join("");
  }

  function say(text, error) {
    status.textContent = text;
    status.classList.toggle("fr-message", true);
    status.classList.toggle("fr-message--error", Boolean(error));
    status.classList.toggle("fr-message--info", !error);
  }

  async function check(file) {
    if (!file) return;
    if (file.size > MAX_BYTES) {
      say("Ce fichier pèse plus de 50 Mo : ce n'est pas un certificat délivré par l'agence.", true);
      return;
    }
    say("Calcul de l'empreinte SHA-256 de « " + file.name + " »…", false);
    try {
      const digest = await window.crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      field.value = hex(digest);
    } catch (error) {
      say(
        "Votre navigateur n'a pas pu lire ce fichier : calculez son empreinte SHA-256 et " +
          "collez-la ci-dessous.",
        true
      );
      return;
    }
    say("Empreinte calculée : recherche de la révision du certificat qui lui correspond…", false);
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  zone.hidden = false;
  input.addEventListener("change", function () {
    check(input.files && input.files[0]);
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("guichet-copy-drop--over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () {
      zone.classList.remove("guichet-copy-drop--over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    const files = event.dataTransfer && event.dataTransfer.files;
    check(files && files[0]);
  });
})();
