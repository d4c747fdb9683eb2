/*
 * check_push: event-loop reading.  Every stream of a corpus (the writer's
 * PV, HVM, libxl, xl and checkpointed streams, the spec's vectors, each cut
 * short at many points, each with octets flipped, and the real image when
 * it is given) is read three ways and the results compared:
 *
 *   blocking  a blocking pipe (as before non-blocking sources existed);
 *   nonblock  a non-blocking pipe driven by a poll() loop, whose writer
 *             (a thread) writes pieces of random size and stalls at random
 *             points;
 *   push      migstream_reader_feed() in chunks of 1, 7, 8, 4095, 4097
 *             and random sizes, and all at once.
 *
 * "Results" are every record (layer, type, offset, length), every finding
 * (rule, severity, code, offset, ordinal), every return code, the page
 * contents read_pages delivered (a hash), the final status and, in channel
 * mode, the octets after END.  A separate test checks that a reader waiting
 * on a writer that pauses for 2 s uses no CPU time meanwhile.
 *
 * Usage: check_push [REAL_IMAGE]  (or MIGSTREAM_REAL_IMAGE=...): with an
 * image, only the real-image suite runs (77 without one: skipped).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "testutil.h"
#include "streams.h"

/* ------------------------------------------------------------ results */

typedef struct res {
	char *s;
	size_t len, cap;
	uint64_t agains;              /* E_AGAIN returns seen (not part of the result) */
	size_t max_taken;             /* largest piece feed() took */
} res;

static void res_add(res *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	if (o->len + (size_t)n + 2 > o->cap) {
		o->cap = (o->len + (size_t)n + 2) * 2;
		o->s = realloc(o->s, o->cap);
		ck_assert_ptr_nonnull(o->s);
	}
	memcpy(o->s + o->len, line, (size_t)n);
	o->len += (size_t)n;
	o->s[o->len++] = '\n';
	o->s[o->len] = '\0';
}

static void res_free(res *o)
{
	free(o->s);
	memset(o, 0, sizeof *o);
}

static void on_diag(void *ctx, const migstream_diag *d)
{
	res_add(ctx, "D %s sev=%u code=%d layer=%u type=%u off=0x%llx idx=%lld %s", d->rule ? d->rule : "",
	        d->severity, d->code, d->layer, d->rec_type, (unsigned long long)d->offset,
	        (long long)d->record_index, d->message ? d->message : "");
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *q = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ q[i]) * 0x100000001b3ull;
	return h;
}

/* How a run reads. */
typedef struct how {
	int mode;                     /* MIGSTREAM_MODE_* */
	int channel;
	int kind;                     /* MIGSTREAM_OPT_STREAM_KIND */
	uint64_t cap;                 /* MIGSTREAM_OPT_MAX_RECORD_LEN, 0 default */
	int small;                    /* a small corpus entry: a few chunk sizes more */
} how;

static migstream_reader *new_reader(const how *h, res *o)
{
	migstream_reader *r = migstream_reader_new();
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, (uint64_t)h->mode), 0);
	if (h->channel)
		ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1), 0);
	if (h->kind)
		ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, (uint64_t)h->kind), 0);
	if (h->cap)
		ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, h->cap), 0);
	ck_assert_int_eq(migstream_reader_set_diag_handler(r, on_diag, o), 0);
	return r;
}

/* State of one reading run, across E_AGAIN returns. */
typedef struct run {
	migstream_reader *r;
	res *o;
	int done;                     /* final status seen */
	int final;
	unsigned events;
	uint8_t *pages;               /* room for one record's data pages */
	size_t pages_cap;
} run;

/*
 * One step: next(), and for every second PAGE_DATA with page contents,
 * read_pages() of all of them (the others are skipped by the reader).
 * Returns the code of next() (E_AGAIN: call again later).  After a
 * record-level error it goes on, as a verifier does.
 */
