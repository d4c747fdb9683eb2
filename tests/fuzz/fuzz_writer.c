/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * fuzz_writer: the input is a recipe of writer calls.  Octet 0 chooses the
 * stream:
 *   bits 0-1  layers: 0 libxc image, 1 libxl stream, 2 xl save file,
 *             3 COLO back channel;
 *   bit 2     PV guest (else HVM);     bit 3  MIGSTREAM_OPT_RAW;
 *   bit 4     v2 image (else v3);      bits 5-6  kind: 1 Remus, 2 COLO;
 *   bit 7     deep checks off.
 * The headers are written for it; then each following octet picks a put
 * call whose arguments come from the octets after it; the stream is closed
 * with END(s).  Whatever the writer accepted is then read back from memory:
 * in validated mode the reader (strict mode, same options) must deliver
 * exactly the records accepted, in order, with the values given, and end
 * with EOF (or E_TRUNCATED if the recipe never completed the stream); in
 * raw mode it must merely survive (lax mode).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_OPS 192
#define MAX_ENTRIES 8

/* What an accepted call should read back as. */
enum cmp { CMP_NONE, CMP_BODY, CMP_BLOB, CMP_VCPU, CMP_EMU_CTX, CMP_PAGES, CMP_TSC,
           CMP_PARAMS, CMP_DIRTY, CMP_STATE };

struct expect {
	uint32_t layer;              /* 0: either */
	uint32_t type;
	enum cmp cmp;
	const uint8_t *blob;         /* into the input */
	size_t blob_len;
	uint32_t n;
	uint64_t a[MAX_ENTRIES], b[MAX_ENTRIES];
	uint8_t fill[MAX_ENTRIES];
	migstream_tsc_info tsc;
};

