/*
 * check_reader: the reader's sources, lazy page contents, typed accessors,
 * error recovery, options and I/O failures.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <migstream.h>
#include "testutil.h"

/* ------------------------------------------------------------ streams */

/* An HVM v3 stream with three PAGE_DATA records mixing data and no-data
 * entries, an optional record, TSC, context and params. */
static void build_hvm(tbuf *b, int be)
{
	static const uint64_t e1[] = { 0x10, 0x11, 0xFull << 60 | 0x12, 0x13 };
	static const uint64_t e2[] = { 0xFull << 60 | 0x20, 0xDull << 60 | 0x21 };
	uint64_t e3[300];
	for (unsigned i = 0; i < 300; i++)
		e3[i] = 0x1000 + i;
	static const uint64_t params[] = { 1, 0x10, 5, 0x11 };

	tb_init(b);
	tb_image_header(b, 3, be);
	tb_domain_header(b, 2, 4, 17);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_page_data(b, 4, e1, 0xA0);
	tb_record(b, 0x80000007u, "opt", 3);
	tb_page_data(b, 2, e2, 0xB0);
	tb_page_data(b, 300, e3, 0x30);
	tb_tsc_info(b, 1, 1000000, 42, 3);
	tb_hvm_context_min(b);
	tb_hvm_params(b, 2, params);
	tb_empty(b, MIGSTREAM_REC_END);
}

