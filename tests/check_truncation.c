/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * Suite "truncation": every proper prefix of a valid stream must fail with
 * MIGSTREAM_E_TRUNCATED at an offset equal to the prefix length (IHDR-1,
 * DHDR-1, REC-1, ORDER-2), never with EOF and never with another code; the
 * whole stream must give MIGSTREAM_EOF.  Streams: V1 and V2 of
 * spec/vectors.md and two larger generated images (PV and HVM) with several
 * PAGE_DATA records, vCPU records, CPU policy records and an optional record
 * with padding.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ------------------------------------------------------------ streams */

static void put_le64(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An optional record whose 13-octet body needs 3 octets of padding (REC-5). */
static void optional_record(tbuf *b)
{
	tb_record(b, 0x80001234u, "optional data", 13);
}

/*
 * A larger 64-bit PV image, consistent under the deep checks: max_pfn 1023
 * (two p2m frames, pfns 0 and 1), start_info at pfn 2 and an empty pinned L4
 * table at pfn 3 (both zero pages: tb_page_data fills entry 0 with the fill
 * byte itself), two vCPUs with every vCPU record type.
 */
static void build_big_pv(tbuf *b)
{
	static const uint64_t p2m[2] = { 0, 1 };
	static const uint64_t pd_a[5] = {
		2, 0, 1, 0xF00000000000000Aull, 4,          /* start_info, p2m, XTAB 10 */
	};
	static const uint64_t pd_b[6] = { 0xC000000000000003ull, 5, 6, 7, 8, 9 };
	static const uint64_t pd_c[13] = {
		11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
		0xD000000000000015ull, 0xF000000000000016ull, 1000,
	};
	uint8_t basic[5168], ext[64], xsave[80], msrs[16];

	tb_image_header(b, 3, 0);
	tb_domain_header(b, MIGSTREAM_DOMAIN_X86_PV, 4, 20);
	tb_x86_pv_info(b, 8, 4);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_p2m_frames(b, 0, 1023, 2, p2m);
	tb_page_data(b, 5, pd_a, 0x00);
	optional_record(b);
	tb_page_data(b, 6, pd_b, 0x00);
	tb_page_data(b, 13, pd_c, 0x5a);
	tb_tsc_info(b, 0, 2000000, 312500000, 1);
	tb_record(b, MIGSTREAM_REC_SHARED_INFO, NULL, 4096);

	memset(basic, 0, sizeof basic);
	put_le64(basic + 616, 2);               /* rdx: start_info pfn */
	put_le64(basic + 5008, 3u << 12);       /* cr3: L4 at pfn 3 */
	memset(ext, 0, sizeof ext);
	ext[4] = sizeof ext;                    /* embedded vcpu 0, size 64 */
	memset(xsave, 0, sizeof xsave);
	xsave[0] = 1;                           /* xcr0 = x87 */
	xsave[8] = 1;                           /* xcr0_accum */
	memset(msrs, 0, sizeof msrs);
	msrs[0] = 0x48;                         /* SPEC_CTRL = 1 */
	msrs[8] = 1;
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, basic, sizeof basic);
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ext, sizeof ext);
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 0, xsave, sizeof xsave);
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, msrs, sizeof msrs);
	put_le64(basic + 616, 0);
	ext[0] = 1;                             /* embedded vcpu 1 */
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 1, basic, sizeof basic);
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 1, ext, sizeof ext);
	tb_empty(b, MIGSTREAM_REC_END);
}

/* A larger HVM image: CPU policies, three PAGE_DATA records, an optional
 * record, parameters before the context (spec order). */
