/*
 * check_roundtrip: writer -> reader gives back the values written (every
 * record type, both byte orders, v2 and v3, PV and HVM, every source kind,
 * and 200 seeded random streams); reader -> writer gives back the octets
 * read (generic and typed calls, the spec vectors, the test streams and,
 * when MIGSTREAM_REAL_IMAGE names one, a real xl save file).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <migstream.h>
#include "testutil.h"

#define OK(w, call) do { \
		int rc_ = (call); \
		ck_assert_msg(rc_ == 0, "%s returned %d: %s", #call, rc_, \
		              migstream_writer_errmsg(w)); \
	} while (0)

/* ------------------------------------------------------------ model */

/* One record as the values passed to the writer. */
typedef struct mrec {
	uint32_t type;
	uint32_t n;                  /* entries (pages, frames, params, pfns, leaves, MSRs) */
	uint64_t *a;                 /* pfns, frames, param indexes, dirty pfns */
	uint64_t *v;                 /* param values */
	uint32_t *t;                 /* page types */
	uint8_t *data;               /* data pages (npages x 4096) or blob */
	size_t len;                  /* blob length */
	uint32_t npages;
	uint32_t vcpu, start, end;
	migstream_x86_pv_info pvi;
	migstream_tsc_info tsc;
	migstream_cpuid_leaf *leaves;
	migstream_msr_entry *msrs;
} mrec;

typedef struct model {
	uint32_t version, dtype;
	int be;
	size_t n, cap;
	mrec *r;
} model;

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void m_init(model *m, uint32_t version, uint32_t dtype, int be)
{
	memset(m, 0, sizeof *m);
	m->version = version;
	m->dtype = dtype;
	m->be = be;
}

static mrec *m_add(model *m, uint32_t type)
{
	mrec *r;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 32;
		m->r = realloc(m->r, m->cap * sizeof *m->r);
		ck_assert_ptr_nonnull(m->r);
	}
	r = &m->r[m->n++];
	memset(r, 0, sizeof *r);
	r->type = type;
	return r;
}

static void m_free(model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->r[i].a);
		free(m->r[i].v);
		free(m->r[i].t);
		free(m->r[i].data);
		free(m->r[i].leaves);
		free(m->r[i].msrs);
	}
	free(m->r);
	memset(m, 0, sizeof *m);
}

static int has_data(uint32_t t)
{
	return t <= 0x4u || (t >= 0x9u && t <= 0xCu);
}

static int is_vcpu(uint32_t t)
{
	return t == MIGSTREAM_REC_X86_PV_VCPU_BASIC || t == MIGSTREAM_REC_X86_PV_VCPU_EXTENDED ||
	       t == MIGSTREAM_REC_X86_PV_VCPU_XSAVE || t == MIGSTREAM_REC_X86_PV_VCPU_MSRS;
}

/* Write the model with a writer on a memory sink; the octets go to out. */
static void emit(migstream_writer *w, const mrec *r)
{
	switch (r->type) {
	case MIGSTREAM_REC_PAGE_DATA: {
		const void **pages = xcalloc(r->npages, sizeof *pages);
		uint32_t i;

		for (i = 0; i < r->npages; i++)
			pages[i] = r->data + 4096 * (size_t)i;
		OK(w, migstream_writer_put_page_data(w, r->n, r->a, r->t, pages));
		free(pages);
		break;
	}
	case MIGSTREAM_REC_X86_PV_INFO:
		OK(w, migstream_writer_put_x86_pv_info(w, &r->pvi, sizeof r->pvi));
		break;
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		OK(w, migstream_writer_put_p2m_frames(w, r->start, r->end, r->a, r->n));
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		OK(w, migstream_writer_put_vcpu(w, r->type, r->vcpu, r->data, r->len));
		break;
	case MIGSTREAM_REC_SHARED_INFO:
		OK(w, migstream_writer_put_shared_info(w, r->data, r->len));
		break;
	case MIGSTREAM_REC_X86_TSC_INFO:
		OK(w, migstream_writer_put_tsc_info(w, &r->tsc, sizeof r->tsc));
		break;
	case MIGSTREAM_REC_HVM_CONTEXT:
		OK(w, migstream_writer_put_hvm_context(w, r->data, r->len));
		break;
	case MIGSTREAM_REC_HVM_PARAMS:
		OK(w, migstream_writer_put_hvm_params(w, r->n, r->a, r->v));
		break;
	case MIGSTREAM_REC_VERIFY:
		OK(w, migstream_writer_put_verify(w));
		break;
	case MIGSTREAM_REC_CHECKPOINT:
		OK(w, migstream_writer_put_checkpoint(w));
		break;
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
		OK(w, migstream_writer_put_dirty_pfn_list(w, r->a, r->n));
		break;
	case MIGSTREAM_REC_STATIC_DATA_END:
		OK(w, migstream_writer_put_static_data_end(w));
		break;
	case MIGSTREAM_REC_X86_CPUID_POLICY:
		OK(w, migstream_writer_put_cpuid_policy(w, r->leaves, r->n, sizeof *r->leaves));
		break;
	case MIGSTREAM_REC_X86_MSR_POLICY:
		OK(w, migstream_writer_put_msr_policy(w, r->msrs, r->n, sizeof *r->msrs));
		break;
	case MIGSTREAM_REC_END:
		OK(w, migstream_writer_put_end(w));
		break;
	default:
		OK(w, migstream_writer_put_record(w, r->type, r->data, (uint32_t)r->len));
		break;
	}
}

static void write_model(const model *m, tbuf *out)
{
	migstream_writer *w = migstream_writer_new();
	migstream_image_header ih;
	migstream_domain_header dh;
	const void *p;
	size_t i, n;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	memset(&ih, 0, sizeof ih);
	ih.version = m->version;
	ih.options = m->be ? 1 : 0;
	OK(w, migstream_writer_put_image_header(w, &ih, sizeof ih));
	memset(&dh, 0, sizeof dh);
	dh.type = m->dtype;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = m->version == 2 ? 13 : 19;
	OK(w, migstream_writer_put_domain_header(w, &dh, sizeof dh));
	for (i = 0; i < m->n; i++)
		emit(w, &m->r[i]);
	ck_assert_int_eq(migstream_writer_get_memory(w, &p, &n), 0);
	tb_init(out);
	tb_bytes(out, p, n);
	ck_assert_uint_eq(migstream_writer_offset(w), n);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
}

