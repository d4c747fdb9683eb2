/*
 * check_writer_nb: the writer on sinks that would block.  The same calls
 * go to a memory sink (the reference), to a non-blocking pipe whose reader
 * stalls at random points, and to a callback sink that returns -EAGAIN and
 * short counts; the octets must be identical, every E_AGAIN must leave the
 * stream a prefix of the reference, and nothing may be written twice.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <migstream.h>
#include "testutil.h"

/* ------------------------------------------------------------ the stream */

#define NPD 24                      /* PAGE_DATA records */
#define PER 64                      /* pages in each */

/* How a put that returned E_AGAIN is finished: poll the fd, or just call
 * flush again (callback sinks). */
static int agains;                  /* E_AGAIN returns seen */

static void drain(migstream_writer *w)
{
	int fd;
	short ev;
	for (;;) {
		int rc = migstream_writer_flush(w);
		if (rc == 0)
			break;
		ck_assert_msg(rc == MIGSTREAM_E_AGAIN, "flush: %d %s", rc, migstream_writer_errmsg(w));
		ck_assert_uint_gt(migstream_writer_pending(w), 0);
		ck_assert_int_eq(migstream_writer_get_poll(w, &fd, &ev), 0);
		if (fd >= 0) {
			ck_assert_int_eq(ev, POLLOUT);
			struct pollfd p = { .fd = fd, .events = ev };
			ck_assert_int_ge(poll(&p, 1, 10000), 1);
		}
	}
	ck_assert_uint_eq(migstream_writer_pending(w), 0);
	ck_assert_int_eq(migstream_writer_get_poll(w, &fd, &ev), 0);
	ck_assert_int_eq(ev, 0);
}

/* A put: 0, or E_AGAIN and then drained. */
#define PUT(w, call) do { \
		int rc_ = (call); \
		if (rc_ == MIGSTREAM_E_AGAIN) { \
			agains++; \
			drain(w); \
		} else \
			ck_assert_msg(rc_ == 0, "%s returned %d: %s", #call, rc_, migstream_writer_errmsg(w)); \
	} while (0)

static uint8_t pages[NPD][PER][4096];

