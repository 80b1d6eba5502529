import Hummingbird
import NIOCore

/// The agent desktop: one self-contained page over the agent API (`/agent/v1`) and the participant API.
enum AgentPage {
    /// The page as a response.
    static var response: Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Parley agent desktop</title>
        <style>
          body { font: 15px system-ui, sans-serif; margin: 0; display: flex; height: 100vh; }
          #side { width: 280px; border-right: 1px solid #ccc; padding: 12px; overflow-y: auto; }
          #main { flex: 1; display: flex; flex-direction: column; padding: 12px; }
          #transcript { flex: 1; overflow-y: auto; border: 1px solid #ddd; padding: 8px; margin: 8px 0; }
          .contact { border: 1px solid #ccc; border-radius: 6px; padding: 6px; margin: 6px 0; cursor: pointer; }
          .CONNECTING { background: #fff6d5; } .CONNECTED { background: #e2f7e2; } .ENDED { background: #eee; }
          .MISSED, .REJECTED { background: #fde2e2; }
          .item { margin: 4px 0; } .who { font-weight: 600; } .sys { color: #666; font-style: italic; }
          #log { font-size: 12px; color: #555; white-space: pre-wrap; }
        </style>
        </head>
        <body>
        <div id="side">
          <form id="login">
            <h3>Parley agent</h3>
            <input id="username" placeholder="username" autocomplete="username"><br>
            <input id="password" type="password" placeholder="password" autocomplete="current-password"><br>
            <button>Log in</button> <span id="loginError"></span>
          </form>
          <div id="desk" hidden>
            <div>Logged in as <b id="me"></b> <button id="logout">Log out</button></div>
            <p>Status: <select id="status"></select> <span id="error"></span></p>
            <h4>Contacts</h4>
            <div id="contacts"></div>
            <h4>Events</h4>
            <div id="log"></div>
          </div>
        </div>
        <div id="main" hidden>
          <div id="title"></div>
          <div id="transcript"></div>
          <form id="send"><input id="text" style="width:70%" placeholder="Type a message"> <button>Send</button></form>
          <p>
            <button id="end">End chat</button> <button id="clear">Clear contact</button>
            Transfer to queue <input id="target" size="12"> <button id="transfer">Transfer</button>
          </p>
        </div>
        <script>
        const $ = (id) => document.getElementById(id);
        let contacts = {}, selected = null, connections = {}, source = null;
        async function api(method, path, body) {
          const response = await fetch(path, { method, credentials: "same-origin",
            headers: { "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
          const json = await response.json().catch(() => ({}));
          if (!response.ok) throw new Error(json.message || response.statusText);
          return json;
        }
        async function participant(path, token, body) {
          const response = await fetch("/participant/" + path, { method: "POST",
            headers: { "Content-Type": "application/json", "X-Amz-Bearer": token }, body: JSON.stringify(body || {}) });
          const json = await response.json().catch(() => ({}));
          if (!response.ok) throw new Error(json.message || response.statusText);
          return json;
        }
        function log(text) { $("log").textContent = text + "\n" + $("log").textContent.slice(0, 4000); }
        $("login").onsubmit = async (event) => {
          event.preventDefault();
          try {
            await api("POST", "/agent/v1/login", { Username: $("username").value, Password: $("password").value });
            await start();
          } catch (error) { $("loginError").textContent = error.message; }
        };
        $("logout").onclick = async () => {
          try { await api("POST", "/agent/v1/logout"); location.reload(); } catch (error) { alert(error.message); }
        };
        $("status").onchange = async () => {
          try { await api("PUT", "/agent/v1/status", { AgentStatusId: $("status").value }); }
          catch (error) { alert(error.message); }
        };
        async function start() {
          const me = await api("GET", "/agent/v1/me");
          $("login").hidden = true; $("desk").hidden = false; $("me").textContent = me.Username;
          const { AgentStatuses } = await api("GET", "/agent/v1/statuses");
          $("status").innerHTML = AgentStatuses.map(s =>
            `<option value="${s.AgentStatusId}" ${s.AgentStatusId === me.AgentStatusId ? "selected" : ""}>${s.Name}</option>`).join("");
          $("error").textContent = me.InError ? "missed or rejected a contact: set a status" : "";
          contacts = {};
          for (const slot of me.Slots) contacts[slot.ContactId] = { state: slot.State, token: slot.ParticipantToken };
          render();
          if (source) source.close();
          source = new EventSource("/agent/v1/events/stream?after=" + me.LastEvent);
          for (const kind of ["CONTACT", "STATUS", "SESSION"]) source.addEventListener(kind, (message) => onEvent(JSON.parse(message.data)));
        }
        function onEvent(entry) {
          log(`${entry.Timestamp} ${entry.Kind} ${entry.State} ${entry.ContactId || entry.AgentStatusId || ""} ${entry.Reason || ""}`);
          if (entry.Kind === "STATUS") { $("status").value = entry.AgentStatusId; $("error").textContent = ""; }
          if (entry.Kind === "SESSION" && entry.State === "LOGGED_OUT") { source.close(); location.reload(); }
          if (entry.Kind !== "CONTACT") return;
          if (entry.State === "MISSED" || entry.State === "REJECTED") $("error").textContent = entry.State.toLowerCase() + ": set a status";
          if (entry.State === "CLEARED") delete contacts[entry.ContactId];
          else contacts[entry.ContactId] = { ...(contacts[entry.ContactId] || {}), state: entry.State,
            token: entry.ParticipantToken || (contacts[entry.ContactId] || {}).token };
          render();
        }
        function render() {
          $("contacts").innerHTML = "";
          for (const [id, contact] of Object.entries(contacts)) {
            const div = document.createElement("div");
            div.className = "contact " + contact.state;
            div.innerHTML = `<div>${contact.state}</div><small>${id}</small>`;
            if (contact.state === "CONNECTING") {
              for (const action of ["accept", "reject"]) {
                const button = document.createElement("button");
                button.textContent = action;
                button.onclick = async (event) => { event.stopPropagation();
                  try { await api("POST", `/agent/v1/contacts/${id}/${action}`); } catch (error) { alert(error.message); } };
                div.appendChild(button);
              }
            }
            div.onclick = () => { selected = id; $("main").hidden = false; $("title").textContent = "Contact " + id; refresh(); };
            $("contacts").appendChild(div);
          }
        }
        async function connection(id) {
          const contact = contacts[id];
          if (!contact || !contact.token) return null;
          if (!connections[id]) {
            const answer = await participant("connection", contact.token, { Type: ["CONNECTION_CREDENTIALS"], ConnectParticipant: true });
            connections[id] = answer.ConnectionCredentials.ConnectionToken;
          }
          return connections[id];
        }
        async function refresh() {
          if (!selected) return;
          try {
            const token = await connection(selected);
            if (!token) { $("transcript").textContent = "not connected"; return; }
            const answer = await participant("transcript", token, { MaxResults: 100, ScanDirection: "BACKWARD", SortOrder: "ASCENDING" });
            $("transcript").innerHTML = answer.Transcript.map(item => item.Type === "MESSAGE"
              ? `<div class="item"><span class="who">${item.DisplayName || item.ParticipantRole}:</span> ${escape(item.Content)}</div>`
              : `<div class="item sys">${item.ContentType}</div>`).join("");
          } catch (error) { $("transcript").textContent = error.message; }
        }
        function escape(text) { const div = document.createElement("div"); div.textContent = text || ""; return div.innerHTML; }
        $("send").onsubmit = async (event) => {
          event.preventDefault();
          try {
            const token = await connection(selected);
            await participant("message", token, { ContentType: "text/plain", Content: $("text").value });
            $("text").value = ""; refresh();
          } catch (error) { alert(error.message); }
        };
        for (const action of ["end", "clear"]) $(action).onclick = async () => {
          try { await api("POST", `/agent/v1/contacts/${selected}/${action}`); } catch (error) { alert(error.message); }
        };
        $("transfer").onclick = async () => {
          try { await api("POST", `/agent/v1/contacts/${selected}/transfer`, { QueueId: $("target").value }); }
          catch (error) { alert(error.message); }
        };
        setInterval(refresh, 2000);
        api("GET", "/agent/v1/me").then(start).catch(() => {});
        </script>
        </body>
        </html>
        """#
}