static struct expect ex[MAX_OPS + 4];
static size_t nex;
static uint8_t pages[MAX_ENTRIES][MIGSTREAM_PAGE_SIZE];
static const uint32_t page_types[] = {
	MIGSTREAM_PAGE_NOTAB, MIGSTREAM_PAGE_L1TAB, MIGSTREAM_PAGE_L2TAB, MIGSTREAM_PAGE_L3TAB,
	MIGSTREAM_PAGE_L4TAB, MIGSTREAM_PAGE_L4TAB | MIGSTREAM_PAGE_PINNED, MIGSTREAM_PAGE_BROKEN,
	MIGSTREAM_PAGE_XALLOC, MIGSTREAM_PAGE_XTAB, 0x5, 0x9,
};
static const uint8_t hvm_context_min[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x86, 0x12, 0x38, 0x54, 0x01, 0x00,
	0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xea, 0x06, 0x09, 0x00,
	0x80, 0x84, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static struct expect *add(int rc, uint32_t layer, uint32_t type, enum cmp cmp)
{
	static struct expect dummy;

	if (rc != 0 || nex >= sizeof ex / sizeof ex[0])
		return &dummy;
	memset(&ex[nex], 0, sizeof ex[nex]);
	ex[nex].layer = layer;
	ex[nex].type = type;
	ex[nex].cmp = cmp;
	return &ex[nex++];
}

/* A length from one octet: mostly small, sometimes the sizes records need. */
static size_t blob_len(fz_cursor *c)
{
	static const size_t sizes[8] = { 0, 8, 16, 64, 80, 4096, 5168, 2800 };
	uint8_t b = fz_u8(c);

	return b < 200 ? b : sizes[b & 7];
}

/* A blob of len octets: the input's next octets, or zeros past its end. */
static const uint8_t *blob(fz_cursor *c, size_t len, uint8_t *buf)
{
	size_t got;
	const uint8_t *p = fz_bytes(c, len, &got);

	if (got == len)
		return p;
	memcpy(buf, p, got);
	memset(buf + got, 0, len - got);
	return buf;
}

static void one_op(migstream_writer *w, fz_cursor *c, int raw)
{
	static uint8_t buf[3][8192];
	uint8_t op = fz_u8(c);
	uint64_t pfns[MAX_ENTRIES], vals[MAX_ENTRIES];
	uint32_t types[MAX_ENTRIES];
	const void *data[MAX_ENTRIES];
	struct expect *e;
	uint32_t n, k, t;
	size_t len;
	const uint8_t *p;
	int rc;

	switch (op % 26) {
	case 0: {                                    /* PAGE_DATA */
		n = fz_u8(c) % (MAX_ENTRIES + 1);
		uint8_t fill[MAX_ENTRIES];
		k = 0;
		for (uint32_t i = 0; i < n; i++) {
			uint8_t sel = fz_u8(c);
			pfns[i] = sel & 0x80 ? fz_u64(c) : (uint64_t)fz_u8(c);
			types[i] = page_types[(sel & 0x7f) % (sizeof page_types / sizeof page_types[0])];
			fill[i] = fz_u8(c);
			if (migstream_page_type_has_data(types[i])) {
				memset(pages[k], fill[i], sizeof pages[k]);
				data[k] = pages[k];
				k++;
			}
		}
		rc = migstream_writer_put_page_data(w, n, pfns, types, data);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_PAGE_DATA, CMP_PAGES);
		e->n = n;
		for (uint32_t i = 0; i < n; i++) {
			e->a[i] = pfns[i];
			e->b[i] = types[i];
			e->fill[i] = fill[i];
		}
		break;
	}
	case 1: {
		migstream_x86_pv_info info;
		memset(&info, 0, sizeof info);
		info.guest_width = fz_u8(c) & 1 ? 4 : 8;
		info.pt_levels = fz_u8(c) & 1 ? 3 : 4;
		rc = migstream_writer_put_x86_pv_info(w, &info, sizeof info);
		add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_PV_INFO, CMP_NONE);
		break;
	}
	case 2: {
		uint32_t start = fz_u8(c), end = fz_u32(c) & 0xffff;
		n = fz_u8(c) % 5;
		for (uint32_t i = 0; i < n; i++)
			pfns[i] = fz_u8(c);
		rc = migstream_writer_put_p2m_frames(w, start, end, pfns, n);
		add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_PV_P2M_FRAMES, CMP_NONE);
		break;
	}
	case 3: {
		static const uint32_t vt[4] = { MIGSTREAM_REC_X86_PV_VCPU_BASIC,
		                                MIGSTREAM_REC_X86_PV_VCPU_EXTENDED,
		                                MIGSTREAM_REC_X86_PV_VCPU_XSAVE,
		                                MIGSTREAM_REC_X86_PV_VCPU_MSRS };
		t = vt[fz_u8(c) & 3];
		uint32_t id = fz_u8(c) % 4;
		len = blob_len(c);
		p = blob(c, len, buf[0]);
		rc = migstream_writer_put_vcpu(w, t, id, p, len);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, t, CMP_VCPU);
		e->blob = p;
		e->blob_len = len;
		e->n = id;
		break;
	}
	case 4:
		len = fz_u8(c) & 1 ? blob_len(c) : 4096;
		p = blob(c, len, buf[0]);
		rc = migstream_writer_put_shared_info(w, p, len);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_SHARED_INFO, CMP_BLOB);
		e->blob = p;
		e->blob_len = len;
		break;
	case 5: {
		migstream_tsc_info tsc;
		memset(&tsc, 0, sizeof tsc);
		tsc.mode = fz_u8(c) % 4;
		tsc.khz = fz_u32(c);
		tsc.nsec = fz_u64(c);
		tsc.incarnation = fz_u32(c);
		rc = migstream_writer_put_tsc_info(w, &tsc, sizeof tsc);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_TSC_INFO, CMP_TSC);
		e->tsc = tsc;
		break;
	}
	case 6:
		if (fz_u8(c) & 1) {
			p = hvm_context_min;
			len = sizeof hvm_context_min;
		} else {
			len = blob_len(c);
			p = blob(c, len, buf[0]);
		}
		rc = migstream_writer_put_hvm_context(w, p, len);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_HVM_CONTEXT, CMP_BLOB);
		e->blob = p;
		e->blob_len = len;
		break;
	case 7:
		n = fz_u8(c) % 5;
		for (uint32_t i = 0; i < n; i++) {
			pfns[i] = fz_u8(c);
			vals[i] = fz_u64(c);
		}
		rc = migstream_writer_put_hvm_params(w, n, pfns, vals);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_HVM_PARAMS, CMP_PARAMS);
		e->n = n;
		for (uint32_t i = 0; i < n; i++) {
			e->a[i] = pfns[i];
			e->b[i] = vals[i];
		}
		break;
	case 8:
		len = blob_len(c);
		p = blob(c, len, buf[0]);
		rc = migstream_writer_put_toolstack(w, p, len);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_TOOLSTACK, CMP_BLOB);
		e->blob = p;
		e->blob_len = len;
		break;
	case 9:
		add(migstream_writer_put_verify(w), MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_VERIFY,
		    CMP_NONE);
		break;
	case 10:
		add(migstream_writer_put_checkpoint(w), MIGSTREAM_LAYER_LIBXC,
		    MIGSTREAM_REC_CHECKPOINT, CMP_NONE);
		break;
	case 11:
		n = fz_u8(c) % (MAX_ENTRIES + 1);
		for (uint32_t i = 0; i < n; i++)
			pfns[i] = fz_u8(c) & 1 ? fz_u64(c) : fz_u8(c);
		rc = migstream_writer_put_dirty_pfn_list(w, pfns, n);
		e = add(rc, 0, MIGSTREAM_REC_CHECKPOINT_DIRTY_PFN_LIST, CMP_DIRTY);
		e->n = n;
		memcpy(e->a, pfns, sizeof pfns);
		break;
	case 12:
		add(migstream_writer_put_static_data_end(w), MIGSTREAM_LAYER_LIBXC,
		    MIGSTREAM_REC_STATIC_DATA_END, CMP_NONE);
		break;
	case 13: {
		migstream_cpuid_leaf leaves[4];
		n = fz_u8(c) % 5;
		memset(leaves, 0, sizeof leaves);
		for (uint32_t i = 0; i < n; i++) {
			leaves[i].leaf = fz_u8(c) & 1 ? 0x80000000u | fz_u8(c) : fz_u8(c);
			leaves[i].subleaf = fz_u8(c) & 1 ? 0xFFFFFFFFu : fz_u8(c);
			leaves[i].a = fz_u32(c);
		}
		rc = migstream_writer_put_cpuid_policy(w, leaves, n, sizeof leaves[0]);
		add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_CPUID_POLICY, CMP_NONE);
		break;
	}
	case 14: {
		migstream_msr_entry msrs[4];
		n = fz_u8(c) % 5;
		memset(msrs, 0, sizeof msrs);
		for (uint32_t i = 0; i < n; i++) {
			msrs[i].idx = fz_u8(c) & 1 ? 0xce : 0x10a;
			msrs[i].val = fz_u64(c);
		}
		rc = migstream_writer_put_msr_policy(w, msrs, n, sizeof msrs[0]);
		add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_X86_MSR_POLICY, CMP_NONE);
		break;
	}
	case 15:
		add(migstream_writer_put_end(w), 0, MIGSTREAM_REC_END, CMP_NONE);
		break;
	case 16:
		t = fz_u32(c);
		if (!(t & 0x40000000u))
			t &= 0x8000001fu;
		len = blob_len(c);
		p = blob(c, len, buf[0]);
		rc = migstream_writer_put_record(w, t, p, (uint32_t)len);
		e = add(rc, 0, t, CMP_BODY);
		e->blob = p;
		e->blob_len = len;
		break;
	case 17: {
		struct iovec iov[3];
		t = 0x80000000u | fz_u8(c);
		len = 0;
		for (int i = 0; i < 3; i++) {
			iov[i].iov_len = fz_u8(c) % 24;
			iov[i].iov_base = buf[0] + len;
			memcpy(buf[0] + len, blob(c, iov[i].iov_len, buf[1]), iov[i].iov_len);
			len += iov[i].iov_len;
		}
		rc = migstream_writer_put_record_iov(w, t, iov, 3);
		e = add(rc, 0, t, CMP_BODY);
		/* The body is in buf[0], which later calls reuse: keep the length only. */
		e->cmp = CMP_NONE;
		break;
	}
	case 18:
		len = fz_u8(c) % 32;
		p = blob(c, len, buf[0]);
		rc = migstream_writer_put_raw(w, p, len);
		if (rc == 0 && !raw)
			fz_fail("put_raw accepted in validated mode");
		break;
	case 19:
		add(migstream_writer_put_libxc_context(w), MIGSTREAM_LAYER_LIBXL,
		    MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT, CMP_NONE);
		break;
	case 20: {
		uint32_t id = fz_u8(c) % 4, idx = fz_u8(c) % 2;
		len = blob_len(c);
		p = blob(c, len, buf[2]);
		rc = migstream_writer_put_emulator_xenstore_data(w, id, idx, p, len);
		e = add(rc, MIGSTREAM_LAYER_LIBXL, MIGSTREAM_LIBXL_REC_EMULATOR_XENSTORE_DATA,
		        CMP_EMU_CTX);
		e->blob = p == buf[2] ? NULL : p;
		e->blob_len = len;
		if (p == buf[2])
			e->cmp = CMP_NONE;
		break;
	}
	case 21: {
		uint32_t id = fz_u8(c) % 4, idx = fz_u8(c) % 2;
		len = blob_len(c);
		p = blob(c, len, buf[2]);
		rc = migstream_writer_put_emulator_context(w, id, idx, p, len);
		e = add(rc, MIGSTREAM_LAYER_LIBXL, MIGSTREAM_LIBXL_REC_EMULATOR_CONTEXT, CMP_EMU_CTX);
		e->blob = p;
		e->blob_len = len;
		if (p == buf[2])
			e->cmp = CMP_NONE;
		break;
	}
	case 22:
		add(migstream_writer_put_checkpoint_end(w), MIGSTREAM_LAYER_LIBXL,
		    MIGSTREAM_LIBXL_REC_CHECKPOINT_END, CMP_NONE);
		break;
	case 23:
		n = fz_u8(c) % 5;
		rc = migstream_writer_put_checkpoint_state(w, n);
		e = add(rc, MIGSTREAM_LAYER_LIBXL, MIGSTREAM_LIBXL_REC_CHECKPOINT_STATE, CMP_STATE);
		e->n = n;
		break;
	case 24: {
		migstream_image_header ih;
		memset(&ih, 0, sizeof ih);
		ih.version = 2 + (fz_u8(c) & 1);
		if (migstream_writer_put_image_header(w, &ih, sizeof ih) == 0 && !raw)
			fz_fail("a second image header was accepted");
		break;
	}
	default: {
		/* A PAGE_DATA of data pages taken from the input. */
		n = 1 + fz_u8(c) % 2;
		for (uint32_t i = 0; i < n; i++) {
			pfns[i] = 0x100 + fz_u8(c);
			types[i] = MIGSTREAM_PAGE_NOTAB;
			data[i] = blob(c, MIGSTREAM_PAGE_SIZE, pages[i]);
		}
		rc = migstream_writer_put_page_data(w, n, pfns, types, data);
		e = add(rc, MIGSTREAM_LAYER_LIBXC, MIGSTREAM_REC_PAGE_DATA, CMP_NONE);
		break;
	}
	}
	/* Blobs in buf[0] and buf[1] are reused by the next call. */
	if (nex && ex[nex - 1].blob && (ex[nex - 1].blob == buf[0] || ex[nex - 1].blob == buf[1])) {
		uint8_t *copy = malloc(ex[nex - 1].blob_len ? ex[nex - 1].blob_len : 1);
		if (copy == NULL)
			fz_fail("out of memory");
		memcpy(copy, ex[nex - 1].blob, ex[nex - 1].blob_len);
		ex[nex - 1].blob = copy;
		ex[nex - 1].fill[0] = 1;           /* owned: free after the check */
	}
}

