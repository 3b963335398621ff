#!/usr/bin/env bash
# The browser test drives Debian's Chromium (and its screenshots want a CJK and an emoji font); install
# what is missing when we may. Never fails: without a browser the test says why it skips.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || missing+=(fonts-noto-color-emoji)  # the bot's 💳 🔒 ✅
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} for the browser test..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
    || echo "could not install ${missing[*]}; the browser test will skip outside CI"
else
  echo "${missing[*]} missing and cannot be installed here; the browser test will skip outside CI"
fi
