/*
 * check_writer: the writer's octets for every header and record call (both
 * byte orders), its refusals (one test per rule, each also written raw and
 * rejected by the reader with the same rule), its state machine and its
 * sinks' I/O failures.
 *
 * Expected octets come from the test builder (tests/testutil.c), which
 * does not use the library.
 */
#define _GNU_SOURCE
#include <check.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <migstream.h>
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

#define OK(w, call) do { \
		int rc_ = (call); \
		ck_assert_msg(rc_ == 0, "%s returned %d: %s", #call, rc_, \
		              migstream_writer_errmsg(w)); \
	} while (0)

/* Index of the first differing octet (or the shorter length). */
static size_t first_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	return i;
}

static void assert_octets(const void *got, size_t glen, const void *want, size_t wlen,
                          const char *what)
{
	size_t d = first_diff(got, glen, want, wlen);

	ck_assert_msg(glen == wlen && d == glen,
	              "%s: %zu octets written, %zu expected, first difference at offset 0x%zx",
	              what, glen, wlen, d);
}

static void mem_of(migstream_writer *w, const uint8_t **data, size_t *len)
{
	const void *p = NULL;

	ck_assert_int_eq(migstream_writer_get_memory(w, &p, len), 0);
	*data = p;
}

static void assert_mem(migstream_writer *w, const tbuf *b, const char *what)
{
	const uint8_t *p;
	size_t n;

	mem_of(w, &p, &n);
	assert_octets(p, n, b->data, b->len, what);
	ck_assert_uint_eq(migstream_writer_offset(w), b->len);
}