/* Expected body_length of a model record. */
static uint64_t body_len(const mrec *r)
{
	switch (r->type) {
	case MIGSTREAM_REC_PAGE_DATA: return 8 + 8 * (uint64_t)r->n + 4096 * (uint64_t)r->npages;
	case MIGSTREAM_REC_X86_PV_INFO: return 8;
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES: return 8 + 8 * (uint64_t)r->n;
	case MIGSTREAM_REC_X86_TSC_INFO: return 24;
	case MIGSTREAM_REC_HVM_PARAMS: return 8 + 16 * (uint64_t)r->n;
	case MIGSTREAM_REC_VERIFY: case MIGSTREAM_REC_CHECKPOINT:
	case MIGSTREAM_REC_STATIC_DATA_END: case MIGSTREAM_REC_END: return 0;
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST: return 8 * (uint64_t)r->n;
	case MIGSTREAM_REC_X86_CPUID_POLICY: return 24 * (uint64_t)r->n;
	case MIGSTREAM_REC_X86_MSR_POLICY: return 16 * (uint64_t)r->n;
	default: return (is_vcpu(r->type) ? 8 : 0) + r->len;
	}
}

/* Check that rec carries exactly the values of r. */
static void check_rec(const migstream_record *rec, const mrec *r, const char *how, size_t k)
{
	uint32_t n, i, u32a, u32b;
	uint64_t u64a, u64b;
	const void *p;
	size_t len;

	ck_assert_msg(migstream_record_type(rec) == r->type, "%s: record %zu is type 0x%x, expected 0x%x",
	              how, k, migstream_record_type(rec), r->type);
	ck_assert_msg(migstream_record_length(rec) == body_len(r), "%s: record %zu length %u, expected %llu",
	              how, k, migstream_record_length(rec), (unsigned long long)body_len(r));
	switch (r->type) {
	case MIGSTREAM_REC_PAGE_DATA: {
		uint32_t d = 0;

		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, r->n);
		ck_assert_int_eq(migstream_record_data_page_count(rec, &u32a), 0);
		ck_assert_uint_eq(u32a, r->npages);
		ck_assert_int_eq(migstream_record_get_page_data_reserved(rec, &u32a), 0);
		ck_assert_uint_eq(u32a, 0);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(migstream_record_get_page(rec, i, &u64a, &u32a, &p), 0);
			ck_assert_msg(u64a == r->a[i] && u32a == r->t[i],
			              "%s: record %zu entry %u: pfn 0x%llx type 0x%x, expected 0x%llx 0x%x",
			              how, k, i, (unsigned long long)u64a, u32a,
			              (unsigned long long)r->a[i], r->t[i]);
			if (has_data(r->t[i])) {
				ck_assert_ptr_nonnull(p);
				ck_assert_msg(memcmp(p, r->data + 4096 * (size_t)d, 4096) == 0,
				              "%s: record %zu page %u differs", how, k, i);
				d++;
			} else {
				ck_assert_ptr_null(p);
			}
		}
		break;
	}
	case MIGSTREAM_REC_X86_PV_INFO: {
		migstream_x86_pv_info pi;

		ck_assert_int_eq(migstream_record_get_x86_pv_info(rec, &pi, sizeof pi), 0);
		ck_assert_uint_eq(pi.guest_width, r->pvi.guest_width);
		ck_assert_uint_eq(pi.pt_levels, r->pvi.pt_levels);
		break;
	}
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES:
		ck_assert_int_eq(migstream_record_get_p2m_range(rec, &u32a, &u32b), 0);
		ck_assert_uint_eq(u32a, r->start);
		ck_assert_uint_eq(u32b, r->end);
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, r->n);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(migstream_record_get_p2m_frame(rec, i, &u64a), 0);
			ck_assert_uint_eq(u64a, r->a[i]);
		}
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		ck_assert_int_eq(migstream_record_get_vcpu(rec, &u32a, &u32b, &p, &len), 0);
		ck_assert_uint_eq(u32a, r->vcpu);
		ck_assert_uint_eq(u32b, 0);
		ck_assert_uint_eq(len, r->len);
		ck_assert_msg(memcmp(p, r->data, len) == 0, "%s: record %zu context differs", how, k);
		if (r->type == MIGSTREAM_REC_X86_PV_VCPU_MSRS) {
			migstream_msr_entry e;

			ck_assert_int_eq(migstream_record_count(rec, &n), 0);
			ck_assert_uint_eq(n, r->len / 16);
			for (i = 0; i < n; i++) {
				ck_assert_int_eq(migstream_record_get_vcpu_msr(rec, i, &e, sizeof e), 0);
				ck_assert_uint_eq(e.idx, (uint32_t)r->data[16 * i] |
				                  (uint32_t)r->data[16 * i + 1] << 8 |
				                  (uint32_t)r->data[16 * i + 2] << 16 |
				                  (uint32_t)r->data[16 * i + 3] << 24);
			}
		}
		break;
	case MIGSTREAM_REC_X86_TSC_INFO: {
		migstream_tsc_info t;

		ck_assert_int_eq(migstream_record_get_tsc_info(rec, &t, sizeof t), 0);
		ck_assert_uint_eq(t.mode, r->tsc.mode);
		ck_assert_uint_eq(t.khz, r->tsc.khz);
		ck_assert_uint_eq(t.nsec, r->tsc.nsec);
		ck_assert_uint_eq(t.incarnation, r->tsc.incarnation);
		ck_assert_uint_eq(t.reserved, 0);
		break;
	}
	case MIGSTREAM_REC_HVM_PARAMS:
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, r->n);
		ck_assert_int_eq(migstream_record_get_hvm_params_reserved(rec, &u32a), 0);
		ck_assert_uint_eq(u32a, 0);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(migstream_record_get_hvm_param(rec, i, &u64a, &u64b), 0);
			ck_assert_uint_eq(u64a, r->a[i]);
			ck_assert_uint_eq(u64b, r->v[i]);
		}
		break;
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST:
		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, r->n);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(migstream_record_get_dirty_pfn(rec, i, &u64a), 0);
			ck_assert_uint_eq(u64a, r->a[i]);
		}
		break;
	case MIGSTREAM_REC_X86_CPUID_POLICY: {
		migstream_cpuid_leaf l;

		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, r->n);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(migstream_record_get_cpuid_leaf(rec, i, &l, sizeof l), 0);
			ck_assert_msg(memcmp(&l, &r->leaves[i], sizeof l) == 0, "%s: record %zu leaf %u differs",
			              how, k, i);
		}
		break;
	}
	case MIGSTREAM_REC_X86_MSR_POLICY: {
		migstream_msr_entry e;

		ck_assert_int_eq(migstream_record_count(rec, &n), 0);
		ck_assert_uint_eq(n, r->n);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(migstream_record_get_msr_entry(rec, i, &e, sizeof e), 0);
			ck_assert_uint_eq(e.idx, r->msrs[i].idx);
			ck_assert_uint_eq(e.flags, 0);
			ck_assert_uint_eq(e.val, r->msrs[i].val);
		}
		break;
	}
	case MIGSTREAM_REC_VERIFY: case MIGSTREAM_REC_CHECKPOINT:
	case MIGSTREAM_REC_STATIC_DATA_END: case MIGSTREAM_REC_END:
		break;
	default:   /* SHARED_INFO, HVM_CONTEXT, optional records */
		ck_assert_int_eq(migstream_record_get_blob(rec, &p, &len), 0);
		ck_assert_uint_eq(len, r->len);
		ck_assert_msg(len == 0 || memcmp(p, r->data, len) == 0, "%s: record %zu blob differs", how, k);
		break;
	}
}

