/* dnsd's clone of its git remote (gitstore.h), on libgit2. */
#include "gitstore.h"

#include <dnsd/err.h>
#include <dnsd/keystore.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define GITSTORE_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

struct gitstore {
	gitstore_opts o; /* strings owned */
	char *ca_bundle; /* the file handed to libgit2, or NULL */
	git_repository *repo;
	char *branch;     /* known branch, or NULL */
	int lock_fd;      /* flock of the workdir clone (owner), or -1 */
	char notes[1024]; /* stale locks removed at open */
};

/* What the callbacks of one connection saw. */
struct gs_conn {
	gitstore *g;
	unsigned cred_calls;
	bool auth_failed;
	bool hostkey_mismatch;
	bool cert_untrusted;
	bool push_refused;     /* a ref the remote refused */
	char push_status[256]; /* the remote's word for it */
	char offered[64];      /* the host key the server offered */
};

static char *gs_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

const char *gitstore_err_name(int err)
{
	switch (err) {
	case GITSTORE_OK:
		return "ok";
	case GITSTORE_UNREACHABLE:
		return "unreachable";
	case GITSTORE_AUTH:
		return "authentication refused";
	case GITSTORE_HOSTKEY:
		return "host key mismatch";
	case GITSTORE_CERT:
		return "certificate not trusted";
	case GITSTORE_BRANCH:
		return "branch missing";
	case GITSTORE_REJECTED:
		return "push rejected";
	case GITSTORE_REFUSED:
		return "push refused";
	case GITSTORE_BUSY:
		return "workdir in use";
	default:
		return "local repository failed";
	}
}

/* libgit2's last error as text. */
static const char *gs_lasterr(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "unknown error";
}

/* The CA locations for https: the system bundle, plus git-ca-file when
 * set (mbedTLS and OpenSSL both take one file: the two are joined into
 * WORKDIR/git-ca.pem). libgit2 keeps this setting process-wide. */
static int gs_set_ca(gitstore *g, char *err, size_t cap)
{
	const char *file =
	    access(GITSTORE_SYSTEM_CA, R_OK) == 0 ? GITSTORE_SYSTEM_CA : NULL;
	char joined[4096];

	if (g->o.ca_file != NULL) {
		snprintf(joined, sizeof(joined), "%s/../git-ca.pem", g->o.dir);
		FILE *out = fopen(joined, "w");
		const char *parts[2] = {file, g->o.ca_file};
		if (out == NULL) {
			snprintf(err, cap, "cannot write %s", joined);
			return GITSTORE_LOCAL;
		}
		for (int i = 0; i < 2; i++) {
			FILE *in = parts[i] ? fopen(parts[i], "r") : NULL;
			char buf[8192];
			size_t n;
			if (parts[i] != NULL && in == NULL && i == 1) {
				fclose(out);
				snprintf(err, cap,
				         "git-ca-file %s: cannot read it",
				         g->o.ca_file);
				return GITSTORE_LOCAL;
			}
			while (in != NULL &&
			       (n = fread(buf, 1, sizeof(buf), in)) > 0)
				fwrite(buf, 1, n, out);
			if (in != NULL) {
				fputc('\n', out);
				fclose(in);
			}
		}
		if (fclose(out) != 0) {
			snprintf(err, cap, "cannot write %s", joined);
			return GITSTORE_LOCAL;
		}
		file = joined;
	}
	free(g->ca_bundle);
	g->ca_bundle = file ? strdup(file) : NULL;
	if (file != NULL &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL) < 0) {
		snprintf(err, cap, "CA bundle: %s", gs_lasterr());
		return GITSTORE_LOCAL;
	}
	return 0;
}

