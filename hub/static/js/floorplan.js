/* Floor plan editor (floorplan.edit): choose a space, click on the plan, and the
   space's x/y inputs are filled in. Progressive enhancement only: without this
   file the admin types x and y in the table, and the server does the rest.
   Loaded with <script src> (the CSP allows no inline scripts); it sets SVG
   attributes, never style attributes. */
(function () {
  "use strict";

  var editor = document.querySelector("[data-floorplan-editor]");
  if (!editor) {
    return;
  }
  var svg = editor.querySelector("svg.floorplan-svg");
  var chooser = editor.querySelector("[data-floorplan-chooser]");
  var select = chooser && chooser.querySelector("select");
  var status = editor.querySelector("[data-floorplan-status]");
  if (!svg || !select) {
    return;
  }
  var width = parseFloat(svg.getAttribute("data-width"));
  var height = parseFloat(svg.getAttribute("data-height"));

  function input(spaceId, axis) {
    return document.getElementById(axis + "_" + spaceId);
  }

  function percent(value) {
    var number = parseFloat(String(value).replace(",", "."));
    return isFinite(number) && number >= 0 && number <= 100 ? number : null;
  }

  function round(value) {
    return Math.round(Math.min(100, Math.max(0, value)) * 100) / 100;
  }

  function spaceName(spaceId) {
    var option = select.querySelector('option[value="' + spaceId + '"]');
    return option ? option.textContent : "";
  }

  /* Move a space's marker to what its inputs say; hide it when they say nothing. */
  function moveMarker(spaceId) {
    var marker = svg.querySelector('.plan-marker[data-space-id="' + spaceId + '"]');
    var xInput = input(spaceId, "x");
    var yInput = input(spaceId, "y");
    if (!marker || !xInput || !yInput) {
      return;
    }
    var x = percent(xInput.value);
    var y = percent(yInput.value);
    if (x === null || y === null) {
      marker.setAttribute("display", "none");
      return;
    }
    marker.setAttribute(
      "transform",
      "translate(" + (x * width) / 100 + " " + (y * height) / 100 + ")"
    );
    marker.removeAttribute("display");
    var label = marker.querySelector("text");
    var r = parseFloat(marker.getAttribute("data-r")) || 0;
    if (label) {
      label.setAttribute("text-anchor", x > 75 ? "end" : "start");
      label.setAttribute("x", String((x > 75 ? -1.6 : 1.6) * r));
    }
  }

  chooser.hidden = false;
  svg.classList.add("is-placing");

  svg.addEventListener("click", function (event) {
    var spaceId = select.value;
    var matrix = svg.getScreenCTM();
    if (!spaceId || !matrix) {
      return;
    }
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var inPlan = point.matrixTransform(matrix.inverse());
    var x = round((inPlan.x / width) * 100);
    var y = round((inPlan.y / height) * 100);
    input(spaceId, "x").value = String(x);
    input(spaceId, "y").value = String(y);
    moveMarker(spaceId);
    if (status) {
      status.textContent =
        spaceName(spaceId) + ": x " + x + " %, y " + y + " %. " + (status.getAttribute("data-hint") || "");
    }
  });

  document.querySelectorAll("input.plan-coordinate").forEach(function (field) {
    field.addEventListener("input", function () {
      moveMarker(field.getAttribute("data-space-id"));
    });
  });
})();