/* A writer on a memory sink, with up to two options set. */
static migstream_writer *mem_writer(int key1, uint64_t v1, int key2, uint64_t v2)
{
	migstream_writer *w = migstream_writer_new();

	ck_assert_ptr_nonnull(w);
	if (key1)
		ck_assert_int_eq(migstream_writer_set_option(w, key1, v1), 0);
	if (key2)
		ck_assert_int_eq(migstream_writer_set_option(w, key2, v2), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	return w;
}

/* Set while writing raw: MIGSTREAM_OPT_RAW writes the image header as
 * given, so marker and id are passed explicitly. */
static int hdr_explicit;

/* Image and domain headers, written and built.  marker and id are left 0
 * (the writer fills them) unless hdr_explicit. */
static void headers(migstream_writer *w, tbuf *b, uint32_t version, uint32_t dtype, int be)
{
	migstream_image_header ih;
	migstream_domain_header dh;
	uint32_t minor = version == 2 ? 13 : 20;

	memset(&ih, 0, sizeof ih);
	ih.version = version;
	ih.options = be ? 1 : 0;
	if (hdr_explicit) {
		ih.marker = UINT64_MAX;
		ih.id = 0x58454E46u;
	}
	OK(w, migstream_writer_put_image_header(w, &ih, sizeof ih));
	memset(&dh, 0, sizeof dh);
	dh.type = dtype;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = minor;
	OK(w, migstream_writer_put_domain_header(w, &dh, sizeof dh));
	if (b != NULL) {
		tb_image_header(b, version, be);
		tb_domain_header(b, dtype, 4, minor);
	}
}

/* Writer and builder in lock step; with a memory sink the octets are
 * compared after every call, so a failure names the first bad call. */
typedef struct pair {
	migstream_writer *w;
	tbuf b;
	int mem;
	uint8_t pages[4][64][4096];   /* page buffers for up to 4 PAGE_DATA calls */
	int npd;
} pair;

#define STEP(p, call) do { \
		int rc_ = (call); \
		ck_assert_msg(rc_ == 0, "%s returned %d: %s", #call, rc_, \
		              migstream_writer_errmsg((p)->w)); \
		if ((p)->mem) \
			assert_mem((p)->w, &(p)->b, #call); \
	} while (0)

static int has_data(uint32_t t)
{
	return t <= 0x4u || (t >= 0x9u && t <= 0xCu);
}

/* PAGE_DATA exactly as tb_page_data() builds it (entry i's page filled with
 * fill ^ i), written with put_page_data. */
static void pd(pair *p, uint32_t count, const uint64_t *entries, uint8_t fill)
{
	uint64_t pfns[64];
	uint32_t types[64], i, n = 0;
	const void *pages[64];
	int k = p->npd++;

	ck_assert(count <= 64 && k < 4);
	for (i = 0; i < count; i++) {
		pfns[i] = entries[i] & ((UINT64_C(1) << 52) - 1);
		types[i] = (uint32_t)(entries[i] >> 60);
		if (has_data(types[i])) {
			memset(p->pages[k][n], (uint8_t)(fill ^ (i & 0xffu)), 4096);
			pages[n] = p->pages[k][n];
			n++;
		}
	}
	tb_page_data(&p->b, count, entries, fill);
	STEP(p, migstream_writer_put_page_data(p->w, count, pfns, types, pages));
}

static const uint8_t hvm_ctx_min[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00,
	0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void tsc(pair *p, uint32_t mode, uint32_t khz, uint64_t nsec, uint32_t inc)
{
	migstream_tsc_info t;

	memset(&t, 0, sizeof t);
	t.mode = mode;
	t.khz = khz;
	t.nsec = nsec;
	t.incarnation = inc;
	tb_tsc_info(&p->b, mode, khz, nsec, inc);
	STEP(p, migstream_writer_put_tsc_info(p->w, &t, sizeof t));
}

static void empty(pair *p, uint32_t type)
{
	tb_empty(&p->b, type);
	switch (type) {
	case MIGSTREAM_REC_END: STEP(p, migstream_writer_put_end(p->w)); break;
	case MIGSTREAM_REC_VERIFY: STEP(p, migstream_writer_put_verify(p->w)); break;
	case MIGSTREAM_REC_CHECKPOINT: STEP(p, migstream_writer_put_checkpoint(p->w)); break;
	default: STEP(p, migstream_writer_put_static_data_end(p->w)); break;
	}
}

static void cpuid2(pair *p)
{
	migstream_cpuid_leaf l[2];
	unsigned i;

	memset(l, 0, sizeof l);
	l[0].leaf = 7; l[0].subleaf = 0; l[0].a = 2; l[0].b = 0x1234abcd; l[0].c = 3; l[0].d = 0x80000000u;
	l[1].leaf = 0x80000001u; l[1].subleaf = 0xFFFFFFFFu; l[1].c = 0x121; l[1].d = 0x2c100800u;
	tb_se32(&p->b, MIGSTREAM_REC_X86_CPUID_POLICY);
	tb_se32(&p->b, 48);
	for (i = 0; i < 2; i++) {
		tb_se32(&p->b, l[i].leaf);
		tb_se32(&p->b, l[i].subleaf);
		tb_se32(&p->b, l[i].a);
		tb_se32(&p->b, l[i].b);
		tb_se32(&p->b, l[i].c);
		tb_se32(&p->b, l[i].d);
	}
	STEP(p, migstream_writer_put_cpuid_policy(p->w, l, 2, sizeof l[0]));
}

static void msr1(pair *p)
{
	migstream_msr_entry m;

	memset(&m, 0, sizeof m);
	m.idx = 0xCE;
	m.val = 0x0000000080000000ull | 0x1122;
	tb_se32(&p->b, MIGSTREAM_REC_X86_MSR_POLICY);
	tb_se32(&p->b, 16);
	tb_se32(&p->b, m.idx);
	tb_se32(&p->b, 0);
	tb_se64(&p->b, m.val);
	STEP(p, migstream_writer_put_msr_policy(p->w, &m, 1, sizeof m));
}

static void pair_open(pair *p, migstream_writer *w, int mem)
{
	memset(p, 0, sizeof *p);
	p->w = w;
	p->mem = mem;
	tb_init(&p->b);
}

/* vCPU 0 BASIC context of V2: rdx = 2 (start_info), cr3 = pfn 1. */
static void v2_basic_ctx(uint8_t ctx[5168])
{
	memset(ctx, 0, 5168);
	ctx[616] = 2;
	ctx[5009] = 0x10;
}

/* V1's records with the writer (headers included). */
static void write_v1(pair *p, int be)
{
	static const uint64_t e[2] = { 0xFEFFCull, 0xFull << 60 | 1 };
	static const uint64_t idx[1] = { 1 }, val[1] = { 0xfeffc };
	static const uint64_t params[2] = { 1, 0xfeffc };

	headers(p->w, &p->b, 3, MIGSTREAM_DOMAIN_X86_HVM, be);
	empty(p, MIGSTREAM_REC_STATIC_DATA_END);
	pd(p, 2, e, 0x00);
	tsc(p, 0, 2000000, 312500000, 1);
	tb_record(&p->b, MIGSTREAM_REC_HVM_CONTEXT, hvm_ctx_min, sizeof hvm_ctx_min);
	STEP(p, migstream_writer_put_hvm_context(p->w, hvm_ctx_min, sizeof hvm_ctx_min));
	tb_hvm_params(&p->b, 1, params);
	STEP(p, migstream_writer_put_hvm_params(p->w, 1, idx, val));
	empty(p, MIGSTREAM_REC_END);
}

/* V2's records with the writer. */
static void write_v2(pair *p, int be)
{
	static const uint64_t e[3] = { 0, 0xCull << 60 | 1, 2 };
	static const uint64_t frames[1] = { 0 };
	static uint8_t zero[4096], ctx[5168];
	migstream_x86_pv_info pi;
	uint64_t pfns[3];
	uint32_t types[3];
	const void *pages[3] = { zero, zero, zero };
	int i;

	headers(p->w, &p->b, 3, MIGSTREAM_DOMAIN_X86_PV, be);
	memset(&pi, 0, sizeof pi);
	pi.guest_width = 8;
	pi.pt_levels = 4;
	tb_x86_pv_info(&p->b, 8, 4);
	STEP(p, migstream_writer_put_x86_pv_info(p->w, &pi, sizeof pi));
	empty(p, MIGSTREAM_REC_STATIC_DATA_END);
	tb_p2m_frames(&p->b, 0, 2, 1, frames);
	STEP(p, migstream_writer_put_p2m_frames(p->w, 0, 2, frames, 1));
	/* V2's pages are all zero (not tb_page_data's fill pattern). */
	tb_se32(&p->b, MIGSTREAM_REC_PAGE_DATA);
	tb_se32(&p->b, 8 + 3 * 8 + 3 * 4096);
	tb_se32(&p->b, 3);
	tb_se32(&p->b, 0);
	for (i = 0; i < 3; i++) {
		tb_se64(&p->b, e[i]);
		pfns[i] = e[i] & 0xFFFFFFFFFFFFFull;
		types[i] = (uint32_t)(e[i] >> 60);
	}
	tb_zero(&p->b, 3 * 4096);
	STEP(p, migstream_writer_put_page_data(p->w, 3, pfns, types, pages));
	tsc(p, 0, 2000000, 312500000, 1);
	tb_record(&p->b, MIGSTREAM_REC_SHARED_INFO, zero, 4096);
	STEP(p, migstream_writer_put_shared_info(p->w, zero, 4096));
	v2_basic_ctx(ctx);
	tb_vcpu(&p->b, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, 5168);
	STEP(p, migstream_writer_put_vcpu(p->w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, 5168));
	empty(p, MIGSTREAM_REC_END);
}

/* A PV v3 stream using every PV record call, the policies, VERIFY,
 * CHECKPOINT, an optional record (put_record) and put_record_iov. */
static void write_pv_all(pair *p, int be)
{
	/* L4 first: tb_page_data fills entry 0 with the fill byte (0), so
	 * the page table holds no present entries (PV-32). */
	static const uint64_t e1[3] = { 0xCull << 60 | 1, 0, 2 };
	static const uint64_t e2[5] = { 0xFull << 60 | 3, 0xDull << 60 | 4, 5, 0xEull << 60 | 6,
	                                0x1ull << 60 | 7 };
	static const uint64_t e3[2] = { 5, 6 };
	static const uint64_t frames[1] = { 0 };
	static uint8_t si[4096], ctx[5168];
	uint8_t ext[64], xsave[32], msrs[32];
	migstream_x86_pv_info pi;
	struct iovec iov[3];
	int i;

	headers(p->w, &p->b, 3, MIGSTREAM_DOMAIN_X86_PV, be);
	memset(&pi, 0, sizeof pi);
	pi.guest_width = 8;
	pi.pt_levels = 4;
	tb_x86_pv_info(&p->b, 8, 4);
	STEP(p, migstream_writer_put_x86_pv_info(p->w, &pi, sizeof pi));
	cpuid2(p);
	msr1(p);
	empty(p, MIGSTREAM_REC_STATIC_DATA_END);
	tb_p2m_frames(&p->b, 0, 7, 1, frames);
	STEP(p, migstream_writer_put_p2m_frames(p->w, 0, 7, frames, 1));
	pd(p, 3, e1, 0x00);
	tb_record(&p->b, 0x80000001u, "optional body", 13);
	STEP(p, migstream_writer_put_record(p->w, 0x80000001u, "optional body", 13));
	/* A page-table page (entry 4, L1TAB) gets fill 0x50 ^ 4 = 0x54: bit 0
	 * clear in every entry, so nothing is present. */
	pd(p, 5, e2, 0x50);
	tsc(p, 2, 1000000, 0x123456789aull, 7);
	for (i = 0; i < 4096; i++)
		si[i] = (uint8_t)(i * 7);
	/* SHARED_INFO through put_record_iov, in three pieces. */
	iov[0].iov_base = si;
	iov[0].iov_len = 1;
	iov[1].iov_base = si + 1;
	iov[1].iov_len = 4000;
	iov[2].iov_base = si + 4001;
	iov[2].iov_len = 95;
	tb_record(&p->b, MIGSTREAM_REC_SHARED_INFO, si, 4096);
	STEP(p, migstream_writer_put_record_iov(p->w, MIGSTREAM_REC_SHARED_INFO, iov, 3));
	v2_basic_ctx(ctx);
	ctx[100] = 0x77;
	tb_vcpu(&p->b, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, 5168);
	STEP(p, migstream_writer_put_vcpu(p->w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, 5168));
	memset(ext, 0, sizeof ext);
	ext[4] = 64;                    /* embedded size (PV-18/19) */
	ext[8] = 0xAB;
	tb_vcpu(&p->b, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ext, sizeof ext);
	STEP(p, migstream_writer_put_vcpu(p->w, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ext, sizeof ext));
	for (i = 0; i < (int)sizeof xsave; i++)
		xsave[i] = (uint8_t)(i + 1);
	tb_vcpu(&p->b, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 0, xsave, sizeof xsave);
	STEP(p, migstream_writer_put_vcpu(p->w, MIGSTREAM_REC_X86_PV_VCPU_XSAVE, 0, xsave, sizeof xsave));
	memset(msrs, 0, sizeof msrs);
	msrs[0] = 0x48; msrs[8] = 3;    /* SPEC_CTRL = 3 */
	msrs[16] = 0x03; msrs[17] = 0x01; msrs[18] = 0x00; msrs[19] = 0xC0; msrs[24] = 9; /* TSC_AUX */
	tb_vcpu(&p->b, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, msrs, sizeof msrs);
	STEP(p, migstream_writer_put_vcpu(p->w, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, msrs, sizeof msrs));
	empty(p, MIGSTREAM_REC_VERIFY);
	pd(p, 2, e3, 0x90);
	empty(p, MIGSTREAM_REC_CHECKPOINT);
	empty(p, MIGSTREAM_REC_END);
}

/* An HVM v3 stream using every HVM record call. */
static void write_hvm_all(pair *p, int be)
{
	static const uint64_t e1[4] = { 0x10, 0x11, 0xFull << 60 | 0x12, 0xfeffc };
	static const uint64_t e2[3] = { 0xDull << 60 | 0x20, 0x21, 0xEull << 60 | 0x22 };
	static const uint64_t idx[3] = { 1, 9, 17 }, val[3] = { 0xfeffc, 0x1ff, 0x11 };
	static const uint64_t params[6] = { 1, 0xfeffc, 9, 0x1ff, 17, 0x11 };
	struct iovec iov[2];

	headers(p->w, &p->b, 3, MIGSTREAM_DOMAIN_X86_HVM, be);
	cpuid2(p);
	msr1(p);
	empty(p, MIGSTREAM_REC_STATIC_DATA_END);
	pd(p, 4, e1, 0xA0);
	tb_record(&p->b, 0x80000001u, "opt", 3);
	STEP(p, migstream_writer_put_record(p->w, 0x80000001u, "opt", 3));
	pd(p, 3, e2, 0x30);
	tsc(p, 1, 3000000, 42, 3);
	tb_hvm_params(&p->b, 3, params);
	STEP(p, migstream_writer_put_hvm_params(p->w, 3, idx, val));
	/* HVM_CONTEXT through put_record_iov. */
	iov[0].iov_base = (void *)hvm_ctx_min;
	iov[0].iov_len = 13;
	iov[1].iov_base = (void *)(hvm_ctx_min + 13);
	iov[1].iov_len = sizeof hvm_ctx_min - 13;
	tb_record(&p->b, MIGSTREAM_REC_HVM_CONTEXT, hvm_ctx_min, sizeof hvm_ctx_min);
	STEP(p, migstream_writer_put_record_iov(p->w, MIGSTREAM_REC_HVM_CONTEXT, iov, 2));
	tb_record(&p->b, MIGSTREAM_REC_HVM_CONTEXT, hvm_ctx_min, sizeof hvm_ctx_min);
	STEP(p, migstream_writer_put_hvm_context(p->w, hvm_ctx_min, sizeof hvm_ctx_min));
	empty(p, MIGSTREAM_REC_VERIFY);
	empty(p, MIGSTREAM_REC_CHECKPOINT);
	empty(p, MIGSTREAM_REC_END);
}

static void check_readback(const tbuf *b, int be, const char *what)
{
	t_result *res = calloc(1, sizeof *res);

	ck_assert_ptr_nonnull(res);
	t_read_all(res, b->data, b->len, T_SRC_MEMORY,
	           be ? MIGSTREAM_MODE_RESTORE : MIGSTREAM_MODE_STRICT, NULL);
	ck_assert_msg(res->rc == MIGSTREAM_EOF, "%s: read back: %s", what, res->errmsg);
	free(res);
}

/* ------------------------------------------------------------ octets */

/* V1 and V2 with the writer are tb_vector_v1/_v2 octet for octet. */
START_TEST(test_writer_v1_octets)
{
	pair *p = malloc(sizeof *p);
	tbuf v;

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	write_v1(p, 0);
	tb_init(&v);
	tb_vector_v1(&v);
	assert_mem(p->w, &v, "V1");
	ck_assert_uint_eq(v.len, V1_SIZE);
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	migstream_writer_free(p->w);
	tb_free(&v);
	tb_free(&p->b);
	free(p);
}
END_TEST

START_TEST(test_writer_v2_octets)
{
	pair *p = malloc(sizeof *p);
	tbuf v;

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	write_v2(p, 0);
	tb_init(&v);
	tb_vector_v2(&v);
	assert_mem(p->w, &v, "V2");
	ck_assert_uint_eq(v.len, V2_SIZE);
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	migstream_writer_free(p->w);
	tb_free(&v);
	tb_free(&p->b);
	free(p);
}
END_TEST

/* _i: 0 little-endian, 1 big-endian.  Each stream also reads back. */
START_TEST(test_writer_v1_v2_both_orders)
{
	pair *p = malloc(sizeof *p);

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	write_v1(p, _i);
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	check_readback(&p->b, _i, "V1");
	migstream_writer_free(p->w);
	tb_free(&p->b);

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	write_v2(p, _i);
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	check_readback(&p->b, _i, "V2");
	migstream_writer_free(p->w);
	tb_free(&p->b);
	free(p);
}
END_TEST

START_TEST(test_writer_pv_all_records)
{
	pair *p = malloc(sizeof *p);

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	write_pv_all(p, _i);
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	check_readback(&p->b, _i, "PV all records");
	migstream_writer_free(p->w);
	tb_free(&p->b);
	free(p);
}
END_TEST

START_TEST(test_writer_hvm_all_records)
{
	pair *p = malloc(sizeof *p);

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	write_hvm_all(p, _i);
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	check_readback(&p->b, _i, "HVM all records");
	migstream_writer_free(p->w);
	tb_free(&p->b);
	free(p);
}
END_TEST

/* CHECKPOINT_DIRTY_PFN_LIST on a writer declared COLO back channel: that
 * stream has no headers (format.md 12.3) and is little-endian. */
/* Rule ID of the writer's last error. */
static const char *writer_rule(migstream_writer *w)
{
	static migstream_diag d;
	ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
	return d.rule ? d.rule : "";
}

START_TEST(test_writer_dirty_pfn_list)
{
	static const uint64_t pfns[3] = { 0x10, 0x11, 0xabcdef };
	pair *p = malloc(sizeof *p);
	migstream_image_header ih;
	unsigned i;

	pair_open(p, mem_writer(MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK, 0, 0), 1);
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	ck_assert_int_eq(migstream_writer_put_image_header(p->w, &ih, sizeof ih), MIGSTREAM_E_STATE);
	/* The back channel has no header: cycles of CHECKPOINT_STATE 2, 3, 1
	 * and the dirty pfn list (F 12.3).  A list out of turn is CKPT-10. */
	ck_assert_int_eq(migstream_writer_put_dirty_pfn_list(p->w, pfns, 3), MIGSTREAM_E_SEQUENCE);
	ck_assert_str_eq(writer_rule(p->w), "CKPT-10");
	for (int cycle = 0; cycle < 2; cycle++) {
		static const uint32_t ids[3] = { 2, 3, 1 };
		for (i = 0; i < 3; i++) {
			tb_se32(&p->b, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE);
			tb_se32(&p->b, 4);
			tb_se32(&p->b, ids[i]);
			tb_se32(&p->b, 0);
			STEP(p, migstream_writer_put_checkpoint_state(p->w, ids[i]));
		}
		if (cycle == 0) {
			tb_se32(&p->b, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST);
			tb_se32(&p->b, 24);
			for (i = 0; i < 3; i++)
				tb_se64(&p->b, pfns[i]);
			STEP(p, migstream_writer_put_dirty_pfn_list(p->w, pfns, 3));
		} else {
			/* An empty list is valid (count = body_length / 8, may be 0). */
			tb_empty(&p->b, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST);
			STEP(p, migstream_writer_put_dirty_pfn_list(p->w, pfns, 0));
		}
	}
	/* Forward-stream records do not belong on the back channel. */
	ck_assert_int_lt(migstream_writer_put_static_data_end(p->w), 0);
	ck_assert_uint_eq(migstream_writer_offset(p->w), p->b.len);
	migstream_writer_free(p->w);
	tb_free(&p->b);
	free(p);
}
END_TEST

/* marker and id may be given; other values are refused (IHDR-2/3). */
START_TEST(test_writer_image_header_marker_id)
{
	migstream_writer *w = mem_writer(0, 0, 0, 0);
	migstream_image_header ih;
	migstream_diag d;
	tbuf b;

	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	ih.marker = 0x1234;
	ck_assert_int_lt(migstream_writer_put_image_header(w, &ih, sizeof ih), 0);
	ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
	ck_assert_str_eq(d.rule, "IHDR-2");
	ck_assert_uint_eq(migstream_writer_offset(w), 0);
	ih.marker = UINT64_MAX;
	ih.id = 0x58454E47u;
	ck_assert_int_lt(migstream_writer_put_image_header(w, &ih, sizeof ih), 0);
	ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
	ck_assert_str_eq(d.rule, "IHDR-3");
	ih.id = 0x58454E46u;
	OK(w, migstream_writer_put_image_header(w, &ih, sizeof ih));
	tb_init(&b);
	tb_image_header(&b, 3, 0);
	assert_mem(w, &b, "image header with marker and id");
	migstream_writer_free(w);
	tb_free(&b);
}
END_TEST

/* ------------------------------------------------------------ refusals */

/*
 * A refusal case: `prefix` writes valid records (asserting success), `bad`
 * makes the call that breaks `rule`.  Strict: the call is refused with the
 * rule, nothing is written and a later valid call still works.  Raw: the
 * call is accepted, and the reader (strict mode) rejects the stream with
 * the same rule.
 */
typedef struct refusal {
	const char *rule;
	void (*prefix)(migstream_writer *w);
	int (*bad)(migstream_writer *w);
	int key; uint64_t val;          /* extra writer (and reader) option */
} refusal;

static void pre_hvm3(migstream_writer *w) { headers(w, NULL, 3, MIGSTREAM_DOMAIN_X86_HVM, 0); }
static void pre_hvm2(migstream_writer *w) { headers(w, NULL, 2, MIGSTREAM_DOMAIN_X86_HVM, 0); }
static void pre_pv3(migstream_writer *w) { headers(w, NULL, 3, MIGSTREAM_DOMAIN_X86_PV, 0); }

static void pre_hvm3_sde(migstream_writer *w)
{
	pre_hvm3(w);
	OK(w, migstream_writer_put_static_data_end(w));
}

static void pre_pv3_info(migstream_writer *w)
{
	migstream_x86_pv_info pi;

	pre_pv3(w);
	memset(&pi, 0, sizeof pi);
	pi.guest_width = 8;
	pi.pt_levels = 4;
	OK(w, migstream_writer_put_x86_pv_info(w, &pi, sizeof pi));
	OK(w, migstream_writer_put_static_data_end(w));
}

static void pre_pv3_info_only(migstream_writer *w)
{
	migstream_x86_pv_info pi;

	pre_pv3(w);
	memset(&pi, 0, sizeof pi);
	pi.guest_width = 8;
	pi.pt_levels = 4;
	OK(w, migstream_writer_put_x86_pv_info(w, &pi, sizeof pi));
}

static void pre_pv3_p2m(migstream_writer *w)
{
	static const uint64_t frames[1] = { 0 };

	pre_pv3_info(w);
	OK(w, migstream_writer_put_p2m_frames(w, 0, 2, frames, 1));
}

static const uint64_t one_pfn[1] = { 0 };
static const uint32_t notab[1] = { 0 };
static uint8_t zero_page[4096];
static const void *const one_page[1] = { zero_page };

static void pre_pv3_pages(migstream_writer *w)
{
	pre_pv3_p2m(w);
	OK(w, migstream_writer_put_page_data(w, 1, one_pfn, notab, one_page));
}

static void pre_v1(migstream_writer *w)
{
	static const uint64_t pfns[2] = { 0xfeffc, 1 };
	static const uint32_t types[2] = { 0, 0xF };
	static const uint64_t idx[1] = { 1 }, val[1] = { 0xfeffc };
	migstream_tsc_info t;

	pre_hvm3_sde(w);
	OK(w, migstream_writer_put_page_data(w, 2, pfns, types, one_page));
	memset(&t, 0, sizeof t);
	t.khz = 2000000;
	t.nsec = 312500000;
	t.incarnation = 1;
	OK(w, migstream_writer_put_tsc_info(w, &t, sizeof t));
	OK(w, migstream_writer_put_hvm_context(w, hvm_ctx_min, sizeof hvm_ctx_min));
	OK(w, migstream_writer_put_hvm_params(w, 1, idx, val));
	OK(w, migstream_writer_put_end(w));
}

static void pre_none(migstream_writer *w) { (void)w; }

static int bad_page_data(migstream_writer *w)
{
	return migstream_writer_put_page_data(w, 1, one_pfn, notab, one_page);
}

static int bad_sde(migstream_writer *w) { return migstream_writer_put_static_data_end(w); }
static int bad_end(migstream_writer *w) { return migstream_writer_put_end(w); }
static int bad_verify(migstream_writer *w) { return migstream_writer_put_verify(w); }

static int bad_p2m(migstream_writer *w)
{
	static const uint64_t frames[1] = { 0 };
	return migstream_writer_put_p2m_frames(w, 0, 2, frames, 1);
}

static int bad_basic_ctx(migstream_writer *w)
{
	static uint8_t ctx[5168];
	return migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, sizeof ctx);
}

static int bad_shared_info(migstream_writer *w)
{
	return migstream_writer_put_shared_info(w, zero_page, 4096);
}

static int bad_type_0x13(migstream_writer *w) { return migstream_writer_put_record(w, 0x13, "12345678", 8); }
static int bad_toolstack(migstream_writer *w) { return migstream_writer_put_toolstack(w, "ts", 2); }
static int bad_toolstack_rec(migstream_writer *w)
{
	return migstream_writer_put_record(w, MIGSTREAM_REC_TOOLSTACK, "ts", 2);
}

static int bad_cpuid(migstream_writer *w)
{
	migstream_cpuid_leaf l;
	memset(&l, 0, sizeof l);
	l.subleaf = 0xFFFFFFFFu;
	return migstream_writer_put_cpuid_policy(w, &l, 1, sizeof l);
}

static int bad_msr(migstream_writer *w)
{
	migstream_msr_entry m;
	memset(&m, 0, sizeof m);
	m.idx = 0xCE;
	return migstream_writer_put_msr_policy(w, &m, 1, sizeof m);
}

static int bad_basic_empty(migstream_writer *w)
{
	return migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, NULL, 0);
}