/* The branch HEAD of the local clone names, when it has commits. */
static char *gs_local_branch(git_repository *repo)
{
	git_reference *head = NULL;
	char *b = NULL;

	if (git_reference_lookup(&head, repo, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
		const char *t = git_reference_symbolic_target(head);
		git_oid id;
		if (strncmp(t, "refs/heads/", 11) == 0 &&
		    git_reference_name_to_id(&id, repo, t) == 0)
			b = strdup(t + 11);
	}
	git_reference_free(head);
	return b;
}

/* ---- owning the clone ------------------------------------------------- */

/* The clone's lock files (NAME.lock, as git and libgit2 write them) are
 * stale once dnsd holds the workdir's flock: only the owner writes the
 * clone, so a lock file there is what a kill -9 left behind, and it
 * would stop every commit, fetch or push until removed. */
static gitstore *gs_sweeping; /* nftw has no context argument */

static void gs_note(gitstore *g, const char *what, const char *path)
{
	size_t n = strlen(g->notes);
	snprintf(g->notes + n, sizeof(g->notes) - n, "%s%s %s", n ? "; " : "",
	         what, path);
}

static int gs_sweep_cb(const char *path, const struct stat *st, int flag,
                       struct FTW *ftw)
{
	size_t n = strlen(path);
	(void)st;
	(void)ftw;
	if (flag == FTW_F && n > 5 && strcmp(path + n - 5, ".lock") == 0 &&
	    unlink(path) == 0)
		gs_note(gs_sweeping, "removed the stale lock", path);
	return 0;
}

/* The ref lock a local-path push left in the remote when dnsd was
 * killed during it (libgit2 pushes to a path in-process): removed when
 * the marker written before that push is older than the lock. */
static void gs_sweep_remote(gitstore *g)
{
	char marker[4200], lock[4200];
	struct stat ms, ls;
	FILE *f;

	snprintf(marker, sizeof(marker), "%s/dnsd-push", g->o.dir);
	if ((f = fopen(marker, "re")) == NULL)
		return;
	bool got = fgets(lock, sizeof(lock), f) != NULL;
	fclose(f);
	lock[strcspn(lock, "\n")] = 0;
	if (got && stat(marker, &ms) == 0 && stat(lock, &ls) == 0 &&
	    ls.st_mtime >= ms.st_mtime && unlink(lock) == 0)
		gs_note(g, "removed the ref lock a killed push left in", lock);
	unlink(marker);
}

static int gs_own(gitstore *g, char *err, size_t cap)
{
	char path[4200];

	/* the directories down to the clone, as libgit2 would make them */
	snprintf(path, sizeof(path), "%s", g->o.dir);
	for (char *c = path + 1; *c; c++)
		if (*c == '/') {
			*c = 0;
			(void)mkdir(path, 0700);
			*c = '/';
		}
	if (mkdir(g->o.dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, cap, "workdir clone %s: %s", g->o.dir,
		         strerror(errno));
		return GITSTORE_LOCAL;
	}
	snprintf(path, sizeof(path), "%s/dnsd.lock", g->o.dir);
	g->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (g->lock_fd < 0) {
		snprintf(err, cap, "workdir clone %s: %s", path,
		         strerror(errno));
		return GITSTORE_LOCAL;
	}
	if (flock(g->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, cap,
		         "workdir clone %s is in use by another dnsd "
		         "(flock of %s)",
		         g->o.dir, path);
		return GITSTORE_BUSY;
	}
	gs_sweeping = g;
	snprintf(path, sizeof(path), "%s/refs", g->o.dir);
	(void)nftw(path, gs_sweep_cb, 16, FTW_PHYS);
	static const char *const top[] = {"HEAD", "packed-refs", "config",
	                                  "shallow", "FETCH_HEAD"};
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.lock", g->o.dir, top[i]);
		if (unlink(path) == 0)
			gs_note(g, "removed the stale lock", path);
	}
	gs_sweeping = NULL;
	gs_sweep_remote(g);
	return 0;
}

const char *gitstore_notes(const gitstore *g)
{
	return g->notes[0] ? g->notes : NULL;
}