static int step(run *u)
{
	const migstream_record *rec;
	int rc = migstream_reader_next(u->r, &rec);
	if (rc == MIGSTREAM_E_AGAIN) {
		/* Plain tests in the hot paths: Check's assertions cost a write each. */
		u->o->agains++;
		if (migstream_reader_errmsg(u->r)[0] == '\0' || migstream_error_is_fatal(rc))
			ck_abort_msg("E_AGAIN without errmsg, or fatal");
		return rc;
	}
	if (++u->events > 20000) {
		res_add(u->o, "too many events");
		u->done = 1;
		u->final = rc;
		return rc;
	}
	if (rc == 0) {
		uint32_t n = 0;
		if (migstream_record_data_page_count(rec, &n) != 0)
			n = 0;
		res_add(u->o, "R layer=%u type=%u off=0x%llx len=%u idx=%llu pages=%u", migstream_record_layer(rec),
		        migstream_record_type(rec), (unsigned long long)migstream_record_offset(rec),
		        migstream_record_length(rec), (unsigned long long)migstream_record_index(rec), n);
		if (n && (migstream_record_index(rec) & 1) == 0) {
			if ((size_t)n * 4096 > u->pages_cap) {
				u->pages_cap = (size_t)n * 4096;
				u->pages = realloc(u->pages, u->pages_cap);
				ck_assert_ptr_nonnull(u->pages);
			}
			void **v = calloc(n, sizeof *v);
			ck_assert_ptr_nonnull(v);
			/* In two calls, to end one read in the middle of the run. */
			for (uint32_t i = 0; i < n; i++)
				v[i] = u->pages + 4096 * (size_t)(n - 1 - i);
			uint32_t first = n / 2;
			int p1 = migstream_reader_read_pages(u->r, v, first);
			int p2 = p1 < 0 && migstream_error_is_fatal(p1) ? p1
			       : migstream_reader_read_pages(u->r, v + first, n - first);
			ck_assert_int_ne(p1, MIGSTREAM_E_AGAIN);
			ck_assert_int_ne(p2, MIGSTREAM_E_AGAIN);
			/* Contents are defined only when the pages were read. */
			uint64_t hsh = 0;
			if (!migstream_error_is_fatal(p1) && !migstream_error_is_fatal(p2)) {
				hsh = 0xcbf29ce484222325ull;
				for (uint32_t i = 0; i < n; i++)
					hsh = fnv(hsh, v[i], 4096);
			}
			res_add(u->o, "P %d %d %016llx", p1, p2, (unsigned long long)hsh);
			free(v);
		}
		return rc;
	}
	res_add(u->o, "N %d", rc);
	if (rc == MIGSTREAM_EOF || migstream_error_is_fatal(rc)) {
		u->done = 1;
		u->final = rc;
		res_add(u->o, "S %d offset=0x%llx", rc, (unsigned long long)migstream_reader_offset(u->r));
	}
	return rc;
}

/* After EOF in channel mode: what the reader holds after the stream,
 * then the rest of the source, must be the octets after END. */
static void trailing(run *u, const uint8_t *data, size_t len, const uint8_t *rest, size_t rest_len)
{
	const void *t;
	size_t tl;
	if (u->final != MIGSTREAM_EOF)
		return;
	if (migstream_reader_trailing(u->r, &t, &tl) != 0)
		return;
	uint64_t off = migstream_reader_offset(u->r);
	int ok = off + tl + rest_len == len && off <= len && memcmp(data + off, t, tl) == 0 &&
	         memcmp(data + off + tl, rest, rest_len) == 0;
	res_add(u->o, "T offset=0x%llx after=%zu %s", (unsigned long long)off, len - (size_t)off,
	        ok ? "same" : "DIFFERENT");
}

/* ------------------------------------------------------------ pipes */

typedef struct feeder {
	int fd;
	const uint8_t *data;
	size_t len;
	unsigned seed;
	int stalls;                   /* random pieces and pauses */
	unsigned pause_at_ms;         /* > 0: one pause of this length at half the stream */
} feeder;

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffffu;
}

