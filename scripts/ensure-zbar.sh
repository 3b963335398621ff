#!/usr/bin/env bash
# The merchant QR test reads the collection code's picture back with zbar (Debian's
# zbar-tools: zbarimg). fonts-wqy-microhei is a system CJK font: the charts and PDFs no longer
# need it (they embed the copy shipped in chat/render/assets/, chat/render/fonts.py), the
# system one is only their last resort. Install what is missing when we may. Never fails: without
# zbarimg the decoding test says why it skips.
set -u
missing=()
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} for the QR and rendering tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}") >/dev/null 2>&1 \
    || echo "could not install ${missing[*]}; the QR decoding test will skip outside CI"
else
  echo "${missing[*]} missing and cannot be installed here; the QR decoding test will skip outside CI"
fi