int gitstore_open(const gitstore_opts *o, gitstore **out, char *err, size_t cap)
{
	gitstore *g = calloc(1, sizeof(*g));
	git_remote *remote = NULL;
	int rc = GITSTORE_LOCAL;

	*out = NULL;
	if (g == NULL) {
		snprintf(err, cap, "%s", "out of memory");
		return GITSTORE_LOCAL;
	}
	g->o.url = gs_dup(o->url);
	g->o.branch = gs_dup(o->branch);
	g->o.ssh_key = gs_dup(o->ssh_key);
	g->o.host_key = gs_dup(o->host_key);
	g->o.ca_file = gs_dup(o->ca_file);
	g->o.dir = gs_dup(o->dir);
	g->lock_fd = -1;
	if (o->owner && (rc = gs_own(g, err, cap)) < 0)
		goto fail;
	rc = GITSTORE_LOCAL;
	if (git_repository_open_bare(&g->repo, o->dir) != 0) {
		git_repository_init_options io;
		git_repository_init_options_init(
		    &io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		io.flags =
		    GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
		if (git_repository_init_ext(&g->repo, o->dir, &io) != 0) {
			snprintf(err, cap, "workdir clone %s: %s", o->dir,
			         gs_lasterr());
			goto fail;
		}
	}
	/* The remote's URL follows the config (it may have changed). */
	if (git_remote_lookup(&remote, g->repo, "origin") == 0) {
		if (strcmp(git_remote_url(remote), o->url) != 0 &&
		    git_remote_set_url(g->repo, "origin", o->url) != 0) {
			snprintf(err, cap, "workdir clone %s: %s", o->dir,
			         gs_lasterr());
			goto fail;
		}
	} else if (git_remote_create_with_fetchspec(&remote, g->repo, "origin",
	                                            o->url, "") != 0) {
		snprintf(err, cap, "workdir clone %s: %s", o->dir,
		         gs_lasterr());
		goto fail;
	}
	git_remote_free(remote);
	remote = NULL;
	g->branch = o->branch ? strdup(o->branch) : gs_local_branch(g->repo);
	if ((rc = gs_set_ca(g, err, cap)) < 0)
		goto fail;
	/* commits for UPDATE are durable before they are acknowledged */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	*out = g;
	return 0;
fail:
	git_remote_free(remote);
	gitstore_close(g);
	return rc;
}

void gitstore_close(gitstore *g)
{
	if (g == NULL)
		return;
	if (g->lock_fd >= 0)
		close(g->lock_fd); /* and the flock with it */
	git_repository_free(g->repo);
	free((char *)g->o.url);
	free((char *)g->o.branch);
	free((char *)g->o.ssh_key);
	free((char *)g->o.host_key);
	free((char *)g->o.ca_file);
	free((char *)g->o.dir);
	free(g->branch);
	free(g->ca_bundle);
	free(g);
}

git_repository *gitstore_repo(gitstore *g)
{
	return g->repo;
}

const char *gitstore_branch(const gitstore *g)
{
	return g->branch;
}

bool gitstore_head(gitstore *g, git_oid *out)
{
	char ref[512];

	if (g->branch == NULL)
		return false;
	snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
	return git_reference_name_to_id(out, g->repo, ref) == 0;
}

/* ---- connecting ------------------------------------------------------- */

static int gs_credentials(git_credential **out, const char *url,
                          const char *user, unsigned int allowed, void *payload)
{
	struct gs_conn *c = payload;
	const char *name = user && *user ? user : "git";

	/* Asked again: the server refused what we offered. Never loop. */
	if (c->cred_calls++ > 0 && !(allowed & GIT_CREDENTIAL_USERNAME)) {
		c->auth_failed = true;
		git_error_set_str(GIT_ERROR_SSH, "the server refused the key");
		return GIT_EAUTH;
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, name);
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && c->g->o.ssh_key != NULL)
		return git_credential_ssh_key_new(out, name, NULL,
		                                  c->g->o.ssh_key, NULL);
	c->auth_failed = true;
	git_error_set_str(GIT_ERROR_NET,
	                  "the server asks for credentials and none are "
	                  "configured (git-ssh-key)");
	return GIT_EAUTH;
}

/* The SHA256:... form of a host key hash, as ssh-keygen -l prints it. */
static void gs_fingerprint(const unsigned char *hash, char *out, size_t cap)
{
	char b64[64];
	if (dnsd_key_b64_encode(hash, 32, b64, sizeof(b64)) < 0) {
		snprintf(out, cap, "SHA256:?");
		return;
	}
	size_t n = strlen(b64);
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = 0;
	snprintf(out, cap, "SHA256:%s", b64);
}

/* libgit2 on mbedTLS matches the host only against the DNS names of a
 * certificate, so a remote given by IP address never validates there.
 * For such a host the certificate is checked here: issued for that IP
 * address and signed by a CA of the bundle (libgit2 hands over the
 * server's certificate alone, so an intermediate CA must be in the
 * bundle too). */
static bool gs_x509_ip_ok(const gitstore *g, const git_cert_x509 *xc,
                          const char *host)
{
	unsigned char bin[16];
	const unsigned char *der = xc->data;
	bool ok = false;

	if (g->ca_bundle == NULL || (inet_pton(AF_INET, host, bin) != 1 &&
	                             inet_pton(AF_INET6, host, bin) != 1))
		return false;
	X509 *x = d2i_X509(NULL, &der, (long)xc->len);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (x != NULL && store != NULL && ctx != NULL &&
	    X509_check_ip_asc(x, host, 0) == 1 &&
	    X509_STORE_load_locations(store, g->ca_bundle, NULL) == 1 &&
	    X509_STORE_CTX_init(ctx, store, x, NULL) == 1) {
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
		ok = X509_verify_cert(ctx) == 1;
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(x);
	return ok;
}

static int gs_certificate(git_cert *cert, int valid, const char *host,
                          void *payload)
{
	struct gs_conn *c = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
		if (!(hk->type & GIT_CERT_SSH_SHA256)) {
			c->hostkey_mismatch = true;
			snprintf(c->offered, sizeof(c->offered),
			         "(no SHA-256 hash)");
			return GIT_ECERTIFICATE;
		}
		gs_fingerprint(hk->hash_sha256, c->offered, sizeof(c->offered));
		if (c->g->o.host_key == NULL ||
		    strcmp(c->offered, c->g->o.host_key) != 0) {
			c->hostkey_mismatch = true;
			git_error_set_str(GIT_ERROR_SSH, "host key mismatch");
			return GIT_ECERTIFICATE;
		}
		return 0;
	}
	if (!valid && cert->cert_type == GIT_CERT_X509 &&
	    gs_x509_ip_ok(c->g, (const git_cert_x509 *)cert, host))
		return 0;
	if (!valid) {
		c->cert_untrusted = true;
		git_error_set_str(GIT_ERROR_SSL,
		                  "the server's certificate is not trusted");
		return GIT_ECERTIFICATE;
	}
	return 0;
}