static void *feed_thread(void *arg)
{
	feeder *f = arg;
	size_t off = 0;
	int paused = 0;
	while (off < f->len) {
		size_t n = f->len - off;
		if (f->stalls) {
			unsigned x = rnd(&f->seed);
			size_t piece = x % 8 == 0 ? 1 + x % 13 : 1 + x % 70000;
			if (piece < n)
				n = piece;
			if (x % 5 == 0) {
				struct timespec ts = { 0, (long)(x % 300) * 1000 };
				nanosleep(&ts, NULL);
			}
		}
		if (f->pause_at_ms && !paused && off < f->len / 2 && n > f->len / 2 - off)
			n = f->len / 2 - off;
		if (f->pause_at_ms && !paused && off == f->len / 2) {
			struct timespec ts = { f->pause_at_ms / 1000, (long)(f->pause_at_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
			paused = 1;
		}
		ssize_t k = write(f->fd, f->data + off, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;                /* the reader stopped early: EPIPE */
		off += (size_t)k;
	}
	close(f->fd);
	return NULL;
}

/* Whatever is left in fd (blocking or not) until EOF. */
static uint8_t *drain(int fd, size_t *len)
{
	size_t cap = 65536;
	uint8_t *b = malloc(cap);
	ck_assert_ptr_nonnull(b);
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap *= 2;
			b = realloc(b, cap);
			ck_assert_ptr_nonnull(b);
		}
		ssize_t k = read(fd, b + *len, cap - *len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			struct pollfd p = { fd, POLLIN, 0 };
			poll(&p, 1, -1);
			continue;
		}
		if (k <= 0)
			break;
		*len += (size_t)k;
	}
	return b;
}

/* Read data through a pipe: blocking, or non-blocking with a poll loop. */
static void via_pipe(const uint8_t *data, size_t len, const how *h, int nonblock, unsigned seed,
                     unsigned pause_ms, res *o)
{
	int fds[2];
	pthread_t t;
	ck_assert_int_eq(pipe(fds), 0);
	feeder f = { fds[1], data, len, seed, nonblock, pause_ms };
	if (nonblock)
		ck_assert_int_eq(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, feed_thread, &f), 0);

	run u = { 0 };
	u.o = o;
	u.r = new_reader(h, o);
	ck_assert_int_eq(migstream_reader_open_fd(u.r, fds[0]), 0);
	while (!u.done) {
		int rc = step(&u);
		if (rc == MIGSTREAM_E_AGAIN) {
			int fd;
			short ev;
			ck_assert(nonblock);
			ck_assert_int_eq(migstream_reader_get_poll(u.r, &fd, &ev), 0);
			ck_assert_int_eq(fd, fds[0]);
			struct pollfd p = { fd, ev, 0 };
			ck_assert_int_eq(poll(&p, 1, -1), 1);
		}
	}
	if (h->channel) {
		size_t rl;
		uint8_t *rest = drain(fds[0], &rl);
		trailing(&u, data, len, rest, rl);
		free(rest);
	}
	close(fds[0]);                    /* an early stop ends the writer with EPIPE */
	pthread_join(t, NULL);
	migstream_reader_free(u.r);
	free(u.pages);
}

/* ------------------------------------------------------------ push */

#define CHUNK_ALL   ((size_t)-1)
#define CHUNK_RANDOM ((size_t)-2)

/* How the octets are fed: copied by feed(), or in place
 * (MIGSTREAM_OPT_FEED_IN_PLACE) from the stream's own buffer, or in place
 * from a separate buffer per chunk that is overwritten and freed as soon
 * as the contract allows (ASan and valgrind see any later read). */
enum { FEED_COPY, FEED_IN_PLACE, FEED_SCATTERED };

/* A chunk of a scattered feed, with guard octets on both sides so that two
 * chunks never follow each other in memory. */
static uint8_t *scatter_chunk(const uint8_t *p, size_t n, uint8_t **block)
{
	*block = malloc(n + 64);
	ck_assert_ptr_nonnull(*block);
	memset(*block, 0x5a, n + 64);
	memcpy(*block + 32, p, n);
	return *block + 32;
}

static void scatter_release(uint8_t **block, size_t n)
{
	if (*block) {
		memset(*block, 0xa5, n + 64);
		free(*block);
		*block = NULL;
	}
}

