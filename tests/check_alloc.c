/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Suite "alloc", against the test build of the library
 * (tests/libmigstream-testing.la, -DMIGSTREAM_TESTING):
 *   - allocation failure: fail the n-th allocation, for n = 1, 2, ... until
 *     a run makes fewer than n allocations, while writing and while reading
 *     a whole xl save file (every layer); each failing run must end with
 *     MIGSTREAM_E_NOMEM (and the handle stays dead), never succeed with a
 *     failed allocation, never crash; leaks are found by the ASan and
 *     valgrind runs of this program;
 *   - hostile lengths: record lengths of 0xFFFFFFF8, counts of 0xFFFFFFFF,
 *     pfn arrays longer than the body, xenstore data without terminators,
 *     an xl optional_data_len of 0xFFFFFFF8, through every source type,
 *     with the default record cap and with a low one: the reader must fail
 *     without any single allocation above the cap plus a constant.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "streams.h"
#include "testutil.h"

/* The allocation-failure hook of the test library (lib/error.c). */
void migstream__test_alloc_fail_at(unsigned long n);
unsigned long migstream__test_alloc_count(void);
size_t migstream__test_alloc_max(void);

/* Allocations a reader may make beyond the record cap: for a memory
 * source, bookkeeping only; fd and callback sources also read ahead in
 * blocks of 1 MiB (lib/source.h MS_READ_BLOCK). */
#define SLACK_MEMORY ((size_t)64 * 1024)
#define SLACK_BUFFERED ((size_t)(1024 + 64) * 1024)
#define LOW_CAP 4096u

/* ------------------------------------------------------------ helpers */

static void xl_stream(void **data, size_t *len)
{
	migstream_writer *w;
	const void *p;

	migstream__test_alloc_fail_at(0);
	w = migstream_writer_new();
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	ck_assert_msg(ts_write_xl(w) == 0, "%s", migstream_writer_errmsg(w));
	ck_assert_int_eq(migstream_writer_get_memory(w, &p, len), 0);
	*data = malloc(*len);
	ck_assert_ptr_nonnull(*data);
	memcpy(*data, p, *len);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
}

/* Read everything, loading the pages of every PAGE_DATA record. */
static int read_through(migstream_reader *r, uint64_t *records)
{
	const migstream_record *rec;
	int rc;

	*records = 0;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		uint32_t n = 0;
		const void *page;

		(*records)++;
		if (migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA &&
		    migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC &&
		    migstream_record_count(rec, &n) == 0 && n > 0) {
			int prc = migstream_record_get_page(rec, n - 1, NULL, NULL, &page);
			if (prc != 0)
				return prc;
		}
	}
	return rc;
}

/* ------------------------------------------------------------ allocation failure */

START_TEST(test_alloc_write_xl)
{
	unsigned long n, made = 0;

	for (n = 1; n < 10000; n++) {
		migstream_writer *w;
		int rc;

		migstream__test_alloc_fail_at(n);
		w = migstream_writer_new();
		if (w == NULL) {
			ck_assert_uint_ge(migstream__test_alloc_count(), n);
			continue;
		}
		rc = migstream_writer_open_memory(w);
		if (rc == 0)
			rc = ts_write_xl(w);
		if (rc == 0)
			rc = migstream_writer_close(w);
		made = migstream__test_alloc_count();
		if (made < n) {
			/* No allocation failed: the whole file was written. */
			ck_assert_msg(rc == 0, "n=%lu: %s: %s", n, migstream_error_name(rc),
			              migstream_writer_errmsg(w));
			migstream_writer_free(w);
			break;
		}
		ck_assert_msg(rc == MIGSTREAM_E_NOMEM,
		              "allocation %lu of %lu failed, but writing gave %s (%s)", n, made,
		              migstream_error_name(rc), migstream_writer_errmsg(w));
		migstream_writer_free(w);
	}
	ck_assert_uint_lt(n, 10000);
	ck_assert_uint_gt(n, 2);
}
END_TEST