static int page_is(const uint8_t *p, uint8_t v)
{
	for (unsigned i = 0; i < 4096; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Fill byte tb_page_data used for entry i of a record with fill f. */
static uint8_t fill_of(uint8_t f, uint32_t i)
{
	return (uint8_t)(f ^ (i & 0xFFu));
}

static uint8_t record_fill(uint32_t pd)
{
	return pd == 0 ? 0xA0 : pd == 1 ? 0xB0 : 0x30;
}

/* ------------------------------------------------------------ tests */

/* Every source: get_page gives the right page for every data entry. */
START_TEST(test_reader_get_page_every_source)
{
	tbuf b;
	build_hvm(&b, 0);
	migstream_reader *r = migstream_reader_new();
	t_source *s = t_open_source(r, _i, b.data, b.len);
	ck_assert_ptr_nonnull(s);
	const migstream_record *rec;
	int rc;
	uint32_t pd = 0, pages = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		if (migstream_record_type(rec) != MIGSTREAM_REC_PAGE_DATA)
			continue;
		uint32_t n, nd;
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_int_eq(migstream_record_data_page_count(rec, &nd), 0);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t pfn;
			uint32_t type;
			const void *page;
			ck_assert_int_eq(migstream_record_get_page(rec, i, &pfn, &type, &page), 0);
			if (migstream_page_type_has_data(type)) {
				ck_assert_ptr_nonnull(page);
				ck_assert_msg(page_is(page, fill_of(record_fill(pd), i)), "%s: record %u entry %u",
				              t_src_name(_i), pd, i);
				pages++;
			} else {
				ck_assert_ptr_null(page);
			}
		}
		ck_assert_int_eq(migstream_record_get_page(rec, n, NULL, NULL, NULL), MIGSTREAM_E_RANGE);
		pd++;
	}
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(pd, 3);
	ck_assert_uint_eq(pages, 3 + 0 + 300);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* Restore-style: read_pages into caller buffers, in varying batches, part
 * of a record only (the rest is skipped), over every source. */
START_TEST(test_reader_read_pages_every_source)
{
	tbuf b;
	build_hvm(&b, 0);
	migstream_reader *r = migstream_reader_new();
	t_source *s = t_open_source(r, _i, b.data, b.len);
	const migstream_record *rec;
	static uint8_t buf[300][4096];
	void *ptrs[300];
	for (int i = 0; i < 300; i++)
		ptrs[i] = buf[i];
	int rc;
	uint32_t pd = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		if (migstream_record_type(rec) != MIGSTREAM_REC_PAGE_DATA)
			continue;
		uint32_t nd;
		ck_assert_int_eq(migstream_record_data_page_count(rec, &nd), 0);
		if (pd == 0) {
			/* 3 data pages: entries 0, 1, 3.  Read 1, then 1, skip the last. */
			ck_assert_int_eq(migstream_reader_read_pages(r, ptrs, 1), 0);
			ck_assert(page_is(buf[0], fill_of(0xA0, 0)));
			ck_assert_int_eq(migstream_reader_read_pages(r, ptrs, 1), 0);
			ck_assert(page_is(buf[0], fill_of(0xA0, 1)));
			ck_assert_int_eq(migstream_reader_read_pages(r, ptrs, 2), MIGSTREAM_E_RANGE);
		} else if (pd == 1) {
			ck_assert_uint_eq(nd, 0);
			ck_assert_int_eq(migstream_reader_read_pages(r, ptrs, 1), MIGSTREAM_E_RANGE);
		} else {
			ck_assert_uint_eq(nd, 300);
			ck_assert_int_eq(migstream_reader_read_pages(r, ptrs, 7), 0);
			ck_assert_int_eq(migstream_reader_read_pages(r, ptrs + 7, 293), 0);
			for (uint32_t i = 0; i < 300; i++)
				ck_assert_msg(page_is(buf[i], fill_of(0x30, i)), "%s page %u", t_src_name(_i), i);
		}
		pd++;
	}
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_int_eq(migstream_reader_read_pages(r, ptrs, 1), MIGSTREAM_E_STATE);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* From a stream, pages handed to read_pages cannot be viewed again. */
START_TEST(test_reader_get_page_after_read_pages)
{
	tbuf b;
	build_hvm(&b, 0);
	migstream_reader *r = migstream_reader_new();
	t_source *s = t_open_source(r, T_SRC_FILE, b.data, b.len);
	const migstream_record *rec;
	uint8_t page[4096];
	void *p = page;
	do
		ck_assert_int_eq(migstream_reader_next(r, &rec), 0);
	while (migstream_record_type(rec) != MIGSTREAM_REC_PAGE_DATA);
	ck_assert_int_eq(migstream_reader_read_pages(r, &p, 1), 0);
	const void *view;
	ck_assert_int_eq(migstream_record_get_page(rec, 1, NULL, NULL, &view), MIGSTREAM_E_STATE);
	/* pfn and type stay available. */
	uint64_t pfn;
	ck_assert_int_eq(migstream_record_get_pfn(rec, 1, &pfn, NULL), 0);
	ck_assert_uint_eq(pfn, 0x11);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* Memory sources are zero-copy: views point into the caller's buffer. */
START_TEST(test_reader_memory_zero_copy)
{
	tbuf b;
	build_hvm(&b, 0);
	migstream_reader *r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_memory(r, b.data, b.len), 0);
	const migstream_record *rec;
	int seen = 0;
	while (migstream_reader_next(r, &rec) == 0) {
		size_t len;
		const uint8_t *body = migstream_record_body(rec, &len);
		ck_assert(body >= b.data && body + len <= b.data + b.len);
		ck_assert_uint_eq(len, migstream_record_length(rec));
		ck_assert_ptr_eq(body - 8, b.data + migstream_record_offset(rec));
		if (migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA && !seen++) {
			const void *page;
			ck_assert_int_eq(migstream_record_get_page(rec, 3, NULL, NULL, &page), 0);
			ck_assert_ptr_eq(page, body + 8 + 4 * 8 + 2 * 4096);
		}
	}
	migstream_reader_free(r);
	tb_free(&b);
}
END_TEST

/* A big-endian stream reads back to the same values and pages as its
 * little-endian twin (IHDR-5). */
START_TEST(test_reader_big_endian_twin)
{
	tbuf le, be;
	build_hvm(&le, 0);
	build_hvm(&be, 1);
	ck_assert_uint_eq(le.len, be.len);
	ck_assert(memcmp(le.data, be.data, le.len) != 0);
	migstream_reader *a = migstream_reader_new(), *z = migstream_reader_new();
	t_source *sa = t_open_source(a, T_SRC_MEMORY, le.data, le.len);
	t_source *sz = t_open_source(z, _i, be.data, be.len);
	migstream_domain_header da, dz;
	ck_assert_int_eq(migstream_reader_read_headers(a), 0);
	ck_assert_int_eq(migstream_reader_read_headers(z), 0);
	ck_assert_int_eq(migstream_reader_get_domain_header(a, &da, sizeof da), 0);
	ck_assert_int_eq(migstream_reader_get_domain_header(z, &dz, sizeof dz), 0);
	ck_assert_int_eq(memcmp(&da, &dz, sizeof da), 0);
	const migstream_record *ra, *rz;
	int rca, rcz;
	for (;;) {
		rca = migstream_reader_next(a, &ra);
		rcz = migstream_reader_next(z, &rz);
		ck_assert_int_eq(rca, rcz);
		if (rca)
			break;
		uint32_t t = migstream_record_type(ra);
		ck_assert_uint_eq(t, migstream_record_type(rz));
		ck_assert_uint_eq(migstream_record_length(ra), migstream_record_length(rz));
		ck_assert_uint_eq(migstream_record_offset(ra), migstream_record_offset(rz));
		uint32_t na = 0, nz = 0;
		if (migstream_record_count(ra, &na) == 0) {
			ck_assert_int_eq(migstream_record_count(rz, &nz), 0);
			ck_assert_uint_eq(na, nz);
		}
		if (t == MIGSTREAM_REC_PAGE_DATA) {
			for (uint32_t i = 0; i < na; i++) {
				uint64_t pa, pz;
				uint32_t ta, tz;
				const void *ga, *gz;
				ck_assert_int_eq(migstream_record_get_page(ra, i, &pa, &ta, &ga), 0);
				ck_assert_int_eq(migstream_record_get_page(rz, i, &pz, &tz, &gz), 0);
				ck_assert_uint_eq(pa, pz);
				ck_assert_uint_eq(ta, tz);
				ck_assert((ga == NULL) == (gz == NULL));
				if (ga)
					ck_assert_int_eq(memcmp(ga, gz, 4096), 0);
			}
		} else if (t == MIGSTREAM_REC_X86_TSC_INFO) {
			migstream_tsc_info x, y;
			ck_assert_int_eq(migstream_record_get_tsc_info(ra, &x, sizeof x), 0);
			ck_assert_int_eq(migstream_record_get_tsc_info(rz, &y, sizeof y), 0);
			ck_assert_int_eq(memcmp(&x, &y, sizeof x), 0);
			ck_assert_uint_eq(y.khz, 1000000);
			ck_assert_uint_eq(y.nsec, 42);
		} else if (t == MIGSTREAM_REC_HVM_PARAMS) {
			for (uint32_t i = 0; i < na; i++) {
				uint64_t ia, va, iz, vz;
				ck_assert_int_eq(migstream_record_get_hvm_param(ra, i, &ia, &va), 0);
				ck_assert_int_eq(migstream_record_get_hvm_param(rz, i, &iz, &vz), 0);
				ck_assert_uint_eq(ia, iz);
				ck_assert_uint_eq(va, vz);
			}
		} else if (t == MIGSTREAM_REC_HVM_CONTEXT || (t & MIGSTREAM_REC_OPTIONAL)) {
			const void *x, *y;
			size_t lx, ly;
			ck_assert_int_eq(migstream_record_get_blob(ra, &x, &lx), 0);
			ck_assert_int_eq(migstream_record_get_blob(rz, &y, &ly), 0);
			ck_assert_uint_eq(lx, ly);
			ck_assert_int_eq(memcmp(x, y, lx), 0);   /* blobs are never swapped */
		}
	}
	ck_assert_int_eq(rca, MIGSTREAM_EOF);
	migstream_reader_free(a);
	migstream_reader_free(z);
	t_close_source(sa);
	t_close_source(sz);
	tb_free(&le);
	tb_free(&be);
}
END_TEST

/* Restore mode: a bad record is reported and reading continues after it. */
START_TEST(test_reader_continue_after_record_error)
{
	tbuf b;
	static const uint64_t bad[] = { 0x5ull << 60 | 0x40 };
	build_hvm(&b, 0);
	tbuf ins;
	tb_init(&ins);
	tb_page_data(&ins, 1, bad, 0);   /* type 0x5 has no data in the builder: 16-octet body */
	size_t at = 0x28 + 8;            /* after STATIC_DATA_END */
	tb_insert(&b, at, ins.data, ins.len);
	migstream_reader *r = migstream_reader_new();
	t_source *s = t_open_source(r, _i, b.data, b.len);
	const migstream_record *rec;
	int rc, errors = 0, recs = 0;
	while ((rc = migstream_reader_next(r, &rec)) != MIGSTREAM_EOF) {
		if (rc < 0) {
			ck_assert_int_eq(rc, MIGSTREAM_E_PAGE_TYPE);
			ck_assert(!migstream_error_is_fatal(rc));
			ck_assert_ptr_null(rec);
			migstream_diag d;
			ck_assert_int_eq(migstream_reader_error(r, &d, sizeof d), 0);
			ck_assert_str_eq(d.rule, "PAGE-6");
			ck_assert_uint_eq(d.offset, at);
			ck_assert_uint_eq(d.record_index, 1);
			ck_assert(strstr(migstream_reader_errmsg(r), "PAGE-6: libxc record 1 (PAGE_DATA") != NULL);
			errors++;
			continue;
		}
		recs++;
	}
	ck_assert_int_eq(errors, 1);
	ck_assert_int_eq(recs, 9);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&ins);
	tb_free(&b);
}
END_TEST