static void via_push(const uint8_t *data, size_t len, const how *h, size_t chunk, unsigned seed, int feed,
                     res *o)
{
	run u = { 0 };
	uint8_t *held = NULL, *old = NULL;   /* FEED_SCATTERED: this chunk's block, the last one's */
	size_t held_n = 0, old_n = 0;
	u.o = o;
	u.r = new_reader(h, o);
	if (feed != FEED_COPY)
		ck_assert_int_eq(migstream_reader_set_option(u.r, MIGSTREAM_OPT_FEED_IN_PLACE, 1), 0);
	ck_assert_int_eq(migstream_reader_open_push(u.r), 0);
	int fd;
	short ev;
	ck_assert_int_eq(migstream_reader_get_poll(u.r, &fd, &ev), 0);
	ck_assert_int_eq(fd, -1);
	size_t off = 0;
	uint64_t bound = (h->cap ? h->cap : 0x08000000u) + 256;
	if (bound < 65536)
		bound = 65536;            /* the buffer's least size */
	while (!u.done && off < len) {
		size_t n = chunk == CHUNK_ALL ? len - off
		         : chunk == CHUNK_RANDOM ? 1 + rnd(&seed) % 9000 : chunk;
		if (n > len - off)
			n = len - off;
		const uint8_t *p = data + off;
		if (feed == FEED_SCATTERED) {
			old = held, old_n = held_n;
			p = scatter_chunk(p, n, &held);
			held_n = n;
		}
		while (n && !u.done) {
			size_t took;
			int rc = migstream_reader_feed(u.r, p, n, &took);
			/* Fed elsewhere in memory: the reader needs the last chunk no more. */
			scatter_release(&old, old_n);
			if (feed != FEED_COPY && rc == 0 && took != n)
				ck_abort_msg("feed in place took %zu of %zu", took, n);
			if (rc == MIGSTREAM_E_STATE && h->channel)
				goto end;         /* the channel ended: the rest is the caller's */
			if (rc && !migstream_error_is_fatal(rc))
				ck_abort_msg("feed: %d %s", rc, migstream_reader_errmsg(u.r));
			if (rc)
				break;
			if (took > n || (feed == FEED_COPY && took > bound))
				ck_abort_msg("feed took %zu of %zu (bound %llu)", took, n, (unsigned long long)bound);
			if (took > o->max_taken)
				o->max_taken = took;
			p += took;
			n -= took;
			off += took;
			while (!u.done && step(&u) != MIGSTREAM_E_AGAIN)
				;
			/* After E_AGAIN the octets before the offset are passed:
			 * overwrite them in this chunk's own buffer. */
			uint64_t at = migstream_reader_offset(u.r), from = off - held_n;
			if (feed == FEED_SCATTERED && !u.done && at > from)
				memset(held, 0xa5, at - from < held_n ? (size_t)(at - from) : held_n);
		}
	}
	if (!u.done) {
		ck_assert_int_eq(migstream_reader_feed_end(u.r), 0);
		while (!u.done)
			if (step(&u) == MIGSTREAM_E_AGAIN)
				ck_abort_msg("E_AGAIN after feed_end()");
	}
end:
	if (h->channel)
		trailing(&u, data, len, data + off, len - off);
	migstream_reader_free(u.r);
	scatter_release(&old, old_n);
	scatter_release(&held, held_n);
	free(u.pages);
}

/* ------------------------------------------------------------ comparing */

static void diff(const char *what, const char *name, const res *want, const res *got)
{
	if (strcmp(want->s ? want->s : "", got->s ? got->s : "") == 0)
		return;
	const char *a = want->s ? want->s : "", *b = got->s ? got->s : "";
	size_t line = 1, i = 0;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n')
			line++;
		i++;
	}
	size_t s = i;
	while (s > 0 && a[s - 1] != '\n')
		s--;
	if (getenv("PUSH_DEBUG"))
		fprintf(stderr, "=== %s: blocking\n%s=== %s\n%s===\n", name, a, what, b);
	ck_abort_msg("%s: %s differs from the blocking read at line %zu:\n  blocking: %.300s\n  %s: %.300s", name,
	             what, line, a + s, what, b + s);
}

static uint64_t total_agains;
static unsigned compared;

static const size_t chunks[] = { 1, 7, 8, 4095, 4097, CHUNK_RANDOM, CHUNK_ALL };
#define NCHUNKS (sizeof chunks / sizeof chunks[0])

/* Read data the three ways and compare with the blocking read. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void compare(const char *name, const uint8_t *data, size_t len, const how *h, unsigned seed)
{
	res want = { 0 }, got = { 0 };
	double t0 = now();
	via_pipe(data, len, h, 0, seed, 0, &want);
	ck_assert_uint_eq(want.agains, 0);

	via_pipe(data, len, h, 1, seed, 0, &got);
	diff("non-blocking pipe", name, &want, &got);
	if (getenv("PUSH_DEBUG"))
		fprintf(stderr, "  %s pipes: %.3f s\n", name, now() - t0);
	t0 = now();
	total_agains += got.agains;
	res_free(&got);

	for (size_t c = 0; c < NCHUNKS; c++) {
		/* Chunks of 1 octet only for small streams (time). */
		if (chunks[c] < 16 && len > 300000 && !h->small)
			continue;
		char what[96];
		snprintf(what, sizeof what, "push (chunks of %s%zu)", chunks[c] == CHUNK_RANDOM ? "random " : "",
		         chunks[c] >= CHUNK_RANDOM ? (size_t)0 : chunks[c]);
		via_push(data, len, h, chunks[c], seed + (unsigned)c, FEED_COPY, &got);
		diff(what, name, &want, &got);
		total_agains += got.agains;
		res_free(&got);
		compared++;
		/* In place: from the stream's buffer, and chunk by chunk from
		 * buffers of their own. */
		for (int f = FEED_IN_PLACE; f <= FEED_SCATTERED; f++) {
			if (chunks[c] < 16 && len > 16384)
				continue;
			/* Separate buffers per chunk: every size for small
			 * streams, two for the others (time under valgrind). */
			if (f == FEED_SCATTERED && len > 16384 && chunks[c] != 4097 && chunks[c] != CHUNK_RANDOM)
				continue;
			snprintf(what, sizeof what, "push in place%s (chunks of %s%zu)",
			         f == FEED_SCATTERED ? ", scattered" : "", chunks[c] == CHUNK_RANDOM ? "random " : "",
			         chunks[c] >= CHUNK_RANDOM ? (size_t)0 : chunks[c]);
			via_push(data, len, h, chunks[c], seed + (unsigned)c, f, &got);
			diff(what, name, &want, &got);
			res_free(&got);
			compared++;
		}
		if (getenv("PUSH_DEBUG"))
			fprintf(stderr, "  %s %s: %.3f s\n", name, what, now() - t0);
		t0 = now();
	}
	res_free(&want);
}