static void read_loop(int src)
{
	void *data;
	size_t len;
	unsigned long n;

	xl_stream(&data, &len);
	for (n = 1; n < 10000; n++) {
		migstream_reader *r;
		t_source *s;
		uint64_t records;
		int rc;

		migstream__test_alloc_fail_at(n);
		r = migstream_reader_new();
		if (r == NULL) {
			ck_assert_uint_ge(migstream__test_alloc_count(), n);
			continue;
		}
		s = t_open_source(r, src, data, len);
		ck_assert_ptr_nonnull(s);
		rc = read_through(r, &records);
		if (migstream__test_alloc_count() < n) {
			ck_assert_msg(rc == MIGSTREAM_EOF, "%s: n=%lu: %s: %s", t_src_name(src), n,
			              migstream_error_name(rc), migstream_reader_errmsg(r));
			ck_assert_uint_gt(records, 10);
			migstream_reader_free(r);
			t_close_source(s);
			break;
		}
		ck_assert_msg(rc == MIGSTREAM_E_NOMEM,
		              "%s: allocation %lu of %lu failed, but reading gave %s after %llu "
		              "records (%s)", t_src_name(src), n, migstream__test_alloc_count(),
		              migstream_error_name(rc), (unsigned long long)records,
		              migstream_reader_errmsg(r));
		{
			const migstream_record *rec;
			ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_E_NOMEM);
		}
		migstream_reader_free(r);
		t_close_source(s);
	}
	ck_assert_uint_lt(n, 10000);
	free(data);
}

START_TEST(test_alloc_read_xl)
{
	static const int srcs[] = { T_SRC_MEMORY, T_SRC_FILE, T_SRC_PIPE, T_SRC_IO_7,
	                            T_SRC_IO_4097 };

	read_loop(srcs[_i]);
}
END_TEST

/* ------------------------------------------------------------ hostile lengths */

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void hvm_start(tbuf *b)
{
	tb_init(b);
	tb_image_header(b, 3, 0);
	tb_domain_header(b, MIGSTREAM_DOMAIN_X86_HVM, 4, 19);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
}

static void h_record_len(tbuf *b, uint32_t type, uint32_t length)
{
	static const uint8_t junk[64];

	hvm_start(b);
	tb_record_raw(b, type, length, junk, sizeof junk);
}

/* PAGE_DATA claiming count entries with only k pfns and no pages. */
static void h_page_count(tbuf *b, uint32_t count, uint32_t k)
{
	uint8_t body[8 + 8 * 16];

	hvm_start(b);
	memset(body, 0, sizeof body);
	put_le32(body, count);
	for (uint32_t i = 0; i < k && i < 16; i++)
		body[8 + 8 * i] = (uint8_t)(i + 1);
	tb_record(b, MIGSTREAM_REC_PAGE_DATA, body, 8 + 8 * k);
}

/* An array record (HVM_PARAMS, dirty pfn list) with a count of 0xFFFFFFFF. */
static void h_params_count(tbuf *b)
{
	uint8_t body[8 + 16];

	hvm_start(b);
	memset(body, 0, sizeof body);
	put_le32(body, 0xFFFFFFFFu);
	tb_record(b, MIGSTREAM_REC_HVM_PARAMS, body, sizeof body);
}

static void h_p2m_range(tbuf *b)
{
	uint8_t body[8 + 8];

	tb_init(b);
	tb_image_header(b, 3, 0);
	tb_domain_header(b, MIGSTREAM_DOMAIN_X86_PV, 4, 19);
	tb_x86_pv_info(b, 8, 4);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	memset(body, 0, sizeof body);
	put_le32(body, 0);
	put_le32(body + 4, 0xFFFFFFFFu);              /* end_pfn: 8 Mi frames implied */
	tb_record(b, MIGSTREAM_REC_X86_PV_P2M_FRAMES, body, sizeof body);
}

/* A 32-bit PV guest's VCPU_BASIC (2808 octets, below a 4 KiB cap) for
 * vCPU 8191, after a P2M record and a PAGE_DATA without data pages. */
static void h_vcpu_high(tbuf *b)
{
	static const uint64_t frames[1] = { 0 };
	static const uint64_t xtab[1] = { 0xF000000000000005ull };

	tb_init(b);
	tb_image_header(b, 3, 0);
	tb_domain_header(b, MIGSTREAM_DOMAIN_X86_PV, 4, 19);
	tb_x86_pv_info(b, 4, 3);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_p2m_frames(b, 0, 1023, 1, frames);
	tb_page_data(b, 1, xtab, 0);
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 8191, NULL, 2800);
	tb_empty(b, MIGSTREAM_REC_END);
}

static void libxl_start(tbuf *b)
{
	tb_init(b);
	tb_be64(b, 0x4C6962786C466D74ull);            /* "LibxlFmt" */
	tb_be32(b, 2);
	tb_be32(b, 0);
	b->be = 0;
}