/* Lax mode: bad records are delivered and counted; the stream reads on. */
START_TEST(test_reader_lax_delivers_bad_records)
{
	tbuf b;
	build_hvm(&b, 0);
	/* PAGE_DATA count claims more entries than the body holds (PAGE-3). */
	tb_put_se32(&b, 0x30 + 8, 1000);
	migstream_reader *r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_LAX), 0);
	t_source *s = t_open_source(r, _i, b.data, b.len);
	const migstream_record *rec;
	int rc, recs = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		recs++;
		if (migstream_record_offset(rec) == 0x30) {
			uint32_t n, nd;
			ck_assert_int_eq(migstream_record_count(rec, &n), 0);
			ck_assert_uint_le(n, (migstream_record_length(rec) - 8) / 8);
			ck_assert_int_eq(migstream_record_data_page_count(rec, &nd), 0);
			ck_assert_uint_eq(nd, 0);
			const void *pg;
			for (uint32_t i = 0; i < n; i++)
				ck_assert_int_eq(migstream_record_get_page(rec, i, NULL, NULL, &pg), 0);
		}
	}
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_int_eq(recs, 9);
	ck_assert_uint_eq(migstream_reader_count(r, MIGSTREAM_SEV_ERROR), 1);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* A fatal error is sticky. */