/* ------------------------------------------------------------ corpus */

typedef struct entry {
	const char *name;
	uint8_t *data;
	size_t len;
	how h;
} entry;

#define MAX_ENTRIES 16
static entry corpus[MAX_ENTRIES];
static size_t ncorpus;

static void add_written(const char *name, int (*fn)(migstream_writer *), int kind, int pv)
{
	migstream_writer *w = migstream_writer_new();
	const void *p;
	size_t len;
	ck_assert_ptr_nonnull(w);
	if (kind)
		ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_STREAM_KIND, (uint64_t)kind), 0);
	if (pv)
		ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_DEEP, 0), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	ck_assert_msg(fn(w) == 0, "%s: %s", name, migstream_writer_errmsg(w));
	ck_assert_int_eq(migstream_writer_get_memory(w, &p, &len), 0);
	entry *e = &corpus[ncorpus++];
	e->name = name;
	e->data = malloc(len);
	ck_assert_ptr_nonnull(e->data);
	memcpy(e->data, p, len);
	e->len = len;
	memset(&e->h, 0, sizeof e->h);
	e->h.kind = kind;
	migstream_writer_free(w);
}

static void add_tbuf(const char *name, void (*fn)(tbuf *))
{
	tbuf b;
	tb_init(&b);
	fn(&b);
	entry *e = &corpus[ncorpus++];
	memset(e, 0, sizeof *e);
	e->name = name;
	e->data = b.data;
	e->len = b.len;
}

static int w_remus(migstream_writer *w) { return ts_write_checkpointed(w, 0, 2); }
static int w_colo(migstream_writer *w) { return ts_write_checkpointed(w, 1, 2); }
static int w_back(migstream_writer *w) { return ts_write_back_channel(w, 3); }

static void build_corpus(void)
{
	if (ncorpus)
		return;
	add_written("hvm image", ts_write_hvm_image, 0, 0);
	add_written("hvm image v2", ts_write_hvm_image_v2, 0, 0);
	add_written("pv image", ts_write_pv_image, 0, 1);
	add_written("libxl stream", ts_write_libxl, 0, 0);
	add_written("xl save file", ts_write_xl, 0, 0);
	add_written("remus stream", w_remus, MIGSTREAM_KIND_REMUS, 0);
	add_written("colo stream", w_colo, MIGSTREAM_KIND_COLO, 0);
	add_written("colo back channel", w_back, MIGSTREAM_KIND_COLO_BACK, 0);
	add_tbuf("vector V1", tb_vector_v1);
	add_tbuf("vector V2", tb_vector_v2);
	add_tbuf("vector V3", tb_vector_v3);
	add_tbuf("vector V4", tb_vector_v4);
	for (size_t i = 0; i < ncorpus; i++) {
		corpus[i].h.small = corpus[i].len <= 300000;
		if (getenv("PUSH_DEBUG"))
			fprintf(stderr, "%s: %zu octets\n", corpus[i].name, corpus[i].len);
	}
}

/* ------------------------------------------------------------ tests */

/* Whole streams, in restore and strict mode. */
START_TEST(test_whole)
{
	build_corpus();
	const entry *e = &corpus[_i];
	how h = e->h;
	compare(e->name, e->data, e->len, &h, 1000u + (unsigned)_i);
	h.mode = MIGSTREAM_MODE_STRICT;
	compare(e->name, e->data, e->len, &h, 2000u + (unsigned)_i);
}
END_TEST