static int bad_hvm_ctx_empty(migstream_writer *w) { return migstream_writer_put_hvm_context(w, NULL, 0); }
static int bad_cpuid_empty(migstream_writer *w)
{
	return migstream_writer_put_cpuid_policy(w, NULL, 0, sizeof(migstream_cpuid_leaf));
}
static int bad_msr_empty(migstream_writer *w)
{
	return migstream_writer_put_msr_policy(w, NULL, 0, sizeof(migstream_msr_entry));
}
static int bad_page_count0(migstream_writer *w)
{
	return migstream_writer_put_page_data(w, 0, NULL, NULL, NULL);
}

static int bad_page_type5(migstream_writer *w)
{
	static const uint32_t t5[1] = { 5 };
	return migstream_writer_put_page_data(w, 1, one_pfn, t5, one_page);
}

/* Body 8 + 8 + 4096 = 4112 octets, above a cap of 4096. */
static int bad_oversize(migstream_writer *w) { return bad_page_data(w); }

static int bad_tsc_reserved(migstream_writer *w)
{
	migstream_tsc_info t;
	memset(&t, 0, sizeof t);
	t.khz = 1000000;
	t.reserved = 1;
	return migstream_writer_put_tsc_info(w, &t, sizeof t);
}

static int bad_ihdr_reserved(migstream_writer *w)
{
	migstream_image_header ih;
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	ih.reserved2 = 0x100;
	if (hdr_explicit) {
		ih.marker = UINT64_MAX;
		ih.id = 0x58454E46u;
	}
	return migstream_writer_put_image_header(w, &ih, sizeof ih);
}

