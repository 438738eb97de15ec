// POC board: drag and drop with SortableJS, posted through htmx. The move buttons on
// each card do the same without JavaScript; this file only adds the dragging and keeps
// the keyboard focus where it was when the board is re-rendered.
(function () {
  "use strict";

  function board() { return document.getElementById("pocs-board"); }

  function postMove(card, list, index) {
    var root = board();
    if (!root || !card.dataset.moveUrl) { return; }
    htmx.ajax("POST", card.dataset.moveUrl, {
      target: "#pocs-board",
      swap: "outerHTML",
      values: {
        to: list.dataset.hyperscalerId + ":" + (index + 1),
        expected: root.dataset.boardOrder
      }
    });
  }

  function initLists(scope) {
    if (typeof Sortable === "undefined" || !scope.querySelectorAll) { return; }
    scope.querySelectorAll(".poc-list").forEach(function (list) {
      if (list.dataset.sortable === "on") { return; }
      list.dataset.sortable = "on";
      Sortable.create(list, {
        group: "pocs",
        handle: ".drag-handle",
        draggable: ".poc-card",
        animation: 150,
        forceFallback: true,
        fallbackOnBody: true,
        ghostClass: "poc-ghost",
        chosenClass: "poc-chosen",
        dragClass: "poc-drag",
        onEnd: function (event) {
          if (event.from === event.to && event.oldDraggableIndex === event.newDraggableIndex) {
            return;
          }
          postMove(event.item, event.to, event.newDraggableIndex);
        }
      });
    });
  }

  htmx.onLoad(function (element) { initLists(element); });

  // Keep the focus on the button that was pressed (or on its card) after the swap.
  var focusId = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusId = active && active.id && active.closest("#pocs-board") ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!focusId) { return; }
    var target = document.getElementById(focusId);
    if (!target || target.disabled) {
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
    focusId = null;
    if (target) {
      target.focus();
    }
  });
})();