/* Cut short at the unit boundaries and in the middle of units. */
START_TEST(test_truncated)
{
	build_corpus();
	const entry *e = &corpus[_i];
	unsigned seed = 77u + (unsigned)_i;
	size_t cuts[40], n = 0;
	/* Early (headers), then spread over the stream. */
	static const size_t early[] = { 0, 1, 7, 8, 16, 24, 31, 40, 47, 48, 56, 64, 91, 92 };
	for (size_t i = 0; i < sizeof early / sizeof early[0]; i++)
		if (early[i] < e->len)
			cuts[n++] = early[i];
	while (n < 40)
		cuts[n++] = (size_t)(rnd(&seed) % e->len);
	for (size_t i = 0; i < n; i++) {
		char name[128];
		snprintf(name, sizeof name, "%s cut at %zu", e->name, cuts[i]);
		how h = e->h;
		h.small = 1;
		if (i % 3)
			h.mode = i % 3 == 1 ? MIGSTREAM_MODE_LAX : MIGSTREAM_MODE_RESTORE;
		compare(name, e->data, cuts[i], &h, seed + (unsigned)i);
	}
}
END_TEST

/* Broken streams: octets flipped at random points, in restore and lax
 * mode (lax reads on past what breaks rules). */
START_TEST(test_broken)
{
	build_corpus();
	const entry *e = &corpus[_i];
	unsigned seed = 4242u + (unsigned)_i;
	uint8_t *copy = malloc(e->len);
	ck_assert_ptr_nonnull(copy);
	for (int k = 0; k < 24; k++) {
		memcpy(copy, e->data, e->len);
		/* Mostly early (headers, record headers), some anywhere. */
		size_t span = k % 2 ? e->len : (e->len < 512 ? e->len : 512);
		size_t at = rnd(&seed) % span;
		uint8_t mask = (uint8_t)(1u << (rnd(&seed) % 8));
		copy[at] ^= mask;
		if (k % 4 == 3)
			copy[rnd(&seed) % e->len] ^= 0xff;
		char name[128];
		snprintf(name, sizeof name, "%s with octet %zu ^ 0x%02x", e->name, at, mask);
		how h = e->h;
		h.small = 1;
		h.mode = k % 2 ? MIGSTREAM_MODE_LAX : MIGSTREAM_MODE_RESTORE;
		compare(name, copy, e->len, &h, seed);
	}
	free(copy);
}
END_TEST

/* Channel mode: the octets after END stay the caller's, and a record
 * longer than a low cap fails alike. */
START_TEST(test_channel)
{
	build_corpus();
	for (size_t i = 0; i < ncorpus; i++) {
		const entry *e = &corpus[i];
		size_t extra = 5000;
		uint8_t *d = malloc(e->len + extra);
		ck_assert_ptr_nonnull(d);
		memcpy(d, e->data, e->len);
		for (size_t k = 0; k < extra; k++)
			d[e->len + k] = (uint8_t)(k * 7 + 1);
		how h = e->h;
		h.channel = 1;
		char name[128];
		snprintf(name, sizeof name, "%s on a channel, 5000 octets after it", e->name);
		compare(name, d, e->len + extra, &h, 9u + (unsigned)i);
		how lo = e->h;
		lo.cap = 4096;
		snprintf(name, sizeof name, "%s with a 4096-octet record cap", e->name);
		compare(name, e->data, e->len, &lo, 19u + (unsigned)i);
		free(d);
	}
}
END_TEST

/* The loops above did wait: E_AGAIN came, and was resumed from. */
START_TEST(test_resumed)
{
	if (compared == 0)
		return;                   /* run alone (CK_RUN_CASE): nothing to tally */
	ck_assert_msg(total_agains > 1000, "only %llu E_AGAIN returns over %u comparisons",
	              (unsigned long long)total_agains, compared);
}
END_TEST

/* E_AGAIN is no failure: the reader goes on, reports nothing, and the
 * calls that need a state or a source say so. */
