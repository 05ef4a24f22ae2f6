// The exports page: reads the v1 documents by relative URL (served by `nba-lake web` locally, by the
// exports bucket in prod) and draws them. No build step, no external script: the chart is inline SVG.
"use strict";

const fmt = {
  num: (v, d = 1) => (v === null || v === undefined ? "–" : Number(v).toFixed(d)),
  pct: (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"),
  signed: (v, d = 2) => (v === null || v === undefined ? "–" : (v > 0 ? "+" : "") + Number(v).toFixed(d)),
  time: (iso) => (iso ? new Date(iso).toISOString().slice(11, 16) + " UTC" : "–"),
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function row(cells, attrs = {}) {
  return el("tr", attrs, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", {}, c))));
}

async function load(path) {
  const res = await fetch(path, { cache: "no-cache" });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function side(s) {
  return s ? el("span", { class: s }, s) : "–";
}

function renderBestBets(doc) {
  const r = doc.rule;
  document.getElementById("best-bets-rule").textContent =
    `${doc.game_date}: the champion (${doc.champion || "none"})'s picks with an edge of at least ${r.min_edge_points} points ` +
    `and a probability of at least ${fmt.pct(r.min_probability)}, at most ${r.max_per_day} a day` +
    (r.one_per_game ? ", one per game." : ".");
  const body = document.querySelector("#best-bets tbody");
  body.replaceChildren(...doc.picks.map((p) => row([
    p.rank, p.player_lookup, side(p.side), fmt.num(p.line), p.book ? `${p.book} ${fmt.signed(p.price, 0)}` : "–",
    fmt.num(p.predicted_points), fmt.num(p.edge_points), fmt.pct(p.probability),
  ], { "data-pick": p.pick_id })));
  if (!doc.picks.length) body.append(row(["no pick passes the rule today", "", "", "", "", "", "", ""]));
  const rec = doc.record;
  document.getElementById("best-bets-record").textContent =
    `The rule's record this season: ${rec.wins}-${rec.losses}-${rec.pushes} (${fmt.pct(rec.hit_rate)}), ` +
    `ROI at -110 ${fmt.pct(rec.roi_at_110)}, at the price taken ${fmt.pct(rec.roi_at_price)}.`;
}

function renderTonight(doc) {
  const players = doc.games.reduce((n, g) => n + g.players.length, 0);
  document.getElementById("tonight-meta").textContent =
    `${doc.game_date}: ${doc.games.length} games, ${players} lined players; champion ${doc.champion || "none"}; ` +
    `last refreshed ${doc.as_of || "–"}.`;
  const games = document.querySelector("#tonight .games");
  games.replaceChildren(...doc.games.map((g) => {
    const table = el("table", {}, el("thead", {}, el("tr", {}, ...["Player", "Status", "Line", "Books", "Pick",
      ...new Set(g.players.flatMap((p) => p.predictions.map((x) => x.system_id)))].map((h) => el("th", {}, h)))));
    const systems = [...new Set(g.players.flatMap((p) => p.predictions.map((x) => x.system_id)))];
    const body = el("tbody");
    for (const p of g.players) {
      const by = Object.fromEntries(p.predictions.map((x) => [x.system_id, x]));
      body.append(row([
        p.player_lookup, p.injury_status || "", p.line ? fmt.num(p.line.consensus) : "–", p.line ? p.line.book_count : "–",
        p.pick ? side(p.pick.side) : "–",
        ...systems.map((s) => (by[s] ? `${fmt.num(by[s].predicted_points)} (${by[s].recommendation})` : "–")),
      ], { class: "player" }));
    }
    table.append(body);
    return el("div", { class: "game", "data-game": g.game_id },
      el("h3", {}, `${g.away_team || "?"} @ ${g.home_team || "?"} · ${fmt.time(g.tipoff_utc)}`), table);
  }));
}

function renderResults(doc) {
  const best = doc.best_bets;
  document.getElementById("results-meta").textContent =
    `${doc.game_date}: ${doc.graded_games} of ${doc.games} games graded${doc.complete ? "" : " (incomplete)"}; ` +
    `best bets ${best.wins}-${best.losses}-${best.pushes}, ` +
    Object.entries(doc.by_system).map(([s, r]) => `${s} ${r.wins}-${r.losses}-${r.pushes}`).join(", ") + ".";
  const picks = doc.picks.filter((p) => p.champion_pick);
  document.querySelector("#results tbody").replaceChildren(...picks.map((p) => row([
    p.player_lookup + (p.best_bet ? " ★" : ""), p.system_id, side(p.side), fmt.num(p.line), p.actual_points ?? "–",
    el("span", { class: p.result }, p.result), fmt.num(p.closing_line), fmt.signed(p.clv, 1),
    fmt.signed(p.profit_units ?? p.profit_at_110),
  ])));
}

function renderLeaderboard(doc) {
  document.getElementById("leaderboard-meta").textContent =
    `Graded through ${doc.latest_graded_day || "–"} (season from ${doc.season_start}); champion: ${doc.champion || "none"}.`;
  const windows = [["last_7_days", "7 days"], ["last_30_days", "30 days"], ["season", "season"]];
  const rows = [];
  for (const s of doc.systems) {
    for (const [key, label] of windows) {
      const m = s[key];
      rows.push(row([s.system_id + (s.champion ? " (champion)" : ""), label, m.picks, fmt.pct(m.hit_rate),
        fmt.num(m.mae, 2), fmt.pct(m.roi_at_price), fmt.pct(m.roi_at_110), fmt.num(m.brier, 3), fmt.signed(m.clv, 2)],
        { class: s.champion ? "champion" : "" }));
    }
  }
  document.querySelector("#leaderboard tbody").replaceChildren(...rows);
  drawChart(document.getElementById("champion-chart"), doc.champion_record);
}

function drawChart(box, points) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 1000, H = 220, PAD = 36;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const ys = points.map((p) => p.units_at_110);
  const lo = Math.min(0, ...ys), hi = Math.max(0, ...ys);
  const x = (i) => PAD + (points.length > 1 ? (i * (W - 2 * PAD)) / (points.length - 1) : (W - 2 * PAD) / 2);
  const y = (v) => H - PAD - ((v - lo) * (H - 2 * PAD)) / (hi - lo || 1);
  const line = (x1, y1, x2, y2, cls) => {
    const l = document.createElementNS(NS, "line");
    Object.entries({ x1, y1, x2, y2, stroke: cls, "stroke-width": 1 }).forEach(([k, v]) => l.setAttribute(k, v));
    svg.append(l);
  };
  line(PAD, y(0), W - PAD, y(0), "#9aa4ae");
  const text = (tx, ty, s) => {
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", tx); t.setAttribute("y", ty); t.setAttribute("font-size", "12"); t.textContent = s;
    svg.append(t);
  };
  if (points.length) {
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.units_at_110).toFixed(1)}`).join(" "));
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "#1d428a");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("data-points", String(points.length));
    svg.append(path);
    const last = points[points.length - 1];
    text(PAD, 16, `${last.wins}-${last.losses}, ${fmt.signed(last.units_at_110)} units at -110 through ${last.game_date}`);
    text(PAD, H - 8, points[0].game_date);
    text(W - PAD - 70, H - 8, last.game_date);
  } else {
    text(PAD, H / 2, "no graded champion picks yet");
  }
  box.replaceChildren(svg);
}

async function main() {
  const status = document.getElementById("status");
  try {
    const [tonight, best, board] = await Promise.all(
      ["v1/tonight.json", "v1/best_bets.json", "v1/leaderboard.json"].map(load));
    renderTonight(tonight);
    renderBestBets(best);
    renderLeaderboard(board);
    if (board.latest_graded_day) renderResults(await load(`v1/results/${board.latest_graded_day}.json`));
    status.textContent = `Slate of ${tonight.game_date}, as of ${tonight.as_of || "–"}.`;
    document.body.setAttribute("data-loaded", "true");
  } catch (err) {
    status.textContent = `Could not load the exports: ${err.message}`;
    document.body.setAttribute("data-loaded", "error");
  }
}

main();