START_TEST(test_reader_fatal_is_sticky)
{
	tbuf b;
	build_hvm(&b, 0);
	migstream_reader *r = migstream_reader_new();
	t_source *s = t_open_source(r, _i, b.data, b.len - 3);
	const migstream_record *rec;
	int rc;
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		;
	ck_assert_int_eq(rc, MIGSTREAM_E_TRUNCATED);
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_TRUNCATED);
	ck_assert_int_eq(migstream_reader_read_headers(r), MIGSTREAM_E_TRUNCATED);
	migstream_diag d;
	ck_assert_int_eq(migstream_reader_error(r, &d, sizeof d), 0);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* REC-2 with a configured cap below the record: reported from the header. */
START_TEST(test_reader_record_cap_option)
{
	tbuf b;
	tb_init(&b);
	tb_vector_v1(&b);
	migstream_reader *r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, 4096), 0);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, 0x08000001), MIGSTREAM_E_INVAL);
	t_source *s = t_open_source(r, _i, b.data, b.len);
	const migstream_record *rec;
	int rc;
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		;
	ck_assert_int_eq(rc, MIGSTREAM_E_TOO_LONG);
	migstream_diag d;
	migstream_reader_error(r, &d, sizeof d);
	ck_assert_str_eq(d.rule, "REC-2");
	ck_assert_uint_eq(d.offset, V1_OFF_PAGE_DATA);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* Channel mode (ORDER-1): stop after END; what follows is the caller's. */
START_TEST(test_reader_channel_leaves_trailing)
{
	tbuf b;
	tb_init(&b);
	tb_vector_v1(&b);
	static const char tail[] = "xl migration protocol message";
	tb_bytes(&b, tail, sizeof tail);
	migstream_reader *r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1), 0);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], b.data, b.len), (ssize_t)b.len);
	close(fds[1]);
	ck_assert_int_eq(migstream_reader_open_fd(r, fds[0]), 0);
	const migstream_record *rec;
	int rc;
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		;
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_uint_eq(migstream_reader_offset(r), V1_SIZE);
	const void *t;
	size_t tl;
	ck_assert_int_eq(migstream_reader_trailing(r, &t, &tl), 0);
	char rest[256];
	memcpy(rest, t, tl);
	ssize_t more = read(fds[0], rest + tl, sizeof rest - tl);
	ck_assert_int_ge(more, 0);
	ck_assert_uint_eq(tl + (size_t)more, sizeof tail);
	ck_assert_int_eq(memcmp(rest, tail, sizeof tail), 0);
	migstream_reader_free(r);
	close(fds[0]);
	tb_free(&b);
}
END_TEST

/* EINTR: reads interrupted by a signal are retried. */
static void on_alarm(int sig) { (void)sig; }

START_TEST(test_reader_fd_eintr)
{
	tbuf b;
	build_hvm(&b, 0);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		for (size_t off = 0; off < b.len; off += 4096) {
			size_t n = b.len - off < 4096 ? b.len - off : 4096;
			if (write(fds[1], b.data + off, n) < 0)
				_exit(1);
			usleep(2000);
		}
		_exit(0);
	}
	close(fds[1]);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;     /* no SA_RESTART: read() returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	/* Every 5 ms: many reads are interrupted, and valgrind keeps up. */
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	migstream_reader *r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_fd(r, fds[0]), 0);
	const migstream_record *rec;
	int rc, recs = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		recs++;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	ck_assert_msg(rc == MIGSTREAM_EOF, "%s", migstream_reader_errmsg(r));
	ck_assert_int_eq(recs, 9);
	migstream_reader_free(r);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	tb_free(&b);
}
END_TEST

/* An I/O error from a callback reaches the caller with its errno. */
struct failing { const uint8_t *data; size_t len, pos, fail_at; };
static int64_t failing_read(void *ctx, void *buf, size_t len)
{
	struct failing *f = ctx;
	if (f->pos >= f->fail_at)
		return -EIO;
	size_t n = f->fail_at - f->pos;
	if (n > len)
		n = len;
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (int64_t)n;
}
static int closed_count;
static int failing_close(void *ctx) { (void)ctx; closed_count++; return 0; }

START_TEST(test_reader_io_error_reported)
{
	tbuf b;
	build_hvm(&b, 0);
	size_t at[] = { 0, 10, 24, 45, 0x30 + 100, 5000, b.len - 1 };
	for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
		struct failing f = { b.data, b.len, 0, at[k] };
		migstream_read_io io = { failing_read, NULL, failing_close };
		migstream_reader *r = migstream_reader_new();
		closed_count = 0;
		ck_assert_int_eq(migstream_reader_open_io(r, &io, sizeof io, &f), 0);
		const migstream_record *rec;
		int rc;
		while ((rc = migstream_reader_next(r, &rec)) == 0)
			;
		ck_assert_int_eq(rc, MIGSTREAM_E_IO);
		ck_assert(migstream_error_is_fatal(rc));
		migstream_diag d;
		migstream_reader_error(r, &d, sizeof d);
		ck_assert_int_eq(d.sys_errno, EIO);
		ck_assert_int_eq(d.code, MIGSTREAM_E_IO);
		ck_assert_int_eq(migstream_reader_close(r), 0);
		ck_assert_int_eq(closed_count, 1);
		ck_assert_int_eq(migstream_reader_close(r), MIGSTREAM_E_STATE);
		migstream_reader_free(r);
		ck_assert_int_eq(closed_count, 1);
	}
	tb_free(&b);
}
END_TEST