static int bad_pv_info_8_3(migstream_writer *w)
{
	migstream_x86_pv_info pi;
	memset(&pi, 0, sizeof pi);
	pi.guest_width = 8;
	pi.pt_levels = 3;
	return migstream_writer_put_x86_pv_info(w, &pi, sizeof pi);
}

static int bad_msr_flags(migstream_writer *w)
{
	migstream_msr_entry m;
	memset(&m, 0, sizeof m);
	m.idx = 0xCE;
	m.flags = 1;
	return migstream_writer_put_msr_policy(w, &m, 1, sizeof m);
}

static int bad_dirty(migstream_writer *w)
{
	static const uint64_t pfns[1] = { 3 };
	return migstream_writer_put_dirty_pfn_list(w, pfns, 1);
}

static void run_refusal(const refusal *c, int raw)
{
	migstream_writer *w = migstream_writer_new();
	migstream_diag d;
	const uint8_t *before, *after;
	uint8_t *copy;
	size_t blen, alen;
	uint64_t off;
	int rc;

	ck_assert_ptr_nonnull(w);
	if (c->key)
		ck_assert_int_eq(migstream_writer_set_option(w, c->key, c->val), 0);
	if (raw)
		ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_RAW, 1), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	hdr_explicit = raw;
	c->prefix(w);
	off = migstream_writer_offset(w);
	mem_of(w, &before, &blen);
	copy = malloc(blen + 1);
	memcpy(copy, before, blen);
	rc = c->bad(w);
	if (!raw) {
		ck_assert_msg(rc < 0, "%s: the writer accepted the call", c->rule);
		memset(&d, 0, sizeof d);
		ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
		ck_assert_msg(d.rule != NULL && strcmp(d.rule, c->rule) == 0,
		              "%s: refused with rule \"%s\" (code %d): %s", c->rule,
		              d.rule ? d.rule : "(null)", rc, migstream_writer_errmsg(w));
		ck_assert_int_eq(d.code, rc);
		ck_assert_uint_eq(migstream_writer_offset(w), off);
		mem_of(w, &after, &alen);
		assert_octets(after, alen, copy, blen, "stream after a refusal");
		ck_assert_msg(strstr(migstream_writer_errmsg(w), c->rule) != NULL,
		              "errmsg \"%s\" does not name %s", migstream_writer_errmsg(w), c->rule);
	} else {
		t_result *res = calloc(1, sizeof *res);
		uint64_t opts[3] = { 0, 0, 0 };

		ck_assert_msg(rc == 0, "%s: raw writer refused the call: %s", c->rule,
		              migstream_writer_errmsg(w));
		ck_assert_uint_gt(migstream_writer_offset(w), off);
		mem_of(w, &after, &alen);
		if (c->key == MIGSTREAM_OPT_MAX_RECORD_LEN) {
			opts[0] = (uint64_t)c->key;
			opts[1] = c->val;
		} else if (c->key == MIGSTREAM_OPT_STREAM_KIND) {
			opts[0] = (uint64_t)c->key;
			opts[1] = c->val;
		}
		t_read_all(res, after, alen, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, opts);
		ck_assert_msg(res->rc < 0 && strcmp(res->err_rule, c->rule) == 0,
		              "%s: the reader gave %d rule \"%s\": %s", c->rule, res->rc,
		              res->err_rule, res->errmsg);
		free(res);
	}
	free(copy);
	migstream_writer_free(w);
}

static void refusal_test(const refusal *c)
{
	run_refusal(c, 0);
	run_refusal(c, 1);
}

