/* Certificate requests and certificates as DNS carries them between a
 * service and the letsencrypt role (DESIGN.md "Certificates in DNS": at
 * _letsencrypt._tcp.HOST, TLSA 3 255 0 a DER PKCS#10 CSR, 3 0 0 the DER
 * end-entity certificate, 2 0 0 the DER CA certificates), on OpenSSL.
 *
 * Pure: DER and PEM in memory, no files, no clock (the time is passed
 * in). Shared by the role (src/daemon/letsencrypt.c) and dnsd-certify.
 *
 * Names are host names in the text form ACME identifiers use (RFC 8555
 * §7.1.4): lower-case, without the final dot, a wildcard as
 * "*.example.org". Lists of names are deduplicated, in the order found.
 *
 * Ownership: the structs own their arrays (malloc), freed by their
 * _clear function, which leaves them empty and may be called twice.
 * Returned buffers (DER, PEM) are the caller's to free(). A parse fills
 * its out struct from scratch (clear one that holds something first);
 * on an error nothing is allocated for the caller and it is empty. */
#ifndef DNSD_CERTREQ_H
#define DNSD_CERTREQ_H

#include <openssl/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* At most so many names in one request: Let's Encrypt's limit. */
#define DNSD_CERTREQ_NAMES_MAX 100
/* A name's text, 253 octets without the final dot, plus the NUL. */
#define DNSD_CERTREQ_NAME_MAX 254

/* ---- names --------------------------------------------------------- */

/* A host name as a certificate names it, into out: one final dot
 * dropped, lower-cased. Labels of 1..63 letters, digits, '-' or '_'; a
 * first label "*" (a wildcard) when another label follows; 253 octets at
 * most. 0 or DNSD_ESYNTAX. */
int dnsd_certreq_name(const char *in, char out[DNSD_CERTREQ_NAME_MAX]);

/* True when a and b hold the same names, in any order (each list
 * without duplicates, as this module makes them). */
bool dnsd_certreq_names_equal(char *const *a, size_t na, char *const *b,
                              size_t nb);

/* ---- certificate signing requests ---------------------------------- */

typedef struct dnsd_csr {
	char **names;  /* the subject's CN first (when it has one), then
	                  every SAN dNSName */
	size_t nnames; /* 1..DNSD_CERTREQ_NAMES_MAX */
	uint8_t *spki; /* the public key, DER SubjectPublicKeyInfo */
	size_t spki_len;
} dnsd_csr;

/* Reads a DER PKCS#10 CSR (the whole of der) into out and verifies its
 * self-signature. Errors: DNSD_EMALFORM (not one DER CSR, a key OpenSSL
 * cannot read, the SAN extension twice), DNSD_EDENIED (the signature
 * does not verify), DNSD_ENOTSUP (a SAN other than a dNSName: IP
 * address, e-mail, URI...), DNSD_ESYNTAX (a CN or dNSName that is no
 * host name), DNSD_ENOTFOUND (no name at all), DNSD_ETOOMANY (over
 * DNSD_CERTREQ_NAMES_MAX names), DNSD_ENOMEM. */
int dnsd_csr_parse(const uint8_t *der, size_t len, dnsd_csr *out);

void dnsd_csr_clear(dnsd_csr *c);

/* True when c has the public key spki and exactly the names (any
 * order): the request a service with that key and those names would
 * make. */
bool dnsd_csr_matches(const dnsd_csr *c, const uint8_t *spki, size_t spki_len,
                      char *const *names, size_t n);

/* A CSR for names (1..DNSD_CERTREQ_NAMES_MAX, each as
 * dnsd_certreq_name() leaves it) signed by key with SHA-256: subject
 * CN = the first name (none when it is longer than the 64 characters a
 * CN may hold), every name a SAN dNSName. The DER into *der (the
 * caller's to free), its length in *len. Errors: DNSD_EINVAL (no names,
 * too many, one not normalized), DNSD_ENOMEM, DNSD_ENOTSUP (OpenSSL
 * refused to sign with key). */
int dnsd_csr_make(EVP_PKEY *key, char *const *names, size_t n, uint8_t **der,
                  size_t *len);

/* ---- certificates -------------------------------------------------- */

typedef struct dnsd_cert {
	char **names; /* the subject's CN when it is a host name, then
	                 every SAN dNSName that is one (others skipped) */
	size_t nnames;
	uint8_t *spki; /* DER SubjectPublicKeyInfo */
	size_t spki_len;
	time_t not_before, not_after;
	uint8_t *serial; /* content octets of the DER INTEGER (a leading 0
	                    when the high bit is set), as ARI wants them */
	size_t serial_len;
	uint8_t *aki; /* the Authority Key Identifier's keyIdentifier;
	                 NULL when the certificate has none */
	size_t aki_len;
	uint8_t *subject, *issuer; /* DER Names */
	size_t subject_len, issuer_len;
} dnsd_cert;

/* Reads a DER X.509 certificate (the whole of der) into out. Its
 * signature is not checked: that needs the issuer. Errors:
 * DNSD_EMALFORM (not one DER certificate, validity times or key
 * unreadable), DNSD_ENOMEM. */
