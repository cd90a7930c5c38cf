#!/usr/bin/env bash
# Load test: gunicorn with its default workers on the bundled sample corpus, driven by wrk.
#
#   bench/load.sh                      # 30 s per page at 64 connections
#   LOAD_SECONDS=10 bench/load.sh      # a quicker look
#
# Pages: browse (/), a paper page and search (/search?q=...) as a logged-out visitor sees
# them (served from the page cache), then browse and the recommendations (/recommend,
# after its SVM ranking is trained and cached) as a logged-in user. For each:
# requests/s, p99 latency and errors (non-2xx/3xx responses plus socket errors and
# timeouts), which must be 0. wrk and the server share this machine's cores, so the
# figures are a floor for a server with the machine to itself. Needs `wrk` (apt-get
# install wrk). Prints one figure per line as `name: value unit` at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.venv/bin"
SECS="${LOAD_SECONDS:-30}"
CONNS="${LOAD_CONNECTIONS:-64}"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

unset DATABASE_URL REDIS_URL SECRET_KEY
export PAPERSIFT_DATA_DIR="$WORK/data" PAPERSIFT_SCHEDULER=0 PAPERSIFT_LOG_LEVEL=WARNING
# every request comes from one address here: lift the per-address query limit
export PAPERSIFT_QUERY_RATE_LIMIT="1000000 per minute"
PORT="$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

echo "== setting up: sample corpus, index, a user with a library" >&2
"$BIN/papersift" bootstrap >&2
HAVE_USERS=0
if "$BIN/papersift" users --help >/dev/null 2>&1 && "$BIN/papersift" library --help >/dev/null 2>&1; then
  HAVE_USERS=1
  printf 'load-test-password\n' | "$BIN/papersift" users create loadtest --password-stdin >&2
  # 25 papers about speech recognition from the sample: a plausible library
  IDS="$("$BIN/python" - <<'PY'
import os, sqlite3
db = sqlite3.connect(os.path.join(os.environ["PAPERSIFT_DATA_DIR"], "papersift.db"))
rows = db.execute("SELECT id FROM papers WHERE lower(title) LIKE '%speech%' ORDER BY id LIMIT 25")
print(" ".join(r[0] for r in rows))
PY
)"
  # shellcheck disable=SC2086
  "$BIN/papersift" library add --user loadtest $IDS >&2
fi

echo "== starting gunicorn (default workers) on $BASE" >&2
"$BIN/papersift" serve --host 127.0.0.1 --port "$PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.25
done
curl -fs "$BASE/healthz" >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
sleep 1
WORKERS="$(pgrep -P "$SERVER_PID" | wc -l)"     # `papersift serve` exec'd gunicorn: same pid

# log in, wait until the recommendations are trained; prints the Cookie header value
COOKIE=""
if [ "$HAVE_USERS" = 1 ]; then
  COOKIE="$(BASE="$BASE" "$BIN/python" - <<'PY'
import os, re, time, requests
base = os.environ["BASE"]
s = requests.Session()
page = s.get(f"{base}/login", timeout=30).text
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
r = s.post(f"{base}/login", data={"csrf_token": token, "username": "loadtest",
                                  "password": "load-test-password"}, timeout=30)
assert r.ok and "session" in s.cookies, f"login failed: {r.status_code}"
for _ in range(240):                    # the SVM trains in the background; wait for it
    if s.get(f"{base}/api/recommendations", timeout=30).json().get("model") == "svm":
        break
    time.sleep(0.5)
print("; ".join(f"{k}={v}" for k, v in s.cookies.items()))
PY
)"
fi

PAPER="$(curl -fs "$BASE/api/papers?per_page=1" | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["papers"][0]["id"])')"
# Logged-out visitors (empty cookie) get pages from the page cache; the logged-in user's
# pages are rendered for every request.
declare -a NAMES=(browse paper) URLS=("$BASE/" "$BASE/paper/$PAPER") COOKIES=("" "")
if curl -fs -o /dev/null "$BASE/search?q=neural+networks"; then
  NAMES+=(search); URLS+=("$BASE/search?q=neural+networks"); COOKIES+=("")
fi
if [ -n "$COOKIE" ]; then
  NAMES+=(browse_logged_in recommend); URLS+=("$BASE/" "$BASE/recommend"); COOKIES+=("$COOKIE" "$COOKIE")
fi

for i in "${!NAMES[@]}"; do
  name="${NAMES[$i]}"; url="${URLS[$i]}"; cookie="${COOKIES[$i]}"
  echo "== wrk ${SECS}s, $CONNS connections: $name ($url)" >&2
  for _ in 1 2 3; do curl -fs -o /dev/null -H "Cookie: $cookie" "$url"; done   # warm every worker a bit
  wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s --latency -H "Cookie: $cookie" "$url" \
    > "$WORK/wrk-$name.txt"
  cat "$WORK/wrk-$name.txt" >&2
done

"$BIN/python" - "$WORK" "$WORKERS" "${NAMES[@]}" <<'PY'
import re, sys
from pathlib import Path
work, workers, names = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
lines = [f"load_workers: {workers} processes"]
for name in names:
    out = (work / f"wrk-{name}.txt").read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    lines += [f"load_{name}_rps: {rps:.0f} req/s", f"load_{name}_p99: {float(value) * UNIT[unit]:.1f} ms",
              f"load_{name}_errors: {errors} count"]
print("\n".join(lines))
PY