/* Read the stream from source kind src and compare with the model.
 * Little-endian streams are read in strict mode; big-endian x86 streams
 * in restore mode (IHDR-6 is warning/S), with no error findings. */
static void check_stream(const model *m, const tbuf *b, int src, const char *what)
{
	migstream_reader *r = migstream_reader_new();
	t_diags *ds = xcalloc(1, sizeof *ds);
	const migstream_record *rec;
	migstream_image_header ih;
	migstream_domain_header dh;
	char how[160];
	t_source *s;
	size_t k = 0;
	int rc;

	snprintf(how, sizeof how, "%s (%s, %s-endian, v%u)", what, t_src_name(src),
	         m->be ? "big" : "little", m->version);
	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_MODE,
	                                             m->be ? MIGSTREAM_MODE_RESTORE
	                                                   : MIGSTREAM_MODE_STRICT), 0);
	migstream_reader_set_diag_handler(r, t_collect, ds);
	s = t_open_source(r, src, b->data, b->len);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(migstream_reader_read_headers(r) == 0, "%s: %s", how, migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
	ck_assert_uint_eq(ih.version, m->version);
	ck_assert_uint_eq(ih.options, m->be ? 1 : 0);
	ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh), 0);
	ck_assert_uint_eq(dh.type, m->dtype);
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		ck_assert_msg(k < m->n, "%s: more records than written", how);
		check_rec(rec, &m->r[k], how, k);
		k++;
	}
	ck_assert_msg(rc == MIGSTREAM_EOF, "%s: %s", how, migstream_reader_errmsg(r));
	ck_assert_msg(k == m->n, "%s: %zu records read, %zu written", how, k, m->n);
	ck_assert_msg(t_count(ds, MIGSTREAM_SEV_ERROR) == 0, "%s: error findings", how);
	migstream_reader_free(r);
	t_close_source(s);
	free(ds);
}

/* ------------------------------------------------------------ generator */

static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static uint32_t rnd_in(uint32_t *s, uint32_t lo, uint32_t hi)
{
	return lo + rnd(s) % (hi - lo + 1);
}

static void rnd_fill(uint32_t *s, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(s);
}

static uint8_t *rnd_blob(uint32_t *s, size_t n)
{
	uint8_t *p = xcalloc(n, 1);

	rnd_fill(s, p, n);
	return p;
}

/* A PAGE_DATA record of count entries; pfn_of and type_of chosen by the
 * caller through arrays; data pages random, page tables without present
 * entries (bit 0 clear in every 8-octet entry, PV-32). */
static mrec *g_pages(model *m, uint32_t *s, uint32_t count, const uint64_t *pfns,
                     const uint32_t *types, int zero_pages)
{
	mrec *r = m_add(m, MIGSTREAM_REC_PAGE_DATA);
	uint32_t i, d = 0;

	r->n = count;
	r->a = xcalloc(count, sizeof *r->a);
	r->t = xcalloc(count, sizeof *r->t);
	for (i = 0; i < count; i++) {
		r->a[i] = pfns[i];
		r->t[i] = types[i];
		if (has_data(types[i]))
			r->npages++;
	}
	r->data = xcalloc(r->npages, 4096);
	for (i = 0; i < count; i++) {
		uint8_t *pg;

		if (!has_data(types[i]))
			continue;
		pg = r->data + 4096 * (size_t)d++;
		if (zero_pages)
			continue;
		rnd_fill(s, pg, 4096);
		if (types[i] != 0) {
			unsigned e;

			for (e = 0; e < 512; e++)
				pg[8 * e] &= 0xFE;
		}
	}
	return r;
}

static void g_optional(model *m, uint32_t *s)
{
	mrec *r = m_add(m, MIGSTREAM_REC_OPTIONAL | rnd_in(s, 1, 0x100));

	r->len = rnd_in(s, 0, 40);
	r->data = rnd_blob(s, r->len);
}

static void g_policies(model *m, uint32_t *s, int all)
{
	static const uint32_t leaves[][2] = {
		{ 0, 0xFFFFFFFFu }, { 1, 0xFFFFFFFFu }, { 4, 0 }, { 4, 1 }, { 7, 0 }, { 7, 1 },
		{ 0xD, 0 }, { 0xD, 1 }, { 0x80000000u, 0xFFFFFFFFu }, { 0x80000008u, 0xFFFFFFFFu },
	};
	mrec *r;
	uint32_t i;

	if (all || rnd(s) % 2) {
		r = m_add(m, MIGSTREAM_REC_X86_CPUID_POLICY);
		r->n = rnd_in(s, 1, 10);
		r->leaves = xcalloc(r->n, sizeof *r->leaves);
		for (i = 0; i < r->n; i++) {
			r->leaves[i].leaf = leaves[i][0];
			r->leaves[i].subleaf = leaves[i][1];
			r->leaves[i].a = rnd(s);
			r->leaves[i].b = rnd(s);
			r->leaves[i].c = rnd(s);
			r->leaves[i].d = rnd(s);
		}
	}
	if (all || rnd(s) % 2) {
		r = m_add(m, MIGSTREAM_REC_X86_MSR_POLICY);
		r->n = rnd_in(s, 1, 2);
		r->msrs = xcalloc(r->n, sizeof *r->msrs);
		r->msrs[0].idx = 0xCE;
		r->msrs[0].val = (uint64_t)rnd(s) << 32 | rnd(s);
		if (r->n > 1) {
			r->msrs[1].idx = 0x10A;
			r->msrs[1].val = rnd(s);
		}
	}
}