static void same(const void *got, size_t got_len, const struct expect *e, size_t i)
{
	if (got_len != e->blob_len || (got_len && memcmp(got, e->blob, got_len) != 0))
		fz_fail("record %zu (type 0x%x): %zu octets read back, %zu written, or they differ", i,
		        e->type, got_len, e->blob_len);
}

static void compare(const migstream_record *rec, const struct expect *e, size_t i)
{
	const void *p;
	size_t len;
	uint32_t u, v;
	uint64_t a, b;

	if (migstream_record_type(rec) != e->type || (e->layer && migstream_record_layer(rec) != e->layer))
		fz_fail("record %zu: layer %u type 0x%x read back, layer %u type 0x%x written", i,
		        migstream_record_layer(rec), migstream_record_type(rec), e->layer, e->type);
	switch (e->cmp) {
	case CMP_NONE:
		break;
	case CMP_BODY:
		p = migstream_record_body(rec, &len);
		if (e->type != MIGSTREAM_REC_PAGE_DATA)
			same(p, len, e, i);
		break;
	case CMP_BLOB:
		if (migstream_record_get_blob(rec, &p, &len) != 0)
			fz_fail("record %zu: get_blob failed", i);
		same(p, len, e, i);
		break;
	case CMP_VCPU:
		if (migstream_record_get_vcpu(rec, &u, NULL, &p, &len) != 0 || u != e->n)
			fz_fail("record %zu: get_vcpu failed or wrong id", i);
		same(p, len, e, i);
		break;
	case CMP_EMU_CTX:
		p = migstream_record_body(rec, &len);
		if (len < 8)
			fz_fail("record %zu: emulator record of %zu octets", i, len);
		same((const uint8_t *)p + 8, len - 8, e, i);
		break;
	case CMP_PAGES:
		if (migstream_record_count(rec, &u) != 0 || u != e->n)
			fz_fail("record %zu: PAGE_DATA count differs", i);
		for (uint32_t j = 0; j < e->n; j++) {
			const void *page;
			if (migstream_record_get_page(rec, j, &a, &v, &page) != 0)
				fz_fail("record %zu: get_page(%u) failed", i, j);
			if (a != (e->a[j] & 0x000FFFFFFFFFFFFFull) || v != e->b[j])
				fz_fail("record %zu: pfn %u differs", i, j);
			if (page) {
				const uint8_t *q = page;
				for (size_t o = 0; o < MIGSTREAM_PAGE_SIZE; o++)
					if (q[o] != e->fill[j])
						fz_fail("record %zu: page %u differs", i, j);
			}
		}
		break;
	case CMP_TSC: {
		migstream_tsc_info t;
		if (migstream_record_get_tsc_info(rec, &t, sizeof t) != 0 || t.mode != e->tsc.mode ||
		    t.khz != e->tsc.khz || t.nsec != e->tsc.nsec ||
		    t.incarnation != e->tsc.incarnation)
			fz_fail("record %zu: TSC_INFO differs", i);
		break;
	}
	case CMP_PARAMS:
		if (migstream_record_count(rec, &u) != 0 || u != e->n)
			fz_fail("record %zu: HVM_PARAMS count differs", i);
		for (uint32_t j = 0; j < e->n; j++)
			if (migstream_record_get_hvm_param(rec, j, &a, &b) != 0 || a != e->a[j] ||
			    b != e->b[j])
				fz_fail("record %zu: HVM_PARAMS entry %u differs", i, j);
		break;
	case CMP_DIRTY:
		if (migstream_record_count(rec, &u) != 0 || u != e->n)
			fz_fail("record %zu: dirty pfn count differs", i);
		for (uint32_t j = 0; j < e->n; j++)
			if (migstream_record_get_dirty_pfn(rec, j, &a) != 0 || a != e->a[j])
				fz_fail("record %zu: dirty pfn %u differs", i, j);
		break;
	case CMP_STATE:
		if (migstream_record_get_checkpoint_state(rec, &u) != 0 || u != e->n)
			fz_fail("record %zu: CHECKPOINT_STATE differs", i);
		break;
	}
}