static void gs_callbacks(git_remote_callbacks *cb, struct gs_conn *c)
{
	cb->credentials = gs_credentials;
	cb->certificate_check = gs_certificate;
	cb->payload = c;
}

/* The category of a failed connection, with its reason in err. */
static int gs_classify(const struct gs_conn *c, int code, char *err, size_t cap)
{
	const char *url = c->g->o.url;

	if (c->hostkey_mismatch) {
		snprintf(err, cap,
		         "git-remote %s: host key mismatch: the server offers "
		         "%s, git-ssh-host-key pins %s",
		         url, c->offered,
		         c->g->o.host_key ? c->g->o.host_key : "nothing");
		return GITSTORE_HOSTKEY;
	}
	if (c->auth_failed || code == GIT_EAUTH) {
		snprintf(err, cap, "git-remote %s: authentication refused (%s)",
		         url, gs_lasterr());
		return GITSTORE_AUTH;
	}
	if (c->cert_untrusted || code == GIT_ECERTIFICATE) {
		snprintf(err, cap,
		         "git-remote %s: certificate not trusted (%s)", url,
		         gs_lasterr());
		return GITSTORE_CERT;
	}
	/* libgit2 says "unsupported URL protocol" of a local path that is
	 * not there */
	const char *path = strncmp(url, "file://", 7) == 0 ? url + 7
	                   : strstr(url, "://") == NULL    ? url
	                                                   : NULL;
	struct stat st;
	if (path != NULL && stat(path, &st) != 0)
		snprintf(err, cap, "git-remote %s: unreachable (%s: %s)", url,
		         path, strerror(errno));
	else
		snprintf(err, cap, "git-remote %s: unreachable (%s)", url,
		         gs_lasterr());
	return GITSTORE_UNREACHABLE;
}

/* Connects origin for fetching; *remote is set when 0 is returned. */
static int gs_connect(gitstore *g, struct gs_conn *c, git_remote **remote,
                      git_remote_callbacks *cb, char *err, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	gs_callbacks(cb, c);
	if (git_remote_lookup(remote, g->repo, "origin") != 0) {
		snprintf(err, cap, "workdir clone: %s", gs_lasterr());
		return GITSTORE_LOCAL;
	}
	int r =
	    git_remote_connect(*remote, GIT_DIRECTION_FETCH, cb, NULL, NULL);
	if (r != 0) {
		int e = gs_classify(c, r, err, cap);
		git_remote_free(*remote);
		*remote = NULL;
		return e;
	}
	return 0;
}

/* The branch to follow, once connected: the configured one, or the
 * remote's HEAD. */
static int gs_resolve_branch(gitstore *g, git_remote *remote, char *err,
                             size_t cap)
{
	git_buf head = {0};

	if (g->o.branch != NULL)
		return 0;
	if (git_remote_default_branch(&head, remote) != 0 ||
	    strncmp(head.ptr, "refs/heads/", 11) != 0) {
		git_buf_dispose(&head);
		if (g->branch != NULL)
			return 0; /* keep following what we had */
		snprintf(err, cap,
		         "git-remote %s: branch missing (the remote has no "
		         "HEAD branch; set git-branch)",
		         g->o.url);
		return GITSTORE_BRANCH;
	}
	if (g->branch == NULL || strcmp(g->branch, head.ptr + 11) != 0) {
		free(g->branch);
		g->branch = strdup(head.ptr + 11);
	}
	git_buf_dispose(&head);
	return 0;
}

/* Whether the connected remote has refs/heads/BRANCH. */
static bool gs_remote_has(git_remote *remote, const char *branch)
{
	const git_remote_head **heads;
	size_t n;
	char ref[512];

	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	if (git_remote_ls(&heads, &n, remote) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, ref) == 0)
			return true;
	return false;
}

int gitstore_probe(gitstore *g, char *err, size_t cap)
{
	struct gs_conn c;
	git_remote_callbacks cb;
	git_remote *remote = NULL;
	int r = gs_connect(g, &c, &remote, &cb, err, cap);

	if (r < 0)
		return r;
	r = gs_resolve_branch(g, remote, err, cap);
	if (r == 0 && !gs_remote_has(remote, g->branch)) {
		snprintf(err, cap, "git-remote %s: branch %s missing", g->o.url,
		         g->branch);
		r = GITSTORE_BRANCH;
	}
	git_remote_disconnect(remote);
	git_remote_free(remote);
	return r;
}

