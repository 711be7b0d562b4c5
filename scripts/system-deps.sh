#!/usr/bin/env bash
# Installs the Debian packages the test suite uses for real: Chromium (end-to-end tests),
# poppler-utils (pdfsig, the independent PDF signature validator; pdftoppm), openssl (which checks
# the journal's sealed checkpoints the way a third party would) and zbar-tools (zbarimg, which
# reads the certificate's QR code as a phone would, in the journeys).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdfsig >/dev/null 2>&1 || missing+=(poppler-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
    echo "Paquets système manquants : ${missing[*]}. Installez-les : sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "Installation des paquets système : ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q "${missing[@]}" >/dev/null