int dnsd_cert_parse(const uint8_t *der, size_t len, dnsd_cert *out);

void dnsd_cert_clear(dnsd_cert *c);

/* When c is due for renewal without ARI: notBefore plus two thirds of
 * its lifetime, the start of the last third. */
time_t dnsd_cert_renew_at(const dnsd_cert *c);

/* True when every one of names is among c's names (exactly: a wildcard
 * in c does not cover a name under it, the CA issues what was asked). */
bool dnsd_cert_covers(const dnsd_cert *c, char *const *names, size_t n);

/* True when c is a current certificate for csr at now: the same public
 * key, all the CSR's names, and now before renew_at (the start of ARI's
 * suggested window when the CA offers one, else dnsd_cert_renew_at(c))
 * and before notAfter. A notBefore still to come does not count against
 * it: ordering again would not bring an earlier one. */
bool dnsd_cert_current(const dnsd_cert *c, const dnsd_csr *csr, time_t renew_at,
                       time_t now);

/* The ARI certificate identifier of c (RFC 9773 §4.1):
 * base64url(keyIdentifier) "." base64url(serial), without padding,
 * NUL-terminated into buf. Its length, DNSD_ENOTFOUND (no keyIdentifier)
 * or DNSD_ESPACE. */
int dnsd_cert_ari_id(const dnsd_cert *c, char *buf, size_t cap);

/* The PEM chain a TLS server loads: the end-entity certificate ee, then
 * the CA certificates of cas (in any order, as DNS returns an RRset)
 * from its issuer on, each issuing the one before it (issuer and
 * subject names equal, and the key identifiers when both have them),
 * until a self-issued one or none issues the last. CA certificates off
 * that path are left out. NUL-terminated into *pem (the caller's to
 * free), length in *pem_len. The number of CA certificates in it, or
 * DNSD_EMALFORM (one of them does not parse), DNSD_ENOMEM. */
int dnsd_cert_chain_pem(const uint8_t *ee, size_t ee_len,
                        const uint8_t *const *cas, const size_t *ca_lens,
                        size_t ncas, char **pem, size_t *pem_len);

/* ---- private keys -------------------------------------------------- */

enum dnsd_certkey_type {
	DNSD_CERTKEY_EC256,   /* ECDSA P-256, the default */
	DNSD_CERTKEY_EC384,   /* ECDSA P-384 */
	DNSD_CERTKEY_RSA2048, /* RSA, 2048 bits */
	DNSD_CERTKEY_RSA4096, /* RSA, 4096 bits */
};

/* "ec256", "ec384", "rsa2048", "rsa4096" into *type; DNSD_EINVAL for
 * anything else. */
int dnsd_certkey_type_from_text(const char *s, int *type);

/* The text of a type ("ec256"), "?" for none. */
const char *dnsd_certkey_type_name(int type);

/* A fresh private key of type into *out (the caller's to
 * EVP_PKEY_free). DNSD_EINVAL (no such type), DNSD_ENOMEM. */
int dnsd_certkey_new(int type, EVP_PKEY **out);

/* The type of key, or DNSD_ENOTSUP for a key of none of them. */
int dnsd_certkey_type(const EVP_PKEY *key);

/* key's public half as DER SubjectPublicKeyInfo into *spki (the caller's
 * to free): what dnsd_csr and dnsd_cert hold. 0 or DNSD_ENOMEM. */
int dnsd_certkey_spki(const EVP_PKEY *key, uint8_t **spki, size_t *len);

/* key as unencrypted PKCS#8 PEM ("PRIVATE KEY"), NUL-terminated into
 * *pem (the caller's to free; wipe it before). 0 or DNSD_ENOMEM. */
int dnsd_certkey_to_pem(const EVP_PKEY *key, char **pem, size_t *len);

/* The first private key of pem (PKCS#8, or OpenSSL's traditional EC
 * and RSA forms, unencrypted) into *out. DNSD_ENOTFOUND (no key that
 * reads), DNSD_ENOMEM. */
int dnsd_certkey_from_pem(const char *pem, size_t len, EVP_PKEY **out);

/* ---- PEM ----------------------------------------------------------- */

/* der as one PEM block "-----BEGIN label-----", NUL-terminated into
 * *pem (the caller's to free). 0 or DNSD_ENOMEM. */
int dnsd_certreq_pem(const char *label, const uint8_t *der, size_t len,
                     char **pem, size_t *pem_len);

/* The next PEM block labelled label of pem from *off on (blocks with
 * other labels and text between blocks skipped): its DER into *der (the
 * caller's to free), *off moved past it. DNSD_ENOTFOUND when none is
 * left, DNSD_EMALFORM for a block that does not decode, DNSD_ENOMEM.
 * A certificate chain from an ACME CA is split by calling it until
 * DNSD_ENOTFOUND with label "CERTIFICATE". */
int dnsd_certreq_pem_next(const char *pem, size_t len, size_t *off,
                          const char *label, uint8_t **der, size_t *der_len);

#endif
