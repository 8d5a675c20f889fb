/* dnsd's clone of its git remote: a bare repository in WORKDIR/git that
 * dnsd owns, with one local branch (git-branch, or the remote's HEAD
 * branch) that HEAD points at.
 *
 * A pull is a fetch of that branch into refs/remotes/origin/BRANCH and
 * then, on the local branch, a fast-forward when the remote is ahead.
 * A local branch ahead of the remote (commits not pushed yet) or beside
 * it (both moved) is never moved back: a pull never throws a local
 * commit away: primary.c replays the UPDATEs of such commits on the
 * remote's branch.
 *
 * Transports are libgit2's: a local path, file://, https:// (the
 * system's CA bundle plus git-ca-file) and ssh:// through libssh2 with
 * git-ssh-key and the server's host key pinned by git-ssh-host-key
 * (SHA256:... as `ssh-keygen -l -E sha256` prints it). No prompt, no
 * agent, no ~/.ssh.
 *
 * Every function here blocks on the network or the disk: call them off
 * the main loop and off the query workers, from one thread at a time. */
#ifndef DNSD_DAEMON_GITSTORE_H
#define DNSD_DAEMON_GITSTORE_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct gitstore gitstore;

/* What went wrong, for the log and `dnsd -t`. */
enum gitstore_err {
	GITSTORE_OK = 0,
	GITSTORE_UNREACHABLE = -1, /* no connection, no repository there */
	GITSTORE_AUTH = -2,        /* the server refused our credentials */
	GITSTORE_HOSTKEY = -3,     /* the ssh host key is not the pinned one */
	GITSTORE_CERT = -4,        /* the https certificate is not trusted */
	GITSTORE_BRANCH = -5,      /* the branch is not on the remote */
	GITSTORE_LOCAL = -6,       /* the local repository failed */
	GITSTORE_REJECTED = -7,    /* push: the remote moved meanwhile */
	GITSTORE_REFUSED = -8,     /* push: the remote refused it otherwise */
	GITSTORE_BUSY = -9,        /* the clone is another dnsd's */
};

typedef struct gitstore_opts {
	const char *url;
	const char *branch;   /* NULL: the remote's HEAD */
	const char *ssh_key;  /* private key file, or NULL */
	const char *host_key; /* "SHA256:...", or NULL */
	const char *ca_file;  /* extra CA bundle, or NULL */
	const char *dir;      /* the bare repository (WORKDIR/git) */
	bool owner;           /* the daemon: takes the clone's flock (held
	                         until close; GITSTORE_BUSY when another
	                         process has it) and removes the lock files
	                         a kill -9 left in it, and the ref lock a
	                         killed push to a path left in the remote */
} gitstore_opts;

/* Opens the clone in o->dir, or makes an empty one (no commit yet).
 * 0, or GITSTORE_LOCAL with the reason in err. Copies o. */
int gitstore_open(const gitstore_opts *o, gitstore **out, char *err,
                  size_t cap);
void gitstore_close(gitstore *g);
/* What the owner's open cleaned up ("removed the stale lock PATH; ..."),
 * for the log; NULL when nothing. */
const char *gitstore_notes(const gitstore *g);

git_repository *gitstore_repo(gitstore *g);
/* The branch, once known (from the config, the local clone or the
 * remote's HEAD); NULL before the first successful fetch of a new
 * clone without git-branch. */
const char *gitstore_branch(const gitstore *g);
/* The commit of the local branch; false when there is none yet. */
bool gitstore_head(gitstore *g, git_oid *out);

/* How a pull went. */
typedef struct gitstore_pull_result {
	git_oid old, new; /* the local branch before and after */
	bool had_old;     /* there was a local commit before */
	bool diverged;    /* local and remote both moved: kept local */
	bool ahead;       /* local has commits the remote lacks */
	git_oid remote;   /* the remote's branch as fetched */
} gitstore_pull_result;