/* The read and skip callbacks' contract (reader.h): 0..len octets or
 * -errno (1..4095); -EINTR is retried, -EAGAIN is E_IO (the reader needs
 * a blocking source); any other value is E_IO with EINVAL and a message
 * quoting it, never negated (INT64_MIN negated is undefined behaviour). */
struct odd_src { const uint8_t *data; size_t len, pos; int calls; int64_t odd; int skip_odd; };
static int64_t odd_read(void *ctx, void *buf, size_t len)
{
	struct odd_src *o = ctx;
	/* The odd value once the stream's first 100 octets are delivered
	 * (-EINTR only once), so the headers are read first. */
	if (!o->skip_odd && o->pos >= 100 && o->calls++ == 0)
		return o->odd;
	if (o->odd == -EINTR && o->pos >= 100 && o->calls++ < 3)
		return -EINTR;
	size_t n = o->len - o->pos < len ? o->len - o->pos : len;
	if (n > 16)
		n = 16;                   /* short reads: many calls */
	memcpy(buf, o->data + o->pos, n);
	o->pos += n;
	return (int64_t)n;
}
static int64_t odd_skip(void *ctx, uint64_t len)
{
	struct odd_src *o = ctx;
	(void)len;
	return o->odd;
}

START_TEST(test_reader_io_callback_contract)
{
	static const int64_t odd[] = { INT64_MIN, -1, -EINTR, -EAGAIN, -4096, -5000, (int64_t)1 << 40,
	                               INT64_MAX, -ENOSPC };
	tbuf b;
	build_hvm(&b, 0);
	for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
		for (int via_skip = 0; via_skip < 2; via_skip++) {
			if (via_skip && odd[k] == -EINTR)
				continue;         /* retried for as long as it is returned */
			struct odd_src o = { b.data, b.len, 0, 0, odd[k], via_skip };
			migstream_read_io io = { odd_read, via_skip ? odd_skip : NULL, NULL };
			migstream_reader *r = migstream_reader_new();
			const migstream_record *rec;
			migstream_diag d;
			int rc;

			ck_assert_int_eq(migstream_reader_open_io(r, &io, sizeof io, &o), 0);
			while ((rc = migstream_reader_next(r, &rec)) == 0)
				;
			migstream_reader_error(r, &d, sizeof d);
			if (odd[k] == -EINTR && !via_skip) {
				ck_assert_msg(rc == MIGSTREAM_EOF, "-EINTR: %s", migstream_reader_errmsg(r));
			} else {
				ck_assert_msg(rc == MIGSTREAM_E_IO, "value %lld (skip %d): %s", (long long)odd[k],
				              via_skip, migstream_error_name(rc));
				ck_assert(migstream_error_is_fatal(rc));
				ck_assert_str_ne(migstream_reader_errmsg(r), "");
				if (odd[k] >= -4095 && odd[k] < 0) {
					ck_assert_int_eq(d.sys_errno, (int)-odd[k]);
				} else {
					char want[64];
					ck_assert_int_eq(d.sys_errno, EINVAL);
					snprintf(want, sizeof want, "returned %lld", (long long)odd[k]);
					ck_assert_msg(strstr(migstream_reader_errmsg(r), want), "%s",
					              migstream_reader_errmsg(r));
					ck_assert_ptr_nonnull(strstr(migstream_reader_errmsg(r),
					                             via_skip ? "skip callback" : "read callback"));
				}
			}
			migstream_reader_free(r);
		}
	}
	tb_free(&b);
}
END_TEST

START_TEST(test_reader_open_path)
{
	migstream_reader *r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_open_path(r, "/nonexistent/stream"), MIGSTREAM_E_IO);
	migstream_diag d;
	migstream_reader_error(r, &d, sizeof d);
	ck_assert_int_eq(d.sys_errno, ENOENT);
	migstream_reader_free(r);

	tbuf b;
	tb_init(&b);
	tb_vector_v2(&b);
	char path[] = "/tmp/migstream-path-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	r = migstream_reader_new();
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_STRICT), 0);
	ck_assert_int_eq(migstream_reader_open_path(r, path), 0);
	const migstream_record *rec;
	int rc, recs = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0)
		recs++;
	ck_assert_int_eq(rc, MIGSTREAM_EOF);
	ck_assert_int_eq(recs, 8);
	migstream_reader_free(r);
	unlink(path);
	tb_free(&b);
}
END_TEST

