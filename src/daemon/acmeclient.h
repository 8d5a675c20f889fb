/* The ACME (RFC 8555) client on the main loop: HTTPS through libcurl's
 * multi interface driven by the caller's event_base (sockets and the
 * timer are libevent events; nothing blocks the loop but loading or
 * creating the account key in acmeclient_new, before the loop runs),
 * messages from the engine's ACME layer (dnsd/acme.h).
 *
 * Beneath every request: the directory fetched once; a pool of
 * Replay-Nonces (newNonce HEAD only when it is empty, the nonce of every
 * response kept); a badNonce answer retried with the fresh nonce, up to
 * ACMECLIENT_BADNONCE_TRIES times; HTTP 429 and 503 retried after their
 * Retry-After when it is at most opts.max_retry_wait seconds (3 times),
 * otherwise reported with retry_after set; POST-as-GET for every read
 * but the directory and ARI's renewalInfo (plain GETs).
 *
 * On top, one asynchronous call per step of an order. Each returns 0 and
 * later calls its fn exactly once, on the loop from an event of its own
 * (never from inside the call), or returns DNSD_EINVAL / DNSD_ENOMEM at
 * once without calling fn. Within fn the caller may start other calls,
 * cancel others, or free the client. Everything fn gets (status texts,
 * parsed objects, URLs) is valid during the call only. Any number of
 * calls may run at once.
 *
 * Nothing secret reaches the log or a status: no key, no EAB MAC key,
 * no request body. Logs are debug lines per request and warnings per
 * retry; reporting a failure is the caller's. */
#ifndef DNSD_DAEMON_ACMECLIENT_H
#define DNSD_DAEMON_ACMECLIENT_H

#include <dnsd/acme.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ACMECLIENT_BADNONCE_TRIES 10

typedef struct acmeclient acmeclient;
typedef struct acmeclient_op acmeclient_op;

typedef struct acmeclient_opts {
	const char *directory;   /* acme-directory: the directory URL */
	const char *ca_file;     /* acme-ca-file: CA certificates trusted
	                            besides the system's; NULL: none */
	const char *key_file;    /* the account key (PKCS#8 PEM), created with
	                            mode 0600 when missing */
	const char *key_type;    /* of a key created: "ec256" (NULL), "ec384",
	                            "rsa2048", "rsa4096"; an existing key is
	                            used as it is (a warning if it differs) */
	const char *email;       /* acme-email: contact of a new account, NULL:
	                            none */
	const char *eab_kid;     /* acme-eab KID:HMAC split: the key id and */
	const char *eab_hmac;    /* the MAC key, base64url; NULL: no EAB */
	unsigned timeout;        /* seconds per HTTP request; 0: 30 */
	unsigned max_retry_wait; /* longest Retry-After waited for; 0: 60 */
	bool allow_http; /* plain http:// too (tests); else https only */
} acmeclient_opts;

/* How a call ended. rc is 0 or: DNSD_EIO (transport: refused, TLS,
 * timeout, a 5xx), DNSD_EDENIED (the CA refused: unauthorized,
 * rejectedIdentifier, an order or authorization that became invalid,
 * ...), DNSD_ETOOMANY (rateLimited, or polling gave up), DNSD_EINVAL
 * (malformed, badCSR, ... : the request was wrong), DNSD_EMALFORM (a
 * response that does not parse, a missing Location or Replay-Nonce),
 * DNSD_ENOTSUP (the CA lacks it: ARI), DNSD_ENOTFOUND (ARI: the
 * certificate has no Authority Key Identifier), DNSD_ENOMEM. */
typedef struct acmeclient_status {
	int rc;
	long http;          /* the last HTTP status, 0 when none */
	const char *type;   /* the problem document's type, NULL when none */
	const char *detail; /* its detail, the transport error or the reason;
	                       "" on success; control characters replaced */
	time_t retry_after; /* the CA's Retry-After as an absolute time, 0
	                       when none (set on success too, for ARI) */
} acmeclient_status;

/* "HTTP 403 urn:ietf:params:acme:error:unauthorized: DETAIL" and the
 * like, for a log line; "ok" on success. Returns buf. */
const char *acmeclient_status_text(const acmeclient_status *st, char *buf,
                                   size_t cap);

/* Loads the account key from o->key_file or creates it (written to a
 * temporary file, fsynced, renamed); checks the options. 0, or
 * DNSD_EINVAL (a bad option: URL, key type, EAB key), DNSD_EIO (the key
 * file), DNSD_ESYNTAX / DNSD_ENOTSUP (the key file holds no usable key),
 * DNSD_ENOMEM, with why. Nothing is sent yet. */
int acmeclient_new(struct event_base *base, const acmeclient_opts *o,
                   acmeclient **out, char *why, size_t cap);
/* Stops every call in flight (their fn are not called) and frees. */
void acmeclient_free(acmeclient *c);
/* Stops one call before its fn is called; fn is not called then. Not
 * for a call whose fn is running or has run. */
void acmeclient_cancel(acmeclient_op *op);

/* The account key's thumbprint (RFC 7638), and the DNS-01 TXT value of a
 * challenge token with it (out: DNSD_ACME_B64_SHA256 + 1 octets; 0 or
 * DNSD_EINVAL for a token that is not base64url). */
