#!/usr/bin/env bash
# `npm test` needs two programs from Debian besides npm's packages: nats-server (the NATS bus
# suites start one) and chromium (the dashboard's browser test). Install whichever is missing, so
# the README's `npm test` works on a fresh machine; say clearly what to do where it cannot.
set -u
missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} from Debian (needed by the tests)"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/tmp/oo-test-deps.log 2>&1; then
    exit 0
  fi
  cat /tmp/oo-test-deps.log
fi
echo "The tests need ${missing[*]}: install them (Debian: sudo apt-get install -y ${missing[*]}) and run npm test again." >&2
exit 1