static void g_tsc(model *m, uint32_t *s)
{
	mrec *r = m_add(m, MIGSTREAM_REC_X86_TSC_INFO);

	r->tsc.mode = rnd_in(s, 0, 2);
	r->tsc.khz = rnd(s);
	r->tsc.nsec = (uint64_t)rnd(s) << 32 | rnd(s);
	r->tsc.incarnation = rnd(s);
}

static void g_empty(model *m, uint32_t type)
{
	(void)m_add(m, type);
}

static void le_put(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A random valid PV image.  Guest: max_pfn pages; the p2m frames are pfns
 * 0..k-1, the top-level page table pfn k, start_info pfn k+1 (all sent in
 * the first PAGE_DATA); other PAGE_DATA records use pfns k+2..max_pfn. */
static void gen_pv(model *m, uint32_t *s, int all)
{
	static const uint32_t pv_types[] = { 0, 0, 0, 0, 1, 2, 3, 4, 9, 0xA, 0xB, 0xC, 0xD, 0xE, 0xF };
	int w64 = all || rnd(s) % 2;
	uint32_t width = w64 ? 8 : 4, levels = w64 ? 4 : 3, fpp = 4096 / width;
	uint32_t max_pfn = rnd_in(s, 16, 2500), k = max_pfn / fpp + 1, top = k, si = k + 1;
	uint32_t i, j, npd, nv, ctxlen = w64 ? 5168 : 2800;
	uint64_t pfns[64];
	uint32_t types[64];
	mrec *r;
	int verify = all || rnd(s) % 4 == 0, ckpt = all || rnd(s) % 4 == 0;

	r = m_add(m, MIGSTREAM_REC_X86_PV_INFO);
	r->pvi.guest_width = (uint8_t)width;
	r->pvi.pt_levels = (uint8_t)levels;
	if (m->version == 3) {
		g_policies(m, s, all);
		g_empty(m, MIGSTREAM_REC_STATIC_DATA_END);
	}
	r = m_add(m, MIGSTREAM_REC_X86_PV_P2M_FRAMES);
	r->start = 0;
	r->end = max_pfn;
	r->n = k;
	r->a = xcalloc(k, sizeof *r->a);
	for (i = 0; i < k; i++)
		r->a[i] = i;
	/* The special pages. */
	for (i = 0; i < k; i++) {
		pfns[i] = i;
		types[i] = 0;
	}
	pfns[k] = top;
	types[k] = levels | (rnd(s) % 2 ? 8u : 0u);
	pfns[k + 1] = si;
	types[k + 1] = 0;
	r = g_pages(m, s, k + 2, pfns, types, 0);
	/* Top-level table and start_info: zero (no present entries; the
	 * start_info page then names pfn 0 for xenstore and console). */
	memset(r->data + 4096 * (size_t)k, 0, 2 * 4096);
	npd = rnd_in(s, 1, 6);
	for (j = 0; j < npd + (verify ? 1 : 0); j++) {
		uint32_t count = rnd_in(s, 1, 64);

		if (verify && j == npd)
			g_empty(m, MIGSTREAM_REC_VERIFY);
		for (i = 0; i < count; i++) {
			pfns[i] = rnd_in(s, k + 2, max_pfn);
			types[i] = pv_types[rnd(s) % (sizeof pv_types / sizeof pv_types[0])];
		}
		g_pages(m, s, count, pfns, types, 0);
		if (all || rnd(s) % 3 == 0)
			g_optional(m, s);
	}
	g_tsc(m, s);
	if (all || rnd(s) % 4) {
		r = m_add(m, MIGSTREAM_REC_SHARED_INFO);
		r->len = 4096;
		r->data = rnd_blob(s, 4096);
	}
	nv = rnd_in(s, 1, 3);
	for (i = 0; i < nv; i++) {
		r = m_add(m, MIGSTREAM_REC_X86_PV_VCPU_BASIC);
		r->vcpu = i;
		r->len = ctxlen;
		r->data = xcalloc(ctxlen, 1);
		rnd_fill(s, r->data, 400);              /* below flags (512): not checked */
		if (w64) {
			le_put(r->data + 616, si, 8);
			le_put(r->data + 5008, (uint64_t)top << 12, 8);
		} else {
			le_put(r->data + 524, si, 4);
			le_put(r->data + 2728, ((uint64_t)top << 12 | top >> 20) & 0xFFFFFFFFu, 4);
		}
		if (all || rnd(s) % 2) {
			r = m_add(m, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED);
			r->vcpu = i;
			r->len = rnd(s) % 2 ? 64 : 56;
			r->data = rnd_blob(s, r->len);
			le_put(r->data, i, 4);
			le_put(r->data + 4, r->len, 4);
		}
		if (all || rnd(s) % 2) {
			r = m_add(m, MIGSTREAM_REC_X86_PV_VCPU_XSAVE);
			r->vcpu = i;
			r->len = rnd_in(s, 16, 600);
			r->data = rnd_blob(s, r->len);
		}
		if (all || rnd(s) % 2) {
			static const uint32_t idx[3] = { 0x48, 0x140, 0xC0000103u };
			uint32_t e, n = rnd_in(s, 1, 3);

			r = m_add(m, MIGSTREAM_REC_X86_PV_VCPU_MSRS);
			r->vcpu = i;
			r->len = 16 * n;
			r->data = xcalloc(r->len, 1);
			for (e = 0; e < n; e++) {
				le_put(r->data + 16 * e, idx[e], 4);
				le_put(r->data + 16 * e + 8, (uint64_t)rnd(s) << 32 | rnd(s), 8);
			}
		}
	}
	if (ckpt)
		g_empty(m, MIGSTREAM_REC_CHECKPOINT);
	g_empty(m, MIGSTREAM_REC_END);
}

static void g_hvm_context(model *m, uint32_t *s)
{
	static const uint8_t hdr[8] = { 0x01, 0, 0, 0, 0x18, 0, 0, 0 };
	mrec *r = m_add(m, MIGSTREAM_REC_HVM_CONTEXT);

	r->len = 40;
	r->data = xcalloc(40, 1);
	memcpy(r->data, hdr, 8);
	le_put(r->data + 8, 0x54381286u, 4);
	le_put(r->data + 12, 1, 4);
	rnd_fill(s, r->data + 16, 16);              /* changeset, cpuid, gtsc_khz */
}

static void g_hvm_params(model *m, uint32_t *s, uint64_t some_pfn)
{
	static const uint64_t idx[] = { 1, 5, 6, 9, 12, 17, 19, 27, 28, 29, 32, 33, 34, 36, 37, 38 };
	mrec *r = m_add(m, MIGSTREAM_REC_HVM_PARAMS);
	uint32_t i;

	r->n = rnd_in(s, 1, 6);
	r->a = xcalloc(r->n, sizeof *r->a);
	r->v = xcalloc(r->n, sizeof *r->v);
	for (i = 0; i < r->n; i++) {
		r->a[i] = idx[(i * 3 + rnd(s) % 3) % (sizeof idx / sizeof idx[0])];
		r->v[i] = (r->a[i] == 1 || r->a[i] == 5 || r->a[i] == 6 || r->a[i] == 17)
		          ? some_pfn : rnd(s);
	}
}

static void gen_hvm(model *m, uint32_t *s, int all)
{
	static const uint32_t hvm_types[] = { 0, 0, 0, 0, 0, 0xD, 0xE, 0xF };
	uint64_t pfns[64];
	uint32_t types[64], i, j, npd = rnd_in(s, 1, 6);
	int verify = all || rnd(s) % 4 == 0, ckpt = all || rnd(s) % 4 == 0;
	int params = all || rnd(s) % 4, params_first = rnd(s) % 2;

	if (m->version == 3) {
		g_policies(m, s, all);
		g_empty(m, MIGSTREAM_REC_STATIC_DATA_END);
	}
	for (j = 0; j < npd + (verify ? 1 : 0); j++) {
		uint32_t count = rnd_in(s, 1, 64);

		if (verify && j == npd)
			g_empty(m, MIGSTREAM_REC_VERIFY);
		for (i = 0; i < count; i++) {
			pfns[i] = rnd_in(s, 0, 0xFFFFF);
			types[i] = hvm_types[rnd(s) % (sizeof hvm_types / sizeof hvm_types[0])];
		}
		types[0] = 0;
		g_pages(m, s, count, pfns, types, 0);
		if (all || rnd(s) % 3 == 0)
			g_optional(m, s);
	}
	if (all || rnd(s) % 4)
		g_tsc(m, s);
	if (params && params_first)
		g_hvm_params(m, s, pfns[0]);
	g_hvm_context(m, s);
	if (params && !params_first)
		g_hvm_params(m, s, pfns[0]);
	if (ckpt)
		g_empty(m, MIGSTREAM_REC_CHECKPOINT);
	g_empty(m, MIGSTREAM_REC_END);
}

static void gen(model *m, uint32_t seed, uint32_t version, uint32_t dtype, int be, int all)
{
	uint32_t s = seed * 2654435761u + 0x9E3779B9u;

	if (s == 0)
		s = 1;
	m_init(m, version, dtype, be);
	if (dtype == MIGSTREAM_DOMAIN_X86_PV)
		gen_pv(m, &s, all);
	else
		gen_hvm(m, &s, all);
}

/* ------------------------------------------------------------ writer -> reader */

/* _i = source kind: PV and HVM, v2 and v3, both byte orders, every record
 * type the guest type allows. */
START_TEST(test_roundtrip_writer_reader_all_types)
{
	uint32_t version, dtype;
	int be;

	for (version = 2; version <= 3; version++)
		for (dtype = 1; dtype <= 2; dtype++)
			for (be = 0; be <= 1; be++) {
				model m;
				tbuf b;
				char what[64];

				gen(&m, 7 + version * 4 + dtype * 2 + (uint32_t)be, version, dtype, be, 1);
				write_model(&m, &b);
				snprintf(what, sizeof what, "%s all types", dtype == 1 ? "PV" : "HVM");
				check_stream(&m, &b, _i, what);
				tb_free(&b);
				m_free(&m);
			}
}
END_TEST

/* The COLO back channel's dirty pfn list: a headerless stream (format.md
 * 12.3), read back by a reader declared COLO_BACK. */
START_TEST(test_roundtrip_dirty_pfn_list)
{
	migstream_writer *w = migstream_writer_new();
	static const uint64_t pfns[4] = { 7, 0x12345, 0, 0xFFFFFFFFFull };
	migstream_reader *r;
	const migstream_record *rec;
	const void *p;
	size_t n;
	uint32_t i, count;
	uint64_t pfn;

	ck_assert_int_eq(migstream_writer_set_option(w, MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK), 0);
	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	/* Two cycles of the COLO back channel (F 12.3): CHECKPOINT_STATE 2,
	 * 3, 1, then the dirty pfn list; no header of any kind. */
	for (int cycle = 0; cycle < 2; cycle++) {
		OK(w, migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_READY));
		OK(w, migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_RESUMED));
		OK(w, migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_SUSPENDED));
		OK(w, migstream_writer_put_dirty_pfn_list(w, pfns, cycle ? 1 : 4));
	}
	ck_assert_int_eq(migstream_writer_get_memory(w, &p, &n), 0);
	ck_assert_uint_eq(n, 2 * 3 * 16 + 8 + 32 + 8 + 8);

	r = migstream_reader_new();
	migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK);
	migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_STRICT);
	ck_assert_int_eq(migstream_reader_open_memory(r, p, n), 0);
	for (int cycle = 0; cycle < 2; cycle++) {
		static const uint32_t ids[3] = { 2, 3, 1 };
		for (i = 0; i < 3; i++) {
			uint32_t id;
			ck_assert_msg(migstream_reader_next(r, &rec) == 0, "%s", migstream_reader_errmsg(r));
			ck_assert_uint_eq(migstream_record_layer(rec), MIGSTREAM_LAYER_LIBXL);
			ck_assert_int_eq(migstream_record_get_checkpoint_state(rec, &id), 0);
			ck_assert_uint_eq(id, ids[i]);
		}
		ck_assert_msg(migstream_reader_next(r, &rec) == 0, "%s", migstream_reader_errmsg(r));
		ck_assert_uint_eq(migstream_record_layer(rec), MIGSTREAM_LAYER_LIBXC);
		ck_assert_uint_eq(migstream_record_type(rec), MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST);
		ck_assert_int_eq(migstream_record_count(rec, &count), 0);
		ck_assert_uint_eq(count, cycle ? 1 : 4);
		for (i = 0; i < count; i++) {
			ck_assert_int_eq(migstream_record_get_dirty_pfn(rec, i, &pfn), 0);
			ck_assert_uint_eq(pfn, pfns[i]);
		}
	}
	ck_assert_int_eq(migstream_reader_next(r, &rec), MIGSTREAM_EOF);
	migstream_reader_free(r);
	migstream_writer_free(w);
}
END_TEST

