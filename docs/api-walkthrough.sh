#!/usr/bin/env bash
# The API in five steps with curl, against `make run` (http://127.0.0.1:8000):
#   1. register a client, 2. post a referral, 3. retry it with the same Idempotency-Key,
#   4. post a duplicate (409), 5. read the referral's status.
# Usage: docs/api-walkthrough.sh            (registers a client with manage.py)
#        TOKEN=kk_… BASE_URL=… docs/api-walkthrough.sh   (uses an existing client)
set -euo pipefail
BASE_URL="${BASE_URL:-http://127.0.0.1:8000}"
cd "$(dirname "$0")/.."

if [ -z "${TOKEN:-}" ]; then
  echo "1. Koppeling registreren (eenmalig geheim):"
  TOKEN=$(ENV_FILE=.env.demo .venv/bin/python manage.py create_api_client "Demo-schoolpakket $(date +%s)" \
    --organisation "Het Spaarnestede Lyceum" --scope meldingen:write --scope meldingen:status:read)
fi
echo "   ${TOKEN:0:16}…"

# A random BSN that passes the 11-proef, so the walk-through can run more than once.
while :; do
  digits=$(printf '%08d' $((RANDOM * 32768 + RANDOM)) | cut -c1-8)
  sum=0
  for i in 0 1 2 3 4 5 6 7; do sum=$((sum + ${digits:$i:1} * (9 - i))); done
  check=$((sum % 11))
  [ "$check" -le 9 ] && [ "${digits:0:1}" != "0" ] && break
done
BSN="${digits}${check}"
today=$(date +%F)
born=$(date -d "12 years ago" +%Y-%m-01)
from=$(date -d "40 days ago" +%F)
to=$(date -d "5 days ago" +%F)
BODY=$(cat <<JSON
{"meldingsdatum": "$today", "bsn": "$BSN", "voornamen": "Sam", "achternaam": "Demo",
 "geboortedatum": "$born", "brin": "12KL", "soort_verzuim": "16_uur",
 "verzuim_vanaf": "$from", "verzuim_tot_en_met": "$to", "uren_verzuim": 18,
 "straat": "Kruisstraat 1", "postcode": "2011 AB", "plaats": "Haarlem"}
JSON
)
KEY="walkthrough-$BSN"
post() {
  curl -sS -o /tmp/kk-api-body -w '%{http_code}' -X POST "$BASE_URL/api/v1/meldingen" \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -H "X-Forwarded-Proto: https" "$@" --data "$BODY"
}

echo "2. Melding indienen:"
status=$(post -H "Idempotency-Key: $KEY"); first=$(cat /tmp/kk-api-body)
echo "   $status $first"
[ "$status" = 201 ] || exit 1
REF=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["referentie"])' <<<"$first")

echo "3. Opnieuw met dezelfde Idempotency-Key (zelfde antwoord, geen tweede zaak):"
status=$(post -H "Idempotency-Key: $KEY"); again=$(cat /tmp/kk-api-body)
echo "   $status $again"
[ "$status" = 201 ] && [ "$again" = "$first" ] || exit 1

echo "4. Dubbele melding (nieuwe sleutel, zelfde kind):"
status=$(post -H "Idempotency-Key: $KEY-2")
echo "   $status $(cat /tmp/kk-api-body)"
[ "$status" = 409 ] || exit 1

echo "5. Status opvragen:"
curl -sS -f "$BASE_URL/api/v1/meldingen/$REF/status" \
  -H "Authorization: Bearer $TOKEN" -H "X-Forwarded-Proto: https"
echo
