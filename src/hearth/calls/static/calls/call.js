// Hearth call page: pre-join check, waiting room, and a 1:1 WebRTC call.
// Signalling over a WebSocket (protocol v1); media peer to peer. Perfect negotiation
// (the client is "polite") lets either side renegotiate without glare.

const root = document.getElementById("call");
const VERSION = 1;

if (root) {
  const role = root.dataset.role;
  const appointment = root.dataset.appointment;
  const $ = (id) => document.getElementById(id);
  const status = (text) => { $("call-status").textContent = text; };

  const state = {
    ws: null, pc: null, ice: null, polite: role === "client",
    makingOffer: false, ignoreOffer: false, joined: false, admitted: false,
    local: null, retry: 0, closedByUs: false, statsTimer: null, levelTimer: null,
    inbox: Promise.resolve(), failures: [], tracksAdded: false, stuckSince: null,
    audioOnly: false, descriptions: 0, media: "video", joinSent: false, queued: [], prejoin: {},
  };
  // A reload rejoins the same call without asking again (per tab, until leaving).
  const rejoinKey = `hearth-call-${appointment}`;
  // Exposed for the browser tests, which read getStats() from it.
  window.hearthCall = state;

  // Signalling for the peer that is produced while the socket is down (an offer from
  // an ICE restart, candidates) waits here and goes out, in order, after rejoining:
  // otherwise one side would wait for an answer to an offer nobody received.
  const QUEUED = new Set(["offer", "answer", "candidate", "restart", "state"]);

  function send(type, fields = {}) {
    const frame = JSON.stringify({ v: VERSION, type, ...fields });
    if (state.ws && state.ws.readyState === WebSocket.OPEN && (state.joinSent || type === "join" || !QUEUED.has(type))) {
      state.ws.send(frame);
      return true;
    }
    if (QUEUED.has(type)) state.queued.push(frame);
    return false;
  }

  // The first join carries the pre-join checks; after a dropped socket it resumes.
  function sendJoin() {
    const resume = state.joinSent;
    if (send("join", { prejoin: resume ? {} : state.prejoin, resume })) {
      state.joinSent = true;
      const queued = state.queued.splice(0);
      for (const frame of queued) state.ws.send(frame);
    }
  }

  // --- Devices and the pre-join check ---------------------------------------------

  async function startPreview() {
    const audioOnly = $("audio-only").checked;
    state.audioOnly = audioOnly;
    const camera = $("camera").value;
    const microphone = $("microphone").value;
    if (state.local) state.local.getTracks().forEach((t) => t.stop());
    state.local = await navigator.mediaDevices.getUserMedia({
      audio: microphone ? { deviceId: { exact: microphone } } : true,
      video: audioOnly ? false : (camera ? { deviceId: { exact: camera } } : true),
    });
    $("preview").srcObject = state.local;
    $("local").srcObject = state.local;
    meter(state.local);
    await listDevices();
  }

  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const selects = [
      [$("camera"), "videoinput"], [$("microphone"), "audioinput"],
      [$("camera-live"), "videoinput"], [$("microphone-live"), "audioinput"],
    ];
    for (const [select, kind] of selects) {
      const current = select.value;
      select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) => {
        const option = document.createElement("option");
        option.value = d.deviceId;
        option.textContent = d.label || `${kind === "videoinput" ? "Camera" : "Microphone"} ${i + 1}`;
        return option;
      }));
      if (current) select.value = current;
    }
  }

  function meter(stream) {
    clearInterval(state.levelTimer);
    const track = stream.getAudioTracks()[0];
    if (!track) return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    state.levelTimer = setInterval(() => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128) / 128);
      $("level").value = peak;
    }, 150);
  }

  function check(label, ok, advice) {
    const item = document.createElement("li");
    item.textContent = `${ok ? "✓" : "✗"} ${label}${ok ? "" : ` — ${advice}`}`;
    item.className = ok ? "ok" : "problem";
    $("checks").append(item);
    return ok;
  }

  // Gather candidates once: server-reflexive means STUN answered, relay means TURN did.
  async function connectivity() {
    $("checks").replaceChildren();
    const result = { camera: false, microphone: false, stun: false, relay: false };
    result.camera = !!state.local && state.local.getVideoTracks().length > 0;
    result.microphone = !!state.local && state.local.getAudioTracks().length > 0;
    check("Microphone", result.microphone, "check that no other app is using it, or choose another");
    if (!$("audio-only").checked) check("Camera", result.camera, "choose another camera, or join with audio only");
    const servers = (state.ice && state.ice.iceServers) || [];
    if (servers.length) {
      const probe = new RTCPeerConnection({ iceServers: servers });
      probe.createDataChannel("probe");
      const types = new Set();
      const wantStun = servers.some((s) => String(s.urls).includes("stun:"));
      const wantRelay = servers.some((s) => String(s.urls).includes("turn:"));
      // Done as soon as every kind of server asked about has answered, when gathering
      // completes, or after 10 s (a busy network or phone can be slow to allocate a relay).
      await new Promise((resolve) => {
        const answered = () => (!wantStun || types.has("srflx") || types.has("relay")) && (!wantRelay || types.has("relay"));
        probe.onicecandidate = ({ candidate }) => {
          if (candidate) types.add(candidate.type);
          if (answered()) resolve();
        };
        probe.onicegatheringstatechange = () => { if (probe.iceGatheringState === "complete") resolve(); };
        setTimeout(resolve, 10000);
        probe.createOffer().then((offer) => probe.setLocalDescription(offer)).catch(resolve);
      });
      probe.close();
      result.stun = types.has("srflx") || types.has("relay");
      result.relay = types.has("relay");
      if (wantStun) {
        check("Internet route", result.stun, "your network may block calls; try another Wi-Fi or mobile data");
      }
      if (wantRelay) {
        check("Relay", result.relay, "calls may fail on this network; if so, the session can continue by telephone");
      }
    }
    return result;
  }

  // --- Signalling socket, with reconnection ----------------------------------------

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/calls/${appointment}/`);
    state.ws = ws;
    ws.onopen = () => {
      state.retry = 0;
      // After a dropped socket: rejoin the same call, keeping the media connection.
      if (state.joined) sendJoin();
    };
    // One message at a time, in arrival order: a candidate must never be applied
    // while the description it belongs to is still being set.
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      state.inbox = state.inbox
        .then(() => handle(message))
        .catch((e) => {
          state.failures = [...state.failures.slice(-9), `${message.type}: ${e}`];
          console.error(e);
        });
    };
    ws.onclose = (event) => {
      if (state.closedByUs) return;
      if (event.code === 4403) { status("You cannot join this session."); return; }
      if (event.code === 4409) { status("This session is open in another window."); return; }
      const delay = Math.min(8000, 500 * 2 ** state.retry++);
      status("Reconnecting…");
      setTimeout(connect, delay);
    };
  }

  async function handle(message) {
    switch (message.type) {
      case "welcome":
        state.ice = message.ice;
        state.polite = message.polite;
        status(state.joined ? "Reconnected." : "Ready. Check your camera and microphone, then join.");
        break;
      case "waiting":
        show("waiting");
        status("You are in the waiting room.");
        break;
      case "peer":
        if (role === "therapist") refreshCheck();
        if (role === "therapist" && message.role === "client" && !state.admitted) {
          const since = message.since ? new Date(message.since).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "now";
          const checks = Object.entries(message.prejoin || {}).map(([k, v]) => `${k}: ${v === true ? "ok" : v === false ? "problem" : v}`).join(", ");
          $("waiting-detail").textContent = `${message.name} is waiting since ${since}.${checks ? ` Checks: ${checks}.` : ""}`;
          $("admit").disabled = false;
        }
        if (state.admitted && state.pc && !message.resume) {
          // The other side came back with a new page: start a fresh connection with it.
          await startCall();
        }
        break;
      case "admitted":
        state.admitted = true;
        if (message.rejoin && state.pc && !["failed", "closed"].includes(state.pc.connectionState)) {
          status("Reconnected.");
          break;
        }
        await startCall();
        break;
      case "offer":
      case "answer":
        await onDescription(message.description);
        break;
      case "candidate":
        if (state.pc && message.candidate) {
          try { await state.pc.addIceCandidate(message.candidate); } catch (e) { if (!state.ignoreOffer) throw e; }
        }
        break;
      case "state":
        if (message.state === "checked" && role === "therapist") refreshCheck();
        if (message.state === "audio_only" || message.state === "video") {
          const off = message.state === "audio_only";
          $("remote").hidden = off;
          $("remote-note").hidden = !off;
        }
        break;
      case "phone":
        stopMedia();
        if (message.display && $("phone-number")) $("phone-number").textContent = ` on ${message.display}`;
        show("telephone");
        status("The session continues by telephone.");
        break;
      case "ended":
        stopMedia();
        sessionStorage.removeItem(rejoinKey);
        state.closedByUs = true;
        if (state.ws) state.ws.close(1000);
        show("ended");
        status("This session has ended.");
        break;
      case "restart":
        // The other side restarts ICE and will send a new offer; nothing to do here
        // but wait for it (restarting on both sides would collide again).
        break;
      case "left":
        status("The other person has left the session.");
        break;
      case "replaced":
        state.closedByUs = true;
        status("This session is open in another window.");
        break;
      case "error":
        if (message.code === "refused") status(message.message);
        console.warn("signalling error", message.code, message.message);
        break;
      default:
        break;
    }
  }

  // --- The peer connection: perfect negotiation --------------------------------------

  async function startCall() {
    if (state.pc) state.pc.close();
    // Anything queued belonged to the old connection.
    state.queued = state.queued.filter((frame) => !/"type":"(offer|answer|candidate|restart)"/.test(frame));
    const pc = new RTCPeerConnection(state.ice || {});
    state.pc = pc;
    state.makingOffer = false;
    state.ignoreOffer = false;
    pc.ontrack = ({ streams }) => { $("remote").srcObject = streams[0]; };
    pc.onicecandidate = ({ candidate }) => send("candidate", { candidate: candidate ? candidate.toJSON() : null });
    pc.onnegotiationneeded = async () => {
      try {
        state.makingOffer = true;
        await pc.setLocalDescription();
        send("offer", { description: pc.localDescription.toJSON() });
      } finally {
        state.makingOffer = false;
      }
    };
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === "failed") {
        pc.restartIce();
        send("restart");
      }
    };
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      if (s === "connected") {
        status("Connected.");
        send("state", { state: "connected" });
        // The other side may have joined after we said so: say it again.
        if (state.audioOnly) send("state", { state: "audio_only" });
      }
      if (s === "disconnected") { status("Connection interrupted…"); send("state", { state: "disconnected" }); }
      if (s === "failed") { status("Connection failed; trying again."); send("state", { state: "failed" }); }
    };
    // The therapist makes the first offer; the client adds its tracks when that offer
    // arrives (see onDescription). Two first offers crossing (glare) would be resolved
    // by the rollback below, but Chromium can then stall the polite side's gathering.
    state.tracksAdded = false;
    if (!state.polite) addLocalTracks(pc);
    show("session");
    clearInterval(state.statsTimer);
    state.statsTimer = setInterval(quality, 2000);
  }

  function addLocalTracks(pc) {
    if (state.tracksAdded) return;
    state.tracksAdded = true;
    for (const track of state.local ? state.local.getTracks() : []) pc.addTrack(track, state.local);
  }

  async function onDescription(description) {
    const pc = state.pc;
    if (!pc) return;
    const collision = description.type === "offer" && (state.makingOffer || pc.signalingState !== "stable");
    state.ignoreOffer = !state.polite && collision;
    if (state.ignoreOffer) return;
    await pc.setRemoteDescription(description);
    state.descriptions += 1;
    if (description.type === "offer") {
      // First offer: our tracks take the transceivers it created (send and receive).
      addLocalTracks(pc);
      await pc.setLocalDescription();
      send("answer", { description: pc.localDescription.toJSON() });
    }
  }

  // --- Quality, in plain words --------------------------------------------------------

  // A connection that has not formed, or has dropped, for a few seconds is restarted by
  // the impolite side (ICE restart renegotiates; the polite side follows).
  function watchdog() {
    const pc = state.pc;
    if (!pc) return;
    const unhealthy = ["new", "disconnected", "failed"].includes(pc.connectionState);
    if (!unhealthy) { state.stuckSince = null; return; }
    state.stuckSince = state.stuckSince || Date.now();
    if (!state.polite && Date.now() - state.stuckSince > 6000) {
      state.stuckSince = Date.now();
      pc.restartIce();
      send("restart");
    }
  }

  let previous = null;
  async function quality() {
    watchdog();
    if (!state.pc) return;
    const stats = await state.pc.getStats();
    let rtt = null; let lost = 0; let received = 0; let bytes = 0;
    stats.forEach((r) => {
      if (r.type === "candidate-pair" && r.state === "succeeded" && r.nominated) rtt = r.currentRoundTripTime;
      if (r.type === "inbound-rtp") { lost += r.packetsLost || 0; received += r.packetsReceived || 0; bytes += r.bytesReceived || 0; }
    });
    const kbps = previous ? ((bytes - previous) * 8) / 2000 : null;
    previous = bytes;
    const loss = received ? lost / (lost + received) : 0;
    let words = "good";
    if ((rtt && rtt > 0.4) || loss > 0.08) words = "poor: you may want to switch to audio only";
    else if ((rtt && rtt > 0.2) || loss > 0.03) words = "fair";
    $("quality").textContent = `Connection: ${words}${rtt ? ` (delay ${Math.round(rtt * 1000)} ms` : " ("}${kbps !== null ? `, ${Math.round(kbps)} kbit/s)` : ")"}`;
  }

  // --- Controls -------------------------------------------------------------------------

  // The session-start check (safety): the therapist's review reloads when the client
  // arrives or answers; the client's page says when it has answered.
  function refreshCheck() {
    const slot = $("check-slot");
    if (slot) slot.dispatchEvent(new Event("hearth-refresh"));
  }
  if (role === "client") {
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.target && event.target.id === "session-check" && event.target.querySelector(".message.success")) send("state", { state: "checked" });
    });
  }

  function show(section) {
    for (const id of ["prejoin", "waiting", "session", "telephone", "ended"]) $(id).hidden = id !== section;
  }

  function stopMedia() {
    clearInterval(state.statsTimer);
    clearInterval(state.levelTimer);
    if (state.pc) state.pc.close();
    if (state.local) state.local.getTracks().forEach((t) => t.stop());
  }

  function videoTransceiver() {
    return state.pc && state.pc.getTransceivers().find((t) => t.receiver.track && t.receiver.track.kind === "video");
  }

  // Audio only: the camera stops and the video sender sends nothing; no renegotiation.
  // Back to video: a fresh camera track takes the same sender (or a new one is added,
  // and perfect negotiation renegotiates).
  async function setAudioOnly(on) {
    const transceiver = videoTransceiver();
    if (on) {
      for (const track of state.local ? state.local.getVideoTracks() : []) { track.stop(); state.local.removeTrack(track); }
      if (transceiver) await transceiver.sender.replaceTrack(null);
    } else {
      const camera = $("camera-live").value || $("camera").value;
      const stream = await navigator.mediaDevices.getUserMedia({ video: camera ? { deviceId: { exact: camera } } : true });
      const [track] = stream.getVideoTracks();
      state.local = state.local || new MediaStream();
      state.local.addTrack(track);
      $("local").srcObject = state.local;
      if (transceiver && transceiver.sender) {
        await transceiver.sender.replaceTrack(track);
        if (transceiver.direction === "recvonly") transceiver.direction = "sendrecv";
      } else if (state.pc) {
        state.pc.addTrack(track, state.local);
      }
    }
    state.audioOnly = on;
    $("local").hidden = on;
    const button = $("audio-toggle");
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Turn video back on" : "Audio only";
    send("state", { state: on ? "audio_only" : "video" });
  }

  // Change camera or microphone mid-call: the new track replaces the old on its sender.
  async function changeDevice(kind, deviceId) {
    const constraints = kind === "audio" ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId } } };
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    const [track] = kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks();
    const old = kind === "audio" ? state.local.getAudioTracks() : state.local.getVideoTracks();
    const sender = state.pc && state.pc.getSenders().find((s) => s.track && s.track.kind === kind);
    if (sender) await sender.replaceTrack(track);
    old.forEach((t) => { t.stop(); state.local.removeTrack(t); });
    state.local.addTrack(track);
    if (kind === "audio") meter(state.local);
  }

  function toggleTrack(kind, button, onText, offText) {
    const tracks = state.local ? (kind === "audio" ? state.local.getAudioTracks() : state.local.getVideoTracks()) : [];
    const enabled = !tracks.every((t) => !t.enabled);
    tracks.forEach((t) => { t.enabled = !enabled; });
    button.setAttribute("aria-pressed", String(enabled));
    button.textContent = enabled ? offText : onText;
  }

  async function join() {
    if (state.joining || state.joined) return; // a second click while checks run
    state.joining = true;
    status("Checking your connection…");
    const checks = await connectivity();
    state.joining = false;
    state.joined = true;
    state.prejoin = checks;
    sessionStorage.setItem(rejoinKey, "1");
    sendJoin();
    // What this side sends, so the session record's modality segments are right.
    if (state.audioOnly) send("state", { state: "audio_only" });
    if (role === "therapist") { show("waiting"); status("The room is open."); }
  }
  $("join").addEventListener("click", join);
  for (const id of ["camera", "microphone", "audio-only"]) $(id).addEventListener("change", () => startPreview().catch(() => status("Could not use that device.")));
  $("mute").addEventListener("click", (e) => toggleTrack("audio", e.target, "Mute", "Unmute"));
  $("camera-toggle").addEventListener("click", (e) => toggleTrack("video", e.target, "Camera off", "Camera on"));
  $("share").addEventListener("click", async () => {
    if (!state.pc) return;
    const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const sender = state.pc.getSenders().find((s) => s.track && s.track.kind === "video");
    const [track] = screen.getVideoTracks();
    if (sender) await sender.replaceTrack(track);
    track.onended = () => { if (sender && state.local) sender.replaceTrack(state.local.getVideoTracks()[0] || null); };
  });
  $("audio-toggle").addEventListener("click", () => setAudioOnly(!state.audioOnly).catch(() => status("Could not turn the camera back on.")));
  $("camera-live").addEventListener("change", (e) => changeDevice("video", e.target.value).catch(() => status("Could not use that camera.")));
  $("microphone-live").addEventListener("change", (e) => changeDevice("audio", e.target.value).catch(() => status("Could not use that microphone.")));
  if (role === "therapist") {
    $("admit").addEventListener("click", () => {
      const review = document.getElementById("session-check-review");
      if (!review || review.dataset.mayStart !== "true") {
        status("Confirm the session-start check first, or start without it and say why.");
        if (review) review.scrollIntoView({ block: "start" });
        return;
      }
      send("admit");
      $("admit").disabled = true;
    });
    $("phone").addEventListener("click", () => { $("phone-confirm").hidden = false; $("phone-yes").focus(); });
    $("phone-no").addEventListener("click", () => { $("phone-confirm").hidden = true; });
    $("phone-yes").addEventListener("click", () => { $("phone-confirm").hidden = true; send("phone"); });
    $("end").addEventListener("click", () => send("end"));
  } else {
    $("leave").addEventListener("click", () => {
      state.closedByUs = true;
      sessionStorage.removeItem(rejoinKey);
      send("leave");
      stopMedia();
      status("You have left the session.");
      show("prejoin");
    });
  }

  // Decided at load: was this tab in the call before the reload? (A click on Join while
  // the camera is still starting must not count as a second join.)
  const rejoinAfterReload = sessionStorage.getItem(rejoinKey) === "1";
  connect();
  startPreview()
    .catch(() => status("Allow the camera and microphone to join, or join with audio only."))
    .then(() => {
      if (!rejoinAfterReload) return;
      // Rejoin once the socket is open (the welcome carries the ICE servers).
      const wait = setInterval(() => {
        if (state.joined) { clearInterval(wait); return; }
        if (state.ice) { clearInterval(wait); join(); }
      }, 100);
    });
}