/* Fetches the branch and fast-forwards the local branch. 0 or a
 * GITSTORE_* error with a one-line reason in err (naming no secret). */
int gitstore_pull(gitstore *g, gitstore_pull_result *res, char *err,
                  size_t cap);

/* Connects and lists the remote's refs only (dnsd -t): 0 or a
 * GITSTORE_* error with the reason in err. */
int gitstore_probe(gitstore *g, char *err, size_t cap);

/* The versions of the top-level file `path` in the first-parent
 * history of the local branch, newest first: fn(ctx, commit, blob) for
 * the head's version and then for every older commit whose blob of path
 * differs from the one reported before it, until the file did not exist,
 * max calls were made, or fn returns non-zero. 0 or GITSTORE_LOCAL. */
int gitstore_file_versions(gitstore *g, const char *path, unsigned max,
                           int (*fn)(void *ctx, const git_oid *commit,
                                     const git_oid *blob),
                           void *ctx);

/* A top-level file's new contents for gitstore_commit. */
typedef struct gitstore_file {
	const char *name;
	const char *text;
	size_t len;
} gitstore_file;

/* Commits the n files (their new contents; other files unchanged) on
 * onto, or on the head of the local branch when onto is NULL, by author
 * ("NAME <EMAIL>") with message, and moves the local branch from its head
 * to the new commit. Durable when it returns: objects, ref and their
 * directories fsync'd (GIT_OPT_ENABLE_FSYNC_GITDIR is set by
 * gitstore_open). The new commit in *out. 0 or GITSTORE_LOCAL with the
 * reason in err. */
int gitstore_commit(gitstore *g, const git_oid *onto,
                    const gitstore_file *files, size_t n, const char *author,
                    const char *message, git_oid *out, char *err, size_t cap);

/* Moves the local branch from its head to the commit to (the local
 * commits after their replay on the remote's: all conflicted), durably.
 * 0 or GITSTORE_LOCAL. */
int gitstore_reset(gitstore *g, const git_oid *to, char *err, size_t cap);

/* The commits of the local branch that the remote's branch (as last
 * fetched) does not have, oldest first, along first parents:
 * fn(ctx, commit, message) until it returns non-zero. 0 or
 * GITSTORE_LOCAL. */
int gitstore_pending(gitstore *g,
                     int (*fn)(void *ctx, const git_oid *commit,
                               const char *message),
                     void *ctx);

/* Makes the local branch refs/heads/NAME at commit, durably (a conflict
 * branch, "dnsd/conflict-..."); the next gitstore_push pushes every
 * branch under dnsd/ and, once the remote has them, drops them here.
 * 0 or GITSTORE_LOCAL (also when NAME exists). */
int gitstore_keep(gitstore *g, const char *name, const git_oid *commit,
                  char *err, size_t cap);

/* Commits of the local branch the remote's branch (as last fetched)
 * does not have: what waits to be pushed. */
size_t gitstore_ahead(gitstore *g);

/* Pushes the local branch to the remote's branch, and the branches
 * under dnsd/ that gitstore_keep made. 0, GITSTORE_REJECTED
 * when the remote has moved (a fetch and a replay are needed), or
 * another GITSTORE_* error, with the reason in err. */
int gitstore_push(gitstore *g, char *err, size_t cap);

/* "unreachable", "authentication refused", ... */
const char *gitstore_err_name(int err);

/* dnsd_zf_read_fn over the tree of a commit: the top file and every
 * $INCLUDE come from that tree (paths relative to its top, never
 * leaving it; regular files only). blob_ids, when set, records each
 * file read and its blob id (for change detection). */
typedef struct gittree_src {
	git_repository *repo;
	git_tree *tree;
	void (*on_read)(void *ctx, const char *path, const git_oid *blob);
	void *on_read_ctx;
} gittree_src;
int gittree_read(void *ctx, const char *path, char **buf, size_t *len);

#endif