const char *acmeclient_thumbprint(const acmeclient *c);
int acmeclient_dns01_value(const acmeclient *c, const char *token, char *out);
/* The directory once fetched (by acmeclient_account), else NULL. */
const dnsd_acme_directory *acmeclient_directory(const acmeclient *c);
/* The account URL once acmeclient_account succeeded, else NULL. */
const char *acmeclient_account_url(const acmeclient *c);

/* Fetches the directory, then looks the account of the key up
 * (newAccount with onlyReturnExisting) and, when there is none, creates
 * it: contact mailto:EMAIL, termsOfServiceAgreed, externalAccountBinding
 * when EAB is configured (DNSD_EDENIED at once when the directory
 * requires it and none is). created tells which. Every other call but
 * acmeclient_renewal_info needs it done first (else DNSD_EINVAL). */
typedef void (*acmeclient_account_fn)(void *ctx, const acmeclient_status *st,
                                      const char *account_url, bool created);
int acmeclient_account(acmeclient *c, acmeclient_account_fn fn, void *ctx,
                       acmeclient_op **op);

/* order_url and order: the order as the CA answered (both NULL on
 * failure, except when polling saw it become invalid: then rc is
 * DNSD_EDENIED, type/detail its error, and the order is given). */
typedef void (*acmeclient_order_fn)(void *ctx, const acmeclient_status *st,
                                    const char *order_url,
                                    const dnsd_acme_order *order);

/* newOrder for names (text, no final dot; "*.x" for a wildcard). replaces
 * (an ARI CertID, dnsd_acme_ari_certid) is sent only when the directory
 * has renewalInfo, and sent again without it when the CA answers
 * alreadyReplaced; profile only when the directory lists it (logged and
 * left out otherwise). Both may be NULL. */
int acmeclient_new_order(acmeclient *c, const char *const *names, size_t n,
                         const char *replaces, const char *profile,
                         acmeclient_order_fn fn, void *ctx, acmeclient_op **op);
/* The order at url as it is now. */
int acmeclient_get_order(acmeclient *c, const char *url, acmeclient_order_fn fn,
                         void *ctx, acmeclient_op **op);
/* Polls the order until its status is in states (DNSD_ACME_BIT(...)
 * ORed): at once, then after the CA's Retry-After (at most 60 s) or 1,
 * 2, 4, 8, 10, 10 ... s; DNSD_EDENIED when it reaches a final status not
 * in states (invalid; valid when not asked for), DNSD_ETOOMANY when the
 * next poll would be past max_wait seconds. */
int acmeclient_poll_order(acmeclient *c, const char *url, unsigned states,
                          unsigned max_wait, acmeclient_order_fn fn, void *ctx,
                          acmeclient_op **op);
/* Finalizes with a DER CSR at the order's finalize URL; fn gets the
 * order (order_url as given), usually processing or valid: poll it for
 * DNSD_ACME_VALID next. */
int acmeclient_finalize(acmeclient *c, const char *order_url,
                        const char *finalize_url, const uint8_t *csr,
                        size_t len, acmeclient_order_fn fn, void *ctx,
                        acmeclient_op **op);

/* authz NULL on failure, except an authorization that polling saw become
 * invalid, deactivated, expired or revoked (DNSD_EDENIED, type/detail the
 * failed challenge's error). */
typedef void (*acmeclient_authz_fn)(void *ctx, const acmeclient_status *st,
                                    const dnsd_acme_authz *authz);
int acmeclient_get_authz(acmeclient *c, const char *url, acmeclient_authz_fn fn,
                         void *ctx, acmeclient_op **op);
/* As acmeclient_poll_order, for an authorization. */
int acmeclient_poll_authz(acmeclient *c, const char *url, unsigned states,
                          unsigned max_wait, acmeclient_authz_fn fn, void *ctx,
                          acmeclient_op **op);

/* Tells the CA a challenge is ready (POST {} to its URL); fn gets the
 * challenge as answered (pending or processing, usually). */
typedef void (*acmeclient_challenge_fn)(void *ctx, const acmeclient_status *st,
                                        const dnsd_acme_challenge *ch);
int acmeclient_respond(acmeclient *c, const char *challenge_url,
                       acmeclient_challenge_fn fn, void *ctx,
                       acmeclient_op **op);

/* Downloads the certificate chain at url (application/pem-certificate-
 * chain): the end-entity certificate first, then its CA certificates,
 * as DER. */
typedef void (*acmeclient_chain_fn)(void *ctx, const acmeclient_status *st,
                                    const dnsd_acme_chain *chain);
int acmeclient_certificate(acmeclient *c, const char *url,
                           acmeclient_chain_fn fn, void *ctx,
                           acmeclient_op **op);

/* ARI (RFC 9773): the renewalInfo of a DER certificate; st->retry_after
 * says when to ask again. Fetches the directory when needed; DNSD_ENOTSUP
 * when it has no renewalInfo, DNSD_ENOTFOUND when the certificate has no
 * Authority Key Identifier. */
typedef void (*acmeclient_renewal_fn)(void *ctx, const acmeclient_status *st,
                                      const dnsd_acme_renewal *ri);
int acmeclient_renewal_info(acmeclient *c, const uint8_t *cert, size_t len,
                            acmeclient_renewal_fn fn, void *ctx,
                            acmeclient_op **op);

#endif