static const uint8_t hvm_ctx_min[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00,
	0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* An xl-wrapped HVM save: xl and libxl headers, the image with NPD
 * PAGE_DATA records of distinct contents, then the libxl tail. */
static void write_stream(migstream_writer *w)
{
	migstream_xl_header xh;
	memset(&xh, 0, sizeof xh);
	xh.mandatory_flags = MIGSTREAM_XL_FLAG_STREAMV2;
	static const uint8_t opt[14] = { 10, 0, 0, 0, 'n', 'a', 'm', 'e', '=', '"', 'n', 'b', '"', '\n' };
	PUT(w, migstream_writer_put_xl_header(w, &xh, sizeof xh, opt, sizeof opt));
	migstream_libxl_header lh;
	memset(&lh, 0, sizeof lh);
	lh.version = 2;
	PUT(w, migstream_writer_put_libxl_header(w, &lh, sizeof lh));
	PUT(w, migstream_writer_put_libxc_context(w));
	migstream_image_header ih;
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	PUT(w, migstream_writer_put_image_header(w, &ih, sizeof ih));
	migstream_domain_header dh;
	memset(&dh, 0, sizeof dh);
	dh.type = MIGSTREAM_DOMAIN_X86_HVM;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = 17;
	PUT(w, migstream_writer_put_domain_header(w, &dh, sizeof dh));
	PUT(w, migstream_writer_put_static_data_end(w));
	for (int r = 0; r < NPD; r++) {
		uint64_t pfns[PER];
		uint32_t types[PER];
		const void *pp[PER];
		for (int i = 0; i < PER; i++) {
			pfns[i] = (uint64_t)r * PER + (uint64_t)i;
			types[i] = 0;
			memset(pages[r][i], (r * 31 + i) & 0xff, 4096);
			pages[r][i][0] = (uint8_t)r;
			pages[r][i][4095] = (uint8_t)i;
			pp[i] = pages[r][i];
		}
		PUT(w, migstream_writer_put_page_data(w, PER, pfns, types, pp));
	}
	migstream_tsc_info t;
	memset(&t, 0, sizeof t);
	t.mode = 1;
	t.khz = 3000000;
	PUT(w, migstream_writer_put_tsc_info(w, &t, sizeof t));
	static const uint64_t idx[2] = { 1, 9 }, val[2] = { 0xfeffc, 0x1ff };
	PUT(w, migstream_writer_put_hvm_params(w, 2, idx, val));
	PUT(w, migstream_writer_put_hvm_context(w, hvm_ctx_min, sizeof hvm_ctx_min));
	PUT(w, migstream_writer_put_end(w));
}

/* The tail of the libxl stream is not needed: the libxl END ends it. */
static void finish(migstream_writer *w)
{
	int rc;
	PUT(w, migstream_writer_put_end(w));
	while ((rc = migstream_writer_close(w)) == MIGSTREAM_E_AGAIN) {
		agains++;
		drain(w);
	}
	ck_assert_msg(rc == 0, "close: %d %s", rc, migstream_writer_errmsg(w));
}

static uint8_t *reference(size_t *len)
{
	migstream_writer *w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	write_stream(w);
	PUT(w, migstream_writer_put_end(w));
	const void *d;
	ck_assert_int_eq(migstream_writer_get_memory(w, &d, len), 0);
	uint8_t *copy = malloc(*len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, d, *len);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	return copy;
}

/* ------------------------------------------------------------ a stalling reader */

/* A child reads the pipe in random amounts with random pauses into a
 * temporary file; returns its pid. */
static pid_t stalling_reader(int rfd, int wfd, const char *out, unsigned seed)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(wfd);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0)
			_exit(3);
		srand(seed);
		static uint8_t buf[65536];
		for (;;) {
			if (rand() % 8 == 0)
				usleep((useconds_t)(rand() % 3000));
			size_t want = 1 + (size_t)rand() % sizeof buf;
			ssize_t n = read(rfd, buf, want);
			if (n == 0)
				break;
			if (n < 0) {
				if (errno == EINTR)
					continue;
				_exit(4);
			}
			if (write(o, buf, (size_t)n) != n)
				_exit(5);
		}
		close(o);
		_exit(0);
	}
	return pid;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *d = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(fread(d, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return d;
}

static void assert_same(const uint8_t *got, size_t glen, const uint8_t *want, size_t wlen, const char *what)
{
	size_t i = 0;
	while (i < glen && i < wlen && got[i] == want[i])
		i++;
	ck_assert_msg(glen == wlen && i == wlen, "%s: %zu octets, want %zu; first difference at %zu", what, glen,
	              wlen, i);
}

/* The reference stream is made after the child that reads the pipe has
 * exited: a forked child must not inherit it (under valgrind the child's
 * own leak check would count it and fail the child's exit status). */
START_TEST(test_writer_nb_pipe_stalling_reader)
{
	for (unsigned seed = 1; seed <= 3; seed++) {
		int p[2];
		ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
		fcntl(p[1], F_SETPIPE_SZ, 4096);
		int fl = fcntl(p[0], F_GETFL);
		fcntl(p[0], F_SETFL, fl & ~O_NONBLOCK);   /* only the writer's end is non-blocking */
		char out[] = "/tmp/check_writer_nb_XXXXXX";
		int tfd = mkstemp(out);
		ck_assert_int_ge(tfd, 0);
		close(tfd);
		pid_t pid = stalling_reader(p[0], p[1], out, seed);
		close(p[0]);

		agains = 0;
		migstream_writer *w = migstream_writer_new();
		ck_assert_int_eq(migstream_writer_open_fd(w, p[1]), 0);
		write_stream(w);
		finish(w);
		migstream_writer_free(w);
		close(p[1]);
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reader status %d", st);
		/* A pipe of 4 KiB and a stalling reader: the writer must have met
		 * EAGAIN, or this test proves nothing. */
		ck_assert_int_gt(agains, 0);
		size_t glen, rlen;
		uint8_t *got = slurp(out, &glen);
		unlink(out);
		uint8_t *ref = reference(&rlen);
		assert_same(got, glen, ref, rlen, "non-blocking pipe");
		free(got);
		free(ref);
	}
}
END_TEST

/* ------------------------------------------------------------ a callback that would block */

struct cb {
	uint8_t *data;
	size_t len, cap;
	unsigned calls;
	unsigned seed;
};

static int64_t cb_writev(void *ctx, const struct iovec *iov, int cnt)
{
	struct cb *c = ctx;
	c->calls++;
	if (rand_r(&c->seed) % 3 == 0)
		return -EAGAIN;
	size_t room = 1 + (size_t)rand_r(&c->seed) % 9000, done = 0;
	for (int i = 0; i < cnt && done < room; i++) {
		size_t n = iov[i].iov_len < room - done ? iov[i].iov_len : room - done;
		if (c->len + n > c->cap) {
			c->cap = (c->len + n) * 2;
			c->data = realloc(c->data, c->cap);
			if (!c->data)
				return -ENOMEM;
		}
		memcpy(c->data + c->len, iov[i].iov_base, n);
		c->len += n;
		done += n;
	}
	return done ? (int64_t)done : -EAGAIN;
}

START_TEST(test_writer_nb_callback_eagain)
{
	size_t rlen;
	uint8_t *ref = reference(&rlen);
	struct cb c = { NULL, 0, 0, 0, 7 };
	migstream_write_io io = { cb_writev, NULL };
	agains = 0;
	migstream_writer *w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_open_io(w, &io, sizeof io, &c), 0);
	int fd;
	short ev;
	ck_assert_int_eq(migstream_writer_get_poll(w, &fd, &ev), 0);
	ck_assert_int_eq(fd, -1);
	write_stream(w);
	finish(w);
	migstream_writer_free(w);
	ck_assert_int_gt(agains, 0);
	assert_same(c.data, c.len, ref, rlen, "callback sink");
	free(c.data);
	free(ref);
}
END_TEST

