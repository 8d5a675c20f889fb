/* The ACME (RFC 8555) message layer: what goes into a request and what
 * comes out of a response, without sockets. Base64url (RFC 4648 §5, no
 * padding); the account key's JWK (RFC 7517) and thumbprint (RFC 7638);
 * flattened JWS bodies (RFC 7515) signed ES256, ES384 or RS256 with
 * ECDSA signatures in the fixed r||s form; External Account Binding
 * (§7.3.4, HS256); key authorizations and the DNS-01 TXT value (§8.1,
 * §8.4); the request payloads (newAccount, newOrder, finalize); parsers
 * of the server's objects (directory, account, order, authorization,
 * challenge, problem document, certificate chain) and of ARI (RFC 9773:
 * the CertID of a certificate, renewalInfo).
 *
 * Every parser takes the response body as it came (untrusted): JSON that
 * does not parse, a missing required field, a field of the wrong type, a
 * string or list over its bound, a URL that is not http(s), an unknown
 * status all give DNSD_EMALFORM with a short reason in why (why may be
 * NULL). Strings are copied; the *_free function of each struct frees
 * them and zeroes it, and may be given a zeroed struct or NULL. On
 * failure the out struct is left zeroed. Text that ends up in logs (a
 * problem's detail) has its control characters replaced by '?'.
 * Builders return malloc'd NUL-terminated text the caller frees, or
 * DNSD_ENOMEM / DNSD_EINVAL (an argument that cannot go into the
 * message, see each). Nothing here logs, and no key material is ever
 * put in why. */
#ifndef DNSD_ACME_H
#define DNSD_ACME_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* base64url of a SHA-256 digest: a thumbprint, a DNS-01 TXT value */
#define DNSD_ACME_B64_SHA256 43

/* Bounds of the parsers; more is DNSD_EMALFORM. */
#define DNSD_ACME_MAX_INPUT (1 << 20) /* octets of one response */
#define DNSD_ACME_MAX_URL   2048
#define DNSD_ACME_MAX_TEXT  1024 /* a detail: longer is cut here */
#define DNSD_ACME_MAX_IDS   100  /* identifiers, authorizations */
#define DNSD_ACME_MAX_CHALL 16   /* challenges of one authorization */
#define DNSD_ACME_MAX_SUB   100  /* subproblems */
#define DNSD_ACME_MAX_CHAIN 16   /* certificates of one chain */
#define DNSD_ACME_MAX_TOKEN 256

/* --- base64url ------------------------------------------------------ */

/* Characters of the encoding of n octets (no padding, no NUL). */
size_t dnsd_acme_b64url_len(size_t n);
/* Encodes in[0..n) into out (cap octets, room for the NUL); returns the
 * length or DNSD_ESPACE. */
int dnsd_acme_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* The same, malloc'd; NULL when out of memory. */
char *dnsd_acme_b64url(const uint8_t *in, size_t n);
/* Decodes in[0..n) into out; returns the length, DNSD_ESYNTAX for a
 * character outside the alphabet (padding included), a length of 1
 * modulo 4 or non-zero trailing bits, DNSD_ESPACE when out is short. */
int dnsd_acme_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* --- the account key ------------------------------------------------ */

/* Keys are made, written and read with dnsd/certreq.h (dnsd_certkey_*);
 * here is what a JWS needs of one. */
/* The JWS "alg" of a key: P-256 "ES256", P-384 "ES384", RSA "RS256";
 * DNSD_ENOTSUP for anything else. */
int dnsd_acme_key_alg(EVP_PKEY *key, const char **alg);
/* The public JWK in the canonical form of RFC 7638 §3 (required members
 * only, sorted, no white space): {"crv","kty","x","y"} / {"e","kty","n"}. */
int dnsd_acme_jwk(EVP_PKEY *key, char **out);
/* base64url(SHA-256(canonical JWK)) into out (DNSD_ACME_B64_SHA256 + 1
 * octets). */
int dnsd_acme_thumbprint(EVP_PKEY *key, char *out);

/* --- requests ------------------------------------------------------- */

typedef struct dnsd_acme_jws {
	EVP_PKEY *key;       /* the account key */
	const char *url;     /* the request's URL, exactly as requested */
	const char *nonce;   /* a Replay-Nonce from the server */
	const char *kid;     /* the account URL; NULL: the jwk instead
	                        (newAccount, revokeCert by certificate key) */
	const char *payload; /* JSON text; NULL: "" (POST-as-GET) */
} dnsd_acme_jws;

/* The flattened JWS JSON body {"protected","payload","signature"} of a
 * request (RFC 8555 §6.2). DNSD_EINVAL without key, url or nonce, or
 * with a nonce or URL that is not printable ASCII. */
int dnsd_acme_jws_sign(const dnsd_acme_jws *j, char **out);