#define REFUSAL(NAME, RULE, PREFIX, BAD, KEY, VAL) \
	START_TEST(test_writer_refuses_##NAME) \
	{ \
		static const refusal c = { RULE, PREFIX, BAD, KEY, VAL }; \
		refusal_test(&c); \
	} \
	END_TEST

REFUSAL(ORDER_4, "ORDER-4", pre_hvm3, bad_page_data, 0, 0)
REFUSAL(ORDER_4_p2m, "ORDER-4", pre_pv3_info_only, bad_p2m, 0, 0)
REFUSAL(ORDER_5, "ORDER-5", pre_hvm3, bad_verify, 0, 0)
REFUSAL(ORDER_3, "ORDER-3", pre_hvm3_sde, bad_sde, 0, 0)
REFUSAL(ORDER_1, "ORDER-1", pre_v1, bad_end, 0, 0)
REFUSAL(ORDER_1_verify, "ORDER-1", pre_v1, bad_verify, 0, 0)
REFUSAL(PV_10, "PV-10", pre_pv3_info, bad_page_data, 0, 0)
REFUSAL(PV_26, "PV-26", pre_pv3_p2m, bad_basic_ctx, 0, 0)
REFUSAL(REC_4, "REC-4", pre_hvm3_sde, bad_type_0x13, 0, 0)
REFUSAL(REC_7, "REC-7", pre_hvm3_sde, bad_toolstack, 0, 0)
REFUSAL(REC_7_put_record, "REC-7", pre_hvm3_sde, bad_toolstack_rec, 0, 0)
REFUSAL(REC_8, "REC-8", pre_hvm3_sde, bad_dirty, 0, 0)
REFUSAL(REC_10_static_data_end, "REC-10", pre_hvm2, bad_sde, 0, 0)
REFUSAL(REC_10_cpuid, "REC-10", pre_hvm2, bad_cpuid, 0, 0)
REFUSAL(REC_10_msr, "REC-10", pre_hvm2, bad_msr, 0, 0)
REFUSAL(PV_16, "PV-16", pre_pv3_pages, bad_basic_empty, 0, 0)
REFUSAL(HVM_1, "HVM-1", pre_hvm3_sde, bad_hvm_ctx_empty, 0, 0)
REFUSAL(POLICY_1, "POLICY-1", pre_hvm3, bad_cpuid_empty, 0, 0)
REFUSAL(POLICY_2, "POLICY-2", pre_hvm3, bad_msr_empty, 0, 0)
REFUSAL(PAGE_2, "PAGE-2", pre_hvm3_sde, bad_page_count0, 0, 0)
REFUSAL(PAGE_6, "PAGE-6", pre_hvm3_sde, bad_page_type5, 0, 0)
REFUSAL(REC_2, "REC-2", pre_hvm3_sde, bad_oversize, MIGSTREAM_OPT_MAX_RECORD_LEN, 4096)
REFUSAL(TSC_2, "TSC-2", pre_hvm3_sde, bad_tsc_reserved, 0, 0)
REFUSAL(IHDR_8, "IHDR-8", pre_none, bad_ihdr_reserved, 0, 0)
REFUSAL(PV_3, "PV-3", pre_pv3, bad_pv_info_8_3, 0, 0)
REFUSAL(PV_6, "PV-6", pre_pv3, bad_shared_info, 0, 0)
REFUSAL(POLICY_3, "POLICY-3", pre_hvm3, bad_msr_flags, 0, 0)

/* PV-6 also for P2M frames (needs SDE so ORDER-4 does not come first). */
static void pre_pv3_sde(migstream_writer *w)
{
	pre_pv3(w);
	OK(w, migstream_writer_put_static_data_end(w));
}
REFUSAL(PV_6_p2m, "PV-6", pre_pv3_sde, bad_p2m, 0, 0)

/* Records before the headers: E_STATE, nothing written. */
START_TEST(test_writer_refuses_record_before_headers)
{
	migstream_writer *w = mem_writer(0, 0, 0, 0);
	migstream_domain_header dh;

	ck_assert_int_eq(migstream_writer_put_end(w), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_writer_put_static_data_end(w), MIGSTREAM_E_STATE);
	ck_assert_int_eq(bad_page_data(w), MIGSTREAM_E_STATE);
	memset(&dh, 0, sizeof dh);
	dh.type = 2;
	dh.page_shift = 12;
	ck_assert_int_eq(migstream_writer_put_domain_header(w, &dh, sizeof dh), MIGSTREAM_E_STATE);
	ck_assert_uint_eq(migstream_writer_offset(w), 0);
	/* Image header only: still no records. */
	headers(w, NULL, 3, 2, 0);
	ck_assert_int_eq(migstream_writer_put_image_header(w, NULL, 0) < 0, 1);
	ck_assert_uint_eq(migstream_writer_offset(w), 40);
	migstream_writer_free(w);

	w = mem_writer(0, 0, 0, 0);
	{
		migstream_image_header ih;
		memset(&ih, 0, sizeof ih);
		ih.version = 3;
		OK(w, migstream_writer_put_image_header(w, &ih, sizeof ih));
	}
	ck_assert_int_eq(migstream_writer_put_end(w), MIGSTREAM_E_STATE);
	ck_assert_uint_eq(migstream_writer_offset(w), 24);
	migstream_writer_free(w);
}
END_TEST

/* Without MIGSTREAM_OPT_RAW, put_raw is refused. */
START_TEST(test_writer_put_raw_needs_raw)
{
	migstream_writer *w = mem_writer(0, 0, 0, 0);

	ck_assert_int_eq(migstream_writer_put_raw(w, "x", 1), MIGSTREAM_E_STATE);
	ck_assert_uint_eq(migstream_writer_offset(w), 0);
	migstream_writer_free(w);
}
END_TEST

/* Framing breakage with put_raw: a record header claiming more octets than
 * follow is read back as a truncation (REC-1). */
START_TEST(test_writer_raw_framing_rec_1)
{
	migstream_writer *w = mem_writer(MIGSTREAM_OPT_RAW, 1, 0, 0);
	static const uint8_t hdr[8] = { 0x09, 0, 0, 0, 0x28, 0, 0, 0 };   /* HVM_CONTEXT, 40 */
	const uint8_t *p;
	size_t n;
	t_result *res = calloc(1, sizeof *res);

	hdr_explicit = 1;
	pre_hvm3_sde(w);
	OK(w, migstream_writer_put_raw(w, hdr, sizeof hdr));
	OK(w, migstream_writer_put_raw(w, hvm_ctx_min, 20));
	ck_assert_uint_eq(migstream_writer_offset(w), 40 + 8 + 8 + 20);
	mem_of(w, &p, &n);
	t_read_all(res, p, n, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
	ck_assert_int_eq(res->rc, MIGSTREAM_E_TRUNCATED);
	ck_assert_str_eq(res->err_rule, "REC-1");
	free(res);
	migstream_writer_free(w);
}
END_TEST

/* TOOLSTACK written raw: its octets. */
START_TEST(test_writer_raw_toolstack_octets)
{
	migstream_writer *w = mem_writer(MIGSTREAM_OPT_RAW, 1, 0, 0);
	tbuf b;

	tb_init(&b);
	hdr_explicit = 1;
	headers(w, &b, 3, MIGSTREAM_DOMAIN_X86_HVM, _i);
	OK(w, migstream_writer_put_static_data_end(w));
	tb_empty(&b, MIGSTREAM_REC_STATIC_DATA_END);
	OK(w, migstream_writer_put_toolstack(w, "toolstack", 9));
	tb_record(&b, MIGSTREAM_REC_TOOLSTACK, "toolstack", 9);
	assert_mem(w, &b, "TOOLSTACK");
	migstream_writer_free(w);
	tb_free(&b);
}
END_TEST

/* A refusal is not sticky: the same stream then completes as V1. */
START_TEST(test_writer_refusal_not_sticky)
{
	pair *p = malloc(sizeof *p);
	static const uint64_t e[2] = { 0xFEFFCull, 0xFull << 60 | 1 };
	static const uint64_t idx[1] = { 1 }, val[1] = { 0xfeffc };
	static const uint64_t params[2] = { 1, 0xfeffc };
	tbuf v;

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	headers(p->w, &p->b, 3, MIGSTREAM_DOMAIN_X86_HVM, 0);
	ck_assert_int_lt(bad_page_data(p->w), 0);                  /* ORDER-4 */
	ck_assert_int_lt(bad_cpuid_empty(p->w), 0);                /* POLICY-1 */
	empty(p, MIGSTREAM_REC_STATIC_DATA_END);
	ck_assert_int_lt(bad_sde(p->w), 0);                        /* ORDER-3 */
	ck_assert_int_lt(bad_page_type5(p->w), 0);                 /* PAGE-6 */
	pd(p, 2, e, 0x00);
	ck_assert_int_lt(bad_tsc_reserved(p->w), 0);               /* TSC-2 */
	tsc(p, 0, 2000000, 312500000, 1);
	ck_assert_int_lt(bad_hvm_ctx_empty(p->w), 0);              /* HVM-1 */
	tb_record(&p->b, MIGSTREAM_REC_HVM_CONTEXT, hvm_ctx_min, sizeof hvm_ctx_min);
	STEP(p, migstream_writer_put_hvm_context(p->w, hvm_ctx_min, sizeof hvm_ctx_min));
	tb_hvm_params(&p->b, 1, params);
	STEP(p, migstream_writer_put_hvm_params(p->w, 1, idx, val));
	empty(p, MIGSTREAM_REC_END);
	tb_init(&v);
	tb_vector_v1(&v);
	assert_mem(p->w, &v, "V1 after refusals");
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	migstream_writer_free(p->w);
	tb_free(&v);
	tb_free(&p->b);
	free(p);
}
END_TEST

/* ------------------------------------------------------------ lifecycle */

START_TEST(test_writer_close_without_end)
{
	migstream_writer *w = mem_writer(0, 0, 0, 0);

	pre_hvm3_sde(w);
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_STATE);
	migstream_writer_free(w);

	/* Nothing written at all. */
	w = mem_writer(0, 0, 0, 0);
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_STATE);
	migstream_writer_free(w);
	migstream_writer_free(NULL);
}
END_TEST

static void tmp_path(char *buf, size_t size, const char *tag)
{
	const char *dir = getenv("TMPDIR");

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(buf, size, "%s/migstream-writer-%s-%ld", dir, tag, (long)getpid());
}

static void write_v1_to(migstream_writer *w)
{
	pre_v1(w);
}