static void build_big_hvm(tbuf *b)
{
	static const uint64_t pd_a[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	static const uint64_t pd_b[8] = {
		0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0xF000000000000200ull, 0xfeffc,
	};
	static const uint64_t pd_c[4] = { 0x1000, 0x1001, 0x1002, 0x1003 };
	static const uint64_t params[4] = { 1, 0xfeffc, 9, 1 };

	tb_image_header(b, 3, 0);
	tb_domain_header(b, MIGSTREAM_DOMAIN_X86_HVM, 4, 20);
	/* X86_CPUID_POLICY: leaf 0, no subleaf. */
	tb_se32(b, MIGSTREAM_REC_X86_CPUID_POLICY);
	tb_se32(b, 24);
	tb_se32(b, 0);
	tb_se32(b, 0xFFFFFFFFu);
	tb_se32(b, 0xd);
	tb_se32(b, 0x756e6547);
	tb_se32(b, 0x6c65746e);
	tb_se32(b, 0x49656e69);
	/* X86_MSR_POLICY: PLATFORM_INFO 0. */
	tb_se32(b, MIGSTREAM_REC_X86_MSR_POLICY);
	tb_se32(b, 16);
	tb_se32(b, 0xCE);
	tb_se32(b, 0);
	tb_se64(b, 0);
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_page_data(b, 8, pd_a, 0x11);
	optional_record(b);
	tb_page_data(b, 8, pd_b, 0x22);
	tb_page_data(b, 4, pd_c, 0x33);
	tb_tsc_info(b, 1, 3000000, 987654321, 2);
	tb_hvm_params(b, 2, params);
	tb_hvm_context_min(b);
	tb_empty(b, MIGSTREAM_REC_END);
}

enum { S_V1, S_V2, S_BIG_PV, S_BIG_HVM };

static void build(tbuf *b, int which)
{
	tb_init(b);
	switch (which) {
	case S_V1: tb_vector_v1(b); break;
	case S_V2: tb_vector_v2(b); break;
	case S_BIG_PV: build_big_pv(b); break;
	default: build_big_hvm(b); break;
	}
}

/* ------------------------------------------------------------ prefix runner */

typedef struct outcome {
	int rc;
	uint64_t offset;
	char rule[24];
} outcome;

/* Read data[0..len) to EOF or the first error, restore mode, default options. */
static void run_once(const uint8_t *data, size_t len, int src, outcome *o)
{
	migstream_reader *r = migstream_reader_new();
	migstream_diag err;
	t_source *s;
	unsigned long calls;
	int rc = MIGSTREAM_E_STATE;

	ck_assert_ptr_nonnull(r);
	s = t_open_source(r, src, data, len);
	ck_assert_msg(s != NULL, "cannot set up source %s", t_src_name(src));
	for (calls = 0; calls < 100000; calls++) {
		const migstream_record *rec;

		rc = migstream_reader_next(r, &rec);
		if (rc != 0)
			break;
	}
	memset(&err, 0, sizeof err);
	(void)migstream_reader_error(r, &err, sizeof err);
	o->rc = rc;
	o->offset = err.offset;
	snprintf(o->rule, sizeof o->rule, "%s", err.rule ? err.rule : "");
	migstream_reader_free(r);
	t_close_source(s);
}

/* Prefixes to try: all, or (stride > 1) every stride-th plus the first and
 * last 64. */
static int wanted(size_t n, size_t size, size_t stride)
{
	return stride <= 1 || n % stride == 0 || n < 64 || n + 64 >= size;
}

static void sweep(int which, int src, size_t stride)
{
	char first[1024] = "";
	size_t n, bad = 0, tried = 0;
	outcome o;
	tbuf b;

	build(&b, which);
	for (n = 0; n < b.len; n++) {
		if (!wanted(n, b.len, stride))
			continue;
		tried++;
		run_once(b.data, n, src, &o);
		if (o.rc == MIGSTREAM_E_TRUNCATED && o.offset == n)
			continue;
		if (bad++ < 4) {
			size_t l = strlen(first);

			snprintf(first + l, sizeof first - l,
			         " [prefix %zu: %s at 0x%llx rule '%s']", n,
			         migstream_error_name(o.rc), (unsigned long long)o.offset, o.rule);
		}
	}
	ck_assert_msg(bad == 0, "%s: %zu of %zu prefixes of a %zu-octet stream wrong:%s",
	              t_src_name(src), bad, tried, b.len, first);

	run_once(b.data, b.len, src, &o);
	ck_assert_msg(o.rc == MIGSTREAM_EOF, "%s: full stream gave %s at 0x%llx rule '%s'",
	              t_src_name(src), migstream_error_name(o.rc),
	              (unsigned long long)o.offset, o.rule);
	tb_free(&b);
}

/* ------------------------------------------------------------ tests */

static const int v1_sources[] = { T_SRC_MEMORY, T_SRC_FILE, T_SRC_PIPE, T_SRC_IO_7 };

/* IHDR-1, DHDR-1, REC-1, ORDER-2 on V1, through a memory buffer, a file, a
 * pipe (every 61st prefix plus both ends) and 7-octet callback reads. */
START_TEST(test_truncation_v1_prefixes)
{
	int src = v1_sources[_i];

	sweep(S_V1, src, src == T_SRC_PIPE ? 61 : 1);
}
END_TEST

static const int v2_sources[] = { T_SRC_MEMORY, T_SRC_IO_4097 };

/* The same on V2 (memory, and callbacks with a skip function). */
START_TEST(test_truncation_v2_prefixes)
{
	sweep(S_V2, v2_sources[_i], 1);
}
END_TEST

START_TEST(test_truncation_big_pv_prefixes)
{
	sweep(S_BIG_PV, T_SRC_MEMORY, 1);
}
END_TEST

START_TEST(test_truncation_big_hvm_prefixes)
{
	sweep(S_BIG_HVM, T_SRC_MEMORY, 1);
}
END_TEST

/* The generated streams are valid: no error (the optional record gives the
 * REC-5 warning), so every truncation failure above is due to the cut. */
START_TEST(test_truncation_big_streams_valid)
{
	t_result *res = calloc(1, sizeof *res);
	size_t i;
	tbuf b;

	ck_assert_ptr_nonnull(res);
	build(&b, _i == 0 ? S_BIG_PV : S_BIG_HVM);
	t_read_all(res, b.data, b.len, T_SRC_MEMORY, MIGSTREAM_MODE_RESTORE, NULL);
	for (i = 0; i < res->diags.n; i++)
		if (res->diags.d[i].severity != MIGSTREAM_SEV_INFO &&
		    strcmp(res->diags.d[i].rule, "REC-5") != 0)
			ck_abort_msg("%s: unexpected %s %s at 0x%llx: %s",
			             _i == 0 ? "big PV" : "big HVM",
			             migstream_severity_name(res->diags.d[i].severity),
			             res->diags.d[i].rule,
			             (unsigned long long)res->diags.d[i].offset,
			             res->diags.d[i].message);
	ck_assert_msg(res->rc == MIGSTREAM_EOF, "%s: %s", migstream_error_name(res->rc),
	              res->errmsg);
	ck_assert_ptr_nonnull(t_find(&res->diags, "REC-5", MIGSTREAM_SEV_WARNING));
	ck_assert_uint_eq(res->records, _i == 0 ? 16 : 11);
	free(res);
	tb_free(&b);
}
END_TEST

static Suite *truncation_suite(void)
{
	Suite *s = suite_create("truncation");
	TCase *tc;

	tc = tcase_create("generated");
	tcase_add_loop_test(tc, test_truncation_big_streams_valid, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("v1");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_truncation_v1_prefixes, 0,
	                    (int)(sizeof v1_sources / sizeof v1_sources[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("v2");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_truncation_v2_prefixes, 0,
	                    (int)(sizeof v2_sources / sizeof v2_sources[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("big");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_truncation_big_pv_prefixes);
	tcase_add_test(tc, test_truncation_big_hvm_prefixes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(truncation_suite());
	int failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? 1 : 0;
}
