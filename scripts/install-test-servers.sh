#!/usr/bin/env bash
# Installs the real servers the test suite runs against (Debian packages), only when missing.
# It never starts, stops or reconfigures a system service: the test harness runs its own
# instances from a temporary folder (test/world/).
set -euo pipefail

need=()
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
[ -x /usr/sbin/postfix ] || need+=(postfix)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-core)
[ -e /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -e /usr/lib/dovecot/pop3 ] || need+=(dovecot-pop3d)
[ -e /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# DNSSEC: NSD serves the signed zone, ldns-keygen/ldns-signzone sign it, Unbound validates it.
[ -x /usr/sbin/nsd ] || need+=(nsd)
[ -x /usr/sbin/unbound ] || need+=(unbound)
[ -x /usr/bin/ldns-signzone ] || need+=(ldnsutils)
# ss (iproute2): the test world checks that its addresses and ports are free before it starts a server.
[ -x /usr/bin/ss ] || command -v ss >/dev/null 2>&1 || need+=(iproute2)
# zsh: the zsh completion script is checked by zsh itself (test/cli/help.test.ts).
command -v zsh >/dev/null 2>&1 || need+=(zsh)
# Real consumers of the monitoring formats (docs/monitoring.md): promtool checks the Prometheus text
# format (the prometheus package's service is never started), xmllint validates the JUnit XML against
# its schema, and check_smtp/check_imap/check_pop are the Nagios plugins maildig's output is compared with.
[ -x /usr/bin/promtool ] || need+=(prometheus)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
[ -x /usr/lib/nagios/plugins/check_smtp ] || need+=(monitoring-plugins-standard)
# dig: npm run bench compares `mx --targets` with `dig -f` over the same list (scripts/bench-batch.mjs).
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)

if [ ${#need[@]} -eq 0 ]; then
  echo "test servers: already installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test servers missing (${need[*]}): run as root, or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix would otherwise ask which configuration to write into /etc/postfix; we want none.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# Keep the packages' services from starting during install (Postfix, Dovecot, NSD and Unbound
# would listen on every interface, and Unbound would take over the machine's resolver). A policy-rc.d that is already there is left exactly as it was.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

echo "test servers: installing ${need[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
