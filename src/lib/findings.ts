import type {Finding, Severity} from './finding-schema.js'

export type {Finding, Severity}

interface CatalogEntry {
  severity: Severity
  meaning: string
  fix: string
}

/**
 * Every finding code maildig can report, with its usual severity, what it means and how to fix it.
 * docs/findings.md is generated from this table, so the two cannot drift.
 */
export const FINDING_CATALOG = {
  // Names and DNS
  DOMAIN_NOT_FOUND: {severity: 'error', meaning: 'The domain does not exist in DNS (NXDOMAIN).', fix: 'Check the spelling; if the domain is new, check that its registrar delegates it to working name servers.'},
  DNS_TIMEOUT: {severity: 'error', meaning: 'No DNS server answered within the deadline.', fix: 'Check that the resolver (--resolver or /etc/resolv.conf) is reachable, or raise --timeout.'},
  DNS_SERVFAIL: {severity: 'error', meaning: 'The resolver could not get an answer (SERVFAIL or REFUSED): broken delegation, failing DNSSEC validation or a resolver that refuses to recurse.', fix: 'Query the domain\'s authoritative servers directly (dig +trace) and fix the delegation or DNSSEC signatures; use a resolver that recurses for you.'},
  DNS_MALFORMED: {severity: 'error', meaning: 'A DNS server answered with a message that cannot be read: not DNS at all, a name whose compression pointer loops, record counts the message does not hold, or an answer to another question.', fix: 'The resolver (or something between it and you: a middlebox, a broken DNS proxy) is faulty: query another resolver with --resolver, and report the answer (dig +norecurse shows it) to whoever runs it.'},
  DNS_UNREACHABLE: {severity: 'error', meaning: 'No DNS server could be reached (nothing listens at the resolver\'s address, or the network failed).', fix: 'Check --resolver / MAILDIG_RESOLVER or /etc/resolv.conf, and that UDP port 53 to it is open.'},
  HOST_IS_MAIL_DOMAIN: {severity: 'error', meaning: 'The name given as a server has no address (no A or AAAA record) but has MX records: it is a mail domain, and its mail goes to the hosts its MX records name.', fix: 'Probe the domain\'s mail servers: maildig probe-smtp DOMAIN --mx (every MX address in parallel), or name one of its MX hosts.'},
  MX_IMPLICIT: {severity: 'info', meaning: 'The domain has no MX record; mail goes to its A/AAAA address (RFC 5321 §5.1 implicit MX).', fix: 'Publish an MX record if the domain receives mail, or a null MX (RFC 7505) if it does not.'},
  MX_NULL: {severity: 'error', meaning: 'The domain publishes a null MX (RFC 7505): it accepts no mail.', fix: 'If the domain should receive mail, replace the "0 ." MX with real mail exchangers.'},
  MX_CNAME: {severity: 'warning', meaning: 'An MX target is an alias (CNAME); RFC 2181 §10.3 forbids it and some senders refuse it.', fix: 'Point the MX record at the canonical host name, not the alias.'},
  MX_IP_LITERAL: {severity: 'error', meaning: 'An MX target is an IP address, not a host name; senders look it up as a name and fail.', fix: 'Give the mail server a host name with an A/AAAA record and point the MX at that name.'},
  MX_NO_ADDRESS: {severity: 'error', meaning: 'An MX target has no A or AAAA record, so nobody can connect to it (a lame MX).', fix: 'Add A/AAAA records for the MX host, or remove the MX record.'},
  MX_EQUAL_PREFERENCE: {severity: 'info', meaning: 'Several MX hosts share one preference; senders pick among them at random (RFC 5321 §5.1).', fix: 'Nothing to fix if load sharing is intended.'},
  MX_DUPLICATE: {severity: 'warning', meaning: 'The same MX host is listed more than once.', fix: 'Remove the duplicate MX record.'},
  PTR_MISSING: {severity: 'warning', meaning: 'A mail server address has no reverse DNS (PTR); many receivers distrust such senders.', fix: 'Ask whoever owns the address block (your provider) to set a PTR record naming the mail server.'},
  FCRDNS_MISMATCH: {severity: 'warning', meaning: 'The PTR name of an address does not resolve back to that address (forward-confirmed reverse DNS fails).', fix: 'Make the PTR name\'s A/AAAA record include the address, or change the PTR to a name that does.'},
  // Connections and SMTP
  CONNECT_REFUSED: {severity: 'error', meaning: 'The connection was refused: nothing listens on that address and port.', fix: 'Check that the server runs and listens on that port, and that no firewall rejects the connection.'},
  CONNECT_TIMEOUT: {severity: 'error', meaning: 'The connection did not complete within the deadline.', fix: 'Check routing and firewalls between here and the server; raise --timeout for slow links.'},
  CONNECT_UNREACHABLE: {severity: 'error', meaning: 'The address is unreachable from here (no route).', fix: 'Check this machine\'s network (IPv6 connectivity in particular).'},
  CONNECTION_RESET: {severity: 'error', meaning: 'The server closed or reset the connection unexpectedly.', fix: 'Look at the server\'s log for the reason (overload, a blocklist, a crash).'},
  CONNECTION_FAILED: {severity: 'error', meaning: 'The connection failed for another reason.', fix: 'The message names the system error.'},
  GREETING_TIMEOUT: {severity: 'error', meaning: 'The server accepted the connection but sent no greeting in time.', fix: 'The server may be overloaded, tarpitting, or expecting TLS first (try the implicit-TLS port or --tls implicit).'},
  GREETING_REJECTED: {severity: 'error', meaning: 'The server greeted with a refusal (554, or 421: service not available).', fix: 'The greeting text often names a blocklist or a policy; follow it, or try later for a 421.'},
  STARTTLS_NOT_OFFERED: {severity: 'warning', meaning: 'The server does not offer STARTTLS: mail to it travels unencrypted.', fix: 'Configure a certificate and enable STARTTLS (Postfix: smtpd_tls_security_level = may).'},
  STARTTLS_FAILED: {severity: 'error', meaning: 'STARTTLS was offered but the TLS handshake or the reply to it failed.', fix: 'Check the server\'s certificate and key files and its TLS settings; the message names the TLS error.'},
  AUTH_NOT_OFFERED: {severity: 'warning', meaning: 'The server offers no AUTH mechanism (at this stage of the session).', fix: 'Submission servers usually offer AUTH only after STARTTLS; enable SASL on the submission port.'},
  AUTH_FAILED: {severity: 'error', meaning: 'The server rejected the credentials.', fix: 'Check the user name and password (MAILDIG_USER, MAILDIG_PASSWORD) and the mechanism the server expects.'},
  AUTH_INSECURE: {severity: 'error', meaning: 'Credentials were not sent because the connection is plaintext or the certificate is not verified.', fix: 'Use TLS with a trusted certificate (--ca-file for a private CA), or pass --allow-insecure-auth if you accept the risk.'},
  RCPT_REJECTED: {severity: 'error', meaning: 'The server rejected the recipient at RCPT TO.', fix: 'The reply text and its enhanced status code say why (5.1.x: the address, 5.2.x: the mailbox, 5.7.x: a policy).'},
  SENDER_REJECTED: {severity: 'error', meaning: 'The server rejected the sender at MAIL FROM.', fix: 'The reply text says why: often SPF, a blocklist, or an unknown sender domain.'},
  MX_FALLBACK: {severity: 'warning', meaning: 'The most preferred MX host(s) could not be reached; the message went to a less preferred one.', fix: 'Check the primary MX host: is the server running, is port 25 open?'},
  DSN_NOT_OFFERED: {severity: 'warning', meaning: 'Delivery status notifications were asked for (--dsn-*), but the server does not offer DSN (RFC 3461), so they were not sent.', fix: 'Send through a server that offers DSN, or do without notifications.'},
  SMTPUTF8_NOT_OFFERED: {severity: 'error', meaning: 'An address has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531), and the server does not offer it.', fix: 'Use an ASCII address, or a server that offers SMTPUTF8 (Postfix: smtputf8_enable = yes).'},
  MESSAGE_TOO_LARGE: {severity: 'error', meaning: 'The message is larger than the limit the server advertises (EHLO SIZE, RFC 1870), so maildig did not send it: the server would refuse it anyway.', fix: 'Send a smaller message (fewer or smaller --attach files), or raise the server\'s limit (Postfix: message_size_limit).'},
  OPEN_RELAY: {severity: 'error', meaning: 'The server accepted a recipient in a foreign domain from a foreign sender without authentication: it is an open relay.', fix: 'Restrict relaying to authenticated clients and your own networks (Postfix: smtpd_relay_restrictions).'},
  BANNER_PTR_MISMATCH: {severity: 'warning', meaning: 'The host name in the greeting, the EHLO reply and the address\'s PTR do not agree.', fix: 'Set the server\'s host name (Postfix: myhostname) to the PTR name of its public address.'},
  PROTOCOL_ERROR: {severity: 'error', meaning: 'The server\'s reply was malformed, out of sequence or had too many lines.', fix: 'Something between here and the server may be interfering (a proxy, a filter); look at --transcript.'},
  LINE_TOO_LONG: {severity: 'error', meaning: 'The server sent a line longer than the protocol allows (or than maildig reads).', fix: 'Look at --transcript; a non-mail service may be listening on that port.'},
  PORT25_BLOCKED: {severity: 'error', meaning: 'Connections to port 25 time out on every address while other ports of the same hosts answer: this network probably blocks outbound port 25.', fix: 'Confirm with `nc -vz HOST 25` from another network; ask your provider to open port 25, or test from a server.'},
  CONNECTION_CLOSED: {severity: 'error', meaning: 'The server closed the connection in the middle of the conversation.', fix: 'Look at the server\'s log; a closed connection right after connecting often means a blocklist, a connection limit or a crashed service.'},
  REPLY_TIMEOUT: {severity: 'error', meaning: 'The server did not send a complete reply to a command within the deadline (silence, or a reply trickling in byte by byte).', fix: 'The server may be overloaded or tarpitting this client; raise --timeout or look at the server\'s log.'},
  SERVICE_UNAVAILABLE: {severity: 'error', meaning: 'The server answered 421: service not available, closing the connection.', fix: 'Usually temporary (overload, maintenance, rate limit): try later; the reply text often says why.'},
  EHLO_REJECTED: {severity: 'error', meaning: 'The server rejected both EHLO and HELO for the client name sent.', fix: 'Send a fully-qualified name that resolves (--ehlo), or an address literal like [192.0.2.1]; the reply text says what the server expects.'},
  RELAY_DENIED: {severity: 'info', meaning: 'The relay test was refused: the server does not relay mail between foreign domains for an unauthenticated client, as it should.', fix: 'Nothing to fix.'},
  REQUIREMENT_NOT_MET: {severity: 'error', meaning: 'A condition named with --require (starttls, valid-cert, auth, tls1.2, tls1.3) is not met.', fix: 'The message names the requirement; the related finding (STARTTLS_NOT_OFFERED, TLS_CERT_UNTRUSTED, …) says how to fix it.'},
  // TLS
  TLS_CERT_EXPIRED: {severity: 'error', meaning: 'The server\'s certificate has expired (or is not yet valid).', fix: 'Renew the certificate and reload the server.'},
  TLS_CERT_EXPIRING: {severity: 'warning', meaning: 'The server\'s certificate expires within --cert-days days.', fix: 'Renew the certificate soon; check that automatic renewal works.'},
  TLS_CERT_UNTRUSTED: {severity: 'error', meaning: 'The certificate does not chain to a trusted authority (self-signed, unknown CA or missing intermediate).', fix: 'Serve the full chain with a publicly trusted certificate, or pass --ca-file for a private CA.'},
  TLS_HOSTNAME_MISMATCH: {severity: 'error', meaning: 'The certificate does not name the host that was asked for.', fix: 'Add the host name to the certificate\'s subjectAltName.'},
  TLS_OLD_VERSION: {severity: 'warning', meaning: 'The connection used a TLS version below 1.2.', fix: 'Enable TLS 1.2 and 1.3 on the server and disable older versions.'},
  TLS_FAILED: {severity: 'error', meaning: 'The TLS handshake on an implicit-TLS port (465, 995, 993) failed.', fix: 'Check that the port speaks TLS from the first byte (not STARTTLS) and the server\'s certificate and TLS settings; the message names the TLS error.'},
  TLS_TIMEOUT: {severity: 'error', meaning: 'The TLS handshake did not complete within the deadline.', fix: 'The server may not speak TLS on that port (try --tls starttls or none), or it is overloaded; raise --timeout for slow links.'},
  // Policy
  SPF_MISSING: {severity: 'warning', meaning: 'The sender domain publishes no SPF record.', fix: 'Publish a TXT record "v=spf1 … -all" listing the servers that send for the domain.'},
  SPF_MULTIPLE_RECORDS: {severity: 'error', meaning: 'The domain publishes more than one SPF record: SPF evaluates to permerror (RFC 7208 §4.5).', fix: 'Merge them into a single "v=spf1" record.'},
  SPF_TOO_MANY_LOOKUPS: {severity: 'error', meaning: 'Evaluating SPF needs more than 10 DNS lookups: permerror (RFC 7208 §4.6.4).', fix: 'Flatten includes or remove unused mechanisms.'},
  SPF_VOID_LOOKUPS: {severity: 'error', meaning: 'SPF evaluation hit more than 2 lookups that returned nothing (RFC 7208 §4.6.4).', fix: 'Remove mechanisms that point at names without records.'},
  DMARC_MISSING: {severity: 'warning', meaning: 'The domain publishes no DMARC record.', fix: 'Publish a TXT record at _dmarc.<domain>, starting with p=none and a rua= address to collect reports.'},
  DMARC_POLICY_NONE: {severity: 'info', meaning: 'The DMARC policy is p=none: failures are reported, not acted on.', fix: 'Move to p=quarantine or p=reject once reports show legitimate mail passes.'},
  MTA_STS_MX_MISMATCH: {severity: 'error', meaning: 'An MX host is not covered by the domain\'s MTA-STS policy; senders in enforce mode will not deliver to it.', fix: 'Add the MX host to the policy\'s mx: lines (a wildcard covers one label only).'},
  MTA_STS_POLICY_UNAVAILABLE: {severity: 'warning', meaning: 'The domain announces MTA-STS but its policy could not be fetched over HTTPS.', fix: 'Serve https://mta-sts.<domain>/.well-known/mta-sts.txt with a valid certificate and no redirect.'},
  TLSRPT_MISSING: {severity: 'info', meaning: 'The domain publishes no TLS-RPT record (_smtp._tls).', fix: 'Publish "v=TLSRPTv1; rua=mailto:…" to receive TLS failure reports.'},
  DANE_TLSA_MISMATCH: {severity: 'error', meaning: 'The certificate the MX presented matches none of its DNSSEC-validated TLSA records (or the MX offered no TLS): senders that use DANE will not deliver to this MX (RFC 7672 §2.2) and defer the mail when no other MX passes.', fix: 'Update the TLSA records before (not after) rolling the certificate or key.'},
  // Policy: added for trace's policy step (src/lib/policy/)
  SPF_SYNTAX_ERROR: {severity: 'error', meaning: 'An SPF record has a syntax error (unknown mechanism, bad CIDR length, bad macro, repeated redirect= or exp=): every evaluation ends in permerror (RFC 7208 §4.6).', fix: 'Correct the record; the message names the term that could not be parsed.'},
  SPF_INCLUDE_INVALID: {severity: 'error', meaning: 'An include: or redirect= points at a domain without a usable SPF record, or the includes form a loop: evaluation reaching it ends in permerror (RFC 7208 §5.2, §6.1).', fix: 'Point the include or redirect at a domain that publishes exactly one SPF record, or remove it.'},
  SPF_MX_TOO_MANY_NAMES: {severity: 'error', meaning: 'An mx mechanism names a domain with more than 10 MX hosts: evaluation reaching it ends in permerror (RFC 7208 §4.6.4).', fix: 'Use ip4:/ip6: ranges or an include instead of mx for that domain.'},
  SPF_TEMPERROR: {severity: 'warning', meaning: 'A DNS lookup needed by the SPF evaluation failed or timed out: receivers answer temperror and usually defer the mail (RFC 7208 §2.6.6).', fix: 'Check the name servers of the domain the message names; retry later.'},
  SPF_NOT_PERMITTED: {severity: 'error', meaning: 'The SPF record does not permit the sending address: the result is fail (or softfail, reported as a warning).', fix: 'Add the sending server\'s address (ip4:/ip6:) or its provider\'s include: to the SPF record, or send through a server it lists.'},
  SPF_PTR_USED: {severity: 'warning', meaning: 'The SPF record uses the ptr mechanism, which is slow, unreliable and "SHOULD NOT be used" (RFC 7208 §5.5); some receivers ignore it.', fix: 'Replace ptr with ip4:/ip6: ranges or a: names.'},
  SPF_ALLOWS_ALL: {severity: 'warning', meaning: 'The SPF record ends in +all (or all with no qualifier): every address in the world passes, so SPF protects nothing.', fix: 'End the record with -all or ~all after listing the real senders.'},
  DMARC_INVALID: {severity: 'error', meaning: 'The DMARC record is malformed. As an error: a bad p=, sp= or np= value with no usable rua= address, so receivers apply no DMARC (RFC 9989 §4.10.1). As a warning: a bad value that receivers replace with its default (adkim=, aspf=, fo=, t=, psd=, a rua= that is no URI), or a bad policy read as p=none because rua= is usable. As info: no p= tag, read as p=none.', fix: 'Correct the record, e.g. "v=DMARC1; p=quarantine; rua=mailto:dmarc@<domain>".'},
  DMARC_MULTIPLE_RECORDS: {severity: 'error', meaning: 'More than one "v=DMARC1" record is published at one _dmarc name: receivers discard them all (RFC 9989 §4.10).', fix: 'Merge them into a single record.'},
  // Policy: DMARC per RFC 9989/9990 (sender, trace)
  DMARC_TAG_REMOVED: {severity: 'warning', meaning: 'The DMARC record uses a tag RFC 9989 removed (pct, rf or ri): receivers that follow RFC 9989 ignore it; the rest of the record still applies.', fix: 'Remove the tag; to roll a policy out gradually, publish it with t=y (test mode) instead of pct=.'},
  DMARC_TESTING: {severity: 'warning', meaning: 'The DMARC policy is quarantine or reject, but in test mode (t=y): receivers are asked not to apply it (RFC 9989 §4.7).', fix: 'Remove t=y (or set t=n) once the aggregate reports show that legitimate mail passes.'},
  DMARC_PSD_POLICY: {severity: 'info', meaning: 'Neither the domain nor its organizational domain publishes DMARC: the policy that applies is the public suffix domain\'s (a record with psd=y, RFC 9989 §4.10.1).', fix: 'Publish your own record at _dmarc.<organizational domain> so that your policy and report addresses apply, not the registry\'s.'},
  DMARC_REPORT_UNAUTHORIZED: {severity: 'warning', meaning: 'A rua= or ruf= address lies outside the domain, and its domain does not authorise reports for this one (no "v=DMARC1" TXT at <domain>._report._dmarc.<destination>, RFC 9990 §3): receivers send no reports there.', fix: 'Ask the report destination to publish "v=DMARC1" at <your domain>._report._dmarc.<their domain> (report services do this on sign-up), or use an address in your own domain.'},
  DMARC_FROM_MISMATCH: {severity: 'warning', meaning: 'The message given (--message) is From another domain than the one checked: receivers apply the DMARC policy of the From domain, so this report\'s DMARC verdict (and its alignment) is not the one the message met.', fix: 'Check the From domain: maildig sender <From domain> --message <file> (with the same --ip), or check a message sent From this domain.'},
  DMARC_NOT_ALIGNED: {severity: 'error', meaning: 'In this run neither an SPF pass nor a DKIM pass was aligned with the From domain (RFC 9989 §4.4): DMARC fails, and receivers apply the policy. An error when the policy is quarantine or reject (not in test mode), a warning otherwise.', fix: 'Send from an address whose MAIL FROM domain passes SPF and shares the From domain\'s organizational domain, or sign with d= in the From domain (adkim=s/aspf=s need the exact domain).'},
  // DKIM keys and signatures (sender)
  DKIM_KEY_MISSING: {severity: 'error', meaning: 'No DKIM key is published for a selector that was named (--selector) or that a message\'s DKIM-Signature uses: <selector>._domainkey.<domain> has no TXT record (NXDOMAIN or NODATA). Signatures made with it cannot pass.', fix: 'Publish the public key as "v=DKIM1; k=rsa; p=<base64>" at <selector>._domainkey.<domain> (your mail provider shows it), or sign with the selector that is published.'},
  DKIM_KEY_REVOKED: {severity: 'warning', meaning: 'The DKIM key record has an empty p=: the key was revoked (RFC 6376 §3.6.1), and signatures made with it fail. An error when a message was signed with it.', fix: 'If mail is still signed with this selector, switch the signer to a published key; otherwise nothing to do (a revoked key is a deliberate state, not a malformed record).'},
  DKIM_KEY_INVALID: {severity: 'error', meaning: 'The DKIM key record cannot be used: not a tag list, a duplicate tag, v= not DKIM1, an unknown k=, no p=, p= not base64 or not a key of its type, or s= not for email. As a warning: several TXT records at one key name.', fix: 'Publish exactly one record "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>" (or k=ed25519 with the 32-byte key, RFC 8463); the message names the problem.'},
  DKIM_KEY_TOO_SHORT: {severity: 'error', meaning: 'The RSA key has fewer than 1024 bits: RFC 8301 §3.2 verifiers refuse it, so every signature with it fails.', fix: 'Generate a 2048-bit key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048), publish it under a new selector, then switch the signer to it.'},
  DKIM_KEY_WEAK: {severity: 'warning', meaning: 'The RSA key has fewer than 2048 bits: verifiers still accept 1024 bits, but RFC 8301 asks signers for at least 2048 and 1024-bit keys are within reach of factoring.', fix: 'Publish a 2048-bit key under a new selector and switch the signer to it; revoke the old one (empty p=) after a few days.'},
  DKIM_KEY_SHA1: {severity: 'error', meaning: 'The key\'s h= allows only SHA-1: RFC 8301 verifiers refuse rsa-sha1 signatures, so no signature with this key passes.', fix: 'Remove h= (any hash) or set h=sha256, and sign with rsa-sha256.'},
  DKIM_KEY_TESTING: {severity: 'warning', meaning: 'The DKIM key is in test mode (t=y): verifiers must treat its signatures like unsigned mail (RFC 6376 §3.6.1).', fix: 'Remove t=y once signing works.'},
  DKIM_SELECTOR_NOT_FOUND: {severity: 'info', meaning: 'No key was found under the common selectors that were tried, but _domainkey.<domain> exists, so keys may be published under other selectors. This proves nothing about DKIM: the message lists what was tried.', fix: 'Give the selector (--selector, the s= of a DKIM-Signature the domain wrote) or a signed message (--message).'},
  DKIM_NO_KEYS: {severity: 'warning', meaning: '_domainkey.<domain> does not exist (NXDOMAIN): no DKIM key can be published under any selector of this domain (RFC 8020), so its mail is not DKIM-signed with d=<domain>. (A DNS server that answers NXDOMAIN for names that have children is broken; then this is wrong.)', fix: 'Publish your signer\'s public key at <selector>._domainkey.<domain>, or have your provider sign with d=<domain>.'},
  DKIM_UNSIGNED: {severity: 'warning', meaning: 'The message has no DKIM-Signature: DMARC can then pass only through aligned SPF, which forwarding breaks.', fix: 'Sign outgoing mail with DKIM (OpenDKIM, rspamd, or your provider\'s DKIM setting) with d= in the From domain.'},
  DKIM_SIGNATURE_FAILED: {severity: 'error', meaning: 'A DKIM-Signature of the message did not verify: the body or the signed header fields changed after signing (body hash or signature mismatch), the key is missing, revoked, too short or of another type, or the signature expired (x=). A temporary DNS failure is a warning.', fix: 'The reason names the case: a changed body points at a footer or rewriting by a list or gateway after signing; a key problem at DNS; expiry at a too short x= or a message replayed late.'},
  DKIM_BODY_LENGTH_LIMIT: {severity: 'warning', meaning: 'A DKIM-Signature uses l= (body length): only part of the body is signed, so content appended after it passes verification, an opening for replay with altered content (RFC 6376 §8.2). As info when the whole body is covered.', fix: 'Remove l= from the signer\'s configuration (OpenDKIM: BodyLengthDB unset).'},
  ARC_SEAL_FAILED: {severity: 'warning', meaning: 'The ARC chain (RFC 8617) did not validate cryptographically: a seal or the newest ARC-Message-Signature does not verify, a key is missing, or the sets are malformed. Receivers ignore what the intermediaries vouched for.', fix: 'Look at the intermediary that added the first failing set (the reason names it): its sealing key, or a change made after it sealed.'},
  // BIMI (sender)
  BIMI_MISSING: {severity: 'info', meaning: 'The domain publishes no BIMI record (<selector>._bimi.<domain> TXT, nor at its organizational domain): receivers show no brand logo.', fix: 'Publish "v=BIMI1; l=https://<host>/logo.svg; a=https://<host>/vmc.pem" once DMARC is at p=quarantine or p=reject.'},
  BIMI_INVALID: {severity: 'error', meaning: 'The BIMI record is malformed: not "v=BIMI1" first, no l=, a URL that is not HTTPS, several URLs, a duplicate tag, or more than one record.', fix: 'Publish exactly one record "v=BIMI1; l=<HTTPS URL of the SVG>; a=<HTTPS URL of the mark certificate>".'},
  BIMI_LOGO_UNAVAILABLE: {severity: 'error', meaning: 'The logo (l=) could not be fetched: HTTPS failed, the certificate is not trusted, a redirect, an HTTP error, no answer in time, or more than 32 KiB.', fix: 'Serve the SVG at the l= URL itself (no redirect) over HTTPS with a trusted certificate, at most 32 KiB.'},
  BIMI_LOGO_INVALID: {severity: 'error', meaning: 'The logo is not SVG Tiny PS, which receivers require: no baseProfile="tiny-ps" or version="1.2", no <title>, x=/y= on the root, scripts, animation, embedded images, links or references outside the file, entity declarations, or not square.', fix: 'Export the logo as SVG Tiny PS (the BIMI Group publishes converters and a checker), with a <title> and a square viewBox.'},
  BIMI_CERTIFICATE_MISSING: {severity: 'info', meaning: 'The BIMI record has no a= (mark certificate): Gmail, Apple Mail and Yahoo show a logo only with a Verified Mark Certificate (VMC) or Common Mark Certificate (CMC); some others show it without.', fix: 'Obtain a VMC or CMC for the logo from a mark verifying authority and add a=<HTTPS URL of its PEM chain>.'},
  BIMI_CERTIFICATE_INVALID: {severity: 'error', meaning: 'The mark certificate (a=) could not be fetched or read, has expired or is not yet valid, lacks the BIMI extended key usage, or does not name the domain.', fix: 'Serve the VMC/CMC PEM chain (the certificate first) at the a= URL; renew it before it expires.'},
  BIMI_DMARC_NOT_ENFORCED: {severity: 'error', meaning: 'BIMI requires DMARC at enforcement: p=quarantine or p=reject for the domain, no sp=none, and not in test mode (t=y). Without it receivers show no logo.', fix: 'Move DMARC to p=quarantine or p=reject (without t=y and sp=none) once aggregate reports show your mail passes.'},
  MTA_STS_MISSING: {severity: 'info', meaning: 'The domain publishes no MTA-STS record (_mta-sts TXT, RFC 8461): senders deliver with opportunistic TLS that an attacker can strip.', fix: 'Serve a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt and publish "_mta-sts.<domain> TXT v=STSv1; id=<unique id>".'},
  MTA_STS_RECORD_INVALID: {severity: 'warning', meaning: 'The _mta-sts TXT record is malformed or there is more than one: senders act as if the domain had no MTA-STS policy (RFC 8461 §3.1).', fix: 'Publish exactly one record "v=STSv1; id=<1-32 letters or digits>".'},
  TLSRPT_INVALID: {severity: 'warning', meaning: 'The _smtp._tls TXT record is malformed (no rua=, a URI that is not mailto: or https:) or there is more than one: senders send no TLS reports (RFC 8460 §3).', fix: 'Publish exactly one record "v=TLSRPTv1; rua=mailto:tlsrpt@<domain>".'},
  DANE_UNAUTHENTICATED: {severity: 'info', meaning: 'The MX publishes TLSA records but the resolver did not validate them (no AD bit): they were not checked, and a sender behind such a resolver ignores them too.', fix: 'Use a validating resolver (--resolver) to check DANE; if the zone is not signed, sign it, as TLSA records only count under DNSSEC (RFC 7672 §2.2).'},
  DANE_NAME_MISMATCH: {severity: 'error', meaning: 'A DANE-TA record matches an issuer in the chain the MX presented, but the certificate names neither the MX host nor the TLSA base domain: DANE-TA checks the name (RFC 7672 §3.2.2-§3.2.3), so DANE senders will not deliver to it. (DANE-EE records check no name.)', fix: 'Add the MX host name to the certificate\'s subjectAltName, or publish a DANE-EE record ("3 1 1 <SHA-256 of the public key>").'},
  DANE_MX_INSECURE: {severity: 'warning', meaning: 'The MX host publishes DNSSEC-validated TLSA records, but the MX answer (or the host\'s address answers) is not validated: senders that use DANE (Postfix, Exim) do not apply it to this domain, so the records protect nothing (RFC 7672 §2.2.1, §2.2.2).', fix: 'Sign the zone that holds the MX records (and the zone of the MX host\'s addresses) and publish its DS record at the parent.'},
  DANE_TLSA_UNUSABLE: {severity: 'warning', meaning: 'The MX publishes TLSA records but none is usable for SMTP (usages 0 and 1, PKIX-TA/PKIX-EE, are not used for SMTP; malformed records are ignored): DANE senders still require TLS but authenticate nothing (RFC 7672 §3.1.3).', fix: 'Publish "3 1 1 <SHA-256 of the public key>" (DANE-EE) or "2 1 1 <hash of the issuing CA key>" (DANE-TA).'},
  SUBMISSION_SRV_MISSING: {severity: 'info', meaning: 'The sender domain publishes no submission server in DNS (SRV _submissions._tcp / _submission._tcp, RFC 6186), so mail clients cannot find it automatically.', fix: 'Publish "_submissions._tcp.<domain> SRV 0 1 465 <host>" (RFC 8314) and/or _submission._tcp for port 587.'},
  // The sender's reputation (sender): SPF results per address, blocklists, reverse DNS
  SPF_PERMERROR: {severity: 'error', meaning: 'SPF evaluation for a sending address ended in permerror (a syntax error, too many lookups, a broken include or redirect): receivers treat it as a failure or ignore SPF (RFC 7208 §2.6.7).', fix: 'The message names the term that caused it; correct the record so that check_host() completes.'},
  PTR_GENERIC: {severity: 'warning', meaning: 'The sending address\'s PTR name looks like a dynamic or generic pool name (the address written into it, "dynamic", "dsl", "pool"…): receivers score such senders as end-user connections.', fix: 'Ask whoever owns the address block to set a PTR naming the mail server (e.g. mail.example.com), with a matching A/AAAA record.'},
  DNSBL_LISTED: {severity: 'error', meaning: 'The sending address is listed in a DNS blocklist (RFC 5782): receivers that use it refuse or score the mail.', fix: 'Find and stop the cause (a compromised account, an open relay, a misconfigured form), then request delisting at the list\'s web site; the TXT reason usually names it.'},
  DNSBL_UNCHECKED: {severity: 'warning', meaning: 'A blocklist could not be asked about the address: the lookup failed, or the zone answered with a query-error code (Spamhaus: 127.255.255.252 typo, .254 query through a public or open resolver, .255 too many queries). This is not a listing.', fix: 'Query through your own recursive resolver (--resolver), not a public one; retry later for a timeout.'},
  DNSBL_ZONE_BROKEN: {severity: 'warning', meaning: 'A blocklist zone failed its RFC 5782 §5 health check (it lists 127.0.0.1, so it answers for everything, or it does not list its test entry 127.0.0.2): its answers are ignored.', fix: 'Remove the zone from --dnsbl (a retired zone often lists everything), or check the zone\'s name.'},
  // A delivered message's header (trace --message)
  CLOCK_SKEW: {severity: 'warning', meaning: 'A server\'s (or the sender\'s) clock is off: its timestamp is out of line with the hops around it, giving negative delays.', fix: 'Run NTP (chrony, systemd-timesyncd) on that host; a whole number of hours usually means a wrong time zone setting.'},
  HOP_WITHOUT_TLS: {severity: 'warning', meaning: 'A hop between servers on the network carried the message without TLS.', fix: 'Enable STARTTLS on the sending side (Postfix: smtp_tls_security_level = may) and make sure the receiver offers it.'},
  AUTHENTICATION_FAILED: {severity: 'warning', meaning: 'The receiver recorded a failing SPF, DKIM or DMARC result (Authentication-Results, RFC 8601).', fix: 'For SPF, list the sending server in the domain\'s SPF record; for DKIM, check the signing key and DNS record; DMARC needs one of them to pass aligned with the From domain.'},
  ARC_CHAIN_BROKEN: {severity: 'warning', meaning: 'The ARC chain (RFC 8617) is incomplete, out of order, or an intermediary marked it failed (cv=fail).', fix: 'Look at the intermediary (mailing list, forwarder) that added the failing set.'},
  // Mailboxes
  POP3_GREETING_ERR: {severity: 'error', meaning: 'The POP3 server greeted with -ERR.', fix: 'The greeting text says why; the server may be shutting down or refusing this client.'},
  IMAP_GREETING_BYE: {severity: 'error', meaning: 'The IMAP server greeted with BYE and closed.', fix: 'The greeting text says why; the server may be overloaded or refusing this client.'},
  LOGIN_FAILED: {severity: 'error', meaning: 'The mailbox server rejected the login.', fix: 'Check user name, password and the authentication method.'},
  MAILBOX_NOT_FOUND: {severity: 'error', meaning: 'The mailbox (folder) does not exist.', fix: 'Check the name; `imap-check` without --mailbox lists them.'},
  MESSAGE_NOT_FOUND: {severity: 'error', meaning: 'The awaited message did not arrive before the deadline.', fix: 'Check the sending side (send --transcript), the recipient\'s spam folder, and the MTA logs for the Message-ID.'},
  LOGIN_THROTTLED: {severity: 'error', meaning: 'The mailbox server refused the login for now (IMAP: an RFC 5530 code such as UNAVAILABLE, LIMIT or INUSE; POP3: [LOGIN-DELAY]), or answered the failure only after a long delay: it is throttling logins.', fix: 'Wait before retrying and check the password first: repeated failures from one address make servers (Dovecot auth_penalty, fail2ban) slow down or block it.'},
  LOGIN_SKIPPED: {severity: 'info', meaning: 'No --user was given: the connection, TLS, greeting and capabilities were checked, the login and the mailboxes were not.', fix: 'Pass --user, with the password in MAILDIG_PASSWORD or on standard input (--password-stdin), to check the login, mailboxes and quota.'},
  QUOTA_NEAR_LIMIT: {severity: 'warning', meaning: 'The mailbox uses more of its quota than --quota-warn (default 90 %).', fix: 'Delete or archive old mail (Trash, Junk, large attachments) or raise the quota: a full mailbox refuses new mail.'},
  QUOTA_EXCEEDED: {severity: 'error', meaning: 'The mailbox has used all of its quota: new mail is refused or bounced.', fix: 'Free space in the mailbox now (empty Trash and Junk) or raise the quota.'},
  IMAP_ALERT: {severity: 'warning', meaning: 'The IMAP server sent an [ALERT] text, which is meant to be shown to the user (RFC 9051 §7.1).', fix: 'Read it: it usually announces maintenance or names a problem with the account.'},
  IMAP_COMMAND_FAILED: {severity: 'warning', meaning: 'The IMAP server refused a command of the check with NO or BAD (LIST, STATUS of a mailbox, GETQUOTAROOT, EXAMINE or SEARCH).', fix: 'The message quotes the server\'s reply; look at --transcript and the server\'s log.'},
  // POP3 (pop3-list)
  STLS_NOT_OFFERED: {severity: 'warning', meaning: 'The POP3 server does not offer STLS (RFC 2595) on a plaintext port: logins and mail travel unencrypted.', fix: 'Use POP3 over TLS on port 995, or enable STLS on the server (Dovecot: ssl = yes with a certificate).'},
  POP3_CAPA_UNSUPPORTED: {severity: 'info', meaning: 'The POP3 server does not answer CAPA (RFC 2449), so its optional commands and login methods are unknown and are tried blind.', fix: 'Nothing to fix unless something fails; modern servers (Dovecot, Courier, Exchange) all support CAPA.'},
  POP3_UIDL_UNSUPPORTED: {severity: 'warning', meaning: 'The POP3 server does not support UIDL: messages have no identity that lasts across sessions, so clients that "leave mail on the server" download it again.', fix: 'Enable UIDL on the server (it is part of every current POP3 server), or use IMAP.'},
  POP3_TOP_UNSUPPORTED: {severity: 'warning', meaning: 'The POP3 server does not support TOP, so the headers of the messages cannot be read without RETR (which maildig never uses).', fix: 'Enable TOP on the server, or use imap-check to look at the mailbox.'},
  MAILBOX_IN_USE: {severity: 'error', meaning: 'The POP3 server accepted the credentials but could not lock the maildrop: another POP3 session holds it ([IN-USE], RFC 2449 §8.1).', fix: 'Close the other mail client (or wait for its session to end, or for a stale lock to expire) and try again.'},
  POP3_SYS_TEMP: {severity: 'error', meaning: 'The POP3 server reported a temporary problem of its own ([SYS/TEMP], RFC 3206), not one with the credentials.', fix: 'Try again later; if it persists, look at the server\'s log (an authentication back end or storage that is down).'},
  POP3_SYS_PERM: {severity: 'error', meaning: 'The POP3 server reported a permanent problem of its own ([SYS/PERM], RFC 3206), not one with the credentials.', fix: 'The server\'s administrator must fix it; the message quotes the server\'s words.'},
  POP3_MAILDROP_TOO_LARGE: {severity: 'error', meaning: 'The POP3 maildrop holds more messages than pop3-list reads in one listing (100,000): LIST and UIDL of all of them would be unbounded, so none was listed. POP3 clients that download everything choke on such a maildrop too.', fix: 'List the newest messages with --limit N; empty or archive the maildrop (a client that leaves mail on the server keeps it growing).'},
  POP3_COMMAND_FAILED: {severity: 'error', meaning: 'The POP3 server answered -ERR to a command that must succeed in a logged-in session (STAT, LIST).', fix: 'The message quotes the server\'s answer; look at --transcript and the server\'s log.'},
  // roundtrip
  ROUNDTRIP_NOT_DELIVERED: {severity: 'error', meaning: 'The test message was accepted for delivery but was not in the recipient\'s mailbox within --wait: mail does not get through end to end (a CRITICAL under --format nagios).', fix: 'Search the MTA logs for the queue id and the Message-ID in the report (Postfix: postqueue -p, then the log line "status=deferred" says why); check the recipient\'s spam folder and filters.'},
  ROUNDTRIP_CLEANUP_FAILED: {severity: 'warning', meaning: '--cleanup was asked for, but the test message could not be removed (the IMAP server lacks UIDPLUS, refused write access or the expunge); the mailbox was left as it is.', fix: 'Remove the message by hand (its Message-ID and UID are in the report), or use a server with UIDPLUS (RFC 4315; Dovecot, Cyrus and Gmail have it).'},
  ROUNDTRIP_ROUTE_UNEXPECTED: {severity: 'warning', meaning: 'The test message entered the recipient\'s domain through another host than the MX that `trace` predicts (an info when it went through a submission server: a provider delivers its own domain\'s mail inside, past no MX).', fix: 'Check the MX records and whether a more preferred MX was down; a relay or filtering service in front of the MX can explain it.'},
  // The run itself
  INTERRUPTED: {severity: 'error', meaning: 'The run was interrupted (SIGINT, e.g. Ctrl-C, or SIGTERM) before the check finished; nothing was concluded (exit 130 or 143).', fix: 'Run the check again and let it finish; lower --timeout if it took too long.'},
  // Thresholds (--warning, --critical: docs/monitoring.md)
  THRESHOLD_WARNING: {severity: 'warning', meaning: 'A measurement (the response time, a stage, the certificate\'s days of validity, a latency) is outside the --warning range (the exit code stays as it is; WARNING, exit 1, under --format nagios).', fix: 'Look at the stage that took the time (the performance data and timings show each); if the range is too strict for this server, widen --warning.'},
  THRESHOLD_CRITICAL: {severity: 'error', meaning: 'A measurement is outside the --critical range: the check fails (exit 1; CRITICAL, exit 2, under --format nagios).', fix: 'Look at the stage that took the time, or renew the certificate; if the range is too strict for this server, widen --critical.'},
} as const satisfies Record<string, CatalogEntry>

