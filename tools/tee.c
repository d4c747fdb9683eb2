/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * migstream tee: forward a stream from IN to OUT unchanged while verifying
 * it, and stop before a record that breaks a rule reaches OUT.
 *
 * IN is read into a ring buffer and fed to a push reader in place
 * (MIGSTREAM_OPT_FEED_IN_PLACE): the reader looks at the octets where they
 * lie, and only a record cut by the end of the ring is copied (by the
 * reader, once per turn of the ring).  A forwarding thread writes the ring
 * to OUT up to the octet verified so far:
 *   - a record is verified when migstream_reader_next() returns it with no
 *     error finding, except PAGE_DATA, whose contents are checked as the
 *     reader passes them (deep checks) and judged by the next call: its
 *     octets go out when that call ends clean (the next record, or the
 *     reader asking for more input);
 *   - the headers before the first record go out with it.
 * So a CHECKPOINT or END reaches the receiver without waiting for more
 * input.  On a finding the octets from the offending record on are never
 * written; OUT ends at a record boundary.
 *
 * In channel mode (--channel) what follows the final END is copied as it
 * comes, unverified (xl's migration protocol continues on the same fd).
 */
#define _GNU_SOURCE   /* F_GETPIPE_SZ, F_SETPIPE_SZ */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "commands.h"

struct tee {
	int in_fd;
	int out_fd;
	const char *in_name, *out_name;
	int out_regular;              /* OUT is replaced only when all is valid */
	/* The ring: stream offset x lies at ring[x % cap].  [fw, rd) is held:
	 * read from IN, not yet forwarded; the reader needs the part from its
	 * offset on (fw <= ok <= its offset <= rd). */
	uint8_t *ring;
	size_t cap;
	uint64_t fw;                  /* octets written to OUT */
	uint64_t rd;                  /* octets read from IN */
	int read_errno;               /* a read() failure, for the message */
	int write_errno;              /* a write() failure: forwarding stopped */
	uint64_t err_offset;          /* the first error finding of the current call, or UINT64_MAX */
	struct diag_printer dp;
	/* mu guards ok, closing, writing, ring, cap and fw; the forwarding
	 * thread writes from the ring while the main thread reads into it. */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t ok;                  /* stream offset up to which octets are verified */
	int closing;                  /* no more verified octets will come */
	int writing;                  /* the thread is in write() on the ring */
};

#define RING_SIZE ((size_t)16 << 20)  /* four of Xen's 4 MiB PAGE_DATA records */

static int write_all(int fd, const uint8_t *p, size_t n, int *err)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The forwarding thread: write verified octets as they come, up to the
 * end of the ring at a time. */
static void *forwarder(void *arg)
{
	struct tee *t = arg;
	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (t->ok <= t->fw && !t->closing && !t->write_errno)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->write_errno || t->ok <= t->fw)
			break;                /* closing with nothing left, or a write failed */
		size_t at = (size_t)(t->fw % t->cap);
		size_t n = (size_t)(t->ok - t->fw);
		if (n > t->cap - at)
			n = t->cap - at;
		const uint8_t *p = t->ring + at;
		int err = 0;
		t->writing = 1;
		pthread_mutex_unlock(&t->mu);
		int w = write_all(t->out_fd, p, n, &err);
		pthread_mutex_lock(&t->mu);
		t->writing = 0;
		if (w != 0)
			t->write_errno = err;
		else
			t->fw += n;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* The held octets before stream offset `upto` are verified: the thread may
 * forward them.  -1 once a write to OUT has failed. */
static int forward_to(struct tee *t, uint64_t upto)
{
	pthread_mutex_lock(&t->mu);
	if (upto > t->rd)
		upto = t->rd;
	if (upto > t->ok) {
		t->ok = upto;
		pthread_cond_broadcast(&t->cv);
	}
	int failed = t->write_errno != 0;
	pthread_mutex_unlock(&t->mu);
	return failed ? -1 : 0;
}

/* No more verified octets: wait until the thread has written those it
 * has, and stop it. */
static void forwarder_finish(struct tee *t)
{
	pthread_mutex_lock(&t->mu);
	t->closing = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
}

/* Room to read into, called with mu held: wait while the thread frees
 * some, or, when the ring is full of octets it may not forward yet (a
 * record larger than the rest of the ring), move them to a ring twice the
 * size.  The old ring goes to *old: the reader may still need its octets
 * until the next feed() returns.  0, or -ENOMEM. */
static int ring_room(struct tee *t, uint8_t **old)
{
	*old = NULL;
	for (;;) {
		if (t->rd - t->fw < t->cap)
			return 0;
		if (t->ok > t->fw && !t->write_errno) {
			pthread_cond_wait(&t->cv, &t->mu);
			continue;
		}
		while (t->writing)
			pthread_cond_wait(&t->cv, &t->mu);
		size_t ncap = t->cap * 2;
		uint8_t *nr = ncap > t->cap && ncap <= ((size_t)1 << 30) ? malloc(ncap) : NULL;
		if (!nr)
			return -ENOMEM;
		for (uint64_t x = t->fw; x < t->rd;) {
			size_t from = (size_t)(x % t->cap), to = (size_t)(x % ncap);
			size_t n = (size_t)(t->rd - x);
			if (n > t->cap - from)
				n = t->cap - from;
			if (n > ncap - to)
				n = ncap - to;
			memcpy(nr + to, t->ring + from, n);
			x += n;
		}
		*old = t->ring;
		t->ring = nr;
		t->cap = ncap;
		return 0;
	}
}

/* Read what IN has (up to the end of the ring) and feed it to the reader
 * in place; at EOF, end the input.  0, or -1 with the cause printed. */
static int fill(struct tee *t, migstream_reader *r)
{
	uint8_t *old;
	pthread_mutex_lock(&t->mu);
	int e = ring_room(t, &old);
	size_t at = (size_t)(t->rd % t->cap);
	size_t room = t->cap - (size_t)(t->rd - t->fw);
	if (room > t->cap - at)
		room = t->cap - at;
	uint8_t *p = t->ring + at;     /* past rd: only this thread writes there */
	pthread_mutex_unlock(&t->mu);
	if (e) {
		fprintf(stderr, "%s tee: out of memory\n", progname);
		return -1;
	}
	ssize_t n;
	do
		n = read(t->in_fd, p, room);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		t->read_errno = errno;
		free(old);
		if (!t->dp.quiet)
			fprintf(stderr, "error: %s: reading at offset 0x%" PRIx64 ": %s\n", t->in_name, t->rd,
			        strerror(errno));
		return -1;
	}
	int rc;
	size_t took = 0;
	if (n == 0) {
		rc = migstream_reader_feed_end(r);
	} else {
		rc = migstream_reader_feed(r, p, (size_t)n, &took);
		pthread_mutex_lock(&t->mu);
		t->rd += (uint64_t)n;
		pthread_mutex_unlock(&t->mu);
	}
	free(old);                    /* the reader has copied what it needed of it */
	if (rc != 0) {
		fprintf(stderr, "%s tee: %s\n", progname, migstream_reader_errmsg(r));
		return -1;
	}
	return 0;
}