START_TEST(test_writer_open_path)
{
	char path[4096];
	migstream_writer *w;
	migstream_diag d;
	struct stat st;
	tbuf v;
	int fd;
	mode_t old;

	tmp_path(path, sizeof path, "path");
	unlink(path);
	old = umask(022);

	/* New file, mode 0640 (umask 022 leaves it). */
	w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_FILE_MODE, 0640), 0);
	ck_assert_int_eq(migstream_writer_open_path(w, path), 0);
	write_v1_to(w);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	ck_assert_uint_eq((uint64_t)st.st_size, V1_SIZE);
	{
		uint8_t buf[V1_SIZE];
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(read(fd, buf, sizeof buf), (ssize_t)V1_SIZE);
		close(fd);
		tb_init(&v);
		tb_vector_v1(&v);
		assert_octets(buf, V1_SIZE, v.data, v.len, "V1 file");
		tb_free(&v);
	}

	/* Existing file: refused with EEXIST, file untouched. */
	w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_open_path(w, path), MIGSTREAM_E_IO);
	memset(&d, 0, sizeof d);
	ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
	ck_assert_int_eq(d.code, MIGSTREAM_E_IO);
	ck_assert_int_eq(d.sys_errno, EEXIST);
	migstream_writer_free(w);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, V1_SIZE);

	/* With TRUNCATE: rewritten (a shorter, incomplete stream). */
	w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_TRUNCATE, 1), 0);
	ck_assert_int_eq(migstream_writer_open_path(w, path), 0);
	pre_hvm3(w);
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_STATE);
	migstream_writer_free(w);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, 40);

	/* Another mode. */
	unlink(path);
	w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_FILE_MODE, 0600), 0);
	ck_assert_int_eq(migstream_writer_open_path(w, path), 0);
	write_v1_to(w);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	unlink(path);
	umask(old);
}
END_TEST