/* Headers: values, and not before they are read. */
START_TEST(test_reader_headers)
{
	tbuf b;
	tb_init(&b);
	tb_vector_v1(&b);
	migstream_reader *r = migstream_reader_new();
	t_source *s = t_open_source(r, _i, b.data, b.len);
	migstream_image_header ih;
	migstream_domain_header dh;
	ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_reader_read_headers(r), 0);
	ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
	ck_assert_uint_eq(ih.marker, UINT64_MAX);
	ck_assert_uint_eq(ih.id, 0x58454E46);
	ck_assert_uint_eq(ih.version, 3);
	ck_assert_uint_eq(ih.options, 0);
	ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh), 0);
	ck_assert_uint_eq(dh.type, MIGSTREAM_DOMAIN_X86_HVM);
	ck_assert_uint_eq(dh.page_shift, 12);
	ck_assert_uint_eq(dh.xen_major, 4);
	ck_assert_uint_eq(dh.xen_minor, 20);
	/* A smaller (older) struct gets a prefix. */
	migstream_domain_header small;
	memset(&small, 0xEE, sizeof small);
	ck_assert_int_eq(migstream_reader_get_domain_header(r, &small, 4), 0);
	ck_assert_uint_eq(small.type, 2);
	ck_assert_uint_eq(small.page_shift, 0xEEEE);
	uint32_t fmt;
	ck_assert_int_eq(migstream_reader_format(r, &fmt), 0);
	ck_assert_uint_eq(fmt, MIGSTREAM_FORMAT_LIBXC);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* Typed accessors of the PV records and of the CPU policy records. */
