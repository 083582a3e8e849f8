/* Pipeline board, progressively: a card the user may move can be dragged onto another open stage's column, which
   picks that stage in the card's own move form and submits it (the server checks ownership and the version as for
   the button). Without JavaScript the select and the button do the same. */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !("draggable" in document.createElement("span"))) { return; }
  var dragged = null;

  board.querySelectorAll(".deal-card[data-movable='true']").forEach(function (card) {
    card.setAttribute("draggable", "true");
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      dragged = null;
      board.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
    });
  });

  function target(column) {
    if (!dragged || column.getAttribute("data-stage") === dragged.getAttribute("data-stage")) { return null; }
    var select = dragged.querySelector(".deal-move select");
    if (!select) { return null; }
    var stage = column.getAttribute("data-stage");
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === stage; });
    return option ? select : null;
  }

  board.querySelectorAll(".board-col").forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (target(column)) { event.preventDefault(); column.classList.add("drop-target"); }
    });
    column.addEventListener("dragleave", function () { column.classList.remove("drop-target"); });
    column.addEventListener("drop", function (event) {
      var select = target(column);
      if (!select) { return; }
      event.preventDefault();
      select.value = column.getAttribute("data-stage");
      select.form.submit();
    });
  });
})();