static void h_libxl_len(tbuf *b)
{
	static const uint8_t junk[32];

	libxl_start(b);
	tb_record_raw(b, 3, 0xFFFFFFF8u, junk, sizeof junk);   /* EMULATOR_CONTEXT */
}

/* EMULATOR_XENSTORE_DATA whose data lacks its terminators. */
static void h_xenstore(tbuf *b, int variant)
{
	static const char *const data[3] = { "key\0value", "key", "k\0v\0k2" };
	static const size_t lens[3] = { 9, 3, 6 };
	uint8_t body[8 + 16];

	libxl_start(b);
	memset(body, 0, sizeof body);
	put_le32(body, MIGSTREAM_EMULATOR_QEMU_UPSTREAM);
	memcpy(body + 8, data[variant], lens[variant]);
	tb_record(b, 2, body, 8 + (uint32_t)lens[variant]);
	tb_record(b, 0, NULL, 0);
}

static void h_xl_optional(tbuf *b)
{
	static const uint8_t magic[32] = "Xen saved domain, xl format\n \0 \r";

	tb_init(b);
	tb_bytes(b, magic, 32);
	tb_u8(b, 4);
	tb_u8(b, 3);
	tb_u8(b, 2);
	tb_u8(b, 1);
	tb_le32(b, 3);
	tb_le32(b, 0);
	tb_le32(b, 0xFFFFFFF8u);
	tb_zero(b, 64);
}

#define N_HOSTILE 14
static const char *const hostile_names[N_HOSTILE] = {
	"libxc record length 0xFFFFFFF8", "libxc record length = cap, short body",
	"optional record length 0xFFFFFFF8", "PAGE_DATA count 0xFFFFFFFF",
	"PAGE_DATA count 1024, 2 pfns", "PAGE_DATA count 2, body of 1",
	"HVM_PARAMS count 0xFFFFFFFF", "P2M_FRAMES end_pfn 0xFFFFFFFF",
	"libxl record length 0xFFFFFFF8", "xenstore value unterminated",
	"xenstore key without value", "xenstore last key unterminated",
	"xl optional_data_len 0xFFFFFFF8", "VCPU_BASIC for vCPU 8191",
};

static void build_hostile(tbuf *b, int i, uint32_t cap)
{
	switch (i) {
	case 0: h_record_len(b, MIGSTREAM_REC_PAGE_DATA, 0xFFFFFFF8u); break;
	case 1: h_record_len(b, MIGSTREAM_REC_HVM_CONTEXT, cap); break;
	case 2: h_record_len(b, 0x80001234u, 0xFFFFFFF8u); break;
	case 3: h_page_count(b, 0xFFFFFFFFu, 2); break;
	case 4: h_page_count(b, 1024, 2); break;
	case 5: h_page_count(b, 2, 1); break;
	case 6: h_params_count(b); break;
	case 7: h_p2m_range(b); break;
	case 8: h_libxl_len(b); break;
	case 9: h_xenstore(b, 0); break;
	case 10: h_xenstore(b, 1); break;
	case 11: h_xenstore(b, 2); break;
	case 12: h_xl_optional(b); break;
	default: h_vcpu_high(b); break;
	}
}

static void hostile(int src, uint32_t cap, int mode)
{
	for (int i = 0; i < N_HOSTILE; i++) {
		migstream_reader *r;
		t_source *s;
		tbuf b;
		uint64_t records;
		size_t max, slack = src == T_SRC_MEMORY ? SLACK_MEMORY : SLACK_BUFFERED;
		int rc;

		build_hostile(&b, i, cap);
		migstream__test_alloc_fail_at(0);
		r = migstream_reader_new();
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MAX_RECORD_LEN, cap), 0);
		ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, (uint64_t)mode), 0);
		s = t_open_source(r, src, b.data, b.len);
		ck_assert_ptr_nonnull(s);
		rc = read_through(r, &records);
		/* Lax mode delivers bad records; the xenstore accessor must
		 * still refuse unterminated data. */
		max = migstream__test_alloc_max();
		ck_assert_msg(rc != MIGSTREAM_EOF || mode == MIGSTREAM_MODE_LAX || i == 13,
		              "%s, %s: the stream was accepted", hostile_names[i], t_src_name(src));
		ck_assert_msg(rc < 0 || rc == MIGSTREAM_EOF, "%s: %d", hostile_names[i], rc);
		ck_assert_msg(max <= (size_t)cap + slack,
		              "%s, %s, cap %u: an allocation of %zu octets (limit %zu)",
		              hostile_names[i], t_src_name(src), cap, max, (size_t)cap + slack);
		migstream_reader_free(r);
		t_close_source(s);
		tb_free(&b);
	}
}