/* Property: seeded random valid streams read back with identical values. */
#define PROPERTY_STREAMS 200

START_TEST(test_roundtrip_property_random_streams)
{
	uint32_t seed;

	for (seed = 1; seed <= PROPERTY_STREAMS; seed++) {
		uint32_t s = seed * 0x9E3779B1u;
		uint32_t version = 2 + rnd(&s) % 2, dtype = 1 + rnd(&s) % 2;
		int be = rnd(&s) % 4 == 0;
		model m;
		tbuf b;
		char what[64];

		gen(&m, seed + 1000, version, dtype, be, 0);
		write_model(&m, &b);
		snprintf(what, sizeof what, "seed %u (%s)", seed, dtype == 1 ? "PV" : "HVM");
		check_stream(&m, &b, (int)(seed % T_SRC_COUNT), what);
		tb_free(&b);
		m_free(&m);
	}
}
END_TEST

/* ------------------------------------------------------------ reader -> writer */

/* The HVM stream of check_reader (three PAGE_DATA, an optional record). */
static void build_hvm(tbuf *b, int be)
{
	static const uint64_t e1[] = { 0x10, 0x11, 0xFull << 60 | 0x12, 0x13 };
	static const uint64_t e2[] = { 0xFull << 60 | 0x20, 0xDull << 60 | 0x21 };
	static const uint64_t params[] = { 1, 0x10, 5, 0x11 };
	uint64_t e3[300];
	unsigned i;

	for (i = 0; i < 300; i++)
		e3[i] = 0x1000 + i;
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

/* The PV stream of check_reader's accessor test. */
static void build_pv(tbuf *b, int be)
{
	static const uint64_t frames[1] = { 0 };
	static const uint64_t e[3] = { 0xCull << 60 | 1, 0, 2 };
	static uint8_t ctx[5168], si[4096];
	uint8_t ext[64], msrs[16], cpuid[48], msr[16];
	int i;

	tb_init(b);
	tb_image_header(b, 3, be);
	tb_domain_header(b, 1, 4, 17);
	tb_x86_pv_info(b, 8, 4);
	tb_se32(b, MIGSTREAM_REC_X86_CPUID_POLICY);
	tb_se32(b, 48);
	memset(cpuid, 0, sizeof cpuid);
	for (i = 0; i < 2; i++) {
		tb_se32(b, i ? 0 : 7);
		tb_se32(b, i ? 0xFFFFFFFFu : 1);
		tb_se32(b, 0xAA);
		tb_se32(b, 0);
		tb_se32(b, 0);
		tb_se32(b, 0x55);
	}
	tb_se32(b, MIGSTREAM_REC_X86_MSR_POLICY);
	tb_se32(b, 16);
	tb_se32(b, 0xCE);
	tb_se32(b, 0);
	tb_se64(b, 0x2211);
	(void)msr;
	tb_empty(b, MIGSTREAM_REC_STATIC_DATA_END);
	tb_p2m_frames(b, 0, 2, 1, frames);
	tb_page_data(b, 3, e, 0);
	memset(ctx, 0, sizeof ctx);
	ctx[616] = 2;
	ctx[5009] = 0x10;
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, ctx, sizeof ctx);
	memset(ext, 0, sizeof ext);
	ext[4] = 64;
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ext, sizeof ext);
	memset(msrs, 0, sizeof msrs);
	msrs[0] = 0x48;
	msrs[8] = 3;
	tb_vcpu(b, MIGSTREAM_REC_X86_PV_VCPU_MSRS, 0, msrs, sizeof msrs);
	for (i = 0; i < 4096; i++)
		si[i] = (uint8_t)i;
	tb_record(b, MIGSTREAM_REC_SHARED_INFO, si, sizeof si);
	tb_empty(b, MIGSTREAM_REC_END);
}