START_TEST(test_reader_pv_accessors)
{
	tbuf b;
	tb_init(&b);
	tb_image_header(&b, 3, 0);
	tb_domain_header(&b, 1, 4, 17);
	tb_x86_pv_info(&b, 8, 4);
	uint8_t cpuid[48];
	memset(cpuid, 0, sizeof cpuid);
	cpuid[0] = 7; cpuid[4] = 1; cpuid[8] = 0xAA;       /* leaf 7 sub 1, a = 0xaa */
	cpuid[24] = 0; memset(cpuid + 28, 0xFF, 4); cpuid[44] = 0x55;  /* leaf 0, d = 0x55 */
	tb_record(&b, MIGSTREAM_REC_X86_CPUID_POLICY, cpuid, sizeof cpuid);
	uint8_t msr[16] = { 0xCE, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0, 0, 0, 0, 0, 0 };
	tb_record(&b, MIGSTREAM_REC_X86_MSR_POLICY, msr, sizeof msr);
	tb_empty(&b, MIGSTREAM_REC_STATIC_DATA_END);
	uint64_t frames[1] = { 0 };
	tb_p2m_frames(&b, 0, 2, 1, frames);
	/* The L4 table first: the builder fills entry i with i, and an L4 page
	 * full of 0x01 octets would hold present entries (PV-32). */
	uint64_t e[3] = { 0xCull << 60 | 1, 0, 2 };
	tb_page_data(&b, 3, e, 0);
	uint8_t ctx[5168];
	memset(ctx, 0, sizeof ctx);
	ctx[616] = 2;
	ctx[5009] = 0x10;     /* cr3 = 0x1000 */
	tb_vcpu(&b, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, sizeof ctx);
	uint8_t ext[64];
	memset(ext, 0, sizeof ext);
	ext[4] = 64;
	tb_vcpu(&b, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ext, sizeof ext);
	uint8_t msrs[16] = { 0x48, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 };
	tb_vcpu(&b, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, msrs, sizeof msrs);
	uint8_t si[4096];
	memset(si, 0, sizeof si);
	tb_record(&b, MIGSTREAM_REC_SHARED_INFO, si, sizeof si);
	tb_empty(&b, MIGSTREAM_REC_END);

	t_result *res = calloc(1, sizeof *res);
	t_read_all(res, b.data, b.len, _i, MIGSTREAM_MODE_STRICT, NULL);
	ck_assert_msg(res->rc == MIGSTREAM_EOF, "%s", res->errmsg);
	free(res);

	migstream_reader *r = migstream_reader_new();
	t_source *s = t_open_source(r, _i, b.data, b.len);
	const migstream_record *rec;
	int rc;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		uint32_t t = migstream_record_type(rec), n;
		ck_assert_uint_eq(migstream_record_layer(rec), MIGSTREAM_LAYER_LIBXC);
		if (t == MIGSTREAM_REC_X86_PV_INFO) {
			migstream_x86_pv_info pi;
			ck_assert_int_eq(migstream_record_get_x86_pv_info(rec, &pi, sizeof pi), 0);
			ck_assert_uint_eq(pi.guest_width, 8);
			ck_assert_uint_eq(pi.pt_levels, 4);
			ck_assert_int_eq(migstream_record_count(rec, &n), MIGSTREAM_E_WRONG_TYPE);
		} else if (t == MIGSTREAM_REC_X86_CPUID_POLICY) {
			migstream_cpuid_leaf l;
			ck_assert_int_eq(migstream_record_count(rec, &n), 0);
			ck_assert_uint_eq(n, 2);
			ck_assert_int_eq(migstream_record_get_cpuid_leaf(rec, 0, &l, sizeof l), 0);
			ck_assert_uint_eq(l.leaf, 7);
			ck_assert_uint_eq(l.subleaf, 1);
			ck_assert_uint_eq(l.a, 0xAA);
			ck_assert_int_eq(migstream_record_get_cpuid_leaf(rec, 1, &l, sizeof l), 0);
			ck_assert_uint_eq(l.subleaf, 0xFFFFFFFF);
			ck_assert_uint_eq(l.d, 0x55);
			ck_assert_int_eq(migstream_record_get_cpuid_leaf(rec, 2, &l, sizeof l), MIGSTREAM_E_RANGE);
		} else if (t == MIGSTREAM_REC_X86_MSR_POLICY) {
			migstream_msr_entry m;
			ck_assert_int_eq(migstream_record_get_msr_entry(rec, 0, &m, sizeof m), 0);
			ck_assert_uint_eq(m.idx, 0xCE);
			ck_assert_uint_eq(m.flags, 0);
			ck_assert_uint_eq(m.val, 0x2211);
			ck_assert_int_eq(migstream_record_get_cpuid_leaf(rec, 0, NULL, 0), MIGSTREAM_E_INVAL);
		} else if (t == MIGSTREAM_REC_X86_PV_P2M_FRAMES) {
			uint32_t a, z;
			uint64_t f;
			ck_assert_int_eq(migstream_record_get_p2m_range(rec, &a, &z), 0);
			ck_assert_uint_eq(a, 0);
			ck_assert_uint_eq(z, 2);
			ck_assert_int_eq(migstream_record_count(rec, &n), 0);
			ck_assert_uint_eq(n, 1);
			ck_assert_int_eq(migstream_record_get_p2m_frame(rec, 0, &f), 0);
			ck_assert_uint_eq(f, 0);
			ck_assert_int_eq(migstream_record_get_p2m_frame(rec, 1, &f), MIGSTREAM_E_RANGE);
		} else if (t == MIGSTREAM_REC_X86_PV_VCPU_BASIC || t == MIGSTREAM_REC_X86_PV_VCPU_EXTENDED) {
			uint32_t id, rs;
			const void *c;
			size_t cl;
			ck_assert_int_eq(migstream_record_get_vcpu(rec, &id, &rs, &c, &cl), 0);
			ck_assert_uint_eq(id, 0);
			ck_assert_uint_eq(rs, 0);
			ck_assert_uint_eq(cl, t == MIGSTREAM_REC_X86_PV_VCPU_BASIC ? 5168 : 64);
			ck_assert_int_eq(memcmp(c, t == MIGSTREAM_REC_X86_PV_VCPU_BASIC ? (const void *)ctx
			                                                                : (const void *)ext, cl), 0);
			ck_assert_int_eq(migstream_record_get_blob(rec, &c, &cl), MIGSTREAM_E_WRONG_TYPE);
		} else if (t == MIGSTREAM_REC_X86_PV_VCPU_MSRS) {
			migstream_msr_entry m;
			ck_assert_int_eq(migstream_record_count(rec, &n), 0);
			ck_assert_uint_eq(n, 1);
			ck_assert_int_eq(migstream_record_get_vcpu_msr(rec, 0, &m, sizeof m), 0);
			ck_assert_uint_eq(m.idx, 0x48);
			ck_assert_uint_eq(m.val, 3);
		} else if (t == MIGSTREAM_REC_SHARED_INFO) {
			const void *c;
			size_t cl;
			ck_assert_int_eq(migstream_record_get_blob(rec, &c, &cl), 0);
			ck_assert_uint_eq(cl, 4096);
			migstream_tsc_info ti;
			ck_assert_int_eq(migstream_record_get_tsc_info(rec, &ti, sizeof ti), MIGSTREAM_E_WRONG_TYPE);
		}
	}
	ck_assert_msg(rc == MIGSTREAM_EOF, "%s", migstream_reader_errmsg(r));
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* The COLO back channel (headerless): CHECKPOINT_STATE 2, 3, 1 and the
 * dirty pfn list, twice; layers alternate (F 12.3). */
