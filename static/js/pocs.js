// POC board: native drag and drop of the cards by their handle, the "Move…" links that open
// a card's controls in place, and the keyboard focus kept where it was when htmx re-renders
// the board. A drop posts the same move as the card's buttons (`to` = "<hyperscaler id>:
// <position>", `expected` = the board token); without JavaScript the links and the forms
// of an open card do everything.
(function () {
  "use strict";

  function board() { return document.getElementById("pocs-board"); }
  function pocId(card) { return card.id.replace(/^poc-/, ""); }
  function urlFor(template, id) { return template.replace("/0/", "/" + id + "/"); }
  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  // --- drag and drop --------------------------------------------------------------------

  var dragged = null;    // the card being dragged
  var marker = null;     // the drop indicator: an empty <li> where the card would land

  function dropMarker() {
    if (!marker) {
      marker = document.createElement("li");
      marker.className = "drop-indicator";
      marker.setAttribute("aria-hidden", "true");
    }
    return marker;
  }

  function hideMarker() {
    if (marker && marker.parentNode) {
      marker.parentNode.classList.remove("is-drop-target");
      marker.parentNode.removeChild(marker);
    }
  }

  function endDrag() {
    hideMarker();
    if (dragged) { dragged.classList.remove("is-dragging"); }
    dragged = null;
  }

  // The list a pointer over `node` drops into: anywhere in a column counts.
  function listAt(node) {
    var column = closest(node, "#pocs-board .board-col");
    return column ? column.querySelector(".poc-list") : null;
  }

  // The card the dragged one would land before (null: at the end), from the pointer height.
  function cardBefore(list, y) {
    var cards = list.querySelectorAll(".poc-card");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i] === dragged) { continue; }
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return cards[i]; }
    }
    return null;
  }

  // 1-based position of the dropped card: the other cards before `before`, plus one.
  function positionBefore(list, before) {
    var position = 1;
    var cards = list.querySelectorAll(".poc-card");
    for (var i = 0; i < cards.length && cards[i] !== before; i++) {
      if (cards[i] !== dragged) { position += 1; }
    }
    return position;
  }

  document.addEventListener("dragstart", function (event) {
    var handle = closest(event.target, ".drag-handle");
    var card = closest(handle, "#pocs-board .poc-card");
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.querySelector(".poc-customer").textContent);
    var box = card.getBoundingClientRect();
    event.dataTransfer.setDragImage(card, event.clientX - box.left, event.clientY - box.top);
    // Dim the card once the browser has taken its picture for the drag image.
    window.requestAnimationFrame(function () {
      if (dragged === card) { card.classList.add("is-dragging"); }
    });
  });

  // Cancelling dragenter too makes the element under the pointer the drop target; else
  // Chromium sends the next dragover to <body> when the indicator moved the cards.
  document.addEventListener("dragenter", function (event) {
    if (dragged && listAt(event.target)) { event.preventDefault(); }
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    var list = listAt(event.target);
    if (!list) { hideMarker(); return; }
    event.preventDefault();  // this is a drop target
    event.dataTransfer.dropEffect = "move";
    var before = cardBefore(list, event.clientY);
    var mark = dropMarker();
    if (mark.parentNode !== list || mark.nextElementSibling !== before) {
      hideMarker();
      list.insertBefore(mark, before);
      list.classList.add("is-drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) { return; }
    var list = listAt(event.target);
    if (!list) { endDrag(); return; }
    event.preventDefault();
    var card = dragged;
    var from = card.parentNode;
    var before = cardBefore(list, event.clientY);
    var position = positionBefore(list, before);
    var oldPosition = Array.prototype.indexOf.call(from.querySelectorAll(".poc-card"), card) + 1;
    endDrag();
    if (from === list && position === oldPosition) { return; }
    list.insertBefore(card, before);  // shown at once; the answer re-renders the board
    var root = board();
    htmx.ajax("POST", urlFor(root.dataset.moveUrl, pocId(card)), {
      target: "#pocs-board",
      swap: "outerHTML",
      values: { to: list.dataset.hyperscalerId + ":" + position, expected: root.dataset.boardOrder }
    });
  });

  document.addEventListener("dragend", endDrag);

  // --- a card's controls, opened and closed in place -------------------------------------

  document.addEventListener("click", function (event) {
    var link = closest(event.target, "#pocs-board a.poc-open");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey) {
      return;
    }
    event.preventDefault();
    var card = link.closest(".poc-card");
    var root = board();
    link.focus();  // kept on the card's link after the swap (see below)
    htmx.ajax("GET", urlFor(root.dataset.cardUrl, pocId(card)), {
      target: card,
      swap: "outerHTML",
      values: { open: card.classList.contains("is-open") ? "0" : "1",
                expected: root.dataset.boardOrder }
    });
  });

  // --- focus ------------------------------------------------------------------------------

  // Keep the focus on the control that was used (or on its card) after the swap.
  var focusId = null;
  var focusCardLink = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusId = focusCardLink = null;
    if (!closest(active, "#pocs-board")) { return; }
    if (active.id) {
      focusId = active.id;
    } else if (active.classList.contains("poc-open")) {
      focusCardLink = active.closest(".poc-card").id;
    }
  });

  function focusTarget() {
    if (focusCardLink) {
      return document.querySelector("#" + focusCardLink + " .poc-open") ||
        document.getElementById(focusCardLink);
    }
    var target = focusId && document.getElementById(focusId);
    if (focusId && (!target || target.disabled)) {
      // The pressed button is gone or disabled (top or bottom reached, other column):
      // the card's other move button, else the card itself.
      var match = /^(?:poc|stage)-(\d+)/.exec(focusId);
      target = null;
      if (match) {
        ["up", "down"].some(function (way) {
          var button = document.getElementById("poc-" + match[1] + "-" + way);
          if (button && !button.disabled) { target = button; return true; }
          return false;
        });
        target = target || document.getElementById("poc-" + match[1]);
      }
    }
    return target;
  }

  document.addEventListener("htmx:afterSettle", function () {
    var target = focusTarget();
    focusId = focusCardLink = null;
    if (target) { target.focus(); }
  });
})();