export type FindingCode = keyof typeof FINDING_CATALOG

export function catalogEntry(code: string): CatalogEntry | undefined {
  return (FINDING_CATALOG as Record<string, CatalogEntry>)[code]
}

/** Builds a finding, taking its default severity and fix from the catalog. */
export function finding(code: FindingCode, message: string, subject?: string, severity?: Severity): Finding {
  const entry: CatalogEntry = FINDING_CATALOG[code]
  return {code, severity: severity ?? entry.severity, message, ...(subject === undefined ? {} : {subject}), fix: entry.fix}
}

/** The findings with each one said once: the same code, subject and message (as several addresses of one host give). */
export function saidOnce(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((f) => {
    const key = JSON.stringify([f.code, f.subject ?? null, f.message])
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error')
}

/** What a fix text depends on besides the code: the protocol spoken, the command, and the server's reply. */
export interface FixContext {
  command?: string
  protocol?: 'smtp' | 'submission' | 'imap' | 'pop3'
  /** The reply code (503, 554…) and the enhanced status code (5.7.1) of the reply that caused the finding. */
  replyCode?: number
  enhancedCode?: string
  /** Whether the run logged in (gave a user). */
  authenticated?: boolean
}

interface FixVariant {
  authenticated?: boolean
  protocol?: FixContext['protocol'][]
  command?: string[]
  replyCode?: number[]
  enhancedCode?: RegExp
  fix: string
}

/**
 * Fix texts for the situations where the catalog's general one would send a person the wrong way: by protocol (an
 * IMAP server's TLS is not Postfix's), by command (trace has no --tls), by reply code. The first that matches wins.
 */
const FIX_VARIANTS: Partial<Record<FindingCode, FixVariant[]>> = {
  STARTTLS_NOT_OFFERED: [
    {protocol: ['imap', 'pop3'], fix: 'Give the IMAP/POP3 server a certificate and turn TLS on (Dovecot: ssl = yes with ssl_cert and ssl_key); or connect to its TLS port (993 for IMAP, 995 for POP3).'},
    {protocol: ['submission'], fix: 'A submission server must offer STARTTLS before AUTH (RFC 8314): configure a certificate (Postfix: smtpd_tls_security_level = encrypt on the submission service), or use port 465 with TLS from the first byte.'},
  ],
  GREETING_TIMEOUT: [
    {command: ['trace'], fix: 'The server may be overloaded or tarpitting this client; a server that waits for TLS from the first byte (ports 465, 993, 995) is not one mail is delivered to. Probe it on its own with probe-smtp HOST --transcript.'},
    {protocol: ['imap', 'pop3'], fix: 'The server may be overloaded, or it expects TLS from the first byte: try its TLS port (993 for IMAP, 995 for POP3) or --tls implicit.'},
  ],
  AUTH_NOT_OFFERED: [
    {
      replyCode: [502, 503, 504],
      fix: 'The server does not take a login here (503/502: authentication not enabled on this port or at this stage), so the credentials were not judged: send through the submission port, 587 with STARTTLS or 465 with TLS, where AUTH is offered.',
    },
  ],
  RCPT_REJECTED: [
    {enhancedCode: /^5\.1\.[0-3]$/, fix: 'No such address at that server (5.1.x): check the spelling of the recipient, and that the server is the right one for its domain.'},
    {
      command: ['send'],
      protocol: ['submission'],
      authenticated: false,
      enhancedCode: /^5\.7\.1$/,
      fix: 'Relaying denied (5.7.1): the server sends mail on to other domains only for clients that log in. Add --user (with MAILDIG_PASSWORD or --password-stdin) on the submission port (587 or 465).',
    },
    {enhancedCode: /^5\.7\.\d+$/, fix: 'A policy refused it (5.7.x): the reply text names it (relaying denied, SPF, a blocklist, a sender not allowed); relaying needs a login on the submission port.'},
  ],
}

/** The fix for a code in its context: a variant where one fits, the catalog's fix otherwise. */
export function fixFor(code: string, context: FixContext = {}): string | undefined {
  const variants = (FIX_VARIANTS as Record<string, FixVariant[] | undefined>)[code] ?? []
  const match = variants.find(
    (v) =>
      (v.authenticated === undefined || context.authenticated === v.authenticated) &&
      (!v.protocol || (context.protocol !== undefined && v.protocol.includes(context.protocol))) &&
      (!v.command || (context.command !== undefined && v.command.includes(context.command))) &&
      (!v.replyCode || (context.replyCode !== undefined && v.replyCode.includes(context.replyCode))) &&
      (!v.enhancedCode || (context.enhancedCode !== undefined && v.enhancedCode.test(context.enhancedCode))),
  )
  return match?.fix ?? catalogEntry(code)?.fix
}

/** Every fix text a code can have (the catalog's and its variants'), for the docs and tests. */
export function fixVariants(code: string): {when: Omit<FixVariant, 'fix'>; fix: string}[] {
  return ((FIX_VARIANTS as Record<string, FixVariant[] | undefined>)[code] ?? []).map(({fix, ...when}) => ({when, fix}))
}

/**
 * The context of a finding as its text shows it: the reply code and enhanced status code a server's reply put in the
 * message (`550 5.1.1 …`), and for trace's mailbox step the protocol it names.
 */
export function contextOf(finding: {message: string}, base: FixContext): FixContext {
  const reply = /(?:^|[\s:(])([245]\d\d)[\s-]([245]\.\d{1,3}\.\d{1,3})?/.exec(finding.message)
  const context: FixContext = {...base}
  if (reply) {
    context.replyCode = Number(reply[1])
    if (reply[2]) context.enhancedCode = reply[2]
  }
  if (base.command === 'trace' && base.protocol === undefined) {
    if (/\bSTLS\b|\bpop3s?\b|\bPOP3\b/.test(finding.message)) context.protocol = 'pop3'
    else if (/\bimaps?\b|\bIMAP\b/.test(finding.message)) context.protocol = 'imap'
  }
  return context
}