/* The externalAccountBinding object (RFC 8555 §7.3.4) as JSON text: the
 * account key's JWK signed HS256 with the CA's MAC key mac[0..maclen),
 * protected header {alg HS256, kid eab_kid, url new_account_url}. */
int dnsd_acme_eab_jws(EVP_PKEY *key, const char *eab_kid, const uint8_t *mac,
                      size_t maclen, const char *new_account_url, char **out);

/* The newAccount payload: only_existing: {"onlyReturnExisting":true};
 * else {"termsOfServiceAgreed":true} with "contact":["mailto:EMAIL"]
 * when email is given and "externalAccountBinding" when eab (the text
 * of dnsd_acme_eab_jws) is. DNSD_EINVAL for an email that is not one
 * plain address (no "@", controls, spaces, ",", "?", quotes). */
int dnsd_acme_account_payload(const char *email, bool only_existing,
                              const char *eab, char **out);

/* The newOrder payload: an identifier {"type":"dns","value":NAME} per
 * name (text, no final dot, "*." for a wildcard), "replaces" (an ARI
 * CertID) and "profile" when not NULL. DNSD_EINVAL for no names, more
 * than DNSD_ACME_MAX_IDS, an empty or non-printable name. */
int dnsd_acme_order_payload(const char *const *names, size_t n,
                            const char *replaces, const char *profile,
                            char **out);

/* The finalize payload {"csr": base64url(DER)}. */
int dnsd_acme_finalize_payload(const uint8_t *csr, size_t len, char **out);

/* token "." thumbprint (RFC 8555 §8.1), and the DNS-01 TXT value,
 * base64url(SHA-256(key authorization)) (§8.4), into out
 * (DNSD_ACME_B64_SHA256 + 1 octets). DNSD_EINVAL for a token that is
 * empty, longer than DNSD_ACME_MAX_TOKEN or not base64url. */
int dnsd_acme_key_authz(const char *token, const char *thumbprint, char **out);
int dnsd_acme_dns01_txt(const char *token, const char *thumbprint, char *out);

/* --- responses ------------------------------------------------------ */

/* Statuses of accounts, orders, authorizations and challenges (§7.1.6);
 * each parser accepts only the ones its object may have. */
enum {
	DNSD_ACME_PENDING = 1,
	DNSD_ACME_READY,
	DNSD_ACME_PROCESSING,
	DNSD_ACME_VALID,
	DNSD_ACME_INVALID,
	DNSD_ACME_DEACTIVATED,
	DNSD_ACME_EXPIRED,
	DNSD_ACME_REVOKED,
};
#define DNSD_ACME_BIT(status) (1u << (status))
/* "pending" ... "revoked"; "unknown" otherwise. */
const char *dnsd_acme_status_name(int status);

/* RFC 3339 date-time (upper or lower case T and Z, fractions ignored,
 * offsets applied) -> time_t. DNSD_ESYNTAX / DNSD_ERANGE. */
int dnsd_acme_parse_time(const char *s, time_t *out);

typedef struct dnsd_acme_identifier {
	char *type;  /* "dns", "ip", ... */
	char *value; /* printable ASCII */
} dnsd_acme_identifier;

typedef struct dnsd_acme_subproblem {
	char *type;              /* NULL when absent */
	char *detail;            /* NULL when absent */
	dnsd_acme_identifier id; /* both NULL when absent */
} dnsd_acme_subproblem;

/* A problem document (RFC 7807, RFC 8555 §6.7). */
typedef struct dnsd_acme_problem {
	char *type;   /* e.g. "urn:ietf:params:acme:error:badNonce"; NULL
	                 when absent */
	char *detail; /* NULL when absent; controls replaced, cut at
	                 DNSD_ACME_MAX_TEXT */
	int status;   /* HTTP status it states, 0 when absent */
	dnsd_acme_subproblem *sub;
	size_t nsub;
} dnsd_acme_problem;

int dnsd_acme_problem_parse(const char *json, size_t len,
                            dnsd_acme_problem *out, char *why, size_t cap);
void dnsd_acme_problem_free(dnsd_acme_problem *p);
/* True when p's type is "urn:ietf:params:acme:error:" name. */
bool dnsd_acme_problem_is(const dnsd_acme_problem *p, const char *name);

typedef struct dnsd_acme_directory {
	char *new_nonce, *new_account, *new_order; /* required */
	char *revoke_cert, *key_change;            /* NULL when absent */
	char *renewal_info;                        /* ARI; NULL when absent */
	char *terms_of_service; /* NULL when absent; text, never fetched */
	char **profiles;        /* the names of meta.profiles */
	size_t nprofiles;
	bool eab_required; /* meta.externalAccountRequired */
} dnsd_acme_directory;

