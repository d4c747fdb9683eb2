/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * output.c: the one way the migstream command writes a path.
 *
 * A user's file is never destroyed: a regular-file output is written to a
 * new temporary file beside it and renamed over it only when the command
 * succeeded; on any failure only the temporary file goes.  Something that
 * is not a regular file (a device such as /dev/null, a FIFO, a socket,
 * standard output) is written in place, never truncated nor removed.  An
 * output that is the input itself is refused before anything is opened for
 * writing.  Temporary files are removed on SIGINT, SIGTERM and SIGHUP too.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common.h"

/* ------------------------------------------------- temporary file registry */

/* Names the signal handler removes.  Fixed storage: the handler may only
 * read it (async-signal-safe), never allocate. */
#define TMP_SLOTS 4
static char tmp_names[TMP_SLOTS][PATH_MAX];
static volatile sig_atomic_t tmp_used[TMP_SLOTS];
static const int cleanup_sigs[] = { SIGINT, SIGTERM, SIGHUP };

static void cleanup_handler(int sig)
{
	int e = errno;

	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i])
			unlink(tmp_names[i]);
	/* Die of the same signal, so the exit status says so. */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = e;
}

static void block_cleanup_sigs(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof cleanup_sigs / sizeof cleanup_sigs[0]; i++)
		sigaddset(&set, cleanup_sigs[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void install_handler(void)
{
	static int installed;
	struct sigaction sa;

	if (installed)
		return;
	installed = 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cleanup_handler;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof cleanup_sigs / sizeof cleanup_sigs[0]; i++)
		sigaddset(&sa.sa_mask, cleanup_sigs[i]);
	for (size_t i = 0; i < sizeof cleanup_sigs / sizeof cleanup_sigs[0]; i++) {
		struct sigaction old;
		/* A signal the caller ignores (nohup) stays ignored. */
		if (sigaction(cleanup_sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(cleanup_sigs[i], &sa, NULL);
	}
}

/* Create a new file name (O_EXCL) from template, whose last six characters
 * are replaced, and register it for removal on a signal: the fd, or -1 with
 * errno set.  Signals are held from creation to registration, so no file
 * escapes. */
int tmpfile_create(char *name, mode_t mode)
{
	static unsigned long seed;
	size_t n = strlen(name);
	sigset_t old;
	int fd = -1, slot = -1;

	if (n < 6 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	install_handler();
	block_cleanup_sigs(&old);
	for (int i = 0; i < TMP_SLOTS; i++)
		if (!tmp_used[i]) {
			slot = i;
			break;
		}
	if (slot < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		errno = EMFILE;
		return -1;
	}
	if (!seed)
		seed = (unsigned long)getpid() * 2654435761u ^ (unsigned long)time(NULL);
	for (int tries = 0; tries < 100; tries++) {
		static const char alnum[] =
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
		for (int k = 0; k < 6; k++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			name[n - 6 + k] = alnum[(seed >> 33) % (sizeof alnum - 1)];
		}
		do
			fd = open(name, O_RDWR | O_CREAT | O_EXCL, mode);
		while (fd < 0 && errno == EINTR);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd >= 0) {
		memcpy(tmp_names[slot], name, n + 1);
		tmp_used[slot] = 1;
	}
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return fd;
}

/* Remove name (if unlink_it) and forget it. */
void tmpfile_release(const char *name, int unlink_it)
{
	sigset_t old;

	if (!name)
		return;
	block_cleanup_sigs(&old);
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i] && strcmp(tmp_names[i], name) == 0) {
			if (unlink_it)
				unlink(name);
			tmp_used[i] = 0;
			break;
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ------------------------------------------------------------------ outputs */

int output_open(struct output *o, const char *path, const char *in_path, int sync)
{
	struct stat in_st, out_st;
	int have_in, have_out;

	memset(o, 0, sizeof *o);
	o->path = path;
	o->fd = -1;
	o->sync = sync;
	o->stdout_ = strcmp(path, "-") == 0;

	/* The input first: a missing input never touches OUT. */
	if (in_path && strcmp(in_path, "-") != 0) {
		if (stat(in_path, &in_st) != 0) {
			fprintf(stderr, "%s: %s: %s\n", progname, in_path, strerror(errno));
			return EXIT_USAGE;
		}
		have_in = 1;
	} else {
		have_in = in_path && fstat(0, &in_st) == 0;
	}
	have_out = o->stdout_ ? fstat(1, &out_st) == 0 : stat(path, &out_st) == 0;
	if (have_in && have_out && in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino &&
	    S_ISREG(in_st.st_mode)) {
		fprintf(stderr, "%s: %s and %s are the same file; refusing to overwrite the input\n",
		        progname, in_path && strcmp(in_path, "-") ? in_path : "standard input",
		        o->stdout_ ? "standard output" : path);
		return EXIT_USAGE;
	}

	if (o->stdout_) {
		o->fd = 1;
		return 0;
	}
	if (have_out && !S_ISREG(out_st.st_mode)) {
		/* A device, FIFO or socket: written in place, never created,
		 * truncated nor removed. */
		if (S_ISDIR(out_st.st_mode)) {
			fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(EISDIR));
			return EXIT_USAGE;
		}
		do
			o->fd = open(path, O_WRONLY | O_NOCTTY);
		while (o->fd < 0 && errno == EINTR);
		if (o->fd < 0) {
			fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
			return EXIT_USAGE;
		}
		return 0;
	}

	/* A regular file, existing or not: a new temporary file beside the
	 * file itself (through a symlink: beside its target). */
	char *final = have_out ? realpath(path, NULL) : strdup(path);
	if (!final) {
		fprintf(stderr, "%s: %s: %s\n", progname, path, strerror(errno));
		return EXIT_USAGE;
	}
	const char *slash = strrchr(final, '/');
	int dirlen = slash ? (int)(slash - final) + 1 : 0;
	size_t n = strlen(final) + 16;
	char *tmp = malloc(n);
	if (!tmp) {
		free(final);
		fprintf(stderr, "%s: out of memory\n", progname);
		return EXIT_USAGE;
	}
	snprintf(tmp, n, "%.*s.%s.XXXXXX", dirlen, final, final + dirlen);
	/* 0666 and the umask, as a new file; a replacement keeps the
	 * permission bits (and, where allowed, the owner) of what it
	 * replaces. */
	o->fd = tmpfile_create(tmp, 0666);
	if (o->fd < 0) {
		fprintf(stderr, "%s: %s: cannot create a temporary file beside it: %s\n", progname,
		        path, strerror(errno));
		free(tmp);
		free(final);
		return EXIT_USAGE;
	}
	if (have_out) {
		if (fchmod(o->fd, out_st.st_mode & 07777) != 0) {
			/* Ours anyway; the mode is best effort. */
		}
		if ((out_st.st_uid != geteuid() || out_st.st_gid != getegid()) &&
		    fchown(o->fd, out_st.st_uid, out_st.st_gid) != 0) {
			/* Only a privileged user can give a file away. */
		}
	}
	o->tmp = tmp;
	o->final = final;
	o->regular = 1;
	return 0;
}

int output_commit(struct output *o)
{
	int e = 0;

	if (!o->regular) {
		if (o->fd > 1 && close(o->fd) != 0 && errno != EINTR)
			e = errno;
		o->fd = -1;
		if (e) {
			fprintf(stderr, "%s: %s: %s\n", progname, o->path, strerror(e));
			return EXIT_INVALID;
		}
		return 0;
	}
	if (o->sync && fsync(o->fd) != 0)
		e = errno;
	if (close(o->fd) != 0 && !e && errno != EINTR)
		e = errno;
	o->fd = -1;
	if (!e && rename(o->tmp, o->final) != 0)
		e = errno;
	if (e) {
		fprintf(stderr, "%s: %s: %s (left unchanged)\n", progname, o->path, strerror(e));
		output_abort(o);
		return EXIT_INVALID;
	}
	tmpfile_release(o->tmp, 0);
	if (o->sync) {
		/* The new directory entry is durable too. */
		char *slash = strrchr(o->final, '/');
		const char *dir = ".";
		if (slash) {
			*slash = '\0';
			dir = slash == o->final ? "/" : o->final;
		}
		int dfd = open(dir, O_RDONLY);
		if (dfd >= 0) {
			if (fsync(dfd) != 0 && errno != EINVAL)
				e = errno;
			close(dfd);
		}
		if (slash)
			*slash = '/';
		if (e) {
			fprintf(stderr, "%s: %s: syncing its directory: %s\n", progname, o->path,
			        strerror(e));
			free(o->tmp);
			free(o->final);
			o->tmp = o->final = NULL;
			return EXIT_INVALID;
		}
	}
	free(o->tmp);
	free(o->final);
	o->tmp = o->final = NULL;
	o->regular = 0;
	return 0;
}

void output_abort(struct output *o)
{
	if (o->fd > 1)
		close(o->fd);
	o->fd = -1;
	if (o->tmp)
		tmpfile_release(o->tmp, 1);   /* only the temporary file */
	free(o->tmp);
	free(o->final);
	o->tmp = o->final = NULL;
	o->regular = 0;
}