/* A pipe at either end is widened to 1 MiB where Linux allows it
 * (F_SETPIPE_SZ; an unprivileged process up to
 * /proc/sys/fs/pipe-max-size): with the default 64 KiB the writer of a
 * 4 MiB PAGE_DATA record and the process reading the other end wake each
 * other 64 times per record, and tee has two such pipes where a cat has
 * one.  A pipe is never narrowed, and a refusal is not an error. */
static void widen_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && fcntl(fd, F_GETPIPE_SZ) < (1 << 20))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
	(void)fd;
#endif
}

/* Stream offset just past a record: header, body, padding to 8. */
static uint64_t record_end(const migstream_record *rec)
{
	uint64_t len = migstream_record_length(rec);
	return migstream_record_offset(rec) + 8 + ((len + 7) & ~(uint64_t)7);
}

static void tee_usage(FILE *f)
{
	fprintf(f,
	        "usage: migstream tee [OPTIONS] IN OUT\n"
	        "\n"
	        "Copy a stream from IN to OUT octet for octet (\"-\": standard input/output)\n"
	        "while verifying it.  Each record is forwarded once it is verified; the\n"
	        "first record that breaks a rule, and everything after it, never reaches\n"
	        "OUT, which then ends at the record boundary before it (exit 1).  IN and\n"
	        "OUT may be pipes, sockets, FIFOs, devices or files.  A regular-file OUT\n"
	        "is written beside it and renamed into place only when the whole stream\n"
	        "was valid; on failure it is left as it was.  OUT may not be IN.\n"
	        "Compressed input is not decompressed.\n"
	        "Exit status: 0 forwarded a valid stream, 1 invalid stream or a read/write\n"
	        "failure (a pipe, socket or device OUT got the verified prefix), 2 usage\n"
	        "or cannot start.\n"
	        "\n"
	        "  --channel              IN is a migration channel: verify up to the final\n"
	        "                         END, then copy what follows unverified\n"
	        "  --plain, --remus, --colo   declare the stream kind\n"
	        "  --strict, --restore, --lax reader mode (default --restore): which findings\n"
	        "                         are errors; in every mode the first error stops\n"
	        "                         forwarding\n"
	        "  -f, --format auto|libxc|libxl|xl   stream format (default auto)\n"
	        "  --no-deep              skip the deep checks\n"
	        "  -q, --quiet            no findings on standard error\n"
	        "  --no-sync              do not fsync a regular-file OUT before renaming\n"
	        "  -h, --help             this text\n");
}

