#!/usr/bin/env bash
# The browser test drives Debian's Chromium; install it when it is missing and we may.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for the browser test..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "could not install chromium; the browser test will skip outside CI"
else
  echo "chromium is missing and cannot be installed here; the browser test will skip outside CI"
fi