START_TEST(test_again_api)
{
	build_corpus();
	const entry *e = &corpus[0];
	res o = { 0 };
	how h = { 0 };
	migstream_reader *r = new_reader(&h, &o);
	const migstream_record *rec;
	size_t took;
	int fd;
	short ev;

	ck_assert_int_eq(migstream_reader_feed(r, e->data, 1, &took), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_get_poll(r, &fd, &ev), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_open_push(r), 0);
	ck_assert_int_eq(migstream_reader_open_push(r), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_feed(r, e->data, 1, NULL), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_AGAIN);
	ck_assert_ptr_null(rec);
	ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r), "feed more"));
	ck_assert_int_eq(migstream_reader_read_headers(r), MIGSTREAM_E_AGAIN);
	ck_assert_int_eq(migstream_reader_feed(r, e->data, 30, &took), 0);
	ck_assert_uint_eq(took, 30);
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_AGAIN);
	ck_assert_uint_eq(migstream_reader_count(r, MIGSTREAM_SEV_ERROR), 0);
	ck_assert_uint_eq(migstream_reader_count(r, MIGSTREAM_SEV_WARNING), 0);
	ck_assert_int_eq(migstream_reader_feed(r, e->data + 30, e->len - 30, &took), 0);
	ck_assert_uint_eq(took, e->len - 30);
	ck_assert_int_eq(migstream_reader_feed_end(r), 0);
	ck_assert_int_eq(migstream_reader_feed(r, e->data, 1, &took), MIGSTREAM_E_STATE);
	int rc, n = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		n++;
	ck_assert_msg(rc == MIGSTREAM_EOF, "%d %s", rc, migstream_reader_errmsg(r));
	ck_assert_int_gt(n, 5);
	ck_assert_ptr_null(o.s);
	migstream_reader_free(r);

	/* A reader on its own source takes no octets. */
	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_memory(r, e->data, e->len), 0);
	ck_assert_int_eq(migstream_reader_feed(r, e->data, 1, &took), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_feed_end(r), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_get_poll(r, &fd, &ev), 0);
	ck_assert_int_eq(fd, -1);
	migstream_reader_free(r);
	res_free(&o);
}
END_TEST

/* In place: the octets are taken whole and read where they lie (the
 * records point into the caller's buffer); a feed from elsewhere while
 * more than a unit is unread is refused, and refused with nothing lost. */
START_TEST(test_in_place_api)
{
	build_corpus();
	const entry *e = &corpus[0];
	res o = { 0 };
	how h = e->h;
	migstream_reader *r = new_reader(&h, &o);
	const migstream_record *rec;
	size_t took;
	uint64_t v;

	ck_assert_int_eq(migstream_reader_get_option(r, MIGSTREAM_OPT_FEED_IN_PLACE, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_FEED_IN_PLACE, 2), MIGSTREAM_E_INVAL);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_FEED_IN_PLACE, 1), 0);
	ck_assert_int_eq(migstream_reader_open_push(r), 0);
	/* Octets that follow the last ones in memory are taken unread, and
	 * read where they lie: record bodies point into the caller's buffer. */
	ck_assert_int_eq(migstream_reader_feed(r, e->data, 100, &took), 0);
	ck_assert_uint_eq(took, 100);
	ck_assert_int_eq(migstream_reader_feed(r, e->data + 100, e->len - 100, &took), 0);
	ck_assert_uint_eq(took, e->len - 100);
	int rc, n = 0, inside = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		size_t blen;
		const uint8_t *b = migstream_record_body(rec, &blen);
		inside += blen && b >= e->data && b < e->data + e->len;
		n++;
	}
	ck_assert_int_eq(migstream_reader_feed_end(r), 0);
	while (rc == MIGSTREAM_E_AGAIN && (rc = migstream_reader_next(r, &rec)) == 0)
		n++;
	ck_assert_msg(rc == MIGSTREAM_EOF, "%d %s", rc, migstream_reader_errmsg(r));
	ck_assert_int_gt(n, 2);
	ck_assert_int_gt(inside, 2);
	migstream_reader_free(r);

	/* More than the bound (64 KiB with a 4 KiB record cap) fed and
	 * unread: octets from elsewhere are refused, and nothing is lost. */
	static uint8_t junk[70000];
	uint8_t other[16] = { 0 };
	h.cap = 4096;
	r = new_reader(&h, &o);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_FEED_IN_PLACE, 1), 0);
	ck_assert_int_eq(migstream_reader_open_push(r), 0);
	ck_assert_int_eq(migstream_reader_feed(r, junk, sizeof junk, &took), 0);
	ck_assert_int_eq(migstream_reader_feed(r, other, sizeof other, &took), MIGSTREAM_E_STATE);
	ck_assert_uint_eq(took, 0);
	ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r), "in place"));
	ck_assert_int_eq(migstream_reader_feed(r, junk, 10, &took), MIGSTREAM_E_STATE);
	migstream_reader_free(r);
	res_free(&o);

	/* The option is for push readers; other sources read as before. */
	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_FEED_IN_PLACE, 1), 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, e->data, e->len), 0);
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		;
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	migstream_reader_free(r);
}
END_TEST

/* A stream with 8 MiB of pages in 2 MiB records, fed in one piece: it is
 * taken a bounded piece at a time (one read block, or one record), and
 * reads as from a pipe. */