/* Moves the local branch to the fetched commit when that is a
 * fast-forward; never moves it back or sideways. */
static int gs_advance(gitstore *g, const git_oid *fetched,
                      gitstore_pull_result *res, char *err, size_t cap)
{
	char ref[512];
	git_reference *local = NULL, *moved = NULL;

	snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
	if (git_reference_lookup(&local, g->repo, ref) != 0) {
		if (git_reference_create(&moved, g->repo, ref, fetched, 1,
		                         "dnsd: clone") != 0)
			goto fail;
		git_oid_cpy(&res->new, fetched);
	} else {
		git_oid cur;
		git_oid_cpy(&cur, git_reference_target(local));
		git_oid_cpy(&res->old, &cur);
		git_oid_cpy(&res->new, &cur);
		res->had_old = true;
		if (git_oid_equal(&cur, fetched)) {
			/* up to date */
		} else if (git_graph_descendant_of(g->repo, fetched, &cur) ==
		           1) {
			if (git_reference_set_target(&moved, local, fetched,
			                             "dnsd: fast-forward") != 0)
				goto fail;
			git_oid_cpy(&res->new, fetched);
		} else if (git_graph_descendant_of(g->repo, &cur, fetched) ==
		           1) {
			res->ahead = true;
		} else {
			res->diverged = true;
		}
	}
	git_reference_free(moved);
	git_reference_free(local);
	if (git_repository_set_head(g->repo, ref) != 0)
		goto fail_nofree;
	return 0;
fail:
	git_reference_free(moved);
	git_reference_free(local);
fail_nofree:
	snprintf(err, cap, "workdir clone: %s", gs_lasterr());
	return GITSTORE_LOCAL;
}

int gitstore_pull(gitstore *g, gitstore_pull_result *res, char *err, size_t cap)
{
	struct gs_conn c;
	git_remote_callbacks cb;
	git_remote *remote = NULL;
	git_fetch_options fo;
	char spec[1200], track[512];
	git_oid fetched;

	memset(res, 0, sizeof(*res));
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	int r = gs_connect(g, &c, &remote, &cb, err, cap);
	if (r < 0)
		return r;
	if ((r = gs_resolve_branch(g, remote, err, cap)) < 0)
		goto out;
	if (!gs_remote_has(remote, g->branch)) {
		snprintf(err, cap, "git-remote %s: branch %s missing", g->o.url,
		         g->branch);
		r = GITSTORE_BRANCH;
		goto out;
	}
	snprintf(spec, sizeof(spec), "+refs/heads/%s:refs/remotes/origin/%s",
	         g->branch, g->branch);
	char *specs[1] = {spec};
	git_strarray refspecs = {specs, 1};
	fo.callbacks = cb;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	int d = git_remote_download(remote, &refspecs, &fo);
	if (d == 0)
		d = git_remote_update_tips(remote, &cb, 0,
		                           GIT_REMOTE_DOWNLOAD_TAGS_NONE,
		                           "dnsd: fetch");
	if (d != 0) {
		r = gs_classify(&c, d, err, cap);
		goto out;
	}
	snprintf(track, sizeof(track), "refs/remotes/origin/%s", g->branch);
	if (git_reference_name_to_id(&fetched, g->repo, track) != 0) {
		snprintf(err, cap, "git-remote %s: branch %s missing", g->o.url,
		         g->branch);
		r = GITSTORE_BRANCH;
		goto out;
	}
	git_oid_cpy(&res->remote, &fetched);
	r = gs_advance(g, &fetched, res, err, cap);
out:
	git_remote_disconnect(remote);
	git_remote_free(remote);
	return r;
}

/* ---- history ---------------------------------------------------------- */

int gitstore_file_versions(gitstore *g, const char *path, unsigned max,
                           int (*fn)(void *ctx, const git_oid *commit,
                                     const git_oid *blob),
                           void *ctx)
{
	git_revwalk *walk = NULL;
	git_oid head, id, last;
	bool have_last = false;
	unsigned calls = 0;

	if (!gitstore_head(g, &head))
		return 0;
	if (git_revwalk_new(&walk, g->repo) != 0 ||
	    git_revwalk_push(walk, &head) != 0) {
		git_revwalk_free(walk);
		return GITSTORE_LOCAL;
	}
	git_revwalk_simplify_first_parent(walk);
	while (calls < max && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		git_tree_entry *e = NULL;
		int found = git_commit_lookup(&c, g->repo, &id) == 0 &&
		            git_commit_tree(&t, c) == 0 &&
		            git_tree_entry_bypath(&e, t, path) == 0;
		git_oid blob;
		if (found)
			git_oid_cpy(&blob, git_tree_entry_id(e));
		git_tree_entry_free(e);
		git_tree_free(t);
		git_commit_free(c);
		if (!found)
			break; /* the file did not exist before */
		if (have_last && git_oid_equal(&blob, &last))
			continue;
		git_oid_cpy(&last, &blob);
		have_last = true;
		calls++;
		if (fn(ctx, &id, &blob) != 0)
			break;
	}
	git_revwalk_free(walk);
	return 0;
}

