/* "Afdrukken" on the case page: first record the export in the access log (POST to the
   form's action), then open the browser's print dialog (static/css/print.css applies).
   Without script the form posts normally and the case page comes back with a hint.
   Also the "Afdrukken" button of the paper survey invitation (data-kk-print-now). */
(function () {
  "use strict";
  function csrfToken(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  // A page that is printed without recording anything first (the paper survey invitation,
  // whose making was the logged request): a plain button.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-kk-print-now]")) {
      window.print();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-kk-print")) {
      return;
    }
    event.preventDefault();
    var status = form.querySelector("[data-kk-print-status]");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        window.print();
      })
      .catch(function () {
        if (status) {
          status.textContent = status.getAttribute("data-kk-print-error") || "";
        }
      });
  });
})();