START_TEST(test_alloc_hostile_default_cap)
{
	hostile(_i, MIGSTREAM_MAX_RECORD_LEN, MIGSTREAM_MODE_RESTORE);
}
END_TEST

START_TEST(test_alloc_hostile_low_cap)
{
	hostile(_i, LOW_CAP, MIGSTREAM_MODE_RESTORE);
}
END_TEST

START_TEST(test_alloc_hostile_lax)
{
	hostile(_i, 65536, MIGSTREAM_MODE_LAX);
}
END_TEST

/* The xenstore iterator on unterminated data, record by record (lax mode
 * lets the reader deliver the record). */
START_TEST(test_alloc_xenstore_accessor)
{
	for (int v = 0; v < 3; v++) {
		migstream_reader *r = migstream_reader_new();
		const migstream_record *rec;
		const char *k, *val;
		size_t pos = 0;
		tbuf b;
		int rc, seen = 0;

		h_xenstore(&b, v);
		migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_LAX);
		ck_assert_int_eq(migstream_reader_open_memory(r, b.data, b.len), 0);
		while ((rc = migstream_reader_next(r, &rec)) == 0 || !migstream_error_is_fatal(rc)) {
			if (rc == MIGSTREAM_EOF || rc != 0)
				break;
			if (migstream_record_layer(rec) != MIGSTREAM_LAYER_LIBXL ||
			    migstream_record_type(rec) != MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA)
				continue;
			seen = 1;
			while ((rc = migstream_record_next_xenstore_pair(rec, &pos, &k, &val)) == 0) {
				ck_assert_uint_lt(strlen(k), 16);
				ck_assert_uint_lt(strlen(val), 16);
			}
			ck_assert_int_eq(rc, v == 2 || v == 0 || v == 1 ? MIGSTREAM_E_FIELD : MIGSTREAM_EOF);
		}
		(void)seen;
		migstream_reader_free(r);
		tb_free(&b);
	}
}
END_TEST


/* ------------------------------------------------------------ writer bounds */

/* A writer at the first libxc record of a PV image (PV: every libxc typed
 * call's record type is allowed by the layer), with cap as record cap. */
static migstream_writer *records_writer(uint64_t cap)
{
	migstream_writer *w = migstream_writer_new();
	migstream_image_header ih;
	migstream_domain_header dh;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_MAX_RECORD_LEN, cap), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	memset(&dh, 0, sizeof dh);
	dh.type = MIGSTREAM_DOMAIN_X86_PV;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = 17;
	ck_assert_int_eq(migstream_writer_put_image_header(w, &ih, sizeof ih), 0);
	ck_assert_int_eq(migstream_writer_put_domain_header(w, &dh, sizeof dh), 0);
	return w;
}

/* Counts and lengths far beyond what the caller's (small) arrays hold:
 * each typed call must refuse with E_TOO_LONG (REC-2) before it reads
 * the arrays (the ASan build proves no read past them) or allocates
 * (the largest allocation stays small), write nothing, and leave the
 * writer usable.  _i picks the cap: the 128 MiB default or 4 KiB. */