/* ---- committing and pushing -------------------------------------------- */

/* "NAME <EMAIL>" into a signature of now. */
static int gs_signature(const char *author, git_signature **sig)
{
	const char *lt = author ? strchr(author, '<') : NULL;
	const char *gt = lt ? strchr(lt, '>') : NULL;
	char name[256], email[256];

	if (lt == NULL || gt == NULL)
		return git_signature_now(sig, "dnsd", "dnsd@localhost");
	size_t nl = (size_t)(lt - author);
	while (nl > 0 && author[nl - 1] == ' ')
		nl--;
	snprintf(name, sizeof(name), "%.*s", (int)nl, author);
	snprintf(email, sizeof(email), "%.*s", (int)(gt - lt - 1), lt + 1);
	return git_signature_now(sig, name[0] ? name : "dnsd", email);
}

static void gs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* The local branch's ref directory and the repository's, after a ref
 * moved: the rename that moved it is durable. */
static void gs_fsync_refs(gitstore *g)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/refs/heads",
	         git_repository_path(g->repo));
	gs_fsync_dir(dir);
	if (strchr(g->branch, '/') != NULL) {
		/* refs/heads/a/b: the directory that holds b */
		snprintf(dir, sizeof(dir), "%s/refs/heads/%s",
		         git_repository_path(g->repo), g->branch);
		*strrchr(dir, '/') = 0;
		gs_fsync_dir(dir);
	}
	gs_fsync_dir(git_repository_path(g->repo));
}

/* Moves the local branch from *from to *to, only if it is still at
 * *from (one writer, and never over a commit it has not seen). */
static int gs_move_branch(gitstore *g, const git_oid *to, const git_oid *from,
                          const char *why)
{
	char ref[512];
	git_reference *moved = NULL;

	snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
	int r = git_reference_create_matching(&moved, g->repo, ref, to, 1, from,
	                                      why);
	git_reference_free(moved);
	if (r != 0)
		return GITSTORE_LOCAL;
	gs_fsync_refs(g);
	return 0;
}

int gitstore_commit(gitstore *g, const git_oid *onto,
                    const gitstore_file *files, size_t n, const char *author,
                    const char *message, git_oid *out, char *err, size_t cap)
{
	git_oid head, tree_id;
	git_commit *parent = NULL;
	git_tree *tree = NULL, *newtree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	int rc = GITSTORE_LOCAL;

	if (!gitstore_head(g, &head)) {
		snprintf(err, cap, "git: no commit to build on");
		return GITSTORE_LOCAL;
	}
	if (git_commit_lookup(&parent, g->repo, onto ? onto : &head) != 0 ||
	    git_commit_tree(&tree, parent) != 0 ||
	    git_treebuilder_new(&tb, g->repo, tree) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		git_oid blob;
		if (git_blob_create_from_buffer(&blob, g->repo, files[i].text,
		                                files[i].len) != 0 ||
		    git_treebuilder_insert(NULL, tb, files[i].name, &blob,
		                           GIT_FILEMODE_BLOB) != 0)
			goto out;
	}
	if (git_treebuilder_write(&tree_id, tb) != 0 ||
	    git_tree_lookup(&newtree, g->repo, &tree_id) != 0 ||
	    gs_signature(author, &sig) != 0)
		goto out;
	const git_commit *parents[1] = {parent};
	/* the objects first (fsync'd by libgit2), then the ref, only if it
	 * is still at head */
	if (git_commit_create(out, g->repo, NULL, sig, sig, NULL, message,
	                      newtree, 1, parents) != 0 ||
	    gs_move_branch(g, out, &head, "dnsd: UPDATE") < 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		snprintf(err, cap, "git: commit: %s", gs_lasterr());
	git_signature_free(sig);
	git_tree_free(newtree);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}

int gitstore_reset(gitstore *g, const git_oid *to, char *err, size_t cap)
{
	git_oid head;

	if (!gitstore_head(g, &head) ||
	    gs_move_branch(g, to, &head, "dnsd: replayed") < 0) {
		snprintf(err, cap, "git: reset: %s", gs_lasterr());
		return GITSTORE_LOCAL;
	}
	return 0;
}

int gitstore_pending(gitstore *g,
                     int (*fn)(void *ctx, const git_oid *commit,
                               const char *message),
                     void *ctx)
{
	git_revwalk *walk = NULL;
	git_oid head, remote, id;
	char ref[512];
	int rc = GITSTORE_LOCAL;

	if (!gitstore_head(g, &head))
		return 0;
	snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", g->branch);
	bool have_remote = git_reference_name_to_id(&remote, g->repo, ref) == 0;
	if (git_revwalk_new(&walk, g->repo) != 0 ||
	    git_revwalk_sorting(walk,
	                        GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) != 0 ||
	    git_revwalk_push(walk, &head) != 0 ||
	    (have_remote && git_revwalk_hide(walk, &remote) != 0))
		goto out;
	git_revwalk_simplify_first_parent(walk);
	int r;
	while ((r = git_revwalk_next(&id, walk)) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, g->repo, &id) != 0)
			goto out;
		int stop = fn(ctx, &id, git_commit_message(c));
		git_commit_free(c);
		if (stop)
			break;
	}
	rc = r == 0 || r == GIT_ITEROVER ? 0 : GITSTORE_LOCAL;
