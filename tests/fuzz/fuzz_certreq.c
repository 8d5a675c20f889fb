/* Fuzz target: certificate requests and certificates as DNS carries
 * them (certreq.h). The input is read three ways: as the DER of a TLSA
 * 3 255 0 record (a CSR), as the DER of a 3 0 0 or 2 0 0 record (a
 * certificate), and as PEM text whose CERTIFICATE blocks are read as
 * certificates in turn (an ACME CA's chain). Checked: no crash or leak,
 * and results that hold together: names normalized and each once, a
 * CSR's within the limit, a key, a renewal time inside the lifetime, a
 * certificate covering its own names, an ARI identifier as long as
 * said, and PEM offsets that only move forward. */
#include <dnsd/certreq.h>
#include <dnsd/err.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void check_names(char *const *names, size_t n)
{
	char norm[DNSD_CERTREQ_NAME_MAX];
	for (size_t i = 0; i < n; i++) {
		ASSERT(dnsd_certreq_name(names[i], norm) == 0);
		ASSERT(strcmp(norm, names[i]) == 0);
		for (size_t j = 0; j < i; j++)
			ASSERT(strcmp(names[i], names[j]) != 0);
	}
}

static void csr(const uint8_t *data, size_t size)
{
	dnsd_csr c;
	if (dnsd_csr_parse(data, size, &c) < 0) {
		ASSERT(!c.names && !c.spki && c.nnames == 0);
		return;
	}
	ASSERT(c.nnames >= 1 && c.nnames <= DNSD_CERTREQ_NAMES_MAX);
	ASSERT(c.spki && c.spki_len > 0);
	check_names(c.names, c.nnames);
	ASSERT(dnsd_csr_matches(&c, c.spki, c.spki_len, c.names, c.nnames));
	dnsd_csr_clear(&c);
}

static void cert(const uint8_t *data, size_t size)
{
	dnsd_cert x;
	if (dnsd_cert_parse(data, size, &x) < 0) {
		ASSERT(!x.names && !x.spki && !x.serial && !x.aki);
		return;
	}
	ASSERT(x.spki && x.serial && x.subject && x.issuer);
	check_names(x.names, x.nnames);
	ASSERT(dnsd_cert_covers(&x, x.names, x.nnames));
	if (x.not_before <= x.not_after) {
		time_t r = dnsd_cert_renew_at(&x);
		ASSERT(r >= x.not_before && r <= x.not_after);
	}
	char id[1024];
	int l = dnsd_cert_ari_id(&x, id, sizeof id);
	ASSERT(l == DNSD_ENOTFOUND || l == DNSD_ESPACE ||
	       (l > 0 && (size_t)l == strlen(id) && strchr(id, '.')));
	ASSERT((l == DNSD_ENOTFOUND) == (x.aki == NULL));
	dnsd_cert_clear(&x);
}

static void pem(const uint8_t *data, size_t size)
{
	size_t off = 0;
	for (;;) {
		uint8_t *der;
		size_t len, before = off;
		int r = dnsd_certreq_pem_next((const char *)data, size, &off,
		                              "CERTIFICATE", &der, &len);
		if (r < 0) {
			ASSERT(off == before);
			break;
		}
		ASSERT(off > before && off <= size && len > 0);
		cert(der, len);
		free(der);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	csr(data, size);
	cert(data, size);
	pem(data, size);
	return 0;
}