START_TEST(test_reader_dirty_pfn_list)
{
	tbuf b;
	tb_init(&b);
	uint8_t l[24];
	for (int i = 0; i < 24; i++)
		l[i] = (uint8_t)(i % 8 == 0 ? 0x10 + i / 8 : 0);
	for (int cycle = 0; cycle < 2; cycle++) {
		static const uint8_t ids[3] = { 2, 3, 1 };
		for (int i = 0; i < 3; i++) {
			uint8_t id[4] = { ids[i], 0, 0, 0 };
			tb_record(&b, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, id, 4);
		}
		tb_record(&b, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST, l, sizeof l);
	}
	migstream_reader *r = migstream_reader_new();
	migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK);
	t_source *s = t_open_source(r, _i, b.data, b.len);
	const migstream_record *rec;
	for (int cycle = 0; cycle < 2; cycle++) {
		static const uint32_t ids[3] = { 2, 3, 1 };
		for (int i = 0; i < 3; i++) {
			uint32_t id;
			ck_assert_int_eq(migstream_reader_next(r, &rec), 0);
			ck_assert_uint_eq(migstream_record_layer(rec), MIGSTREAM_LAYER_LIBXL);
			ck_assert_int_eq(migstream_record_get_checkpoint_state(rec, &id), 0);
			ck_assert_uint_eq(id, ids[i]);
		}
		ck_assert_int_eq(migstream_reader_next(r, &rec), 0);
		ck_assert_uint_eq(migstream_record_layer(rec), MIGSTREAM_LAYER_LIBXC);
		uint32_t n;
		uint64_t pfn;
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, 3);
		ck_assert_int_eq(migstream_record_get_dirty_pfn(rec, 2, &pfn), 0);
		ck_assert_uint_eq(pfn, 0x12);
		ck_assert_int_eq(migstream_record_get_dirty_pfn(rec, 3, &pfn), MIGSTREAM_E_RANGE);
	}
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_EOF);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&b);
}
END_TEST

/* Deep checks can be switched off: PV-32 (page contents) is then silent. */
START_TEST(test_reader_deep_off)
{
	tbuf b;
	tb_init(&b);
	tb_vector_v2(&b);
	/* L4 page of pfn 1 (second data page): entry 0 present, pfn 0x999. */
	size_t page1 = V2_OFF_PAGE_DATA + 8 + 8 + 3 * 8 + 4096;
	b.data[page1] = 0x01;
	b.data[page1 + 1] = 0x90;
	b.data[page1 + 2] = 0x99;
	t_result *res = calloc(1, sizeof *res);
	t_read_all(res, b.data, b.len, _i, MIGSTREAM_MODE_RESTORE, NULL);
	ck_assert_int_eq(res->rc, MIGSTREAM_E_CONSISTENCY);
	ck_assert_str_eq(res->err_rule, "PV-32");
	ck_assert_uint_eq(res->err.offset, V2_OFF_PAGE_DATA);
	memset(res, 0, sizeof *res);
	const uint64_t opts[] = { MIGSTREAM_OPT_DEEP, 0, 0 };
	t_read_all(res, b.data, b.len, _i, MIGSTREAM_MODE_STRICT, opts);
	ck_assert_msg(res->rc == MIGSTREAM_EOF, "%s", res->errmsg);
	ck_assert_ptr_null(t_find(&res->diags, "PV-32", -1));
	free(res);
	tb_free(&b);
}
END_TEST

/* A tiny pfn map budget: deep checks that need it stop, with a warning,
 * and never produce false errors. */
START_TEST(test_reader_pfn_map_budget)
{
	tbuf b;
	build_hvm(&b, 0);
	const uint64_t opts[] = { MIGSTREAM_OPT_MAX_PFN_MAP, 100, 0 };
	t_result *res = calloc(1, sizeof *res);
	t_read_all(res, b.data, b.len, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, opts);
	ck_assert_msg(res->rc == MIGSTREAM_EOF, "%s", res->errmsg);
	/* REC-5 for the optional record, and the map's budget note. */
	ck_assert_uint_eq(t_count(&res->diags, MIGSTREAM_SEV_WARNING), 2);
	ck_assert_ptr_nonnull(t_find(&res->diags, "REC-5", MIGSTREAM_SEV_WARNING));
	ck_assert_ptr_null(t_find(&res->diags, "HVM-11", -1));
	free(res);
	tb_free(&b);
}
END_TEST

static Suite *reader_suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("sources");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_reader_get_page_every_source, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_read_pages_every_source, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_big_endian_twin, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_continue_after_record_error, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_lax_delivers_bad_records, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_fatal_is_sticky, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_record_cap_option, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_headers, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_pv_accessors, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_reader_deep_off, 0, T_SRC_COUNT);
	tcase_add_test(tc, test_reader_get_page_after_read_pages);
	tcase_add_test(tc, test_reader_memory_zero_copy);
	tcase_add_loop_test(tc, test_reader_dirty_pfn_list, 0, T_SRC_COUNT);
	tcase_add_test(tc, test_reader_pfn_map_budget);
	suite_add_tcase(s, tc);
	TCase *io = tcase_create("io");
	tcase_set_timeout(io, 60);
	tcase_add_test(io, test_reader_channel_leaves_trailing);
	tcase_add_test(io, test_reader_fd_eintr);
	tcase_add_test(io, test_reader_io_error_reported);
	tcase_add_test(io, test_reader_io_callback_contract);
	tcase_add_test(io, test_reader_open_path);
	suite_add_tcase(s, io);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reader_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