out:
	git_revwalk_free(walk);
	return rc;
}

int gitstore_keep(gitstore *g, const char *name, const git_oid *commit,
                  char *err, size_t cap)
{
	char ref[600];
	git_reference *r = NULL;

	snprintf(ref, sizeof(ref), "refs/heads/%s", name);
	if (git_reference_create(&r, g->repo, ref, commit, 0,
	                         "dnsd: conflict") != 0) {
		snprintf(err, cap, "git: branch %s: %s", name, gs_lasterr());
		return GITSTORE_LOCAL;
	}
	git_reference_free(r);
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/%s", git_repository_path(g->repo), ref);
	*strrchr(dir, '/') = 0;
	gs_fsync_dir(dir);
	gs_fsync_refs(g);
	return 0;
}

size_t gitstore_ahead(gitstore *g)
{
	git_oid local, remote;
	char ref[512];
	size_t ahead = 0, behind = 0;

	if (!gitstore_head(g, &local))
		return 0;
	snprintf(ref, sizeof(ref), "refs/remotes/origin/%s", g->branch);
	if (git_reference_name_to_id(&remote, g->repo, ref) != 0 ||
	    git_graph_ahead_behind(&ahead, &behind, g->repo, &local, &remote) !=
	        0)
		return 0;
	return ahead;
}

/* A ref the remote refused (non-fast-forward). */
static int gs_push_ref(const char *refname, const char *status, void *data)
{
	struct gs_conn *c = data;
	if (status != NULL && !c->push_refused) {
		c->push_refused = true;
		snprintf(c->push_status, sizeof(c->push_status), "%s: %s",
		         refname, status);
	}
	return 0;
}

/* The local branches under refs/heads/dnsd/ (conflicts) to push. */
struct gs_kept {
	char **names;
	size_t n;
};

static int gs_kept_cb(const char *name, void *payload)
{
	struct gs_kept *k = payload;
	char **a = realloc(k->names, (k->n + 1) * sizeof(*a));
	if (a == NULL)
		return -1;
	k->names = a;
	if ((a[k->n] = strdup(name)) == NULL)
		return -1;
	k->n++;
	return 0;
}

/* Before a push to a path (libgit2 writes the remote's ref lock
 * in-process): the marker naming that lock, for gs_sweep_remote after a
 * kill -9 during the push. */
static bool gs_mark_local_push(gitstore *g, char *marker, size_t cap)
{
	const char *url = g->o.url, *path = NULL;
	char lock[4200], refs[4200];
	struct stat st;

	if (strncmp(url, "file://", 7) == 0)
		path = url + 7;
	else if (strstr(url, "://") == NULL &&
	         (url[0] == '/' || url[0] == '.' || strchr(url, ':') == NULL))
		path = url;
	if (path == NULL || g->lock_fd < 0)
		return false;
	snprintf(refs, sizeof(refs), "%s/refs", path);
	if (stat(refs, &st) == 0)
		snprintf(lock, sizeof(lock), "%s/refs/heads/%s.lock", path,
		         g->branch);
	else
		snprintf(lock, sizeof(lock), "%s/.git/refs/heads/%s.lock", path,
		         g->branch);
	snprintf(marker, cap, "%s/dnsd-push", g->o.dir);
	FILE *f = fopen(marker, "we");
	if (f == NULL)
		return false;
	fprintf(f, "%s\n", lock);
	fclose(f);
	return true;
}

