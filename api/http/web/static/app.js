/* Koppelaar: the job coaches' page. Plain JavaScript, no framework, no build step, nothing from outside.
 *
 * The page calls the JSON API (/api/v1) with the key the user signed in with (X-API-Key), kept in
 * sessionStorage: it is gone when the tab closes; or, signed in with the organisation's account
 * (auth/login, OpenID Connect), with the server's session cookie, sending the session's CSRF token
 * (X-CSRF-Token) with every request that changes something. Every page is a hash route; each one fetches what it
 * shows, builds its view off-screen, swaps it into <main> and then sets main[data-loaded] and
 * main[data-route] (the hash route it rendered: a click on an in-page link changes the hash at once but
 * the page only later, so the benchmark and the tests wait for both). Nothing about a candidate is ever written to the console.
 */
"use strict";

(() => {
  const API = "/api/v1";
  const KEY_STORE = "koppelaar.apiKey";
  const SIGNED_OUT = "koppelaar.signedOut"; // set while the provider's logout page is shown
  const POLL_MS = 1000;

  const AUTH = "/app/auth";
  const state = { key: null, csrf: null, auth: null, me: null, token: 0, blobs: [], timers: [], focusAfter: null, userNavigated: false, keepMessages: false };

  // -- words ------------------------------------------------------------------------------------

  const ROLE_NL = {
    coach: "jobcoach",
    adviseur: "SROI-adviseur",
    werkgeversservice: "werkgeversservicepunt",
    admin: "beheerder",
  };
  const GROUP_NL = {
    participatiewet: "Participatiewet",
    banenafspraak: "Banenafspraak (doelgroepregister)",
    wajong: "Wajong",
    wia: "WIA/WAO",
    wsw: "Wsw",
    ww: "WW",
    nug: "Niet-uitkeringsgerechtigd (NUG)",
    pro_vso: "PrO/VSO-leerling",
    statushouder: "Statushouder",
    other: "Overig",
  };
  const CANDIDATE_STATUS_NL = { beschikbaar: "beschikbaar", geplaatst: "geplaatst", inactief: "inactief" };
  const PLACEMENT_STATUS_NL = {
    voorgesteld: "voorgesteld",
    geaccepteerd: "geaccepteerd",
    gestart: "gestart",
    beeindigd: "beëindigd",
  };
  /** The allowed next statuses of a placement (models/entities.py TRANSITIONS). */
  const TRANSITIONS = {
    voorgesteld: ["geaccepteerd", "beeindigd"],
    geaccepteerd: ["gestart", "beeindigd"],
    gestart: ["beeindigd"],
    beeindigd: [],
  };
  const PLACEMENT_TYPE_NL = {
    baan: "baan",
    bbl: "BBL-leerbaan",
    bol_stage: "BOL-stage",
    werkervaringsplek: "werkervaringsplek",
    proefplaatsing: "proefplaatsing",
  };
  const CONTRACT_NL = { tijdelijk: "tijdelijk", vast: "vast", bbl: "BBL", stage: "stage", werkervaring: "werkervaring" };
  const STAGE_NL = {
    queued: "In de wachtrij",
    loading: "Gegevens laden",
    preparing: "Kandidaten voorbereiden",
    scoring: "Paren beoordelen en plan maken",
    saving: "Plan opslaan",
    done: "Klaar",
    failed: "Mislukt",
  };
  const RUN_STATUS_NL = { queued: "in de wachtrij", running: "bezig", done: "klaar", failed: "mislukt" };
  const SCOPE_NL = { obligation: "verplichting", tender: "aanbesteding", contractor: "opdrachtnemer", region: "hele regio" };
  const FEATURE_NL = {
    skill_coverage: "vaardigheden",
    optional_coverage: "extra vaardigheden",
    same_occupation: "beroepservaring",
    occupation_years: "jaren ervaring",
    same_sector: "ervaring in de sector",
    title_similarity: "functietitel",
    text_similarity: "profieltekst",
    distance_km: "afstand",
    distance_share: "afstand",
    hours_gap: "uren",
    language_margin: "taalniveau",
    education_margin: "opleiding",
    physical_margin: "belastbaarheid",
    hard_certificates_missing: "certificaten",
    trainable_gaps: "te behalen certificaten",
    licences_missing: "rijbewijs",
    licences_required: "rijbewijs",
    availability_days: "beschikbaarheid",
    profile_completeness: "volledigheid profiel",
    skill_coverage_exact: "vaardigheden",
    optional_coverage_exact: "extra vaardigheden",
    location_quality: "afstand",
  };
  const UNKNOWN_NL = { language: "taalniveau", education: "opleiding", physical: "belastbaarheid", hours: "uren" };
  const UNPLACED_NL = {
    no_open_vacancy_in_reach: "geen open vacature binnen reisafstand",
    no_eligible_vacancy: "geen vacature waarvoor alle eisen kloppen",
    places_taken_by_better_matches: "plaatsen gingen naar betere matches",
  };
  const UNFILLED_NL = {
    not_additional: "geen extra plaats: wordt niet via SROI gevuld",
    no_eligible_candidate: "geen kandidaat die aan alle eisen voldoet",
    candidates_placed_elsewhere: "geschikte kandidaten zijn elders beter geplaatst",
  };
  const NOUN_NL = {
    candidate: "kandidaat",
    vacancy: "vacature",
    obligation: "verplichting",
    placement: "plaatsing",
    contractor: "opdrachtnemer",
    "match run": "matchrun",
    tender: "aanbesteding",
    region: "regio",
  };
  const FIELD_NL = {
    candidate_id: "kandidaat",
    vacancy_id: "vacature",
    obligation_id: "verplichting",
    scope_id: "keuze",
    scope: "bereik",
    reason: "reden",
    status: "status",
    q: "zoekterm",
  };
  const STATUS_TITLE_NL = {
    0: "De server is niet bereikbaar",
    400: "Het verzoek klopt niet",
    401: "Niet aangemeld",
    403: "Niet toegestaan",
    404: "Niet gevonden",
    409: "Dit kan nu niet",
    413: "Te groot",
    415: "Verkeerd bestandstype",
    422: "De invoer klopt niet",
    429: "Te veel verzoeken",
    500: "Er ging iets mis op de server",
    503: "De server is tijdelijk niet beschikbaar",
  };
  /** What a role without the permission may not do ("Uw rol mag …"). */
  const PERMISSION_WHY = {
    "placements:write": "niet voordragen, afwijzen of plaatsingen registreren",
    "runs:write": "geen batchmatch starten",
    suggest: "geen voorstellen opvragen",
    "reports:read": "geen rapportages lezen",
    "candidates:read": "geen kandidaten bekijken",
    "placements:read": "geen plaatsingen bekijken",
  };
  const REJECT_REASONS = [
    "Reisafstand te groot",
    "Past niet bij de wensen van de kandidaat",
    "Kandidaat is niet beschikbaar",
    "Mist ervaring of vaardigheden",
    "Werkgever heeft al iemand",
    "Belastbaarheid past niet",
  ];

  // -- small helpers ----------------------------------------------------------------------------

  /** An element with attributes, listeners (onclick…) and children; text is always text, never HTML. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
      else if (value === true) node.setAttribute(name, "");
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** ``node.append`` / ``replaceChildren`` for mixed children: nested lists flattened, null and false left out. */
  const kids = (children) => children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);
  const put = (node, ...children) => node.append(...kids(children));
  const fill = (node, ...children) => node.replaceChildren(...kids(children));

  const enc = encodeURIComponent;
  const EUR = new Intl.NumberFormat("nl-NL", { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
  const NUM = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 1 });
  const eur = (x) => (x === null || x === undefined || Number.isNaN(Number(x)) ? "—" : EUR.format(Number(x)));
  const num = (x) => (x === null || x === undefined ? "—" : NUM.format(Number(x)));
  const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(Number(x) * 100)}%`);
  const clamp01 = (x) => Math.min(Math.max(Number(x) || 0, 0), 1);
  const MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
  function day(iso) {
    if (!iso) return "—";
    const [y, m, d] = String(iso).slice(0, 10).split("-").map(Number);
    if (!y || !m || !d) return String(iso);
    return `${d} ${MONTHS[m - 1]} ${y}`;
  }
  function moment(iso) {
    if (!iso) return "—";
    const time = String(iso).slice(11, 16);
    return time ? `${day(iso)} ${time}` : day(iso);
  }
  const list = (items) => (items && items.length ? items.join(", ") : "—");
  /** "1 maand", "2 maanden": a count with its noun in the right number. */
  const plural = (n, one, many) => `${num(n)} ${Number(n) === 1 ? one : many}`;

  /** What a score is on this server (GET /scorer), asked once: a passingsscore unless a model is loaded. */
  const RULE_SCORE = {
    scorer: "rule",
    label: "passingsscore",
    probability: false,
    explanation: "Hoe goed kandidaat en plaats bij elkaar passen, van 0 tot 100: een gewogen optelling van regels. Het is geen percentage.",
    model: null,
  };
  async function scorerInfo() {
    if (!state.scorer) state.scorer = can("suggest") ? await call("/scorer").catch(() => RULE_SCORE) : RULE_SCORE;
    return state.scorer;
  }
  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  /** A score as its kind is shown: a passingsscore as 0–100, a model's probability as a percentage. */
  const scoreText = (x, info) => (x === null || x === undefined ? "—" : info.probability ? pct(x) : String(Math.round(Number(x) * 100)));
  /** A figure with its short explanation on hover and focus (title, and aria-describedby for screen readers). */
  let hintCount = 0;
  function hinted(node, hint) {
    const id = `hint-${(hintCount += 1)}`;
    node.setAttribute("title", hint);
    node.setAttribute("tabindex", node.getAttribute("tabindex") || "0");
    node.setAttribute("aria-describedby", id);
    return [node, el("span", { id, class: "visually-hidden", text: hint })];
  }
  const HINT = {
    known: "Deel van de gegevens die de score gebruikt dat van deze kandidaat bekend is. Onbekende gegevens tellen niet mee; vraag ze na.",
    required: "Het SROI-bedrag dat de opdrachtnemer moet besteden, na een eventuele PSO-korting.",
    realised: "De SROI-waarde van plaatsingen die geaccepteerd, gestart of beëindigd zijn.",
    planned: "De SROI-waarde van voorgedragen plaatsingen (nog ‘voorgesteld’): telt pas mee als de werkgever akkoord is.",
    stillNeeded: "Wat nog ontbreekt: vereist min gerealiseerd en gepland.",
    forecast: "Wat zeker is (beëindigde plaatsingen en plaatsingen die 6 maanden duurden) plus het verwachte behoud maal de rest: lopende en geplande plaatsingen en het tempo tot nu toe maal de resterende looptijd. De marge komt uit het behoud van eerdere plaatsingen. Een schatting, geen toezegging.",
    duration: "De resterende looptijd van de verplichting.",
    openPlaces: "Plaatsen van de vacatures van deze verplichting die nog niemand hebben.",
    sroi: "De SROI-waarde van de plaatsing volgens de bouwblokkenmethode van de verplichting.",
    progress: "Gerealiseerd (donker) en gepland (licht) als deel van het vereiste bedrag.",
    shortfall: "Wat de verplichting van deze vacature nog nodig heeft, in euro's.",
    placementsInPlan: "Het aantal koppelingen in dit plan; ze zijn pas voorgedragen als een jobcoach ze voordraagt.",
    openPlacesRun: "Alle open plaatsen binnen het bereik van deze batchmatch.",
    unfilled: "Open plaatsen waarvoor het plan niemand heeft.",
    sroiPlan: "De SROI-waarde die het plan toevoegt aan verplichtingen die haar nog nodig hebben.",
    retained: "Het aantal plaatsingen dat volgens het model na 6 maanden nog loopt: de som van de kansen.",
  };
  const yesNo = (b) => (b === true ? "ja" : b === false ? "nee" : "onbekend");
  const prettyKey = (key) => String(key).replace(/^txt:/, "").replace(/_/g, " ");
  const can = (permission) => Boolean(state.me && state.me.permissions.includes(permission));
  const roleName = () => ROLE_NL[state.me.role] || state.me.role;
  const regionName = () => state.me.region || "alle regio's";
  function whyNot(permission) {
    return `Uw rol (${roleName()}) mag ${PERMISSION_WHY[permission] || `dit niet (${permission})`}.`;
  }
  /** A button a role may not use: shown, disabled, with the reason as its title and description. */
  function guard(button, permission) {
    if (!can(permission)) {
      button.disabled = true;
      button.title = whyNot(permission);
    }
    return button;
  }
  function facts(pairs) {
    return el(
      "dl",
      { class: "facts" },
      pairs.filter(Boolean).map(([term, value]) => [el("dt", { text: term }), el("dd", {}, value)]),
    );
  }
  function chips(items, cls) {
    if (!items || !items.length) return "—";
    return el("ul", { class: "chips" }, items.map((x) => el("li", { class: cls || null, text: x })));
  }
  function table(caption, headers, rows) {
    return el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        {},
        caption ? el("caption", { text: caption }) : null,
        el("thead", {}, el("tr", {}, headers.map((h) => (typeof h === "string" ? el("th", { scope: "col", text: h }) : h)))),
        el("tbody", {}, rows),
      ),
    );
  }
  const th = (text, cls) => el("th", { scope: "col", class: cls, text });
  const link = (href, text, props) => el("a", { href, ...(props || {}) }, text);
  /** A link whose text is an id: kept on one line. */
  const idLink = (href, text) => el("a", { href, class: "id" }, text);
  function pager(total, offset, limit, hrefFor) {
    if (total <= limit && offset === 0) return null;
    const first = total ? offset + 1 : 0;
    const last = Math.min(offset + limit, total);
    return el(
      "nav",
      { class: "pager", "aria-label": "Pagina's" },
      offset > 0 ? link(hrefFor(Math.max(offset - limit, 0)), "← Vorige") : null,
      el("span", { text: `${first}–${last} van ${total}` }),
      last < total ? link(hrefFor(offset + limit), "Volgende →") : null,
    );
  }
  function hashWith(path, params) {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "" && v !== 0) query.set(k, v);
    const text = query.toString();
    return `#${path}${text ? `?${text}` : ""}`;
  }
  function go(hash) {
    state.userNavigated = true;
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  // -- the API ----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, doc) {
      super((doc && doc.detail) || `HTTP ${status}`);
      this.status = status;
      this.detail = (doc && doc.detail) || "";
      this.errors = (doc && Array.isArray(doc.errors) && doc.errors) || [];
    }
  }

  async function call(path, options) {
    const { method = "GET", body, key = state.key, as = "json" } = options || {};
    const headers = {};
    if (key) headers["X-API-Key"] = key;
    else if (state.csrf && method !== "GET") headers["X-CSRF-Token"] = state.csrf;
    if (as === "json") headers.Accept = "application/json";
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: key ? "omit" : "same-origin",
      });
    } catch (_) {
      throw new ApiError(0, { detail: "network" });
    }
    if (!response.ok) {
      let doc = {};
      try {
        doc = await response.json();
      } catch (_) {
        doc = {};
      }
      throw new ApiError(response.status, doc);
    }
    if (as === "json") return response.json();
    if (as === "text") return response.text();
    return response; // the caller reads the body (a blob) and the headers
  }

  /** The API's (English) problem detail in Dutch; what we cannot translate is shown as it is. */
  function dutchDetail(detail, status) {
    const text = String(detail || "");
    let m;
    if (status === 0) return "Controleer of Koppelaar draait en probeer het opnieuw.";
    if (/unknown or revoked/.test(text)) return "Deze API-sleutel is onbekend of ingetrokken.";
    if (/give your API key/.test(text)) return "Vul uw API-sleutel in.";
    if ((m = text.match(/^there is no (match run|candidate|vacancy|obligation|placement|contractor|tender|region) (.+?)(?::|$)/))) {
      return `Er is geen ${NOUN_NL[m[1]] || m[1]} ${m[2]} (niet gevonden, of niet zichtbaar voor uw regio).`;
    }
    if ((m = text.match(/^an? (\w+) key may not/))) {
      return `Een sleutel met de rol ${ROLE_NL[m[1]] || m[1]} mag dit niet.`;
    }
    const lifeCycle = lifeCycleNl(text);
    if (lifeCycle) return lifeCycle;
    if (/has not consented/.test(text)) return "Deze kandidaat heeft geen toestemming gegeven om gematcht te worden.";
    if ((m = text.match(/^match run (\S+) is (\w+)/))) return `Matchrun ${m[1]} is ${RUN_STATUS_NL[m[2]] || m[2]}: het resultaat komt zodra hij klaar is.`;
    if ((m = text.match(/^an? (\w+) run needs scope_id/))) return `Kies voor een run per ${SCOPE_NL[m[1]] || m[1]} wat er gematcht moet worden.`;
    if ((m = text.match(/^too many failed attempts to authenticate.*try again in (\d+) s/))) {
      return `Te veel mislukte aanmeldpogingen vanaf dit adres. Probeer het over ${m[1]} seconden opnieuw.`;
    }
    if (/larger than/.test(text)) return "Het verzoek is te groot.";
    if (/^invalid input|^invalid /.test(text)) return "Eén of meer velden kloppen niet.";
    if (!text) return "";
    return `Melding van de server: ${text}`;
  }
  /** A placement status its life cycle does not allow (upload, PATCH, import say it alike), in Dutch. */
  function lifeCycleNl(text) {
    const m = text.match(/^placement (\S+) is (\w+) and cannot become (\w+) \(allowed next: ([^)]*)\)/);
    if (!m) return "";
    const next = m[4].startsWith("none") ? "niets meer: hij is beëindigd" : m[4].split(", ").map((s) => PLACEMENT_STATUS_NL[s] || s).join(" of ");
    return `Plaatsing ${m[1]} is ${PLACEMENT_STATUS_NL[m[2]] || m[2]} en kan niet ${PLACEMENT_STATUS_NL[m[3]] || m[3]} worden (wel: ${next}).`;
  }
  function dutchFieldMessage(message) {
    const text = String(message || "");
    const known = {
      "does not exist": "bestaat niet",
      "is required": "is verplicht",
      "Field required": "is verplicht",
      "exists already": "bestaat al",
      "consent is false": "geen toestemming",
      "is already in use": "is al in gebruik",
      "contains a NUL character": "bevat een ongeldig teken",
    };
    if (known[text]) return known[text];
    const lifeCycle = lifeCycleNl(text);
    if (lifeCycle) return lifeCycle;
    if (/^has not consented/.test(text)) return "heeft geen toestemming gegeven om gematcht te worden";
    const c = text.match(/^contains the control character (.+?):/);
    if (c) return `bevat een ongeldig (onzichtbaar) teken, ${c[1]}: alleen tabs en regeleinden mogen; haal het weg`;
    return text;
  }

  // -- messages ---------------------------------------------------------------------------------

  const alertBox = () => document.getElementById("alert");
  const statusBox = () => document.getElementById("status");

  function clearMessages() {
    alertBox().hidden = true;
    alertBox().replaceChildren();
    statusBox().hidden = true;
    statusBox().replaceChildren();
  }
  function showError(error, context) {
    const status = error instanceof ApiError ? error.status : -1;
    const title = context || STATUS_TITLE_NL[status] || "Er ging iets mis";
    const detail = error instanceof ApiError ? dutchDetail(error.detail, status) : "Er ging iets mis in deze pagina. Laad de pagina opnieuw.";
    const fields = error instanceof ApiError ? error.errors : [];
    const box = alertBox();
    fill(box,
      el("strong", { text: title }),
      detail ? el("span", { text: detail }) : null,
      fields.length
        ? el(
            "ul",
            {},
            fields.slice(0, 10).map((f) =>
              el("li", { text: `${FIELD_NL[f.field] || f.field || "invoer"}${f.row ? ` (rij ${f.row})` : ""}: ${dutchFieldMessage(f.message)}` }),
            ),
          )
        : null,
    );
    box.hidden = false;
  }
  function showStatus(text) {
    const box = statusBox();
    fill(box, el("span", { text }));
    box.hidden = false;
  }

  // -- sign-in ----------------------------------------------------------------------------------

  function renderSignedIn() {
    document.getElementById("nav").hidden = false;
    document.getElementById("who").hidden = false;
    document.getElementById("who-text").textContent = `Aangemeld als ${roleName()} · regio ${regionName()}`;
  }
  function renderSignedOut() {
    document.getElementById("nav").hidden = true;
    document.getElementById("who").hidden = true;
    document.getElementById("who-text").textContent = "";
  }

  /** Whether organisation sign-in is on, whether this browser is signed in (its CSRF token), and the
   * message of a sign-in that failed. */
  async function authSession() {
    try {
      const response = await fetch(`${AUTH}/session`, { cache: "no-store", credentials: "same-origin" });
      if (response.ok) return await response.json();
    } catch (_) {
      // the server is not reachable: the key form still shows
    }
    return { organisation_sign_in: false, signed_in: false, csrf_token: null, message: null };
  }

  function signOut(reason) {
    if (state.csrf) {
      // the session ends here; where the provider has a logout page, the browser goes there next, so
      // that the next sign-in asks for the password again, and comes back to this page
      const csrf = state.csrf;
      fetch(`${AUTH}/logout`, { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : {}))
        .then((answer) => {
          if (answer.end_session_url) {
            sessionStorage.setItem(SIGNED_OUT, "1");
            location.assign(answer.end_session_url);
          }
        })
        .catch(() => {});
    }
    sessionStorage.removeItem(KEY_STORE);
    state.key = null;
    state.csrf = null;
    state.me = null;
    cleanup();
    renderSignedOut();
    clearMessages();
    if (reason instanceof ApiError) showError(reason, "Uw sessie is verlopen");
    else if (reason) showStatus(reason);
    showSignIn();
  }

  function showSignIn() {
    const main = document.getElementById("main");
    const input = el("input", {
      id: "api-key",
      name: "api-key",
      type: "password",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      "aria-describedby": "api-key-help",
    });
    const form = el(
      "form",
      { class: "signin", novalidate: true },
      el("div", { class: "field" }, el("label", { for: "api-key", text: "API-sleutel" }), input),
      el(
        "p",
        { id: "api-key-help", class: "note" },
        "Uw beheerder maakt een sleutel met ",
        el("code", { text: "koppelaar apikey create --role coach --region <regio>" }),
        ". De sleutel blijft alleen in dit tabblad bewaard en verdwijnt als u het sluit of afmeldt.",
      ),
      el("div", { class: "actions" }, el("button", { type: "submit", text: "Aanmelden" })),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      clearMessages();
      if (!key) {
        input.setAttribute("aria-invalid", "true");
        showError(new ApiError(401, { detail: "give your API key" }), "Aanmelden");
        input.focus();
        return;
      }
      try {
        const me = await call("/me", { key });
        sessionStorage.setItem(KEY_STORE, key);
        state.key = key;
        state.me = me;
        renderSignedIn();
        showStatus(`U bent aangemeld als ${roleName()}, regio ${regionName()}.`);
        state.keepMessages = true;
        go(/^#\/./.test(location.hash) ? location.hash : "#/vacatures");
      } catch (error) {
        input.setAttribute("aria-invalid", "true");
        showError(error, "Aanmelden mislukt");
        input.focus();
      }
    });
    const organisation = state.auth && state.auth.organisation_sign_in;
    fill(main,
      el("h1", { id: "page-title", tabindex: "-1", text: "Aanmelden" }),
      el(
        "p",
        { class: "lead" },
        "Koppelaar helpt jobcoaches en SROI-adviseurs mensen met een afstand tot de arbeidsmarkt te koppelen aan de plaatsen die opdrachtnemers bieden voor hun social return. ",
        organisation ? "Meld u aan met het account van uw organisatie." : "Meld u aan met uw API-sleutel.",
      ),
      organisation
        ? el(
            "section",
            { class: "signin-organisation", "aria-labelledby": "signin-organisation-title" },
            el("h2", { id: "signin-organisation-title", text: "Met uw organisatieaccount" }),
            el("p", {}, "U gaat naar de aanmeldpagina van uw organisatie en komt daarna hier terug."),
            el("p", {}, el("a", { href: `${AUTH}/login`, class: "button-link", id: "signin-organisation", text: "Aanmelden met uw organisatieaccount" })),
          )
        : null,
      organisation ? el("h2", { text: "Met een API-sleutel" }) : null,
      form,
    );
    document.title = "Aanmelden – Koppelaar";
    main.removeAttribute("aria-busy");
    main.removeAttribute("data-route");
    main.dataset.loaded = "aanmelden";
    (document.getElementById("signin-organisation") || input).focus();
  }

  // -- routing ----------------------------------------------------------------------------------

  const ROUTES = [
    [/^\/vacatures$/, "vacatures", pageVacancies],
    [/^\/vacatures\/([^/]+)$/, "vacature", pageVacancy],
    [/^\/kandidaten$/, "kandidaten", pageCandidates],
    [/^\/kandidaten\/([^/]+)$/, "kandidaat", pageCandidate],
    [/^\/verplichtingen$/, "verplichtingen", pageObligations],
    [/^\/verplichtingen\/([^/]+)$/, "verplichting", pageObligation],
    [/^\/batch$/, "batch", pageBatch],
    [/^\/batch\/([^/]+)$/, "run", pageRun],
    [/^\/rapportage$/, "rapportage", pageReport],
    [/^\/score$/, "score", pageScore],
  ];

  function cleanup() {
    for (const timer of state.timers) clearTimeout(timer);
    state.timers = [];
    for (const url of state.blobs) URL.revokeObjectURL(url);
    state.blobs = [];
  }

  async function route() {
    if (!state.me) return;
    const raw = location.hash.replace(/^#/, "") || "/vacatures";
    const [path, queryText] = raw.split("?");
    const query = new URLSearchParams(queryText || "");
    const found = ROUTES.find(([pattern]) => pattern.test(path));
    if (!found) {
      location.replace("#/vacatures");
      return;
    }
    const [pattern, name, render] = found;
    const args = path.match(pattern).slice(1).map((x) => decodeURIComponent(x));
    const token = ++state.token;
    cleanup();
    const main = document.getElementById("main");
    main.removeAttribute("data-loaded");
    main.removeAttribute("data-route");
    main.setAttribute("aria-busy", "true");
    const section = path.split("/")[1];
    for (const a of document.querySelectorAll("#nav a")) {
      if (a.dataset.section === section) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    if (state.userNavigated && !state.keepMessages) clearMessages();
    state.keepMessages = false;
    const view = el("div", { class: `page page-${name}` });
    const ctx = { token, name, query, after: [], current: () => token === state.token };
    try {
      await render(view, args, ctx);
    } catch (error) {
      if (!ctx.current()) return;
      if (error instanceof ApiError && error.status === 401) {
        signOut(error);
        return;
      }
      fill(view,
        el("h1", { id: "page-title", tabindex: "-1", text: error instanceof ApiError && error.status === 404 ? "Niet gevonden" : "Deze pagina kan niet worden getoond" }),
        el("p", {}, link("#/vacatures", "Naar de vacatures")),
      );
      showError(error);
    }
    if (!ctx.current()) return;
    decorate(view); // off-screen, so the page is styled once, as it is swapped in
    main.replaceChildren(view);
    const title = view.querySelector("h1");
    document.title = `${title ? title.textContent : "Koppelaar"} – Koppelaar`;
    for (const step of ctx.after) await step();
    if (!ctx.current()) return;
    main.removeAttribute("aria-busy");
    main.dataset.route = raw;
    main.dataset.loaded = name;
    const focusTarget = state.focusAfter ? document.getElementById(state.focusAfter) : null;
    state.focusAfter = null;
    if (focusTarget) focusTarget.focus();
    else if (state.userNavigated && title) title.focus();
    state.userNavigated = true;
  }

  function heading(text, sub) {
    return [el("h1", { id: "page-title", tabindex: "-1", text }), sub ? el("p", { class: "lead" }, sub) : null];
  }

  // -- explanations -----------------------------------------------------------------------------

  /** The explanation codes of a suggestion or plan row (matching/explain.py) as parts to show. */
  function parseReasons(codes) {
    const out = { skills: null, missing: [], km: null, kmEstimated: false, kmUnknown: false, softGaps: [], unknown: [], plus: [], minus: [] };
    for (const part of String(codes || "").split(";").map((s) => s.trim()).filter(Boolean)) {
      const at = part.indexOf(":");
      if (at < 0) continue;
      const key = part.slice(0, at);
      const value = part.slice(at + 1);
      if (key === "skills") {
        const [have, of] = value.split("/").map(Number);
        out.skills = { have, of };
      } else if (key === "missing") out.missing = value.split("|").filter(Boolean);
      else if (key === "km") {
        if (value === "?") out.kmUnknown = true;
        else {
          out.kmEstimated = value.startsWith("~");
          out.km = Number(value.replace("~", ""));
        }
      } else if (key === "soft_gap") out.softGaps.push(value);
      else if (key === "unknown") out.unknown = value.split("|").filter(Boolean);
      else if (key === "top") {
        for (const t of value.split("|")) (t.startsWith("-") ? out.minus : out.plus).push(t.slice(1));
      }
    }
    return out;
  }
  /** The names of the certificates "… te behalen." in an explanation, in order. */
  function softGapLabels(explanation, keys) {
    const found = [...String(explanation || "").matchAll(/(?:^|\.\s)([^.]+?) te behalen\./g)].map((m) => m[1]);
    return keys.map((key, i) => (found.length === keys.length ? found[i] : prettyKey(key)));
  }
  function reasonFacts(item) {
    const r = parseReasons(item.reasons);
    const rows = [];
    if (r.skills) rows.push(["Vaardigheden", `${r.skills.have} van de ${r.skills.of} gevraagde`]);
    if (r.missing.length) rows.push(["Mist", chips(r.missing, "missing")]);
    if (r.km !== null) rows.push(["Afstand", r.kmEstimated ? `ongeveer ${num(r.km)} km (geschat op de regio)` : `${num(r.km)} km`]);
    else if (r.kmUnknown) rows.push(["Afstand", "onbekend"]);
    if (r.softGaps.length) rows.push(["Te behalen", chips(softGapLabels(item.explanation, r.softGaps), "missing")]);
    if (r.unknown.length) rows.push(["Navragen", r.unknown.map((u) => UNKNOWN_NL[u] || u).join(", ")]);
    const words = (names) => [...new Set(names.map((n) => FEATURE_NL[n] || n))].join(", ");
    if (r.plus.length) rows.push(["Pleit voor", words(r.plus)]);
    if (r.minus.length) rows.push(["Pleit tegen", words(r.minus)]);
    return rows.length ? facts(rows) : null;
  }

  // -- suggestion cards (vacancy and candidate pages) --------------------------------------------

  /** One suggestion with its explanation and the coach's two decisions. */
  function suggestionCard(item, options) {
    const { mode, vacancyTitle, onRejected } = options;
    const headingId = `s-${mode}-${item.candidate_id}-${item.vacancy_id}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const subject =
      mode === "vacancy"
        ? link(`#/kandidaten/${enc(item.candidate_id)}`, `Kandidaat ${item.candidate_id}`)
        : link(`#/vacatures/${enc(item.vacancy_id)}`, `${vacancyTitle || "Vacature"} (${item.vacancy_id})`);
    const outcome = el("p", { class: "outcome", hidden: true });
    const info = options.scorer || RULE_SCORE;
    const accept = guard(el("button", { type: "button", text: "Voordragen" }), "placements:write");
    const reject = guard(el("button", { type: "button", class: "danger", text: "Afwijzen", "aria-expanded": "false" }), "placements:write");
    const card = el(
      "article",
      { class: "card", "aria-labelledby": headingId },
      el("h3", { id: headingId }, `${item.rank}. `, subject),
      el(
        "p",
        { class: "score" },
        hinted(el("span", { class: "figure-hint" }, `${capital(info.label)} `, el("strong", { text: scoreText(item.score, info) })), info.explanation),
        hinted(el("span", { class: "figure-hint" }, "Bekende gegevens ", el("strong", { text: pct(item.confidence) })), HINT.known),
        " ",
        link("#/score", "Wat betekent dit?"),
      ),
      el("p", { class: "explanation", text: item.explanation }),
      reasonFacts(item),
      el("div", { class: "actions" }, accept, reject),
      outcome,
    );
    const reasonId = `${headingId}-reason`;
    const reasonInput = el("input", { id: reasonId, type: "text", list: "reject-reasons", maxlength: "2000", autocomplete: "off" });
    const confirm = el("button", { type: "submit", class: "danger", text: "Afwijzing bevestigen" });
    const cancel = el("button", { type: "button", class: "secondary", text: "Annuleren" });
    const rejectForm = el(
      "form",
      { class: "reject-form", hidden: true, novalidate: true },
      el("div", { class: "field" }, el("label", { for: reasonId, text: "Reden van afwijzing (verplicht)" }), reasonInput),
      el("div", { class: "actions" }, confirm, cancel),
    );
    card.append(rejectForm);
    /** The card of a pair proposed before: marked, with when and by whom, and no second proposal. */
    function markProposed(proposal) {
      card.classList.add("done");
      outcome.hidden = false;
      fill(outcome,
        el("span", { class: "badge risk", text: "voorgedragen" }),
        ` op ${day(proposal.at)}${proposal.by ? ` door ${proposal.by}` : ""}: plaatsing ${proposal.placement_id} staat op ‘${PLACEMENT_STATUS_NL[proposal.status] || proposal.status}’. ${proposal.status === "voorgesteld" ? "Afwijzen trekt de voordracht in. " : ""}`,
        item.obligation_id ? link(`#/verplichtingen/${enc(item.obligation_id)}`, `Naar verplichting ${item.obligation_id}`) : "",
      );
      accept.remove();
    }
    if (item.proposal) markProposed(item.proposal);

    accept.addEventListener("click", async () => {
      accept.disabled = reject.disabled = true;
      clearMessages();
      try {
        const response = await call("/suggestions/accept", {
          method: "POST",
          body: { candidate_id: item.candidate_id, vacancy_id: item.vacancy_id },
          as: "response",
        });
        const result = await response.json();
        result.fresh = response.status === 201; // 200: the pair was proposed before, that proposal stands
        const placement = result.placement;
        item.obligation_id = placement.obligation_id;
        markProposed(result.proposal);
        reject.disabled = false;
        guard(reject, "placements:write");
        showStatus(
          result.fresh
            ? `${item.candidate_id} is voorgedragen voor ${vacancyTitle || item.vacancy_id} (${item.vacancy_id}). Plaatsing ${placement.placement_id} staat op ‘voorgesteld’; registreer bij Verplichtingen wanneer de werkgever akkoord is.`
            : `${item.candidate_id} was al voorgedragen voor ${vacancyTitle || item.vacancy_id} (${item.vacancy_id}) op ${day(result.proposal.at)}: plaatsing ${placement.placement_id}. Er is geen tweede voordracht gemaakt.`,
        );
      } catch (error) {
        accept.disabled = reject.disabled = false;
        guard(accept, "placements:write");
        showError(error, "Voordragen mislukt");
      }
    });
    reject.addEventListener("click", () => {
      const open = rejectForm.hidden;
      rejectForm.hidden = !open;
      reject.setAttribute("aria-expanded", String(open));
      if (open) reasonInput.focus();
    });
    cancel.addEventListener("click", () => {
      rejectForm.hidden = true;
      reject.setAttribute("aria-expanded", "false");
      reject.focus();
    });
    rejectForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = reasonInput.value.trim();
      clearMessages();
      if (!reason) {
        reasonInput.setAttribute("aria-invalid", "true");
        showError(new ApiError(422, { detail: "", errors: [{ field: "reason", message: "is required" }] }), "Afwijzen");
        reasonInput.focus();
        return;
      }
      confirm.disabled = true;
      try {
        const decided = await call("/suggestions/reject", {
          method: "POST",
          body: { candidate_id: item.candidate_id, vacancy_id: item.vacancy_id, reason },
        });
        const withdrawn = decided.withdrawn_placement_id ? ` De voordracht (plaatsing ${decided.withdrawn_placement_id}) is ingetrokken; de geplande euro's zijn bijgewerkt.` : "";
        showStatus(`Voorstel afgewezen (${decided.reason || reason}): ${item.candidate_id} wordt niet meer voorgesteld voor ${item.vacancy_id}.${withdrawn}`);
        if (onRejected) await onRejected(item);
      } catch (error) {
        confirm.disabled = false;
        showError(error, "Afwijzen mislukt");
      }
    });
    return el("li", {}, card);
  }

  function reasonsDatalist() {
    return el("datalist", { id: "reject-reasons" }, REJECT_REASONS.map((r) => el("option", { value: r })));
  }

  // -- Vacatures --------------------------------------------------------------------------------

  const SORT_NL = { start_date: "startdatum (eerst)", shortfall: "tekort (grootste eerst)", deadline: "einddatum verplichting (eerst)" };
  const OBLIGATION_STATUSES = ["op schema", "risico", "achter"];

  /** A select of ``choices`` ([value, text]) with an "alle" option first, ``value`` selected. */
  function choice(id, value, choices, all) {
    return el(
      "select",
      { id },
      all ? el("option", { value: "", text: all }) : null,
      choices.map(([v, t]) => el("option", { value: v, selected: v === value, text: t })),
    );
  }
  const field = (id, label, control) => el("div", { class: "field" }, el("label", { for: id, text: label }), control);
  /** [value, text] pairs of the distinct ``key`` values of ``rows``, named by ``name``, sorted by name. */
  function distinct(rows, key, name) {
    const seen = new Map();
    for (const r of rows) if (r[key]) seen.set(r[key], name ? r[name] || r[key] : r[key]);
    return [...seen.entries()].sort((a, b) => String(a[1]).localeCompare(String(b[1]), "nl"));
  }
  /** The region choices: the key's own, every region, and those the lists name. */
  function regionChoices(rows, current) {
    const names = new Set(rows.flatMap((r) => r.regions || [r.region]).filter(Boolean));
    if (state.me.region) names.add(state.me.region);
    if (current && current !== "*") names.add(current);
    return [["*", "alle regio's"], ...[...names].sort().map((n) => [n, n])];
  }

  async function pageVacancies(view, _args, ctx) {
    const get = (name) => ctx.query.get(name) || "";
    const q = get("q");
    const region = get("regio") || state.me.region || "*";
    const [sector, status, contractor, obligation] = [get("sector"), get("status"), get("opdrachtnemer"), get("verplichting")];
    const sort = get("sorteer") || "start_date";
    const everything = get("alle") === "1";
    const offset = Number(get("offset")) || 0;
    const limit = 50;
    const params = new URLSearchParams({ offset, limit, region, sort });
    for (const [name, value] of [["q", q], ["sector", sector], ["status", status], ["contractor_id", contractor], ["obligation_id", obligation]]) if (value) params.set(name, value);
    if (everything) params.set("all", "true");
    const [result, pool] = await Promise.all([
      call(`/worklist/vacancies?${params}`),
      call(`/worklist/vacancies?${new URLSearchParams({ region, all: "true", limit: 500 })}`),
    ]);
    const search = el("input", { id: "vacancy-q", type: "search", name: "q", value: q, autocomplete: "off" });
    const regionSelect = choice("vacancy-region", region, regionChoices(pool.items, region));
    const sectorSelect = choice("vacancy-sector", sector, distinct(pool.items, "sector"), "alle");
    const statusSelect = choice("vacancy-status", status, OBLIGATION_STATUSES.map((x) => [x, x]), "alle");
    const contractorSelect = choice("vacancy-contractor", contractor, distinct(pool.items, "contractor_id", "contractor_name"), "alle");
    const obligationSelect = choice("vacancy-obligation", obligation, distinct(pool.items, "obligation_id", "tender_name"), "alle");
    const sortSelect = choice("vacancy-sort", sort, Object.entries(SORT_NL));
    const all = el("input", { id: "vacancy-all", type: "checkbox", checked: everything });
    const form = el(
      "form",
      { class: "search", role: "search", "aria-label": "Vacatures zoeken" },
      field("vacancy-q", "Zoek op functie of beroep", search),
      field("vacancy-region", "Regio", regionSelect),
      field("vacancy-sector", "Sector", sectorSelect),
      field("vacancy-status", "Status verplichting", statusSelect),
      field("vacancy-contractor", "Opdrachtnemer", contractorSelect),
      field("vacancy-obligation", "Verplichting", obligationSelect),
      field("vacancy-sort", "Sorteer op", sortSelect),
      el("div", { class: "check" }, all, el("label", { for: "vacancy-all", text: "Ook volle plaatsen en afgelopen verplichtingen" })),
      el("button", { type: "submit", text: "Zoeken" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.focusAfter = "results";
      go(
        hashWith("/vacatures", {
          q: search.value.trim(),
          regio: regionSelect.value === (state.me.region || "*") ? "" : regionSelect.value,
          sector: sectorSelect.value,
          status: statusSelect.value,
          opdrachtnemer: contractorSelect.value,
          verplichting: obligationSelect.value,
          sorteer: sortSelect.value === "start_date" ? "" : sortSelect.value,
          alle: all.checked ? "1" : "",
        }),
      );
    });
    const rows = result.items.map((v) =>
      el(
        "tr",
        {},
        el("td", {}, link(`#/vacatures/${enc(v.vacancy_id)}`, v.title || v.vacancy_id), el("span", { class: "sub id", text: v.vacancy_id })),
        el("td", { text: v.contractor_name || v.contractor_id }),
        el("td", {}, v.obligation_id ? [link(`#/verplichtingen/${enc(v.obligation_id)}`, v.tender_name || v.obligation_id), el("span", { class: "sub id", text: v.obligation_id })] : "—"),
        el("td", { text: v.region || "—" }),
        el("td", { class: "num", text: `${v.open_positions} van ${v.positions}` }),
        el("td", { text: day(v.start_date) }),
        el("td", { text: day(v.deadline) }),
        el("td", { class: "num", text: v.shortfall_eur === null ? "—" : eur(v.shortfall_eur) }),
      ),
    );
    const where = region === "*" ? "alle regio's" : `regio ${region}`;
    put(view,
      ...heading("Vacatures", `Open plaatsen in ${where}: plaatsen over en de verplichting loopt nog. Bekijk wie uit uw regio erbij past; niemand wordt geplaatst zonder uw besluit.`),
      form,
      el("p", { id: "results", tabindex: "-1", text: `${result.total} ${result.total === 1 ? "vacature" : "vacatures"} gevonden${q ? ` voor ‘${q}’` : ""}.` }),
      result.items.length
        ? table(
            "Vacatures",
            [
              "Vacature",
              "Opdrachtnemer",
              "Verplichting",
              "Regio",
              el("th", { scope: "col", class: "num", title: "Plaatsen die nog niemand hebben, van het totaal." }, "Open plaatsen"),
              "Start",
              el("th", { scope: "col", title: "De einddatum van de verplichting: tot dan telt een plaatsing mee." }, "Einddatum"),
              el("th", { scope: "col", class: "num", title: HINT.shortfall }, "Tekort verplichting"),
            ],
            rows,
          )
        : el("p", { class: "note", text: "Geen vacatures gevonden. Probeer een ander woord of zet ‘Ook volle plaatsen’ aan." }),
      pager(result.total, offset, limit, (o) =>
        hashWith("/vacatures", { q, regio: get("regio"), sector, status, opdrachtnemer: contractor, verplichting: obligation, sorteer: get("sorteer"), alle: everything ? "1" : "", offset: o }),
      ),
    );
  }

  async function pageVacancy(view, [vacancyId], ctx) {
    const id = enc(vacancyId);
    const [vacancy, suggestions, placements] = await Promise.all([
      call(`/vacancies/${id}`),
      can("suggest") ? call(`/vacancies/${id}/suggestions?top=10`) : null,
      can("placements:read") ? call(`/placements?vacancy_id=${id}&limit=100`) : null,
    ]);
    const [contractor, obligation] = await Promise.all([
      call(`/contractors/${enc(vacancy.contractor_id)}`).catch(() => null),
      vacancy.obligation_id ? call(`/obligations/${enc(vacancy.obligation_id)}`).catch(() => null) : null,
    ]);
    const title = vacancy.title || vacancy.vacancy_id;
    const section = el("section", { "aria-labelledby": "suggestions-title" });
    const scorer = await scorerInfo();

    async function showSuggestions(items) {
      const cards = items.map((item) =>
        suggestionCard(item, {
          mode: "vacancy",
          vacancyTitle: title,
          scorer,
          onRejected: async () => {
            const fresh = await call(`/vacancies/${id}/suggestions?top=10`);
            if (!ctx.current()) return;
            await showSuggestions(fresh.items);
            document.getElementById("suggestions-title").focus();
          },
        }),
      );
      fill(section,
        el("h2", { id: "suggestions-title", tabindex: "-1", text: "Voorstellen" }),
        el(
          "p",
          { class: "note" },
          "De best passende kandidaten uit regio ",
          regionName(),
          `: iedereen voldoet aan de harde eisen (certificaten, rijbewijs, taal, uren, afstand, beschikbaarheid, toestemming). ${capital(scorer.label)}: ${scorer.explanation}`,
        ),
        !can("placements:write") ? el("p", { class: "note", text: `${whyNot("placements:write")} Een jobcoach kan dat wel.` }) : null,
        items.length
          ? el("ol", { class: "cards", "aria-label": "Voorgestelde kandidaten" }, cards)
          : el("p", {
              class: "note",
              text: vacancy.additional
                ? "Er zijn nu geen geschikte kandidaten in uw regio voor deze vacature."
                : "Deze plaats is niet als extra aangemerkt: er worden geen kandidaten voorgesteld (geen verdringing).",
            }),
        reasonsDatalist(),
      );
    }
    if (suggestions) await showSuggestions(suggestions.items);
    else section.append(el("h2", { text: "Voorstellen" }), el("p", { class: "note", text: whyNot("suggest") }));

    put(view,
      ...heading(title, el("span", {}, `Vacature ${vacancy.vacancy_id}`, contractor ? ` bij ${contractor.name}` : "")),
      vacancy.additional === false
        ? el("p", { class: "warning-note", text: "Deze plaats is niet als extra (additioneel) aangemerkt en wordt daarom nooit via SROI gevuld." })
        : null,
      el(
        "div",
        { class: "columns" },
        el(
          "div",
          { class: "panel" },
          facts([
            ["Opdrachtnemer", contractor ? contractor.name : vacancy.contractor_id],
            [
              "Verplichting",
              vacancy.obligation_id
                ? link(`#/verplichtingen/${enc(vacancy.obligation_id)}`, obligation ? `${obligation.tender_name} (${vacancy.obligation_id})` : vacancy.obligation_id)
                : "—",
            ],
            ["Uren per week", num(vacancy.hours_per_week)],
            ["Aantal plaatsen", String(vacancy.positions ?? "—")],
            ["Extra plaats", yesNo(vacancy.additional)],
            ["Soort plaatsing", PLACEMENT_TYPE_NL[vacancy.placement_type] || vacancy.placement_type || "—"],
            ["Start", day(vacancy.start_date)],
            ["Postcode", vacancy.postcode || "—"],
          ]),
        ),
        el(
          "div",
          { class: "panel" },
          facts([
            ["Gevraagde vaardigheden", chips(vacancy.required_skills)],
            ["Gewenste vaardigheden", chips(vacancy.optional_skills)],
            ["Certificaten (vereist)", chips(vacancy.required_certificates)],
            ["Te behalen certificaten", chips(vacancy.trainable_certificates)],
            ["Rijbewijs", list(vacancy.required_licences)],
            ["Taalniveau (minimaal)", vacancy.min_language_level || "—"],
            ["Opleiding (minimaal)", vacancy.min_education_level || "—"],
            ["Fysieke belasting", vacancy.physical_load || "—"],
          ]),
        ),
      ),
      vacancy.description ? el("p", { class: "lead", text: vacancy.description }) : null,
      section,
      placements ? placementsSection(placements.items, "Plaatsingen voor deze vacature", { showVacancy: false }) : null,
    );
  }

  // -- placements (vacancy, candidate and obligation pages) --------------------------------------

  function placementsSection(items, title, options) {
    const { showVacancy = true, showCandidate = true, onChange = null, note = null } = options || {};
    const rows = items.map((p) => {
      const actions = el("td", {});
      if (onChange) {
        for (const next of TRANSITIONS[p.status] || []) {
          const label = PLACEMENT_STATUS_NL[next];
          const button = guard(
            el("button", {
              type: "button",
              class: next === "beeindigd" ? "small danger" : "small",
              "aria-label": `${p.placement_id} als ${label} registreren`,
              text: `${label[0].toUpperCase()}${label.slice(1)}`,
            }),
            "placements:write",
          );
          button.addEventListener("click", async () => {
            button.disabled = true;
            clearMessages();
            try {
              await call(`/placements/${enc(p.placement_id)}`, { method: "PATCH", body: { status: next } });
              await onChange(p, next);
            } catch (error) {
              button.disabled = false;
              showError(error, "Registreren mislukt");
            }
          });
          actions.append(button, " ");
        }
      }
      return el(
        "tr",
        {},
        el("td", { class: "id", text: p.placement_id }),
        showCandidate ? el("td", {}, idLink(`#/kandidaten/${enc(p.candidate_id)}`, p.candidate_id)) : null,
        showVacancy ? el("td", {}, idLink(`#/vacatures/${enc(p.vacancy_id)}`, p.vacancy_id)) : null,
        el("td", { text: day(p.start_date) }),
        el("td", { class: "num", text: num(p.hours_per_week) }),
        el("td", { text: CONTRACT_NL[p.contract_type] || p.contract_type || "—" }),
        el("td", {}, el("span", { class: `badge ${p.status === "beeindigd" ? "neutral" : p.status === "voorgesteld" ? "risk" : "ok"}`, text: PLACEMENT_STATUS_NL[p.status] || p.status })),
        onChange ? actions : null,
      );
    });
    const headers = [
      "Plaatsing",
      showCandidate ? "Kandidaat" : null,
      showVacancy ? "Vacature" : null,
      "Start",
      th("Uren", "num"),
      "Contract",
      "Status",
      onChange ? "Registreren" : null,
    ].filter(Boolean);
    return el(
      "section",
      { "aria-label": title },
      el("h2", { text: title }),
      note ? el("p", { class: "note", text: note }) : null,
      items.length ? table(title, headers, rows) : el("p", { class: "note", text: "Nog geen plaatsingen." }),
    );
  }

  // -- Kandidaten -------------------------------------------------------------------------------

  async function pageCandidates(view, _args, ctx) {
    const q = ctx.query.get("q") || "";
    const status = ctx.query.get("status") || "";
    const group = ctx.query.get("doelgroep") || "";
    const offset = Number(ctx.query.get("offset")) || 0;
    const limit = 50;
    const params = new URLSearchParams({ offset, limit });
    if (q) params.set("q", q);
    if (status) params.set("status", status);
    if (group) params.set("target_group", group);
    const result = await call(`/candidates?${params}`);
    const search = el("input", { id: "candidate-q", type: "search", value: q, autocomplete: "off" });
    const statusSelect = el(
      "select",
      { id: "candidate-status" },
      el("option", { value: "", text: "alle" }),
      Object.entries(CANDIDATE_STATUS_NL).map(([v, t]) => el("option", { value: v, selected: v === status, text: t })),
    );
    const groupSelect = el(
      "select",
      { id: "candidate-group" },
      el("option", { value: "", text: "alle" }),
      Object.entries(GROUP_NL).map(([v, t]) => el("option", { value: v, selected: v === group, text: t })),
    );
    const form = el(
      "form",
      { class: "search", role: "search", "aria-label": "Kandidaten zoeken" },
      el("div", { class: "field" }, el("label", { for: "candidate-q", text: "Zoek op kandidaatnummer" }), search),
      el("div", { class: "field" }, el("label", { for: "candidate-status", text: "Status" }), statusSelect),
      el("div", { class: "field" }, el("label", { for: "candidate-group", text: "Doelgroep" }), groupSelect),
      el("button", { type: "submit", text: "Zoeken" }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.focusAfter = "results";
      go(hashWith("/kandidaten", { q: search.value.trim(), status: statusSelect.value, doelgroep: groupSelect.value }));
    });
    const rows = result.items.map((c) =>
      el(
        "tr",
        {},
        el("td", {}, idLink(`#/kandidaten/${enc(c.candidate_id)}`, c.candidate_id)),
        el("td", { text: GROUP_NL[c.target_group] || c.target_group || "—" }),
        el("td", { text: CANDIDATE_STATUS_NL[c.status] || c.status || "onbekend" }),
        el("td", { text: yesNo(c.consent) }),
        el("td", { text: day(c.available_from) }),
        el("td", { class: "num", text: c.hours_min !== null || c.hours_max !== null ? `${num(c.hours_min)}–${num(c.hours_max)}` : "—" }),
        el("td", { class: "num", text: c.max_travel_km !== null ? `${num(c.max_travel_km)} km` : "—" }),
        el("td", { class: "id", text: c.coach_id || "—" }),
      ),
    );
    put(view,
      ...heading("Kandidaten", `De kandidaten van regio ${regionName()}. Profielen zijn gepseudonimiseerd: er staan geen namen in.`),
      form,
      el("p", { id: "results", tabindex: "-1", text: `${result.total} ${result.total === 1 ? "kandidaat" : "kandidaten"} gevonden.` }),
      result.items.length
        ? table(
            "Kandidaten",
            ["Kandidaat", "Doelgroep", "Status", "Toestemming", "Beschikbaar vanaf", th("Uren", "num"), th("Reisafstand", "num"), "Coach"],
            rows,
          )
        : el("p", { class: "note", text: "Geen kandidaten gevonden." }),
      pager(result.total, offset, limit, (o) => hashWith("/kandidaten", { q, status, doelgroep: group, offset: o })),
    );
  }

  async function pageCandidate(view, [candidateId], ctx) {
    const id = enc(candidateId);
    const [candidate, suggestions, training, placements] = await Promise.all([
      call(`/candidates/${id}`),
      can("suggest") ? call(`/candidates/${id}/suggestions?top=10`) : null,
      can("reports:read") ? call("/reports/monitoring/tables/training").catch(() => null) : null,
      can("placements:read") ? call(`/placements?candidate_id=${id}&limit=100`) : null,
    ]);
    const items = suggestions ? suggestions.items : [];
    const vacancies = await Promise.all(items.map((s) => call(`/vacancies/${enc(s.vacancy_id)}`).catch(() => null)));
    const titles = Object.fromEntries(vacancies.filter(Boolean).map((v) => [v.vacancy_id, v.title || v.vacancy_id]));

    const section = el("section", { "aria-labelledby": "fit-title" });
    const scorer = await scorerInfo();
    function showSuggestions(list_) {
      fill(section,
        el("h2", { id: "fit-title", tabindex: "-1", text: "Passende vacatures" }),
        el("p", { class: "note", text: "Open plaatsen waarvoor deze kandidaat aan alle harde eisen voldoet, best passend eerst." }),
        list_.length
          ? el(
              "ol",
              { class: "cards", "aria-label": "Passende vacatures" },
              list_.map((item) =>
                suggestionCard(item, {
                  mode: "candidate",
                  vacancyTitle: titles[item.vacancy_id],
                  scorer,
                  onRejected: async () => {
                    const fresh = await call(`/candidates/${id}/suggestions?top=10`);
                    if (!ctx.current()) return;
                    showSuggestions(fresh.items);
                    document.getElementById("fit-title").focus();
                  },
                }),
              ),
            )
          : el("p", {
              class: "note",
              text:
                candidate.consent === false
                  ? "Deze kandidaat heeft geen toestemming gegeven en wordt daarom nergens voorgesteld."
                  : candidate.status && candidate.status !== "beschikbaar"
                    ? `Deze kandidaat is ${CANDIDATE_STATUS_NL[candidate.status] || candidate.status} en wordt daarom nergens voorgesteld.`
                    : "Er is nu geen open plaats waarvoor deze kandidaat aan alle eisen voldoet.",
            }),
        reasonsDatalist(),
      );
    }
    showSuggestions(items);

    put(view,
      ...heading(`Kandidaat ${candidate.candidate_id}`, `${GROUP_NL[candidate.target_group] || candidate.target_group || "Doelgroep onbekend"} · regio ${candidate.region || "onbekend"}`),
      candidate.consent === false ? el("p", { class: "warning-note", text: "Geen toestemming: deze kandidaat wordt niet voorgesteld of gepland." }) : null,
      el(
        "div",
        { class: "columns" },
        el(
          "div",
          { class: "panel" },
          facts([
            ["Kandidaatnummer", el("span", { class: "id", text: candidate.candidate_id })],
            ["Doelgroep", GROUP_NL[candidate.target_group] || candidate.target_group || "—"],
            ["Uitkering sinds", day(candidate.benefit_since)],
            ["Status", CANDIDATE_STATUS_NL[candidate.status] || candidate.status || "onbekend"],
            ["Toestemming", yesNo(candidate.consent)],
            ["Beschikbaar vanaf", day(candidate.available_from)],
            ["Uren per week", candidate.hours_min !== null || candidate.hours_max !== null ? `${num(candidate.hours_min)} tot ${num(candidate.hours_max)}` : "onbekend"],
            ["Reisafstand", candidate.max_travel_km !== null ? `maximaal ${num(candidate.max_travel_km)} km` : "onbekend"],
            ["Postcode", candidate.postcode || "—"],
            ["Coach", candidate.coach_id || "—"],
          ]),
        ),
        el(
          "div",
          { class: "panel" },
          facts([
            ["Vaardigheden", chips(candidate.skills)],
            ["Beroepen (jaren)", chips((candidate.occupations || []).map((o) => o.replace(/:(\d+(?:\.\d+)?)$/, " ($1 jaar)")))],
            ["Certificaten", chips(candidate.certificates)],
            ["Rijbewijzen", list(candidate.driving_licences)],
            ["Taalniveau", candidate.language_level || "onbekend"],
            ["Opleiding", candidate.education_level || "onbekend"],
            ["Belastbaarheid", candidate.physical_capacity || "onbekend"],
          ]),
        ),
      ),
      section,
      missingSection(items, titles, training),
      placements ? placementsSection(placements.items, "Plaatsingen", { showCandidate: false }) : null,
    );
  }

  /** What the candidate lacks for the vacancies near the top, and the training that closes each gap. */
  function missingSection(items, titles, training) {
    const courses = new Map();
    for (const row of (training && training.items) || []) {
      for (const name of [row.item, row.label]) if (name) courses.set(String(name).toLowerCase(), row);
    }
    const gaps = [];
    for (const item of items) {
      const r = parseReasons(item.reasons);
      const certificates = softGapLabels(item.explanation, r.softGaps).map((label, i) => ({ kind: "certificaat", label, key: r.softGaps[i] }));
      const skills = r.missing.map((label) => ({ kind: "vaardigheid", label, key: label }));
      if (certificates.length || skills.length) gaps.push({ item, needs: [...certificates, ...skills] });
    }
    const counts = new Map();
    for (const gap of gaps) for (const need of gap.needs) counts.set(need.label, (counts.get(need.label) || 0) + 1);
    const course = (need) => courses.get(String(need.key).toLowerCase()) || courses.get(String(need.label).toLowerCase());
    const advised = new Set();
    const untrained = new Set();
    /** A gap's training advice in full the first time, a short reference after that. */
    const adviceOnce = (label, text) => {
      if (advised.has(label)) return `${label}: zie hierboven`;
      advised.add(label);
      return text;
    };
    const rows = gaps.map(({ item, needs }) =>
      el(
        "tr",
        {},
        el("td", {}, link(`#/vacatures/${enc(item.vacancy_id)}`, titles[item.vacancy_id] || item.vacancy_id), el("span", { class: "sub id", text: item.vacancy_id })),
        el("td", {}, el("ul", { class: "plain" }, needs.map((n) => el("li", { text: `${n.label} (${n.kind})` })))),
        el(
          "td",
          {},
          el(
            "ul",
            { class: "plain" },
            needs.map((n) => {
              const row = course(n);
              if (row) return el("li", { text: adviceOnce(n.label, row.text) });
              if (n.kind !== "certificaat") untrained.add(n.label);
              return el("li", { text: n.kind === "certificaat" ? adviceOnce(n.label, `Cursus ${n.label} (te behalen)`) : "—" });
            }),
          ),
        ),
      ),
    );
    const most = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return el(
      "section",
      { "aria-labelledby": "missing-title" },
      el("h2", { id: "missing-title", text: "Wat ontbreekt" }),
      gaps.length
        ? [
            el(
              "p",
              { class: "note" },
              "Wat deze kandidaat mist voor de best passende vacatures, en welke training dat oplost. ",
              most.length ? `Het vaakst gevraagd: ${most.map(([label, n]) => `${label} (${n}×)`).join(", ")}.` : "",
            ),
            table("Wat ontbreekt per vacature", ["Vacature", "Ontbreekt", "Training"], rows),
            untrained.size ? el("p", { class: "note", text: `Nog geen training in het opleidingsadvies voor: ${[...untrained].join(", ")}.` }) : null,
          ]
        : el("p", { class: "note", text: items.length ? "Voor de best passende vacatures ontbreekt niets." : "Geen passende vacatures om mee te vergelijken." }),
    );
  }

  // -- Verplichtingen ---------------------------------------------------------------------------

  const STATUS_CLASS = { "op schema": "ok", risico: "risk", achter: "behind" };
  const badge = (status) => el("span", { class: `badge ${STATUS_CLASS[status] || "neutral"}`, text: status || "onbekend" });

  function progressBar(done, planned, label, large) {
    const donePct = Math.round(100 * clamp01(done));
    const plannedPct = Math.round(100 * Math.min(clamp01(planned), 1 - clamp01(done)));
    const doneBar = el("span", { class: "bar-done" });
    const plannedBar = el("span", { class: "bar-planned" });
    doneBar.style.width = `${donePct}%`;
    plannedBar.style.width = `${plannedPct}%`;
    return el(
      "div",
      {
        class: large ? "bar large" : "bar",
        role: "progressbar",
        "aria-label": label,
        "aria-valuemin": "0",
        "aria-valuemax": "100",
        "aria-valuenow": String(donePct),
        "aria-valuetext": `${donePct}% gerealiseerd${plannedPct ? `, ${plannedPct}% gepland` : ""}`,
      },
      doneBar,
      plannedBar,
    );
  }
  const legend = () =>
    el(
      "p",
      { class: "legend" },
      el("span", {}, el("span", { class: "swatch done" }), "gerealiseerd"),
      el("span", {}, el("span", { class: "swatch planned" }), "gepland (voorgesteld)"),
    );
  function timeLeft(row, todayIso) {
    if (row.start_date && todayIso && row.start_date > todayIso) return `start ${day(row.start_date)}`;
    if (!row.months_left) return "looptijd voorbij";
    return `nog ${plural(row.months_left, "maand", "maanden")}`;
  }

  async function pageObligations(view, _args, ctx) {
    const get = (name) => ctx.query.get(name) || "";
    const q = get("q").trim();
    const status = get("status");
    const sector = get("sector");
    const contractor = get("opdrachtnemer");
    const region = get("regio") || state.me.region || "*";
    const sort = get("sorteer") || "deadline";
    const everything = get("alle") === "1";
    const showAll = get("toon") === "alle";
    const params = new URLSearchParams({ region, sort, limit: 500 });
    for (const [name, value] of [["q", q], ["status", status], ["sector", sector], ["contractor_id", contractor]]) if (value) params.set(name, value);
    if (everything) params.set("all", "true");
    const [table_, pool] = await Promise.all([
      call(`/worklist/obligations?${params}`),
      call(`/worklist/obligations?${new URLSearchParams({ region, all: "true", limit: 500 })}`),
    ]);
    const matches = table_.items;
    const shown = showAll ? matches : matches.slice(0, 100);
    const counts = { "op schema": 0, risico: 0, achter: 0 };
    for (const r of matches) counts[r.status] = (counts[r.status] || 0) + 1;
    const search = el("input", { id: "obligation-q", type: "search", value: q, autocomplete: "off" });
    const statusSelect = choice("obligation-status", status, OBLIGATION_STATUSES.map((x) => [x, x]), "alle");
    const regionSelect = choice("obligation-region", region, regionChoices(pool.items, region));
    const sectorSelect = choice("obligation-sector", sector, distinct(pool.items, "sector"), "alle");
    const contractorSelect = choice("obligation-contractor", contractor, distinct(pool.items, "contractor_id", "contractor_name"), "alle");
    const sortSelect = choice("obligation-sort", sort, Object.entries(SORT_NL));
    const all = el("input", { id: "obligation-all", type: "checkbox", checked: everything });
    const form = el(
      "form",
      { class: "search", role: "search", "aria-label": "Verplichtingen zoeken" },
      field("obligation-q", "Zoek op aanbesteding, opdrachtgever of opdrachtnemer", search),
      field("obligation-region", "Regio", regionSelect),
      field("obligation-status", "Status", statusSelect),
      field("obligation-sector", "Sector", sectorSelect),
      field("obligation-contractor", "Opdrachtnemer", contractorSelect),
      field("obligation-sort", "Sorteer op", sortSelect),
      el("div", { class: "check" }, all, el("label", { for: "obligation-all", text: "Ook afgelopen en voldane verplichtingen" })),
      el("button", { type: "submit", text: "Zoeken" }),
    );
    const here = { q, status, sector, opdrachtnemer: contractor, regio: get("regio"), sorteer: get("sorteer"), alle: everything ? "1" : "" };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.focusAfter = "results";
      go(
        hashWith("/verplichtingen", {
          q: search.value.trim(),
          status: statusSelect.value,
          sector: sectorSelect.value,
          opdrachtnemer: contractorSelect.value,
          regio: regionSelect.value === (state.me.region || "*") ? "" : regionSelect.value,
          sorteer: sortSelect.value === "deadline" ? "" : sortSelect.value,
          alle: all.checked ? "1" : "",
        }),
      );
    });
    const rows = shown.map((r) =>
      el(
        "tr",
        {},
        el("td", {}, link(`#/verplichtingen/${enc(r.obligation_id)}`, r.tender_name || r.obligation_id), el("span", { class: "sub" }, `${r.obligation_id} · ${r.client || ""}`), r.scheme_version ? el("span", { class: "sub", text: `schema ${r.scheme_version}` }) : null),
        el("td", { text: r.contractor_name || r.contractor_id }),
        el(
          "td",
          { title: HINT.progress },
          progressBar(r.fulfilment, (r.planned_fulfilment || r.fulfilment) - r.fulfilment, `Voortgang ${r.obligation_id}`),
          el("span", { class: "sub" }, `${eur(r.realised_eur)} van ${eur(r.required_eur)} (${pct(r.fulfilment)})`),
        ),
        el("td", { class: "num", text: eur(r.planned_eur) }),
        el("td", { class: "num" }, r.forecast_low_eur !== undefined && r.forecast_low_eur !== r.forecast_high_eur ? `${eur(r.forecast_low_eur)} tot ${eur(r.forecast_high_eur)}` : eur(r.forecast_eur), el("span", { class: "sub", text: r.forecast_label })),
        el("td", { text: timeLeft(r, table_.today) }),
        el("td", {}, badge(r.status)),
        el("td", {}, r.reason || "", r.displacement_warning ? el("span", { class: "sub warn", text: "⚠ personeel onder de basis bij gunning: controleer verdringing" }) : null),
      ),
    );
    put(view,
      ...heading(
        "Verplichtingen",
        `Stand op ${day(table_.today)}: de lopende verplichtingen met open plaatsen of een tekort, in ${region === "*" ? "alle regio's" : `regio ${region}`}, gewaardeerd met de bouwblokkenmethode. Plaatsingen van alle regio's tellen mee.`,
      ),
      el(
        "p",
        { class: "summary-counts", "aria-label": "Aantal per status" },
        badge("op schema"),
        ` ${counts["op schema"]} `,
        badge("risico"),
        ` ${counts.risico} `,
        badge("achter"),
        ` ${counts.achter}`,
      ),
      form,
      el("p", { id: "results", tabindex: "-1", text: `${matches.length} ${matches.length === 1 ? "verplichting" : "verplichtingen"}${shown.length < matches.length ? `, de eerste ${shown.length} getoond` : ""}.` }),
      legend(),
      shown.length
        ? table(
            "Voortgang per verplichting",
            [
              "Verplichting",
              "Opdrachtnemer",
              el("th", { scope: "col", title: HINT.realised }, "Gerealiseerd"),
              el("th", { scope: "col", class: "num", title: HINT.planned }, "Gepland"),
              el("th", { scope: "col", class: "num", title: HINT.forecast }, "Prognose"),
              el("th", { scope: "col", title: HINT.duration }, "Looptijd"),
              "Status",
              "Toelichting",
            ],
            rows,
          )
        : el("p", { class: "note", text: "Geen verplichtingen gevonden." }),
      shown.length < matches.length ? el("p", {}, link(hashWith("/verplichtingen", { ...here, toon: "alle" }), `Toon alle ${matches.length}`)) : null,
    );
  }

  async function pageObligation(view, [obligationId]) {
    const id = enc(obligationId);
    const [obligation, figures, vacancies, own] = await Promise.all([
      call(`/obligations/${id}`),
      call(`/obligations/${id}/progress`),
      call(`/vacancies?obligation_id=${id}&limit=500`),
      can("placements:read") ? call(`/placements?for_obligation=${id}&limit=500`) : null,
    ]);
    const contractor = await call(`/contractors/${enc(obligation.contractor_id)}`).catch(() => null);
    const placements = own ? own.items : [];
    const owed = Number(figures.owed_eur) || 0;
    const plannedShare = owed > 0 ? Number(figures.planned_eur) / owed : 0;
    const figure = (label, value, hint) => {
      const [box, description] = hinted(el("div", { class: "figure" }, el("span", { class: "label", text: label }), el("span", { class: "value", text: value })), hint);
      return [box, description]; // the description beside the figure, so the figure's own text stays its label and value
    };

    put(view,
      ...heading(obligation.tender_name || obligation.obligation_id, `Verplichting ${obligation.obligation_id} · ${obligation.client || ""}${contractor ? ` · ${contractor.name}` : ""}`),
      el(
        "section",
        { class: "panel", "aria-labelledby": "progress-title" },
        el("h2", { id: "progress-title", tabindex: "-1", text: "Voortgang" }),
        el("p", {}, badge(figures.status), " ", figures.reason || ""),
        progressBar(figures.fulfilment, plannedShare, `Voortgang ${obligation.obligation_id}`, true),
        legend(),
        el(
          "div",
          { class: "figures" },
          figure("Vereist", eur(figures.owed_eur), HINT.required),
          figure("Gerealiseerd", eur(figures.realised_eur), HINT.realised),
          figure("Gepland (voorgesteld)", eur(figures.planned_eur), HINT.planned),
          figure("Nog nodig", eur(figures.still_needed_eur), HINT.stillNeeded),
          figure("Prognose", figures.forecast_low_eur !== undefined && figures.forecast_low_eur !== figures.forecast_high_eur ? `${eur(figures.forecast_low_eur)} tot ${eur(figures.forecast_high_eur)}` : eur(figures.forecast_eur), HINT.forecast),
          figure("Looptijd", figures.months_left ? `nog ${plural(figures.months_left, "maand", "maanden")}` : `tot ${day(figures.end_date || obligation.end_date)}`, HINT.duration),
          figures.open_positions !== null && figures.open_positions !== undefined ? figure("Open plaatsen", String(figures.open_positions), HINT.openPlaces) : null,
        ),
      ),
      el(
        "div",
        { class: "panel" },
        facts([
          ["Opdrachtgever", obligation.client || "—"],
          ["Opdrachtnemer", contractor ? contractor.name : obligation.contractor_id],
          ["Sector", obligation.sector || "—"],
          ["Contractwaarde", eur(obligation.contract_value_eur)],
          ["SROI-percentage", obligation.sroi_percentage !== null ? `${num(obligation.sroi_percentage)}%` : "—"],
          ["Gegund op", day(obligation.award_date)],
          ["Looptijd", `${day(obligation.start_date)} tot ${day(obligation.end_date)}`],
          ["Waarderingsschema", figures.scheme_version || obligation.valuation_scheme || "standaard"],
          ["Toegestane doelgroepen", (obligation.allowed_target_groups || []).map((g) => GROUP_NL[g] || g).join(", ") || "alle"],
          contractor && contractor.headcount_current !== null && contractor.headcount_baseline !== null && contractor.headcount_current < contractor.headcount_baseline
            ? ["Let op", el("span", { class: "warn", text: `personeel ${contractor.headcount_current}, bij gunning ${contractor.headcount_baseline}: controleer verdringing` })]
            : null,
        ]),
      ),
      own
        ? placementsSection(placements, "Plaatsingen", {
            note: `Plaatsingen van kandidaten uit regio ${regionName()}. Registreer hier wanneer de werkgever akkoord is (geaccepteerd), de kandidaat begint (gestart) of stopt (beëindigd); plaatsingen van andere regio's tellen wel mee in de bedragen.`,
            onChange: async (p, next) => {
              showStatus(`Plaatsing ${p.placement_id} is geregistreerd als ${PLACEMENT_STATUS_NL[next]}: de voortgang is bijgewerkt.`);
              state.focusAfter = "progress-title";
              state.keepMessages = true;
              await route();
            },
          })
        : null,
      el(
        "section",
        { "aria-labelledby": "vacancies-title" },
        el("h2", { id: "vacancies-title", text: "Vacatures" }),
        vacancies.items.length
          ? table(
              "Vacatures van deze verplichting",
              ["Vacature", th("Uren", "num"), th("Plaatsen", "num"), "Extra plaats", "Start"],
              vacancies.items.map((v) =>
                el(
                  "tr",
                  {},
                  el("td", {}, link(`#/vacatures/${enc(v.vacancy_id)}`, v.title || v.vacancy_id), el("span", { class: "sub id", text: v.vacancy_id })),
                  el("td", { class: "num", text: num(v.hours_per_week) }),
                  el("td", { class: "num", text: String(v.positions ?? "—") }),
                  el("td", { text: yesNo(v.additional) }),
                  el("td", { text: day(v.start_date) }),
                ),
              ),
            )
          : el("p", { class: "note", text: "Nog geen vacatures." }),
      ),
    );
  }

  // -- Batchmatch -------------------------------------------------------------------------------

  async function pageBatch(view) {
    const [runs, obligations] = await Promise.all([
      can("runs:read") ? call("/runs?limit=20") : null,
      call(`/worklist/obligations?${new URLSearchParams({ region: state.me.region || "*", limit: 500, sort: "deadline" })}`),
    ]);
    // the region's running obligations with places left or euros still needed, and their tenders and contractors
    const options = {
      obligation: obligations.items.map((o) => [o.obligation_id, `${o.tender_name} (${o.obligation_id}, ${o.client || ""})`]),
      tender: distinct(obligations.items, "tender_name"),
      contractor: distinct(obligations.items, "contractor_id", "contractor_name").map(([id, name]) => [id, `${name} (${id})`]),
    };
    const scopeInput = el("select", { id: "scope-id", "aria-describedby": "scope-help" });
    const scopeLabel = el("label", { for: "scope-id", text: "Kies de verplichting" });
    const help = el("p", { id: "scope-help", class: "note" });
    const labels = {
      obligation: ["Kies de verplichting", "De lopende verplichtingen van uw regio met open plaatsen of een tekort, de eerste einddatum bovenaan."],
      tender: ["Kies de aanbesteding", "Alle verplichtingen van de aanbesteding worden samen gepland."],
      contractor: ["Kies de opdrachtnemer", "Alle open plaatsen van deze opdrachtnemer."],
      region: ["Geen keuze nodig", "Alle open plaatsen, met de kandidaten van uw regio. Dit duurt langer."],
    };
    const radios = Object.keys(SCOPE_NL).map((scope) =>
      el(
        "span",
        { class: "check" },
        el("input", { type: "radio", name: "scope", id: `scope-${scope}`, value: scope, checked: scope === "obligation" }),
        el("label", { for: `scope-${scope}`, text: SCOPE_NL[scope][0].toUpperCase() + SCOPE_NL[scope].slice(1) }),
      ),
    );
    function setScope(scope) {
      scopeLabel.textContent = labels[scope][0];
      help.textContent = labels[scope][1];
      scopeInput.disabled = scope === "region";
      scopeInput.replaceChildren(
        el("option", { value: "", text: scope === "region" ? "—" : "Kies…" }),
        ...(options[scope] || []).map(([value, text]) => el("option", { value, text })),
      );
    }
    const start = guard(el("button", { type: "submit", text: "Batchmatch starten" }), "runs:write");
    const form = el(
      "form",
      { class: "panel", novalidate: true, "aria-labelledby": "start-title" },
      el("h2", { id: "start-title", text: "Nieuwe batchmatch" }),
      el("fieldset", {}, el("legend", { text: "Wat wilt u plannen?" }), el("div", { class: "radios" }, radios)),
      el("div", { class: "toolbar" }, el("div", { class: "field" }, scopeLabel, scopeInput), start),
      help,
      !can("runs:write") ? el("p", { class: "note", text: `${whyNot("runs:write")} Een SROI-adviseur kan dat wel; u kunt de runs hieronder bekijken en voordragen.` }) : null,
    );
    form.addEventListener("change", (event) => {
      if (event.target.name === "scope") setScope(event.target.value);
    });
    setScope("obligation");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearMessages();
      const scope = form.querySelector("input[name=scope]:checked").value;
      const scopeId = scopeInput.value.trim();
      if (scope !== "region" && !scopeId) {
        scopeInput.setAttribute("aria-invalid", "true");
        showError(new ApiError(422, { detail: `a ${scope} run needs scope_id`, errors: [{ field: "scope_id", message: "is required" }] }), "Starten");
        scopeInput.focus();
        return;
      }
      start.disabled = true;
      try {
        const run = await call("/runs", { method: "POST", body: { scope, scope_id: scope === "region" ? null : scopeId } });
        showStatus(`Batchmatch ${run.run_id} is gestart.`);
        state.keepMessages = true;
        go(`#/batch/${enc(run.run_id)}`);
      } catch (error) {
        start.disabled = false;
        guard(start, "runs:write");
        scopeInput.setAttribute("aria-invalid", "true");
        showError(error, "Starten mislukt");
      }
    });
    put(view,
      ...heading("Batchmatch", "Plan in één keer kandidaten voor alle open plaatsen van een verplichting, aanbesteding of opdrachtnemer. Het plan is een voorstel: niemand wordt geplaatst zonder uw besluit."),
      form,
      runs
        ? el(
            "section",
            { "aria-labelledby": "runs-title" },
            el("h2", { id: "runs-title", text: "Eerdere runs" }),
            runs.items.length
              ? table(
                  "Batchmatches van uw regio, nieuwste eerst",
                  ["Run", "Bereik", "Status", "Voortgang", "Gestart"],
                  runs.items.map((r) =>
                    el(
                      "tr",
                      {},
                      el("td", {}, idLink(`#/batch/${enc(r.run_id)}`, r.run_id)),
                      el("td", { text: `${SCOPE_NL[r.scope] || r.scope}${r.scope_id ? ` ${r.scope_id}` : ""}` }),
                      el("td", { text: RUN_STATUS_NL[r.status] || r.status }),
                      el("td", { text: pct(r.progress) }),
                      el("td", { text: moment(r.created_at) }),
                    ),
                  ),
                )
              : el("p", { class: "note", text: "Nog geen batchmatches in uw regio." }),
          )
        : null,
    );
  }

  async function pageRun(view, [runId], ctx) {
    const id = enc(runId);
    let run = await call(`/runs/${id}`);
    const bar = el("div", {
      class: "bar large",
      role: "progressbar",
      "aria-label": "Voortgang van de batchmatch",
      "aria-valuemin": "0",
      "aria-valuemax": "100",
    });
    const fillBar = el("span", { class: "bar-done" });
    bar.append(fillBar);
    const stage = el("p", { id: "run-stage" });
    const progress = el("section", { class: "panel run-progress", "aria-labelledby": "run-progress-title" }, el("h2", { id: "run-progress-title", text: "Voortgang" }), bar, stage);
    const result = el("div", {});
    function update(r) {
      const value = Math.round(100 * clamp01(r.progress));
      bar.setAttribute("aria-valuenow", String(value));
      bar.setAttribute("aria-valuetext", `${value}%: ${STAGE_NL[r.stage] || r.stage}`);
      fillBar.style.width = `${value}%`;
      stage.textContent = `${STAGE_NL[r.stage] || r.stage} (${value}%) · status: ${RUN_STATUS_NL[r.status] || r.status}${r.attempts > 1 ? ` · poging ${r.attempts}` : ""}`;
    }
    update(run);
    put(view,
      ...heading(`Batchmatch ${SCOPE_NL[run.scope] || run.scope}${run.scope_id ? ` ${run.scope_id}` : ""}`, `Run ${run.run_id} · regio ${run.region || "alle"} · gestart ${moment(run.created_at)}`),
      el("p", {}, link("#/batch", "← Alle batchmatches")),
      progress,
      result,
    );
    async function finish(r) {
      if (r.status === "done") await renderPlan(result, r, ctx);
      else if (r.status === "failed") {
        result.replaceChildren(el("p", { class: "warning-note", text: `De batchmatch is mislukt: ${r.error || "onbekende fout"}` }));
      }
    }
    if (run.status === "done" || run.status === "failed") {
      await finish(run);
      return;
    }
    const poll = async () => {
      if (!ctx.current()) return;
      try {
        run = await call(`/runs/${id}`);
      } catch (error) {
        if (ctx.current()) showError(error, "Voortgang ophalen");
        return;
      }
      if (!ctx.current()) return;
      update(run);
      if (run.status === "done" || run.status === "failed") {
        try {
          await finish(run);
          if (run.status === "done") showStatus(`De batchmatch is klaar: het plan staat hieronder.`);
        } catch (error) {
          showError(error, "Plan ophalen");
        }
        return;
      }
      state.timers.push(setTimeout(poll, POLL_MS));
    };
    state.timers.push(setTimeout(poll, POLL_MS));
  }

  async function renderPlan(container, run, ctx) {
    const offset = Number(ctx.query.get("offset")) || 0;
    const limit = 500;
    const id = enc(run.run_id);
    const [plan, unfilled, unplaced] = await Promise.all([
      call(`/runs/${id}/plan?offset=${offset}&limit=${limit}`),
      call(`/runs/${id}/unfilled?limit=100`),
      call(`/runs/${id}/unplaced?limit=100`),
    ]);
    const summary = run.summary || {};
    const objective = summary.objective || {};
    const info = summary.scorer && summary.scorer.probability ? { ...(await scorerInfo()), probability: true, label: summary.scorer.label } : RULE_SCORE;
    const counts = summary.counts || {};
    const mayAccept = can("placements:write");
    const selectAll = el("input", { type: "checkbox", id: "select-all", disabled: !mayAccept || !plan.items.length });
    const acceptButton = guard(el("button", { type: "button", text: "Geselecteerde voordragen", disabled: true }), "placements:write");
    const boxes = [];
    const rows = plan.items.map((row, i) => {
      const box = el("input", {
        type: "checkbox",
        id: `plan-${i}`,
        "aria-label": `${row.candidate_id} naar ${row.vacancy_id} selecteren`,
        disabled: !mayAccept,
      });
      const outcome = el("td", { class: "row-result" });
      boxes.push({ box, row, outcome });
      if (row.proposal) {
        box.disabled = true;
        outcome.append(el("span", { class: "outcome", text: `Voorgedragen op ${day(row.proposal.at)}${row.proposal.by ? ` door ${row.proposal.by}` : ""} (${row.proposal.placement_id})` }));
      }
      return el(
        "tr",
        {},
        el("td", {}, box),
        el("td", {}, idLink(`#/kandidaten/${enc(row.candidate_id)}`, row.candidate_id)),
        el(
          "td",
          {},
          link(`#/vacatures/${enc(row.vacancy_id)}`, row.vacancy_title || row.vacancy_id),
          el("span", { class: "sub id", text: row.vacancy_id }),
          row.contractor_name || row.region ? el("span", { class: "sub", text: [row.contractor_name, row.region].filter(Boolean).join(" · ") }) : null,
        ),
        el("td", {}, row.obligation_id ? idLink(`#/verplichtingen/${enc(row.obligation_id)}`, row.obligation_id) : "—"),
        el("td", { class: "num", text: scoreText(row.score, info) }),
        el("td", { class: "num", text: eur(row.sroi_value_eur) }),
        el("td", {}, row.explanation, row.displacement_warning ? el("span", { class: "sub warn", text: "⚠ personeel van de opdrachtnemer onder de basis: controleer verdringing" }) : null),
        outcome,
      );
    });
    const refresh = () => {
      const open = boxes.filter((b) => !b.box.disabled);
      const chosen = open.filter((b) => b.box.checked).length;
      selectAll.checked = open.length > 0 && chosen === open.length;
      selectAll.indeterminate = chosen > 0 && chosen < open.length;
      acceptButton.disabled = !mayAccept || chosen === 0;
      acceptButton.textContent = chosen ? `Geselecteerde voordragen (${chosen})` : "Geselecteerde voordragen";
    };
    for (const { box } of boxes) box.addEventListener("change", refresh);
    selectAll.addEventListener("change", () => {
      for (const { box } of boxes) if (!box.disabled) box.checked = selectAll.checked;
      refresh();
    });
    acceptButton.addEventListener("click", async () => {
      const chosen = boxes.filter((b) => b.box.checked && !b.box.disabled);
      acceptButton.disabled = true;
      clearMessages();
      let ok = 0;
      let before = 0;
      const failed = [];
      for (const entry of chosen) {
        entry.outcome.textContent = "Bezig…";
        try {
          const response = await call("/suggestions/accept", {
            method: "POST",
            body: { candidate_id: entry.row.candidate_id, vacancy_id: entry.row.vacancy_id, run_id: run.run_id },
            as: "response",
          });
          const done = await response.json();
          if (response.status === 201) ok += 1;
          else before += 1;
          entry.box.checked = false;
          entry.box.disabled = true;
          const when = response.status === 201 ? "Voorgedragen" : `Was al voorgedragen op ${day(done.proposal.at)}`;
          entry.outcome.replaceChildren(el("span", { class: "outcome", text: `${when} (${done.placement.placement_id})` }));
        } catch (error) {
          failed.push(entry.row.candidate_id);
          entry.outcome.replaceChildren(el("span", { class: "outcome failed", text: `Mislukt: ${dutchDetail(error.detail, error.status) || STATUS_TITLE_NL[error.status] || ""}` }));
        }
      }
      refresh();
      const text = `${plural(ok, "plaatsing", "plaatsingen")} voorgedragen${before ? `, ${before} al eerder` : ""}${failed.length ? `, ${failed.length} mislukt (zie de regels)` : ""}.`;
      if (failed.length) showError(new ApiError(409, { detail: "" }), text);
      else showStatus(`${text} Ze staan op ‘voorgesteld’ bij de verplichtingen.`);
    });
    fill(container,
      el(
        "section",
        { "aria-labelledby": "plan-title" },
        el("h2", { id: "plan-title", tabindex: "-1", text: "Plan" }),
        el(
          "div",
          { class: "figures" },
          [
            ["Plaatsingen in het plan", String(objective.placements ?? plan.total), HINT.placementsInPlan],
            ["SROI-waarde", eur(objective.sroi_eur), HINT.sroiPlan],
            // a sum of passingsscores is no number of people: shown only for a calibrated model's probabilities
            info.probability && objective.expected_retained_6m !== null && objective.expected_retained_6m !== undefined
              ? ["Verwacht na 6 maanden nog aan het werk", num(objective.expected_retained_6m), HINT.retained]
              : null,
            ["Open plaatsen", String(counts.open_places ?? "—"), HINT.openPlacesRun],
            ["Niet gevuld", String(counts.unfilled_places ?? unfilled.total), HINT.unfilled],
          ]
            .filter(Boolean)
            .map(([label, value, hint]) => hinted(el("div", { class: "figure" }, el("span", { class: "label", text: label }), el("span", { class: "value", text: value })), hint)),
        ),
        !mayAccept ? el("p", { class: "note", text: `${whyNot("placements:write")} Een jobcoach van de regio kan dit plan openen en voordragen.` }) : null,
        plan.items.length
          ? [
              el("div", { class: "toolbar" }, el("span", { class: "check" }, selectAll, el("label", { for: "select-all", text: "Alles selecteren" })), acceptButton),
              table(
                "Voorgestelde koppelingen",
                [el("th", { scope: "col" }, el("span", { class: "visually-hidden", text: "Selectie" })), "Kandidaat", "Vacature", "Verplichting", el("th", { scope: "col", class: "num", title: info.explanation }, capital(info.label)), el("th", { scope: "col", class: "num", title: HINT.sroi }, "SROI-waarde"), "Toelichting", "Resultaat"],
                rows,
              ),
              pager(plan.total, offset, limit, (o) => hashWith(`/batch/${run.run_id}`, { offset: o })),
            ]
          : el("p", { class: "note", text: "Het plan is leeg: er is geen open plaats met een geschikte kandidaat." }),
      ),
      unfilled.items.length
        ? el(
            "details",
            {},
            el("summary", { text: `Niet gevulde plaatsen (${unfilled.total})` }),
            table(
              "Niet gevulde plaatsen",
              ["Vacature", th("Open", "num"), "Reden"],
              unfilled.items.map((u) => el("tr", {}, el("td", {}, idLink(`#/vacatures/${enc(u.vacancy_id)}`, u.vacancy_id)), el("td", { class: "num", text: String(u.open_positions) }), el("td", { text: UNFILLED_NL[u.reason] || u.reason }))),
            ),
          )
        : null,
      unplaced.items.length
        ? el(
            "details",
            {},
            el("summary", { text: `Niet geplaatste kandidaten (${unplaced.total})` }),
            table(
              "Niet geplaatste kandidaten",
              ["Kandidaat", "Reden", "Dichtstbijzijnde vacature", "Mist"],
              unplaced.items.map((u) =>
                el(
                  "tr",
                  {},
                  el("td", {}, idLink(`#/kandidaten/${enc(u.candidate_id)}`, u.candidate_id)),
                  el("td", { text: UNPLACED_NL[u.reason] || u.reason }),
                  el("td", {}, u.nearest_vacancy_id ? idLink(`#/vacatures/${enc(u.nearest_vacancy_id)}`, u.nearest_vacancy_id) : "—"),
                  el("td", { text: (u.missing || "").replace(/target_group/g, "doelgroep") || "—" }),
                ),
              ),
            ),
          )
        : null,
    );
  }

  // -- Over de score ---------------------------------------------------------------------------

  async function pageScore(view) {
    const info = await scorerInfo();
    const model = info.model;
    put(view,
      ...heading("Over de score", "Wat het getal bij een voorstel betekent, en waarop het rust."),
      el(
        "section",
        { class: "panel", "aria-labelledby": "score-kind" },
        el("h2", { id: "score-kind", text: capital(info.label) }),
        el("p", { text: info.explanation }),
        info.probability
          ? null
          : el("p", { class: "note", text: "Er is geen getraind model geladen. Tel passingsscores niet op als verwachte plaatsingen: een som van passingsscores is geen aantal." }),
        model
          ? facts([
              ["Model", el("span", { class: "id", text: model.file })],
              ["Getraind op", plural(model.training_size, "plaatsing", "plaatsingen")],
              ["Getoetst op", `${plural(model.validation_size, "plaatsing", "plaatsingen")} die het model niet kende`],
              ["Onderscheidend vermogen (AUC)", `${num(model.validation_auc)} (0,5 is gokken, 1 is perfect)`],
              ["Gemiddelde fout van de kansen (Brier)", `${new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 3 }).format(model.validation_brier)} (lager is beter)`],
              ["Aandeel dat 6 maanden bleef", pct(model.base_rate)],
            ])
          : null,
        el("p", {}, el("strong", { text: "Bekende gegevens" }), `: ${HINT.known}`),
      ),
    );
  }

  // -- Rapportage -------------------------------------------------------------------------------

  const REPORT_ROWS = 100;

  /** The report page made light to show: its sections are laid out when scrolled to, and its table of
   * every obligation keeps its first rows (the Verplichtingen page and the workbook have them all). */
  function lighten(html) {
    let out = html.replace(
      "</head>",
      "<style>main > section { content-visibility: auto; contain-intrinsic-size: auto 900px; }</style></head>",
    );
    const start = out.indexOf('<section id="voortgang"');
    const end = start < 0 ? -1 : out.indexOf("</section>", start);
    if (end < 0) return out;
    const section = out.slice(start, end);
    const open = section.indexOf("<tbody");
    const close = section.lastIndexOf("</tbody>");
    if (open < 0 || close < open) return out;
    const first = section.indexOf(">", open) + 1;
    const rows = section.slice(first, close).split(/(?=<tr[\s>])/).filter((r) => r.trim());
    if (rows.length <= REPORT_ROWS) return out;
    const note =
      `<tr><td colspan="99"><em>… en nog ${rows.length - REPORT_ROWS} verplichtingen. Alle staan op de pagina ` +
      "Verplichtingen van Koppelaar en in het Excel-bestand.</em></td></tr>";
    return out.slice(0, start) + section.slice(0, first) + rows.slice(0, REPORT_ROWS).join("") + note + section.slice(close) + out.slice(end);
  }

  async function pageReport(view, _args, ctx) {
    const html = lighten(await call("/reports/monitoring.html", { as: "text" }));
    const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    state.blobs.push(url);
    const frame = el("iframe", { class: "report-frame", title: "Monitoringsrapport", sandbox: "allow-same-origin", src: url });
    const download = el("button", { type: "button", class: "secondary", text: "Excel-bestand downloaden (XLSX)" });
    download.addEventListener("click", async () => {
      download.disabled = true;
      clearMessages();
      try {
        const response = await call("/reports/monitoring.xlsx", { as: "response" });
        const blob = await response.blob();
        const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        const href = URL.createObjectURL(blob);
        const a = el("a", { href, download: named ? named[1] : "sroi-monitoring.xlsx", hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(href), 10000);
        showStatus("Het Excel-bestand is gedownload.");
      } catch (error) {
        showError(error, "Downloaden mislukt");
      } finally {
        download.disabled = false;
      }
    });
    put(view,
      ...heading("Rapportage", `Het monitoringsrapport van regio ${regionName()}: voortgang, signalen, behoud, aanbestedingskalender, opleidingsadvies en eerlijkheid. Het noemt geen kandidaten.`),
      el("div", { class: "actions" }, download),
      frame,
    );
    // the page counts as loaded when the report in its frame is
    ctx.after.push(() => new Promise((resolve) => frame.addEventListener("load", resolve, { once: true })));
  }

  // -- the NL Design System look -----------------------------------------------------------------

  /** The Utrecht component library's class names (static/vendor/nl-design-system) for plain elements:
   * the views build semantic HTML, and this names each element's component once, wherever it appears. */
  const COMPONENT_CLASSES = [
    ["h1", "utrecht-heading-1"],
    ["h2", "utrecht-heading-2"],
    ["h3", "utrecht-heading-3"],
    ["p", "utrecht-paragraph"],
    ["a:not(.utrecht-nav-list__link):not(.utrecht-skip-link):not(.button-link)", "utrecht-link utrecht-link--html-a"],
    ["a.button-link", "utrecht-button-link utrecht-button-link--html-a utrecht-button-link--primary-action"],
    ["button.secondary, button.small", "utrecht-button utrecht-button--secondary-action"],
    ["button.danger", "utrecht-button utrecht-button--secondary-action utrecht-button--danger"],
    ["button:not(.secondary):not(.small):not(.danger):not(.button-quiet)", "utrecht-button utrecht-button--primary-action"],
    ["table", "utrecht-table utrecht-table--html-table"],
    ["caption", "utrecht-table__caption"],
    ["thead", "utrecht-table__header"],
    ["tbody", "utrecht-table__body"],
    ["tr", "utrecht-table__row"],
    ["th", "utrecht-table__header-cell"],
    ["td", "utrecht-table__cell"],
    ["input[type=text], input[type=search], input[type=password], input[type=number], input[type=date]", "utrecht-textbox utrecht-textbox--html-input"],
    ["textarea", "utrecht-textarea utrecht-textarea--html-textarea"],
    ["select", "utrecht-select utrecht-select--html-select"],
    ["input[type=checkbox]", "utrecht-checkbox utrecht-checkbox--html-input"],
    ["label", "utrecht-form-label"],
    ["fieldset", "utrecht-form-fieldset utrecht-form-fieldset--html-fieldset"],
    ["legend", "utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend"],
  ];

  const decorated = new WeakSet();

  function decorate(root) {
    if (!(root instanceof Element) || decorated.has(root)) return;
    decorated.add(root);
    for (const [selector, classes] of COMPONENT_CLASSES) {
      const names = classes.split(" ");
      if (root.matches(selector)) root.classList.add(...names);
      for (const node of root.querySelectorAll(selector)) node.classList.add(...names);
    }
  }

  /** Every element the page adds (views, messages, forms) gets its component's classes as it arrives. */
  function lookAfterTheLook() {
    decorate(document.body);
    new MutationObserver((changes) => {
      for (const change of changes) for (const node of change.addedNodes) decorate(node);
    }).observe(document.body, { childList: true, subtree: true });
  }

  // -- start ------------------------------------------------------------------------------------

  async function start() {
    lookAfterTheLook();
    document.getElementById("sign-out").addEventListener("click", () => signOut("U bent afgemeld."));
    document.getElementById("skip-link").addEventListener("click", (event) => {
      event.preventDefault();
      const target = document.getElementById("page-title") || document.getElementById("main");
      target.focus();
    });
    window.addEventListener("hashchange", () => {
      state.userNavigated = true;
      route();
    });
    const key = sessionStorage.getItem(KEY_STORE);
    state.auth = await authSession();
    if (!key) {
      if (state.auth.signed_in) {
        try {
          state.csrf = state.auth.csrf_token;
          state.me = await call("/me", { key: null });
          renderSignedIn();
          showStatus(`U bent aangemeld als ${roleName()}, regio ${regionName()}.`);
          state.keepMessages = true;
          await route();
        } catch (error) {
          state.csrf = null;
          state.me = null;
          showSignIn();
          showError(error, "Aanmelden mislukt");
        }
        return;
      }
      showSignIn();
      if (sessionStorage.getItem(SIGNED_OUT)) {
        sessionStorage.removeItem(SIGNED_OUT);
        showStatus("U bent afgemeld, ook bij uw organisatie.");
      }
      if (state.auth.message) {
        fill(alertBox(), el("strong", { text: "Aanmelden mislukt" }), el("span", { text: state.auth.message }));
        alertBox().hidden = false;
      }
      return;
    }
    try {
      state.me = await call("/me", { key });
      state.key = key;
      renderSignedIn();
      await route();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) signOut(error);
      else {
        showSignIn();
        showError(error);
      }
    }
  }

  window.Koppelaar = Object.freeze({ lighten }); // for the browser tests
  start();
})();