START_TEST(test_alloc_writer_huge_counts)
{
	uint64_t cap = _i ? LOW_CAP : MIGSTREAM_MAX_RECORD_LEN;
	/* Counts whose record is just above the cap, and far above it. */
	uint32_t big[2] = { (uint32_t)(cap / 8) + 1, UINT32_MAX };
	size_t huge_len[2] = { (size_t)cap + 1, (size_t)UINT32_MAX + 1 };
	static unsigned char blob[64];
	uint64_t pfns[2] = { 1, 2 }, vals[2] = { 3, 4 };
	uint32_t types[2] = { 0, 0 };
	const void *pages[1] = { blob };
	migstream_cpuid_leaf leaves[1];
	migstream_msr_entry msrs[1];
	migstream_x86_pv_info info = { .guest_width = 8, .pt_levels = 4 };
	struct iovec iov[2] = { { blob, sizeof blob }, { blob, 0 } };

	memset(leaves, 0, sizeof leaves);
	memset(msrs, 0, sizeof msrs);
	for (int b = 0; b < 2; b++) {
		for (int call = 0; call < 13; call++) {
			migstream_writer *w = records_writer(cap);
			uint64_t off = migstream_writer_offset(w);
			uint32_t n = big[b];
			size_t len = huge_len[b];
			int rc = 0;

			if (sizeof(size_t) < 8 && b)
				len = SIZE_MAX;
			iov[1].iov_len = len;
			migstream__test_alloc_fail_at(0);
			switch (call) {
			case 0: rc = migstream_writer_put_page_data(w, n, pfns, types, pages); break;
			case 1: rc = migstream_writer_put_hvm_params(w, n, pfns, vals); break;
			case 2: rc = migstream_writer_put_dirty_pfn_list(w, pfns, n); break;
			case 3: rc = migstream_writer_put_cpuid_policy(w, leaves, n, sizeof *leaves); break;
			case 4: rc = migstream_writer_put_msr_policy(w, msrs, n, sizeof *msrs); break;
			case 5: rc = migstream_writer_put_p2m_frames(w, 0, 1, pfns, n); break;
			case 6: rc = migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, blob, len); break;
			case 7: rc = migstream_writer_put_shared_info(w, blob, len); break;
			case 8: rc = migstream_writer_put_hvm_context(w, blob, len); break;
			case 9: rc = migstream_writer_put_toolstack(w, blob, len); break;
			case 10: rc = migstream_writer_put_record(w, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, blob,
			                                           len > UINT32_MAX ? UINT32_MAX : (uint32_t)len); break;
			case 11: rc = migstream_writer_put_record_iov(w, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, iov, 2); break;
			case 12: {
				/* Many iovecs whose lengths sum past 2^64. */
				struct iovec many[4];
				for (int i = 0; i < 4; i++) {
					many[i].iov_base = blob;
					many[i].iov_len = SIZE_MAX / 2;
				}
				rc = migstream_writer_put_record_iov(w, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, many, 4);
				break;
			}
			}
			ck_assert_msg(rc == MIGSTREAM_E_TOO_LONG, "call %d, count %u: %s (%s)", call, n,
			              migstream_error_name(rc), migstream_writer_errmsg(w));
			ck_assert_msg(migstream__test_alloc_max() <= 4096, "call %d: allocated %zu octets", call,
			              migstream__test_alloc_max());
			ck_assert_ptr_nonnull(strstr(migstream_writer_errmsg(w), "REC-2"));
			ck_assert_uint_eq(migstream_writer_offset(w), off);
			/* Not sticky: a valid record still goes out. */
			ck_assert_int_eq(migstream_writer_put_x86_pv_info(w, &info, sizeof info), 0);
			migstream_writer_free(w);
		}
	}
}
END_TEST

/* The libxl layer's typed calls: LIBXL-9 before reading or allocating. */
START_TEST(test_alloc_writer_huge_libxl)
{
	static unsigned char blob[64];
	migstream_libxl_header lh;

	for (int call = 0; call < 2; call++) {
		migstream_writer *w = migstream_writer_new();
		int rc;

		ck_assert_int_eq(migstream_writer_open_memory(w), 0);
		memset(&lh, 0, sizeof lh);
		lh.version = 2;
		ck_assert_int_eq(migstream_writer_put_libxl_header(w, &lh, sizeof lh), 0);
		migstream__test_alloc_fail_at(0);
		if (call == 0)
			rc = migstream_writer_put_emulator_context(w, 0, 0, blob, (size_t)256 << 20);
		else
			rc = migstream_writer_put_emulator_xenstore_data(w, 0, 0, blob, SIZE_MAX);
		ck_assert_msg(rc == MIGSTREAM_E_TOO_LONG, "%s (%s)", migstream_error_name(rc),
		              migstream_writer_errmsg(w));
		ck_assert_uint_le(migstream__test_alloc_max(), 4096);
		ck_assert_ptr_nonnull(strstr(migstream_writer_errmsg(w), "LIBXL-9"));
		migstream_writer_free(w);
	}
}
END_TEST

static Suite *alloc_suite(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("failure");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_alloc_write_xl);
	tcase_add_loop_test(tc, test_alloc_read_xl, 0, 5);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_alloc_hostile_default_cap, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_alloc_hostile_low_cap, 0, T_SRC_COUNT);
	tcase_add_loop_test(tc, test_alloc_hostile_lax, 0, T_SRC_COUNT);
	tcase_add_test(tc, test_alloc_xenstore_accessor);
	tcase_add_loop_test(tc, test_alloc_writer_huge_counts, 0, 2);
	tcase_add_test(tc, test_alloc_writer_huge_libxl);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(alloc_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