/* PAGE_DATA from the reader's page views to put_page_data. */
static int copy_page_data(migstream_writer *w, const migstream_record *rec)
{
	uint32_t n, nd, i, d = 0;
	uint64_t *pfns;
	uint32_t *types;
	const void **pages;
	int rc;

	ck_assert_int_eq(migstream_record_count(rec, &n), 0);
	ck_assert_int_eq(migstream_record_data_page_count(rec, &nd), 0);
	pfns = xcalloc(n, sizeof *pfns);
	types = xcalloc(n, sizeof *types);
	pages = xcalloc(nd, sizeof *pages);
	for (i = 0; i < n; i++) {
		const void *pg;

		ck_assert_int_eq(migstream_record_get_page(rec, i, &pfns[i], &types[i], &pg), 0);
		if (pg != NULL)
			pages[d++] = pg;
	}
	ck_assert_uint_eq(d, nd);
	rc = migstream_writer_put_page_data(w, n, pfns, types, pages);
	free(pfns);
	free(types);
	free(pages);
	return rc;
}

/* One record with the typed accessors and the typed put call. */
static int copy_typed(migstream_writer *w, const migstream_record *rec)
{
	uint32_t type = migstream_record_type(rec), n = 0, i, a, b;
	const void *p;
	size_t len;
	int rc;

	if (type != MIGSTREAM_REC_PAGE_DATA && !(type & MIGSTREAM_REC_OPTIONAL) &&
	    migstream_record_count(rec, &n) != 0)
		n = 0;
	switch (type) {
	case MIGSTREAM_REC_PAGE_DATA:
		return copy_page_data(w, rec);
	case MIGSTREAM_REC_X86_PV_INFO: {
		migstream_x86_pv_info pi;

		ck_assert_int_eq(migstream_record_get_x86_pv_info(rec, &pi, sizeof pi), 0);
		return migstream_writer_put_x86_pv_info(w, &pi, sizeof pi);
	}
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES: {
		uint64_t *f = xcalloc(n, sizeof *f);

		ck_assert_int_eq(migstream_record_get_p2m_range(rec, &a, &b), 0);
		for (i = 0; i < n; i++)
			ck_assert_int_eq(migstream_record_get_p2m_frame(rec, i, &f[i]), 0);
		rc = migstream_writer_put_p2m_frames(w, a, b, f, n);
		free(f);
		return rc;
	}
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS:
		ck_assert_int_eq(migstream_record_get_vcpu(rec, &a, &b, &p, &len), 0);
		ck_assert_uint_eq(b, 0);
		return migstream_writer_put_vcpu(w, type, a, p, len);
	case MIGSTREAM_REC_SHARED_INFO:
		ck_assert_int_eq(migstream_record_get_blob(rec, &p, &len), 0);
		return migstream_writer_put_shared_info(w, p, len);
	case MIGSTREAM_REC_X86_TSC_INFO: {
		migstream_tsc_info t;

		ck_assert_int_eq(migstream_record_get_tsc_info(rec, &t, sizeof t), 0);
		return migstream_writer_put_tsc_info(w, &t, sizeof t);
	}
	case MIGSTREAM_REC_HVM_CONTEXT:
		ck_assert_int_eq(migstream_record_get_blob(rec, &p, &len), 0);
		return migstream_writer_put_hvm_context(w, p, len);
	case MIGSTREAM_REC_HVM_PARAMS: {
		uint64_t *ix = xcalloc(n, sizeof *ix), *vl = xcalloc(n, sizeof *vl);

		for (i = 0; i < n; i++)
			ck_assert_int_eq(migstream_record_get_hvm_param(rec, i, &ix[i], &vl[i]), 0);
		rc = migstream_writer_put_hvm_params(w, n, ix, vl);
		free(ix);
		free(vl);
		return rc;
	}
	case MIGSTREAM_REC_VERIFY: return migstream_writer_put_verify(w);
	case MIGSTREAM_REC_CHECKPOINT: return migstream_writer_put_checkpoint(w);
	case MIGSTREAM_REC_STATIC_DATA_END: return migstream_writer_put_static_data_end(w);
	case MIGSTREAM_REC_END: return migstream_writer_put_end(w);
	case MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST: {
		uint64_t *d = xcalloc(n, sizeof *d);

		for (i = 0; i < n; i++)
			ck_assert_int_eq(migstream_record_get_dirty_pfn(rec, i, &d[i]), 0);
		rc = migstream_writer_put_dirty_pfn_list(w, d, n);
		free(d);
		return rc;
	}
	case MIGSTREAM_REC_X86_CPUID_POLICY: {
		migstream_cpuid_leaf *l = xcalloc(n, sizeof *l);

		for (i = 0; i < n; i++)
			ck_assert_int_eq(migstream_record_get_cpuid_leaf(rec, i, &l[i], sizeof l[i]), 0);
		rc = migstream_writer_put_cpuid_policy(w, l, n, sizeof *l);
		free(l);
		return rc;
	}
	case MIGSTREAM_REC_X86_MSR_POLICY: {
		migstream_msr_entry *e = xcalloc(n, sizeof *e);

		for (i = 0; i < n; i++)
			ck_assert_int_eq(migstream_record_get_msr_entry(rec, i, &e[i], sizeof e[i]), 0);
		rc = migstream_writer_put_msr_policy(w, e, n, sizeof *e);
		free(e);
		return rc;
	}
	default:
		ck_assert_int_eq(migstream_record_get_blob(rec, &p, &len), 0);
		return migstream_writer_put_record(w, type, p, (uint32_t)len);
	}
}