/* ------------------------------------------------------------ the contract */

/* After E_AGAIN: puts are refused (E_STATE, not sticky, nothing written),
 * offset counts the accepted record, close returns E_AGAIN and leaves the
 * writer open; once drained everything goes on. */
START_TEST(test_writer_nb_pending_contract)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	migstream_writer *w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_RAW, 1), 0);
	ck_assert_int_eq(migstream_writer_open_fd(w, p[1]), 0);
	migstream_image_header ih;
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	ck_assert_int_eq(migstream_writer_put_image_header(w, &ih, sizeof ih), 0);
	migstream_domain_header dh;
	memset(&dh, 0, sizeof dh);
	dh.type = MIGSTREAM_DOMAIN_X86_HVM;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = 17;
	ck_assert_int_eq(migstream_writer_put_domain_header(w, &dh, sizeof dh), 0);
	ck_assert_int_eq(migstream_writer_put_static_data_end(w), 0);
	/* 16 pages into a 4 KiB pipe nobody reads: E_AGAIN, all accepted. */
	uint64_t pfns[16];
	uint32_t types[16];
	const void *pp[16];
	for (int i = 0; i < 16; i++) {
		pfns[i] = (uint64_t)i;
		types[i] = 0;
		pp[i] = pages[0][i];
		memset(pages[0][i], i + 1, 4096);
	}
	uint64_t before = migstream_writer_offset(w);
	ck_assert_int_eq(migstream_writer_put_page_data(w, 16, pfns, types, pp), MIGSTREAM_E_AGAIN);
	uint64_t rec = 8 + 8 + 16 * 8 + 16 * 4096;   /* header, count, pfns, pages */
	ck_assert_uint_eq(migstream_writer_offset(w), before + rec);
	uint64_t pend = migstream_writer_pending(w);
	ck_assert_uint_gt(pend, 0);
	ck_assert_uint_le(pend, rec);
	int fd;
	short ev;
	ck_assert_int_eq(migstream_writer_get_poll(w, &fd, &ev), 0);
	ck_assert_int_eq(fd, p[1]);
	ck_assert_int_eq(ev, POLLOUT);
	/* A put now is a misuse, not a failure. */
	ck_assert_int_eq(migstream_writer_put_end(w), MIGSTREAM_E_STATE);
	ck_assert_ptr_nonnull(strstr(migstream_writer_errmsg(w), "migstream_writer_flush"));
	ck_assert_uint_eq(migstream_writer_pending(w), pend);
	ck_assert_int_eq(migstream_writer_flush(w), MIGSTREAM_E_AGAIN);
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_AGAIN);
	ck_assert_uint_eq(migstream_writer_pending(w), pend);
	/* Drain the pipe into a buffer while flushing. */
	static uint8_t got[1 << 20];
	size_t glen = 0;
	int rc;
	while ((rc = migstream_writer_flush(w)) == MIGSTREAM_E_AGAIN) {
		ssize_t n = read(p[0], got + glen, sizeof got - glen);
		ck_assert_int_gt(n, 0);
		glen += (size_t)n;
	}
	ck_assert_int_eq(rc, 0);
	/* The pipe may still be full: END can wait too. */
	rc = migstream_writer_put_end(w);
	ck_assert_msg(rc == 0 || rc == MIGSTREAM_E_AGAIN, "put_end: %d", rc);
	while ((rc = migstream_writer_close(w)) == MIGSTREAM_E_AGAIN) {
		ssize_t n = read(p[0], got + glen, sizeof got - glen);
		ck_assert_int_gt(n, 0);
		glen += (size_t)n;
	}
	ck_assert_int_eq(rc, 0);
	migstream_writer_free(w);
	close(p[1]);
	ssize_t n;
	while ((n = read(p[0], got + glen, sizeof got - glen)) > 0)
		glen += (size_t)n;
	close(p[0]);
	/* What came out is the stream a memory sink gets from the same calls. */
	migstream_writer *m = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_set_option(m, MIGSTREAM_OPT_RAW, 1), 0);
	ck_assert_int_eq(migstream_writer_open_memory(m), 0);
	ck_assert_int_eq(migstream_writer_put_image_header(m, &ih, sizeof ih), 0);
	ck_assert_int_eq(migstream_writer_put_domain_header(m, &dh, sizeof dh), 0);
	ck_assert_int_eq(migstream_writer_put_static_data_end(m), 0);
	ck_assert_int_eq(migstream_writer_put_page_data(m, 16, pfns, types, pp), 0);
	ck_assert_int_eq(migstream_writer_put_end(m), 0);
	const void *d;
	size_t dlen;
	ck_assert_int_eq(migstream_writer_get_memory(m, &d, &dlen), 0);
	assert_same(got, glen, d, dlen, "after E_AGAIN, E_STATE and flushes");
	ck_assert_uint_eq(glen, before + rec + 8);
	ck_assert_int_eq(migstream_writer_close(m), 0);
	migstream_writer_free(m);
}
END_TEST