/* MIGSTREAM_OPT_ATOMIC: a directory of its own, so that a temporary file
 * left behind shows. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static const char old_content[] = "a save image the user wants to keep\n";

static void put_old(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, old_content, sizeof old_content), (ssize_t)sizeof old_content);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_old(const char *path, const char *what)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_msg(fd >= 0, "%s: the old file is gone", what);
	n = read(fd, buf, sizeof buf);
	close(fd);
	ck_assert_msg(n == (ssize_t)sizeof old_content && memcmp(buf, old_content, sizeof old_content) == 0,
	              "%s: the old file was changed", what);
}

static migstream_writer *atomic_writer(const char *path, int truncate, int expect)
{
	migstream_writer *w = migstream_writer_new();

	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_ATOMIC, 1), 0);
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_TRUNCATE, (uint64_t)truncate), 0);
	ck_assert_int_eq(migstream_writer_open_path(w, path), expect);
	return w;
}

START_TEST(test_writer_atomic)
{
	char dir[4096], path[4200], link[4200];
	migstream_writer *w;
	migstream_diag d;
	struct stat st;
	uint64_t lo = 9, hi = 9;

	ck_assert_int_eq(migstream_option_bounds(MIGSTREAM_OPT_ATOMIC, &lo, &hi), 0);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(hi, 1);

	tmp_path(dir, sizeof dir, "atomic");
	ck_assert_ptr_nonnull(mkdtemp(strcat(dir, "-XXXXXX")));
	snprintf(path, sizeof path, "%s/guest.save", dir);
	put_old(path, 0640);

	/* A complete stream replaces the file, which keeps its mode; the old
	 * content stays until close. */
	w = atomic_writer(path, 1, 0);
	write_v1_to(w);
	assert_old(path, "before close");
	ck_assert_int_eq(dir_entries(dir), 2);          /* the file and the temporary */
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	ck_assert_int_eq(dir_entries(dir), 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, V1_SIZE);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);

	/* free() before END: the old file stays, no temporary file. */
	put_old(path, 0640);
	w = atomic_writer(path, 1, 0);
	pre_hvm3_sde(w);
	migstream_writer_free(w);
	assert_old(path, "free before END");
	ck_assert_int_eq(dir_entries(dir), 1);

	/* close() before END: E_STATE, the same. */
	w = atomic_writer(path, 1, 0);
	pre_hvm3_sde(w);
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_STATE);
	migstream_writer_free(w);
	assert_old(path, "close before END");
	ck_assert_int_eq(dir_entries(dir), 1);

	/* A refused record, then free. */
	w = atomic_writer(path, 1, 0);
	pre_hvm3_sde(w);
	ck_assert_int_lt(migstream_writer_put_toolstack(w, "x", 1), 0);
	migstream_writer_free(w);
	assert_old(path, "refused record");
	ck_assert_int_eq(dir_entries(dir), 1);

	/* An I/O failure mid-way (the file size limit: EFBIG): close reports
	 * it, nothing is left but the old file. */
	{
		struct rlimit rl, old_rl;
		static uint8_t pages[2][MIGSTREAM_PAGE_SIZE];
		const void *pp[2] = { pages[0], pages[1] };
		uint64_t pfns[2] = { 1, 2 };
		uint32_t types[2] = { 0, 0 };
		int rc;

		w = atomic_writer(path, 1, 0);
		pre_hvm3_sde(w);
		ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old_rl), 0);
		rl = old_rl;
		rl.rlim_cur = 4096;
		signal(SIGXFSZ, SIG_IGN);
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
		rc = migstream_writer_put_page_data(w, 2, pfns, types, pp);
		setrlimit(RLIMIT_FSIZE, &old_rl);
		ck_assert_int_eq(rc, MIGSTREAM_E_IO);
		ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_IO);
		memset(&d, 0, sizeof d);
		migstream_writer_free(w);
		assert_old(path, "I/O failure");
		ck_assert_int_eq(dir_entries(dir), 1);
	}

	/* Without TRUNCATE an existing file is refused, as without ATOMIC. */
	w = atomic_writer(path, 0, MIGSTREAM_E_IO);
	ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
	ck_assert_int_eq(d.sys_errno, EEXIST);
	migstream_writer_free(w);
	assert_old(path, "no TRUNCATE");
	ck_assert_int_eq(dir_entries(dir), 1);

	/* Through a symlink: the file it names is replaced, the link stays. */
	snprintf(link, sizeof link, "%s/link", dir);
	ck_assert_int_eq(symlink("guest.save", link), 0);
	w = atomic_writer(link, 1, 0);
	write_v1_to(w);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, V1_SIZE);
	ck_assert_int_eq(dir_entries(dir), 2);
	unlink(link);

	/* A new file: created by close, with MIGSTREAM_OPT_FILE_MODE. */
	unlink(path);
	{
		mode_t old = umask(022);
		w = migstream_writer_new();
		ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_FILE_MODE, 0604), 0);
		ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_ATOMIC, 1), 0);
		ck_assert_int_eq(migstream_writer_open_path(w, path), 0);
		ck_assert_int_eq(stat(path, &st), -1);   /* not there before close */
		write_v1_to(w);
		ck_assert_int_eq(migstream_writer_close(w), 0);
		migstream_writer_free(w);
		umask(old);
	}
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0604);
	ck_assert_int_eq(dir_entries(dir), 1);
	unlink(path);

	/* Not a regular file: written in place, never removed. */
	if (stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode)) {
		w = atomic_writer("/dev/null", 1, 0);
		pre_hvm3_sde(w);
		migstream_writer_free(w);
		ck_assert_int_eq(stat("/dev/null", &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
		w = atomic_writer("/dev/null", 1, 0);
		write_v1_to(w);
		ck_assert_int_eq(migstream_writer_close(w), 0);
		migstream_writer_free(w);
		ck_assert_int_eq(stat("/dev/null", &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
	}
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ------------------------------------------------------------ I/O faults */

/* The PV all-records stream as the reference octets. */
static void reference(tbuf *out)
{
	pair *p = malloc(sizeof *p);

	pair_open(p, mem_writer(0, 0, 0, 0), 1);
	write_pv_all(p, 0);
	ck_assert_int_eq(migstream_writer_close(p->w), 0);
	migstream_writer_free(p->w);
	*out = p->b;
	free(p);
}

/* Sequence of calls for fault tests: each returns its rc; stops at the
 * first failure and checks that later calls give the same code. */
static int fault_call(migstream_writer *w, int k)
{
	static const uint64_t frames[1] = { 0 };
	static uint8_t ctx[5168], big[40][4096], small[3][4096];
	static const uint64_t e1p[3] = { 1, 0, 2 };
	static const uint32_t e1t[3] = { 0xC, 0, 0 };
	migstream_x86_pv_info pi;
	migstream_tsc_info t;
	uint64_t pfns[40];
	uint32_t types[40];
	const void *pages[40];
	int i;

	switch (k) {
	case 0: {
		migstream_image_header ih;
		memset(&ih, 0, sizeof ih);
		ih.version = 3;
		return migstream_writer_put_image_header(w, &ih, sizeof ih);
	}
	case 1: {
		migstream_domain_header dh;
		memset(&dh, 0, sizeof dh);
		dh.type = 1;
		dh.page_shift = 12;
		dh.xen_major = 4;
		dh.xen_minor = 20;
		return migstream_writer_put_domain_header(w, &dh, sizeof dh);
	}
	case 2:
		memset(&pi, 0, sizeof pi);
		pi.guest_width = 8;
		pi.pt_levels = 4;
		return migstream_writer_put_x86_pv_info(w, &pi, sizeof pi);
	case 3: return migstream_writer_put_static_data_end(w);
	case 4: return migstream_writer_put_p2m_frames(w, 0, 63, frames, 1);
	case 5:
		/* L4 (pfn 1) without present entries, p2m frame, start_info. */
		memset(small, 0, sizeof small);
		for (i = 0; i < 3; i++)
			pages[i] = small[i];
		return migstream_writer_put_page_data(w, 3, e1p, e1t, pages);
	case 6:
		for (i = 0; i < 40; i++) {
			pfns[i] = 3 + (uint64_t)i;
			types[i] = 0;
			memset(big[i], 0x40 + i, 4096);
			pages[i] = big[i];
		}
		return migstream_writer_put_page_data(w, 40, pfns, types, pages);
	case 7:
		memset(&t, 0, sizeof t);
		t.khz = 1000000;
		return migstream_writer_put_tsc_info(w, &t, sizeof t);
	case 8:
		memset(big[0], 0, 4096);
		return migstream_writer_put_shared_info(w, big[0], 4096);
	case 9:
		v2_basic_ctx(ctx);
		return migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, 5168);
	case 10: return migstream_writer_put_end(w);
	default: return migstream_writer_close(w);
	}
}
#define FAULT_CALLS 12

/* Runs every call; returns the first failure (0 if none) and checks that
 * every later call returns the same code (sticky). */
static int run_fault_calls(migstream_writer *w, migstream_diag *d)
{
	int k, first = 0;

	for (k = 0; k < FAULT_CALLS; k++) {
		int rc = fault_call(w, k);

		if (first == 0 && rc != 0) {
			first = rc;
			memset(d, 0, sizeof *d);
			ck_assert_int_eq(migstream_writer_error(w, d, sizeof *d), 0);
		} else if (first != 0) {
			ck_assert_msg(rc == first, "call %d after a sink failure returned %d, expected %d",
			              k, rc, first);
		}
	}
	return first;
}

/* The fault-call stream written to memory. */
static void fault_reference(tbuf *out)
{
	migstream_writer *w = mem_writer(0, 0, 0, 0);
	const uint8_t *p;
	size_t n;
	int k;

	for (k = 0; k < FAULT_CALLS - 1; k++)
		ck_assert_msg(fault_call(w, k) == 0, "call %d: %s", k, migstream_writer_errmsg(w));
	mem_of(w, &p, &n);
	tb_init(out);
	tb_bytes(out, p, n);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
	{
		t_result *res = calloc(1, sizeof *res);
		t_read_all(res, out->data, out->len, T_SRC_MEMORY, MIGSTREAM_MODE_STRICT, NULL);
		ck_assert_msg(res->rc == MIGSTREAM_EOF, "fault stream: %s", res->errmsg);
		free(res);
	}
}

START_TEST(test_writer_dev_full_enospc)
{
	migstream_writer *w = migstream_writer_new();
	migstream_diag d;
	int fd = open("/dev/full", O_WRONLY);

	if (fd < 0)
		return;         /* no /dev/full here */
	ck_assert_int_eq(migstream_writer_open_fd(w, fd), 0);
	ck_assert_int_eq(run_fault_calls(w, &d), MIGSTREAM_E_IO);
	ck_assert_int_eq(d.code, MIGSTREAM_E_IO);
	ck_assert_int_eq(d.sys_errno, ENOSPC);
	migstream_writer_free(w);
	close(fd);
}
END_TEST

START_TEST(test_writer_pipe_epipe)
{
	migstream_writer *w = migstream_writer_new();
	migstream_diag d;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	ck_assert_int_eq(migstream_writer_open_fd(w, p[1]), 0);
	ck_assert_int_eq(run_fault_calls(w, &d), MIGSTREAM_E_IO);
	ck_assert_int_eq(d.sys_errno, EPIPE);
	migstream_writer_free(w);
	close(p[1]);
}
END_TEST

/* Callback sink: accepts at most `chunk` octets per call, fails with
 * -EIO once `budget` octets have been accepted (budget < 0: never). */
typedef struct sink {
	tbuf got;
	size_t chunk;
	long budget;
	unsigned calls, closes;
} sink;

static int64_t sink_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
	sink *s = ctx;
	size_t n = 0, want = 0;
	int i;

	s->calls++;
	for (i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	if (want == 0)
		return 0;
	if (s->budget >= 0 && (long)s->got.len >= s->budget)
		return -EIO;
	if (want > s->chunk)
		want = s->chunk;
	if (s->budget >= 0 && want > (size_t)(s->budget - (long)s->got.len))
		want = (size_t)(s->budget - (long)s->got.len);
	for (i = 0; i < iovcnt && n < want; i++) {
		size_t k = iov[i].iov_len;

		if (k > want - n)
			k = want - n;
		tb_bytes(&s->got, iov[i].iov_base, k);
		n += k;
	}
	return (int64_t)n;
}

static int sink_close(void *ctx)
{
	sink *s = ctx;

	s->closes++;
	return 0;
}

static const migstream_write_io sink_io = { sink_writev, sink_close };

START_TEST(test_writer_io_one_octet_per_call)
{
	migstream_writer *w = migstream_writer_new();
	sink s;
	tbuf ref;
	migstream_diag d;

	fault_reference(&ref);
	memset(&s, 0, sizeof s);
	tb_init(&s.got);
	s.chunk = 1;
	s.budget = -1;
	ck_assert_int_eq(migstream_writer_open_io(w, &sink_io, sizeof sink_io, &s), 0);
	ck_assert_int_eq(run_fault_calls(w, &d), 0);
	assert_octets(s.got.data, s.got.len, ref.data, ref.len, "1 octet per call");
	ck_assert_uint_ge(s.calls, ref.len);
	ck_assert_uint_eq(s.closes, 1);
	migstream_writer_free(w);
	ck_assert_uint_eq(s.closes, 1);
	tb_free(&s.got);
	tb_free(&ref);

	/* The PV all-records stream through a 7-octet sink. */
	reference(&ref);
	memset(&s, 0, sizeof s);
	tb_init(&s.got);
	s.chunk = 7;
	s.budget = -1;
	{
		pair *p = malloc(sizeof *p);
		w = migstream_writer_new();
		ck_assert_int_eq(migstream_writer_open_io(w, &sink_io, sizeof sink_io, &s), 0);
		pair_open(p, w, 0);
		write_pv_all(p, 0);
		ck_assert_int_eq(migstream_writer_close(w), 0);
		migstream_writer_free(w);
		tb_free(&p->b);
		free(p);
	}
	assert_octets(s.got.data, s.got.len, ref.data, ref.len, "7 octets per call");
	tb_free(&s.got);
	tb_free(&ref);
}
END_TEST


/* The writev callback's contract (writer.h): 1..(octets asked) or -errno
 * (1..4095); -EINTR is retried.  INT64_MIN (undefined behaviour if
 * negated), -5000, 0 and more than asked fail the writer with E_IO and a
 * message quoting the value; the sink's offset never counts octets that
 * were not asked for. */
static int64_t odd_value;
static int odd_calls;
static int64_t odd_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
	size_t want = 0;
	(void)ctx;
	for (int i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	if (odd_calls++ == 1 || (odd_value == -EINTR && odd_calls < 5))
		return odd_value;
	return (int64_t)want;
}
static int odd_close(void *ctx)
{
	(void)ctx;
	return INT_MIN;
}

START_TEST(test_writer_io_callback_contract)
{
	static const int64_t odd[] = { INT64_MIN, -5000, -4096, ((int64_t)1 << 40), INT64_MAX, 0, -EINTR,
	                               -ENOSPC };
	static const migstream_write_io io = { odd_writev, odd_close };
	migstream_diag d;

	for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
		migstream_writer *w = migstream_writer_new();
		int rc = 0, call;

		odd_value = odd[k];
		odd_calls = 0;
		ck_assert_int_eq(migstream_writer_open_io(w, &io, sizeof io, NULL), 0);
		for (call = 0; call < FAULT_CALLS && rc == 0; call++)
			rc = fault_call(w, call);
		ck_assert_int_eq(migstream_writer_error(w, &d, sizeof d), 0);
		if (odd[k] == -EINTR) {
			/* Retried: the stream is complete; the close callback's
			 * INT_MIN is no -errno (negating it is undefined). */
			ck_assert_int_eq(call, FAULT_CALLS);     /* the last call is close */
			ck_assert_int_eq(rc, MIGSTREAM_E_IO);
			ck_assert_ptr_nonnull(strstr(migstream_writer_errmsg(w), "closing the sink failed"));
			ck_assert_int_eq(d.sys_errno, EINVAL);
		} else {
			ck_assert_msg(rc == MIGSTREAM_E_IO, "value %lld: %s", (long long)odd[k],
			              migstream_error_name(rc));
			ck_assert_str_ne(migstream_writer_errmsg(w), "");
			if (odd[k] > -4096 && odd[k] < 0) {
				ck_assert_int_eq(d.sys_errno, (int)-odd[k]);
			} else if (odd[k] != 0) {
				char want[64];
				snprintf(want, sizeof want, "returned %lld", (long long)odd[k]);
				ck_assert_int_eq(d.sys_errno, EINVAL);
				ck_assert_msg(strstr(migstream_writer_errmsg(w), want), "%s",
				              migstream_writer_errmsg(w));
			}
			/* Only the first call's octets were accepted. */
			ck_assert_uint_le(migstream_writer_offset(w), 48);
		}
		migstream_writer_free(w);
	}
}
END_TEST

static void fail_after(const tbuf *ref, long n, size_t chunk)
{
	migstream_writer *w = migstream_writer_new();
	migstream_diag d;
	sink s;
	int rc;

	memset(&s, 0, sizeof s);
	tb_init(&s.got);
	s.chunk = chunk;
	s.budget = n;
	ck_assert_int_eq(migstream_writer_open_io(w, &sink_io, sizeof sink_io, &s), 0);
	rc = run_fault_calls(w, &d);
	if ((size_t)n >= ref->len) {
		ck_assert_msg(rc == 0, "budget %ld: %d %s", n, rc, migstream_writer_errmsg(w));
		assert_octets(s.got.data, s.got.len, ref->data, ref->len, "complete stream");
	} else {
		ck_assert_msg(rc == MIGSTREAM_E_IO, "budget %ld: returned %d, expected E_IO", n, rc);
		ck_assert_int_eq(d.sys_errno, EIO);
		ck_assert_msg(s.got.len <= (size_t)n && s.got.len <= ref->len &&
		              memcmp(s.got.data ? (const void *)s.got.data : "", ref->data, s.got.len) == 0,
		              "budget %ld: the %zu octets accepted are not a prefix of the stream", n,
		              s.got.len);
	}
	migstream_writer_free(w);
	ck_assert_uint_le(s.closes, 1);
	tb_free(&s.got);
}

START_TEST(test_writer_io_fails_after_n)
{
	static const long ns[] = { 0, 1, 7, 8, 23, 24, 39, 40, 41, 100, 4095, 4096, 5000 };
	tbuf ref;
	size_t i;
	long n;

	fault_reference(&ref);
	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		fail_after(&ref, ns[i], (size_t)-1);
		fail_after(&ref, ns[i], 4097);
	}
	for (n = 0; (size_t)n <= ref.len + 97; n += 97)
		fail_after(&ref, n, (size_t)-1);
	fail_after(&ref, (long)ref.len, (size_t)-1);
	fail_after(&ref, (long)ref.len - 1, (size_t)-1);
	tb_free(&ref);
}
END_TEST

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_ge(fl, 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* A full non-blocking pipe: E_AGAIN without MIGSTREAM_OPT_WAIT. */
START_TEST(test_writer_nonblocking_again)
{
	migstream_writer *w = migstream_writer_new();
	int p[2], rc = 0, k;

	ck_assert_int_eq(pipe(p), 0);
	set_nonblock(p[1]);
	ck_assert_int_eq(migstream_writer_open_fd(w, p[1]), 0);
	/* The 40 pages (160 KiB) do not fit a pipe nobody drains: the call
	 * that meets EAGAIN is accepted (E_AGAIN, not a failure), and every
	 * later put is refused until the rest is flushed (since 1.1; 1.0
	 * failed the writer here). */
	for (k = 0; k < FAULT_CALLS && rc == 0; k++)
		rc = fault_call(w, k);
	ck_assert_int_eq(rc, MIGSTREAM_E_AGAIN);
	ck_assert_uint_gt(migstream_writer_pending(w), 0);
	if (k < FAULT_CALLS)
		ck_assert_int_eq(fault_call(w, k), MIGSTREAM_E_STATE);
	ck_assert_int_eq(migstream_writer_flush(w), MIGSTREAM_E_AGAIN);
	ck_assert_int_eq(migstream_writer_close(w), MIGSTREAM_E_AGAIN);
	migstream_writer_free(w);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* With MIGSTREAM_OPT_WAIT the writer polls while a child drains the pipe
 * slowly; the child checks the octets. */
START_TEST(test_writer_nonblocking_wait)
{
	migstream_writer *w;
	migstream_diag d;
	tbuf ref;
	int p[2], status;
	pid_t pid;

	fault_reference(&ref);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		tbuf got;
		uint8_t buf[1000];
		ssize_t r;

		close(p[1]);
		tb_init(&got);
		usleep(50000);
		while ((r = read(p[0], buf, sizeof buf)) != 0) {
			if (r < 0) {
				if (errno == EINTR)
					continue;
				_exit(3);
			}
			tb_bytes(&got, buf, (size_t)r);
			if (got.len % 16000 < 1000)
				usleep(2000);
		}
		_exit(got.len == ref.len && memcmp(got.data, ref.data, ref.len) == 0 ? 0 : 1);
	}
	close(p[0]);
	set_nonblock(p[1]);
	w = migstream_writer_new();
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_WAIT, 1), 0);
	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_CLOSE_FD, 1), 0);
	ck_assert_int_eq(migstream_writer_open_fd(w, p[1]), 0);
	ck_assert_int_eq(run_fault_calls(w, &d), 0);
	migstream_writer_free(w);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "the reading child saw different octets (status 0x%x)", status);
	tb_free(&ref);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *writer_suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("octets");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_writer_v1_octets);
	tcase_add_test(tc, test_writer_v2_octets);
	tcase_add_loop_test(tc, test_writer_v1_v2_both_orders, 0, 2);
	tcase_add_loop_test(tc, test_writer_pv_all_records, 0, 2);
	tcase_add_loop_test(tc, test_writer_hvm_all_records, 0, 2);
	tcase_add_test(tc, test_writer_dirty_pfn_list);
	tcase_add_loop_test(tc, test_writer_raw_toolstack_octets, 0, 2);
	tcase_add_test(tc, test_writer_image_header_marker_id);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_writer_refuses_record_before_headers);
	tcase_add_test(tc, test_writer_refuses_ORDER_4);
	tcase_add_test(tc, test_writer_refuses_ORDER_4_p2m);
	tcase_add_test(tc, test_writer_refuses_ORDER_5);
	tcase_add_test(tc, test_writer_refuses_ORDER_3);
	tcase_add_test(tc, test_writer_refuses_ORDER_1);
	tcase_add_test(tc, test_writer_refuses_ORDER_1_verify);
	tcase_add_test(tc, test_writer_refuses_PV_10);
	tcase_add_test(tc, test_writer_refuses_PV_6);
	tcase_add_test(tc, test_writer_refuses_PV_6_p2m);
	tcase_add_test(tc, test_writer_refuses_PV_26);
	tcase_add_test(tc, test_writer_refuses_REC_4);
	tcase_add_test(tc, test_writer_refuses_REC_7);
	tcase_add_test(tc, test_writer_refuses_REC_7_put_record);
	tcase_add_test(tc, test_writer_refuses_REC_8);
	tcase_add_test(tc, test_writer_refuses_REC_10_static_data_end);
	tcase_add_test(tc, test_writer_refuses_REC_10_cpuid);
	tcase_add_test(tc, test_writer_refuses_REC_10_msr);
	tcase_add_test(tc, test_writer_refuses_PV_16);
	tcase_add_test(tc, test_writer_refuses_HVM_1);
	tcase_add_test(tc, test_writer_refuses_POLICY_1);
	tcase_add_test(tc, test_writer_refuses_POLICY_2);
	tcase_add_test(tc, test_writer_refuses_PAGE_2);
	tcase_add_test(tc, test_writer_refuses_PAGE_6);
	tcase_add_test(tc, test_writer_refuses_REC_2);
	tcase_add_test(tc, test_writer_refuses_TSC_2);
	tcase_add_test(tc, test_writer_refuses_IHDR_8);
	tcase_add_test(tc, test_writer_refuses_PV_3);
	tcase_add_test(tc, test_writer_refuses_POLICY_3);
	tcase_add_test(tc, test_writer_put_raw_needs_raw);
	tcase_add_test(tc, test_writer_raw_framing_rec_1);
	tcase_add_test(tc, test_writer_refusal_not_sticky);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_writer_close_without_end);
	tcase_add_test(tc, test_writer_open_path);
	tcase_add_test(tc, test_writer_atomic);
	suite_add_tcase(s, tc);

	tc = tcase_create("io");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_writer_dev_full_enospc);
	tcase_add_test(tc, test_writer_pipe_epipe);
	tcase_add_test(tc, test_writer_io_one_octet_per_call);
	tcase_add_test(tc, test_writer_io_fails_after_n);
	tcase_add_test(tc, test_writer_io_callback_contract);
	tcase_add_test(tc, test_writer_nonblocking_again);
	tcase_add_test(tc, test_writer_nonblocking_wait);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(writer_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
