/* The class grid (portal/grid.py): keyboard entry and autosave on top of the plain form.
 *
 * The grid is one stop in the tab order (a roving tabindex); in it a level's key sets the
 * focused cell, queues it for saving and moves down to the next pupil, so assessing a class on
 * one row is one key press per pupil. Arrow keys move, Delete/Backspace clears, a click on a
 * level chooses it. Saves go one request at a time with the version each cell showed; a cell a
 * colleague changed meanwhile comes back as a conflict: the page shows their value and says
 * so, and the cell is not sent again until the teacher chooses anew.
 * Without this script the page is a plain form that saves every changed cell on submit.
 */
(function () {
  "use strict";

  var form = document.getElementById("grid-form");
  var table = document.getElementById("grid");
  if (!form || !table || !window.fetch) {
    return;
  }
  var status = document.getElementById("grid-status");
  var conflictBox = document.getElementById("grid-conflicts");
  var conflictList = conflictBox.querySelector("ul");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var lines = Array.prototype.slice.call(table.tBodies[0].rows);
  var pending = new Map(); // "pupil_row" -> td, waiting to be sent
  var sent = new Map(); // "pupil_row" -> the level id sent ("" for none), while in flight
  var retry = new Map(); // "pupil_row" -> td whose save failed: sent again with the next change
  var inFlight = false;
  var timer = null;
  var active = null;

  // --- Levels and their keys -------------------------------------------------------------
  var keys = {}; // key -> level id ("" clears)
  var labels = { "": form.dataset.noLevel };
  var firstCell = lines.length ? lines[0].querySelector("td[data-pupil]") : null;
  if (!firstCell) {
    return;
  }
  var levelRadios = firstCell.querySelectorAll("input[type=radio][data-key]");
  var shortLabels = true;
  levelRadios.forEach(function (radio) {
    var label = radio.nextElementSibling.textContent.trim();
    keys[radio.dataset.key] = radio.value;
    labels[radio.value] = label;
    shortLabels = shortLabels && label.length === 1;
  });
  if (shortLabels) {
    // Single-letter levels (E, C, A) also answer to their letter, when no digit is taken by it.
    levelRadios.forEach(function (radio) {
      var letter = labels[radio.value].toLowerCase();
      if (!(letter in keys)) {
        keys[letter] = radio.value;
      }
    });
  }

  // --- Cells -----------------------------------------------------------------------------
  function keyOf(td) {
    return td.dataset.pupil + "_" + td.dataset.row;
  }
  function radios(td) {
    return td.querySelectorAll("input[type=radio]");
  }
  function chosen(td) {
    var checked = td.querySelector("input[type=radio]:checked");
    return checked ? checked.value : "";
  }
  function shown(td) {
    return td.querySelector("input[type=hidden]");
  }
  function cellAt(line, column) {
    var tr = lines[line];
    if (!tr) {
      return null;
    }
    var cells = tr.querySelectorAll("td[data-pupil]");
    return cells[column] || null;
  }
  function positionOf(td) {
    var tr = td.parentElement;
    var cells = Array.prototype.slice.call(tr.querySelectorAll("td[data-pupil]"));
    return [lines.indexOf(tr), cells.indexOf(td)];
  }

  // The roving tabindex: only the active cell's chosen level is in the tab order.
  function activate(td, focus) {
    if (active && active !== td) {
      radios(active).forEach(function (radio) {
        radio.tabIndex = -1;
      });
    }
    active = td;
    var target = td.querySelector("input[type=radio]:checked") || radios(td)[0];
    radios(td).forEach(function (radio) {
      radio.tabIndex = radio === target ? 0 : -1;
    });
    if (focus) {
      target.focus();
    }
  }
  function go(line, column) {
    var td = cellAt(line, column);
    if (td) {
      activate(td, true);
    }
  }

  function setLevel(td, value) {
    var radio = td.querySelector('input[type=radio][value="' + value + '"]');
    if (radio) {
      radio.checked = true;
    }
  }

  // --- Conflicts -------------------------------------------------------------------------
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) {
      return name in values ? values[name] : "";
    });
  }
  function clearConflict(td) {
    var item = document.getElementById("conflict-" + keyOf(td));
    if (item) {
      item.remove();
    }
    var group = td.querySelector("[role=radiogroup]");
    group.removeAttribute("aria-describedby");
    conflictBox.hidden = !conflictList.children.length;
  }
  function showConflict(td, conflict, yours) {
    var id = "conflict-" + keyOf(td);
    var item = document.getElementById(id);
    if (!item) {
      item = document.createElement("li");
      item.id = id;
      conflictList.appendChild(item);
    }
    var header = document.getElementById("r" + td.dataset.row);
    var level = conflict.current_level_id === null ? "" : String(conflict.current_level_id);
    item.textContent = fill(form.dataset.conflictText, {
      pupil: document.getElementById("p" + td.dataset.pupil).dataset.name,
      row: header ? header.textContent.trim() : "",
      author: conflict.current_author || form.dataset.colleague,
      level: labels[level] || labels[""],
      yours: labels[yours] || labels[""],
    });
    td.querySelector("[role=radiogroup]").setAttribute("aria-describedby", id);
    conflictBox.hidden = false;
  }

  // --- Saving ----------------------------------------------------------------------------
  function say(text) {
    if (text && status.textContent !== text) {
      status.textContent = text;
    }
  }
  function queue(td) {
    if (td.dataset.state === "conflict") {
      clearConflict(td);
    }
    retry.forEach(function (waiting, key) {
      pending.set(key, waiting);
    });
    retry.clear();
    td.dataset.state = "pending";
    pending.set(keyOf(td), td);
    say(status.dataset.savingText);
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, 120);
  }

  function flush() {
    timer = null;
    if (inFlight || pending.size === 0) {
      return;
    }
    var batch = Array.from(pending.values());
    pending.clear();
    var cells = batch.map(function (td) {
      var value = chosen(td);
      sent.set(keyOf(td), value);
      return {
        pupil_id: Number(td.dataset.pupil),
        row_id: Number(td.dataset.row),
        level_id: value === "" ? null : Number(value),
        expected_version: Number(shown(td).value.split(".")[0]),
      };
    });
    inFlight = true;
    fetch(form.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
      },
      body: JSON.stringify({ cells: cells }),
    })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body };
          },
          function () {
            return { ok: false, body: null };
          }
        );
      })
      .then(function (answer) {
        if (answer.ok) {
          applied(answer.body, batch);
        } else {
          failed(batch, (answer.body && answer.body.status) || status.dataset.errorText);
        }
      })
      .catch(function () {
        failed(batch, status.dataset.offlineText);
      })
      .then(function () {
        inFlight = false;
        sent.clear();
        if (pending.size) {
          flush();
        }
      });
  }

  function applied(body, batch) {
    var byKey = new Map(
      batch.map(function (td) {
        return [keyOf(td), td];
      })
    );
    body.saved.concat(body.unchanged).forEach(function (state) {
      var key = state.pupil_id + "_" + state.row_id;
      var td = byKey.get(key);
      if (!td) {
        return;
      }
      shown(td).value = state.version + "." + (state.level_id === null ? "" : state.level_id);
      if (!pending.has(key)) {
        td.dataset.state = "saved";
      }
    });
    body.conflicts.forEach(function (conflict) {
      var key = conflict.pupil_id + "_" + conflict.row_id;
      var td = byKey.get(key);
      if (!td) {
        return;
      }
      var level = conflict.current_level_id === null ? "" : String(conflict.current_level_id);
      // Theirs is shown and kept: a newer choice made meanwhile is not sent over it unseen.
      pending.delete(key);
      shown(td).value = conflict.current_version + "." + level;
      setLevel(td, level);
      td.dataset.state = "conflict";
      showConflict(td, conflict, sent.get(key));
      if (td === active) {
        activate(td, td.contains(document.activeElement));
      }
    });
    say(body.status);
  }

  function failed(batch, text) {
    // Kept for the next save: the teacher's choices stay on the page and go with the next change.
    batch.forEach(function (td) {
      td.dataset.state = "error";
      retry.set(keyOf(td), td);
    });
    say(text);
  }

  // --- Keyboard and mouse ----------------------------------------------------------------
  table.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "radio") {
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var td = input.closest("td");
    var position = positionOf(td);
    var line = position[0];
    var column = position[1];
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (Object.prototype.hasOwnProperty.call(keys, key)) {
      event.preventDefault();
      setLevel(td, keys[key]);
      queue(td);
      if (line + 1 < lines.length) {
        go(line + 1, column);
      } else {
        activate(td, true);
      }
      return;
    }
    switch (event.key) {
      case "Delete":
      case "Backspace":
        setLevel(td, "");
        queue(td);
        activate(td, true);
        break;
      case "ArrowDown":
      case "Enter":
        go(line + 1, column);
        break;
      case "ArrowUp":
        go(line - 1, column);
        break;
      case "ArrowLeft":
        go(line, column - 1);
        break;
      case "ArrowRight":
        go(line, column + 1);
        break;
      case "Home":
        go(line, 0);
        break;
      case "End":
        go(line, td.parentElement.querySelectorAll("td[data-pupil]").length - 1);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  table.addEventListener("change", function (event) {
    var td = event.target.closest("td[data-pupil]");
    if (td) {
      activate(td, false);
      queue(td);
    }
  });

  table.addEventListener("focusin", function (event) {
    var td = event.target.closest("td[data-pupil]");
    if (td && td !== active) {
      activate(td, false);
    }
  });

  // --- Start -----------------------------------------------------------------------------
  table.querySelectorAll("input[type=radio]").forEach(function (radio) {
    radio.tabIndex = -1;
  });
  activate(firstCell, false);
  document.querySelectorAll(".grid-help-js").forEach(function (help) {
    help.hidden = false;
  });
  document.querySelectorAll(".grid-help-plain").forEach(function (help) {
    help.hidden = true;
  });
  form.classList.add("grid-live");
})();