int gitstore_push(gitstore *g, char *err, size_t cap)
{
	struct gs_conn c;
	git_remote *remote = NULL;
	git_push_options po;
	char spec[1200];
	struct gs_kept kept = {0};

	memset(&c, 0, sizeof(c));
	c.g = g;
	if (git_remote_lookup(&remote, g->repo, "origin") != 0) {
		snprintf(err, cap, "workdir clone: %s", gs_lasterr());
		return GITSTORE_LOCAL;
	}
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	gs_callbacks(&po.callbacks, &c);
	po.callbacks.push_update_reference = gs_push_ref;
	snprintf(spec, sizeof(spec), "refs/heads/%s:refs/heads/%s", g->branch,
	         g->branch);
	(void)git_reference_foreach_name(g->repo, gs_kept_cb, &kept);
	char **specs = calloc(kept.n + 1, sizeof(*specs));
	size_t nspecs = 0;
	int rc = 0;
	if (specs == NULL) {
		snprintf(err, cap, "out of memory");
		rc = GITSTORE_LOCAL;
		goto out;
	}
	specs[nspecs++] = spec;
	for (size_t i = 0; i < kept.n; i++) {
		const char *n = kept.names[i];
		if (strncmp(n, "refs/heads/dnsd/", 16) != 0)
			continue;
		char *sp = malloc(2 * strlen(n) + 2);
		if (sp == NULL)
			continue;
		sprintf(sp, "%s:%s", n, n);
		specs[nspecs++] = sp;
	}
	git_strarray refspecs = {specs, nspecs};
	char marker[4200];
	bool marked = gs_mark_local_push(g, marker, sizeof(marker));
	int r = git_remote_push(remote, &refspecs, &po);
	if (marked)
		unlink(marker);
	if (r != 0 || c.push_refused) {
		/* the remote's status of a ref, or the local transport's
		 * error, in their own words */
		const char *m = c.push_refused ? c.push_status : gs_lasterr();
		if (strstr(m, "fast-forward") != NULL ||
		    strstr(m, "fastforward") != NULL ||
		    strstr(m, "fetch first") != NULL ||
		    strstr(m, "not present locally") != NULL) {
			snprintf(err, cap,
			         "git-remote %s: push rejected, the remote has "
			         "moved (%s)",
			         g->o.url, m);
			rc = GITSTORE_REJECTED;
		} else if (c.push_refused) {
			snprintf(err, cap, "git-remote %s: push refused (%s)",
			         g->o.url, m);
			rc = GITSTORE_REFUSED;
		} else {
			rc = gs_classify(&c, r, err, cap);
		}
	} else {
		/* the remote-tracking ref follows what the remote now has */
		git_oid head;
		char track[512];
		snprintf(track, sizeof(track), "refs/remotes/origin/%s",
		         g->branch);
		git_reference *moved = NULL;
		if (gitstore_head(g, &head))
			(void)git_reference_create(&moved, g->repo, track,
			                           &head, 1, "dnsd: push");
		git_reference_free(moved);
		/* the conflict branches are the remote's now */
		for (size_t i = 1; i < nspecs; i++) {
			*strchr(specs[i], ':') = 0;
			git_reference *k = NULL;
			if (git_reference_lookup(&k, g->repo, specs[i]) == 0)
				(void)git_reference_delete(k);
			git_reference_free(k);
		}
	}
out:
	for (size_t i = 1; i < nspecs; i++)
		free(specs[i]);
	free(specs);
	for (size_t i = 0; i < kept.n; i++)
		free(kept.names[i]);
	free(kept.names);
	git_remote_free(remote);
	return rc;
}

/* ---- reading a tree --------------------------------------------------- */

/* Resolves "." and ".." in a path inside the tree; false when it would
 * leave the tree or is absolute. */
static bool gittree_path(const char *path, char *out, size_t cap)
{
	size_t n = 0;

	if (path[0] == '/')
		return false;
	while (*path) {
		const char *end = strchr(path, '/');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		if (len == 2 && path[0] == '.' && path[1] == '.') {
			if (n == 0)
				return false;
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the separator */
		} else if (len > 0 && !(len == 1 && path[0] == '.')) {
			if (n + len + 2 > cap)
				return false;
			if (n)
				out[n++] = '/';
			memcpy(out + n, path, len);
			n += len;
		}
		path += len + (end ? 1 : 0);
	}
	out[n] = 0;
	return n > 0;
}

int gittree_read(void *ctx, const char *path, char **buf, size_t *len)
{
	gittree_src *g = ctx;
	char rel[4096];
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc = DNSD_ENOTFOUND;

	if (!gittree_path(path, rel, sizeof(rel)))
		return DNSD_EDENIED;
	if (git_tree_entry_bypath(&e, g->tree, rel) != 0)
		return DNSD_ENOTFOUND;
	/* Regular files only: a symlink's blob is its target's name. */
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
		goto out;
	rc = DNSD_EIO;
	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(e)) != 0)
		goto out;
	size_t size = (size_t)git_blob_rawsize(blob);
	*buf = malloc(size + 1);
	if (!*buf) {
		rc = DNSD_ENOMEM;
		goto out;
	}
	memcpy(*buf, git_blob_rawcontent(blob), size);
	(*buf)[size] = 0;
	*len = size;
	if (g->on_read != NULL)
		g->on_read(g->on_read_ctx, rel, git_tree_entry_id(e));
	rc = 0;
out:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}
