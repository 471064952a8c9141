/* Copy buttons for read-only address fields (calendar.subscriptions).
   Progressive enhancement only: without this file (or without the Clipboard
   API) the address stays a selectable read-only field and nothing else is
   shown. Loaded with <script src> (the CSP allows no inline scripts).

   Markup: <input readonly data-copy data-copy-label="Copy" data-copied-label="Copied">
   The labels come from the page so they are translated with the rest of it. */
(function () {
  "use strict";

  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }

  function enhance(input) {
    var label = input.getAttribute("data-copy-label") || "Copy";
    var copied = input.getAttribute("data-copied-label") || "Copied";
    var labelText = document.querySelector('label[for="' + input.id + '"]');
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ds-button";
    button.setAttribute("data-variant", "secondary");
    button.setAttribute("data-size", "sm");
    button.textContent = label;
    if (labelText) {
      // "Copy" alone is ambiguous with two fields: name the field for screen readers.
      var hidden = document.createElement("span");
      hidden.className = "ds-sr-only";
      hidden.textContent = " " + labelText.textContent;
      button.appendChild(hidden);
    }
    var status = document.createElement("span");
    status.className = "ds-sr-only";
    status.setAttribute("role", "status");
    var timer = null;

    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(
        function () {
          button.firstChild.nodeValue = copied;
          status.textContent = copied;
          window.clearTimeout(timer);
          timer = window.setTimeout(function () {
            button.firstChild.nodeValue = label;
            status.textContent = "";
          }, 3000);
        },
        function () {
          // Copying was refused: select the text so Ctrl+C / Cmd+C works.
          input.focus();
          input.select();
        }
      );
    });

    input.insertAdjacentElement("afterend", status);
    input.insertAdjacentElement("afterend", button);
  }

  var inputs = document.querySelectorAll("input[data-copy]");
  for (var i = 0; i < inputs.length; i += 1) {
    enhance(inputs[i]);
  }
})();