/* A header the fuzz input may make the writer refuse: the records after
 * it are then refused too, which the comparison with the reader covers. */
static void header(int rc)
{
	(void)rc;
}

/* The options set here are all in bounds: a refusal is a library bug. */
static void option(migstream_writer *w, int key, uint64_t value)
{
	if (migstream_writer_set_option(w, key, value) != 0)
		fz_fail("option %d = %llu refused: %s", key, (unsigned long long)value,
		        migstream_writer_errmsg(w));
}

static void prologue(migstream_writer *w, uint8_t cfg)
{
	int layers = cfg & 3, pv = cfg & 4;

	if (layers == 2) {
		migstream_xl_header xh;
		char opt[128];
		const char *json = pv ? "{\"c_info\":{\"type\":\"pv\",\"name\":\"f\"}}"
		                      : "{\"c_info\":{\"type\":\"hvm\",\"name\":\"f\"}}";
		uint32_t n = (uint32_t)strlen(json) + 1;
		memset(&xh, 0, sizeof xh);
		xh.mandatory_flags = MIGSTREAM_XL_FLAG_JSON | MIGSTREAM_XL_FLAG_STREAMV2;
		memcpy(opt, &n, 4);                   /* x86: little-endian */
		memcpy(opt + 4, json, n);
		header(migstream_writer_put_xl_header(w, &xh, sizeof xh, opt, 4 + n));
	}
	if (layers == 1 || layers == 2) {
		migstream_libxl_header lh;
		memset(&lh, 0, sizeof lh);
		lh.version = 2;
		header(migstream_writer_put_libxl_header(w, &lh, sizeof lh));
		add(migstream_writer_put_libxc_context(w), MIGSTREAM_LAYER_LIBXL,
		    MIGSTREAM_LIBXL_REC_LIBXC_CONTEXT, CMP_NONE);
	}
	if (layers != 3) {
		migstream_image_header ih;
		migstream_domain_header dh;
		memset(&ih, 0, sizeof ih);
		ih.version = cfg & 16 ? 2 : 3;
		header(migstream_writer_put_image_header(w, &ih, sizeof ih));
		memset(&dh, 0, sizeof dh);
		dh.type = pv ? MIGSTREAM_DOMAIN_X86_PV : MIGSTREAM_DOMAIN_X86_HVM;
		dh.page_shift = 12;
		dh.xen_major = 4;
		dh.xen_minor = 19;
		header(migstream_writer_put_domain_header(w, &dh, sizeof dh));
	}
}