/* The reader goes away while octets are pending: flush fails with E_IO
 * (EPIPE), stickily, and what the reader got is a prefix. */
START_TEST(test_writer_nb_flush_fails)
{
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	migstream_writer *w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_open_fd(w, p[1]), 0);
	migstream_image_header ih;
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	ck_assert_int_eq(migstream_writer_put_image_header(w, &ih, sizeof ih), 0);
	migstream_domain_header dh;
	memset(&dh, 0, sizeof dh);
	dh.type = MIGSTREAM_DOMAIN_X86_HVM;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = 17;
	ck_assert_int_eq(migstream_writer_put_domain_header(w, &dh, sizeof dh), 0);
	ck_assert_int_eq(migstream_writer_put_static_data_end(w), 0);
	uint64_t pfns[8];
	uint32_t types[8];
	const void *pp[8];
	for (int i = 0; i < 8; i++) {
		pfns[i] = (uint64_t)i;
		types[i] = 0;
		pp[i] = pages[1][i];
	}
	ck_assert_int_eq(migstream_writer_put_page_data(w, 8, pfns, types, pp), MIGSTREAM_E_AGAIN);
	close(p[0]);
	ck_assert_int_eq(migstream_writer_flush(w), MIGSTREAM_E_IO);
	ck_assert_int_eq(migstream_writer_flush(w), MIGSTREAM_E_IO);
	ck_assert_int_eq(migstream_writer_put_end(w), MIGSTREAM_E_IO);
	migstream_diag d;
	ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_IO);
	migstream_writer_free(w);
	close(p[1]);
}
END_TEST

/* With MIGSTREAM_OPT_WAIT the writer polls: never E_AGAIN (1.0's blocking
 * behaviour for non-blocking fds). */
START_TEST(test_writer_nb_wait_option_polls)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	fcntl(p[1], F_SETPIPE_SZ, 4096);
	int fl = fcntl(p[0], F_GETFL);
	fcntl(p[0], F_SETFL, fl & ~O_NONBLOCK);
	char out[] = "/tmp/check_writer_nb_XXXXXX";
	int tfd = mkstemp(out);
	ck_assert_int_ge(tfd, 0);
	close(tfd);
	pid_t pid = stalling_reader(p[0], p[1], out, 11);
	close(p[0]);
	agains = 0;
	migstream_writer *w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_WAIT, 1), 0);
	ck_assert_int_eq(migstream_writer_open_fd(w, p[1]), 0);
	write_stream(w);
	finish(w);
	migstream_writer_free(w);
	close(p[1]);
	ck_assert_int_eq(agains, 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	size_t glen, rlen;
	uint8_t *got = slurp(out, &glen);
	unlink(out);
	uint8_t *ref = reference(&rlen);
	assert_same(got, glen, ref, rlen, "MIGSTREAM_OPT_WAIT");
	free(got);
	free(ref);
}
END_TEST

static Suite *nb_suite(void)
{
	Suite *s = suite_create("writer_nb");
	TCase *tc = tcase_create("nonblocking");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_writer_nb_pipe_stalling_reader);
	tcase_add_test(tc, test_writer_nb_callback_eagain);
	tcase_add_test(tc, test_writer_nb_pending_contract);
	tcase_add_test(tc, test_writer_nb_flush_fails);
	tcase_add_test(tc, test_writer_nb_wait_option_polls);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nb_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
