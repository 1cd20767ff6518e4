// The operations map: every bus where it is now, which ones went quiet, and where one has just been.
// Live updates come over the WebSocket API (see the README's protocol); while the socket is down
// the page polls GET /v1/buses and says so. Settings come from config.json beside this page.
"use strict";

(async function main() {
  const TRAIL_MINUTES = 15;
  const POLL_SECONDS = 5;
  const PING_SECONDS = 5 * 60; // API Gateway closes a socket after 10 idle minutes
  const MAX_BACKOFF_SECONDS = 30;

  const statusElement = document.getElementById("status");
  const countsElement = document.getElementById("counts");
  const details = document.getElementById("details");
  const busIdList = document.getElementById("bus-ids");

  function showStatus(text, level) {
    statusElement.textContent = text;
    statusElement.className = level || "";
  }

  let config;
  try {
    const answer = await fetch("config.json", { cache: "no-store" });
    config = await answer.json();
  } catch (error) {
    showStatus("The map's settings (config.json) could not be read: reload the page", "down");
    return;
  }
  const apiUrl = config.apiUrl.replace(/\/$/, "");

  const map = L.map("map", { worldCopyJump: true });
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    document.getElementById("map").classList.add("plain");
  }
  L.control.scale({ imperial: false }).addTo(map);
  map.setView([20, 0], 2);

  // busId -> { bus (as GET /v1/buses/{busId} shows it), marker }
  const buses = new Map();
  let selected = null; // { busId, trail }
  let fitted = false;

  const now = () => Date.now();
  const fixTime = (bus) => Math.min(Date.parse(bus.timestamp), now());
  const ageSeconds = (bus) => Math.max(0, Math.round((now() - fixTime(bus)) / 1000));
  const isStale = (bus) => ageSeconds(bus) > config.staleAfterSeconds;

  function describeAge(seconds) {
    if (seconds < 60) return `${seconds} s ago`;
    return `${Math.floor(seconds / 60)} min ${seconds % 60} s ago`;
  }

  function describeSpeed(bus) {
    return bus.speed === undefined ? "unknown" : `${Math.round(bus.speed * 3.6)} km/h`;
  }

  function label(bus) {
    const heading = bus.bearing === undefined ? "heading unknown" : `heading ${Math.round(bus.bearing)}°`;
    const state = isStale(bus) ? "stale, " : "";
    return `Bus ${bus.busId}: ${state}${describeSpeed(bus)}, ${heading}, fix ${describeAge(ageSeconds(bus))}`;
  }

  function icon(bus) {
    const rotation = bus.bearing === undefined ? 0 : bus.bearing;
    const heading = bus.bearing === undefined ? "bus-heading" : "bus-heading has-bearing";
    const html =
      `<div class="${heading}" style="transform: rotate(${rotation}deg)"></div>` +
      `<span class="bus-id"></span>`;
    return L.divIcon({ className: "bus-marker", html, iconSize: [28, 28], iconAnchor: [14, 14] });
  }

  function decorate(entry) {
    const element = entry.marker.getElement();
    if (!element) return;
    const { bus } = entry;
    element.dataset.busId = bus.busId;
    element.setAttribute("aria-label", label(bus));
    element.classList.toggle("stale", isStale(bus));
    element.classList.toggle("selected", selected !== null && selected.busId === bus.busId);
    element.querySelector(".bus-id").textContent = bus.busId;
    const heading = element.querySelector(".bus-heading");
    heading.classList.toggle("has-bearing", bus.bearing !== undefined);
    heading.style.transform = `rotate(${bus.bearing === undefined ? 0 : bus.bearing}deg)`;
  }

  function upsert(bus) {
    const known = buses.get(bus.busId);
    if (known && Date.parse(known.bus.timestamp) > Date.parse(bus.timestamp)) return; // older news
    if (ageSeconds(bus) > config.maxAgeSeconds) return;
    const position = [bus.latitude, bus.longitude];
    if (known) {
      known.bus = bus;
      known.marker.setLatLng(position);
      decorate(known);
      if (selected && selected.busId === bus.busId) extendTrail(bus);
      return;
    }
    const marker = L.marker(position, { icon: icon(bus), keyboard: true, title: `Bus ${bus.busId}` });
    const entry = { bus, marker };
    buses.set(bus.busId, entry);
    marker.on("add", () => decorate(entry));
    marker.on("click", () => select(bus.busId));
    marker.addTo(map);
    const option = document.createElement("option");
    option.value = bus.busId;
    busIdList.appendChild(option);
  }

  function remove(busId) {
    const entry = buses.get(busId);
    if (!entry) return;
    entry.marker.remove();
    buses.delete(busId);
    const option = busIdList.querySelector(`option[value="${CSS.escape(busId)}"]`);
    if (option) option.remove();
    if (selected && selected.busId === busId) unselect();
  }

  function fitOnce() {
    if (fitted || buses.size === 0) return;
    fitted = true;
    const bounds = L.latLngBounds([...buses.values()].map((entry) => entry.marker.getLatLng()));
    map.fitBounds(bounds.pad(0.2), { maxZoom: 15 });
  }

  // Details and trail of the selected bus

  function field(name, value) {
    const term = document.createElement("dt");
    term.textContent = name;
    const description = document.createElement("dd");
    description.textContent = value;
    return [term, description];
  }

  function showDetails() {
    if (!selected) return;
    const entry = buses.get(selected.busId);
    if (!entry) return;
    const { bus } = entry;
    document.getElementById("details-title").textContent = `Bus ${bus.busId}`;
    const rows = [
      ["Speed", describeSpeed(bus)],
      ["Heading", bus.bearing === undefined ? "unknown" : `${Math.round(bus.bearing)}°`],
      ["Last fix", `${describeAge(ageSeconds(bus))}${isStale(bus) ? " (stale)" : ""}`],
    ];
    if (bus.routeId !== undefined) rows.push(["Route", bus.routeId]);
    if (bus.tripId !== undefined) rows.push(["Trip", bus.tripId]);
    if (bus.vehicleLabel !== undefined) rows.push(["Vehicle", bus.vehicleLabel]);
    if (bus.occupancyStatus !== undefined) rows.push(["Occupancy", bus.occupancyStatus.replaceAll("_", " ").toLowerCase()]);
    document.getElementById("details-fields").replaceChildren(...rows.flatMap(([name, value]) => field(name, value)));
    details.hidden = false;
  }

  function extendTrail(bus) {
    if (selected.trail) selected.trail.addLatLng([bus.latitude, bus.longitude]);
  }

  async function loadTrail(busId) {
    const from = new Date(now() - TRAIL_MINUTES * 60 * 1000).toISOString();
    const trailNote = document.getElementById("details-trail");
    trailNote.textContent = "Loading the last 15 minutes…";
    try {
      const url = `${apiUrl}/v1/buses/${encodeURIComponent(busId)}/positions?from=${encodeURIComponent(from)}&limit=1000`;
      const answer = await fetch(url);
      if (!answer.ok) throw new Error(`GET positions answered ${answer.status}`);
      const body = await answer.json();
      if (!selected || selected.busId !== busId) return;
      const points = body.positions.slice().reverse().map((position) => [position.latitude, position.longitude]);
      const trail = L.polyline(points, { className: "trail", weight: 4, opacity: 0.8 }).addTo(map);
      trail.getElement().dataset.busId = busId;
      selected.trail = trail;
      trailNote.textContent = `Trail: ${points.length} fixes in the last ${TRAIL_MINUTES} minutes`;
    } catch (error) {
      trailNote.textContent = "The trail could not be loaded: select the bus again to retry";
    }
  }

  function select(busId) {
    unselect();
    selected = { busId, trail: null };
    const entry = buses.get(busId);
    if (entry) decorate(entry);
    showDetails();
    loadTrail(busId);
  }

  function unselect() {
    if (!selected) return;
    if (selected.trail) selected.trail.remove();
    const entry = buses.get(selected.busId);
    selected = null;
    if (entry) decorate(entry);
    details.hidden = true;
  }

  document.getElementById("details-close").addEventListener("click", unselect);

  // Search

  document.getElementById("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const busId = document.getElementById("search-input").value.trim();
    const entry = buses.get(busId);
    if (!entry) {
      showStatus(`No bus "${busId}" on the map`, "degraded");
      return;
    }
    map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 15));
    select(busId);
  });

  // Ages, stale buses and counts, every second

  setInterval(() => {
    let live = 0;
    let stale = 0;
    for (const [busId, entry] of [...buses]) {
      if (ageSeconds(entry.bus) > config.maxAgeSeconds) {
        remove(busId);
        continue;
      }
      if (isStale(entry.bus)) stale += 1;
      else live += 1;
      decorate(entry);
    }
    countsElement.textContent = `${live} live · ${stale} stale`;
    showDetails();
  }, 1000);

  // Live updates, and polling while the socket is down

  let pollTimer = null;
  async function poll() {
    try {
      let cursor = null;
      do {
        const query = cursor ? `?limit=1000&cursor=${encodeURIComponent(cursor)}` : "?limit=1000";
        const answer = await fetch(`${apiUrl}/v1/buses${query}`);
        if (!answer.ok) throw new Error(`GET /v1/buses answered ${answer.status}`);
        const body = await answer.json();
        body.buses.forEach(upsert);
        cursor = body.nextCursor;
      } while (cursor);
      fitOnce();
    } catch (error) {
      showStatus("Live updates lost, and GET /v1/buses does not answer either: retrying", "down");
    }
  }

  function startPolling() {
    if (pollTimer !== null) return;
    poll();
    pollTimer = setInterval(poll, POLL_SECONDS * 1000);
  }

  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  let backoffSeconds = 1;
  function connect() {
    const socket = new WebSocket(config.websocketUrl);
    let pingTimer = null;
    socket.addEventListener("open", () => {
      backoffSeconds = 1;
      socket.send(JSON.stringify({ action: "subscribe" }));
      pingTimer = setInterval(() => socket.send(JSON.stringify({ action: "ping" })), PING_SECONDS * 1000);
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "snapshot" || message.type === "positions") {
        message.buses.forEach(upsert);
      }
      if (message.type === "snapshot" && message.part === message.parts) {
        stopPolling();
        fitOnce();
        showStatus("Live", "");
      }
      if (message.type === "error") showStatus(`Live updates refused the subscription: ${message.error}`, "down");
    });
    socket.addEventListener("close", () => {
      clearInterval(pingTimer);
      startPolling();
      showStatus(
        `Live updates lost: reconnecting in ${backoffSeconds} s; polling every ${POLL_SECONDS} s meanwhile`,
        "degraded",
      );
      setTimeout(connect, backoffSeconds * 1000);
      backoffSeconds = Math.min(backoffSeconds * 2, MAX_BACKOFF_SECONDS);
    });
  }

  showStatus("Connecting to live updates…", "degraded");
  connect();
})();