int dnsd_acme_directory_parse(const char *json, size_t len,
                              dnsd_acme_directory *out, char *why, size_t cap);
void dnsd_acme_directory_free(dnsd_acme_directory *d);
/* True when the directory lists the profile. */
bool dnsd_acme_directory_has_profile(const dnsd_acme_directory *d,
                                     const char *name);

typedef struct dnsd_acme_account {
	int status;   /* VALID, DEACTIVATED, REVOKED */
	char *orders; /* URL, NULL when absent */
} dnsd_acme_account;

int dnsd_acme_account_parse(const char *json, size_t len,
                            dnsd_acme_account *out, char *why, size_t cap);
void dnsd_acme_account_free(dnsd_acme_account *a);

typedef struct dnsd_acme_order {
	int status;     /* PENDING, READY, PROCESSING, VALID, INVALID */
	time_t expires; /* 0 when absent */
	dnsd_acme_identifier *ids;
	size_t nids; /* at least one */
	char **authz;
	size_t nauthz;
	char *finalize;           /* required */
	char *certificate;        /* NULL when absent (required when VALID) */
	char *profile;            /* NULL when absent */
	dnsd_acme_problem *error; /* NULL when absent */
} dnsd_acme_order;

int dnsd_acme_order_parse(const char *json, size_t len, dnsd_acme_order *out,
                          char *why, size_t cap);
void dnsd_acme_order_free(dnsd_acme_order *o);

typedef struct dnsd_acme_challenge {
	char *type; /* "dns-01", ... */
	char *url;
	char *token;      /* base64url; NULL when absent (required for dns-01,
	                     http-01, tls-alpn-01) */
	int status;       /* PENDING, PROCESSING, VALID, INVALID */
	time_t validated; /* 0 when absent */
	dnsd_acme_problem *error; /* NULL when absent */
} dnsd_acme_challenge;

/* A challenge on its own: the answer to a challenge response. */
int dnsd_acme_challenge_parse(const char *json, size_t len,
                              dnsd_acme_challenge *out, char *why, size_t cap);
void dnsd_acme_challenge_free(dnsd_acme_challenge *c);

typedef struct dnsd_acme_authz {
	int status; /* PENDING, VALID, INVALID, DEACTIVATED, EXPIRED,
	               REVOKED */
	dnsd_acme_identifier id; /* a wildcard's without the "*." */
	bool wildcard;
	time_t expires; /* 0 when absent */
	dnsd_acme_challenge *ch;
	size_t nch;
} dnsd_acme_authz;

int dnsd_acme_authz_parse(const char *json, size_t len, dnsd_acme_authz *out,
                          char *why, size_t cap);
void dnsd_acme_authz_free(dnsd_acme_authz *a);
/* The first challenge of a type ("dns-01"), NULL when none. */
const dnsd_acme_challenge *dnsd_acme_authz_challenge(const dnsd_acme_authz *a,
                                                     const char *type);

typedef struct dnsd_acme_cert {
	uint8_t *der;
	size_t len;
} dnsd_acme_cert;

/* A certificate chain: the end-entity certificate first. */
typedef struct dnsd_acme_chain {
	dnsd_acme_cert *certs;
	size_t n; /* 1 .. DNSD_ACME_MAX_CHAIN */
} dnsd_acme_chain;

/* application/pem-certificate-chain (RFC 8555 §9.1) -> DER certificates,
 * each one parsed as X.509 to be sure. Text between the blocks is
 * ignored; a block of another kind, a block that does not decode, or no
 * certificate at all is DNSD_EMALFORM. */
int dnsd_acme_chain_parse(const char *pem, size_t len, dnsd_acme_chain *out,
                          char *why, size_t cap);
void dnsd_acme_chain_free(dnsd_acme_chain *c);

/* --- ARI (RFC 9773) ------------------------------------------------- */

/* The CertID of a DER certificate: base64url(keyIdentifier of its
 * Authority Key Identifier) "." base64url(the octets of its serial
 * number as DER has them, a leading zero included). DNSD_EMALFORM when
 * the certificate does not parse, DNSD_ENOTFOUND without an AKI
 * keyIdentifier. */
int dnsd_acme_ari_certid(const uint8_t *der, size_t len, char **out);
/* The same from the two parts. */
int dnsd_acme_ari_certid_raw(const uint8_t *akid, size_t akid_len,
                             const uint8_t *serial, size_t serial_len,
                             char **out);

typedef struct dnsd_acme_renewal {
	time_t start, end;     /* suggestedWindow; start < end */
	char *explanation_url; /* NULL when absent */
} dnsd_acme_renewal;

int dnsd_acme_renewal_parse(const char *json, size_t len,
                            dnsd_acme_renewal *out, char *why, size_t cap);
void dnsd_acme_renewal_free(dnsd_acme_renewal *r);

#endif