/* One record through the generic calls: put_record with the body, or
 * put_page_data for PAGE_DATA. */
static int copy_generic(migstream_writer *w, const migstream_record *rec)
{
	const void *body;
	size_t len;

	if (migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA)
		return copy_page_data(w, rec);
	body = migstream_record_body(rec, &len);
	ck_assert_uint_eq(len, migstream_record_length(rec));
	return migstream_writer_put_record(w, migstream_record_type(rec), body, (uint32_t)len);
}

/* Read `in` from r (already opened) and write every record back with
 * `copy`; the output goes to out. */
static void copy_stream(migstream_reader *r, int (*copy)(migstream_writer *, const migstream_record *),
                        tbuf *out, const char *what)
{
	migstream_writer *w = migstream_writer_new();
	migstream_image_header ih;
	migstream_domain_header dh;
	const migstream_record *rec;
	const void *p;
	size_t n;
	int rc;

	ck_assert_int_eq(migstream_writer_open_memory(w), 0);
	ck_assert_msg(migstream_reader_read_headers(r) == 0, "%s: %s", what, migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_reader_get_image_header(r, &ih, sizeof ih), 0);
	ck_assert_int_eq(migstream_reader_get_domain_header(r, &dh, sizeof dh), 0);
	OK(w, migstream_writer_put_image_header(w, &ih, sizeof ih));
	OK(w, migstream_writer_put_domain_header(w, &dh, sizeof dh));
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		int wrc = copy(w, rec);

		ck_assert_msg(wrc == 0, "%s: writing record %llu (type 0x%x at 0x%llx): %d %s", what,
		              (unsigned long long)migstream_record_index(rec), migstream_record_type(rec),
		              (unsigned long long)migstream_record_offset(rec), wrc,
		              migstream_writer_errmsg(w));
		ck_assert_uint_eq(migstream_writer_offset(w),
		                  migstream_record_offset(rec) + 8 + ((migstream_record_length(rec) + 7u) & ~7u));
	}
	ck_assert_msg(rc == MIGSTREAM_EOF, "%s: %s", what, migstream_reader_errmsg(r));
	ck_assert_int_eq(migstream_writer_get_memory(w, &p, &n), 0);
	tb_init(out);
	tb_bytes(out, p, n);
	ck_assert_int_eq(migstream_writer_close(w), 0);
	migstream_writer_free(w);
}