static int tee_options(int argc, char **argv, struct read_opts *o, int *quiet, int *sync, const char *paths[2])
{
	int npaths = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			tee_usage(stdout);
			return -1;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			*quiet = 1;
			continue;
		}
		if (strcmp(a, "--no-sync") == 0) {
			*sync = 0;
			continue;
		}
		if (strcmp(a, "--back-channel") == 0) {
			fprintf(stderr, "%s tee: a COLO back channel is not forwarded by tee\n", progname);
			return EXIT_USAGE;
		}
		if ((k = read_opts_parse(o, argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (k > 0)
			continue;
		if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "%s tee: unknown option '%s'\n", progname, a);
			tee_usage(stderr);
			return EXIT_USAGE;
		}
		if (npaths == 2) {
			fprintf(stderr, "%s tee: too many operands ('%s')\n", progname, a);
			return EXIT_USAGE;
		}
		paths[npaths++] = a;
	}
	if (npaths != 2) {
		fprintf(stderr, "%s tee: needs IN and OUT\n", progname);
		tee_usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

/* Copy the rest of IN as it comes (channel mode, after the final END). */
static int copy_rest(struct tee *t)
{
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = read(t->in_fd, buf, sizeof buf);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			t->read_errno = errno;
			return -1;
		}
		if (write_all(t->out_fd, buf, (size_t)n, &t->write_errno) != 0)
			return -1;
		t->fw += (uint64_t)n;
	}
}

/* Findings go to the printer; the tee notes where the first error of the
 * current call lies. */
static void tee_diag(void *ctx, const migstream_diag *d)
{
	struct tee *t = ctx;
	if (d->severity == MIGSTREAM_SEV_ERROR && d->offset < t->err_offset)
		t->err_offset = d->offset;
	diag_print(&t->dp, d);
}

/* Read, verify and forward; the exit status. */
static int run(struct tee *t, migstream_reader *r, int channel)
{
	const migstream_record *rec;
	uint64_t pending_end = 0;     /* a PAGE_DATA returned, not yet judged: its end */
	int rc, read_failed = 0;

	for (;;) {
		t->err_offset = UINT64_MAX;
		rc = migstream_reader_next(r, &rec);
		if (rc == MIGSTREAM_E_AGAIN && t->err_offset == UINT64_MAX) {
			/* The call ended clean: a PAGE_DATA held back goes out;
			 * then more input. */
			if (pending_end && forward_to(t, pending_end) != 0)
				break;
			pending_end = 0;
			if (fill(t, r) != 0) {
				read_failed = 1;
				break;
			}
			continue;
		}
		if (rc == MIGSTREAM_E_AGAIN)
			rc = 0;               /* lax mode: a finding in the last PAGE_DATA's pages */
		if (rc < 0 && t->err_offset == UINT64_MAX) {
			migstream_diag d;
			memset(&d, 0, sizeof d);
			if (migstream_reader_error(r, &d, sizeof d) == 0)
				t->err_offset = d.offset;
		}
		/* The PAGE_DATA record held back is clean unless this call
		 * found an error inside it. */
		if (pending_end && t->err_offset >= pending_end && forward_to(t, pending_end) != 0)
			break;
		pending_end = 0;
		if (rc != 0 || t->err_offset != UINT64_MAX)
			break;                /* also lax mode reading past a finding: forward no more */
		if (forward_to(t, migstream_record_offset(rec)) != 0)
			break;
		if (migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC &&
		    migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA)
			pending_end = record_end(rec);
		else if (forward_to(t, record_end(rec)) != 0)
			break;
	}
	int valid = !read_failed && rc == MIGSTREAM_EOF && t->dp.errors == 0;
	if (valid)                    /* the rest of what the reader took goes too */
		forward_to(t, UINT64_MAX);
	forwarder_finish(t);
	if (valid && !t->write_errno && channel && copy_rest(t) != 0 && !t->write_errno) {
		fprintf(stderr, "%s tee: reading %s: %s\n", progname, t->in_name, strerror(t->read_errno));
		return EXIT_INVALID;
	}
	if (t->write_errno) {
		fprintf(stderr, "%s tee: writing %s: %s (%" PRIu64 " octets forwarded)\n", progname, t->out_name,
		        strerror(t->write_errno), t->fw);
		return EXIT_INVALID;
	}
	if (valid)
		return EXIT_VALID;
	/* A read failure was said by fill(); the reader only waits for more. */
	int status = read_failed ? EXIT_INVALID : report_end(&t->dp, r, rc == 0 ? MIGSTREAM_EOF : rc, t->in_name);
	if (status == EXIT_VALID)
		status = EXIT_INVALID;
	if (t->dp.quiet)
		return status;
	if (t->out_regular)
		fprintf(stderr, "%s tee: stopped after %" PRIu64 " verified octets, at a record boundary; "
		        "%s is left as it was\n", progname, t->fw, t->out_name);
	else
		fprintf(stderr, "%s tee: stopped: %" PRIu64 " octets forwarded to %s, ending at a record boundary\n",
		        progname, t->fw, t->out_name);
	return status;
}