static void set_options(migstream_writer *w, migstream_reader *r, uint8_t cfg)
{
	uint64_t kind = (cfg & 3) == 3 ? MIGSTREAM_KIND_COLO_BACK
	              : ((cfg >> 5) & 3) == 1 ? MIGSTREAM_KIND_REMUS
	              : ((cfg >> 5) & 3) == 2 ? MIGSTREAM_KIND_COLO : MIGSTREAM_KIND_AUTO;

	if (w) {
		option(w, MIGSTREAM_OPT_STREAM_KIND, kind);
		if (cfg & 128)
			option(w, MIGSTREAM_OPT_DEEP, 0);
		if (cfg & 8)
			option(w, MIGSTREAM_OPT_RAW, 1);
	}
	if (r) {
		migstream_reader_set_option(r, MIGSTREAM_OPT_STREAM_KIND, kind);
		if (cfg & 128)
			migstream_reader_set_option(r, MIGSTREAM_OPT_DEEP, 0);
		migstream_reader_set_option(r, MIGSTREAM_OPT_MODE,
		                            cfg & 8 ? MIGSTREAM_MODE_LAX : MIGSTREAM_MODE_STRICT);
	}
}

static void read_back(const void *data, size_t len, uint8_t cfg, int complete)
{
	migstream_reader *r = migstream_reader_new();
	const migstream_record *rec;
	size_t i = 0;
	int rc;

	if (r == NULL)
		fz_fail("reader_new failed");
	set_options(NULL, r, cfg);
	if (migstream_reader_open_memory(r, data, len) != 0)
		fz_fail("open_memory failed");
	if (cfg & 8) {
		fz_read_all(r, 0);
		migstream_reader_free(r);
		return;
	}
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		if (i >= nex)
			fz_fail("record %zu (type 0x%x) read back, only %zu written", i,
			        migstream_record_type(rec), nex);
		compare(rec, &ex[i], i);
		fz_walk_record(r, rec, 0);
		i++;
	}
	if (complete && rc != MIGSTREAM_EOF)
		fz_fail("the complete stream read back fails at record %zu of %zu: %s (%s)", i, nex,
		        migstream_error_name(rc), migstream_reader_errmsg(r));
	if (!complete && rc != MIGSTREAM_E_TRUNCATED)
		fz_fail("the incomplete stream read back fails at record %zu of %zu with %s (%s), "
		        "not E_TRUNCATED", i, nex, migstream_error_name(rc), migstream_reader_errmsg(r));
	if (rc == MIGSTREAM_EOF && i != nex)
		fz_fail("EOF after %zu records, %zu written", i, nex);
	migstream_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_cursor c = { data, size };
	migstream_writer *w;
	const void *out;
	size_t out_len;
	uint8_t cfg;
	int rc;

	if (size < 1)
		return 0;
	cfg = fz_u8(&c);
	nex = 0;
	migstream__test_alloc_fail_at(0);
	w = migstream_writer_new();
	if (w == NULL)
		fz_fail("writer_new failed");
	set_options(w, NULL, cfg);
	if (migstream_writer_open_memory(w) != 0)
		fz_fail("open_memory failed");
	prologue(w, cfg);
	for (int i = 0; i < MAX_OPS && c.n; i++)
		one_op(w, &c, cfg & 8);
	/* Close the layers still open (refused if they are done). */
	add(migstream_writer_put_end(w), 0, MIGSTREAM_REC_END, CMP_NONE);
	if ((cfg & 3) == 1 || (cfg & 3) == 2)
		add(migstream_writer_put_end(w), 0, MIGSTREAM_REC_END, CMP_NONE);
	if (migstream_writer_get_memory(w, &out, &out_len) != 0)
		fz_fail("get_memory failed: %s", migstream_writer_errmsg(w));
	if (out_len != migstream_writer_offset(w))
		fz_fail("memory sink holds %zu octets, offset %llu", out_len,
		        (unsigned long long)migstream_writer_offset(w));
	rc = migstream_writer_close(w);
	if (rc != 0 && rc != MIGSTREAM_E_STATE)
		fz_fail("close: %s", migstream_error_name(rc));
	/* close() says whether the stream is complete (END written, or the
	 * back channel at the end of a cycle). */
	read_back(out, out_len, cfg, rc == 0);
	migstream_writer_free(w);
	for (size_t i = 0; i < nex; i++)
		if (ex[i].fill[0] == 1 && ex[i].cmp != CMP_PAGES)
			free((void *)ex[i].blob);
	return 0;
}
