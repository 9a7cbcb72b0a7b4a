/*
 * LTI client-side postMessage platform storage, the platform side (1EdTech "LTI Client Side
 * postMessages" and "LTI postMessage Storage" 0.1), as Canvas offers it: a hidden frame named
 * "post_message_forwarding" beside the tool's iframe stores values per sender origin.
 *
 * Loaded twice: in the activity page (data-lti-storage-role="parent"), which answers
 * lti.capabilities, and in the storage frame (role "frame"), which answers lti.capabilities,
 * lti.put_data and lti.get_data. Answers go only to event.source, with targetOrigin set to
 * event.origin; anything that is not an lti.* request is ignored. `respond` is a pure
 * function so that it can be tested without a browser (module.exports under node).
 */
(function () {
  "use strict";

  var MAX_KEY_LENGTH = 1024;
  var MAX_VALUE_LENGTH = 4096;
  var MAX_KEYS_PER_ORIGIN = 500;
  var PREFIX = "lti-platform-storage|";

  function capabilities(frameName) {
    return [
      { subject: "lti.capabilities" },
      { subject: "lti.put_data", frame: frameName },
      { subject: "lti.get_data", frame: frameName }
    ];
  }

  /* The response to one message, or null to ignore it.
   * storage: { get(origin, key) -> string|null, set(origin, key, value), count(origin) } */
  function respond(data, origin, role, frameName, storage) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      return null;
    }
    var subject = data.subject;
    if (typeof subject !== "string" || subject.indexOf("lti.") !== 0 ||
        /\.response$/.test(subject)) {
      return null;  // not an LTI request (or someone's response): not ours to answer
    }
    if (typeof origin !== "string" || origin === "" || origin === "null") {
      return null;  // an opaque origin cannot be answered without targetOrigin "*"
    }
    var response = { subject: subject + ".response", message_id: data.message_id };
    function error(code, message) {
      response.error = { code: code, message: message };
      return response;
    }
    var id = data.message_id;
    if ((typeof id !== "string" && typeof id !== "number") || id === "") {
      return error("bad_request", "message_id is required");
    }
    if (subject === "lti.capabilities") {
      response.supported_messages = capabilities(frameName);
      return response;
    }
    if (subject !== "lti.put_data" && subject !== "lti.get_data") {
      return error("unsupported_subject", "subject " + subject + " is not supported");
    }
    if (role !== "frame") {
      return error("unsupported_subject",
        "send " + subject + " to the frame window.parent.frames[\"" + frameName + "\"]");
    }
    var key = data.key;
    if (typeof key !== "string" || key === "") {
      return error("bad_request", "key is required (a string)");
    }
    if (key.length > MAX_KEY_LENGTH) {
      return error("bad_request", "key is longer than " + MAX_KEY_LENGTH + " characters");
    }
    response.key = key;
    if (subject === "lti.get_data") {
      var found = storage.get(origin, key);
      response.value = found === undefined ? null : found;
      return response;
    }
    var value = data.value;
    if (typeof value !== "string") {
      return error("bad_request", "value is required (a string)");
    }
    if (value.length > MAX_VALUE_LENGTH) {
      return error("storage_exhaustion", "value is longer than " + MAX_VALUE_LENGTH +
        " characters");
    }
    if (storage.get(origin, key) === null && storage.count(origin) >= MAX_KEYS_PER_ORIGIN) {
      return error("storage_exhaustion", "at most " + MAX_KEYS_PER_ORIGIN +
        " keys per origin");
    }
    storage.set(origin, key, value);
    response.value = value;
    return response;
  }

  function memoryStore() {
    var data = {};
    return {
      get: function (origin, key) {
        var name = JSON.stringify([origin, key]);
        return Object.prototype.hasOwnProperty.call(data, name) ? data[name] : null;
      },
      set: function (origin, key, value) { data[JSON.stringify([origin, key])] = value; },
      count: function (origin) {
        return Object.keys(data).filter(function (name) {
          return JSON.parse(name)[0] === origin;
        }).length;
      }
    };
  }

  /* sessionStorage of this frame (kept across the tool's navigations in this tab). */
  function sessionStore(win) {
    var session;
    try {
      session = win.sessionStorage;
      session.setItem(PREFIX + "probe", "1");
      session.removeItem(PREFIX + "probe");
    } catch (e) {
      return memoryStore();
    }
    function name(origin, key) { return PREFIX + JSON.stringify([origin, key]); }
    return {
      get: function (origin, key) { return session.getItem(name(origin, key)); },
      set: function (origin, key, value) { session.setItem(name(origin, key), value); },
      count: function (origin) {
        var count = 0;
        for (var i = 0; i < session.length; i++) {
          var stored = session.key(i);
          if (stored && stored.indexOf(PREFIX) === 0 &&
              JSON.parse(stored.slice(PREFIX.length))[0] === origin) {
            count++;
          }
        }
        return count;
      }
    };
  }

  function isChildFrame(win, source) {
    for (var i = 0; i < win.frames.length; i++) {
      if (win.frames[i] === source) {
        return true;
      }
    }
    return false;
  }

  function attach(win, script) {
    var role = script.getAttribute("data-lti-storage-role");
    var frameName = script.getAttribute("data-lti-storage-frame") || "post_message_forwarding";
    var storage = role === "frame" ? sessionStore(win) : memoryStore();
    win.addEventListener("message", function (event) {
      var source = event.source;
      if (!source || typeof source.postMessage !== "function") {
        return;
      }
      // The activity page answers only frames it embeds (the tool); the storage frame
      // answers frames of the same page (the tool beside it).
      if (role === "parent" ? !isChildFrame(win, source) : source.parent !== win.parent) {
        return;
      }
      var response = respond(event.data, event.origin, role, frameName, storage);
      if (response !== null) {
        source.postMessage(response, event.origin);
      }
    });
  }

  if (typeof module === "object" && module.exports) {
    module.exports = { respond: respond, memoryStore: memoryStore, capabilities: capabilities };
  } else if (typeof document !== "undefined" && document.currentScript) {
    attach(window, document.currentScript);
  }
})();