int cmd_tee(int argc, char **argv)
{
	struct read_opts o;
	struct output out;
	struct tee t;
	const char *paths[2] = { NULL, NULL };
	int quiet = 0, sync = 1, status;

	read_opts_init(&o, MIGSTREAM_MODE_RESTORE);
	o.progress = 0;
	if ((status = tee_options(argc, argv, &o, &quiet, &sync, paths)) != 0)
		return status < 0 ? 0 : status;
	memset(&t, 0, sizeof t);
	t.in_name = strcmp(paths[0], "-") == 0 ? "standard input" : paths[0];
	t.out_name = strcmp(paths[1], "-") == 0 ? "standard output" : paths[1];
	if (strcmp(paths[0], "-") == 0) {
		t.in_fd = STDIN_FILENO;
	} else {
		t.in_fd = open(paths[0], O_RDONLY | O_CLOEXEC);
		if (t.in_fd < 0) {
			fprintf(stderr, "%s tee: %s: %s\n", progname, paths[0], strerror(errno));
			return EXIT_USAGE;
		}
	}
	if ((status = output_open(&out, paths[1], paths[0], sync)) != 0) {
		if (t.in_fd != STDIN_FILENO)
			close(t.in_fd);
		return status;
	}
	/* A reader that went away is a write error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	t.out_fd = out.fd;
	t.out_regular = out.regular;
	widen_pipe(t.in_fd);
	widen_pipe(t.out_fd);
	t.dp.out = stderr;
	t.dp.quiet = quiet;

	migstream_reader *r = migstream_reader_new();
	t.cap = RING_SIZE;
	t.ring = malloc(t.cap);
	if (!t.ring || !r || read_opts_apply(&o, r) != 0 ||
	    migstream_reader_set_option(r, MIGSTREAM_OPT_FEED_IN_PLACE, 1) != 0 ||
	    migstream_reader_set_diag_handler(r, tee_diag, &t) != 0 || migstream_reader_open_push(r) != 0) {
		fprintf(stderr, "%s tee: cannot set up the reader%s%s\n", progname, r ? ": " : "",
		        r ? migstream_reader_errmsg(r) : "");
		status = EXIT_USAGE;
		output_abort(&out);
	} else {
		pthread_mutex_init(&t.mu, NULL);
		pthread_cond_init(&t.cv, NULL);
		if (pthread_create(&t.thread, NULL, forwarder, &t) != 0) {
			fprintf(stderr, "%s tee: cannot start the forwarding thread\n", progname);
			status = EXIT_USAGE;
		} else {
			status = run(&t, r, o.channel);
		}
		diag_finish(&t.dp);
		/* A regular-file OUT replaces what was there only when the
		 * whole stream was valid; otherwise it is left as it was.
		 * (Pipes, sockets, devices and standard output got the
		 * verified prefix as it was forwarded.) */
		if (status == EXIT_VALID)
			status = output_commit(&out);
		else
			output_abort(&out);
	}
	migstream_reader_free(r);
	free(t.ring);
	if (t.in_fd != STDIN_FILENO)
		close(t.in_fd);
	return status;
}