START_TEST(test_bounded)
{
	tbuf v, big;
	tb_init(&v);
	tb_vector_v1(&v);
	tb_init(&big);
	big.be = v.be;
	uint64_t *pfns = malloc(512 * sizeof *pfns);
	ck_assert_ptr_nonnull(pfns);
	for (uint32_t k = 0; k < 4; k++) {
		for (uint32_t i = 0; i < 512; i++)
			pfns[i] = 0x1000 + 512 * (uint64_t)k + i;
		tb_page_data(&big, 512, pfns, (uint8_t)(0x40 + k));
	}
	tb_insert(&v, V1_OFF_TSC, big.data, big.len);
	how h = { 0 };
	h.small = 0;
	compare("8 MiB of pages", v.data, v.len, &h, 3);
	res o = { 0 };
	via_push(v.data, v.len, &h, CHUNK_ALL, 1, FEED_COPY, &o);
	ck_assert_msg(strstr(o.s, "S 1 ") != NULL, "%s", o.s);
	size_t rec = 16 + 8 + 512 * 8 + 512 * 4096;
	ck_assert_msg(o.max_taken <= rec + 256 && o.max_taken < v.len, "took %zu of %zu at once", o.max_taken,
	              v.len);
	res_free(&o);
	free(pfns);
	tb_free(&big);
	tb_free(&v);
}
END_TEST

/* A writer that pauses 2 s: the reader sleeps in poll(), it does not spin. */
START_TEST(test_no_busy_loop)
{
	build_corpus();
	const entry *e = &corpus[2];          /* the PV image */
	res o = { 0 };
	how h = e->h;
	struct rusage a, b;
	struct timeval t0, t1;
	gettimeofday(&t0, NULL);
	ck_assert_int_eq(getrusage(RUSAGE_THREAD, &a), 0);
	via_pipe(e->data, e->len, &h, 1, 5, 2000, &o);
	ck_assert_int_eq(getrusage(RUSAGE_THREAD, &b), 0);
	gettimeofday(&t1, NULL);
	double cpu = (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec) + (b.ru_utime.tv_usec - a.ru_utime.tv_usec) / 1e6 +
	             (double)(b.ru_stime.tv_sec - a.ru_stime.tv_sec) + (b.ru_stime.tv_usec - a.ru_stime.tv_usec) / 1e6;
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6;
	fprintf(stderr, "no busy loop: %.3f s wall, reader thread %.3f s CPU, %llu E_AGAIN\n", wall, cpu,
	        (unsigned long long)o.agains);
	ck_assert_msg(wall >= 1.9, "the writer did not pause (%.3f s)", wall);
	ck_assert_msg(cpu < 0.2, "the reader used %.3f s CPU while the writer paused", cpu);
	ck_assert_ptr_nonnull(strstr(o.s, "S 1 "));
	res_free(&o);
}
END_TEST

/* ------------------------------------------------------------ real image */

static const uint8_t *real;
static size_t real_len;

START_TEST(test_real)
{
	how h = { 0 };
	h.small = 0;
	if (_i == 1)
		h.channel = 1;
	compare(_i ? "real image, channel" : "real image", real, real_len, &h, 31u);
}
END_TEST

static Suite *push_suite(void)
{
	Suite *s = suite_create("push");
	TCase *tc = tcase_create("corpus");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_again_api);
	tcase_add_test(tc, test_in_place_api);
	tcase_add_loop_test(tc, test_whole, 0, 12);
	tcase_add_loop_test(tc, test_truncated, 0, 12);
	tcase_add_loop_test(tc, test_broken, 0, 12);
	tcase_add_test(tc, test_channel);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_resumed);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("busy");
	tcase_set_timeout(tb, 30);
	tcase_add_test(tb, test_no_busy_loop);
	suite_add_tcase(s, tb);
	return s;
}

static Suite *real_suite(void)
{
	Suite *s = suite_create("push-real");
	TCase *tc = tcase_create("real");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_real, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "--real") == 0) {
		const char *path = argc > 2 ? argv[2] : getenv("MIGSTREAM_REAL_IMAGE");
		struct stat st;
		int fd;
		if (!path || !*path) {
			fprintf(stderr, "%s --real: no image; skipped\n", argv[0]);
			return 77;
		}
		fd = open(path, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return 1;
		}
		real_len = (size_t)st.st_size;
		void *m = mmap(NULL, real_len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			fprintf(stderr, "%s: mmap: %s\n", path, strerror(errno));
			return 1;
		}
		close(fd);
		real = m;
		sr = srunner_create(real_suite());
	} else {
		sr = srunner_create(push_suite());
	}
	/* One process: the corpus and the E_AGAIN tally are shared by the
	 * tests (CK_FORK=no). */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