static void assert_same(const tbuf *got, const tbuf *want, const char *what)
{
	size_t i, n = got->len < want->len ? got->len : want->len;

	for (i = 0; i < n && got->data[i] == want->data[i]; i++)
		;
	ck_assert_msg(got->len == want->len && i == n,
	              "%s: %zu octets written, %zu read, first difference at 0x%zx", what,
	              got->len, want->len, i);
}

enum { S_V1, S_V2, S_HVM, S_HVM_BE, S_PV, S_PV_BE, S_COUNT };

static void build_input(tbuf *b, int which)
{
	tb_init(b);
	switch (which) {
	case S_V1: tb_vector_v1(b); break;
	case S_V2: tb_vector_v2(b); break;
	case S_HVM: tb_free(b); build_hvm(b, 0); break;
	case S_HVM_BE: tb_free(b); build_hvm(b, 1); break;
	case S_PV: tb_free(b); build_pv(b, 0); break;
	default: tb_free(b); build_pv(b, 1); break;
	}
}

static const char *const input_names[S_COUNT] = { "V1", "V2", "HVM", "HVM big-endian", "PV",
                                                  "PV big-endian" };

/* _i = source kind x input. */
static void reader_writer(int i, int (*copy)(migstream_writer *, const migstream_record *),
                          const char *how)
{
	int src = i % T_SRC_COUNT, which = i / T_SRC_COUNT;
	migstream_reader *r = migstream_reader_new();
	tbuf in, out;
	t_source *s;
	char what[128];

	build_input(&in, which);
	snprintf(what, sizeof what, "%s %s from %s", how, input_names[which], t_src_name(src));
	s = t_open_source(r, src, in.data, in.len);
	ck_assert_ptr_nonnull(s);
	copy_stream(r, copy, &out, what);
	assert_same(&out, &in, what);
	migstream_reader_free(r);
	t_close_source(s);
	tb_free(&in);
	tb_free(&out);
}

START_TEST(test_roundtrip_reader_writer_generic)
{
	reader_writer(_i, copy_generic, "generic");
}
END_TEST

START_TEST(test_roundtrip_reader_writer_typed)
{
	reader_writer(_i, copy_typed, "typed");
}
END_TEST

/* Random streams copied with the typed calls come back octet for octet. */
START_TEST(test_roundtrip_reader_writer_random)
{
	uint32_t seed;

	for (seed = 1; seed <= 40; seed++) {
		migstream_reader *r;
		model m;
		tbuf b, out;
		char what[64];

		gen(&m, seed + 5000, 2 + seed % 2, 1 + (seed / 2) % 2, seed % 5 == 0, seed % 3 == 0);
		write_model(&m, &b);
		snprintf(what, sizeof what, "random stream %u", seed);
		r = migstream_reader_new();
		ck_assert_int_eq(migstream_reader_open_memory(r, b.data, b.len), 0);
		copy_stream(r, seed % 2 ? copy_typed : copy_generic, &out, what);
		assert_same(&out, &b, what);
		migstream_reader_free(r);
		tb_free(&b);
		tb_free(&out);
		m_free(&m);
	}
}
END_TEST

/* ------------------------------------------------------------ real image */

static const uint8_t *real_image;
static size_t real_len;

/* Offset of the libxc image in an xl save file: xl header (48 octets plus
 * optional data), libxl header (16), LIBXC_CONTEXT record header (8). */
static size_t real_libxc_offset(void)
{
	size_t off;
	uint32_t opt_len;

	ck_assert_uint_gt(real_len, 48 + 16 + 8 + 40);
	opt_len = (uint32_t)real_image[44] | (uint32_t)real_image[45] << 8 |
	          (uint32_t)real_image[46] << 16 | (uint32_t)real_image[47] << 24;
	off = 48 + (size_t)opt_len + 16 + 8;
	ck_assert_uint_lt(off + 40, real_len);
	ck_assert_msg(memcmp(real_image + off, "\xff\xff\xff\xff\xff\xff\xff\xffXENF", 12) == 0,
	              "no libxc image header at offset %zu", off);
	return off;
}

START_TEST(test_roundtrip_real_image)
{
	size_t off = real_libxc_offset();
	migstream_reader *r = migstream_reader_new();
	tbuf out, want;

	ck_assert_int_eq(migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, 1), 0);
	ck_assert_int_eq(migstream_reader_open_memory(r, real_image + off, real_len - off), 0);
	copy_stream(r, _i ? copy_typed : copy_generic, &out, "real image");
	ck_assert_uint_le(out.len, real_len - off);
	/* The guest's memory is most of the file. */
	ck_assert_uint_gt(out.len, real_len / 2);
	want.data = (uint8_t *)real_image + off;
	want.len = out.len;
	assert_same(&out, &want, "real image");
	migstream_reader_free(r);
	tb_free(&out);
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *roundtrip_suite(void)
{
	Suite *s = suite_create("roundtrip");
	TCase *tc = tcase_create("writer-reader");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_roundtrip_writer_reader_all_types, 0, T_SRC_COUNT);
	tcase_add_test(tc, test_roundtrip_dirty_pfn_list);
	tcase_add_test(tc, test_roundtrip_property_random_streams);
	suite_add_tcase(s, tc);

	tc = tcase_create("reader-writer");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_roundtrip_reader_writer_generic, 0, T_SRC_COUNT * S_COUNT);
	tcase_add_loop_test(tc, test_roundtrip_reader_writer_typed, 0, T_SRC_COUNT * S_COUNT);
	tcase_add_test(tc, test_roundtrip_reader_writer_random);
	suite_add_tcase(s, tc);

	if (real_image != NULL) {
		tc = tcase_create("real");
		tcase_set_timeout(tc, 600);
		tcase_add_loop_test(tc, test_roundtrip_real_image, 0, 2);
		suite_add_tcase(s, tc);
	}
	return s;
}

/* MIGSTREAM_REAL_IMAGE: a decompressed xl save file (tests/real_image.sh);
 * without it the real-image test is not registered. */
static void map_real_image(void)
{
	const char *path = getenv("MIGSTREAM_REAL_IMAGE");
	struct stat st;
	void *map;
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
		fprintf(stderr, "%s: cannot read the real image\n", path);
		if (fd >= 0)
			close(fd);
		return;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	real_image = map;
	real_len = (size_t)st.st_size;
}

int main(void)
{
	SRunner *sr;
	int failed;

	map_real_image();
	sr = srunner_create(roundtrip_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
